import { randomUUID } from 'node:crypto'
import { appendFileSync } from 'node:fs'
import { describePlanCost } from '../compare/plan-cost.js'
import type { ManifestProblem } from '../manifest/load.js'
import { summaryLine } from '../plan/render.js'
import type { Plan } from '../plan/types.js'
import { redact } from '../redact.js'
import type { Outputs } from '../targets/target.js'

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')

/** In GitHub Actions, validation errors also become annotations on the file and line (the file alone when the problem is the file). */
export function annotateProblems(problems: ManifestProblem[], env: NodeJS.ProcessEnv = process.env, write = (s: string) => process.stdout.write(s)): void {
  if (env.GITHUB_ACTIONS !== 'true') return
  for (const p of problems) {
    const at = p.line === undefined ? '' : `,line=${p.line},col=${p.col ?? 1}`
    write(`::error file=${escapeProperty(p.file)}${at}::${escapeData(redact(`${p.message}${p.hint ? ` — ${p.hint}` : ''}`))}\n`)
  }
}

/** What a deploy ended with, for the summary: where the app is. */
interface DeployedSummary {
  status: 'applied' | 'no-changes'
  outputs: Outputs
}

/** A table cell: one line, no column break, code spans that cannot be closed early. */
const cell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|')
const code = (s: string) => `\`${cell(s).replace(/`/g, "'")}\``

/**
 * The plan as Markdown: the job summary of GitHub Actions and `plan --markdown` (a pull-request
 * comment). The first line is a hidden marker, so a workflow can find and update its own comment.
 */
export function planMarkdown(plan: Plan): string {
  const rows = plan.steps.map((s) => `| ${s.action} | ${code(s.resource.type)} | ${code(s.resource.name)} | ${cell(s.reason ?? '')} |`)
  const md = [
    `<!-- shipit:${plan.app}:${plan.env}:${plan.target} -->`,
    `### shipit ${plan.command} plan: ${plan.app} (${plan.env}) on ${plan.target}`,
    '',
    ...costLines(plan),
    summaryLine(plan),
    '',
    ...(rows.length ? ['| action | type | name | why |', '|---|---|---|---|', ...rows, ''] : []),
  ]
  return redact(md.join('\n'))
}

function costLines(plan: Plan): string[] {
  return [
    ...(plan.cost ? [`**Monthly cost:** ${describePlanCost(plan.cost).replace(/^estimated cost: /, '')}`, ''] : []),
    ...(plan.expires ? [`**Expires:** ${plan.expires.at} (ttl ${plan.expires.ttl}; each deploy renews it)`, ''] : []),
  ]
}

/** What a deploy ended with, after its plan on the summary page: where the app is and what it costs. */
function deployedMarkdown(plan: Plan, deployed: DeployedSummary): string {
  const url = deployed.outputs.url
  const md = [
    `### shipit ${plan.command}: ${plan.app} (${plan.env}) on ${plan.target} — ${deployed.status === 'applied' ? 'applied' : 'no changes'}`,
    '',
    ...(typeof url === 'string' ? [`**URL:** ${url}`, ''] : []),
    ...costLines(plan),
  ]
  return redact(md.join('\n'))
}

/** In GitHub Actions, each plan's summary table goes to the job summary page. */
export function appendStepSummary(plan: Plan, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY
  if (env.GITHUB_ACTIONS !== 'true' || !file) return
  appendFileSync(file, `${planMarkdown(plan)}\n`)
}

/**
 * In GitHub Actions, after a deploy: the URL and the monthly cost below the plan on the summary page,
 * and the outputs as the step's outputs.
 */
export function reportDeployToGitHub(plan: Plan, deployed: DeployedSummary, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_ACTIONS !== 'true') return
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${deployedMarkdown(plan, deployed)}\n`)
  if (env.GITHUB_OUTPUT) writeStepOutputs(plan, deployed, env)
}

/** A step output's name: what GitHub's expressions read as `steps.<id>.outputs.<name>`. */
const outputName = (key: string) => key.replace(/[^A-Za-z0-9_-]/g, '_')

/**
 * The outputs of a deploy as step outputs (GITHUB_OUTPUT): `name=value`, or GitHub's heredoc form
 * with a random delimiter for a value on several lines. Values are redacted like any output; the
 * outputs of a target hold names, ARNs and URLs, never a secret value.
 */
export function stepOutputLines(values: Record<string, Outputs[string]>, delimiter = `ghadelimiter_${randomUUID()}`): string {
  const lines: string[] = []
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue
    const text = redact(Array.isArray(value) ? value.join(',') : String(value))
    const name = outputName(key)
    lines.push(text.includes('\n') || text.includes('\r') ? `${name}<<${delimiter}\n${text}\n${delimiter}` : `${name}=${text}`)
  }
  return lines.length ? `${lines.join('\n')}\n` : ''
}

/** In GitHub Actions, a deploy's URL and other outputs become the step's outputs. */
function writeStepOutputs(plan: Plan, deployed: DeployedSummary, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_OUTPUT
  if (env.GITHUB_ACTIONS !== 'true' || !file) return
  const values: Record<string, Outputs[string]> = {
    app: plan.app,
    env: plan.env,
    target: plan.target,
    region: plan.region,
    status: deployed.status,
    ...(plan.cost ? { 'monthly-cost': plan.cost.monthly.value.toFixed(2) } : {}),
    ...(plan.expires ? { expires: plan.expires.at } : {}),
    ...deployed.outputs,
  }
  appendFileSync(file, stepOutputLines(values))
}
