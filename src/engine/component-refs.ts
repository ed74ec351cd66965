import { COMPONENT_REF, type ComponentRef } from '../manifest/components.js'
import type { Desired } from '../manifest/resolve.js'
import { isRef, type Plan, type Ref, type Step } from '../plan/types.js'
import type { Planned } from './plan.js'
import type { Session } from './session.js'

/**
 * `${component:NAME.OUTPUT}`: the value another component produces. When the producer's plan leaves
 * the resource behind the output as it is, the value read from AWS is planned (a redeploy compares
 * equal and changes nothing); when the producer creates or replaces it, the value is a reference to
 * the producer's step (known after apply), which orders the consumer's step after it.
 */

/** Where each output comes from: the producer's step that makes it, the path in its answer, and the value observed. */
interface OutputSource {
  step: string
  path: string
  format?: string
  /** the step's actions that change the value (others leave it as observed) */
  changing: readonly string[]
  observed: (session: Session, observed: unknown) => string | undefined
}

const CREATED = ['create', 'replace'] as const
const ANY_CHANGE = ['create', 'replace', 'update'] as const

type LambdaSeen = { api?: { endpoint?: string }; function?: { arn?: string } }
type ContainerSeen = { service?: { arn?: string }; taskDefinition?: { arn?: string } }

function sourceOf(producer: Session, output: string): OutputSource | undefined {
  const d = producer.desired
  if (d.target === 'lambda') {
    if (output === 'url')
      return { step: 'api', path: 'ApiEndpoint', format: '{}/', changing: CREATED, observed: (_, o) => withSlash((o as LambdaSeen).api?.endpoint) }
    if (output === 'arn') return { step: 'function', path: 'FunctionArn', changing: CREATED, observed: (_, o) => (o as LambdaSeen).function?.arn }
    if (output === 'name') return { step: 'function', path: 'FunctionName', changing: CREATED, observed: () => d.names.function }
    return undefined
  }
  const service = d.container.mode === 'service'
  if (output === 'arn' && service)
    return { step: 'service', path: 'service.serviceArn', changing: CREATED, observed: (_, o) => (o as ContainerSeen).service?.arn }
  // a task's arn is its task definition revision: every registration makes a new one
  if (output === 'arn') {
    return {
      step: 'task-definition',
      path: 'taskDefinition.taskDefinitionArn',
      changing: ANY_CHANGE,
      observed: (_, o) => (o as ContainerSeen).taskDefinition?.arn,
    }
  }
  if (output === 'name')
    return { step: service ? 'service' : 'task-definition', path: '', changing: [], observed: () => (service ? d.names.service : d.names.family) }
  return undefined
}

function withSlash(endpoint: string | undefined): string | undefined {
  return endpoint ? `${endpoint}/` : undefined
}

/** The value of one output for the consumer's plan: a string, or a reference to the producer's step (ids prefixed by component). */
function outputValue(ref: ComponentRef, producer: Session, planned: Planned): string | Ref {
  const source = sourceOf(producer, ref.output)
  if (!source) throw new Error(`component ${ref.component} offers no ${ref.output}`)
  const step = planned.plan.steps.find((s) => s.id === source.step)
  if (step && source.changing.includes(step.action)) {
    return { ref: `${ref.component}/${source.step}`, output: source.path, ...(source.format ? { format: source.format } : {}) }
  }
  const seen = source.observed(producer, planned.observed)
  if (seen) return seen
  // not deployed and not planned (a producer whose plan is blocked): the consumer waits for a later deploy
  throw new Error(`component ${ref.component} has no ${ref.output} yet`)
}

/** Marks a value known only after the producer's step ran; replaced by a Ref once the consumer is planned. */
const marker = (ref: ComponentRef) => `\u0000component:${ref.component}.${ref.output}\u0000`

/** The consumer's Desired with each reference replaced by its value, or by a marker when the value is a Ref. */
export function substituteRefs(desired: Desired, values: Map<string, string | Ref>): Desired {
  const environment: Desired['environment'] = {}
  for (const [key, v] of Object.entries(desired.environment)) {
    const value = v.value.replace(COMPONENT_REF, (_, component: string, output: string) => {
      const known = values.get(`${component}.${output}`)
      return typeof known === 'string' ? known : marker({ component, output })
    })
    environment[key] = { ...v, value }
  }
  return { ...desired, environment }
}

/** Every string of the consumer's steps that holds a marker becomes the Ref it stands for (with the string around it as its format). */
export function markersToRefs(steps: Step[], values: Map<string, string | Ref>): Step[] {
  const refs = [...values.entries()].flatMap(([key, v]) => (isRef(v) ? [[key, v] as const] : []))
  if (!refs.length) return steps
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string') {
      for (const [key, ref] of refs) {
        const [component, output] = key.split('.')
        const m = marker({ component, output })
        if (!value.includes(m)) continue
        const format = value.replace(m, ref.format ?? '{}')
        return format === '{}' ? { ref: ref.ref, output: ref.output } : { ref: ref.ref, output: ref.output, format }
      }
      return value
    }
    if (Array.isArray(value)) return value.map(replace)
    if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !isRef(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]))
    }
    return value
  }
  return steps.map((step) => ({
    ...step,
    request: { ...step.request, input: replace(step.request.input) as Record<string, unknown> },
    ...(step.changes ? { changes: step.changes.map((c) => ({ ...c, after: replace(c.after) })) } : {}),
  }))
}

/** The values of a consumer's references, once each producer is planned. */
export function refValues(refs: ComponentRef[], producers: Map<string, { session: Session; planned: Planned }>): Map<string, string | Ref> {
  const values = new Map<string, string | Ref>()
  for (const ref of refs) {
    const producer = producers.get(ref.component)
    if (producer) values.set(`${ref.component}.${ref.output}`, outputValue(ref, producer.session, producer.planned))
  }
  return values
}

export type { Plan }
