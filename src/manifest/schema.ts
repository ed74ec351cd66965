import { z } from 'zod'
import { DURATION, ENV_KEY } from './environments.js'
import { Release } from './release.js'
import { creatableRuntimes, RUNTIME_TABLE_DATE } from './runtimes.js'
import { SECRET_REF_PATTERN } from './secret-refs.js'

/**
 * The app.yaml schema: the one definition that gives shipit's TypeScript types, the runtime
 * validation and the JSON Schema published by `shipit schema`. Semantic rules that span fields
 * (cpu/memory pairs, handler form per runtime) live in `rules.ts`, next to their messages.
 */

export const TARGETS = ['fargate', 'ecs', 'lambda'] as const
export type TargetName = (typeof TARGETS)[number]

export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const

/** Longest app name and env name, chosen so that every derived AWS name fits its limit (Lambda's 64 is the tightest). */
export const MAX_NAME_LENGTH = 40
export const MAX_ENV_LENGTH = 16

const NAME_PATTERN = /^[a-z][a-z0-9-]*$/
const ENV_VAR_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

export const AppName = z
  .string()
  .regex(NAME_PATTERN)
  .max(MAX_NAME_LENGTH)
  .refine((s) => !s.endsWith('-') && !s.includes('--'))
  .meta({ description: 'App name, [a-z][a-z0-9-]*, at most 40 characters; prefixes every AWS resource name.' })

export const EnvName = z
  .string()
  .regex(NAME_PATTERN)
  .max(MAX_ENV_LENGTH)
  .refine((s) => !s.endsWith('-'))

/** A key of environments: an env name, or a pattern with * that declares every name it matches ("pr-*"). */
const EnvKey = z
  .string()
  .regex(ENV_KEY)
  .max(MAX_ENV_LENGTH)
  .refine((s) => s.includes('*') || !s.endsWith('-'))

const SecretEnvValue = z.strictObject({
  value: z.string().meta({ description: 'The value, usually "${env:VAR}".' }),
  secret: z.boolean().meta({ description: 'When true the value is never printed: plans show (sensitive).' }),
})
const EnvValue = z.union([z.string(), SecretEnvValue])

const EnvMap = z
  .record(z.string().regex(ENV_VAR_PATTERN), EnvValue)
  .meta({ description: 'Environment variables of the function or container. ${env:VAR} and ${env:VAR:-default} are expanded.' })

const SecretRef = z.string().regex(SECRET_REF_PATTERN).meta({
  description:
    'ssm:/NAME (or ssm:ARN), secretsmanager:NAME[#json-key[:version-stage[:version-id]]] (or the ARN), tracked by version; or a bare ARN, passed on as is. shipit never reads or prints the value.',
})
const SecretsMap = z.record(z.string().regex(ENV_VAR_PATTERN), SecretRef)

// eusc-de-east-1 (the European Sovereign Cloud) has a four-letter prefix and a country
const Region = z.string().regex(/^([a-z]{2}(-gov|-iso[a-z]*)?|eusc-[a-z]{2})-[a-z]+-\d$/)
const RoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/)
const Architecture = z.enum(['x86_64', 'arm64'])

const Network = z.strictObject({
  subnets: z
    .array(z.string().regex(/^subnet-[0-9a-f]+$/))
    .min(1)
    .max(16)
    .optional(),
  securityGroups: z
    .array(z.string().regex(/^sg-[0-9a-f]+$/))
    .min(1)
    .max(5)
    .optional(),
  assignPublicIp: z.boolean().optional(),
})

const HealthCheck = z.strictObject({
  command: z.array(z.string()).min(1).meta({ description: 'e.g. ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]' }),
  interval: z.number().int().min(5).max(300).optional(),
  timeout: z.number().int().min(2).max(120).optional(),
  retries: z.number().int().min(1).max(10).optional(),
  startPeriod: z.number().int().min(0).max(300).optional(),
})

/** ECR keeps images of an app's repository up to this many by default (lifecycle policy). */
const DEFAULT_KEEP_IMAGES = 20

/** Files that look like credentials but are meant to ship (a test key, a fixture): .gitignore patterns, relative to the package root. */
const AllowFiles = z.array(z.string().min(1).max(1024)).max(1000).meta({
  description:
    'Files that look like credentials but are meant to be packed (a test key, a fixture): patterns in .gitignore syntax, relative to the package root.',
})

const Build = z.strictObject({
  context: z.string().min(1).meta({ description: 'Build context directory, relative to app.yaml; .dockerignore is honoured.' }),
  dockerfile: z.string().min(1).optional().meta({ description: 'Dockerfile path, relative to the context (default: Dockerfile).' }),
  args: z
    .record(z.string().regex(ENV_VAR_PATTERN), z.string())
    .optional()
    .meta({ description: 'Build arguments (--build-arg). Not for secrets: they show in the plan and the image history.' }),
  target: z.string().min(1).max(128).optional().meta({ description: 'Stage of a multi-stage Dockerfile to build (--target).' }),
  allowContextOutsideApp: z.boolean().optional().meta({
    description:
      'Let context (and dockerfile) name a place outside the directory of app.yaml (refused by default; never your home directory, / or a directory above home).',
  }),
  allowFiles: AllowFiles.optional(),
})

/** `build: PATH`, docker compose's shorthand, is `build: { context: PATH }`. */
const BuildOrPath = z.preprocess((v) => (typeof v === 'string' ? { context: v } : v), Build)

/** http on fargate: how the Express Mode service scales (Application Auto Scaling target tracking). */
const Scaling = z.strictObject({
  metric: z
    .enum(['cpu', 'memory', 'requests'])
    .optional()
    .meta({ description: 'cpu (default) or memory: average utilisation in %; requests: requests per task (ALB RequestCountPerTarget).' }),
  target: z
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'The value to keep the metric at; default 60 (%) for cpu and memory, required for requests.' }),
})

const containerShape = {
  image: z.string().min(1).max(255).optional().meta({ description: 'Container image, e.g. public.ecr.aws/nginx/nginx:1.27. Exactly one of image and build.' }),
  port: z.number().int().min(1).max(65535).optional(),
  cpu: z.number().int().meta({ description: 'CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192, 16384).' }),
  memory: z.number().int().meta({ description: 'Memory in MiB; on Fargate it must pair with cpu.' }),
  command: z.array(z.string()).optional(),
  entryPoint: z.array(z.string()).optional(),
  mode: z.enum(['service', 'task']).meta({ description: 'service: a long-running ECS service; task: a one-off RunTask.' }),
  count: z.number().int().min(0).max(1000),
  cluster: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/)
    .optional(),
  network: Network.optional(),
  healthCheck: HealthCheck.optional(),
  architecture: Architecture,
  executionRole: RoleArn.optional(),
  taskRole: RoleArn.optional(),
  insights: z.boolean().optional().meta({ description: 'Turn on CloudWatch Container Insights for a cluster shipit creates.' }),
  build: BuildOrPath.optional().meta({
    description: 'Build the image from source with your container CLI and push it to ECR (repository shipit/<name>). Exactly one of image and build.',
  }),
  keepImages: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: `With build: ECR keeps the last N images of the app's repository (default ${DEFAULT_KEEP_IMAGES}).` }),
  // with http: on fargate (an ECS Express Mode service)
  healthCheckPath: z
    .string()
    .regex(/^\/[\x21-\x7e]*$/)
    .max(1024)
    .optional()
    .meta({ description: 'http on fargate: the path the load balancer checks; it must answer 200. Default /.' }),
  minTasks: z.number().int().min(1).max(1000).optional().meta({ description: 'http on fargate: fewest tasks. Default: count (at least 1).' }),
  maxTasks: z.number().int().min(1).max(1000).optional().meta({ description: 'http on fargate: most tasks. Default: 3, or minTasks when more.' }),
  scaling: Scaling.optional(),
  infrastructureRole: RoleArn.optional().meta({
    description:
      'http on fargate: role ECS uses to run the load balancer, certificate and scaling; by default shipit creates one with AmazonECSInfrastructureRoleforExpressGatewayServices.',
  }),
}
const Container = z.strictObject({
  ...containerShape,
  cpu: containerShape.cpu.default(256),
  memory: containerShape.memory.default(512),
  mode: containerShape.mode.default('service'),
  count: containerShape.count.default(1),
  keepImages: containerShape.keepImages.default(DEFAULT_KEEP_IMAGES),
  architecture: containerShape.architecture.default('x86_64'),
})

const functionShape = {
  source: z.string().min(1).meta({ description: 'Directory to zip, relative to app.yaml; .shipitignore is honoured.' }),
  // required for a zip function (rules.ts); a container app with http: on lambda has neither (an image function)
  handler: z.string().min(1).max(128).optional(),
  runtime: z
    .string()
    .optional()
    .meta({ description: 'A Lambda runtime that accepts new functions today, e.g. nodejs24.x or python3.14. Leave out (with handler) for an image function.' }),
  memory: z.number().int().min(128).max(10240),
  timeout: z.number().int().min(1).max(900),
  architecture: Architecture,
  role: RoleArn.optional().meta({ description: 'Execution role ARN; by default shipit creates one with AWSLambdaBasicExecutionRole.' }),
  reservedConcurrency: z.number().int().min(0).max(10000).optional().meta({
    description:
      "Concurrent executions reserved for the function (and its cap); 0 stops it from running. Without it the function shares the account's unreserved pool.",
  }),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens')
    .optional()
    .meta({
      description:
        'S3 bucket (yours, in the same region) the package is uploaded to; by default packages above 50 MB zipped go through shipit-artifacts-<account>-<region>, a bucket shipit creates.',
    }),
  secretsVia: z.enum(['extension', 'arn']).optional().meta({
    description:
      'How the function gets the secrets of secrets: (ssm:/secretsmanager:). extension (default): the AWS Parameters and Secrets Lambda Extension layer, at the URL in SHIPIT_SECRET_<NAME>_URL; arn: only the ARN in SHIPIT_SECRET_<NAME>, read by your code.',
  }),
  allowSourceOutsideApp: z.boolean().optional().meta({
    description:
      'Let source name a directory outside the directory of app.yaml (refused by default, so ../.. never packs more than meant; never your home directory, / or a directory above home).',
  }),
  allowFiles: AllowFiles.optional(),
  release: Release.optional(),
}
/** The keys a function: section may have (an unknown one is the schema's to report). */
export const FUNCTION_KEYS: readonly string[] = Object.keys(functionShape)

/** Lambda memory when app.yaml gives none (a zip function; an image function is sized from its container). */
const DEFAULT_FUNCTION_MEMORY = 128

const LambdaFunction = z
  .strictObject({
    ...functionShape,
    source: functionShape.source.default('./src'),
    memory: functionShape.memory.optional().meta({ default: DEFAULT_FUNCTION_MEMORY }),
    timeout: functionShape.timeout.default(10),
    architecture: functionShape.architecture.default('x86_64'),
  })
  // the default is filled here rather than by .default() so that an image function can tell a memory
  // app.yaml gives (an override) from none (sized from container.memory)
  .transform(({ memory, ...f }) => ({ ...f, memory: memory ?? DEFAULT_FUNCTION_MEMORY, ...(memory === undefined ? {} : { memoryGiven: true as const }) }))

const Cors = z.strictObject({
  allowOrigins: z.array(z.string()).min(1),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  allowCredentials: z.boolean().optional(),
  maxAge: z.number().int().min(0).max(86400).optional(),
})
const httpShape = {
  routes: z
    .array(z.string())
    .min(1)
    .max(300)
    .meta({ description: 'Route keys "METHOD /path" or "$default". Lambda only: on fargate every path goes to the container.' }),
  cors: Cors.optional().meta({ description: 'Lambda only: on fargate the container answers CORS itself.' }),
  domain: z
    .union([z.string(), z.array(z.string()).min(1)])
    .optional()
    .meta({
      description:
        'Your own domain (one name or a list): a certificate from ACM, validated and pointed at the app in the Route 53 hosted zone of this account that holds the name. lambda and fargate.',
    }),
  certificate: z
    .string()
    .optional()
    .meta({ description: "An ACM certificate ARN of the app's region that covers every name of domain; else shipit requests one." }),
}
const Http = z.strictObject({ ...httpShape, routes: httpShape.routes.default(['$default']) })

const Logs = z.strictObject({
  retentionDays: z.literal(LOG_RETENTION_DAYS).default(14),
})

/** `schedule:` of a task or a function: an EventBridge Scheduler schedule (its expression is checked in rules.ts, with line:col). */
const ScheduleExpressionText = z
  .string()
  .min(1)
  .max(256)
  .meta({ description: 'cron(minutes hours day-of-month month day-of-week year) or rate(N minute(s)|hour(s)|day(s)), as EventBridge Scheduler takes them.' })
const ScheduleObject = z.strictObject({
  expression: ScheduleExpressionText,
  timezone: z.string().min(1).max(50).optional().meta({ description: 'IANA time zone the cron expression is read in, e.g. Europe/Paris (default UTC).' }),
  enabled: z.boolean().optional().meta({ description: 'false keeps the schedule but stops it firing (default true).' }),
  payload: z
    .union([z.string().max(8192), z.record(z.string(), z.unknown())])
    .optional()
    .meta({ description: 'function only: the event each run invokes it with (JSON text or an object); default {}.' }),
})
const Schedule = z.union([ScheduleExpressionText, ScheduleObject]).meta({
  description:
    'Run a container with mode: task, or invoke the function, on an EventBridge Scheduler schedule: "cron(0 3 * * ? *)", "rate(1 hour)", or { expression, timezone, enabled, payload }.',
})

/** The load `shipit compare` estimates for when no flags are given (so a plain `shipit compare` works in CI). */
const Expect = z.strictObject({
  requests: z
    .union([z.string().regex(/^\d+(\.\d+)?\s*[kKMBG]?\s*(\/\s*(month|mo|day|d|hour|h|minute|min|second|s))?$/), z.number().positive()])
    .meta({ description: 'Requests a month (or another period): 5M/month, 100k/day, 20/s.' }),
  duration: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(ms|s|m|min)$/)
    .meta({ description: 'How long one request takes: 120ms, 1.5s.' }),
  payload: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/)
    .optional()
    .meta({ description: 'Bytes in and out of one request: 4KB (default).' }),
  concurrency: z.number().int().min(1).max(100000).optional().meta({ description: 'Requests one container serves at once (default 10).' }),
})

/** An overlay under `environments.<env>`: any section, every field optional; deep-merged over the base. */
const Overlay = z.strictObject({
  ttl: z.string().regex(DURATION).optional().meta({
    description:
      'The env expires this long after its last deploy: its resources carry a shipit:expires tag and `shipit prune` destroys it once past. 90m, 12h, 3d.',
  }),
  region: Region.optional(),
  env: EnvMap.optional(),
  secrets: SecretsMap.optional(),
  container: z.strictObject(containerShape).partial().optional(),
  function: z.strictObject(functionShape).partial().optional(),
  http: z.strictObject(httpShape).partial().optional(),
  logs: Logs.partial().optional(),
  expect: Expect.partial().optional(),
  schedule: Schedule.optional(),
})

/** Longest component name: `<app>-<component>-<env>` stays readable; names past an AWS limit are cut by names.ts. */
const MAX_COMPONENT_LENGTH = 24

const ComponentName = z
  .string()
  .regex(NAME_PATTERN)
  .max(MAX_COMPONENT_LENGTH)
  .refine((s) => !s.endsWith('-') && !s.includes('--'))
  .meta({ description: `Component name, [a-z][a-z0-9-]*, at most ${MAX_COMPONENT_LENGTH} characters; resources are named <app>-<component>-<env>.` })

/** An overlay of a component: its own sections; ttl, region and expect belong to the app's top level. */
const ComponentOverlay = Overlay.omit({ ttl: true, region: true, expect: true })

/** One part of an app (components:): what an app.yaml holds today, plus `before:` (src/manifest/components.ts). */
const Component = z
  .strictObject({
    target: z.enum(TARGETS).meta({ description: 'The target this component deploys to.' }),
    env: EnvMap.optional().meta({ description: "Merged over the top-level env. ${component:NAME.OUTPUT} takes another component's output (url, arn, name)." }),
    secrets: SecretsMap.optional(),
    container: Container.optional(),
    function: LambdaFunction.optional(),
    http: Http.optional(),
    logs: Logs.optional(),
    environments: z.record(EnvKey, ComponentOverlay).optional(),
    before: z
      .array(ComponentName)
      .optional()
      .meta({ description: 'A task component: it runs, and must exit 0, before the first change of each of these components.' }),
    schedule: Schedule.optional(),
  })
  .meta({ description: 'One component of the app, on its own target.' })

export const Manifest = z
  .strictObject({
    $schema: z.string().optional(),
    name: AppName,
    region: Region.optional().meta({ description: 'Else --region, AWS_REGION, or the profile.' }),
    target: z.enum(TARGETS).optional().meta({ description: 'Default target; --target overrides.' }),
    env: EnvMap.default({}),
    secrets: SecretsMap.default({}),
    container: Container.optional(),
    function: LambdaFunction.optional(),
    http: Http.optional(),
    schedule: Schedule.optional(),
    logs: Logs.default({ retentionDays: 14 }),
    expect: Expect.optional().meta({ description: 'Expected load, for `shipit compare` and the monthly cost in plans.' }),
    environments: z.record(EnvKey, Overlay).default({}),
    components: z
      .record(ComponentName, Component)
      .optional()
      .meta({ description: 'Several components in one app, each on its own target, deployed together over one graph of steps.' }),
  })
  .meta({ title: 'shipit app.yaml', description: 'One app, deployed to AWS by shipit.' })

export type Manifest = z.infer<typeof Manifest>
export type ContainerSpec = z.infer<typeof Container>
export type FunctionSpec = z.infer<typeof LambdaFunction>
export type HttpSpec = z.infer<typeof Http>
export type ScheduleSpec = z.infer<typeof Schedule>

export function jsonSchema(now: Date = new Date()): Record<string, unknown> {
  const schema = z.toJSONSchema(Manifest, { io: 'input', unrepresentable: 'any' }) as Record<string, any>
  const runtimes = creatableRuntimes(now)
  const build = z.toJSONSchema(Build, { io: 'input' }) as Record<string, unknown>
  delete build.$schema
  const buildOrPath = (described: Record<string, unknown>) => ({
    ...(described.description ? { description: described.description } : {}),
    anyOf: [{ type: 'string', minLength: 1, description: 'docker compose shorthand for { context: PATH }' }, build],
  })
  const runtime = (described: Record<string, unknown>) => ({
    ...described,
    description: `A Lambda runtime that accepts new functions on ${utcDayOf(now)} (AWS's deprecation table as read on ${RUNTIME_TABLE_DATE}).`,
    enum: runtimes,
  })
  const overlays = schema.properties?.environments?.additionalProperties?.properties
  const component = schema.properties?.components?.additionalProperties?.properties
  const componentOverlays = component?.environments?.additionalProperties?.properties
  for (const section of [schema.properties, overlays, component, componentOverlays]) {
    const container = section?.container?.properties
    if (container?.build) container.build = buildOrPath(container.build)
    const fn = section?.function?.properties
    if (fn?.runtime) fn.runtime = runtime(fn.runtime)
  }
  // exactly one of image and build (checked with the other rules in rules.ts), told to editors too
  for (const container of [schema.properties?.container, component?.container]) {
    if (container) container.oneOf = [{ required: ['image'] }, { required: ['build'] }]
  }
  return { ...schema, $id: 'https://shipit.dev/schema/app.json' }
}

function utcDayOf(now: Date): string {
  return now.toISOString().slice(0, 10)
}
