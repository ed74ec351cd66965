import { BaseCommand } from '../cli/base-command.js'
import { manifestFlags, targetFlag } from '../cli/flags.js'
import { describeValid, type ValidateResult, validateManifest } from '../engine/validate.js'
import { EXIT_CODES_HELP } from '../errors.js'

export default class ValidateCommand extends BaseCommand {
  static summary = 'Check app.yaml offline: schema and AWS limits, every problem with its line and column.'
  static description = `Makes no AWS call. Problems are printed as FILE:LINE:COL: what is wrong — what to do.

${EXIT_CODES_HELP}`
  static examples = ['<%= config.bin %> validate', '<%= config.bin %> validate -f services/api/app.yaml --json']
  static flags = { ...manifestFlags, target: targetFlag }

  async run(): Promise<ValidateResult> {
    const { flags } = await this.parse(ValidateCommand)
    const result = await validateManifest(flags.file, flags.target)
    this.out(describeValid(result))
    return result
  }
}
