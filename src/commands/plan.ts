import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { componentArgs, componentNames } from '../cli/component-args.js'
import { awsFlags, planFlags } from '../cli/flags.js'
import { planAndApply } from '../cli/workflow.js'
import { EXIT_CODES_HELP } from '../errors.js'
import type { Plan } from '../plan/types.js'
import { planMarkdown } from '../ui/github.js'

export default class PlanCommand extends BaseCommand {
  static summary = 'Show what a deploy would change, step by step, without changing anything.'
  static description =
    `Reads what is live (read-only calls) and prints the plan: create (+), update (~), replace (-/+), delete (-) and run (>), field by field. With no AWS credentials configured at all (or with --offline) it plans as if nothing existed; configured credentials that fail are an error (exit 1).

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> plan --target lambda',
    '<%= config.bin %> plan --target fargate --env prod --json',
    '<%= config.bin %> plan --target lambda --cli',
    '<%= config.bin %> plan --target lambda --cli --out runbook',
    '<%= config.bin %> plan --target lambda --out plan.json --detailed-exitcode',
    '<%= config.bin %> plan --env pr-7 --markdown > plan.md',
  ]
  static strict = false
  static args = componentArgs
  static flags = {
    ...awsFlags,
    ...planFlags,
    out: Flags.string({
      char: 'o',
      summary: 'Save the plan for `shipit deploy --plan FILE`; with --cli, the directory for deploy.sh and the package.',
      helpValue: 'plan.json|DIR',
    }),
    cli: Flags.boolean({
      summary:
        'Print the plan as a bash script that performs it with the aws CLI (v1 1.30.2+ / v2 2.13.38+); with --out DIR, write DIR/deploy.sh and DIR/function.zip.',
    }),
    'detailed-exitcode': Flags.boolean({ summary: 'Exit 2 when the plan has changes, 0 when none, 1 on error.' }),
    destroy: Flags.boolean({ summary: 'Plan a destroy instead of a deploy.' }),
    markdown: Flags.boolean({
      summary: 'Print the plan as Markdown (with its monthly cost), as GitHub Actions writes it to the job summary: for a pull-request comment.',
      exclusive: ['cli'],
    }),
  }

  async run(): Promise<Plan> {
    const { flags, argv } = await this.parse(PlanCommand)
    const result = await planAndApply(flags.destroy ? 'destroy' : 'deploy', { ...flags, components: componentNames(argv), json: this.jsonEnabled() }, true, {
      // with --markdown the plan is printed as Markdown below, in place of its text
      out: (t) => flags.markdown || this.out(t),
      note: (t) => this.note(t),
    })
    if (flags.markdown) this.out(planMarkdown(result.plan))
    return result.plan
  }
}
