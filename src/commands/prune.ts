import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { applyFlags, awsFlags } from '../cli/flags.js'
import { type PruneResult, runPrune } from '../cli/prune.js'
import { EXIT_CODES_HELP } from '../errors.js'

export default class PruneCommand extends BaseCommand {
  static summary = "Destroy expired environments (previews with a ttl), found in the region by shipit's tags; no app.yaml needed."
  static description =
    `Lists every environment shipit made in the region (app, env, target, expiry, monthly cost) from the tags of its resources, then destroys those past their shipit:expires — each as the ordinary destroy plan of that env. A resource without shipit's tags is never touched; an env without a ttl is never pruned by age: only when named with --app and --env. Exit 0 when nothing is due.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> prune --dry-run',
    '<%= config.bin %> prune --yes',
    '<%= config.bin %> prune --older-than 7d --app web --yes --json',
    '<%= config.bin %> prune --app web --env staging --yes',
  ]
  static flags = {
    region: awsFlags.region,
    profile: awsFlags.profile,
    'endpoint-url': awsFlags['endpoint-url'],
    'max-attempts': awsFlags['max-attempts'],
    'request-timeout': awsFlags['request-timeout'],
    'call-timeout': awsFlags['call-timeout'],
    debug: awsFlags.debug,
    ...applyFlags,
    'dry-run': Flags.boolean({ summary: 'List and show the destroy plans of what is due; change nothing.' }),
    'older-than': Flags.string({
      summary: 'Also destroy envs with a ttl whose expiry was last renewed longer ago than this (90m, 12h, 3d).',
      helpValue: '7d',
    }),
    app: Flags.string({ summary: 'Only the environments of this app.', helpValue: 'NAME' }),
    env: Flags.string({ summary: 'With --app: destroy this env of the app even without a ttl (named, never by age).', helpValue: 'NAME' }),
  }

  async run(): Promise<PruneResult> {
    const { flags } = await this.parse(PruneCommand)
    return runPrune(
      { ...flags, json: this.jsonEnabled() },
      {
        out: (t) => this.out(t),
        note: (t) => this.note(t),
      },
    )
  }
}
