import type {
  Compatibility,
  ContainerDefinition,
  CPUArchitecture,
  LogDriver,
  NetworkMode,
  OSFamily,
  TaskDefinition,
  TransportProtocol,
} from '@aws-sdk/client-ecs'
import type { OperationInput } from '../../aws/services.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import { type FieldChange, isRef, isSensitive, type Plannable, type Ref, type Sensitive, sensitiveValue } from '../../plan/types.js'
import { SECRET_VERSION_PATH, type TrackedSecret, valueFrom } from '../secret-versions.js'
import { CONTAINER_NAME, type LaunchProfile, LOG_STREAM_PREFIX } from './profile.js'

/**
 * The docker label of the container that carries a secret's version (`shipit.secret-version.DB_PASSWORD:
 * "4"`). ECS injects a secret's value when a task starts, so a rotation reaches only tasks started
 * after it. A label is part of the revision's content: the revision shipit wants differs from the
 * live one exactly when a version differs (nothing else reads the label), so a rotation registers a
 * new revision and the service update starts new tasks, and an unrotated redeploy compares equal and
 * writes nothing. A tag would not do: tags are not compared as part of a revision.
 */
const SECRET_VERSION_LABEL = 'shipit.secret-version.'

interface HealthCheckSpec {
  command: string[]
  interval: number
  timeout: number
  retries: number
  startPeriod: number
}

/**
 * The part of a task definition shipit manages, normalised so that a revision described by ECS and
 * one built from app.yaml compare equal when they would run the same container: ECS fills in
 * defaults (protocol, hostPort, essential, health-check timings, empty lists), returns cpu/memory as
 * strings and may reorder lists. Fields shipit does not set are not compared.
 */
export interface TaskDefinitionSpec {
  family: string
  executionRoleArn: string | Ref | null
  taskRoleArn: string | null
  networkMode: string
  requiresCompatibilities: string[]
  cpu: string | null
  memory: string | null
  cpuArchitecture: string
  operatingSystemFamily: string
  /** how many containers the revision has; shipit's have one */
  containers: number
  app: {
    name: string
    /** a reference to the push step's `imageUri` while a built image is being pushed */
    image: string | Ref
    essential: boolean
    cpu: number
    memory: number | null
    portMappings: { containerPort: number; hostPort: number | null; protocol: string }[]
    /** secret values as markers (desired) or hashed markers (observed): compared by hash */
    environment: Record<string, string | Sensitive>
    /** name → valueFrom (an ARN, or ECS's ARN:json-key:version-stage:version-id) */
    secrets: Record<string, string>
    /** name → the version of each secret tracked by version, as docker labels of the container (see SECRET_VERSION_LABEL) */
    secretVersions: Record<string, string>
    command: string[]
    entryPoint: string[]
    healthCheck: HealthCheckSpec | null
    logConfiguration: { logDriver: string; options: Record<string, string> } | null
  }
}

const sortedRecord = <T>(entries: [string, T][]): Record<string, T> => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

function healthCheckSpec(
  h: { command?: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number } | undefined,
): HealthCheckSpec | null {
  if (!h?.command?.length) return null
  // ECS's defaults, which DescribeTaskDefinition reports whether or not they were sent
  return { command: h.command, interval: h.interval ?? 30, timeout: h.timeout ?? 5, retries: h.retries ?? 3, startPeriod: h.startPeriod ?? 0 }
}

function portsSpec(ports: { containerPort?: number; hostPort?: number; protocol?: string }[] | undefined, networkMode: string) {
  return (ports ?? [])
    .filter((p) => p.containerPort !== undefined)
    .map((p) => ({
      containerPort: p.containerPort as number,
      // in awsvpc mode the host port is the container port, whether or not it was given
      hostPort: p.hostPort ?? (networkMode === 'awsvpc' ? (p.containerPort as number) : null),
      protocol: (p.protocol ?? 'tcp').toLowerCase(),
    }))
    .sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol))
}

/**
 * The task definition app.yaml asks for. `executionRoleArn` is a reference while the role is being created;
 * `image` is what planImage gives for container.build (a digest-pinned URI or a reference to the push).
 */
export function desiredSpec(
  desired: ContainerDesired,
  profile: LaunchProfile,
  region: string,
  executionRoleArn: string | Ref,
  image: string | Ref | undefined = desired.container.image,
  tracked: TrackedSecret[] = [],
): TaskDefinitionSpec {
  const c = desired.container
  if (image === undefined) throw new Error('container.build: the image comes from planImage, pass it to desiredSpec')
  const environment = sortedRecord(
    Object.entries(desired.environment).map(([k, v]): [string, string | Sensitive] => [k, v.secret ? sensitiveValue(k, v.value) : v.value]),
  )
  return {
    family: desired.names.family,
    executionRoleArn,
    taskRoleArn: c.taskRole ?? null,
    networkMode: 'awsvpc',
    requiresCompatibilities: [profile.compatibility],
    cpu: String(c.cpu),
    memory: String(c.memory),
    cpuArchitecture: c.architecture === 'arm64' ? 'ARM64' : 'X86_64',
    operatingSystemFamily: 'LINUX',
    containers: 1,
    app: {
      name: CONTAINER_NAME,
      image,
      essential: true,
      cpu: c.cpu,
      memory: c.memory,
      portMappings: c.port ? [{ containerPort: c.port, hostPort: c.port, protocol: 'tcp' }] : [],
      environment,
      // tracked secrets by their full ARN (and JSON key); a bare ARN as app.yaml gives it
      secrets: sortedRecord(
        Object.entries(desired.secrets).map(([k, text]): [string, string] => {
          const t = tracked.find((x) => x.key === k)
          return [k, t ? valueFrom(t) : text]
        }),
      ),
      secretVersions: sortedRecord(tracked.flatMap((t): [string, string][] => (t.version === undefined ? [] : [[t.key, t.version]]))),
      command: c.command ?? [],
      entryPoint: c.entryPoint ?? [],
      healthCheck: healthCheckSpec(c.healthCheck),
      logConfiguration: {
        logDriver: 'awslogs',
        options: sortedRecord([
          ['awslogs-group', desired.names.logGroup],
          ['awslogs-region', region],
          ['awslogs-stream-prefix', LOG_STREAM_PREFIX],
        ]),
      },
    },
  }
}

/** The app's container of a revision (by name, else the first). */
function appContainer(td: TaskDefinition): ContainerDefinition {
  const containers = td.containerDefinitions ?? []
  return containers.find((x) => x.name === CONTAINER_NAME) ?? containers[0] ?? {}
}

/** The plain environment of a revision's app container, name → value, as ECS returns it. */
export function liveEnvironment(td: TaskDefinition): Record<string, string> {
  return Object.fromEntries((appContainer(td).environment ?? []).flatMap((e) => (e.name ? [[e.name, e.value ?? '']] : [])))
}

/**
 * A revision as DescribeTaskDefinition returns it, in the same normal form. Values of variables that
 * app.yaml marks secret are kept only as hashes, so observed state never holds them.
 */
export function describedSpec(td: TaskDefinition, secretKeys: Set<string>): TaskDefinitionSpec {
  const containers: ContainerDefinition[] = td.containerDefinitions ?? []
  const c = appContainer(td)
  const networkMode = td.networkMode ?? 'bridge'
  const hc = c.healthCheck
  return {
    family: td.family ?? '',
    executionRoleArn: td.executionRoleArn ?? null,
    taskRoleArn: td.taskRoleArn ?? null,
    networkMode,
    requiresCompatibilities: [...(td.requiresCompatibilities ?? [])].sort(),
    cpu: td.cpu === undefined ? null : String(td.cpu),
    memory: td.memory === undefined ? null : String(td.memory),
    cpuArchitecture: td.runtimePlatform?.cpuArchitecture ?? 'X86_64',
    operatingSystemFamily: td.runtimePlatform?.operatingSystemFamily ?? 'LINUX',
    containers: containers.length,
    app: {
      name: c.name ?? '',
      image: c.image ?? '',
      essential: c.essential ?? true,
      cpu: c.cpu ?? 0,
      memory: c.memory ?? null,
      portMappings: portsSpec(c.portMappings, networkMode),
      environment: sortedRecord(
        (c.environment ?? [])
          .filter((e) => e.name !== undefined)
          .map((e): [string, string | Sensitive] => {
            const name = e.name as string
            const value = e.value ?? ''
            return [name, secretKeys.has(name) ? sensitiveValue(name, value) : value]
          }),
      ),
      secrets: sortedRecord((c.secrets ?? []).filter((s) => s.name).map((s): [string, string] => [s.name as string, s.valueFrom ?? ''])),
      secretVersions: sortedRecord(
        Object.entries(c.dockerLabels ?? {}).flatMap(([k, v]): [string, string][] =>
          k.startsWith(SECRET_VERSION_LABEL) ? [[k.slice(SECRET_VERSION_LABEL.length), v]] : [],
        ),
      ),
      command: c.command ?? [],
      entryPoint: c.entryPoint ?? [],
      healthCheck: hc
        ? healthCheckSpec({ command: hc.command, interval: hc.interval, timeout: hc.timeout, retries: hc.retries, startPeriod: hc.startPeriod })
        : null,
      logConfiguration: c.logConfiguration?.logDriver
        ? { logDriver: c.logConfiguration.logDriver, options: sortedRecord(Object.entries(c.logConfiguration.options ?? {})) }
        : null,
    },
  }
}

/** The RegisterTaskDefinition request for a spec: only what shipit sets, in the API's own shapes. */
type RegisterInput = Plannable<OperationInput<'ecs', 'RegisterTaskDefinition'>>

export function registerInput(spec: TaskDefinitionSpec, tags: Record<string, string>): RegisterInput {
  const a = spec.app
  const container: Plannable<ContainerDefinition> = {
    name: a.name,
    image: a.image,
    cpu: a.cpu,
    ...(a.memory !== null ? { memory: a.memory } : {}),
    essential: a.essential,
    ...(a.portMappings.length
      ? { portMappings: a.portMappings.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol as TransportProtocol })) }
      : {}),
    ...(Object.keys(a.environment).length ? { environment: Object.entries(a.environment).map(([name, value]) => ({ name, value })) } : {}),
    ...(Object.keys(a.secrets).length ? { secrets: Object.entries(a.secrets).map(([name, valueFrom]) => ({ name, valueFrom })) } : {}),
    ...(Object.keys(a.secretVersions).length
      ? { dockerLabels: Object.fromEntries(Object.entries(a.secretVersions).map(([k, v]) => [`${SECRET_VERSION_LABEL}${k}`, v])) }
      : {}),
    ...(a.command.length ? { command: a.command } : {}),
    ...(a.entryPoint.length ? { entryPoint: a.entryPoint } : {}),
    ...(a.healthCheck ? { healthCheck: a.healthCheck } : {}),
    ...(a.logConfiguration ? { logConfiguration: { ...a.logConfiguration, logDriver: a.logConfiguration.logDriver as LogDriver } } : {}),
  }
  return {
    family: spec.family,
    ...(spec.taskRoleArn ? { taskRoleArn: spec.taskRoleArn } : {}),
    ...(spec.executionRoleArn ? { executionRoleArn: spec.executionRoleArn } : {}),
    networkMode: spec.networkMode as NetworkMode,
    containerDefinitions: [container],
    requiresCompatibilities: spec.requiresCompatibilities as Compatibility[],
    ...(spec.cpu ? { cpu: spec.cpu } : {}),
    ...(spec.memory ? { memory: spec.memory } : {}),
    runtimePlatform: { cpuArchitecture: spec.cpuArchitecture as CPUArchitecture, operatingSystemFamily: spec.operatingSystemFamily as OSFamily },
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  }
}

/** Flat, readable paths of a spec (`app.image`, `app.environment.LOG_LEVEL`) and their values. */
function flatten(spec: TaskDefinitionSpec): Map<string, unknown> {
  const out = new Map<string, unknown>()
  const { app, ...task } = spec
  for (const [k, v] of Object.entries(task)) out.set(k, v)
  for (const [k, v] of Object.entries(app)) {
    if (k === 'environment' || k === 'secrets')
      for (const [name, value] of Object.entries(v as Record<string, unknown>)) out.set(`${CONTAINER_NAME}.${k}.${name}`, value)
    else if (k === 'secretVersions') for (const [name, value] of Object.entries(v as Record<string, string>)) out.set(`${SECRET_VERSION_PATH}${name}`, value)
    else out.set(`${CONTAINER_NAME}.${k}`, v)
  }
  return out
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isSensitive(a) && isSensitive(b)) return a.sha256 === b.sha256
  if (isRef(a) || isRef(b)) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Field-level differences between a live revision and the desired one; empty when equal. */
export function specChanges(before: TaskDefinitionSpec, after: TaskDefinitionSpec): FieldChange[] {
  const b = flatten(before)
  const a = flatten(after)
  const changes: FieldChange[] = []
  for (const path of new Set([...b.keys(), ...a.keys()])) {
    const x = b.get(path)
    const y = a.get(path)
    if (sameValue(x, y)) continue
    changes.push({ path, ...(x === undefined ? {} : { before: x }), ...(y === undefined ? {} : { after: y }) })
  }
  return changes
}

/** What to show for a new family: the fields a reader checks. */
export function createChanges(spec: TaskDefinitionSpec): FieldChange[] {
  const a = spec.app
  return [
    { path: `${CONTAINER_NAME}.image`, after: a.image },
    { path: 'cpu', after: spec.cpu },
    { path: 'memory', after: spec.memory },
    ...(a.portMappings.length ? [{ path: `${CONTAINER_NAME}.portMappings`, after: a.portMappings.map((p) => `${p.containerPort}/${p.protocol}`) }] : []),
    ...(a.command.length ? [{ path: `${CONTAINER_NAME}.command`, after: a.command }] : []),
    ...Object.entries(a.environment).map(([k, v]) => ({ path: `${CONTAINER_NAME}.environment.${k}`, after: v })),
    ...Object.entries(a.secrets).map(([k, v]) => ({ path: `${CONTAINER_NAME}.secrets.${k}`, after: v })),
    ...Object.entries(a.secretVersions).map(([k, v]) => ({ path: `${SECRET_VERSION_PATH}${k}`, after: v })),
    { path: 'runtimePlatform.cpuArchitecture', after: spec.cpuArchitecture },
    { path: 'requiresCompatibilities', after: spec.requiresCompatibilities },
  ]
}

/** `family:revision` of a task definition ARN (or of `family:revision` itself). */
export function revisionOf(arnOrName: string): string {
  return arnOrName.includes('task-definition/') ? (arnOrName.split('task-definition/').pop() as string) : arnOrName
}
