import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { componentArgs, componentNames } from '../cli/component-args.js'
import { applyFlags, awsFlags, planFlags } from '../cli/flags.js'
import { planAndApply, renderOutcome } from '../cli/workflow.js'
import type { ApplyOutcome } from '../engine/apply.js'
import { EXIT_CODES_HELP } from '../errors.js'
import type { Plan } from '../plan/types.js'
import { reportDeployToGitHub } from '../ui/github.js'

export default class DeployCommand extends BaseCommand {
  static summary = 'Plan, confirm and apply: put the app on AWS and print where it runs.'
  static description =
    `Shows the plan first; asks on a terminal, or needs --yes in CI. Applies step by step, waiting for each resource to be ready, and stops at the first failure saying what was done and what was not: run it again to finish. Running it twice changes nothing the second time.

${EXIT_CODES_HELP}`
  // written out: oclif's generated line loses --dry-run when two flags depend on it, and shows --wait for --no-wait
  static usage =
    '<%= command.id %> [-t fargate|ecs|lambda] [-e dev] [-f app.yaml] [-y] [--no-wait] [--timeout SECONDS] [--adopt] [--plan plan.json] [--dry-run [--offline] [--cli] [--out plan.json|DIR] [--detailed-exitcode]] [--json] [AWS FLAGS]'
  static examples = [
    '<%= config.bin %> deploy --target lambda --dry-run',
    '<%= config.bin %> deploy --target lambda --yes',
    '<%= config.bin %> deploy --target fargate --env prod --yes --json',
    '<%= config.bin %> deploy --plan plan.json --yes',
    '<%= config.bin %> deploy --target fargate --yes --no-wait',
  ]
  static strict = false
  static args = componentArgs
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
    wait: Flags.boolean({
      summary: 'Wait for the rollout (default). --no-wait returns once AWS accepted the last change; follow it with `shipit status`.',
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<Plan | ApplyOutcome> {
    const { flags, argv } = await this.parse(DeployCommand)
    const result = await planAndApply('deploy', { ...flags, components: componentNames(argv), json: this.jsonEnabled() }, flags['dry-run'], {
      out: (t) => this.out(t),
      note: (t) => this.note(t),
    })
    if (result.kind === 'plan') return result.plan
    this.out(renderOutcome(result.outcome))
    reportDeployToGitHub(result.plan, result.outcome)
    if (flags.wait === false && result.outcome.status === 'applied') {
      this.note(`not waited for the rollout: follow it with shipit status --target ${result.outcome.target}${flags.env ? ` --env ${flags.env}` : ''}`)
    }
    return result.outcome
  }
}
