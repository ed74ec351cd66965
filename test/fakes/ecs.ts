import type { FakeContext } from './context.js'
import { awsError, clone, decodeToken, encodeToken, type Handlers } from './core.js'
import { createNetworkInterface, deleteNetworkInterface, launchInstance } from './ec2.js'
import { expressHandlers } from './ecs-express.js'
import { appendLogEvents } from './logs.js'

type Rec = Record<string, any>
type Tag = { key: string; value: string }

/** What a task started by RunTask does (applied on the next DescribeTasks). */
export interface TaskOutcome {
  /** exit code of every container (default 0) unless overridden per container */
  exitCode?: number
  /** default 'Essential container in task exited' */
  stoppedReason?: string
  /** default 'EssentialContainerExited' ('TaskFailedToStart' for a start failure) */
  stopCode?: string
  /** lines written to each container's awslogs stream (`{prefix}/{container}/{taskId}`) */
  logLines?: string[]
  containers?: Record<string, { exitCode?: number; reason?: string }>
}

export type RolloutOutcome = 'COMPLETED' | 'FAILED' | 'IN_PROGRESS'

export interface EcsTaskDefinitionRecord {
  /** DescribeTaskDefinition `taskDefinition` shape */
  taskDefinition: Rec
  tags: Tag[]
}

export interface EcsState {
  /** keyed by ARN; SDK Cluster shape (tags/settings included; filtered on output by `include`) */
  clusters: Map<string, Rec>
  /** keyed by ARN; SDK Service shape (tags included; filtered on output by `include`) */
  services: Map<string, Rec>
  /** keyed by task definition ARN */
  taskDefinitions: Map<string, EcsTaskDefinitionRecord>
  /** last revision number per family (revisions are never reused, as on ECS) */
  familyRevisions: Map<string, number>
  /** keyed by ARN; SDK Task shape */
  tasks: Map<string, Rec>
  /** keyed by ARN; SDK ContainerInstance shape */
  containerInstances: Map<string, Rec>
  /** outcome of tasks started by RunTask; see TaskOutcome. undefined = tasks keep RUNNING */
  taskOutcome?: TaskOutcome
  /** outcome of the next deployment that starts tasks (consumed). 'FAILED' = its tasks fail to start */
  nextRollout?: RolloutOutcome
  /** stoppedReason of the tasks of a deployment programmed to fail */
  rolloutFailureReason?: string
  /** internal: per-task extras */
  taskMeta: Map<string, { kind: 'run' | 'service'; outcome?: TaskOutcome; serviceArn?: string }>
  /** internal: FAILED deployments still shown by DescribeServices, deploymentId -> remaining responses */
  lingering: Map<string, number>
  /** internal: deployments that cannot complete, deploymentId -> why */
  stuck: Map<string, 'placement' | 'programmed' | 'failing'>
  /** internal: deleted services still DRAINING, serviceArn -> when DeleteService ran */
  draining: Map<string, Date>
  /** AWSServiceRoleForECS in a fresh account (behavior.ecsFreshAccount): being created by the first CreateCluster, or ready */
  serviceLinkedRole?: 'creating' | 'ready'
  /** clientToken of RunTask / CreateService, per cluster: the request it came with, the answer, when */
  clientTokens: Map<string, { request: string; answer: Rec; at: number }>
}

export function createEcsState(): EcsState {
  return {
    clusters: new Map(),
    services: new Map(),
    taskDefinitions: new Map(),
    familyRevisions: new Map(),
    tasks: new Map(),
    containerInstances: new Map(),
    taskMeta: new Map(),
    lingering: new Map(),
    stuck: new Map(),
    draining: new Map(),
    clientTokens: new Map(),
  }
}

/** RunTask's client token lives 24 hours (ECS API reference, "Ensuring idempotency"); CreateService's as long here. */
const CLIENT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000

const FARGATE_MEMORY: Record<string, number[]> = {
  '256': [512, 1024, 2048],
  '512': [1024, 2048, 3072, 4096],
  '1024': range(2048, 8192, 1024),
  '2048': range(4096, 16384, 1024),
  '4096': range(8192, 30720, 1024),
  '8192': range(16384, 61440, 4096),
  '16384': range(32768, 122880, 8192),
}
function range(a: number, b: number, step: number): number[] {
  const out: number[] = []
  for (let x = a; x <= b; x += step) out.push(x)
  return out
}

function normCpu(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  const s = String(v).trim()
  const m = /^([\d.]+)\s*vcpu$/i.exec(s)
  return m ? String(Math.round(Number(m[1]) * 1024)) : s
}
function normMemory(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  const s = String(v).trim()
  const m = /^([\d.]+)\s*gb$/i.exec(s)
  return m ? String(Math.round(Number(m[1]) * 1024)) : s
}

export function ecsModel(ctx: FakeContext) {
  const st = () => ctx.state.ecs
  const prefix = () => `arn:aws:ecs:${ctx.region}:${ctx.account}`
  const clientErr = (message: string) => awsError('ecs', 'ClientException', message)
  const invalid = (message: string) => awsError('ecs', 'InvalidParameterException', message)
  const now = () => ctx.now()
  const callerArn = () => ctx.state.sts.callerArn

  // ---------- lookups ----------
  const clusterNameOf = (ref: string | undefined) => {
    const r = ref ?? 'default'
    const m = /^arn:aws[a-zA-Z-]*:ecs:[^:]+:\d{12}:cluster\/(.+)$/.exec(r)
    return m ? m[1] : r
  }
  const clusterArn = (name: string) => `${prefix()}:cluster/${name}`
  function cluster(ref: string | undefined, opts: { active?: boolean } = { active: true }): Rec {
    const c = st().clusters.get(clusterArn(clusterNameOf(ref)))
    if (!c) throw awsError('ecs', 'ClusterNotFoundException', 'Cluster not found.')
    if (opts.active && c.status !== 'ACTIVE') throw awsError('ecs', 'ClusterNotFoundException', 'The referenced cluster was inactive.')
    return c
  }
  const serviceArnOf = (c: Rec, ref: string) => {
    const name = ref.startsWith('arn:') ? (ref.split('/').pop() as string) : ref
    return `${prefix()}:service/${c.clusterName}/${name}`
  }
  function service(c: Rec, ref: string | undefined): Rec {
    const s = ref ? st().services.get(serviceArnOf(c, ref)) : undefined
    if (!s) throw awsError('ecs', 'ServiceNotFoundException', 'Service not found.')
    return s
  }
  function taskDef(ref: string | undefined): EcsTaskDefinitionRecord | undefined {
    if (!ref) return undefined
    const m = /^arn:aws[a-zA-Z-]*:ecs:[^:]+:\d{12}:task-definition\/(.+)$/.exec(ref)
    const short = m ? m[1] : ref
    const [family, rev] = short.split(':')
    if (rev !== undefined) return st().taskDefinitions.get(`${prefix()}:task-definition/${family}:${rev}`)
    let best: EcsTaskDefinitionRecord | undefined
    for (const r of st().taskDefinitions.values()) {
      const td = r.taskDefinition
      if (td.family === family && td.status === 'ACTIVE' && (!best || td.revision > best.taskDefinition.revision)) best = r
    }
    return best
  }
  const taskIdOf = (arnOrId: string) => arnOrId.split('/').pop() as string
  function findTask(c: Rec, ref: string): Rec | undefined {
    const id = taskIdOf(ref)
    return st().tasks.get(`${prefix()}:task/${c.clusterName}/${id}`)
  }
  const activeInstances = (c: Rec) =>
    [...st().containerInstances.values()].filter((i) => i.status === 'ACTIVE' && i.containerInstanceArn.includes(`/${c.clusterName}/`))

  function fargateCompatible(td: Rec): boolean {
    if (td.networkMode !== 'awsvpc') return false
    const cpu = td.cpu
    const mem = Number(td.memory)
    return Boolean(cpu && FARGATE_MEMORY[cpu]?.includes(mem))
  }

  function event(svc: Rec, message: string) {
    svc.events.unshift({ id: ctx.ids.uuid(), createdAt: now(), message })
    if (svc.events.length > 100) svc.events.length = 100
  }

  // ---------- registration ----------
  function registerContainerInstances(c: Rec, n: number): Rec[] {
    const out: Rec[] = []
    for (let i = 0; i < n; i++) {
      const id = ctx.ids.hex(32)
      const az = `${ctx.region}${'abc'[i % 3]}`
      const ci: Rec = {
        containerInstanceArn: `${prefix()}:container-instance/${c.clusterName}/${id}`,
        ec2InstanceId: `i-${ctx.ids.hex(17)}`,
        version: 1,
        versionInfo: { agentVersion: '1.88.0', agentHash: 'fakehash', dockerVersion: 'DockerVersion: 25.0.3' },
        remainingResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: 2048, doubleValue: 0, longValue: 0 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 3904, doubleValue: 0, longValue: 0 },
        ],
        registeredResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: 2048, doubleValue: 0, longValue: 0 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 3904, doubleValue: 0, longValue: 0 },
          { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
          { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
        ],
        status: 'ACTIVE',
        agentConnected: true,
        runningTasksCount: 0,
        pendingTasksCount: 0,
        attributes: [
          { name: 'ecs.availability-zone', value: az },
          { name: 'ecs.instance-type', value: 't3.medium' },
          { name: 'ecs.os-type', value: 'linux' },
          { name: 'ecs.cpu-architecture', value: 'x86_64' },
        ],
        registeredAt: now(),
        attachments: [],
        tags: [],
      }
      launchInstance(ctx, { instanceId: ci.ec2InstanceId, availabilityZone: az, tags: [{ Key: 'shipit:ecs-cluster', Value: c.clusterName }] })
      st().containerInstances.set(ci.containerInstanceArn, ci)
      out.push(ci)
    }
    for (const s of st().services.values()) if (s.clusterArn === c.clusterArn && s.status === 'ACTIVE') reconcile(s)
    return out
  }

  // ---------- tasks ----------
  function logProblem(td: Rec): string | undefined {
    for (const c of td.containerDefinitions ?? []) {
      const lc = c.logConfiguration
      if (lc?.logDriver !== 'awslogs') continue
      const group = lc.options?.['awslogs-group']
      if (!group) continue
      if (ctx.state.logs.logGroups.has(group)) continue
      if (lc.options?.['awslogs-create-group'] === 'true') {
        appendLogEvents(ctx, group, '__create__', [], { createGroup: true })
        ctx.state.logs.logGroups.get(group)?.streams.delete('__create__')
        continue
      }
      if (!ctx.behavior.ecsRequireLogGroup) continue
      return `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: operation error CloudWatch Logs: CreateLogStream, https response error StatusCode: 400, RequestID: ${ctx.ids.uuid()}, ResourceNotFoundException: The specified log group does not exist. : exit status 1`
    }
    return undefined
  }

  function newTask(o: {
    c: Rec
    td: Rec
    launchType?: string
    net?: Rec
    group: string
    startedBy?: string
    overrides?: Rec
    tags?: Tag[]
    kind: 'run' | 'service'
    serviceArn?: string
    outcome?: TaskOutcome
    platformVersion?: string
    capacityProviderStrategy?: Rec[]
    enableExecuteCommand?: boolean
  }): Rec {
    const id = ctx.ids.hex(32)
    const taskArn = `${prefix()}:task/${o.c.clusterName}/${id}`
    const fargate = o.launchType === 'FARGATE'
    let eni: Rec | undefined
    let az = `${ctx.region}a`
    let containerInstanceArn: string | undefined
    if (o.td.networkMode === 'awsvpc') {
      const aws = o.net?.awsvpcConfiguration ?? {}
      const subnets: string[] = aws.subnets ?? []
      const subnetId = subnets[st().tasks.size % Math.max(1, subnets.length)]
      const subnet = ctx.state.ec2.subnets.get(subnetId)
      const groups: string[] = aws.securityGroups?.length
        ? aws.securityGroups
        : [...ctx.state.ec2.securityGroups.values()].filter((g) => g.GroupName === 'default' && g.VpcId === subnet?.VpcId).map((g) => g.GroupId)
      eni = createNetworkInterface(ctx, {
        subnetId,
        groupIds: groups,
        assignPublicIp: aws.assignPublicIp === 'ENABLED',
        description: `arn:aws:ecs:${ctx.region}:${ctx.account}:attachment/${ctx.ids.uuid()}`,
      })
      az = eni.AvailabilityZone
    }
    if (!fargate) {
      const inst = activeInstances(o.c)
      if (inst.length) {
        const ci = inst[st().tasks.size % inst.length]
        containerInstanceArn = ci.containerInstanceArn
        az = ci.attributes.find((a: Rec) => a.name === 'ecs.availability-zone')?.value ?? az
      }
    }
    const attachmentId = ctx.ids.uuid()
    const status = fargate ? 'PROVISIONING' : 'PENDING'
    const task: Rec = {
      attachments: eni
        ? [
            {
              id: attachmentId,
              type: 'ElasticNetworkInterface',
              status: 'ATTACHED',
              details: [
                { name: 'subnetId', value: eni.SubnetId },
                { name: 'networkInterfaceId', value: eni.NetworkInterfaceId },
                { name: 'macAddress', value: eni.MacAddress },
                { name: 'privateDnsName', value: eni.PrivateDnsName },
                { name: 'privateIPv4Address', value: eni.PrivateIpAddress },
              ],
            },
          ]
        : [],
      attributes: [{ name: 'ecs.cpu-architecture', value: o.td.runtimePlatform?.cpuArchitecture === 'ARM64' ? 'arm64' : 'x86_64' }],
      availabilityZone: az,
      capacityProviderName: o.capacityProviderStrategy?.[0]?.capacityProvider,
      clusterArn: o.c.clusterArn,
      connectivity: 'CONNECTED',
      connectivityAt: now(),
      containerInstanceArn,
      containers: (o.td.containerDefinitions ?? []).map((cd: Rec, ci: number) => ({
        containerArn: `${prefix()}:container/${o.c.clusterName}/${id}/${ctx.ids.uuid()}`,
        taskArn,
        name: cd.name,
        image: cd.image,
        lastStatus: 'PENDING',
        networkInterfaces: eni ? [{ attachmentId, privateIpv4Address: eni.PrivateIpAddress }] : [],
        networkBindings:
          o.td.networkMode === 'awsvpc' || fargate
            ? []
            : (cd.portMappings ?? []).map((pm: Rec, pi: number) => ({
                bindIP: '0.0.0.0',
                containerPort: pm.containerPort,
                hostPort: o.td.networkMode === 'host' ? pm.containerPort : pm.hostPort || 32768 + ((st().tasks.size * 16 + ci * 4 + pi) % 28000),
                protocol: pm.protocol ?? 'tcp',
              })),
        healthStatus: 'UNKNOWN',
        cpu: String(cd.cpu ?? 0),
        memory: cd.memory !== undefined ? String(cd.memory) : undefined,
        memoryReservation: cd.memoryReservation !== undefined ? String(cd.memoryReservation) : undefined,
      })),
      cpu: normCpu(o.overrides?.cpu) ?? o.td.cpu,
      createdAt: now(),
      desiredStatus: 'RUNNING',
      enableExecuteCommand: o.enableExecuteCommand ?? false,
      group: o.group,
      healthStatus: 'UNKNOWN',
      lastStatus: status,
      launchType: o.launchType,
      memory: normMemory(o.overrides?.memory) ?? o.td.memory,
      overrides: o.overrides ?? { containerOverrides: [], inferenceAcceleratorOverrides: [] },
      platformVersion: fargate ? '1.4.0' : undefined,
      platformFamily: fargate ? 'Linux' : undefined,
      startedBy: o.startedBy,
      tags: o.tags ?? [],
      taskArn,
      taskDefinitionArn: o.td.taskDefinitionArn,
      version: 1,
      ephemeralStorage: fargate ? { sizeInGiB: 20 } : undefined,
    }
    for (const k of Object.keys(task)) if (task[k] === undefined) delete task[k]
    for (const ct of task.containers) for (const k of Object.keys(ct)) if (ct[k] === undefined) delete ct[k]
    st().tasks.set(taskArn, task)
    st().taskMeta.set(taskArn, { kind: o.kind, outcome: o.outcome ? clone(o.outcome) : undefined, serviceArn: o.serviceArn })
    return task
  }

  function markRunning(t: Rec) {
    t.lastStatus = 'RUNNING'
    t.pullStartedAt = t.pullStartedAt ?? now()
    t.pullStoppedAt = t.pullStoppedAt ?? now()
    t.startedAt = t.startedAt ?? now()
    t.version += 1
    for (const c of t.containers) {
      c.lastStatus = 'RUNNING'
      c.runtimeId = c.runtimeId ?? `${taskIdOf(t.taskArn)}-${ctx.ids.digits(10)}`
    }
  }

  function stopTask(
    t: Rec,
    o: { stopCode: string; reason: string; exitCode?: number; containers?: TaskOutcome['containers']; started?: boolean; logLines?: string[] },
  ) {
    if (t.lastStatus === 'STOPPED') return
    const started = o.started ?? true
    if (started && t.lastStatus !== 'RUNNING') markRunning(t)
    t.desiredStatus = 'STOPPED'
    t.lastStatus = 'STOPPED'
    t.stopCode = o.stopCode
    t.stoppedReason = o.reason
    t.stoppingAt = now()
    t.executionStoppedAt = now()
    t.stoppedAt = now()
    t.version += 1
    for (const c of t.containers) {
      c.lastStatus = 'STOPPED'
      const per = o.containers?.[c.name]
      if (started) c.exitCode = per?.exitCode ?? o.exitCode ?? 0
      if (per?.reason) c.reason = per.reason
      else if (!started) c.reason = o.reason
    }
    for (const a of t.attachments ?? []) {
      a.status = 'DELETED'
      deleteNetworkInterface(ctx, a.details.find((d: Rec) => d.name === 'networkInterfaceId')?.value)
    }
    if (o.logLines?.length) writeTaskLogs(t, o.logLines)
  }

  function writeTaskLogs(t: Rec, lines: string[]) {
    const td = st().taskDefinitions.get(t.taskDefinitionArn)?.taskDefinition
    const ts = (t.startedAt ?? now()).getTime()
    for (const cd of td?.containerDefinitions ?? []) {
      const lc = cd.logConfiguration
      if (lc?.logDriver !== 'awslogs' || !lc.options?.['awslogs-group']) continue
      const p = lc.options['awslogs-stream-prefix']
      const stream = p ? `${p}/${cd.name}/${taskIdOf(t.taskArn)}` : taskIdOf(t.taskArn)
      appendLogEvents(
        ctx,
        lc.options['awslogs-group'],
        stream,
        lines.map((message, i) => ({ timestamp: ts + i, message })),
        { createGroup: lc.options['awslogs-create-group'] === 'true' },
      )
    }
  }

  /** lazily advance a RunTask task on DescribeTasks */
  function advance(t: Rec) {
    const meta = st().taskMeta.get(t.taskArn)
    if (meta?.kind !== 'run' || t.lastStatus === 'STOPPED') return
    if (t.lastStatus !== 'RUNNING') {
      const td = st().taskDefinitions.get(t.taskDefinitionArn)?.taskDefinition
      const problem = td ? logProblem(td) : undefined
      if (problem) {
        stopTask(t, { stopCode: 'TaskFailedToStart', reason: problem, started: false })
        return
      }
    }
    const outcome = meta.outcome ?? st().taskOutcome
    if (outcome) {
      stopTask(t, {
        stopCode: outcome.stopCode ?? 'EssentialContainerExited',
        reason: outcome.stoppedReason ?? 'Essential container in task exited',
        exitCode: outcome.exitCode ?? 0,
        containers: outcome.containers,
        started: outcome.stopCode !== 'TaskFailedToStart',
        logLines: outcome.logLines,
      })
    } else if (t.lastStatus !== 'RUNNING') markRunning(t)
  }

  // ---------- services ----------
  function validateNetwork(td: Rec, net: Rec | undefined, launchType: string | undefined) {
    if (td.networkMode !== 'awsvpc') {
      if (net?.awsvpcConfiguration) throw invalid('Network Configuration is not valid for the given networkMode of this task definition.')
      return
    }
    const aws = net?.awsvpcConfiguration
    if (!aws?.subnets?.length) throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    if (aws.subnets.length > 16) throw invalid('subnets can have at most 16 items.')
    if (aws.assignPublicIp === 'ENABLED' && launchType !== 'FARGATE' && launchType !== undefined) {
      throw invalid('Assign public IP is not supported for this launch type.')
    }
    const vpcs = new Set<string>()
    for (const id of aws.subnets) {
      const s = ctx.state.ec2.subnets.get(id)
      if (!s) throw invalid(`Error retrieving subnet information for [${id}]: The subnet ID '${id}' does not exist (ErrorCode: InvalidSubnetID.NotFound)`)
      vpcs.add(s.VpcId)
    }
    if (vpcs.size > 1) throw invalid('The subnets must all belong to the same VPC.')
    for (const id of aws.securityGroups ?? []) {
      const g = ctx.state.ec2.securityGroups.get(id)
      if (!g)
        throw invalid(`Error retrieving security group information for [${id}]: The security group '${id}' does not exist (ErrorCode: InvalidGroup.NotFound)`)
      if (!vpcs.has(g.VpcId)) throw invalid(`Security group ${id} and subnet ${aws.subnets[0]} belong to different networks.`)
    }
  }

  const primary = (svc: Rec): Rec | undefined => svc.deployments.find((d: Rec) => d.status === 'PRIMARY')
  const serviceTasks = (svc: Rec, depId?: string) =>
    [...st().tasks.values()].filter(
      (t) => t.group === `service:${svc.serviceName}` && t.clusterArn === svc.clusterArn && t.lastStatus !== 'STOPPED' && (!depId || t.startedBy === depId),
    )

  function startServiceTasks(svc: Rec, dep: Rec, n: number): Rec[] {
    const c = st().clusters.get(svc.clusterArn) as Rec
    const td = st().taskDefinitions.get(dep.taskDefinition)?.taskDefinition as Rec
    const tags = svc.propagateTags === 'SERVICE' ? svc.tags : svc.propagateTags === 'TASK_DEFINITION' ? st().taskDefinitions.get(dep.taskDefinition)?.tags : []
    const out: Rec[] = []
    for (let i = 0; i < n; i++) {
      const t = newTask({
        c,
        td,
        launchType: dep.launchType,
        net: dep.networkConfiguration,
        group: `service:${svc.serviceName}`,
        startedBy: dep.id,
        kind: 'service',
        serviceArn: svc.serviceArn,
        tags: clone(tags ?? []),
        capacityProviderStrategy: dep.capacityProviderStrategy,
        enableExecuteCommand: svc.enableExecuteCommand,
      })
      markRunning(t)
      out.push(t)
    }
    if (out.length) event(svc, `(service ${svc.serviceName}) has started ${out.length} tasks: ${out.map((t) => `(task ${taskIdOf(t.taskArn)})`).join(' ')}.`)
    return out
  }

  function stopServiceTasks(svc: Rec, tasks: Rec[], reason: string) {
    for (const t of tasks) stopTask(t, { stopCode: 'ServiceSchedulerInitiated', reason, exitCode: 0 })
    if (tasks.length)
      event(svc, `(service ${svc.serviceName}) has stopped ${tasks.length} running tasks: ${tasks.map((t) => `(task ${taskIdOf(t.taskArn)})`).join(' ')}.`)
  }

  function complete(svc: Rec, dep: Rec) {
    st().stuck.delete(dep.id)
    for (const old of svc.deployments.filter((d: Rec) => d.id !== dep.id && !st().lingering.has(d.id))) {
      stopServiceTasks(svc, serviceTasks(svc, old.id), `Scaling activity initiated by (deployment ${dep.id})`)
    }
    svc.deployments = svc.deployments.filter((d: Rec) => d.id === dep.id || st().lingering.has(d.id))
    const have = serviceTasks(svc, dep.id)
    if (have.length < dep.desiredCount) startServiceTasks(svc, dep, dep.desiredCount - have.length)
    else if (have.length > dep.desiredCount) stopServiceTasks(svc, have.slice(dep.desiredCount), `Scaling activity initiated by (deployment ${dep.id})`)
    dep.runningCount = dep.desiredCount
    dep.pendingCount = 0
    dep.updatedAt = now()
    if (dep.rolloutState !== 'COMPLETED') {
      dep.rolloutState = 'COMPLETED'
      dep.rolloutStateReason = `ECS deployment ${dep.id} completed.`
      event(svc, `(service ${svc.serviceName}) (deployment ${dep.id}) deployment completed.`)
    }
    event(svc, `(service ${svc.serviceName}) has reached a steady state.`)
    updateCounts(svc)
  }

  function updateCounts(svc: Rec) {
    for (const d of svc.deployments) {
      if (st().stuck.has(d.id) || d.rolloutState === 'FAILED') continue
      d.runningCount = serviceTasks(svc, d.id).length
    }
    svc.runningCount = svc.deployments.reduce((n: number, d: Rec) => n + (d.runningCount ?? 0), 0)
    svc.pendingCount = svc.deployments.reduce((n: number, d: Rec) => n + (d.pendingCount ?? 0), 0)
  }

  function failTasks(svc: Rec, dep: Rec, reason: string, failToStart: boolean) {
    const n = Math.max(1, dep.desiredCount)
    const c = st().clusters.get(svc.clusterArn) as Rec
    const td = st().taskDefinitions.get(dep.taskDefinition)?.taskDefinition as Rec
    const tasks: Rec[] = []
    for (let i = 0; i < n; i++) {
      const t = newTask({
        c,
        td,
        launchType: dep.launchType,
        net: dep.networkConfiguration,
        group: `service:${svc.serviceName}`,
        startedBy: dep.id,
        kind: 'service',
        serviceArn: svc.serviceArn,
      })
      stopTask(t, failToStart ? { stopCode: 'TaskFailedToStart', reason, started: false } : { stopCode: 'EssentialContainerExited', reason, exitCode: 1 })
      tasks.push(t)
    }
    event(svc, `(service ${svc.serviceName}) has started ${n} tasks: ${tasks.map((t) => `(task ${taskIdOf(t.taskArn)})`).join(' ')}.`)
    dep.failedTasks = (dep.failedTasks ?? 0) + n
  }

  /**
   * Creates a new PRIMARY deployment and plays it out immediately.
   * Returns the service as UpdateService/CreateService should answer.
   */
  function deploy(svc: Rec, tdArn: string): Rec {
    // drained failed deployments disappear when a new deployment starts
    svc.deployments = svc.deployments.filter((d: Rec) => !st().lingering.has(d.id))
    const td = st().taskDefinitions.get(tdArn)?.taskDefinition as Rec
    const c = st().clusters.get(svc.clusterArn) as Rec
    const previous = primary(svc)
    for (const d of svc.deployments) d.status = 'ACTIVE'
    const id = `ecs-svc/${ctx.ids.digits(19)}`
    const dep: Rec = {
      id,
      status: 'PRIMARY',
      taskDefinition: tdArn,
      desiredCount: svc.desiredCount,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: now(),
      updatedAt: now(),
      capacityProviderStrategy: svc.capacityProviderStrategy,
      launchType: svc.launchType,
      platformVersion: svc.platformVersion,
      platformFamily: svc.platformFamily,
      networkConfiguration: clone(svc.networkConfiguration),
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: `ECS deployment ${id} in progress.`,
    }
    for (const k of Object.keys(dep)) if (dep[k] === undefined) delete dep[k]
    svc.deployments.unshift(dep)
    svc.taskDefinition = tdArn
    const accepted = out(svc, true)

    const placeable = svc.launchType === 'FARGATE' || activeInstances(c).length > 0
    const launches = svc.desiredCount > 0
    const programmed = launches ? st().nextRollout : undefined
    if (launches) st().nextRollout = undefined
    const problem = launches ? logProblem(td) : undefined
    const cb = svc.deploymentConfiguration?.deploymentCircuitBreaker ?? {}

    if (programmed === 'IN_PROGRESS') {
      st().stuck.set(id, 'programmed')
      updateCounts(svc)
      return accepted
    }
    if (launches && !placeable) {
      st().stuck.set(id, 'placement')
      event(
        svc,
        `(service ${svc.serviceName}) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
      )
      updateCounts(svc)
      return accepted
    }
    if (programmed === 'FAILED' || problem) {
      const reason = problem ?? st().rolloutFailureReason ?? 'Essential container in task exited'
      failTasks(svc, dep, reason, Boolean(problem))
      if (!cb.enable) {
        // without the circuit breaker ECS keeps retrying forever
        st().stuck.set(id, 'failing')
        updateCounts(svc)
        return accepted
      }
      dep.rolloutState = 'FAILED'
      dep.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.'
      dep.updatedAt = now()
      event(svc, `(service ${svc.serviceName}) (deployment ${id}) deployment failed: tasks failed to start.`)
      if (cb.rollback && previous) {
        event(svc, `(service ${svc.serviceName}) rolling back to deployment ${previous.id}.`)
        const rbId = `ecs-svc/${ctx.ids.digits(19)}`
        const rb: Rec = {
          ...clone(previous),
          id: rbId,
          status: 'PRIMARY',
          desiredCount: svc.desiredCount,
          createdAt: now(),
          updatedAt: now(),
          failedTasks: 0,
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: `ECS deployment ${rbId} in progress.`,
        }
        // the rollback deployment adopts the previous deployment's running tasks
        for (const t of serviceTasks(svc, previous.id)) t.startedBy = rbId
        dep.status = 'ACTIVE'
        dep.desiredCount = 0
        svc.deployments = [rb, dep, ...svc.deployments.filter((d: Rec) => d.id !== dep.id && d.id !== previous.id)]
        svc.taskDefinition = previous.taskDefinition
        svc.networkConfiguration = clone(previous.networkConfiguration)
        st().lingering.set(id, ctx.behavior.ecsFailedDeploymentLingers)
        complete(svc, rb)
      } else {
        st().stuck.set(id, 'failing')
        updateCounts(svc)
      }
      return accepted
    }
    complete(svc, dep)
    return out(svc, true)
  }

  /** brings a service back to its desired state after scaling, task stops or new capacity */
  function reconcile(svc: Rec) {
    if (svc.status !== 'ACTIVE') return
    const dep = primary(svc)
    if (!dep) return
    dep.desiredCount = svc.desiredCount
    const why = st().stuck.get(dep.id)
    if (why === 'placement') {
      const c = st().clusters.get(svc.clusterArn) as Rec
      if (svc.launchType === 'FARGATE' || activeInstances(c).length > 0) complete(svc, dep)
      return
    }
    if (why || dep.rolloutState === 'FAILED') return
    const have = serviceTasks(svc, dep.id)
    if (have.length < dep.desiredCount) startServiceTasks(svc, dep, dep.desiredCount - have.length)
    if (have.length > dep.desiredCount) {
      stopServiceTasks(svc, have.slice(dep.desiredCount), `Scaling activity initiated by (deployment ${dep.id})`)
    }
    dep.runningCount = dep.desiredCount
    dep.updatedAt = now()
    if (have.length !== dep.desiredCount) event(svc, `(service ${svc.serviceName}) has reached a steady state.`)
    updateCounts(svc)
  }

  // ---------- output ----------
  function out(svc: Rec, withTags: boolean): Rec {
    const o = clone(svc)
    if (!withTags) delete o.tags
    return o
  }
  function describeService(svc: Rec, withTags: boolean): Rec {
    // FAILED deployments that were rolled back are shown a limited number of times, then drained
    svc.deployments = svc.deployments.filter((d: Rec) => {
      const left = st().lingering.get(d.id)
      if (left === undefined) return true
      if (left > 0) {
        st().lingering.set(d.id, left - 1)
        return true
      }
      st().lingering.delete(d.id)
      return false
    })
    return out(svc, withTags)
  }
  function clusterOut(c: Rec, include: string[] = []): Rec {
    const o = clone(c)
    const tasks = [...st().tasks.values()].filter((t) => t.clusterArn === c.clusterArn)
    o.registeredContainerInstancesCount = activeInstances(c).length
    o.runningTasksCount = tasks.filter((t) => t.lastStatus === 'RUNNING').length
    o.pendingTasksCount = tasks.filter((t) => ['PENDING', 'PROVISIONING', 'ACTIVATING'].includes(t.lastStatus)).length
    o.activeServicesCount = [...st().services.values()].filter((s) => s.clusterArn === c.clusterArn && s.status === 'ACTIVE').length
    if (!include.includes('TAGS')) delete o.tags
    if (!include.includes('SETTINGS')) delete o.settings
    if (!include.includes('CONFIGURATIONS')) delete o.configuration
    return o
  }
  function taskOut(t: Rec, include: string[] = []): Rec {
    const o = clone(t)
    if (!include.includes('TAGS')) delete o.tags
    return o
  }
  const tdOut = (r: EcsTaskDefinitionRecord) => r.taskDefinition
  const pageOf = <T>(items: T[], input: Rec, def: number) => {
    const start = decodeToken(input.nextToken, 'ecs') ?? 0
    if (start < 0) throw invalid('Invalid nextToken')
    const size = input.maxResults ?? def
    if (size < 1 || size > 100) throw invalid('maxResults must be between 1 and 100.')
    return { items: items.slice(start, start + size), nextToken: start + size < items.length ? encodeToken(start + size, 'ecs') : undefined }
  }
  function tagTarget(arn: string): { get(): Tag[]; set(t: Tag[]): void } {
    const s = st()
    for (const m of [s.clusters, s.services, s.tasks, s.containerInstances]) {
      const r = m.get(arn)
      if (r) return { get: () => r.tags ?? [], set: (t) => (r.tags = t) }
    }
    const td = s.taskDefinitions.get(arn)
    if (td) return { get: () => td.tags, set: (t) => (td.tags = t) }
    if (/:cluster\//.test(arn)) throw awsError('ecs', 'ClusterNotFoundException', 'Cluster not found.')
    if (/:service\//.test(arn)) throw awsError('ecs', 'ServiceNotFoundException', 'Service not found.')
    throw invalid('The specified resource could not be found.')
  }
  const checkTags = (tags: Tag[] | undefined) => {
    for (const t of tags ?? []) {
      if (!t.key || t.key.toLowerCase().startsWith('aws:')) throw invalid(`Tag keys can't be empty or begin with 'aws:'.`)
    }
    if ((tags ?? []).length > 50) throw invalid('A resource can have no more than 50 tags.')
  }

  // ---------- propagation and draining ----------
  /** IAM propagation: a role the task definition names, created too recently for ECS to assume it. */
  function unpropagatedRole(td: Rec): string | undefined {
    const seconds = ctx.behavior.ecsRolePropagationSeconds
    if (seconds <= 0) return undefined
    for (const arn of [td.executionRoleArn, td.taskRoleArn]) {
      const name = typeof arn === 'string' ? arn.split('/').pop() : undefined
      const created = name ? ctx.state.iam.roles.get(name.toLowerCase())?.role.CreateDate : undefined
      if (created && now().getTime() - new Date(created).getTime() < seconds * 1000) return arn
    }
    return undefined
  }
  const cannotAssume = (arn: string) =>
    `ECS was unable to assume the role '${arn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`
  /** A fresh account's first service or task after CreateCluster started making AWSServiceRoleForECS fails once. */
  function checkServiceLinkedRole() {
    if (st().serviceLinkedRole !== 'creating') return
    st().serviceLinkedRole = 'ready'
    throw invalid('Unable to assume the service linked role. Please verify that the ECS service linked role exists.')
  }
  /** Deleted services turn INACTIVE once they have drained (behavior.ecsServiceDrainSeconds). */
  function settleDraining() {
    for (const [arn, since] of st().draining) {
      if (now().getTime() - since.getTime() < ctx.behavior.ecsServiceDrainSeconds * 1000) continue
      const svc = st().services.get(arn)
      if (svc?.status === 'DRAINING') svc.status = 'INACTIVE'
      st().draining.delete(arn)
    }
  }

  // ---------- handlers ----------
  const handlers: Handlers = {
    CreateCluster: (input) => {
      const name = input.clusterName ?? 'default'
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) throw invalid('Cluster name can only contain letters, numbers, hyphens and underscores, up to 255 characters.')
      checkTags(input.tags)
      const arn = clusterArn(name)
      const existing = st().clusters.get(arn)
      if (existing?.status === 'ACTIVE') return { cluster: clusterOut(existing, ['TAGS', 'SETTINGS', 'CONFIGURATIONS']) }
      const c: Rec = {
        clusterArn: arn,
        clusterName: name,
        status: 'ACTIVE',
        registeredContainerInstancesCount: 0,
        runningTasksCount: 0,
        pendingTasksCount: 0,
        activeServicesCount: 0,
        statistics: [],
        tags: clone(input.tags ?? []),
        settings: clone(input.settings ?? [{ name: 'containerInsights', value: 'disabled' }]),
        configuration: input.configuration ? clone(input.configuration) : undefined,
        capacityProviders: clone(input.capacityProviders ?? []),
        defaultCapacityProviderStrategy: clone(input.defaultCapacityProviderStrategy ?? []),
      }
      if (!c.configuration) delete c.configuration
      st().clusters.set(arn, c)
      if (ctx.behavior.ecsFreshAccount && !st().serviceLinkedRole) st().serviceLinkedRole = 'creating'
      registerContainerInstances(c, ctx.containerInstancesPerCluster)
      return { cluster: clusterOut(c, ['TAGS', 'SETTINGS', 'CONFIGURATIONS']) }
    },

    DescribeClusters: (input) => {
      const refs: string[] = input.clusters?.length ? input.clusters : ['default']
      const clusters: Rec[] = []
      const failures: Rec[] = []
      for (const ref of refs) {
        const c = st().clusters.get(clusterArn(clusterNameOf(ref)))
        if (c) clusters.push(clusterOut(c, input.include))
        else failures.push({ arn: clusterArn(clusterNameOf(ref)), reason: 'MISSING' })
      }
      return { clusters, failures }
    },

    ListClusters: (input) => {
      const p = pageOf(
        [...st().clusters.values()].filter((c) => c.status === 'ACTIVE').map((c) => c.clusterArn),
        input,
        100,
      )
      return { clusterArns: p.items, nextToken: p.nextToken }
    },

    DeleteCluster: (input) => {
      const c = cluster(input.cluster)
      if ([...st().services.values()].some((s) => s.clusterArn === c.clusterArn && s.status !== 'INACTIVE')) {
        throw awsError('ecs', 'ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.')
      }
      if ([...st().tasks.values()].some((t) => t.clusterArn === c.clusterArn && t.lastStatus !== 'STOPPED')) {
        throw awsError('ecs', 'ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.')
      }
      if (activeInstances(c).length) {
        throw awsError('ecs', 'ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.')
      }
      c.status = 'INACTIVE'
      return { cluster: clusterOut(c, ['TAGS', 'SETTINGS']) }
    },

    ListContainerInstances: (input) => {
      const c = cluster(input.cluster)
      const all = [...st().containerInstances.values()]
        .filter((i) => i.containerInstanceArn.includes(`/${c.clusterName}/`))
        .filter((i) => (input.status ? i.status === input.status : i.status !== 'INACTIVE'))
        .map((i) => i.containerInstanceArn)
      const p = pageOf(all, input, 100)
      return { containerInstanceArns: p.items, nextToken: p.nextToken }
    },

    DescribeContainerInstances: (input) => {
      const c = cluster(input.cluster)
      const containerInstances: Rec[] = []
      const failures: Rec[] = []
      for (const ref of input.containerInstances ?? []) {
        const arn = ref.startsWith('arn:') ? ref : `${prefix()}:container-instance/${c.clusterName}/${ref}`
        const ci = st().containerInstances.get(arn)
        if (!ci) {
          failures.push({ arn, reason: 'MISSING' })
          continue
        }
        const o = clone(ci)
        const tasks = [...st().tasks.values()].filter((t) => t.containerInstanceArn === arn)
        o.runningTasksCount = tasks.filter((t) => t.lastStatus === 'RUNNING').length
        o.pendingTasksCount = tasks.filter((t) => t.lastStatus === 'PENDING').length
        if (!input.include?.includes('TAGS')) delete o.tags
        containerInstances.push(o)
      }
      return { containerInstances, failures }
    },

    DeregisterContainerInstance: (input) => {
      const c = cluster(input.cluster)
      const ref: string = input.containerInstance ?? ''
      const arn = ref.startsWith('arn:') ? ref : `${prefix()}:container-instance/${c.clusterName}/${ref}`
      const ci = st().containerInstances.get(arn)
      if (!ci) throw invalid('The referenced container instance was not found.')
      const running = [...st().tasks.values()].filter((t) => t.containerInstanceArn === arn && t.lastStatus !== 'STOPPED')
      if (running.length && !input.force) throw invalid('Found running tasks on the instance.')
      for (const t of running) stopTask(t, { stopCode: 'TerminationNotice', reason: 'Container instance deregistration forced by user', exitCode: 137 })
      ci.status = 'INACTIVE'
      ci.agentConnected = false
      return { containerInstance: clone(ci) }
    },

    RegisterTaskDefinition: (input) => {
      const family: string = input.family ?? ''
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family)) throw clientErr('Family contains invalid characters.')
      const containers: Rec[] = input.containerDefinitions ?? []
      if (!containers.length) throw clientErr('Container list cannot be empty.')
      const names = new Set<string>()
      for (const c of containers) {
        if (!c.name) throw clientErr('Container.name should not be null or empty.')
        if (!c.image) throw clientErr('Container.image should not be null or empty.')
        if (names.has(c.name)) throw clientErr(`Duplicate container name: ${c.name}`)
        names.add(c.name)
      }
      checkTags(input.tags)
      const cpu = normCpu(input.cpu)
      const memory = normMemory(input.memory)
      const requires: string[] = input.requiresCompatibilities ?? []
      const usesAwslogs = containers.some((c) => c.logConfiguration?.logDriver === 'awslogs')
      if (requires.includes('FARGATE')) {
        if (input.networkMode !== 'awsvpc') throw clientErr('Fargate only supports network mode \u2018awsvpc\u2019.')
        if (!cpu) throw clientErr("Fargate requires that 'cpu' be defined at the task level.")
        if (!memory) throw clientErr("Fargate requires that 'memory' be defined at the task level.")
        if (!FARGATE_MEMORY[cpu]?.includes(Number(memory))) {
          throw clientErr(
            `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
          )
        }
        if (usesAwslogs && !input.executionRoleArn)
          throw clientErr('Fargate requires task definition to have execution role ARN to support log driver awslogs.')
      }
      if (!memory) {
        for (const c of containers) {
          if (c.memory === undefined && c.memoryReservation === undefined) {
            throw clientErr(`Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`)
          }
        }
      }
      const revision = (st().familyRevisions.get(family) ?? 0) + 1
      st().familyRevisions.set(family, revision)
      const arn = `${prefix()}:task-definition/${family}:${revision}`
      const { tags: _tags, ...registered } = clone(input) as Rec
      const td: Rec = {
        ...registered,
        taskDefinitionArn: arn,
        revision,
        status: 'ACTIVE',
        requiresAttributes: [],
        registeredAt: now(),
      }
      if (cpu) td.cpu = cpu
      if (memory) td.memory = memory
      td.compatibilities = fargateCompatible(td) ? ['EC2', 'FARGATE'] : ['EC2']
      if (!td.requiresCompatibilities) delete td.requiresCompatibilities
      st().taskDefinitions.set(arn, { taskDefinition: td, tags: clone(input.tags ?? []) })
      return { taskDefinition: td, tags: input.tags?.length ? clone(input.tags) : undefined }
    },

    DescribeTaskDefinition: (input) => {
      const r = taskDef(input.taskDefinition)
      if (!r || r.taskDefinition.status === 'DELETE_IN_PROGRESS') throw clientErr('Unable to describe task definition.')
      return { taskDefinition: tdOut(r), tags: input.include?.includes('TAGS') ? clone(r.tags) : undefined }
    },

    ListTaskDefinitions: (input) => {
      const status = input.status ?? 'ACTIVE'
      let all = [...st().taskDefinitions.values()]
        .map((r) => r.taskDefinition)
        // like ECS, familyPrefix is the full family name
        .filter((td) => !input.familyPrefix || td.family === input.familyPrefix)
        .filter((td) => td.status === status)
        .sort((a, b) => (a.family === b.family ? a.revision - b.revision : a.family < b.family ? -1 : 1))
      if (input.sort === 'DESC') all = all.reverse()
      const p = pageOf(
        all.map((td) => td.taskDefinitionArn),
        input,
        100,
      )
      return { taskDefinitionArns: p.items, nextToken: p.nextToken }
    },

    ListTaskDefinitionFamilies: (input) => {
      const status = input.status ?? 'ALL'
      const fams = new Set<string>()
      for (const { taskDefinition: td } of st().taskDefinitions.values()) {
        if (input.familyPrefix && !td.family.startsWith(input.familyPrefix)) continue
        if (status === 'ALL' || td.status === status) fams.add(td.family)
      }
      const p = pageOf([...fams].sort(), input, 100)
      return { families: p.items, nextToken: p.nextToken }
    },

    DeregisterTaskDefinition: (input) => {
      const ref: string = input.taskDefinition ?? ''
      const short = ref.split('task-definition/').pop() as string
      if (!short.includes(':')) throw invalid('The specified task definition identifier is invalid. Specify a valid name or ARN and try again.')
      const r = taskDef(ref)
      if (!r) throw clientErr('The specified task definition does not exist. Specify a valid account, family, revision and try again.')
      if (r.taskDefinition.status === 'ACTIVE') {
        r.taskDefinition.status = 'INACTIVE'
        r.taskDefinition.deregisteredAt = now()
      }
      return { taskDefinition: tdOut(r) }
    },

    DeleteTaskDefinitions: (input) => {
      const taskDefinitions: Rec[] = []
      const failures: Rec[] = []
      for (const ref of input.taskDefinitions ?? []) {
        const r = taskDef(ref)
        if (!r) failures.push({ arn: ref, reason: 'The specified task definition does not exist.' })
        else if (r.taskDefinition.status === 'ACTIVE') {
          failures.push({
            arn: r.taskDefinition.taskDefinitionArn,
            reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
          })
        } else {
          r.taskDefinition.status = 'DELETE_IN_PROGRESS'
          r.taskDefinition.deleteRequestedAt = now()
          taskDefinitions.push(tdOut(r))
        }
      }
      return { taskDefinitions, failures }
    },

    CreateService: (input) => {
      const c = cluster(input.cluster)
      const name: string = input.serviceName ?? ''
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) throw invalid('Service name can only contain letters, numbers, hyphens and underscores, up to 255 characters.')
      const arn = `${prefix()}:service/${c.clusterName}/${name}`
      const existing = st().services.get(arn)
      if (existing && existing.status !== 'INACTIVE') throw invalid('Creation of service was not idempotent.')
      const r = taskDef(input.taskDefinition)
      if (!r) throw clientErr('TaskDefinition not found.')
      const td = r.taskDefinition
      if (td.status !== 'ACTIVE') throw clientErr('TaskDefinition is inactive')
      checkTags(input.tags)
      const launchType: string | undefined = input.launchType ?? (input.capacityProviderStrategy?.length ? undefined : 'EC2')
      if (launchType === 'FARGATE' && !fargateCompatible(td)) throw invalid('Task definition does not support launch_type FARGATE.')
      validateNetwork(td, input.networkConfiguration, launchType)
      checkServiceLinkedRole()
      const role = unpropagatedRole(td)
      if (role) throw invalid(cannotAssume(role))
      const scheduling = input.schedulingStrategy ?? 'REPLICA'
      if (scheduling === 'REPLICA' && input.desiredCount === undefined) {
        throw invalid('The desired count must be specified for services using the REPLICA scheduling strategy.')
      }
      const dc = input.deploymentConfiguration ?? {}
      const svc: Rec = {
        serviceArn: arn,
        serviceName: name,
        clusterArn: c.clusterArn,
        loadBalancers: clone(input.loadBalancers ?? []),
        serviceRegistries: clone(input.serviceRegistries ?? []),
        status: 'ACTIVE',
        desiredCount: input.desiredCount ?? 0,
        runningCount: 0,
        pendingCount: 0,
        launchType,
        capacityProviderStrategy: input.capacityProviderStrategy ? clone(input.capacityProviderStrategy) : undefined,
        platformVersion: launchType === 'FARGATE' ? (input.platformVersion ?? 'LATEST') : undefined,
        platformFamily: launchType === 'FARGATE' ? 'Linux' : undefined,
        taskDefinition: td.taskDefinitionArn,
        deploymentConfiguration: {
          ...clone(dc),
          deploymentCircuitBreaker: { enable: false, rollback: false, ...clone(dc.deploymentCircuitBreaker ?? {}) },
          maximumPercent: dc.maximumPercent ?? 200,
          minimumHealthyPercent: dc.minimumHealthyPercent ?? 100,
        },
        deployments: [],
        roleArn: input.role,
        events: [],
        createdAt: now(),
        placementConstraints: clone(input.placementConstraints ?? []),
        placementStrategy: clone(input.placementStrategy ?? []),
        networkConfiguration: input.networkConfiguration ? clone(input.networkConfiguration) : undefined,
        healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
        schedulingStrategy: scheduling,
        deploymentController: clone(input.deploymentController ?? { type: 'ECS' }),
        tags: clone(input.tags ?? []),
        createdBy: callerArn(),
        enableECSManagedTags: input.enableECSManagedTags ?? false,
        propagateTags: input.propagateTags ?? 'NONE',
        enableExecuteCommand: input.enableExecuteCommand ?? false,
      }
      for (const k of Object.keys(svc)) if (svc[k] === undefined) delete svc[k]
      st().services.set(arn, svc)
      return { service: deploy(svc, td.taskDefinitionArn) }
    },

    UpdateService: (input) => {
      const c = cluster(input.cluster)
      const svc = service(c, input.service)
      if (svc.status !== 'ACTIVE') throw awsError('ecs', 'ServiceNotActiveException', 'Service was not ACTIVE.')
      let td = st().taskDefinitions.get(svc.taskDefinition)?.taskDefinition as Rec
      if (input.taskDefinition !== undefined) {
        const r = taskDef(input.taskDefinition)
        if (!r) throw clientErr('TaskDefinition not found.')
        if (r.taskDefinition.status !== 'ACTIVE') throw clientErr('TaskDefinition is inactive')
        td = r.taskDefinition
      }
      if (svc.launchType === 'FARGATE' && !fargateCompatible(td)) throw invalid('Task definition does not support launch_type FARGATE.')
      const net = input.networkConfiguration ?? svc.networkConfiguration
      validateNetwork(td, net, svc.launchType)
      if (input.desiredCount !== undefined && input.desiredCount < 0) throw invalid('desiredCount must be at least 0.')
      const netChanged = input.networkConfiguration !== undefined && JSON.stringify(input.networkConfiguration) !== JSON.stringify(svc.networkConfiguration)
      const pvChanged = input.platformVersion !== undefined && input.platformVersion !== svc.platformVersion
      const lbChanged = input.loadBalancers !== undefined && JSON.stringify(input.loadBalancers) !== JSON.stringify(svc.loadBalancers)
      const tdChanged = td.taskDefinitionArn !== svc.taskDefinition
      const countChanged = input.desiredCount !== undefined && input.desiredCount !== svc.desiredCount
      if (input.desiredCount !== undefined) svc.desiredCount = input.desiredCount
      if (input.networkConfiguration !== undefined) svc.networkConfiguration = clone(input.networkConfiguration)
      if (input.platformVersion !== undefined) svc.platformVersion = input.platformVersion
      if (input.loadBalancers !== undefined) svc.loadBalancers = clone(input.loadBalancers)
      if (input.deploymentConfiguration !== undefined) {
        const dc = input.deploymentConfiguration
        svc.deploymentConfiguration = {
          ...svc.deploymentConfiguration,
          ...clone(dc),
          deploymentCircuitBreaker: { ...svc.deploymentConfiguration.deploymentCircuitBreaker, ...clone(dc.deploymentCircuitBreaker ?? {}) },
        }
      }
      for (const k of [
        'healthCheckGracePeriodSeconds',
        'enableExecuteCommand',
        'enableECSManagedTags',
        'propagateTags',
        'placementConstraints',
        'placementStrategy',
        'serviceRegistries',
        'capacityProviderStrategy',
      ]) {
        if (input[k] !== undefined) svc[k] = clone(input[k])
      }
      if (input.forceNewDeployment || tdChanged || netChanged || pvChanged || lbChanged) {
        return { service: deploy(svc, td.taskDefinitionArn) }
      }
      if (countChanged) reconcile(svc)
      return { service: out(svc, true) }
    },

    DescribeServices: (input) => {
      const c = cluster(input.cluster, { active: false })
      const withTags = Boolean(input.include?.includes('TAGS'))
      const services: Rec[] = []
      const failures: Rec[] = []
      if ((input.services ?? []).length > 10) throw invalid('services can have at most 10 items.')
      for (const ref of input.services ?? []) {
        const svc = st().services.get(serviceArnOf(c, ref))
        if (svc) services.push(describeService(svc, withTags))
        else failures.push({ arn: serviceArnOf(c, ref), reason: 'MISSING' })
      }
      return { services, failures }
    },

    ListServices: (input) => {
      const c = cluster(input.cluster)
      const all = [...st().services.values()]
        .filter((s) => s.clusterArn === c.clusterArn && s.status !== 'INACTIVE')
        .filter((s) => !input.launchType || s.launchType === input.launchType)
        .filter((s) => !input.schedulingStrategy || s.schedulingStrategy === input.schedulingStrategy)
        .map((s) => s.serviceArn)
      const p = pageOf(all, input, 10)
      return { serviceArns: p.items, nextToken: p.nextToken }
    },

    DeleteService: (input) => {
      const c = cluster(input.cluster)
      const svc = service(c, input.service)
      if (svc.status !== 'ACTIVE') throw awsError('ecs', 'ServiceNotActiveException', 'Service was not ACTIVE.')
      if (svc.desiredCount > 0 && !input.force && svc.schedulingStrategy !== 'DAEMON') {
        throw invalid('The service cannot be stopped while it is scaled above 0.')
      }
      svc.desiredCount = 0
      svc.status = 'DRAINING'
      const response = out(svc, true)
      stopServiceTasks(svc, serviceTasks(svc), `Service ${svc.serviceName} deleted`)
      for (const d of svc.deployments) {
        d.desiredCount = 0
        d.runningCount = 0
        d.pendingCount = 0
        st().stuck.delete(d.id)
        st().lingering.delete(d.id)
      }
      svc.deployments = svc.deployments.filter((d: Rec) => d.status === 'PRIMARY')
      svc.runningCount = 0
      svc.pendingCount = 0
      // DRAINING until ECS has let go of it; CreateService of the same name meanwhile is "not idempotent"
      st().draining.set(svc.serviceArn, now())
      settleDraining()
      return { service: response }
    },

    RunTask: (input) => {
      const c = cluster(input.cluster)
      const r = taskDef(input.taskDefinition)
      if (!r) throw clientErr('TaskDefinition not found.')
      const td = r.taskDefinition
      if (td.status !== 'ACTIVE') throw clientErr('TaskDefinition is inactive')
      const count = input.count ?? 1
      if (count < 1 || count > 10) throw invalid('count must be between 1 and 10.')
      if (input.startedBy && input.startedBy.length > 36) throw invalid('startedBy must be 36 characters or fewer.')
      checkTags(input.tags)
      const launchType: string | undefined = input.launchType ?? (input.capacityProviderStrategy?.length ? undefined : 'EC2')
      if (launchType === 'FARGATE' && !fargateCompatible(td)) throw invalid('Task definition does not support launch_type FARGATE.')
      validateNetwork(td, input.networkConfiguration, launchType)
      if (launchType !== 'FARGATE' && activeInstances(c).length === 0) throw invalid('No Container Instances were found in your cluster.')
      checkServiceLinkedRole()
      const role = unpropagatedRole(td)
      if (role) throw clientErr(cannotAssume(role))
      const tags = input.propagateTags === 'TASK_DEFINITION' ? [...r.tags, ...(input.tags ?? [])] : (input.tags ?? [])
      const tasks: Rec[] = []
      for (let i = 0; i < count; i++) {
        tasks.push(
          newTask({
            c,
            td,
            launchType,
            net: input.networkConfiguration,
            group: input.group ?? `family:${td.family}`,
            startedBy: input.startedBy,
            overrides: input.overrides ? clone(input.overrides) : undefined,
            tags: clone(tags),
            kind: 'run',
            outcome: st().taskOutcome,
            capacityProviderStrategy: input.capacityProviderStrategy,
            enableExecuteCommand: input.enableExecuteCommand,
          }),
        )
      }
      return { tasks: tasks.map((t) => taskOut(t, ['TAGS'])), failures: [] }
    },

    DescribeTasks: (input) => {
      const c = cluster(input.cluster, { active: false })
      if (!input.tasks?.length) throw invalid('Tasks cannot be empty.')
      if (input.tasks.length > 100) throw invalid('tasks can have at most 100 items.')
      const tasks: Rec[] = []
      const failures: Rec[] = []
      for (const ref of input.tasks) {
        const t = findTask(c, ref)
        if (!t) {
          failures.push({ arn: ref.startsWith('arn:') ? ref : `${prefix()}:task/${c.clusterName}/${ref}`, reason: 'MISSING' })
          continue
        }
        advance(t)
        tasks.push(taskOut(t, input.include))
      }
      return { tasks, failures }
    },

    ListTasks: (input) => {
      const c = cluster(input.cluster)
      const desired = input.desiredStatus ?? 'RUNNING'
      if (input.family && input.serviceName) throw invalid('Specifying both family and serviceName is not supported.')
      // the API reference: "When you specify startedBy as the filter, it must be the only filter that you use."
      // (the cluster scopes the list, it is not a filter). AWS's wording of the refusal is not published; this is ours.
      const others = ['family', 'serviceName', 'containerInstance', 'launchType', 'desiredStatus'].filter((k) => input[k] !== undefined)
      if (input.startedBy !== undefined && others.length) {
        throw invalid(`startedBy cannot be specified with other filters (${others.join(', ')}): when startedBy is specified, it must be the only filter.`)
      }
      if (input.serviceName) {
        const svc = st().services.get(serviceArnOf(c, input.serviceName))
        if (!svc) throw awsError('ecs', 'ServiceNotFoundException', 'Service not found.')
      }
      const all = [...st().tasks.values()]
        .filter((t) => t.clusterArn === c.clusterArn)
        .filter((t) => t.desiredStatus === desired)
        .filter((t) => !input.family || st().taskDefinitions.get(t.taskDefinitionArn)?.taskDefinition.family === input.family)
        .filter((t) => !input.serviceName || t.group === `service:${(input.serviceName as string).split('/').pop()}`)
        .filter((t) => !input.startedBy || t.startedBy === input.startedBy)
        .filter((t) => !input.launchType || t.launchType === input.launchType)
        .filter(
          (t) =>
            !input.containerInstance || t.containerInstanceArn === input.containerInstance || t.containerInstanceArn?.endsWith(`/${input.containerInstance}`),
        )
        .map((t) => t.taskArn)
      const p = pageOf(all, input, 100)
      return { taskArns: p.items, nextToken: p.nextToken }
    },

    StopTask: (input) => {
      const c = cluster(input.cluster)
      const t = input.task ? findTask(c, input.task) : undefined
      if (!t) throw invalid('The referenced task was not found.')
      if (input.reason && input.reason.length > 255) throw invalid('reason must be 255 characters or fewer.')
      const response = taskOut(t, ['TAGS'])
      if (t.lastStatus !== 'STOPPED') response.desiredStatus = 'STOPPED'
      stopTask(t, { stopCode: 'UserInitiated', reason: input.reason ?? 'Task stopped by user', exitCode: 143, started: t.lastStatus === 'RUNNING' })
      const meta = st().taskMeta.get(t.taskArn)
      if (meta?.kind === 'service' && meta.serviceArn) {
        const svc = st().services.get(meta.serviceArn)
        if (svc) reconcile(svc)
      }
      return { task: response }
    },

    TagResource: (input) => {
      checkTags(input.tags)
      const target = tagTarget(input.resourceArn)
      const tags = [...target.get()]
      for (const t of input.tags ?? []) {
        const i = tags.findIndex((x) => x.key === t.key)
        if (i >= 0) tags[i] = { key: t.key, value: t.value ?? '' }
        else tags.push({ key: t.key, value: t.value ?? '' })
      }
      target.set(tags)
      return {}
    },

    UntagResource: (input) => {
      const target = tagTarget(input.resourceArn)
      target.set(target.get().filter((t) => !(input.tagKeys ?? []).includes(t.key)))
      return {}
    },

    ListTagsForResource: (input) => ({ tags: clone(tagTarget(input.resourceArn).get()) }),

    // ECS Express Mode (test/fakes/ecs-express.ts)
    ...expressHandlers(ctx, { cluster, taskDef, checkTags }),
  }

  // a deleted service drains with the clock, whatever the next call is
  for (const [operation, handler] of Object.entries(handlers)) {
    handlers[operation] = (input) => {
      settleDraining()
      return handler(input)
    }
  }
  // ECS's client tokens: the same token and parameters in the same cluster within the TTL answer with the first
  // answer and do nothing; the same token with other parameters is a ConflictException
  for (const operation of ['RunTask', 'CreateService']) {
    const make = handlers[operation]
    handlers[operation] = (input) => {
      const token: string | undefined = input.clientToken
      if (token === undefined) return make(input)
      if (token.length > (operation === 'RunTask' ? 64 : 36)) throw invalid(`clientToken is too long for ${operation}.`)
      const key = `${cluster(input.cluster).clusterArn}/${operation}/${token}`
      const { clientToken: _t, ...params } = input
      const request = JSON.stringify(params)
      const seen = st().clientTokens.get(key)
      if (seen && now().getTime() - seen.at < CLIENT_TOKEN_TTL_MS) {
        if (seen.request !== request) throw awsError('ecs', 'ConflictException', 'The client token was used with different parameters.')
        return clone(seen.answer)
      }
      const answer = make(input)
      st().clientTokens.set(key, { request, answer: clone(answer), at: now().getTime() })
      return answer
    }
  }

  return { handlers, registerContainerInstances, cluster }
}

export function ecsHandlers(ctx: FakeContext): Handlers {
  return ecsModel(ctx).handlers
}
