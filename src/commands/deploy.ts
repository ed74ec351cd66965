import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { applyFlags, awsFlags, planFlags } from '../cli/flags.js'
import { planAndApply, renderOutcome } from '../cli/workflow.js'
import type { ApplyOutcome } from '../engine/apply.js'
import { EXIT_CODES_HELP } from '../errors.js'
import type { Plan } from '../plan/types.js'

export default class DeployCommand extends BaseCommand {
  static summary = 'Plan, confirm and apply: put the app on AWS and print where it runs.'
  static description =
    `Shows the plan first; asks on a terminal, or needs --yes in CI. Applies step by step, waiting for each resource to be ready, and stops at the first failure saying what was done and what was not: run it again to finish. Running it twice changes nothing the second time.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> deploy --target lambda --dry-run',
    '<%= config.bin %> deploy --target lambda --yes',
    '<%= config.bin %> deploy --target fargate --env prod --yes --json',
    '<%= config.bin %> deploy --plan plan.json --yes',
  ]
  static flags = {
    ...awsFlags,
    ...planFlags,
    ...applyFlags,
    'dry-run': Flags.boolean({ summary: 'Only plan (same as `shipit plan`); nothing is changed.' }),
    plan: Flags.string({ summary: 'Apply this saved plan (from `shipit plan --out`), if what is live has not changed since.', helpValue: 'plan.json' }),
    cli: Flags.boolean({ summary: 'Show the plan as a bash script of aws CLI commands.' }),
    out: Flags.string({
      summary: 'With --dry-run: save the plan; with --cli, the directory for deploy.sh and the package.',
      helpValue: 'plan.json|DIR',
      dependsOn: ['dry-run'],
    }),
    'detailed-exitcode': Flags.boolean({ summary: 'With --dry-run: exit 2 when there are changes.', dependsOn: ['dry-run'] }),
  }

  async run(): Promise<Plan | ApplyOutcome> {
    const { flags } = await this.parse(DeployCommand)
    const result = await planAndApply('deploy', { ...flags, json: this.jsonEnabled() }, flags['dry-run'], {
      out: (t) => this.out(t),
      note: (t) => this.note(t),
    })
    if (result.kind === 'plan') return result.plan
    this.out(renderOutcome(result.outcome))
    return result.outcome
  }
}
