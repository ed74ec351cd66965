import { needsCredentials } from '../aws/credentials.js'
import { BaseCommand } from '../cli/base-command.js'
import { componentArgs, componentNames } from '../cli/component-args.js'
import { awsFlags } from '../cli/flags.js'
import { sessionOptions } from '../cli/workflow.js'
import { openEach } from '../engine/components.js'
import { observe } from '../engine/plan.js'
import type { Session } from '../engine/session.js'
import { statusOfTargets, type TargetStatus } from '../engine/status.js'
import { EXIT_CODES_HELP, ExitCode, ShipitError } from '../errors.js'
import { heldLockNote } from '../lock/notice.js'
import type { Outputs } from '../targets/target.js'

interface StatusResult {
  component?: string
  app: string
  env: string
  target: string
  region: string
  deployed: boolean
  outputs: Outputs
  /** without --target, when app.yaml can go to more than one target: each one read (a move half done shows two) */
  targets?: TargetStatus[]
}

export default class StatusCommand extends BaseCommand {
  static summary = 'What is live: version or task definition, counts, rollout, URL.'
  static description = `Read-only. Exits 1 with "APP (ENV) is not deployed on TARGET" when nothing is live.

Without --target, every target app.yaml can be deployed to is read: an app live on two of them (a move not finished) shows both, the one of target: in app.yaml first.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --target lambda',
    '<%= config.bin %> status --target fargate --env prod --json',
    '<%= config.bin %> status web api -f examples/shop/app.yaml',
  ]
  static strict = false
  static args = componentArgs
  static flags = { ...awsFlags }

  async run(): Promise<StatusResult | { components: StatusResult[] }> {
    const { flags, argv } = await this.parse(StatusCommand)
    const sessions = await openEach({ ...sessionOptions({ ...flags }, false, (t) => this.note(t)), existingOnly: true }, componentNames(argv), 'status')
    try {
      if (!sessions[0].ofApp) return await this.statusOfApp(sessions[0].session, Boolean(flags.target))
      // with components: each one's status under its name; not deployed (exit 1) only when none of them is
      const results = await Promise.all(sessions.map(({ session }) => componentStatus(session)))
      for (const [i, r] of results.entries()) this.out(renderStatus(r, `${sessions[i].name} · `))
      if (!results.some((r) => r.deployed)) {
        const { app, env } = results[0]
        throw new ShipitError('NotDeployed', `${app} (${env}) is not deployed: none of ${sessions.map((s) => s.name).join(', ')} is live`, {
          exitCode: ExitCode.Failure,
          source: 'user',
          suggestions: ['deploy it with: shipit deploy'],
        })
      }
      return { components: results.map((r, i) => ({ ...r, component: sessions[i].name })) }
    } finally {
      sessions[0].session.clients.destroy()
    }
  }

  /** An app of one component: every target app.yaml can go to is read unless --target names one (a move half done shows two). */
  private async statusOfApp(session: Session, targetGiven: boolean): Promise<StatusResult> {
    if (session.offline) throw needsCredentials('status reads what is live in AWS')
    const { app, env } = session.desired
    // the lock is read beside what is live: no time added
    const [statuses, held] = await Promise.all([
      targetGiven ? oneTarget(session) : statusOfTargets(session, (t, err) => this.note(`could not read ${t}: ${err.message}`)),
      heldLockNote(session.clients, { app, env }),
    ])
    if (held) this.note(held)
    const primary = statuses.find((s) => s.default) ?? { target: session.desired.target, default: true, deployed: false, outputs: {} }
    const live = statuses.filter((s) => s.deployed)
    const base = { app, env, target: primary.target, region: session.region, deployed: primary.deployed, outputs: primary.outputs }
    if (live.length > 1) {
      this.note(
        `${app} (${env}) is deployed on ${live.length} targets: ${live.map((s) => s.target).join(', ')} (a move not finished? shipit move --from … --to …)`,
      )
      this.out(live.map((s) => describe(base, s)).join('\n\n'))
      return { ...base, targets: statuses }
    }
    if (!primary.deployed) throw notDeployed(base, live[0])
    this.out(describe(base, primary, false))
    return { ...base, ...(statuses.length > 1 ? { targets: statuses } : {}) }
  }
}

/** One component's status, returned (printed by the caller under its name). */
async function componentStatus(session: Session): Promise<StatusResult> {
  if (session.offline) throw needsCredentials('status reads what is live in AWS')
  const [s] = await oneTarget(session)
  const { app, env } = session.desired
  return { app, env, target: s.target, region: session.region, deployed: s.deployed, outputs: s.outputs }
}

function renderStatus(r: StatusResult, prefix = ''): string {
  return [
    `${prefix}${r.app} (${r.env}) on ${r.target} in ${r.region}: ${r.deployed ? 'deployed' : 'not deployed'}`,
    ...Object.entries(r.outputs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
  ].join('\n')
}

async function oneTarget(session: Session): Promise<TargetStatus[]> {
  const observed = await observe(session)
  const outputs = {
    ...session.target.outputs(session.desired, observed),
    ...(await session.target.liveOutputs({ clients: session.clients, region: session.region }, session.desired, observed)),
  }
  return [{ target: session.desired.target, default: true, deployed: session.target.deployed(observed), outputs }]
}

function describe(base: { app: string; env: string; region: string }, s: TargetStatus, mark = true): string {
  return [
    `${base.app} (${base.env}) on ${s.target} in ${base.region}: deployed${mark && s.default ? ' (target: in app.yaml)' : ''}`,
    ...Object.entries(s.outputs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
  ].join('\n')
}

/** A script that asks "is it live?" gets a no it can test: exit 1, said in one line (and where it is live instead). */
function notDeployed(base: Omit<StatusResult, 'targets'>, elsewhere: TargetStatus | undefined): ShipitError {
  const { app, env, target, region } = base
  const envFlag = env === 'dev' ? '' : ` --env ${env}`
  return new ShipitError('NotDeployed', `${app} (${env}) is not deployed on ${target} in ${region}`, {
    exitCode: ExitCode.Failure,
    source: 'user',
    suggestions: elsewhere
      ? [
          `it is deployed on ${elsewhere.target}: shipit status --target ${elsewhere.target}${envFlag}`,
          `set target: ${elsewhere.target} in app.yaml if it is to stay there`,
        ]
      : [`deploy it with: shipit deploy --target ${target}${envFlag}`],
    details: base,
  })
}
