import { readFile, writeFile } from 'node:fs/promises'
import { canonicalJson } from '../digest.js'
import { ExitCode, invalid, ShipitError } from '../errors.js'
import { redact } from '../redact.js'
import { kdfProblem } from './secrets.js'
import { PLAN_FORMAT_VERSION, type Plan, type Step } from './types.js'

/** Write a plan for `deploy --plan`. It holds no secret values: those travel as name + hash. */
export async function writePlan(path: string, plan: Plan): Promise<void> {
  await writeFile(path, `${redact(JSON.stringify(plan, null, 2))}\n`, { mode: 0o600 })
}

export async function readPlan(path: string): Promise<Plan> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw invalid('PlanNotFound', `cannot read the saved plan ${path} (${(err as NodeJS.ErrnoException).code})`, [
      'make one with `shipit plan --out plan.json`',
    ])
  }
  let doc: Partial<Plan>
  try {
    doc = JSON.parse(text)
  } catch {
    throw invalid('InvalidPlan', `${path} is not JSON`, ['make one with `shipit plan --out plan.json`'])
  }
  if (doc.formatVersion !== PLAN_FORMAT_VERSION) {
    const why = typeof doc.formatVersion === 'number' ? REFUSED_VERSIONS[doc.formatVersion] : undefined
    throw invalid(
      'UnknownPlanVersion',
      `${path} has formatVersion ${JSON.stringify(doc.formatVersion)}; this shipit reads version ${PLAN_FORMAT_VERSION}${why ? ` (${why})` : ''}`,
      ['make the plan again with this version of shipit', ...(why ? ['delete the old plan file: it lets its secrets be guessed cheaply'] : [])],
    )
  }
  if (!Array.isArray(doc.steps) || typeof doc.observed !== 'string' || typeof doc.app !== 'string' || typeof doc.salt !== 'string') {
    throw invalid('InvalidPlan', `${path} is not a shipit plan`, ['make one with `shipit plan --out plan.json`'])
  }
  const weak = kdfProblem(doc.kdf)
  if (weak) {
    throw invalid('InvalidPlan', `${path} cannot be applied: ${weak}`, ['make the plan again with this version of shipit, and review it'])
  }
  return doc as Plan
}

/** Why plans of earlier formats are refused, beyond their format. */
const REFUSED_VERSIONS: Record<number, string> = {
  1: 'its secrets are committed to by a bare SHA-256',
  2: 'its secrets are committed to by one HMAC-SHA256, cheap to test guesses against; version 3 uses scrypt',
}

/**
 * A saved plan is verified, not trusted: it applies only to the app, env, target, account and region
 * it was made for, only while what it observed is still what is live, and only when the plan made
 * now from app.yaml and what is live (with the saved plan's salt) has the very same steps: a step
 * added, removed or altered in the file, or a secret or the code changed since, is a stale plan.
 */
export function checkSavedPlan(saved: Plan, fresh: Plan): void {
  if (saved.offline) {
    throw invalid('OfflinePlan', 'the saved plan was made offline, without reading AWS; it cannot be applied', ['make the plan with AWS credentials'])
  }
  if (saved.command !== fresh.command) {
    throw invalid('PlanMismatch', `the saved plan is a ${saved.command} plan, not a ${fresh.command} plan`, [])
  }
  for (const field of ['app', 'env', 'target', 'region', 'account'] as const) {
    if (saved[field] !== fresh[field]) {
      throw invalid('PlanMismatch', `the saved plan is for ${field} ${JSON.stringify(saved[field])}, not ${JSON.stringify(fresh[field])}`, [
        'pass the same --env, --target, --region and credentials as when the plan was made',
      ])
    }
  }
  if (saved.observed !== fresh.observed) {
    const before = new Set(saved.steps.map((s) => `${s.action} ${s.resource.type} ${s.resource.name}`))
    const now = new Set(fresh.steps.map((s) => `${s.action} ${s.resource.type} ${s.resource.name}`))
    const gone = [...before].filter((s) => !now.has(s))
    const added = [...now].filter((s) => !before.has(s))
    const what = [...gone.map((s) => `no longer needed: ${s}`), ...added.map((s) => `now also needed: ${s}`)]
    throw new ShipitError(
      'StalePlan',
      `the saved plan is stale: what is live changed since it was made${what.length ? `\n  ${what.join('\n  ')}` : ' (the same steps, from a different live state)'}`,
      {
        exitCode: ExitCode.StalePlan,
        source: 'user',
        suggestions: ['make a new plan with `shipit plan --out plan.json` and review it'],
        details: { changed: what },
      },
    )
  }
  const difference = stepsDifference(saved.steps, fresh.steps)
  if (difference) {
    throw new ShipitError('StalePlan', `the saved plan does not match the plan made now from app.yaml and what is live: ${difference}; nothing was changed`, {
      exitCode: ExitCode.StalePlan,
      source: 'user',
      suggestions: ['make a new plan with `shipit plan --out plan.json` and review it'],
    })
  }
}

const label = (s: Step) => `${s.id} (${s.action} ${s.resource?.type} ${s.resource?.name})`

/** Where two step lists differ, for people; undefined when they are the same, step for step. */
function stepsDifference(saved: Step[], fresh: Step[]): string | undefined {
  for (let i = 0; i < Math.max(saved.length, fresh.length); i++) {
    const a = saved[i]
    const b = fresh[i]
    if (!a) return `the plan made now also has step ${label(b)}`
    if (!b) return `the saved plan has step ${label(a)}, which the plan made now does not`
    if (canonicalJson(a) === canonicalJson(b)) continue
    if (a.id !== b.id) return `step ${i + 1} is ${label(a)} in the saved plan and ${label(b)} now`
    const fields = (
      ['action', 'resource', 'request', 'wait', 'retry', 'precondition', 'dependsOn', 'okErrors', 'changes', 'reason', 'idempotency'] as const
    ).filter((f) => canonicalJson(a[f] ?? null) !== canonicalJson(b[f] ?? null))
    const secret = fields.includes('request') && JSON.stringify(a.request).includes('"sensitive"') ? ' (a secret value or the request changed)' : ''
    return `step ${label(a)} differs in ${fields.join(', ') || 'its fields'}${secret}`
  }
  return undefined
}

/** With components: a stale saved plan names the components whose live state changed since it was made. */
export function checkSavedComponents(saved: Plan, fresh: Plan): void {
  if (!saved.components || !fresh.components || saved.observed === fresh.observed) return
  const now = new Map(fresh.components.map((c) => [c.name, c.observed]))
  const changed = saved.components.filter((c) => now.get(c.name) !== c.observed).map((c) => c.name)
  const added = fresh.components.filter((c) => !saved.components?.some((s) => s.name === c.name)).map((c) => c.name)
  if (!changed.length && !added.length) return
  throw new ShipitError('StalePlan', `the saved plan is stale: what is live changed since it was made, in component ${[...changed, ...added].join(', ')}`, {
    exitCode: ExitCode.StalePlan,
    source: 'user',
    suggestions: ['make the plan again'],
  })
}
