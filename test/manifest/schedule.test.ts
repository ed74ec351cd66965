import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifest, ManifestError } from '../../src/manifest/load.js'
import { resolveDesired } from '../../src/manifest/resolve.js'

async function problemsOf(yaml: string, target?: string): Promise<{ at: string; message: string; hint?: string }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-schedule-'))
  writeFileSync(join(dir, 'app.yaml'), yaml)
  try {
    await loadManifest(join(dir, 'app.yaml'), { target })
    return []
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e
    return e.problems.map((p) => ({ at: `${p.line}:${p.col}`, message: p.message, hint: p.hint }))
  }
}

const TASK = (schedule: string, mode = 'task') => `name: job
region: us-west-2
container:
  image: public.ecr.aws/docker/library/busybox:1.36
  mode: ${mode}
schedule: ${schedule}
`
const FUNCTION = (schedule: string) => `name: job
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
schedule: ${schedule}
`

describe('schedule: in app.yaml', () => {
  it('accepts cron and rate as EventBridge Scheduler writes them, and the object form', async () => {
    for (const ok of [
      '"cron(0 3 * * ? *)"',
      '"cron(0/15 8-17 ? * MON-FRI *)"',
      '"cron(0 12 L * ? 2030)"',
      '"cron(0 9 ? * 2#1 *)"',
      '"rate(1 minute)"',
      '"rate(5 minutes)"',
      '"rate(1 day)"',
      '{ expression: "rate(12 hours)", timezone: Asia/Tokyo, enabled: false }',
    ]) {
      expect(await problemsOf(TASK(ok), 'fargate'), ok).toEqual([])
    }
  })

  it('refuses malformed expressions at their line:col, saying what is wrong and how to write it', async () => {
    const cases: [string, string, RegExp][] = [
      ['"cron(0 3 * * *)"', '6:11', /has 5 fields; a cron expression has 6/],
      ['"cron(0 3 * * 1 *)"', '6:11', /day-of-month and day-of-week are both given; exactly one of them must be \?/],
      ['"cron(0 24 * * ? *)"', '6:11', /hours "24" is outside 0-23/],
      ['"cron(0 3 * FOO ? *)"', '6:11', /month "FOO" is outside 1-12 or JAN-DEC/],
      ['"rate(1 hours)"', '6:11', /write rate\(1 hour\) \(singular for 1\)/],
      ['"rate(5 minute)"', '6:11', /write rate\(5 minutes\) \(plural above 1\)/],
      ['"rate(0 minutes)"', '6:11', /positive whole number/],
      ['"rate(2 weeks)"', '6:11', /the unit weeks is not minute\(s\), hour\(s\) or day\(s\)/],
      ['"at(2030-01-01T00:00:00)"', '6:11', /one-time at\(…\) schedule/],
      ['"every night"', '6:11', /neither cron\(…\) nor rate\(…\)/],
      ['{ expression: "rate(2 hour)" }', '6:25', /write rate\(2 hours\)/],
    ]
    for (const [schedule, at, message] of cases) {
      const problems = await problemsOf(TASK(schedule), 'fargate')
      expect(problems, schedule).toHaveLength(1)
      expect(problems[0].at, schedule).toBe(at)
      expect(problems[0].message, schedule).toMatch(message)
      expect(problems[0].hint, schedule).toMatch(/cron\(|rate\(/)
    }
  })

  it('refuses a time zone that is not an IANA name', async () => {
    const problems = await problemsOf(TASK('{ expression: "rate(1 day)", timezone: Mars/Olympus }'), 'fargate')
    expect(problems).toEqual([
      { at: '6:50', message: 'schedule.timezone "Mars/Olympus" is not an IANA time zone', hint: expect.stringContaining('Europe/Paris') },
    ])
  })

  it('refuses a schedule on a service (it runs all the time), and a payload on a task', async () => {
    expect(await problemsOf(TASK('"rate(1 day)"', 'service'), 'fargate')).toEqual([
      {
        at: '6:1',
        message: 'schedule: starts a task at set times, but container.mode is service: a service runs all the time',
        hint: 'set container.mode: task for a scheduled job, or remove schedule:',
      },
    ])
    const payload = await problemsOf(TASK('{ expression: "rate(1 day)", payload: { a: 1 } }'), 'ecs')
    expect(payload).toHaveLength(1)
    expect(payload[0]).toMatchObject({ at: '6:40', message: expect.stringContaining("a container's task takes none") })
  })

  it('says what is wrong with the form of schedule: itself, not as an env value', async () => {
    const at = async (schedule: string) => (await problemsOf(TASK(schedule), 'fargate')).map((p) => `${p.at} ${p.message}`)
    expect(await at('42')).toEqual(['6:11 schedule must be a cron(…) or rate(…) expression, or a mapping; it is number 42'])
    expect(await at('{ expresion: "rate(1 day)" }')).toEqual(['6:13 unknown key "expresion" in schedule'])
    expect(await at('{ timezone: UTC }')).toEqual(['6:1 schedule.expression is required: the cron(…) or rate(…) expression'])
    expect(await at('{ expression: "rate(1 day)", enabled: "yes" }')).toEqual(['6:49 schedule.enabled must be true or false, not the string "yes"'])
    expect(await at('"rate(1 day)"\n'.replace('\\n', ''))).toEqual([])
    const zero = await problemsOf(TASK('"rate(1 day)"').replace('mode: task', 'mode: task\n  count: 0'), 'fargate')
    expect(zero.map((p) => p.message)).toEqual([
      'container.count 0 with schedule: each run of the schedule starts count tasks, and Scheduler starts at least 1',
    ])
  })

  it('a function takes a payload (JSON text or an object); the time zone defaults to UTC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-schedule-'))
    writeFileSync(join(dir, 'app.yaml'), FUNCTION('{ expression: "rate(1 hour)", payload: { kind: hourly } }'))
    const loaded = await loadManifest(join(dir, 'app.yaml'), { target: 'lambda' })
    expect(resolveDesired(loaded, { target: 'lambda' }).schedule).toEqual({
      expression: 'rate(1 hour)',
      timezone: 'UTC',
      enabled: true,
      payload: '{"kind":"hourly"}',
    })
  })
})
