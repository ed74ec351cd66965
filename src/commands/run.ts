import { readFileSync } from 'node:fs'
import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { awsFlags, lockFlags } from '../cli/flags.js'
import { interruptible } from '../cli/interrupt.js'
import { sessionOptions } from '../cli/workflow.js'
import { oneComponent, openEach } from '../engine/components.js'
import { runOneOff } from '../engine/run.js'
import { EXIT_CODES_HELP, type ExitCode, ShipitError } from '../errors.js'
import { type HeldLock, takeLock } from '../lock/lease.js'
import type { RunOutcome } from '../targets/target.js'
import { createReporter, outputMode } from '../ui/reporter.js'

export default class RunCommand extends BaseCommand {
  static summary = 'Run a one-off task (fargate/ecs) or invoke the function (lambda).'
  static description =
    `fargate/ecs: runs the app's task definition once, with an optional command after --, streams its logs and exits with the container's exit code. lambda: invokes the live alias with --payload (or stdin) and prints the response; exit 1 on a function error.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> run --target fargate -- npm run migrate',
    '<%= config.bin %> run migrate -- npm run migrate   # with components: the component first',
    '<%= config.bin %> run --target lambda --payload \'{"name":"ada"}\'',
    "echo '{}' | <%= config.bin %> run --target lambda",
  ]
  static strict = false
  static flags = {
    ...awsFlags,
    payload: Flags.string({ summary: 'lambda: the JSON event; default: stdin when piped, else {}.' }),
    timeout: Flags.integer({ summary: 'Longest wait in seconds for the task to finish.', default: 3600, min: 1 }),
    ...lockFlags(),
  }

  async run(): Promise<RunOutcome> {
    const { flags, argv } = await this.parse(RunCommand)
    const args = argv as string[]
    const sessions = await openEach(
      sessionOptions({ ...flags }, true, (t) => this.note(t)),
      [],
      'run',
    )
    // with components: `shipit run COMPONENT [-- CMD…]`, exactly one component; an app of one takes every argument as the command
    const dash = this.argv.indexOf('--')
    const after = dash < 0 ? [] : this.argv.slice(dash + 1)
    const named = args.filter((a) => a !== '--').slice(0, Math.max(0, args.filter((a) => a !== '--').length - after.length))
    const name = sessions[0].ofApp
      ? oneComponent(
          sessions.map((s) => s.name),
          named,
          'run',
        )
      : sessions[0].name
    const session = (sessions.find((s) => s.name === name) ?? sessions[0]).session
    const command = sessions[0].ofApp ? after : args.filter((a) => a !== '--')
    const interrupt = interruptible()
    const reporter = createReporter(outputMode(this.jsonEnabled()))
    let lock: HeldLock | undefined
    try {
      // a one-off task (a migration) must not run in the middle of a deploy; invoking the function changes nothing, so it takes no lock
      if (session.target.run.kind !== 'invoke' && !session.offline) {
        const scope = { app: session.desired.app, env: session.desired.env }
        lock = await takeLock(session.clients, {
          scope,
          command: 'run',
          timeoutSeconds: flags['lock-timeout'],
          signal: interrupt.signal,
          progress: (t) => this.note(t),
        })
      }
      const payload = flags.payload ?? (session.target.run.kind === 'invoke' && !process.stdin.isTTY ? readStdin() : undefined)
      const outcome = await runOneOff(session, {
        command: command.length ? command : undefined,
        payload,
        signal: interrupt.signal,
        timeoutSeconds: flags.timeout,
        onLog: (line) => this.note(line),
        reporter,
      })
      if (outcome.output !== undefined) this.out(outcome.output)
      const logs = outcome.details?.logs
      if (typeof logs === 'string' && logs) this.note(logs.trimEnd())
      if (outcome.exitCode !== 0) {
        const message = String(outcome.details?.message ?? `exited with code ${outcome.exitCode}`)
        throw new ShipitError('RunFailed', message, { exitCode: outcome.exitCode as ExitCode, source: 'aws', details: outcome.details })
      }
      return outcome
    } finally {
      reporter.close()
      await lock?.release().catch((err: Error) => this.note(`warning: ${err.message}`))
      interrupt.dispose()
      session.clients.destroy()
    }
  }
}

function readStdin(): string | undefined {
  try {
    const text = readFileSync(0, 'utf8')
    return text.trim() ? text : undefined
  } catch {
    return undefined
  }
}
