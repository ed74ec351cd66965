import { BaseCommand } from '../cli/base-command.js'
import { jsonSchema } from '../manifest/schema.js'

export default class SchemaCommand extends BaseCommand {
  static summary = 'Print the JSON Schema of app.yaml, for editors (yaml-language-server) and other tools.'
  static examples = ['<%= config.bin %> schema > app.schema.json']
  static enableJsonFlag = false

  async run(): Promise<void> {
    await this.parse(SchemaCommand)
    process.stdout.write(`${JSON.stringify(jsonSchema(), null, 2)}\n`)
  }
}
