import type { z } from 'zod'
import { didYouMean } from '../did-you-mean.js'
import { type ManifestIssue, quoted } from './issue.js'
import { LOG_RETENTION_DAYS, MAX_ENV_LENGTH, MAX_NAME_LENGTH, Manifest, TARGETS } from './schema.js'

type Path = PropertyKey[]

/** What to do, by the name of the field that is wrong. */
const HINTS: Record<string, string> = {
  name: `use lowercase letters, digits and single hyphens, starting with a letter, at most ${MAX_NAME_LENGTH} characters, e.g. name: hello-api`,
  region: 'write an AWS region code, e.g. region: us-west-2',
  target: `use one of ${TARGETS.join(', ')}`,
  role: 'give an IAM role ARN (arn:aws:iam::123456789012:role/NAME), or remove it and shipit creates one',
  executionRole: 'give an IAM role ARN (arn:aws:iam::123456789012:role/NAME), or remove it and shipit creates one',
  taskRole: 'give an IAM role ARN (arn:aws:iam::123456789012:role/NAME)',
  subnets: 'list subnet IDs such as subnet-0abc1234, or remove network: to use the default VPC',
  securityGroups: 'list security group IDs such as sg-0abc1234, or remove them and shipit creates one',
  secrets: 'give ssm:/NAME (an SSM parameter), secretsmanager:NAME or secretsmanager:NAME#json-key (a Secrets Manager secret), or the ARN of either',
  env: 'environment variable names use letters, digits and _ and do not start with a digit; values are strings',
  environments: `environment names use lowercase letters, digits and hyphens, at most ${MAX_ENV_LENGTH} characters`,
  'function.memory': 'Lambda memory is 128–10240 MB',
  'container.memory': 'container memory is in MiB; on Fargate it pairs with cpu',
  'function.timeout': 'Lambda timeout is 1–900 seconds',
  port: 'a port is 1–65535',
  routes: 'list route keys such as "GET /" or "ANY /{proxy+}"',
  image: 'give an image reference, e.g. public.ecr.aws/nginx/nginx:1.27',
  build: 'give the build context directory (build: .) or a mapping { context: ., dockerfile: Dockerfile }',
  handler: 'e.g. handler: index.handler',
  ttl: 'write a whole number of minutes, hours or days, e.g. ttl: 3d (or 12h, 90m)',
  retentionDays: `use one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
}

/** What to do about an invalid key of a record, by the name of the record. */
const KEY_HINTS: Record<string, string> = {
  env: 'environment variable names use letters, digits and _ and do not start with a digit',
  secrets: 'environment variable names use letters, digits and _ and do not start with a digit',
  environments: `environment names use lowercase letters, digits and hyphens, start with a letter, at most ${MAX_ENV_LENGTH} characters`,
}

/** Above this many allowed values, the message names the value and the hint lists them. */
const MAX_VALUES_IN_MESSAGE = 8

function dotted(path: Path): string {
  return path.reduce<string>((s, k) => {
    if (typeof k === 'number') return `${s}[${k}]`
    const key = String(k)
    // a key from the file (of env:, secrets:, environments:) may hold spaces, quotes, newlines or be very long
    if (!/^[\x21-\x7e]{1,60}$/.test(key)) return `${s}[${quoted(key)}]`
    return s ? `${s}.${key}` : key
  }, '')
}

function valueAt(raw: unknown, path: Path): unknown {
  let cur = raw
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<PropertyKey, unknown>)[k]
  }
  return cur
}

function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `the string ${quoted(v, 40)}`
  return `${typeof v} ${String(v)}`
}

function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

function hintFor(path: Path): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i]
    const qualified = i > 0 ? `${String(path[i - 1])}.${String(key)}` : ''
    if (HINTS[qualified]) return HINTS[qualified]
    if (typeof key === 'string' && HINTS[key]) return HINTS[key]
  }
  return undefined
}

function article(expected: string): string {
  return expected === 'array' ? 'a list' : expected === 'object' ? 'a mapping' : /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`
}

const SCHEDULE_KEYS = ['expression', 'timezone', 'enabled', 'payload']
const SCHEDULE_HINT = 'write schedule: "cron(0 3 * * ? *)" or "rate(1 hour)", or { expression: "rate(1 hour)", timezone: Europe/Paris }'

/** `schedule:` is an expression or a mapping of SCHEDULE_KEYS: say which key is wrong rather than "string or mapping". */
function scheduleIssue(path: (string | number)[], value: unknown): DescribedIssue {
  const where = dotted(path)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { path, message: `${where} must be a cron(…) or rate(…) expression, or a mapping; it is ${kindOf(value)}`, hint: SCHEDULE_HINT }
  }
  const record = value as Record<string, unknown>
  const unknown = Object.keys(record).find((k) => !SCHEDULE_KEYS.includes(k))
  if (unknown !== undefined) {
    const suggestion = didYouMean(unknown, SCHEDULE_KEYS)
    return {
      path: [...path, unknown],
      atKey: true,
      message: `unknown key ${quoted(unknown)} in ${where}`,
      hint: suggestion ? `did you mean "${suggestion}"?` : `known keys here: ${SCHEDULE_KEYS.join(', ')}`,
    }
  }
  if (record.expression !== undefined && typeof record.expression !== 'string') {
    return { path: [...path, 'expression'], message: `${where}.expression must be a string, not ${kindOf(record.expression)}`, hint: SCHEDULE_HINT }
  }
  if (record.expression === undefined) {
    return { path, atKey: true, message: `${where}.expression is required: the cron(…) or rate(…) expression`, hint: SCHEDULE_HINT }
  }
  if (record.enabled !== undefined && typeof record.enabled !== 'boolean') {
    return {
      path: [...path, 'enabled'],
      message: `${where}.enabled must be true or false, not ${kindOf(record.enabled)}`,
      hint: 'enabled: false keeps the schedule but stops it firing',
    }
  }
  return { path, message: `${where} is not valid`, hint: 'expression and timezone are strings (timezone an IANA name); payload is JSON text or a mapping' }
}

/** A described issue; `suggestion` is the known key an unknown one was taken for, `missing` marks "X is required". */
type DescribedIssue = ManifestIssue & { suggestion?: string; missing?: boolean }

/** Turn a schema issue into a sentence that says what is wrong and what to do. */
export function describeIssue(issue: z.core.$ZodIssue, raw: unknown, extra?: { unknownKey: string; known: string[] }): DescribedIssue {
  const path = issue.path as (string | number)[]
  const where = dotted(path)
  const hint = hintFor(path)
  if (extra) {
    const suggestion = didYouMean(extra.unknownKey, extra.known)
    return {
      path: [...path, extra.unknownKey],
      atKey: true,
      suggestion,
      message: `unknown key ${quoted(extra.unknownKey)}${where ? ` in ${where}` : ''}`,
      hint: suggestion ? `did you mean "${suggestion}"?` : extra.known.length ? `known keys here: ${extra.known.join(', ')}` : 'remove it',
    }
  }
  const value = valueAt(raw, path)
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return { path, missing: true, message: `${where} is required`, hint: hint ?? `add ${where}` }
      // 1e400, .inf and .nan are numbers to YAML but not to the schema: "must be a number, not number Infinity" reads as a contradiction
      if (typeof value === 'number' && !Number.isFinite(value)) return { path, message: `${where} must be a finite number, not ${String(value)}`, hint }
      const expected = issue.expected === 'int' ? 'integer' : String(issue.expected)
      return { path, message: `${where} must be ${article(expected)}, not ${kindOf(value)}`, hint }
    }
    case 'too_small':
    case 'too_big': {
      const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum)
      const bound = issue.code === 'too_small' ? 'at least' : 'at most'
      if (issue.origin === 'string') return { path, message: `${where} must be ${bound} ${limit} characters long`, hint }
      if (issue.origin === 'array') return { path, message: `${where} must have ${bound} ${limit} item${limit === 1 ? '' : 's'}`, hint }
      return { path, message: `${where} must be ${bound} ${limit}, not ${String(value)}`, hint }
    }
    case 'invalid_format':
      return { path, message: `${where} ${shown(value)} is not valid`, hint }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ')
      const suggestion = typeof value === 'string' ? suggestValue(value, issue.values) : undefined
      if (issue.values.length > MAX_VALUES_IN_MESSAGE) {
        return { path, message: `${where} ${shown(value)} is not one of the allowed values`, hint: suggestion ?? hint ?? `use one of ${allowed}` }
      }
      return { path, message: `${where} must be one of ${allowed}, not ${kindOf(value)}`, hint: suggestion ?? hint }
    }
    case 'invalid_union':
      if (path[path.length - 1] === 'schedule') return scheduleIssue(path, value)
      return {
        path,
        message: `${where} must be a string, or a mapping {value, secret: true}; it is ${kindOf(value)}`,
        hint:
          value !== null && typeof value === 'object' && !Array.isArray(value)
            ? 'write { value: "...", secret: true }: value is a string, secret is true or false'
            : 'quote numbers and booleans: LOG_LEVEL: "1"',
      }
    case 'invalid_key': {
      // zod puts the key itself last in the path: point at it, not at its value
      const key = String(path[path.length - 1])
      const parent = path.slice(0, -1)
      const parentName = String(parent[parent.length - 1] ?? '')
      return { path, atKey: true, message: `key ${quoted(key)} in ${dotted(parent)} is not a valid name`, hint: KEY_HINTS[parentName] ?? hint }
    }
    case 'custom':
      return { path, message: `${where} ${shown(value)} is not valid`, hint }
    default:
      return { path, message: `${where}: ${issue.message}`, hint }
  }
}

function suggestValue(value: string, allowed: readonly unknown[]): string | undefined {
  const s = didYouMean(value, allowed.map(String))
  return s ? `did you mean "${s}"?` : undefined
}

/** The keys allowed at `path` in the schema, for "did you mean". */
export function knownKeysAt(path: Path): string[] {
  const root: z.core.$ZodType = Manifest
  let schema = unwrap(root)
  for (const key of path) {
    const def = defOf(schema)
    if (def.type === 'object') {
      const next = (def.shape as Record<string, z.core.$ZodType>)[String(key)]
      if (!next) return []
      schema = unwrap(next)
    } else if (def.type === 'record') {
      schema = unwrap(def.valueType as z.core.$ZodType)
    } else if (def.type === 'array') {
      schema = unwrap(def.element as z.core.$ZodType)
    } else {
      return []
    }
  }
  const def = defOf(schema)
  return def.type === 'object' ? Object.keys(def.shape as object).filter((k) => k !== '$schema') : []
}

/** A schema's definition as plain data: its kind (`type`) and the members of that kind. */
function defOf(schema: z.core.$ZodType): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema._zod.def))
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema
  for (;;) {
    const def = defOf(s)
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') s = def.innerType as z.core.$ZodType
    // a preprocess (build: PATH) is a pipe from a transform: the keys are those of what it feeds
    else if (def.type === 'pipe') s = ((def.in as z.core.$ZodType)._zod.def.type === 'transform' ? def.out : def.in) as z.core.$ZodType
    else return s
  }
}
