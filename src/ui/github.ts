import { appendFileSync } from 'node:fs'
import type { ManifestProblem } from '../manifest/load.js'
import { summaryLine } from '../plan/render.js'
import type { Plan } from '../plan/types.js'
import { redact } from '../redact.js'

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

/** In GitHub Actions, the plan's summary is added to the job summary page. */
export function appendStepSummary(plan: Plan, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY
  if (env.GITHUB_ACTIONS !== 'true' || !file) return
  const rows = plan.steps.map((s) => `| ${s.action} | \`${s.resource.type}\` | \`${s.resource.name}\` | ${s.reason ?? ''} |`)
  const md = [
    `### shipit ${plan.command} plan: ${plan.app} (${plan.env}) on ${plan.target}`,
    '',
    summaryLine(plan),
    '',
    ...(rows.length ? ['| action | type | name | why |', '|---|---|---|---|', ...rows, ''] : []),
  ].join('\n')
  appendFileSync(file, `${redact(md)}\n`)
}
