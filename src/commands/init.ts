import { access, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { invalid } from '../errors.js'
import { AppName, TARGETS } from '../manifest/schema.js'
import { packageRoot } from '../paths.js'

interface InitResult {
  written: string[]
}

export default class InitCommand extends BaseCommand {
  static summary = 'Write a commented app.yaml for a target (and a hello handler for lambda).'
  static examples = [
    '<%= config.bin %> init --target lambda',
    '<%= config.bin %> init --target fargate --name web',
    '<%= config.bin %> init --target ecs -f infra/app.yaml --force',
    '<%= config.bin %> init --components',
  ]
  static flags = {
    target: Flags.string({ char: 't', summary: 'Which starter to write.', options: [...TARGETS], default: 'lambda' }),
    name: Flags.string({ summary: 'App name; default: the directory name, cleaned.' }),
    file: Flags.string({ char: 'f', summary: 'Where to write the manifest.', default: 'app.yaml' }),
    force: Flags.boolean({ summary: 'Overwrite existing files.' }),
    components: Flags.boolean({
      summary: 'Write an app of several components (an API on lambda, a web service, a worker and a migration on fargate) and the API handler.',
    }),
  }

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(InitCommand)
    const dir = dirname(resolve(flags.file))
    const name = flags.name ?? defaultName(basename(dir))
    if (!AppName.safeParse(name).success) {
      throw invalid('InvalidName', `"${name}" is not a valid app name`, ['pass --name with lowercase letters, digits and hyphens, starting with a letter'])
    }
    const templates = join(packageRoot(), 'templates')
    const files: [string, string][] = flags.components
      ? [
          [join(templates, 'components', 'app.yaml'), resolve(flags.file)],
          [join(templates, 'components', 'api', 'index.js'), join(dir, 'api', 'index.js')],
        ]
      : [[join(templates, `${flags.target}.yaml`), resolve(flags.file)]]
    if (flags.target === 'lambda' && !flags.components) files.push([join(templates, 'handler', 'index.mjs'), join(dir, 'src', 'index.mjs')])
    if (!flags.force) {
      for (const [, to] of files) {
        const exists = await access(to).then(
          () => true,
          () => false,
        )
        if (exists) throw invalid('FileExists', `${to} already exists`, ['pass --force to overwrite it'])
      }
    }
    const written: string[] = []
    for (const [from, to] of files) {
      await mkdir(dirname(to), { recursive: true })
      if (from.endsWith('.yaml')) await writeFile(to, (await readFile(from, 'utf8')).replace(/^name: \S+/m, `name: ${name}`))
      else await copyFile(from, to)
      written.push(to)
    }
    this.out(`Wrote ${written.join(', ')}\nNext: shipit validate && shipit plan${flags.components ? '' : ` --target ${flags.target}`}`)
    return { written }
  }
}

function defaultName(dir: string): string {
  const cleaned = dir
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+/g, '-')
    .replace(/-$/, '')
    .slice(0, 40)
  return cleaned || 'app'
}
