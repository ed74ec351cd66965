import { needsCredentials } from '../aws/credentials.js'
import { BaseCommand } from '../cli/base-command.js'
import { componentArgs, componentNames } from '../cli/component-args.js'
import { awsFlags } from '../cli/flags.js'
import { sessionOptions } from '../cli/workflow.js'
import { openEach } from '../engine/components.js'
import { observe } from '../engine/plan.js'
import type { Session } from '../engine/session.js'
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
}

export default class StatusCommand extends BaseCommand {
  static summary = 'What is live: version or task definition, counts, rollout, URL.'
  static description = `Read-only. Exits 1 with "APP (ENV) is not deployed on TARGET" when nothing is live.

${EXIT_CODES_HELP}`
  static examples = ['<%= config.bin %> status --target lambda', '<%= config.bin %> status --target fargate --env prod --json']
  static strict = false
  static args = componentArgs
  static flags = { ...awsFlags }

  async run(): Promise<StatusResult | { components: StatusResult[] }> {
    const { flags, argv } = await this.parse(StatusCommand)
    const sessions = await openEach({ ...sessionOptions({ ...flags }, false, (t) => this.note(t)), existingOnly: true }, componentNames(argv), 'status')
    try {
      if (!sessions[0].ofApp) return await this.statusOf(sessions[0].session)
      // with components: each one's status under its name; not deployed (exit 1) only when none of them is
      const results = await Promise.all(sessions.map(({ session }) => this.statusOf(session, true)))
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

  /** One component's (or the app's) status; `quiet`: returned, not printed, and no exit 1 when not deployed. */
  private async statusOf(session: Session, quiet = false): Promise<StatusResult> {
    if (session.offline) throw needsCredentials('status reads what is live in AWS')
    // the lock is read beside what is live: no time added
    const [observed, held] = await Promise.all([observe(session), heldLockNote(session.clients, { app: session.desired.app, env: session.desired.env })])
    if (held && !quiet) this.note(held)
    const outputs = {
      ...session.target.outputs(session.desired, observed),
      ...(await session.target.liveOutputs({ clients: session.clients, region: session.region }, session.desired, observed)),
    }
    const deployed = session.target.deployed(observed)
    const { app, env, target } = session.desired
    const result = { app, env, target, region: session.region, deployed, outputs }
    if (quiet) return result
    if (!deployed) {
      // a script that asks "is it live?" gets a no it can test: exit 1, said in one line
      throw new ShipitError('NotDeployed', `${app} (${env}) is not deployed on ${target} in ${session.region}`, {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: [`deploy it with: shipit deploy --target ${target}${env === 'dev' ? '' : ` --env ${env}`}`],
        details: result,
      })
    }
    this.out(renderStatus(result))
    return result
  }
}

function renderStatus(r: StatusResult, prefix = ''): string {
  return [
    `${prefix}${r.app} (${r.env}) on ${r.target} in ${r.region}: ${r.deployed ? 'deployed' : 'not deployed'}`,
    ...Object.entries(r.outputs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
  ].join('\n')
}
