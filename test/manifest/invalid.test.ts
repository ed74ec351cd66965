import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/errors.js'
import { formatProblem, loadManifest, ManifestError, type ManifestProblem } from '../../src/manifest/load.js'

const DIR = join(import.meta.dirname, '../fixtures/manifests/invalid')

/** What one problem must be: exactly at line:col, with this message (exact text, or a precise regex) and hint. */
interface Expected {
  /** LINE:COL, or "the file" for a problem with the file itself (no position) */
  at: `${number}:${number}` | 'the file'
  message: string | RegExp
  hint?: string | RegExp
}

const NAME_HINT = 'use lowercase letters, digits and single hyphens, starting with a letter, at most 40 characters, e.g. name: hello-api'
const ROUTE_HINT = 'write routes as "GET /items/{id}", "ANY /{proxy+}" or "$default"'
const ENV_VAR_NAME_HINT = 'environment variable names use letters, digits and _ and do not start with a digit'

/** Every fixture in invalid/ and what loadManifest must report for it, in order. */
const CASES: Record<string, Expected[]> = {
  // --- keys
  'unknown-top-level-key.yaml': [{ at: '2:1', message: 'unknown key "regoin"', hint: 'did you mean "region"?' }],
  'unknown-nested-key.yaml': [
    // one problem only: "function.handler is required" would say the same thing again
    { at: '4:3', message: 'unknown key "handlr" in function', hint: 'did you mean "handler"?' },
  ],
  'unknown-key-no-suggestion.yaml': [
    {
      at: '4:3',
      message: 'unknown key "replicas" in container',
      hint: /^known keys here: image, port, cpu, memory, command, .*\bcount\b/,
    },
  ],
  'duplicate-key.yaml': [
    {
      at: '5:3',
      message: 'duplicate key "port": a key may appear once in a mapping',
      hint: 'remove one of the two, or merge them; the first is at line 4',
    },
  ],

  // --- types
  'memory-not-a-number.yaml': [{ at: '5:11', message: 'function.memory must be a number, not the string "big"', hint: 'Lambda memory is 128–10240 MB' }],
  'routes-not-a-list.yaml': [{ at: '6:11', message: 'http.routes must be a list, not the string "GET /"', hint: /^list route keys such as "GET \/"/ }],
  'env-value-number.yaml': [
    {
      at: '3:9',
      message: 'env.PORT must be a string, or a mapping {value, secret: true}; it is number 8080',
      hint: 'quote numbers and booleans: LOG_LEVEL: "1"',
    },
  ],

  // --- names
  'name-pattern.yaml': [{ at: '2:7', message: 'name "My_App" is not valid', hint: NAME_HINT }],
  'name-too-long.yaml': [{ at: '1:7', message: 'name must be at most 40 characters long', hint: NAME_HINT }],
  'env-var-name.yaml': [{ at: '4:3', message: 'key "1BAD" in env is not a valid name', hint: ENV_VAR_NAME_HINT }],
  'environment-name.yaml': [
    {
      at: '7:3',
      message: 'key "Staging_1" in environments is not a valid name',
      hint: /^environment names use lowercase letters, digits and hyphens, .*at most 16 characters$/,
    },
  ],
  'reserved-env.yaml': [{ at: '4:3', message: 'env AWS_REGION is reserved by Lambda', hint: 'rename the variable' }],

  // --- interpolation
  'missing-env-var.yaml': [
    {
      at: '3:10',
      message: 'environment variable SHIPIT_TEST_SURELY_UNSET is not set',
      hint: 'set SHIPIT_TEST_SURELY_UNSET, or give a default: ${env:SHIPIT_TEST_SURELY_UNSET:-value}',
    },
  ],
  'interpolation-in-list.yaml': [
    { at: '7:7', message: 'environment variable SHIPIT_TEST_MISSING_IN_LIST is not set', hint: /^set SHIPIT_TEST_MISSING_IN_LIST, or give a default/ },
  ],
  'unsupported-interpolation.yaml': [
    {
      at: '3:10',
      message: 'unsupported interpolation ${foo}',
      hint: 'write ${env:VAR} or ${env:VAR:-default}; $${ gives a literal ${',
    },
  ],

  'unterminated-interpolation.yaml': [
    { at: '3:13', message: 'interpolation ${env:HOME is not closed: a } is missing', hint: 'close it with }, or write $${ for a literal ${' },
  ],

  // --- secrets
  'secret-too-short.yaml': [
    {
      at: '4:21',
      message: 'secret API_KEY is shorter than 8 characters',
      hint: /^a short secret can be recovered from its hash in a plan: use at least 8 characters/,
    },
  ],

  // --- YAML syntax and file shape
  'unclosed-bracket.yaml': [
    {
      at: '5:3',
      message: 'invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]',
      hint: 'close the [ at line 4, col 12 with ], or indent the lines that continue it',
    },
  ],
  'tab-indentation.yaml': [{ at: '3:1', message: 'invalid YAML: tabs are not allowed as indentation', hint: 'indent with spaces, not tabs' }],
  'multiple-documents.yaml': [{ at: '4:1', message: 'invalid YAML: the file holds more than one document (a --- line)', hint: /^keep one document/ }],
  'top-level-list.yaml': [{ at: '1:1', message: 'the top level is not a mapping of keys to values', hint: 'start with `name: my-app`' }],
  'empty.yaml': [{ at: 'the file', message: 'is empty', hint: /shipit init/ }],
  'only-comments.yaml': [{ at: 'the file', message: 'is empty', hint: /shipit init/ }],
  'binary.yaml': [{ at: 'the file', message: 'is a binary file, not YAML', hint: 'check that -f points at app.yaml' }],
  'directory.yaml': [{ at: 'the file', message: 'is a directory, not a file', hint: 'pass the app.yaml inside it with -f DIR/app.yaml' }],
  'banner-comment.yaml': [{ at: '6:9', message: 'container.port must be at least 1, not 0', hint: 'a port is 1–65535' }],
  'alias-bomb.yaml': [{ at: '3:8', message: /^aliases expand too much\b/, hint: 'write the values out instead of nesting aliases' }],

  // --- Lambda
  'memory-too-small.yaml': [{ at: '5:11', message: 'function.memory must be at least 128, not 64', hint: 'Lambda memory is 128–10240 MB' }],
  'memory-too-big.yaml': [{ at: '5:11', message: 'function.memory must be at most 10240, not 10241', hint: 'Lambda memory is 128–10240 MB' }],
  'timeout-zero.yaml': [{ at: '5:12', message: 'function.timeout must be at least 1, not 0', hint: 'Lambda timeout is 1–900 seconds' }],
  'timeout-too-big.yaml': [{ at: '5:12', message: 'function.timeout must be at most 900, not 901', hint: 'Lambda timeout is 1–900 seconds' }],
  'unknown-runtime.yaml': [
    { at: '4:12', message: 'runtime nodejs99.x is not a Lambda runtime', hint: /^use one of nodejs24\.x, nodejs22\.x, .*provided\.al2023/ },
  ],
  'deprecated-runtime.yaml': [
    {
      at: '4:12',
      message: 'runtime nodejs18.x is deprecated and Lambda no longer creates functions with it (blocked since 2025-10-01)',
      hint: 'use nodejs24.x',
    },
  ],
  'handler-nodejs.yaml': [
    {
      at: '3:12',
      message: 'handler "index" is not of the form nodejs22.x expects',
      hint: 'write it as FILE.FUNCTION, e.g. index.handler',
    },
  ],
  'handler-java.yaml': [
    {
      at: '3:12',
      message: 'handler "example/Handler#handleRequest" is not of the form java21 expects',
      hint: 'write it as package.Class::method, e.g. example.Handler::handleRequest',
    },
  ],
  'role-arn.yaml': [
    { at: '5:9', message: 'function.role "my-execution-role" is not valid', hint: /^give an IAM role ARN \(arn:aws:iam::123456789012:role\/NAME\)/ },
  ],

  // --- HTTP routes
  'route-bad-method.yaml': [
    {
      at: '8:7',
      message: 'route "FETCH /items" has an unknown method FETCH (use one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)',
      hint: ROUTE_HINT,
    },
  ],
  'route-no-leading-slash.yaml': [{ at: '6:12', message: 'route "GET items" has a path that does not start with /', hint: ROUTE_HINT }],
  'route-proxy-not-last.yaml': [
    {
      at: '7:7',
      message: 'route "ANY /{proxy+}/edit" has an invalid path: segments are literals or {name}, and only the last may be {name+}',
      hint: ROUTE_HINT,
    },
  ],
  'route-duplicate.yaml': [{ at: '9:7', message: 'route "GET /items" is listed twice', hint: 'remove the duplicate' }],

  // --- containers
  'fargate-cpu-memory.yaml': [
    { at: '6:11', message: 'container.memory 4096 does not pair with cpu 256 on Fargate', hint: 'with cpu 256 use memory 512, 1024, 2048' },
  ],
  'fargate-cpu-size.yaml': [{ at: '5:8', message: 'container.cpu 300 is not a Fargate CPU size', hint: 'use one of 256, 512, 1024, 2048, 4096, 8192, 16384' }],

  // --- ARNs, region, enums
  'secret-arn.yaml': [
    { at: '3:16', message: 'secrets.DB_PASSWORD "arn:aws:s3:::my-bucket/password" is not valid', hint: /^give ssm:\/NAME \(an SSM parameter\)/ },
  ],
  'secret-ssm-name.yaml': [{ at: '3:16', message: 'secrets.DB_PASSWORD "ssm:shop db" is not valid', hint: /secretsmanager:NAME#json-key/ }],
  'secret-stage-and-id.yaml': [
    {
      at: '3:15',
      message: 'secrets.STRIPE_KEY names both a version stage (AWSPREVIOUS) and a version id (0f1e2d3c-aaaa-bbbb-cccc-000011112222)',
      hint: 'keep one of them: #json-key:STAGE or #json-key::VERSION-ID',
    },
  ],
  'secret-variable-clash.yaml': [
    { at: '4:3', message: 'secret DB_URL would share its variable with secret DB (SHIPIT_SECRET_DB_URL)', hint: 'rename one of them' },
  ],
  'region.yaml': [{ at: '2:9', message: 'region "US-West-2" is not valid', hint: 'write an AWS region code, e.g. region: us-west-2' }],
  'unknown-target.yaml': [{ at: '2:9', message: 'target must be one of "fargate", "ecs", "lambda", not the string "lamda"', hint: 'did you mean "lambda"?' }],
  'retention-days.yaml': [
    {
      at: '5:18',
      message: 'logs.retentionDays 10 is not one of the allowed values',
      hint: /^use one of CloudWatch Logs' retention periods: 1, 3, 5, 7, 14, 30, .*, 3653$/,
    },
  ],

  // --- a container app with http: on lambda (an image function)
  'lambda-image-task.yaml': [
    {
      at: '8:9',
      message:
        'container.mode task is a one-off job, not an HTTP app: on target lambda a container runs as an image function that answers requests (at most 15 minutes each)',
      hint: 'deploy it with --target fargate, or set mode: service for a web server',
    },
  ],

  // --- environment overlays: positions point into the overlay
  'overlay-invalid-value.yaml': [
    { at: '11:15', message: 'environments.prod.function.memory must be at least 128, not 64', hint: 'Lambda memory is 128–10240 MB' },
  ],
  'overlay-unknown-key.yaml': [{ at: '8:7', message: 'unknown key "memroy" in environments.prod.function', hint: 'did you mean "memory"?' }],
  'overlay-fargate-pair.yaml': [
    {
      at: '9:16',
      message: 'container.memory 512 does not pair with cpu 1024 on Fargate (in environment prod)',
      hint: 'with cpu 1024 use memory 2048–8192 in steps of 1024',
    },
  ],

  // --- several problems at once, sorted by line
  'several-errors.yaml': [
    { at: '1:7', message: 'name "Bad_Name" is not valid', hint: NAME_HINT },
    { at: '2:9', message: 'region "moon-1" is not valid', hint: /^write an AWS region code/ },
    { at: '7:11', message: 'container.memory 512 does not pair with cpu 512 on Fargate', hint: 'with cpu 512 use memory 1024, 2048, 3072, 4096' },
    { at: '8:9', message: 'container.port must be at most 65535, not 70000', hint: 'a port is 1–65535' },
    { at: '10:18', message: 'logs.retentionDays 10 is not one of the allowed values', hint: /^use one of CloudWatch Logs' retention periods/ },
  ],
}

async function problemsOf(path: string): Promise<{ error: ManifestError; problems: ManifestProblem[] }> {
  // no variables: the fixtures must not depend on the shell running the tests
  const error = await loadManifest(path, {}).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error, `${path} loaded without an error`).toBeInstanceOf(ManifestError)
  const e = error as ManifestError
  return { error: e, problems: e.problems }
}

function matches(actual: string | undefined, expected: string | RegExp): void {
  if (typeof expected === 'string') expect(actual).toBe(expected)
  else expect(actual).toMatch(expected)
}

describe('invalid manifests', () => {
  const fixtures = readdirSync(DIR).sort()

  it('has an expectation for every fixture, and a fixture for every expectation', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30)
    expect(fixtures).toEqual(Object.keys(CASES).sort())
  })

  for (const [name, expected] of Object.entries(CASES)) {
    it(`${name}: ${expected.map((e) => e.at).join(', ')}`, async () => {
      const path = join(DIR, name)
      const { error, problems } = await problemsOf(path)
      expect(error.exitCode).toBe(ExitCode.Invalid)
      expect(error.code).toBe('InvalidManifest')
      expect(problems.map((p) => (p.line === undefined ? 'the file' : `${p.line}:${p.col}`))).toEqual(expected.map((e) => e.at))
      problems.forEach((p, i) => {
        expect(p.file).toBe(relative(process.cwd(), path))
        matches(p.message, expected[i].message)
        if (expected[i].hint !== undefined) matches(p.hint, expected[i].hint)
      })
    })
  }

  it('formats every problem as FILE:LINE:COL: message — hint (FILE: message — hint for the file itself), with no stack trace', async () => {
    for (const name of fixtures) {
      const { error, problems } = await problemsOf(join(DIR, name))
      for (const p of problems) {
        const text = formatProblem(p)
        const at = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col}`
        expect(text.startsWith(`${at}: `), text).toBe(true)
        expect(text).toMatch(p.line === undefined ? /^[^:]+\.yaml: \S/ : /^[^:]+\.yaml:\d+:\d+: \S/)
        if (p.line !== undefined) expect(p.col).toBeGreaterThanOrEqual(1)
        expect(text).not.toContain('    at ')
        expect(text).not.toContain('\n')
        if (p.hint) expect(text).toBe(`${at}: ${p.message} — ${p.hint}`)
      }
      // the error's own message is the formatted list, one line per problem, and carries no stack either
      expect(error.message).toBe(problems.map(formatProblem).join('\n'))
      expect(error.message).not.toContain('    at ')
    }
  })

  it('reports problems sorted by line, then column', async () => {
    for (const name of fixtures) {
      const { problems } = await problemsOf(join(DIR, name))
      const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
      expect(problems).toEqual(sorted)
    }
  })

  it('a missing file is one problem that names the file and says what to do, at no line', async () => {
    const path = join(DIR, '..', 'no-such-app.yaml')
    const { error, problems } = await problemsOf(path)
    expect(error.exitCode).toBe(3)
    expect(problems).toEqual([
      { file: relative(process.cwd(), path), message: 'file not found', hint: 'run `shipit init` to write one, or pass its path with -f' },
    ])
  })

  it('fails fast on an alias bomb instead of expanding it', async () => {
    const started = performance.now()
    const { problems } = await problemsOf(join(DIR, 'alias-bomb.yaml'))
    expect(performance.now() - started).toBeLessThan(500)
    expect(problems).toHaveLength(1)
  })

  it('rejects a comment banner quickly (no exponential backtracking in the empty-file check)', async () => {
    const started = performance.now()
    await problemsOf(join(DIR, 'banner-comment.yaml'))
    expect(performance.now() - started).toBeLessThan(500)
  })
})
