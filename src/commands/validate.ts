import { BaseCommand } from '../cli/base-command.js'
import { manifestFlags, targetFlag } from '../cli/flags.js'
import { EXIT_CODES_HELP } from '../errors.js'
import { loadManifest } from '../manifest/load.js'
import { resolveDesired } from '../manifest/resolve.js'

export interface ValidateResult {
  file: string
  valid: true
  app: string
  environments: string[]
  targets: string[]
}

export default class ValidateCommand extends BaseCommand {
  static summary = 'Check app.yaml offline: schema and AWS limits, every problem with its line and column.'
  static description = `Makes no AWS call. Problems are printed as FILE:LINE:COL: what is wrong — what to do.

${EXIT_CODES_HELP}`
  static examples = ['<%= config.bin %> validate', '<%= config.bin %> validate -f services/api/app.yaml --json']
  static flags = { ...manifestFlags, target: targetFlag }

  async run(): Promise<ValidateResult> {
    const { flags } = await this.parse(ValidateCommand)
    const loaded = await loadManifest(flags.file)
    const m = loaded.manifest
    const targets = [...(m.function ? ['lambda'] : []), ...(m.container ? ['fargate', 'ecs'] : [])]
    // each environment must resolve for each target the manifest can serve
    for (const env of [undefined, ...Object.keys(m.environments)]) {
      for (const target of flags.target ? [flags.target] : targets) resolveDesired(loaded, { env, target })
    }
    this.out(`${loaded.file} is valid: app ${m.name}; targets ${targets.join(', ') || 'none'}; environments ${Object.keys(m.environments).join(', ') || 'none (default dev)'}`)
    return { file: loaded.file, valid: true, app: m.name, environments: Object.keys(m.environments), targets }
  }
}
