import { BaseCommand } from '../cli/base-command.js'
import { manifestFlags, targetFlag } from '../cli/flags.js'
import { didYouMean } from '../did-you-mean.js'
import { describeValid, type ValidateResult, validateManifest } from '../engine/validate.js'
import { EXIT_CODES_HELP, invalid } from '../errors.js'

export default class ValidateCommand extends BaseCommand {
  static summary = 'Check app.yaml offline: schema and AWS limits, every problem with its line and column.'
  static description =
    `Makes no AWS call. Problems are printed as FILE:LINE:COL: what is wrong — what to do. Every environment is checked; --env also checks that the one given is declared.

${EXIT_CODES_HELP}`
  static examples = ['<%= config.bin %> validate', '<%= config.bin %> validate -f services/api/app.yaml --json']
  static flags = { ...manifestFlags, target: targetFlag }

  async run(): Promise<ValidateResult> {
    const { flags } = await this.parse(ValidateCommand)
    const result = await validateManifest(flags.file, flags.target)
    // the same answer plan and deploy give for an --env that app.yaml does not declare
    if (flags.env !== undefined && flags.env !== 'dev' && !result.environments.includes(flags.env)) {
      const guess = didYouMean(flags.env, result.environments)
      throw invalid('UnknownEnvironment', `environment "${flags.env}" is not in ${result.file}${guess ? ` — did you mean ${guess}?` : ''}`, [
        `declared: dev (the default)${result.environments.length ? `, ${result.environments.join(', ')}` : ''}`,
      ])
    }
    for (const warning of result.warnings) this.note(`warning: ${warning}`)
    this.out(describeValid(result))
    return result
  }
}
