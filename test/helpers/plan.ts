import { createHash } from 'node:crypto'
import { assemblePlan } from '../../src/engine/plan.js'
import type { Session } from '../../src/engine/session.js'
import { parseManifest } from '../../src/manifest/load.js'
import { type ContainerDesired, type Desired, type LambdaDesired, resolveDesired } from '../../src/manifest/resolve.js'
import type { TargetName } from '../../src/manifest/schema.js'
import { SECRET_KDF } from '../../src/plan/secrets.js'
import { PLAN_FORMAT_VERSION, type Plan, type Step, summarize } from '../../src/plan/types.js'
import type { PlanPart, Prepared, Target } from '../../src/targets/target.js'

export const LAMBDA_YAML = `
name: hello
region: us-west-2
env:
  LOG_LEVEL: info
  API_KEY: { value: "\${env:API_KEY:-canary-secret-value}", secret: true }
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
  memory: 256
  timeout: 10
  architecture: arm64
http:
  routes: ["GET /", "ANY /{proxy+}"]
environments:
  prod:
    function: { memory: 1024 }
`

export type DesiredOf<T extends TargetName> = Extract<Desired, { target: T }>

export function desiredFrom<T extends TargetName = 'lambda'>(
  yaml: string,
  options: { env?: string; target?: T; vars?: Record<string, string> } = {},
): DesiredOf<T> {
  // validated for the target it is resolved for, as the engine does
  const target = options.target ?? 'lambda'
  const loaded = parseManifest(yaml, 'app.yaml', options.vars ?? {}, '/app', { target })
  return resolveDesired(loaded, { env: options.env, target }) as DesiredOf<T>
}

/** The desired state of a function, or a failed test when the manifest resolved to another target. */
export function asLambda(desired: Desired): LambdaDesired {
  if (desired.target !== 'lambda') throw new Error(`expected target lambda, got ${desired.target}`)
  return desired
}

export function asContainer(desired: Desired): ContainerDesired {
  if (desired.target === 'lambda') throw new Error('expected a container target, got lambda')
  return desired
}

export function preparedZip(content = 'code-v1', source = 'src'): Prepared {
  const bytes = new TextEncoder().encode(content)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  return { artifacts: new Map([['function', { artifact: { artifact: 'zip', source, sha256, size: bytes.length }, bytes }]]) }
}

export function codeSha256Of(prepared: Prepared): string {
  return Buffer.from(prepared.artifacts.get('function')!.artifact.sha256, 'hex').toString('base64')
}

/** A plan document as `shipit plan` builds it, from a target's PlanPart, at a fixed time. */
export function planDocument(desired: Desired, target: Target<unknown, never>, part: PlanPart, observed: unknown, account?: string, offline = false): Plan {
  const session = { desired, target, region: 'us-west-2', offline, warnings: [] } as unknown as Session
  return assemblePlan(session, { command: 'deploy', now: () => new Date('2026-01-01T00:00:00Z'), salt: 'fixed-salt-for-snapshots' }, part, observed, account)
}

/** A plan document around hand-made steps, for tests of the executor. */
export function planOfSteps(steps: Step[], where: Partial<Pick<Plan, 'app' | 'target' | 'region'>> = {}): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    shipitVersion: 'test',
    command: 'deploy',
    app: where.app ?? 'a',
    env: 'dev',
    target: where.target ?? 'lambda',
    region: where.region ?? 'us-west-2',
    offline: false,
    observed: 'x',
    salt: 'test-salt',
    kdf: SECRET_KDF,
    createdAt: '',
    steps,
    unchanged: [],
    warnings: [],
    blocked: [],
    summary: summarize(steps, []),
  }
}

/** Strip what changes between runs and versions, for snapshots. */
export function stable(plan: Plan): unknown {
  return JSON.parse(JSON.stringify({ ...plan, shipitVersion: '<version>', observed: '<sha256>' }))
}
