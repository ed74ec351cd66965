import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { componentArgs, componentNames } from '../cli/component-args.js'
import { applyFlags, awsFlags } from '../cli/flags.js'
import { planAndApply, renderOutcome } from '../cli/workflow.js'
import type { ApplyOutcome } from '../engine/apply.js'
import { EXIT_CODES_HELP } from '../errors.js'
import type { Plan } from '../plan/types.js'

export default class RollbackCommand extends BaseCommand {
  static summary = 'Go back to what was live before the last deploy (shown as a plan first).'
  static description =
    `lambda: moves the alias live (which the HTTP API serves) back to the version it pointed to before. fargate/ecs: moves the service back to the task definition shipit deployed before the current one. --to picks a version or revision.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> rollback --target lambda',
    '<%= config.bin %> rollback --target lambda --to 3 --yes',
    '<%= config.bin %> rollback --target fargate --env prod --yes',
  ]
  static strict = false
  static args = componentArgs
  static flags = {
    ...awsFlags,
    ...applyFlags,
    to: Flags.string({ summary: 'The Lambda version or task definition revision to go back to.', helpValue: 'VERSION' }),
    'dry-run': Flags.boolean({ summary: 'Only show the plan.' }),
  }

  async run(): Promise<Plan | ApplyOutcome> {
    const { flags, argv } = await this.parse(RollbackCommand)
    const result = await planAndApply('rollback', { ...flags, components: componentNames(argv), json: this.jsonEnabled() }, flags['dry-run'], {
      out: (t) => this.out(t),
      note: (t) => this.note(t),
    })
    if (result.kind === 'plan') return result.plan
    this.out(renderOutcome(result.outcome))
    return result.outcome
  }
}
