import { readFile, writeFile } from 'node:fs/promises'
import { ExitCode, invalid, ShipitError } from '../errors.js'
import { redact } from '../redact.js'
import { PLAN_FORMAT_VERSION, type Plan } from './types.js'

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
    throw invalid('UnknownPlanVersion', `${path} has formatVersion ${JSON.stringify(doc.formatVersion)}; this shipit reads version ${PLAN_FORMAT_VERSION}`, [
      'make the plan again with this version of shipit',
    ])
  }
  if (!Array.isArray(doc.steps) || typeof doc.observed !== 'string' || typeof doc.app !== 'string') {
    throw invalid('InvalidPlan', `${path} is not a shipit plan`, ['make one with `shipit plan --out plan.json`'])
  }
  return doc as Plan
}

/**
 * A saved plan applies only to the app, env, target, account and region it was made for, and only
 * while what it observed is still what is live.
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
}
