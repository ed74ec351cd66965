import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { awsFlags, planFlags } from '../cli/flags.js'
import { planAndApply } from '../cli/workflow.js'
import { EXIT_CODES_HELP } from '../errors.js'
import type { Plan } from '../plan/types.js'

export default class PlanCommand extends BaseCommand {
  static summary = 'Show what a deploy would change, step by step, without changing anything.'
  static description =
    `Reads what is live (read-only calls) and prints the plan: create (+), update (~), replace (-/+), delete (-) and run (>), field by field. With no AWS credentials configured at all (or with --offline) it plans as if nothing existed; configured credentials that fail are an error (exit 1).

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> plan --target lambda',
    '<%= config.bin %> plan --target fargate --env prod --json',
    '<%= config.bin %> plan --target lambda --cli',
    '<%= config.bin %> plan --target lambda --out plan.json --detailed-exitcode',
  ]
  static flags = {
    ...awsFlags,
    ...planFlags,
    out: Flags.string({ char: 'o', summary: 'Save the plan for `shipit deploy --plan FILE`.', helpValue: 'plan.json' }),
    cli: Flags.boolean({ summary: 'Print the plan as the equivalent aws CLI commands, one per step.' }),
    'detailed-exitcode': Flags.boolean({ summary: 'Exit 2 when the plan has changes, 0 when none, 1 on error.' }),
    destroy: Flags.boolean({ summary: 'Plan a destroy instead of a deploy.' }),
  }

  async run(): Promise<Plan> {
    const { flags } = await this.parse(PlanCommand)
    const result = await planAndApply(flags.destroy ? 'destroy' : 'deploy', { ...flags, json: this.jsonEnabled() }, true, {
      out: (t) => this.out(t),
      note: (t) => this.note(t),
    })
    return result.plan
  }
}
