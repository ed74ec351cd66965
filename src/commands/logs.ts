import { Flags } from '@oclif/core'
import { needsCredentials } from '../aws/credentials.js'
import { BaseCommand } from '../cli/base-command.js'
import { componentArgs, componentNames } from '../cli/component-args.js'
import { awsFlags } from '../cli/flags.js'
import { interruptible } from '../cli/interrupt.js'
import { sessionOptions } from '../cli/workflow.js'
import { openEach } from '../engine/components.js'
import { formatLogEvent, type LogEvent, parseSince, readLogs } from '../engine/logs.js'
import { EXIT_CODES_HELP, ExitCode } from '../errors.js'
import { heldLockNote } from '../lock/notice.js'
import { redact } from '../redact.js'

export default class LogsCommand extends BaseCommand {
  static summary = 'CloudWatch logs of the function or of the tasks, in time order across streams.'
  static description =
    `With --follow, new lines keep coming until Ctrl-C. With --json, one JSON document with the events (not with --follow: then one JSON object per line).

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> logs --target lambda --since 1h',
    '<%= config.bin %> logs --target fargate --follow',
    '<%= config.bin %> logs --target lambda --filter ERROR --json',
  ]
  static strict = false
  static args = componentArgs
  static flags = {
    ...awsFlags,
    since: Flags.string({ summary: 'How far back: 30s, 10m, 2h, 1d or an ISO date.', default: '10m' }),
    follow: Flags.boolean({ summary: 'Keep printing new lines until interrupted.' }),
    filter: Flags.string({ summary: 'A CloudWatch Logs filter pattern, e.g. ERROR or "?ERROR ?WARN".' }),
  }

  async run(): Promise<{ logGroup: string; events: LogEvent[] } | undefined> {
    const { flags, argv } = await this.parse(LogsCommand)
    const startTime = parseSince(flags.since)
    const sessions = await openEach({ ...sessionOptions({ ...flags }, false, (t) => this.note(t)), existingOnly: true }, componentNames(argv), 'logs')
    const session = sessions[0].session
    const interrupt = interruptible()
    try {
      if (session.offline) throw needsCredentials('logs reads CloudWatch Logs in AWS')
      const held = await heldLockNote(session.clients, { app: session.desired.app, env: session.desired.env }, interrupt.signal)
      if (held) this.note(held)
      const logGroup = session.desired.names.logGroup
      const events: LogEvent[] = []
      const json = this.jsonEnabled()
      let count = 0
      // with components: every component's log group at once, each line prefixed by its component
      const label = (name: string) => (sessions[0].ofApp ? `[${name}] ` : '')
      const read = sessions.map(({ name, session: s }) =>
        mapEvents(
          readLogs(s.clients, { logGroup: s.desired.names.logGroup, startTime, filterPattern: flags.filter, follow: flags.follow, signal: interrupt.signal }),
          sessions[0].ofApp ? { component: name } : {},
        ),
      )
      const show = (e: LogEvent & { component?: string }) => {
        count++
        if (json && flags.follow) process.stdout.write(`${redact(JSON.stringify(e))}\n`)
        else if (json) events.push(e)
        else process.stdout.write(`${redact(`${label(e.component ?? '')}${formatLogEvent(e)}`)}\n`)
      }
      if (flags.follow || read.length === 1)
        await Promise.all(
          read.map(async (events) => {
            for await (const e of events) show(e)
          }),
        )
      else {
        // interleaved by time: what one component logged between two lines of another shows between them
        const all = (
          await Promise.all(
            read.map(async (events) => {
              const got = []
              for await (const e of events) got.push(e)
              return got
            }),
          )
        ).flat()
        for (const e of all.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0))) show(e)
      }
      // nothing to show is an answer, not a failure: exit 0, said on stderr so stdout stays the events
      if (count === 0 && !flags.follow) this.note(noEventsLine(session.desired, flags.since, flags.filter))
      // Ctrl-C is how --follow ends: 130, as for every interruption
      if (interrupt.signal.aborted) process.exitCode = ExitCode.Interrupted
      return json && !flags.follow ? { logGroup, events } : undefined
    } finally {
      interrupt.dispose()
      session.clients.destroy()
    }
  }
}

async function* mapEvents(events: AsyncIterable<LogEvent>, extra: { component?: string }): AsyncGenerator<LogEvent & { component?: string }> {
  for await (const e of events) yield { ...e, ...extra }
}

/** "no log events for hello (dev) on lambda in the last 10m" */
function noEventsLine(desired: { app: string; env: string; target: string }, since: string, filter?: string): string {
  const window = /^\d+[smhd]$/.test(since.trim()) ? `in the last ${since.trim()}` : `since ${since}`
  return `no log events for ${desired.app} (${desired.env}) on ${desired.target} ${window}${filter ? ` matching ${filter}` : ''}`
}
