import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { applyFlags, awsFlags, planFlags } from '../cli/flags.js'
import { type MoveResult, moveApp } from '../cli/move.js'
import { EXIT_CODES_HELP } from '../errors.js'
import { TARGETS } from '../manifest/schema.js'

const { target: _target, ...connection } = awsFlags
const { offline: _offline, ...planning } = planFlags

export default class MoveCommand extends BaseCommand {
  static summary = 'Move the app to another target: deploy it there, check its URL answers, then destroy it where it was.'
  static description =
    `One plan first: the deploy of --to and the destroy of --from, with the monthly cost before and after. Under one deploy lock, shipit deploys --to, waits until its URL answers the health path (container.healthCheckPath, else /) with a status below 500, prints both URLs, and only then destroys what shipit created on --from (by its tags; what --to uses, such as the log group, is kept).

If --to does not come up within --check-timeout, --from is left as it was (not one call changes it) and --to stays deployed: exit 1, with how to retry or remove it. A signal never lets the destroy start (exit 130).

${EXIT_CODES_HELP}`
  static usage =
    '<%= command.id %> --from fargate|ecs|lambda --to fargate|ecs|lambda [-e dev] [-f app.yaml] [-y] [--dry-run] [--no-check] [--check-timeout SECONDS] [--timeout SECONDS] [--json] [AWS FLAGS]'
  static examples = [
    '<%= config.bin %> move --from fargate --to lambda --dry-run',
    '<%= config.bin %> move --from fargate --to lambda --yes',
    '<%= config.bin %> move --from lambda --to fargate --env prod --yes --check-timeout 600',
  ]
  static flags = {
    ...connection,
    ...planning,
    ...applyFlags,
    from: Flags.string({ summary: 'Where the app runs now (destroyed last).', options: [...TARGETS], required: true }),
    to: Flags.string({ summary: 'Where it should run (deployed first).', options: [...TARGETS], required: true }),
    'dry-run': Flags.boolean({ summary: 'Only show the plan of the move; nothing is changed.' }),
    check: Flags.boolean({
      summary: 'Check that the new URL answers before destroying the old target (default). --no-check: where the deployer cannot reach the URL.',
      default: true,
      allowNo: true,
    }),
    'check-timeout': Flags.integer({ summary: 'Longest wait, in seconds, for the new URL to answer below 500.', default: 300, min: 1, helpValue: 'SECONDS' }),
  }

  async run(): Promise<MoveResult> {
    const { flags } = await this.parse(MoveCommand)
    const result = await moveApp(
      { ...flags, from: flags.from as MoveFlagsTarget, to: flags.to as MoveFlagsTarget, json: this.jsonEnabled() },
      { out: (t) => this.out(t), note: (t) => this.note(t) },
    )
    if (result.kind === 'plan') return result
    const { move, urls } = result
    this.out(
      [
        `Moved ${move.deploy.app} (${move.deploy.env}) from ${move.from} to ${move.to} in ${move.deploy.region}.`,
        `url: ${urls.to ?? '(none)'}${result.check ? ` (answered ${result.check.status})` : ' (not checked)'}`,
        ...(urls.aws ? [`aws: ${urls.aws} (${move.to}'s own)`] : []),
        ...(urls.from ? [`was: ${urls.from} (destroyed)`] : []),
      ].join('\n'),
    )
    return result
  }
}

type MoveFlagsTarget = (typeof TARGETS)[number]
