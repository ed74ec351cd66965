import { describePlanCost } from '../compare/plan-cost.js'
import { redact } from '../redact.js'
import { renderText, summaryLine } from './render.js'
import type { Plan } from './types.js'

interface TextOptions {
  color?: boolean
}

/**
 * The plan of an app with components: one header, then each component's steps under its name with
 * its target, summary and cost line, then the total. Each group is rendered as the plan of that
 * component alone would be, so it reads the same as a plan of an app of one.
 */
export function renderAppText(plan: Plan, options: TextOptions = {}): string {
  const components = plan.components ?? []
  const where = [
    `app ${plan.app}`,
    `env ${plan.env}`,
    plan.region,
    plan.account ? `account ${plan.account}` : undefined,
    plan.manifest ? `from ${plan.manifest}` : undefined,
  ]
  const lines = [`shipit ${plan.command} plan — ${where.filter(Boolean).join(' · ')} · ${components.length} components`]
  const shared = plan.warnings.filter((w) => !components.some((c) => w.startsWith(`${c.name}: `)))
  if (plan.offline) lines.push('offline: AWS was not read (no credentials or --offline); everything is planned as new.')
  for (const w of shared) lines.push(`warning: ${w}`)
  for (const b of plan.blocked) lines.push(`  ! ${b.resource.type} ${b.resource.name}: ${b.reason}`)
  if (plan.blocked.length) lines.push('This plan cannot be applied until the resources marked ! are dealt with.')
  for (const c of components) {
    const part: Plan = {
      ...plan,
      target: c.target,
      steps: plan.steps.filter((s) => s.component === c.name),
      unchanged: plan.unchanged.filter((u) => u.component === c.name),
      warnings: plan.warnings.filter((w) => w.startsWith(`${c.name}: `)).map((w) => w.slice(c.name.length + 2)),
      blocked: [],
      summary: c.summary,
      components: undefined,
      offline: false,
      expires: undefined,
    }
    delete part.cost
    if (c.cost) part.cost = c.cost
    // the component's own plan, under a header naming it instead of the app's
    const body = renderText(part, options).split('\n').slice(1)
    lines.push('', `── ${c.name} (${c.target}) ${'─'.repeat(Math.max(3, 60 - c.name.length - c.target.length))}`, ...body)
  }
  lines.push('', `Total: ${summaryLine(plan).replace(/^Plan: /, '')}`)
  if (plan.cost) lines.push(`total ${describePlanCost(plan.cost)}`)
  return redact(lines.join('\n'))
}
