import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { componentArgs, componentNames } from '../cli/component-args.js'
import { applyFlags, awsFlags } from '../cli/flags.js'
import { planAndApply, renderOutcome } from '../cli/workflow.js'
import type { ApplyOutcome } from '../engine/apply.js'
import { EXIT_CODES_HELP } from '../errors.js'
import type { Plan } from '../plan/types.js'

export default class DestroyCommand extends BaseCommand {
  static summary = 'Remove everything shipit created for this app and env (shown as a plan first).'
  static description = `Deletes only resources that carry shipit's tags for this app and env; anything else with the same names is listed as kept.

${EXIT_CODES_HELP}`
  static examples = ['<%= config.bin %> destroy --target lambda', '<%= config.bin %> destroy --target fargate --env staging --yes']
  static strict = false
  static args = componentArgs
  static flags = {
    ...awsFlags,
    ...applyFlags,
    'dry-run': Flags.boolean({ summary: 'Only show what would be deleted.' }),
  }

  async run(): Promise<Plan | ApplyOutcome> {
    const { flags, argv } = await this.parse(DestroyCommand)
    const result = await planAndApply('destroy', { ...flags, components: componentNames(argv), json: this.jsonEnabled() }, flags['dry-run'], {
      out: (t) => this.out(t),
      note: (t) => this.note(t),
    })
    if (result.kind === 'plan') return result.plan
    this.out(renderOutcome(result.outcome))
    return result.outcome
  }
}
