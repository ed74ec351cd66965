import { needsCredentials } from '../aws/credentials.js'
import { BaseCommand } from '../cli/base-command.js'
import { awsFlags } from '../cli/flags.js'
import { sessionOptions } from '../cli/workflow.js'
import { observe } from '../engine/plan.js'
import { openSession } from '../engine/session.js'
import { EXIT_CODES_HELP, ExitCode, ShipitError } from '../errors.js'
import { heldLockNote } from '../lock/notice.js'
import type { Outputs } from '../targets/target.js'

interface StatusResult {
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
  static flags = { ...awsFlags }

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(StatusCommand)
    const session = await openSession({ ...sessionOptions({ ...flags }, false, (t) => this.note(t)), existingOnly: true })
    try {
      if (session.offline) throw needsCredentials('status reads what is live in AWS')
      // the lock is read beside what is live: no time added
      const [observed, held] = await Promise.all([observe(session), heldLockNote(session.clients, { app: session.desired.app, env: session.desired.env })])
      if (held) this.note(held)
      const outputs = {
        ...session.target.outputs(session.desired, observed),
        ...(await session.target.liveOutputs({ clients: session.clients, region: session.region }, session.desired, observed)),
      }
      const deployed = session.target.deployed(observed)
      const { app, env, target } = session.desired
      if (!deployed) {
        // a script that asks "is it live?" gets a no it can test: exit 1, said in one line
        throw new ShipitError('NotDeployed', `${app} (${env}) is not deployed on ${target} in ${session.region}`, {
          exitCode: ExitCode.Failure,
          source: 'user',
          suggestions: [`deploy it with: shipit deploy --target ${target}${env === 'dev' ? '' : ` --env ${env}`}`],
          details: { app, env, target, region: session.region, deployed, outputs },
        })
      }
      this.out(
        [
          `${app} (${env}) on ${target} in ${session.region}: deployed`,
          ...Object.entries(outputs)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
        ].join('\n'),
      )
      return { app, env, target, region: session.region, deployed, outputs }
    } finally {
      session.clients.destroy()
    }
  }
}
