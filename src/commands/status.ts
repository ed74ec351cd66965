import { needsCredentials } from '../aws/credentials.js'
import { BaseCommand } from '../cli/base-command.js'
import { awsFlags } from '../cli/flags.js'
import { sessionOptions } from '../cli/workflow.js'
import { observe } from '../engine/plan.js'
import { openSession } from '../engine/session.js'
import { EXIT_CODES_HELP } from '../errors.js'
import type { Outputs } from '../targets/target.js'

export interface StatusResult {
  app: string
  env: string
  target: string
  region: string
  deployed: boolean
  outputs: Outputs
}

export default class StatusCommand extends BaseCommand {
  static summary = 'What is live: version or task definition, counts, rollout, URL.'
  static description = `Read-only.

${EXIT_CODES_HELP}`
  static examples = ['<%= config.bin %> status --target lambda', '<%= config.bin %> status --target fargate --env prod --json']
  static flags = { ...awsFlags }

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(StatusCommand)
    const session = await openSession(sessionOptions({ ...flags }, false, (t) => this.note(t)))
    try {
      if (session.offline) throw needsCredentials('status reads what is live in AWS')
      const observed = await observe(session)
      const outputs = {
        ...session.target.outputs(session.desired, observed),
        ...(await session.target.liveOutputs?.({ clients: session.clients, region: session.region }, session.desired, observed)),
      }
      const deployed = Boolean(outputs.deployed ?? Object.entries(outputs).some(([k, v]) => v !== undefined && /arn|Arn|url|revision|version/.test(k)))
      const { app, env, target } = session.desired
      this.out(
        [
          `${app} (${env}) on ${target} in ${session.region}: ${deployed ? 'deployed' : 'not deployed'}`,
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
