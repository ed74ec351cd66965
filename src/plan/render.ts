import { describePlanCost } from '../compare/plan-cost.js'
import { redact } from '../redact.js'
import { type Action, type FieldChange, isArtifact, isLocalRequest, isRef, isSensitive, type Plan, type Step } from './types.js'

const SYMBOL: Record<Action, string> = { create: '+', update: '~', replace: '-/+', delete: '-', run: '>' }
const COLOR: Record<Action, number> = { create: 32, update: 33, replace: 35, delete: 31, run: 36 }

interface TextOptions {
  color?: boolean
}

/** Render a value of a request or a change for people: references, artifacts and secrets by what they are. */
function showValue(v: unknown, max = 120): string {
  if (v === undefined) return '(none)'
  if (isRef(v)) return '(known after apply)'
  if (isSensitive(v)) return '(sensitive)'
  if (isArtifact(v)) return `zip of ${v.source} (${formatBytes(v.size)}, sha256 ${v.sha256.slice(0, 12)}…)`
  const s = JSON.stringify(v, (_, x) => (isRef(x) ? '(known after apply)' : isSensitive(x) ? '(sensitive)' : x))
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary
  if (plan.steps.length === 0) return `No changes. ${plan.app} (${plan.env}) on ${plan.target} matches app.yaml; ${s.noop} resources unchanged.`
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.run} to run; ${s.noop} unchanged.`
}

function changeLine(c: FieldChange, action: Action): string {
  // a secret's version (src/targets/secret-versions.ts): `~ secret DB_PASSWORD: version 3 → 4`, never a value
  if (c.path.startsWith('secret ') && (typeof c.before === 'string' || typeof c.after === 'string')) {
    if (c.before === undefined) return `+ ${c.path}: version ${c.after}`
    if (c.after === undefined) return `- ${c.path}: version ${c.before}`
    return `~ ${c.path}: version ${c.before} → ${c.after}`
  }
  if (action === 'create' || c.before === undefined) return `+ ${c.path}: ${showValue(c.after)}`
  if (action === 'delete' || c.after === undefined) return `- ${c.path}: ${showValue(c.before)}`
  return `~ ${c.path}: ${showValue(c.before, 60)} → ${showValue(c.after, 60)}${c.forcesReplacement ? '  (forces replacement)' : ''}`
}

/** The plan as Terraform users read one: a symbol per step, field-level changes, a summary line. */
export function renderText(plan: Plan, options: TextOptions = {}): string {
  const paint = (code: number, s: string) => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s)
  const lines: string[] = []
  const where = [
    `app ${plan.app}`,
    `env ${plan.env}`,
    `target ${plan.target}`,
    plan.region,
    plan.account ? `account ${plan.account}` : undefined,
    plan.manifest ? `from ${plan.manifest}` : undefined,
  ]
  lines.push(`shipit ${plan.command} plan — ${where.filter(Boolean).join(' · ')}`)
  if (plan.cost) lines.push(describePlanCost(plan.cost))
  if (plan.expires) lines.push(`expires ${plan.expires.at} (ttl ${plan.expires.ttl}): shipit prune destroys it after; a deploy renews it`)
  if (plan.offline) lines.push(paint(33, 'offline: AWS was not read (no credentials or --offline); everything is planned as new.'))
  for (const w of plan.warnings) lines.push(paint(33, `warning: ${w}`))
  for (const b of plan.blocked) lines.push(paint(31, `  ! ${b.resource.type} ${b.resource.name}: ${b.reason}`))
  if (plan.blocked.length) lines.push(paint(31, 'This plan cannot be applied until the resources marked ! are dealt with.'))
  lines.push('')
  for (const step of plan.steps) {
    const head = `${SYMBOL[step.action].padStart(3)} ${step.resource.type} ${step.resource.name}`
    lines.push(`${paint(COLOR[step.action], head)}${step.reason ? paint(2, `  # ${step.reason}`) : ''}`)
    for (const c of step.changes ?? []) lines.push(`      ${changeLine(c, step.action)}`)
  }
  if (plan.unchanged.length) {
    // a blank line between the steps and what stays; with no steps, the one after the header does
    if (plan.steps.length) lines.push('')
    for (const u of plan.unchanged) lines.push(paint(2, `    = ${u.resource.type} ${u.resource.name}${u.note ? `  # ${u.note}` : ''}`))
  }
  lines.push('')
  lines.push(summaryLine(plan))
  return redact(lines.join('\n'))
}

// ---- aws CLI ----------------------------------------------------------------------------------

/** `CreateFunction` → `create-function`, `GetCallerIdentity` → `get-caller-identity`. */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
}

function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** Placeholders a reader can fill in: `<api.ApiId>` for a reference, `$NAME` for a secret. */
function cliValue(v: unknown, artifactPath: (source: string) => string): string {
  const placeholders = (x: unknown): unknown => {
    if (isRef(x)) {
      const ph = `<${x.ref}.${x.output}>`
      return x.format ? x.format.replace('{}', ph) : ph
    }
    if (isSensitive(x)) return `$${x.sensitive}`
    if (isArtifact(x)) return `fileb://${artifactPath(x.source)}`
    if (Array.isArray(x)) return x.map(placeholders)
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, placeholders(y)]))
    return x
  }
  const p = placeholders(v)
  if (typeof p === 'string') return shellQuote(p)
  if (typeof p === 'number') return String(p)
  return shellQuote(JSON.stringify(p))
}

/** The `aws` CLI command equivalent to one step's request, derived from the request data. */
export function cliCommand(step: Step, region: string, artifactPath: (source: string) => string = (s) => `${s}.zip`): string {
  const { service, operation, input } = step.request
  // a package upload is a local step (multipart through lib-storage): `aws s3 cp` does the same
  if ((service as string) === 'local' && operation === 'UploadArtifact' && isArtifact(input.Body)) {
    return ['aws', 's3', 'cp', shellQuote(artifactPath(input.Body.source)), shellQuote(`s3://${input.Bucket}/${input.Key}`), '--region', region].join(' ')
  }
  const parts = ['aws', service, kebab(operation)]
  for (const [member, raw] of Object.entries(input)) {
    if (raw === undefined) continue
    // Lambda's Code structure has the CLI's own --zip-file shorthand
    if (member === 'Code' && raw && typeof raw === 'object' && 'ZipFile' in raw) {
      parts.push('--zip-file', cliValue((raw as { ZipFile: unknown }).ZipFile, artifactPath))
      continue
    }
    const flag = `--${kebab(member)}`
    if (typeof raw === 'boolean') parts.push(raw ? flag : `--no-${kebab(member)}`)
    else parts.push(flag, cliValue(raw, artifactPath))
  }
  parts.push('--region', region)
  return parts.join(' ')
}

/**
 * The plan as one aws CLI line per step, with `<step.Field>` for values earlier steps return (the
 * runnable script is src/plan/runbook.ts). `localSteps` gives the lines of a step that is not an aws
 * call (a target's docker build and push); without it such a step is a comment.
 */
export function renderCli(plan: Plan, artifactPath?: (source: string) => string, localSteps?: (step: Step) => string[]): string {
  const lines = [
    `# shipit ${plan.command}: ${plan.app} (${plan.env}) on ${plan.target} in ${plan.region}`,
    '# <step.Field> is a value an earlier command returns; $NAME is a secret from your environment',
  ]
  if (plan.offline) lines.push('# offline plan: AWS was not read, everything is planned as new')
  for (const step of plan.steps) {
    lines.push('', `# ${SYMBOL[step.action]} ${step.action} ${step.resource.type} ${step.resource.name}${step.reason ? ` — ${step.reason}` : ''}`)
    if (step.precondition)
      lines.push(
        `# first check that ${step.precondition.what} is still ${JSON.stringify(step.precondition.equals)}: ${cliCommand({ ...step, request: step.precondition.request }, plan.region, artifactPath)}`,
      )
    // a local step (container build or push) is what a person types: `docker build …`, `docker push …`
    if (isLocalRequest(step.request) && step.request.service === 'container')
      lines.push(...(localSteps?.(step) ?? [`# ${step.request.service} ${step.request.operation}: done by shipit itself (plan --cli prints the commands)`]))
    else lines.push(cliCommand(step, plan.region, artifactPath))
    if (step.wait) lines.push(`# then wait: ${step.wait.description}`)
  }
  if (plan.steps.length === 0) lines.push('', '# no changes')
  return redact(lines.join('\n'))
}
