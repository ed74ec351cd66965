/**
 * Bad input, property-based: well over 1,000 malformed manifests, each made by mutating one valid
 * base manifest, must be refused with a ManifestError (exit 3) whose every problem points inside the
 * file as `app.yaml:LINE:COL: …`, quickly, without a stack trace, and without any AWS call. A sample
 * of the generated files also goes through the built CLI (`plan`, `deploy --yes`), and so do the
 * file-level failures (missing, directory, unreadable, binary, empty).
 *
 * Every mutation is invalid by construction (the generators, not the product, decide that): a wrong
 * type where the schema fixes one, an unknown key in a closed mapping, broken YAML, a duplicate key,
 * an alias bomb, a value beyond a documented limit, an interpolation that cannot be resolved, a cpu /
 * memory pair outside AWS's Fargate table, a route that is not API Gateway's route syntax, a YAML tag.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { parse as parseYaml, stringify } from 'yaml'
import { AwsClients } from '../../src/aws/clients.js'
import { ExitCode } from '../../src/errors.js'
import { formatProblem, loadManifest, ManifestError, parseManifest } from '../../src/manifest/load.js'
import { cleanEnv, type Run, shipit } from '../helpers/cli.js'
import { startStub } from '../helpers/loopback.js'

// ---------------------------------------------------------------------------------------------
// the valid base every case starts from (all sections, an overlay, interpolations with defaults)

const BASE = `# every generated case is this file, broken in one way
name: shop-api
region: us-west-2
target: lambda
env:
  LOG_LEVEL: info
  GREETING: "\${env:GREETING:-world}"
  API_KEY: { value: "\${env:API_KEY:-dev-key-123}", secret: true }
secrets:
  DB_PASSWORD: arn:aws:ssm:us-west-2:123456789012:parameter/shop/db
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
  memory: 256
  timeout: 10
  architecture: arm64
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  cpu: 256
  memory: 512
  command: ["nginx", "-g", "daemon off;"]
  mode: service
  count: 1
  network:
    subnets: [subnet-0aaa]
    assignPublicIp: true
  healthCheck:
    command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
    interval: 30
http:
  routes: ["GET /", "ANY /{proxy+}"]
  cors:
    allowOrigins: ["https://example.com"]
    maxAge: 600
logs:
  retentionDays: 30
environments:
  prod:
    region: eu-west-1
    function: { memory: 1024 }
    container: { cpu: 1024, memory: 2048, count: 3 }
    env: { LOG_LEVEL: warn }
`

/** The variables ${env:…} sees: GREETING is set, EMPTY is set but empty (which counts as unset). */
const VARS: Record<string, string> = { GREETING: 'hello', EMPTY: '' }

type Path = (string | number)[]
/** A generated document: arbitrary JSON. */
type Doc = any

interface Case {
  group: string
  text: string
  vars?: Record<string, string>
}

function baseDoc(): Doc {
  return parseYaml(BASE)
}

/** YAML text of a document: no line folding, no anchors for repeated objects. */
function render(doc: Doc): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })
}

/** Set `path` (creating mappings on the way) as an own property, even for `__proto__`. */
function setAt(doc: Doc, path: Path, value: unknown): Doc {
  let cur = doc
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]
    if (cur[key] === null || typeof cur[key] !== 'object') {
      Object.defineProperty(cur, key, { value: {}, enumerable: true, writable: true, configurable: true })
    }
    cur = cur[key]
  }
  Object.defineProperty(cur, path[path.length - 1], { value, enumerable: true, writable: true, configurable: true })
  return doc
}

const mutate = (group: string, path: Path, value: unknown): Case => ({ group, text: render(setAt(baseDoc(), path, value)) })

const BASE_LINES = BASE.split('\n')

/** Lines of BASE that are `key: …` entries of block mappings, with their indentation. */
const KEY_LINES = BASE_LINES.flatMap((line, index) => {
  const m = /^( *)([A-Za-z_$][\w$]*):( |$)/.exec(line)
  return m ? [{ index, indent: m[1], key: m[2] }] : []
})
const INDENTED_KEY_LINES = KEY_LINES.filter((l) => l.indent.length > 0)
/** Indented key lines right after a sibling (same indentation): moving one of them by a space breaks the mapping. */
const SIBLING_KEY_LINES = INDENTED_KEY_LINES.filter((l) => KEY_LINES.some((k) => k.index === l.index - 1 && k.indent === l.indent))
const FLOW_LINES = BASE_LINES.flatMap((line, index) => (/: [[{]/.test(line) ? [index] : []))
const QUOTED_LINES = BASE_LINES.flatMap((line, index) => (/"[^"]*"/.test(line) ? [index] : []))
const TOP_LEVEL_LINES = BASE_LINES.flatMap((line, index) => (index > 1 && /^[a-z]/.test(line) ? [index] : []))

function withLines(edit: (lines: string[]) => void): string {
  const lines = [...BASE_LINES]
  edit(lines)
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------
// value generators

/** Characters that stress quoting and one-line messages: quotes, colons, newlines, tabs, non-ASCII. */
const TRICKY_CHAR = fc.constantFrom('a', 'Z', '0', ' ', ':', '#', '"', "'", '\n', '\t', '-', '[', '{', 'é', '😀', '\\')
const aString = fc.oneof(fc.string({ maxLength: 16 }), fc.string({ unit: TRICKY_CHAR, maxLength: 16 }))
const aFiniteNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
const aNonInteger = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }).filter((n) => !Number.isInteger(n))
const anIdentifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,24}$/)
const aList = fc.array(fc.oneof(aString, fc.integer(), fc.boolean()), { maxLength: 3 })
const aMap = fc.dictionary(anIdentifier, fc.oneof(aString, fc.integer()), { minKeys: 1, maxKeys: 3 })

type Kind = 'string' | 'int' | 'bool' | 'list' | 'map' | 'envValue'

/** A value that is certainly not of the kind. */
const NOT: Record<Kind, fc.Arbitrary<unknown>> = {
  string: fc.oneof(aFiniteNumber, fc.boolean(), fc.constant(null), aList, aMap),
  int: fc.oneof(aString, aNonInteger, fc.boolean(), fc.constant(null), aList, aMap),
  bool: fc.oneof(aString, aFiniteNumber, fc.constant(null), aList, aMap),
  list: fc.oneof(aString, aFiniteNumber, fc.boolean(), fc.constant(null), aMap),
  map: fc.oneof(aString, aFiniteNumber, fc.boolean(), fc.constant(null), aList),
  // an env value is a string or a {value, secret} mapping
  envValue: fc.oneof(aFiniteNumber, fc.boolean(), fc.constant(null), aList),
}

/** Every field of the schema that has a fixed type, and that type. */
const FIELDS: [Path, Kind][] = [
  [['name'], 'string'],
  [['region'], 'string'],
  [['target'], 'string'],
  [['$schema'], 'string'],
  [['env'], 'map'],
  [['secrets'], 'map'],
  [['function'], 'map'],
  [['container'], 'map'],
  [['http'], 'map'],
  [['logs'], 'map'],
  [['environments'], 'map'],
  [['env', 'LOG_LEVEL'], 'envValue'],
  [['env', 'API_KEY', 'value'], 'string'],
  [['env', 'API_KEY', 'secret'], 'bool'],
  [['secrets', 'DB_PASSWORD'], 'string'],
  [['function', 'source'], 'string'],
  [['function', 'handler'], 'string'],
  [['function', 'runtime'], 'string'],
  [['function', 'memory'], 'int'],
  [['function', 'timeout'], 'int'],
  [['function', 'architecture'], 'string'],
  [['function', 'role'], 'string'],
  [['container', 'image'], 'string'],
  [['container', 'port'], 'int'],
  [['container', 'cpu'], 'int'],
  [['container', 'memory'], 'int'],
  [['container', 'command'], 'list'],
  [['container', 'command', 1], 'string'],
  [['container', 'entryPoint'], 'list'],
  [['container', 'mode'], 'string'],
  [['container', 'count'], 'int'],
  [['container', 'cluster'], 'string'],
  [['container', 'architecture'], 'string'],
  [['container', 'insights'], 'bool'],
  [['container', 'executionRole'], 'string'],
  [['container', 'network'], 'map'],
  [['container', 'network', 'subnets'], 'list'],
  [['container', 'network', 'subnets', 0], 'string'],
  [['container', 'network', 'assignPublicIp'], 'bool'],
  [['container', 'healthCheck'], 'map'],
  [['container', 'healthCheck', 'command'], 'list'],
  [['container', 'healthCheck', 'interval'], 'int'],
  [['http', 'routes'], 'list'],
  [['http', 'routes', 0], 'string'],
  [['http', 'cors'], 'map'],
  [['http', 'cors', 'allowOrigins'], 'list'],
  [['http', 'cors', 'maxAge'], 'int'],
  [['http', 'cors', 'allowCredentials'], 'bool'],
  [['logs', 'retentionDays'], 'int'],
  [['environments', 'prod'], 'map'],
  [['environments', 'prod', 'region'], 'string'],
  [['environments', 'prod', 'env'], 'map'],
  [['environments', 'prod', 'function', 'memory'], 'int'],
  [['environments', 'prod', 'container', 'count'], 'int'],
  [['environments', 'prod', 'http', 'routes'], 'list'],
  [['environments', 'prod', 'logs', 'retentionDays'], 'int'],
]

const FUNCTION_KEYS = ['source', 'handler', 'runtime', 'memory', 'timeout', 'architecture', 'role']
const CONTAINER_KEYS = [
  'image',
  'port',
  'cpu',
  'memory',
  'command',
  'entryPoint',
  'mode',
  'count',
  'cluster',
  'network',
  'healthCheck',
  'architecture',
  'executionRole',
  'taskRole',
  'insights',
]

/** The closed mappings of the schema and the keys they allow (from the README's manifest reference). */
const CLOSED: [Path, string[]][] = [
  [[], ['$schema', 'name', 'region', 'target', 'env', 'secrets', 'container', 'function', 'http', 'logs', 'environments']],
  [['function'], FUNCTION_KEYS],
  [['container'], CONTAINER_KEYS],
  [
    ['container', 'network'],
    ['subnets', 'securityGroups', 'assignPublicIp'],
  ],
  [
    ['container', 'healthCheck'],
    ['command', 'interval', 'timeout', 'retries', 'startPeriod'],
  ],
  [['http'], ['routes', 'cors']],
  [
    ['http', 'cors'],
    ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'allowCredentials', 'maxAge'],
  ],
  [['logs'], ['retentionDays']],
  [
    ['env', 'API_KEY'],
    ['value', 'secret'],
  ],
  [
    ['environments', 'prod'],
    ['region', 'env', 'secrets', 'container', 'function', 'http', 'logs'],
  ],
  [['environments', 'prod', 'function'], FUNCTION_KEYS],
  [['environments', 'prod', 'container'], CONTAINER_KEYS],
  [
    ['environments', 'prod', 'http'],
    ['routes', 'cors'],
  ],
  [['environments', 'prod', 'logs'], ['retentionDays']],
  [
    ['environments', 'staging'],
    ['region', 'env', 'secrets', 'container', 'function', 'http', 'logs'],
  ],
]

/** Fargate's task cpu → memory table, from the ECS developer guide (written out here, not imported). */
const FARGATE: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
  8192: Array.from({ length: 12 }, (_, i) => 16384 + i * 4096),
  16384: Array.from({ length: 12 }, (_, i) => 32768 + i * 8192),
}
const FARGATE_CPUS = Object.keys(FARGATE).map(Number)
const ROUTE_METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

// ---------------------------------------------------------------------------------------------
// the mutation groups: each an arbitrary of malformed cases, and how many of each to check

const wrongType: fc.Arbitrary<Case> = fc.constantFrom(...FIELDS).chain(([path, kind]) => NOT[kind].map((value) => mutate('wrong type', path, value)))

const unknownKey: fc.Arbitrary<Case> = fc
  .tuple(
    fc.constantFrom(...CLOSED),
    fc.oneof(
      anIdentifier,
      fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf', 'Name', 'NAME', 'handler ', 'routes2'),
    ),
    fc.jsonValue({ maxDepth: 4 }),
  )
  .filter(([[, known], key]) => !known.includes(key))
  .map(([[path], key, value]) => mutate('unknown key', [...path, key], value))

const duplicateKey: fc.Arbitrary<Case> = fc.oneof(
  // `key: X` inserted before `key: …` in the same mapping, the key written plain or quoted
  fc
    .tuple(fc.constantFrom(...KEY_LINES), fc.constantFrom('plain', '"double"', "'single'"), fc.constantFrom('1', 'x', '"dup"', '[]', '{}', 'null', '~'))
    .map(([line, style, value]) => {
      const key = style === 'plain' ? line.key : style === '"double"' ? `"${line.key}"` : `'${line.key}'`
      return { group: 'duplicate key', text: withLines((l) => l.splice(line.index, 0, `${line.indent}${key}: ${value}`)) }
    }),
  // the first pair of a flow mapping written twice
  fc.constantFrom(...BASE_LINES.flatMap((line, index) => (/\{ [A-Za-z_]\w*: [^,}]+/.test(line) ? [index] : []))).map((index) => ({
    group: 'duplicate key',
    text: withLines((l) => {
      l[index] = l[index].replace(/\{ ([A-Za-z_]\w*): ([^,}]+)/, '{ $1: $2, $1: $2')
    }),
  })),
)

const GARBAGE_LINES = [
  'key: value: other',
  '- a stray list item',
  ']',
  '}',
  '{ unclosed: 1',
  '[unclosed',
  '"unclosed: 1',
  'a line without a colon',
  '@reserved: x',
  '`backtick`: x',
  ': no key',
  '&anchor',
  '*undefined-alias',
  'name: [a, b',
  "x: 'it''s",
  'x: "\\q bad escape"',
]

const badYaml: fc.Arbitrary<Case> = fc.oneof(
  // a flow collection that is never closed, or opened twice
  fc.tuple(fc.constantFrom(...FLOW_LINES), fc.boolean()).map(([index, dropCloser]) => ({
    group: 'bad YAML',
    text: withLines((l) => {
      l[index] = dropCloser ? l[index].replace(/[\]}](?=[^\]}]*$)/, '') : l[index].replace(/: ([[{])/, ': $1$1')
    }),
  })),
  // a quoted string that is never closed
  fc.constantFrom(...QUOTED_LINES).map((index) => ({
    group: 'bad YAML',
    text: withLines((l) => {
      l[index] = l[index].replace(/"(?=[^"]*$)/, '')
    }),
  })),
  // a plain value given an opening quote only
  fc.constantFrom(...KEY_LINES.filter((k) => /: [a-z0-9]/.test(BASE_LINES[k.index]))).map((k) => ({
    group: 'bad YAML',
    text: withLines((l) => {
      l[k.index] = l[k.index].replace(/: /, ': "')
      l.push('trailer: "never closed')
    }),
  })),
  // tabs as indentation
  fc.tuple(fc.constantFrom(...INDENTED_KEY_LINES), fc.boolean()).map(([k, replace]) => ({
    group: 'bad YAML',
    text: withLines((l) => {
      l[k.index] = replace ? l[k.index].replace(/^ +/, '\t') : `\t${l[k.index]}`
    }),
  })),
  // indentation off by one against the sibling above (a lone child may sit at any indentation)
  fc.tuple(fc.constantFrom(...SIBLING_KEY_LINES), fc.constantFrom(-1, 1)).map(([k, delta]) => ({
    group: 'bad YAML',
    text: withLines((l) => {
      l[k.index] = delta < 0 ? l[k.index].slice(1) : ` ${l[k.index]}`
    }),
  })),
  // a garbage line between two top-level keys
  fc.tuple(fc.constantFrom(...TOP_LEVEL_LINES), fc.constantFrom(...GARBAGE_LINES)).map(([index, garbage]) => ({
    group: 'bad YAML',
    text: withLines((l) => l.splice(index, 0, garbage)),
  })),
  // not a mapping at the top, or more than one document
  fc
    .constantFrom('- name: shop-api\n- region: us-west-2\n', 'just some text\n', '42\n', '[1, 2, 3]\n', '"a string"\n', 'null\n', '~\n', '# only a comment\n')
    .map((text) => ({ group: 'bad YAML', text })),
  fc.constantFrom('---\nname: other\n', '...\n---\nname: other\n', '--- |\n  text\n').map((tail) => ({ group: 'bad YAML', text: BASE + tail })),
)

/** `&l0` … `&lN`, each level `width` aliases of the previous one: width^levels nodes once expanded. */
function aliasBomb(levels: number, width: number, flow: boolean): string {
  const lines = ['x-bomb:', flow ? '  l0: &l0 ["lol", "lol"]' : '  l0: &l0 lol']
  for (let i = 1; i <= levels; i++) {
    const items = Array.from({ length: width }, () => `*l${i - 1}`)
    lines.push(flow ? `  l${i}: &l${i} [${items.join(', ')}]` : `  l${i}: &l${i}\n${items.map((a) => `    - ${a}`).join('\n')}`)
  }
  return lines.join('\n')
}

const aliasBombs: fc.Arbitrary<Case & { expanded: number }> = fc
  .tuple(fc.integer({ min: 4, max: 14 }), fc.integer({ min: 4, max: 12 }), fc.boolean(), fc.constantFrom('top', 'routes', 'command', 'unused'))
  .map(([levels, width, flow, use]) => {
    const bomb = aliasBomb(levels, width, flow)
    let text = BASE.replace('name: shop-api\n', `name: shop-api\n${bomb}\n`)
    if (use === 'routes') text = text.replace(/routes: \[.*\]/, `routes: *l${levels}`)
    if (use === 'command') text = text.replace(/command: \["nginx".*\]/, `command: *l${levels}`)
    if (use === 'top') text += `payload: *l${levels}\n`
    return { group: 'alias bomb', text, expanded: width ** levels }
  })

/** Fields where a very long string is beyond a limit: max length, a closed set, or a pattern it cannot match. */
const LONG_STRING_FIELDS: Path[] = [
  ['name'],
  ['region'],
  ['target'],
  ['function', 'handler'],
  ['function', 'runtime'],
  ['function', 'architecture'],
  ['container', 'image'],
  ['container', 'mode'],
  ['container', 'cluster'],
  ['environments', 'prod', 'region'],
]
const INT_FIELDS: Path[] = [
  ['function', 'memory'],
  ['function', 'timeout'],
  ['container', 'port'],
  ['container', 'cpu'],
  ['container', 'memory'],
  ['container', 'count'],
  ['container', 'healthCheck', 'interval'],
  ['http', 'cors', 'maxAge'],
  ['logs', 'retentionDays'],
  ['environments', 'prod', 'function', 'memory'],
]
const HUGE_NUMBER = fc.oneof(
  fc.constantFrom(
    '1e20',
    '-1e20',
    '9007199254740993',
    '-9007199254740993',
    '1e400',
    '-1e400',
    '.inf',
    '-.inf',
    '.nan',
    '0x7fffffffffffffffffff',
    '1.7976931348623157e308',
  ),
  fc.integer({ min: 20, max: 5000 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 20, max: 5000 }).map((n) => `-${'9'.repeat(n)}`),
)
/** A deeply nested value, as flow or block YAML, closed or not; `indent` is where its lines start. */
const DEEP = fc
  .tuple(
    fc.oneof(fc.integer({ min: 2, max: 100 }), fc.integer({ min: 100, max: 200_000 })),
    fc.constantFrom('flow-seq', 'flow-map', 'mixed', 'compact-seq', 'unclosed', 'block-map'),
  )
  .map(([depth, style]) => ({ depth, style }))

function deepValue(depth: number, style: string, indent: string): string {
  switch (style) {
    case 'flow-seq':
      return `${'['.repeat(depth)}1${']'.repeat(depth)}`
    case 'flow-map':
      return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`
    case 'mixed':
      return `${'[{a: '.repeat(depth)}1${'}]'.repeat(depth)}`
    case 'unclosed':
      return '['.repeat(depth)
    case 'compact-seq':
      return `\n${indent}${'- '.repeat(depth)}x`
    default: {
      // block mappings indented one more space each level: quadratic text, so at most ~1,000 levels
      const levels = Math.min(depth, 1000)
      return Array.from({ length: levels }, (_, i) => `\n${indent}${' '.repeat(i)}a:`).join('') + ' 1'
    }
  }
}

const hugeValues: fc.Arbitrary<Case> = fc.oneof(
  // very long strings
  fc
    .tuple(fc.constantFrom(...LONG_STRING_FIELDS), fc.integer({ min: 300, max: 100_000 }), fc.constantFrom('a', 'Z', '9', '-', 'é', '😀', ' x'))
    // n characters as people (and zod's max) count them: an emoji is one character but two UTF-16 units
    .map(([path, n, unit]) => mutate('huge value', path, unit.repeat(n))),
  // numbers beyond every limit, written as YAML number literals
  fc.tuple(fc.constantFrom(...INT_FIELDS), HUGE_NUMBER).map(([path, literal]) => ({
    group: 'huge value',
    text: render(setAt(baseDoc(), path, '__HUGE__')).replace('__HUGE__', literal),
  })),
  // deep nesting where a mapping, a list of strings or a string is expected
  fc.tuple(fc.constantFrom('function', 'command', 'env', 'logs', 'routes'), DEEP).map(([where, { depth, style }]) => {
    const at: Record<string, [RegExp, string, string]> = {
      function: [/^function:\n/m, 'function: ', ''],
      command: [/^ {2}command: \["nginx".*\]$/m, '  command: ', '    '],
      env: [/^ {2}LOG_LEVEL: info$/m, '  LOG_LEVEL: ', '    '],
      logs: [/^ {2}retentionDays: 30$/m, '  retentionDays: 30\n  deep: ', '    '],
      routes: [/^ {2}routes: \[.*\]$/m, '  routes: ', '    '],
    }
    const [re, prefix, indent] = at[where]
    const value = deepValue(depth, style, indent)
    // replacing `function:` leaves its block under a scalar key: put the deep value after the block instead
    const text =
      where === 'function' ? BASE.replace(re, 'function:\n').replace(/^http:\n/m, `x-deep: ${value}\nhttp:\n`) : BASE.replace(re, `${prefix}${value}`)
    return { group: 'huge value', text }
  }),
  // more items than allowed
  fc.integer({ min: 301, max: 1000 }).map((n) =>
    mutate(
      'huge value',
      ['http', 'routes'],
      Array.from({ length: n }, (_, i) => `GET /r${i}`),
    ),
  ),
  fc.integer({ min: 17, max: 300 }).map((n) =>
    mutate(
      'huge value',
      ['container', 'network', 'subnets'],
      Array.from({ length: n }, (_, i) => `subnet-${i.toString(16)}`),
    ),
  ),
  fc.integer({ min: 6, max: 300 }).map((n) =>
    mutate(
      'huge value',
      ['container', 'network', 'securityGroups'],
      Array.from({ length: n }, (_, i) => `sg-${i.toString(16)}`),
    ),
  ),
)

/** String values an interpolation can be put into. */
const STRING_LEAVES: Path[] = [
  ['name'],
  ['region'],
  ['target'],
  ['$schema'],
  ['env', 'LOG_LEVEL'],
  ['env', 'GREETING'],
  ['env', 'API_KEY', 'value'],
  ['secrets', 'DB_PASSWORD'],
  ['function', 'handler'],
  ['function', 'source'],
  ['function', 'runtime'],
  ['container', 'image'],
  ['container', 'command', 1],
  ['http', 'routes', 0],
  ['http', 'cors', 'allowOrigins', 0],
  ['environments', 'prod', 'env', 'LOG_LEVEL'],
  ['environments', 'prod', 'region'],
]
const missingName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/).filter((n) => !(n in VARS))
const BAD_INTERPOLATION = fc.oneof(
  fc.constantFrom(
    '${env:}',
    '${}',
    '${nope}',
    '${env}',
    '${ENV:GREETING}',
    '${ env:GREETING }',
    '${env:GREETING:=x}',
    '${env:GREETING-x}',
    '${env:1BAD}',
    '${env:A-B}',
    '${env:EMPTY}',
    '${secret:X}',
    '${env:GREETING:-x}${}',
  ),
  missingName.map((n) => `\${env:${n}}`),
  anIdentifier.filter((id) => !id.startsWith('env:')).map((id) => `\${${id}}`),
)
const badInterpolation: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom(...STRING_LEAVES), BAD_INTERPOLATION, fc.stringMatching(/^[a-z0-9 ./:-]{0,8}$/), fc.stringMatching(/^[a-z0-9 ./:-]{0,8}$/))
  .map(([path, expr, before, after]) => ({ ...mutate('bad interpolation', path, `${before}${expr}${after}`), vars: VARS }))

const badPair = fc.oneof(
  fc.constantFrom(...FARGATE_CPUS).chain((cpu) =>
    fc
      .integer({ min: 1, max: 200_000 })
      .filter((m) => !FARGATE[cpu].includes(m))
      .map((memory) => ({ cpu, memory })),
  ),
  fc
    .integer({ min: -100_000, max: 100_000 })
    .filter((cpu) => !FARGATE_CPUS.includes(cpu))
    .map((cpu) => ({ cpu, memory: 2048 })),
)
const cpuMemory: fc.Arbitrary<Case> = fc.oneof(
  badPair.map(({ cpu, memory }) => {
    const doc = baseDoc()
    Object.assign(doc.container, { cpu, memory })
    doc.environments.prod.container = { count: 3 }
    return { group: 'cpu/memory', text: render(doc) }
  }),
  // in the prod overlay only (the merged pair is what is checked)
  badPair.map(({ cpu, memory }) => mutate('cpu/memory', ['environments', 'prod', 'container'], { cpu, memory })),
  // memory alone, against the default cpu 256
  fc
    .integer({ min: 1, max: 200_000 })
    .filter((m) => !FARGATE[256].includes(m))
    .map((memory) => {
      const doc = baseDoc()
      delete doc.container.cpu
      doc.container.memory = memory
      doc.environments.prod.container = { count: 3 }
      return { group: 'cpu/memory', text: render(doc) }
    }),
  // Lambda memory outside 128–10240 MB, in the base or the overlay
  fc
    .tuple(fc.oneof(fc.integer({ min: -1_000_000, max: 127 }), fc.integer({ min: 10_241, max: 10_000_000 })), fc.boolean())
    .map(([memory, overlay]) => mutate('cpu/memory', overlay ? ['environments', 'prod', 'function', 'memory'] : ['function', 'memory'], memory)),
)

const METHOD = fc.constantFrom(...ROUTE_METHODS)
const BAD_ROUTE = fc.oneof(
  fc
    .stringMatching(/^[A-Za-z]{1,10}$/)
    .filter((m) => !ROUTE_METHODS.includes(m))
    .map((m) => `${m} /items`),
  fc.constantFrom('get /', 'post /items', 'Any /', '$Default', 'default', '', ' ', '$default ', '/items', 'GET', 'GET /items extra'),
  fc.tuple(METHOD, fc.stringMatching(/^[a-z0-9]{1,10}$/)).map(([m, p]) => `${m} ${p}`),
  fc.tuple(METHOD, fc.constantFrom('?', '#', '%', '"', '<', '>', '\\', '^', '`', '|', '[', ']', ' ', '\t', '\n')).map(([m, c]) => `${m} /a${c}b`),
  fc.tuple(METHOD, fc.constantFrom('/a/', '//a', '/{proxy+}/x', '/{a+}/{b+}', '/{}', '/{id', '/id}', '/{a-b}', '/{proxy++}')).map(([m, p]) => `${m} ${p}`),
  fc.tuple(METHOD, fc.constantFrom('  ', '\t', ' \n ')).map(([m, sep]) => `${m}${sep}/`),
)
const badRoutes: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(BAD_ROUTE, fc.integer({ min: 0, max: 2 }), fc.boolean()).map(([route, at, overlay]) => {
    const routes = ['GET /', 'ANY /{proxy+}']
    routes.splice(at, 0, route)
    return mutate('bad route', overlay ? ['environments', 'prod', 'http', 'routes'] : ['http', 'routes'], routes)
  }),
  // the same route twice
  fc.tuple(METHOD, fc.stringMatching(/^\/[a-z0-9]{0,8}$/)).map(([m, p]) => mutate('bad route', ['http', 'routes'], [`${m} ${p}`, 'POST /x', `${m} ${p}`])),
  // not a list of strings, or empty
  fc.constantFrom<unknown>([], [1], [null], [['GET /']], [{ 'GET /': 1 }], [true]).map((routes) => mutate('bad route', ['http', 'routes'], routes)),
)

const badValues: fc.Arbitrary<Case> = fc.oneof(
  fc.constantFrom('Shop', 'shop_api', '1shop', 'shop-', 'shop--api', '-shop', 'shop api', 'a'.repeat(41), '').map((v) => mutate('bad value', ['name'], v)),
  fc.constantFrom('US-WEST-2', 'us-west', 'uswest2', 'us_west_2', 'moon', 'us-west-2 ', 'eu-west-1a').map((v) => mutate('bad value', ['region'], v)),
  fc
    .string({ maxLength: 12 })
    .filter((v) => !['fargate', 'ecs', 'lambda'].includes(v))
    .map((v) => mutate('bad value', ['target'], v)),
  fc.constantFrom('nodejs18.x', 'nodejs', 'python2.7', 'go1.x', 'node22', 'NODEJS22.X', 'provided').map((v) => mutate('bad value', ['function', 'runtime'], v)),
  fc.constantFrom('x86', 'arm', 'amd64', 'ARM64').map((v) => mutate('bad value', ['function', 'architecture'], v)),
  fc.constantFrom('index', 'index.', '.handler', 'index handler', 'index.handler()', 'a::b').map((v) => mutate('bad value', ['function', 'handler'], v)),
  fc
    .constantFrom('role', 'arn:aws:iam::123:role/x', 'arn:aws:iam::123456789012:user/x', 'arn:aws:s3:::bucket')
    .map((v) => mutate('bad value', ['function', 'role'], v)),
  fc
    .constantFrom('arn:aws:s3:::bucket/x', 'arn:aws:ssm:us-west-2:123:parameter/x', 'password123', 'arn:aws:ssm:us-west-2:123456789012:parameter/')
    .map((v) => mutate('bad value', ['secrets', 'DB_PASSWORD'], v)),
  fc.constantFrom('1BAD', 'A-B', 'A.B', 'A B', 'É').map((k) => mutate('bad value', ['env', k], 'x')),
  fc.constantFrom('Prod', 'prod_1', 'p'.repeat(17), '1prod', 'prod-', '').map((k) => mutate('bad value', ['environments', k], { region: 'eu-west-1' })),
  fc
    .integer({ min: -10, max: 5000 })
    .filter((d) => !RETENTION_DAYS.includes(d))
    .map((d) => mutate('bad value', ['logs', 'retentionDays'], d)),
  fc.constantFrom('AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME', '_HANDLER', 'AWS_SECRET_ACCESS_KEY').map((k) => mutate('bad value', ['env', k], 'x')),
  fc.constant(mutate('bad value', ['env', 'DB_PASSWORD'], 'in env and in secrets')),
  fc.constantFrom('daemon', 'Service', 'job').map((v) => mutate('bad value', ['container', 'mode'], v)),
)

/** Tags a manifest never needs: other languages' objects, CloudFormation's, custom, verbatim, binary and other non-plain YAML types. */
const UNKNOWN_TAG = fc.oneof(
  fc.constantFrom(
    '!!python/object:os.system',
    '!!python/object/apply:os.system',
    '!!python/name:os.system',
    '!!js/function',
    '!!ruby/object:Gem::Installer',
    '!Ref',
    '!GetAtt',
    '!Sub',
    '!!binary',
    '!!set',
    '!!omap',
    '!!pairs',
    '!!timestamp',
    '!!merge',
    '!<tag:example.com,2000:app/x>',
  ),
  anIdentifier.map((name) => `!${name}`),
)

/** A tag put before one value (or one key) of BASE; the refusal must point at the tagged line. */
const unknownTags: fc.Arbitrary<Case & { tagLine: number }> = fc
  .tuple(fc.constantFrom(...KEY_LINES.filter((k) => k.index > 0)), UNKNOWN_TAG, fc.boolean())
  .map(([k, tag, onKey]) => ({
    group: 'unknown tag',
    tagLine: k.index + 1,
    text: withLines((l) => {
      l[k.index] = onKey ? `${k.indent}${tag} ${l[k.index].slice(k.indent.length)}` : l[k.index].replace(/:( |$)/, `: ${tag}$1`)
    }),
  }))

const GROUPS: { name: string; arb: fc.Arbitrary<Case>; runs: number }[] = [
  { name: 'wrong types for each field', arb: wrongType, runs: 180 },
  { name: 'unknown keys (random identifiers, JS-special names) in every closed mapping', arb: unknownKey, runs: 130 },
  { name: 'bad YAML: unclosed brackets and quotes, tabs, bad indentation, garbage lines, not one mapping', arb: badYaml, runs: 140 },
  { name: 'duplicate keys, plain, quoted and in flow mappings', arb: duplicateKey, runs: 70 },
  { name: 'anchor/alias bombs', arb: aliasBombs, runs: 50 },
  { name: 'huge values: long strings, huge numbers, deep nesting, too many items', arb: hugeValues, runs: 110 },
  { name: 'bad interpolations', arb: badInterpolation, runs: 90 },
  { name: 'invalid cpu/memory pairs and Lambda memory', arb: cpuMemory, runs: 80 },
  { name: 'bad routes', arb: badRoutes, runs: 90 },
  { name: 'wrong values of the right type', arb: badValues, runs: 70 },
  { name: 'unknown YAML tags on values and keys (they used to be dropped and the value kept)', arb: unknownTags, runs: 80 },
]

// ---------------------------------------------------------------------------------------------
// what every refusal must look like

/** One problem per line: `app.yaml:LINE:COL: message — hint`. */
const PROBLEM = /^app\.yaml:\d+:\d+: /
/** A stack frame in any output. */
const STACK_FRAME = /^\s*at .+(:\d+:\d+\)?|\(native\))$/m
/**
 * Each parse gets 200 ms of CPU time. CPU rather than wall-clock time, because the suite runs on busy
 * CI machines where another process can take the core away (this file's own CLI runs do); wall-clock
 * time still gets 2 s, a guard against a parse that hangs.
 */
const PARSE_CPU_BUDGET_MS = 200
const PARSE_WALL_BUDGET_MS = 2000

let checked = 0

function excerpt(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text
}

/** parseManifest must refuse the case with a well-formed ManifestError, fast. */
function expectRefused(c: Case): ManifestError {
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  let thrown: unknown
  try {
    parseManifest(c.text, 'app.yaml', c.vars ?? VARS, '/nonexistent')
  } catch (err) {
    thrown = err
  }
  const cpu = process.cpuUsage(cpuBefore)
  const cpuMs = (cpu.user + cpu.system) / 1000
  const ms = performance.now() - started
  checked++
  if (!(thrown instanceof ManifestError)) {
    const what = thrown === undefined ? 'it was accepted' : `it threw ${(thrown as Error)?.stack ?? String(thrown)}`
    throw new Error(`${c.group}: expected a ManifestError, but ${what}\n--- app.yaml ---\n${excerpt(c.text)}`)
  }
  expect(thrown.exitCode).toBe(ExitCode.Invalid)
  expect(thrown.code).toBe('InvalidManifest')
  expect(thrown.problems.length).toBeGreaterThanOrEqual(1)
  const lines = c.text.split('\n')
  for (const p of thrown.problems) {
    // a problem inside the file always has its position
    const { line = 0, col = 0 } = p
    const where = `${line}:${col} (${p.message}) in\n${excerpt(c.text)}`
    expect(p.file, where).toBe('app.yaml')
    expect(Number.isInteger(line) && line >= 1 && line <= lines.length, `line out of the file: ${where}`).toBe(true)
    expect(Number.isInteger(col) && col >= 1 && col <= lines[line - 1].length + 1, `col out of the line: ${where}`).toBe(true)
    const formatted = formatProblem(p)
    expect(formatted).toMatch(PROBLEM)
    // one readable line: values from the file are quoted and cut, never pasted whole
    expect(formatted, where).not.toContain('\n')
    expect(formatted.length, where).toBeLessThan(600)
  }
  // every line is a problem; past 25 the message ends with one line saying how many more (--json has all)
  const shown = thrown.message.split('\n')
  const more = /^… and (\d+) more problems \(all of them with --json\)$/.exec(shown.at(-1) ?? '')
  if (more) expect(Number(more[1])).toBe(thrown.problems.length - (shown.length - 1))
  expect(shown.slice(0, more ? -1 : undefined).every((line) => PROBLEM.test(line))).toBe(true)
  expect(thrown.message).not.toMatch(STACK_FRAME)
  expect(cpuMs, `${c.group}: took ${cpuMs.toFixed(0)} ms of CPU`).toBeLessThan(PARSE_CPU_BUDGET_MS)
  expect(ms, `${c.group}: took ${ms.toFixed(0)} ms`).toBeLessThan(PARSE_WALL_BUDGET_MS)
  return thrown
}

// ---------------------------------------------------------------------------------------------

describe('malformed manifests, property-based', () => {
  const send = vi.spyOn(AwsClients.prototype, 'send')
  const client = vi.spyOn(AwsClients.prototype, 'client')

  beforeAll(() => {
    // the base and its YAML rendering are valid: every refusal below is caused by its mutation
    expect(parseManifest(BASE, 'app.yaml', VARS).manifest.name).toBe('shop-api')
    expect(parseManifest(render(baseDoc()), 'app.yaml', VARS).manifest.environments.prod.container?.cpu).toBe(1024)
  })

  for (const group of GROUPS) {
    it(`${group.name} (${group.runs} cases)`, async () => {
      await fc.assert(
        fc.asyncProperty(group.arb, async (c) => {
          const err = expectRefused(c)
          if ('tagLine' in c) {
            const tagged = err.problems.find((p) => p.message.startsWith('unknown YAML tag '))
            expect(tagged?.line, `no unknown-tag problem at line ${c.tagLine} in\n${c.text}`).toBe(c.tagLine)
          }
          if ('expanded' in c && (c as { expanded: number }).expanded > 1000) expect(err.message).toMatch(/aliases expand too much/)
          // let the CLI runs started in beforeAll make progress (spawn the next process) between cases
          await new Promise<void>((resolve) => setImmediate(resolve))
        }),
        { numRuns: group.runs },
      )
      // a few hundred parses each: seconds on an idle machine, more with other runs beside it
    }, 60_000)
  }

  it('checked at least 1,000 generated manifests, and not one AWS call was made', () => {
    expect(GROUPS.reduce((n, g) => n + g.runs, 0)).toBeGreaterThanOrEqual(1000)
    expect(checked).toBeGreaterThanOrEqual(1000)
    // parseManifest is pure (it imports nothing of src/aws); the spies make that an observation
    expect(send).not.toHaveBeenCalled()
    expect(client).not.toHaveBeenCalled()
  })
})

// ---------------------------------------------------------------------------------------------
// the built CLI, on a sample of the generated files and on files that are not manifests at all

const ACCESS_KEY_ID = 'malformed-test-key-id'
const SECRET_ACCESS_KEY = 'malformed-test-secret-0123456789abcdefABCD'
const isRoot = process.getuid?.() === 0

/** With credentials and a region the CLI would go online: only the manifest stands between it and AWS. */
function dummyCredentials(): NodeJS.ProcessEnv {
  return cleanEnv({ AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_REGION: 'us-west-2' })
}

/** Run at most `limit` of the jobs at once. */
async function pool<T, R>(items: T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        results[i] = await job(items[i])
      }
    }),
  )
  return results
}

/** A directory of files that are not manifests at all. */
function badFiles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-files-'))
  mkdirSync(join(dir, 'adir'))
  writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x00]))
  writeFileSync(join(dir, 'empty.yaml'), '')
  writeFileSync(join(dir, 'blank.yaml'), '\n   \n# only comments\n#####\n')
  writeFileSync(join(dir, 'latin1.yaml'), Buffer.from('name: caf\xe9\n', 'latin1'))
  writeFileSync(join(dir, 'huge.yaml'), `name: x\n# ${'x'.repeat(1024 * 1024)}\n`)
  writeFileSync(join(dir, 'unreadable.yaml'), 'name: x\n')
  chmodSync(join(dir, 'unreadable.yaml'), 0o000)
  return dir
}
const FILES_DIR = badFiles()
// the unreadable case only means something when not root: root reads a chmod 000 file anyway (tests run as root in the sandbox)
const CLI_FILE_CASES = ['missing.yaml', 'adir', 'binary.yaml', 'empty.yaml', ...(isRoot ? [] : ['unreadable.yaml'])]
/**
 * Generated files per group that also go through the CLI. Each spawn costs ~0.6 s of CPU (node and
 * oclif loading modules), so 1 per group (10 files, plus the file cases: 14 spawns, 4 at a time) keeps
 * this file within its budget on a busy 2-core machine; 2 gives the fuller 20-file sample.
 */
const CLI_SAMPLE_PER_GROUP = 1

interface CliJob {
  label: string
  cwd: string
  file: string
  args: string[]
  text?: string
}

/**
 * Every CLI run of this file, started when the file starts so that the child processes overlap the
 * in-process properties (each spawn costs ~0.5 s of CPU, mostly module loading). An endpoint that
 * counts stands in for AWS: a call that slipped through would be seen (it would get a 403).
 */
async function runCli(): Promise<{ jobs: CliJob[]; runs: Run[]; requests: number }> {
  const stub = await startStub(() => ({ status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException' }, body: '{"message":"stub"}' }), {
    maxRequests: 20,
  })
  try {
    // from fixed seeds, so that the sample is the same on every run
    const sample = GROUPS.flatMap((g, i) => fc.sample(g.arb, { numRuns: CLI_SAMPLE_PER_GROUP, seed: 4242 + i }))
    const jobs: CliJob[] = sample.map((c, i) => {
      const dir = mkdtempSync(join(tmpdir(), 'shipit-malformed-'))
      writeFileSync(join(dir, 'app.yaml'), c.text)
      mkdirSync(join(dir, 'src'))
      writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 })\n')
      // the two commands alternate: both load the manifest the same way, and spawns are what makes this file slow
      const command = i % 2 === 0 ? ['plan', '--target', 'lambda'] : ['deploy', '--target', 'lambda', '--yes']
      return {
        label: `${command[0]} on a "${c.group}" case`,
        cwd: dir,
        file: 'app.yaml',
        args: [...command, '-f', 'app.yaml', '--endpoint-url', stub.url],
        text: c.text,
      }
    })
    for (const [i, name] of CLI_FILE_CASES.entries()) {
      const command = i % 2 === 0 ? ['plan', '--target', 'lambda'] : ['deploy', '--target', 'lambda', '--yes']
      jobs.push({ label: `${command[0]} -f ${name}`, cwd: FILES_DIR, file: name, args: [...command, '-f', name, '--endpoint-url', stub.url] })
    }
    const runs = await pool(jobs, 4, (j) => shipit(j.args, { cwd: j.cwd, env: dummyCredentials(), timeoutMs: 60_000 }))
    return { jobs, runs, requests: stub.requests.length + stub.refused }
  } finally {
    await stub.close()
  }
}

let cli: Promise<Awaited<ReturnType<typeof runCli>>>
beforeAll(() => {
  cli = runCli()
  // awaited by the tests below; until then a failure must not surface as an unhandled rejection
  cli.catch(() => {})
})

function expectCliRefused(run: Run, file: string, context: string, options: { position?: boolean } = {}): void {
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  expect(run.code, `${context}\n${run.stderr}`).toBe(ExitCode.Invalid)
  expect(run.stderr, context).toMatch(new RegExp(options.position === false ? `^Error: ${esc}: ` : `^Error: ${esc}:\\d+:\\d+: `))
  expect(`${run.stdout}\n${run.stderr}`, context).not.toMatch(STACK_FRAME)
  expect(run.stderr, context).not.toContain('this looks like a bug in shipit')
  expect(`${run.stdout}\n${run.stderr}`, context).not.toContain(SECRET_ACCESS_KEY)
}

describe('malformed manifests through the built CLI', () => {
  it(`a sample of ${GROUPS.length * CLI_SAMPLE_PER_GROUP} generated files, one per group: plan / deploy --yes exit 3 with app.yaml:LINE:COL, no stack trace, no request`, async () => {
    const { jobs, runs, requests } = await cli
    const generated = jobs.flatMap((j, i) => (j.text === undefined ? [] : [[j, runs[i]] as const]))
    expect(generated).toHaveLength(GROUPS.length * CLI_SAMPLE_PER_GROUP)
    for (const [job, run] of generated) expectCliRefused(run, 'app.yaml', `${job.label}:\n${excerpt(job.text ?? '')}`)
    expect(requests).toBe(0)
  }, 60_000)
})

describe('files that are not manifests', () => {
  const CASES: [string, RegExp][] = [
    ['missing.yaml', /file not found/],
    ['adir', /is a directory/],
    ['binary.yaml', /is a binary file/],
    ['empty.yaml', /is empty/],
    ['blank.yaml', /is empty/],
    ['latin1.yaml', /not valid UTF-8/],
    ['huge.yaml', /at most 1 MiB/],
    ['unreadable.yaml', /cannot read the file \(EACCES\)/],
  ]

  for (const [name, message] of CASES) {
    // see CLI_FILE_CASES: as root the unreadable file is readable
    it.skipIf(name === 'unreadable.yaml' && isRoot)(`loadManifest: ${name} → exit 3, ${name}: … (the file itself: no line and column)`, async () => {
      const err = await loadManifest(join(FILES_DIR, name), {}).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(ManifestError)
      const { problems, exitCode } = err as ManifestError
      expect(exitCode).toBe(ExitCode.Invalid)
      expect(problems).toHaveLength(1)
      expect(problems[0].file.endsWith(name)).toBe(true)
      expect(formatProblem(problems[0]).startsWith(`${problems[0].file}: `)).toBe(true)
      expect(problems[0].line).toBeUndefined()
      expect(problems[0].message).toMatch(message)
    })
  }

  it('the CLI: missing, directory, binary, empty (and unreadable unless root) → exit 3 with FILE: (no position), no stack trace, no request', async () => {
    const { jobs, runs, requests } = await cli
    const fileRuns = jobs.flatMap((j, i) => (j.text === undefined ? [[j, runs[i]] as const] : []))
    expect(fileRuns.map(([j]) => j.file)).toEqual(CLI_FILE_CASES)
    for (const [job, run] of fileRuns) {
      expectCliRefused(run, job.file, job.label, { position: false })
    }
    expect(requests).toBe(0)
  }, 60_000)
})
