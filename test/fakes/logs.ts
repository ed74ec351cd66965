import type { FakeContext } from './context.js'
import { awsError, decodeToken, encodeToken, type Handlers } from './core.js'

export interface LogEventRecord {
  timestamp: number
  message: string
  ingestionTime: number
  eventId: string
}

export interface LogStreamRecord {
  logStreamName: string
  creationTime: number
  events: LogEventRecord[]
}

export interface LogGroupRecord {
  logGroupName: string
  creationTime: number
  retentionInDays?: number
  kmsKeyId?: string
  logGroupClass: string
  tags: Record<string, string>
  streams: Map<string, LogStreamRecord>
}

export interface LogsState {
  logGroups: Map<string, LogGroupRecord>
}

export function createLogsState(): LogsState {
  return { logGroups: new Map() }
}

const RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
const err = (name: string, message: string) => awsError('logs', name, message)
const groupMissing = () => err('ResourceNotFoundException', 'The specified log group does not exist.')

let eventSeq = 0

/** Appends events to a stream (creating the stream, and the group when asked). Used by the test helper, Lambda and ECS. */
export function appendLogEvents(
  ctx: FakeContext,
  group: string,
  stream: string,
  events: { timestamp: number; message: string }[],
  opts: { createGroup?: boolean } = {},
): boolean {
  let g = ctx.state.logs.logGroups.get(group)
  if (!g) {
    if (!opts.createGroup) return false
    g = { logGroupName: group, creationTime: ctx.now().getTime(), logGroupClass: 'STANDARD', tags: {}, streams: new Map() }
    ctx.state.logs.logGroups.set(group, g)
  }
  let s = g.streams.get(stream)
  if (!s) {
    s = { logStreamName: stream, creationTime: ctx.now().getTime(), events: [] }
    g.streams.set(stream, s)
  }
  const ingestionTime = ctx.now().getTime()
  for (const e of events) {
    eventSeq += 1
    s.events.push({ timestamp: e.timestamp, message: e.message, ingestionTime, eventId: String(eventSeq).padStart(56, '0') })
  }
  s.events.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId))
  return true
}

/** CloudWatch filter patterns, simplified: space-separated terms must all occur; "quoted phrases" are one term; ?term = any-of. */
function matchesPattern(pattern: string | undefined, message: string): boolean {
  if (!pattern || pattern.trim() === '') return true
  const terms = pattern.match(/\?"[^"]*"|\?\S+|"[^"]*"|\S+/g) ?? []
  const anyOf = terms.filter((t) => t.startsWith('?')).map((t) => t.slice(1).replace(/^"|"$/g, ''))
  const allOf = terms.filter((t) => !t.startsWith('?')).map((t) => t.replace(/^"|"$/g, ''))
  if (anyOf.length) return anyOf.some((t) => message.includes(t))
  return allOf.every((t) => (t.startsWith('-') && t.length > 1 ? !message.includes(t.slice(1)) : message.includes(t)))
}

export function logsHandlers(ctx: FakeContext): Handlers {
  const groups = () => ctx.state.logs.logGroups
  const arnOf = (name: string) => `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}`
  const getGroup = (name: string | undefined, identifier?: string): LogGroupRecord => {
    let n = name
    if (!n && identifier) n = identifier.startsWith('arn:') ? identifier.replace(/^arn:[^:]+:logs:[^:]+:\d{12}:log-group:/, '').replace(/:\*$/, '') : identifier
    const g = n ? groups().get(n) : undefined
    if (!g) throw groupMissing()
    return g
  }
  const groupByArn = (arn: string): LogGroupRecord => {
    const m = /^arn:aws[a-zA-Z-]*:logs:([^:]+):(\d{12}):log-group:(.+)$/.exec(arn ?? '')
    // like AWS: the DescribeLogGroups `arn` (with the trailing ':*') is rejected; `logGroupArn` is the one to use
    if (!m || m[3].endsWith(':*')) throw err('ValidationException', 'Invalid resourceArn')
    const g = m[1] === ctx.region && m[2] === ctx.account ? groups().get(m[3]) : undefined
    if (!g) throw groupMissing()
    return g
  }
  const checkName = (name: unknown) => {
    if (typeof name !== 'string' || !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) {
      throw err(
        'InvalidParameterException',
        `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
      )
    }
  }
  const describe = (g: LogGroupRecord) => {
    const o: Record<string, unknown> = {
      logGroupName: g.logGroupName,
      creationTime: g.creationTime,
      retentionInDays: g.retentionInDays,
      metricFilterCount: 0,
      arn: `${arnOf(g.logGroupName)}:*`,
      storedBytes: [...g.streams.values()].reduce((n, s) => n + s.events.reduce((m, e) => m + e.message.length, 0), 0),
      kmsKeyId: g.kmsKeyId,
      logGroupClass: g.logGroupClass,
      logGroupArn: arnOf(g.logGroupName),
    }
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
    return o
  }

  return {
    DescribeLogGroups: (input) => {
      if (input.logGroupNamePrefix && input.logGroupNamePattern) {
        throw err('InvalidParameterException', 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.')
      }
      const limit = input.limit ?? 50
      if (limit < 1 || limit > 50)
        throw err(
          'InvalidParameterException',
          `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`,
        )
      const all = [...groups().values()]
        .filter((g) => !input.logGroupNamePrefix || g.logGroupName.startsWith(input.logGroupNamePrefix))
        .filter((g) => !input.logGroupNamePattern || g.logGroupName.toLowerCase().includes(String(input.logGroupNamePattern).toLowerCase()))
        .filter((g) => !input.logGroupClass || g.logGroupClass === input.logGroupClass)
        .sort((a, b) => (a.logGroupName < b.logGroupName ? -1 : a.logGroupName > b.logGroupName ? 1 : 0))
      const start = decodeToken(input.nextToken, 'lg') ?? 0
      if (start < 0) throw err('InvalidParameterException', 'The specified nextToken is invalid.')
      const slice = all.slice(start, start + limit)
      return { logGroups: slice.map(describe), nextToken: start + limit < all.length ? encodeToken(start + limit, 'lg') : undefined }
    },

    CreateLogGroup: (input) => {
      checkName(input.logGroupName)
      if (groups().has(input.logGroupName)) throw err('ResourceAlreadyExistsException', 'The specified log group already exists')
      groups().set(input.logGroupName, {
        logGroupName: input.logGroupName,
        creationTime: ctx.now().getTime(),
        kmsKeyId: input.kmsKeyId,
        logGroupClass: input.logGroupClass ?? 'STANDARD',
        tags: { ...(input.tags ?? {}) },
        streams: new Map(),
      })
      return {}
    },

    DeleteLogGroup: (input) => {
      getGroup(input.logGroupName)
      groups().delete(input.logGroupName)
      return {}
    },

    PutRetentionPolicy: (input) => {
      const g = getGroup(input.logGroupName)
      if (!RETENTION.includes(input.retentionInDays)) {
        throw err(
          'InvalidParameterException',
          `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION.join(', ')}]`,
        )
      }
      g.retentionInDays = input.retentionInDays
      return {}
    },

    DeleteRetentionPolicy: (input) => {
      delete getGroup(input.logGroupName).retentionInDays
      return {}
    },

    ListTagsForResource: (input) => ({ tags: { ...groupByArn(input.resourceArn).tags } }),

    TagResource: (input) => {
      const g = groupByArn(input.resourceArn)
      Object.assign(g.tags, input.tags ?? {})
      if (Object.keys(g.tags).length > 50) throw err('TooManyTagsException', 'A resource can have no more than 50 tags.')
      return {}
    },

    UntagResource: (input) => {
      const g = groupByArn(input.resourceArn)
      for (const k of input.tagKeys ?? []) delete g.tags[k]
      return {}
    },

    ListTagsLogGroup: (input) => ({ tags: { ...getGroup(input.logGroupName).tags } }),

    TagLogGroup: (input) => {
      Object.assign(getGroup(input.logGroupName).tags, input.tags ?? {})
      return {}
    },

    UntagLogGroup: (input) => {
      const g = getGroup(input.logGroupName)
      for (const k of input.tags ?? []) delete g.tags[k]
      return {}
    },

    CreateLogStream: (input) => {
      const g = getGroup(input.logGroupName)
      if (g.streams.has(input.logStreamName)) throw err('ResourceAlreadyExistsException', 'The specified log stream already exists')
      g.streams.set(input.logStreamName, { logStreamName: input.logStreamName, creationTime: ctx.now().getTime(), events: [] })
      return {}
    },

    DeleteLogStream: (input) => {
      const g = getGroup(input.logGroupName)
      if (!g.streams.delete(input.logStreamName)) throw err('ResourceNotFoundException', 'The specified log stream does not exist.')
      return {}
    },

    PutLogEvents: (input) => {
      const g = getGroup(input.logGroupName)
      if (!g.streams.has(input.logStreamName)) throw err('ResourceNotFoundException', 'The specified log stream does not exist.')
      appendLogEvents(ctx, input.logGroupName, input.logStreamName, input.logEvents ?? [])
      return { nextSequenceToken: encodeToken(Date.now(), 'seq') }
    },

    DescribeLogStreams: (input) => {
      const g = getGroup(input.logGroupName, input.logGroupIdentifier)
      if (input.logStreamNamePrefix && input.orderBy === 'LastEventTime') {
        throw err('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.')
      }
      const limit = input.limit ?? 50
      let all = [...g.streams.values()].filter((s) => !input.logStreamNamePrefix || s.logStreamName.startsWith(input.logStreamNamePrefix))
      if (input.orderBy === 'LastEventTime') {
        all.sort((a, b) => (a.events.at(-1)?.timestamp ?? a.creationTime) - (b.events.at(-1)?.timestamp ?? b.creationTime))
      } else all.sort((a, b) => (a.logStreamName < b.logStreamName ? -1 : 1))
      if (input.descending) all = all.reverse()
      const start = decodeToken(input.nextToken, 'ls') ?? 0
      if (start < 0) throw err('InvalidParameterException', 'The specified nextToken is invalid.')
      const slice = all.slice(start, start + limit)
      return {
        logStreams: slice.map((s) => ({
          logStreamName: s.logStreamName,
          creationTime: s.creationTime,
          firstEventTimestamp: s.events[0]?.timestamp,
          lastEventTimestamp: s.events.at(-1)?.timestamp,
          lastIngestionTime: s.events.at(-1)?.ingestionTime,
          uploadSequenceToken: undefined,
          arn: `${arnOf(g.logGroupName)}:log-stream:${s.logStreamName}`,
          storedBytes: 0,
        })),
        nextToken: start + limit < all.length ? encodeToken(start + limit, 'ls') : undefined,
      }
    },

    FilterLogEvents: (input) => {
      const g = getGroup(input.logGroupName, input.logGroupIdentifier)
      if (input.logStreamNames && input.logStreamNamePrefix) {
        throw err('InvalidParameterException', 'You cannot specify both LogStreamNames and LogStreamNamePrefix')
      }
      const limit = input.limit ?? 10000
      const all = [...g.streams.values()]
        .filter((s) => !input.logStreamNames || input.logStreamNames.includes(s.logStreamName))
        .filter((s) => !input.logStreamNamePrefix || s.logStreamName.startsWith(input.logStreamNamePrefix))
        .flatMap((s) => s.events.map((e) => ({ logStreamName: s.logStreamName, ...e })))
        .filter((e) => input.startTime === undefined || e.timestamp >= input.startTime)
        .filter((e) => input.endTime === undefined || e.timestamp <= input.endTime)
        .filter((e) => matchesPattern(input.filterPattern, e.message))
        .sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId))
      const start = decodeToken(input.nextToken, 'fe') ?? 0
      if (start < 0) throw err('InvalidParameterException', 'The specified nextToken is invalid.')
      const slice = all.slice(start, start + limit)
      return {
        events: slice.map((e) => ({
          logStreamName: e.logStreamName,
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
          eventId: e.eventId,
        })),
        searchedLogStreams: [],
        nextToken: start + limit < all.length ? encodeToken(start + limit, 'fe') : undefined,
      }
    },

    GetLogEvents: (input) => {
      const g = getGroup(input.logGroupName, input.logGroupIdentifier)
      const s = g.streams.get(input.logStreamName)
      if (!s) throw err('ResourceNotFoundException', 'The specified log stream does not exist.')
      const limit = input.limit ?? 10000
      const all = s.events
        .filter((e) => input.startTime === undefined || e.timestamp >= input.startTime)
        .filter((e) => input.endTime === undefined || e.timestamp < input.endTime)
      let start: number
      let end: number
      const token: string | undefined = input.nextToken
      const m = token ? /^([fb])\/(\d+)$/.exec(token) : null
      if (token && !m) throw err('InvalidParameterException', 'The specified nextToken is invalid.')
      if (m?.[1] === 'f') {
        start = Math.min(Number(m[2]), all.length)
        end = Math.min(start + limit, all.length)
      } else if (m?.[1] === 'b') {
        end = Math.min(Number(m[2]), all.length)
        start = Math.max(0, end - limit)
      } else if (input.startFromHead) {
        start = 0
        end = Math.min(limit, all.length)
      } else {
        end = all.length
        start = Math.max(0, end - limit)
      }
      const pad = (n: number) => String(n).padStart(56, '0')
      return {
        events: all.slice(start, end).map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
        nextForwardToken: `f/${pad(end)}`,
        nextBackwardToken: `b/${pad(start)}`,
      }
    },
  }
}
