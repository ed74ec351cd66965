import type { Service, TaskDefinition } from '@aws-sdk/client-ecs'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../../src/digest.js'
import { assemblePlan } from '../../../src/engine/plan.js'
import type { Session } from '../../../src/engine/session.js'
import type { ContainerDesired } from '../../../src/manifest/resolve.js'
import { renderCli, renderText } from '../../../src/plan/render.js'
import type { Plan } from '../../../src/plan/types.js'
import { ecsTarget, fargateTarget } from '../../../src/targets/container/index.js'
import type { ContainerObserved } from '../../../src/targets/container/observe.js'
import { ecsTagList, planContainer, TASK_EXECUTION_POLICY } from '../../../src/targets/container/plan.js'
import { EC2_PROFILE, FARGATE_PROFILE } from '../../../src/targets/container/profile.js'
import { describedSpec, desiredSpec, registerInput } from '../../../src/targets/container/task-definition.js'
import { rolloutVerdict } from '../../../src/targets/container/waiters.js'
import type { Target } from '../../../src/targets/target.js'
import { desiredFrom, FARGATE_SERVICE, FARGATE_TASK } from './helpers.js'

const ACCOUNT = '123456789012'
const REGION = 'us-west-2'
const ctx = { region: REGION, account: ACCOUNT, adopt: false }
const ROLE_ARN = (d: ContainerDesired) => `arn:aws:iam::${ACCOUNT}:role/${d.names.taskExecutionRole}`

/** What AWS holds after a deploy of `desired` (revision 7, two tasks, the default VPC). */
function deployedState(desired: ContainerDesired, td: TaskDefinition = describedRevision(desired)): ContainerObserved {
  const secretKeys = new Set(
    Object.entries(desired.environment)
      .filter(([, v]) => v.secret)
      .map(([k]) => k),
  )
  return {
    offline: false,
    account: ACCOUNT,
    cluster: {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${desired.names.cluster}`,
      tags: desired.tags,
      containerInstances: 0,
      activeServices: 1,
      insights: 'disabled',
    },
    service: {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${desired.names.cluster}/${desired.names.service}`,
      tags: desired.tags,
      taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${desired.names.family}:7`,
      desiredCount: desired.container.count ?? 1,
      launchType: 'FARGATE',
      network: { subnets: ['subnet-0a', 'subnet-0b'], securityGroups: ['sg-0123'], assignPublicIp: 'ENABLED' },
      rollsBack: true,
    },
    taskDefinition: {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${desired.names.family}:7`,
      revision: 7,
      tags: desired.tags,
      spec: describedSpec(td, secretKeys),
    },
    network: {
      subnets: ['subnet-0a', 'subnet-0b'],
      vpcId: 'vpc-0d',
      securityGroups: [
        {
          id: 'sg-0123',
          vpcId: 'vpc-0d',
          tags: desired.tags,
          ingress: desired.container.port ? [{ protocol: 'tcp', fromPort: desired.container.port, toPort: desired.container.port, cidr: '0.0.0.0/0' }] : [],
        },
      ],
    },
    role: { arn: ROLE_ARN(desired), tags: desired.tags, attachedPolicies: [TASK_EXECUTION_POLICY({ region: REGION })], secretsPolicy: null },
    logGroup: { arn: `arn:aws:logs:us-west-2:${ACCOUNT}:log-group:${desired.names.logGroup}`, retentionInDays: 14, tags: desired.tags },
  }
}

/**
 * The revision as DescribeTaskDefinition returns it: the request shipit sent, with what ECS adds
 * (ARN, status, compatibilities, defaults, empty lists) and its own ordering.
 */
function describedRevision(desired: ContainerDesired): TaskDefinition {
  const sent = registerInput(desiredSpec(desired, FARGATE_PROFILE, REGION, ROLE_ARN(desired)), desired.tags) as unknown as TaskDefinition & { tags?: unknown }
  const { tags: _tags, ...td } = sent
  // shipit sends variables sorted by name; this revision lists them the other way round
  const env = Object.entries(desired.environment)
    .map(([name, v]) => ({ name, value: v.value }))
    .sort((a, b) => (a.name < b.name ? 1 : -1))
  const c = td.containerDefinitions?.[0] ?? {}
  return {
    taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${desired.names.family}:7`,
    ...td,
    containerDefinitions: [
      {
        ...c,
        portMappings: (c.portMappings ?? []).map((p) => ({ containerPort: p.containerPort, hostPort: p.containerPort, protocol: 'tcp' as const })),
        environment: env,
        mountPoints: [],
        volumesFrom: [],
        systemControls: [],
        ...(c.healthCheck ? { healthCheck: { ...c.healthCheck, interval: 30, timeout: 5, retries: 3 } } : {}),
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-stream-prefix': 'shipit', 'awslogs-region': REGION, 'awslogs-group': desired.names.logGroup },
          secretOptions: [],
        },
      },
    ],
    cpu: '256',
    memory: '512',
    revision: 7,
    volumes: [],
    status: 'ACTIVE',
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }, { name: 'ecs.capability.execution-role-awslogs' }],
    placementConstraints: [],
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: new Date('2026-01-01T00:00:00Z'),
    registeredBy: `arn:aws:iam::${ACCOUNT}:user/ci`,
  }
}

function planDocument(desired: ContainerDesired, target: Target<unknown>, observed: ContainerObserved, offline = false): Plan {
  const part = target.plan(desired, observed, { artifacts: new Map() }, offline ? { region: REGION, adopt: false } : ctx)
  const session = { desired, target, region: REGION, offline, warnings: [] } as unknown as Session
  return assemblePlan(
    session,
    { command: 'deploy', now: () => new Date('2026-01-01T00:00:00Z'), salt: 'fixed-salt-for-snapshots' },
    part,
    observed,
    offline ? undefined : ACCOUNT,
  )
}

const fargate = fargateTarget as Target<unknown>

describe('container plan', () => {
  const desired = desiredFrom(`${FARGATE_SERVICE}  healthCheck:\n    command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]\n`)

  it('nothing to do when what is live matches app.yaml', () => {
    const part = planContainer(FARGATE_PROFILE, desired, deployedState(desired), ctx)
    expect(part.steps).toEqual([])
    expect(part.blocked).toEqual([])
    expect(part.unchanged.map((u) => `${u.resource.type} ${u.resource.name}`)).toEqual([
      'ecs:cluster web-dev',
      'logs:log-group /shipit/web/dev',
      'iam:role shipit-web-dev-task-exec',
      'ec2:security-group shipit-web-dev',
      'ecs:task-definition web-dev:7',
      'ecs:service web-dev',
    ])
  })

  it('a described revision equal to the desired one is not registered again, whatever ECS filled in or reordered', () => {
    // given a revision as ECS describes it: env reversed, hostPort and protocol filled in, health-check
    // defaults, empty lists, cpu/memory as strings, compatibilities, requiresAttributes
    const td = describedRevision(
      desiredFrom(
        `${FARGATE_SERVICE.replace('  LOG_LEVEL: info', '  LOG_LEVEL: info\n  API_URL: https://api.example.com')}  healthCheck:\n    command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]\n`,
      ),
    )
    const d = desiredFrom(
      `${FARGATE_SERVICE.replace('  LOG_LEVEL: info', '  LOG_LEVEL: info\n  API_URL: https://api.example.com')}  healthCheck:\n    command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]\n`,
    )
    expect(td.containerDefinitions?.[0].environment?.map((e) => e.name)).toEqual(['LOG_LEVEL', 'API_URL'])
    const part = planContainer(FARGATE_PROFILE, d, deployedState(d, td), ctx)
    expect(part.steps.map((s) => s.request.operation)).toEqual([])
    expect(part.unchanged.map((u) => u.resource.name)).toContain('web-dev:7')

    // and with ECS leaving out what it defaults (no protocol, no hostPort, no essential, no runtimePlatform)
    const sparse: TaskDefinition = {
      ...td,
      runtimePlatform: undefined,
      containerDefinitions: [{ ...td.containerDefinitions?.[0], essential: undefined, portMappings: [{ containerPort: 80 }] }],
    }
    expect(planContainer(FARGATE_PROFILE, d, deployedState(d, sparse), ctx).steps).toEqual([])
  })

  it('registers a new revision for what changed, field by field, and moves the service to it', () => {
    const changed = desiredFrom(
      `${FARGATE_SERVICE.replace('nginx:1.27', 'nginx:1.28').replace('LOG_LEVEL: info', 'LOG_LEVEL: debug')}  healthCheck:\n    command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]\n`,
    )
    const plan = planDocument(changed, fargate, deployedState(desired))
    expect(plan.steps.map((s) => `${s.action} ${s.request.operation}`)).toEqual(['update RegisterTaskDefinition', 'update UpdateService'])
    const register = plan.steps[0]
    expect(register.reason).toBe('new revision after web-dev:7: app.image, app.environment changed')
    expect(register.changes).toEqual([
      { path: 'app.image', before: 'public.ecr.aws/nginx/nginx:1.27', after: 'public.ecr.aws/nginx/nginx:1.28' },
      { path: 'app.environment.LOG_LEVEL', before: 'info', after: 'debug' },
    ])
    const service = plan.steps[1]
    expect(service.changes).toEqual([
      { path: 'taskDefinition', before: 'web-dev:7', after: { ref: 'task-definition', output: 'taskDefinition.taskDefinitionArn' } },
    ])
    expect(service.dependsOn).toEqual(['task-definition'])
    expect(service.wait).toEqual({
      waiter: 'EcsServiceDeployed',
      input: { cluster: 'web-dev', service: 'web-dev', taskDefinition: { ref: 'task-definition', output: 'taskDefinition.taskDefinitionArn' } },
      description: 'service web-dev to finish its deployment (rollout COMPLETED)',
    })
  })

  it('secret env values travel as markers, are compared by hash and never printed', () => {
    const yaml = FARGATE_SERVICE.replace('  LOG_LEVEL: info', '  LOG_LEVEL: info\n  API_KEY: { value: "${env:API_KEY}", secret: true }')
    const live = desiredFrom(yaml, { vars: { API_KEY: 'canary-secret-one' } })
    const same = planContainer(FARGATE_PROFILE, live, deployedState(live), ctx)
    expect(same.steps).toEqual([])

    const rotated = desiredFrom(yaml, { vars: { API_KEY: 'canary-secret-two' } })
    const plan = planDocument(rotated, fargate, deployedState(live))
    const register = plan.steps.find((s) => s.id === 'task-definition')!
    expect(register.changes?.map((c) => c.path)).toEqual(['app.environment.API_KEY'])
    const env = (register.request.input.containerDefinitions as { environment: { name: string; value: unknown }[] }[])[0].environment
    expect(env.find((e) => e.name === 'API_KEY')?.value).toEqual({ sensitive: 'API_KEY', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })
    const shown = `${renderText(plan)}\n${renderCli(plan)}\n${JSON.stringify(plan)}`
    expect(shown).not.toContain('canary-secret')
    expect(renderText(plan)).toContain('~ app.environment.API_KEY: (sensitive) → (sensitive)')
  })

  it('secrets become valueFrom and a role policy that lets ECS read them, kept while it matches', () => {
    const yaml = `${FARGATE_SERVICE}secrets:\n  DB_PASSWORD: "arn:aws:ssm:us-west-2:123456789012:parameter/web/db"\n`
    const d = desiredFrom(yaml)
    const fresh = planDocument(d, fargate, fargate.nothing(d) as ContainerObserved, true)
    const register = fresh.steps.find((s) => s.id === 'task-definition')!
    expect((register.request.input.containerDefinitions as Record<string, unknown>[])[0].secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-west-2:123456789012:parameter/web/db' },
    ])
    const policy = fresh.steps.find((s) => s.id === 'role-secrets')!
    expect(JSON.parse(policy.request.input.PolicyDocument as string)).toEqual({
      Statement: [
        {
          Action: ['secretsmanager:GetSecretValue', 'ssm:GetParameter', 'ssm:GetParameters'],
          Effect: 'Allow',
          Resource: ['arn:aws:ssm:us-west-2:123456789012:parameter/web/db'],
        },
      ],
      Version: '2012-10-17',
    })
    expect(register.dependsOn).toEqual(['role'])
    expect(fresh.steps.find((s) => s.id === 'service')?.dependsOn).toEqual(
      expect.arrayContaining(['role-secrets', 'role-policy', 'log-group', 'cluster', 'task-definition']),
    )

    const live = deployedState(d)
    const td = describedRevision(d)
    live.taskDefinition = {
      ...(live.taskDefinition as NonNullable<ContainerObserved['taskDefinition']>),
      spec: describedSpec(
        {
          ...td,
          containerDefinitions: [
            { ...td.containerDefinitions?.[0], secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-west-2:123456789012:parameter/web/db' }] },
          ],
        },
        new Set(),
      ),
    }
    live.role = {
      ...(live.role as NonNullable<ContainerObserved['role']>),
      secretsPolicy: canonicalJson(JSON.parse(policy.request.input.PolicyDocument as string)),
    }
    expect(planContainer(FARGATE_PROFILE, d, live, ctx).steps).toEqual([])
    // and removing the secrets removes the policy
    const without = planContainer(FARGATE_PROFILE, desiredFrom(FARGATE_SERVICE), live, ctx)
    expect(without.steps.map((s) => `${s.action} ${s.request.operation}`)).toEqual([
      'delete DeleteRolePolicy',
      'update RegisterTaskDefinition',
      'update UpdateService',
    ])
  })

  it('count and network changes update only those fields of the service', () => {
    const live = deployedState(desired)
    live.service = {
      ...(live.service as NonNullable<ContainerObserved['service']>),
      desiredCount: 5,
      network: { subnets: ['subnet-0a'], securityGroups: ['sg-0123'], assignPublicIp: 'ENABLED' },
    }
    const part = planContainer(FARGATE_PROFILE, desired, live, ctx)
    expect(part.steps.map((s) => s.request.input)).toEqual([
      {
        cluster: 'web-dev',
        service: 'web-dev',
        desiredCount: 2,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a', 'subnet-0b'], securityGroups: ['sg-0123'], assignPublicIp: 'ENABLED' } },
      },
    ])
    expect(part.steps[0].wait?.input.taskDefinition).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web-dev:7`)
  })

  it('a DRAINING service counts as gone: observe drops it, and the plan creates the service again', () => {
    const live = { ...deployedState(desired), service: null }
    expect(planContainer(FARGATE_PROFILE, desired, live, ctx).steps.map((s) => s.request.operation)).toEqual(['CreateService'])
  })

  it('ecs: a cluster with instances runs the service with launch type EC2 and EC2 compatibility', () => {
    const d = desiredFrom(FARGATE_SERVICE, { target: 'ecs' })
    const live = deployedState(d)
    live.cluster = { ...(live.cluster as NonNullable<ContainerObserved['cluster']>), containerInstances: 2 }
    live.service = null
    const part = planContainer(EC2_PROFILE, d, live, ctx)
    expect(part.blocked).toEqual([])
    expect(part.steps.map((s) => s.request.operation)).toEqual(['RegisterTaskDefinition', 'CreateService'])
    expect(part.steps[0].request.input.requiresCompatibilities).toEqual(['EC2'])
    expect(part.steps[0].changes).toEqual([{ path: 'requiresCompatibilities', before: ['FARGATE'], after: ['EC2'] }])
    expect(part.steps[1].request.input).toMatchObject({ launchType: 'EC2', networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'DISABLED' } } })
    // a service of the other launch type cannot be converted
    live.service = deployedState(d).service
    expect(planContainer(EC2_PROFILE, d, live, ctx).blocked[0].reason).toContain('shipit destroy --target fargate')
  })
})

describe('offline plans', () => {
  it('fargate service: text snapshot and JSON checked field by field', () => {
    const d = desiredFrom(FARGATE_SERVICE)
    const plan = planDocument(d, fargate, fargate.nothing(d) as ContainerObserved, true)
    expect(renderText(plan)).toMatchSnapshot()
    expect(plan.offline).toBe(true)
    expect(plan.summary).toEqual({ create: 9, update: 0, replace: 0, delete: 0, run: 0, noop: 0 })
    expect(plan.steps.map((s) => [s.id, s.action, s.resource.type, s.resource.name, s.dependsOn])).toEqual([
      ['cluster', 'create', 'ecs:cluster', 'web-dev', []],
      ['log-group', 'create', 'logs:log-group', '/shipit/web/dev', []],
      ['log-retention', 'create', 'logs:retention', '/shipit/web/dev', ['log-group']],
      ['role', 'create', 'iam:role', 'shipit-web-dev-task-exec', []],
      ['role-policy', 'create', 'iam:role-policy-attachment', 'shipit-web-dev-task-exec/AmazonECSTaskExecutionRolePolicy', ['role']],
      ['security-group', 'create', 'ec2:security-group', 'shipit-web-dev', []],
      ['security-group-ingress', 'create', 'ec2:security-group-rule', 'shipit-web-dev tcp 80 from 0.0.0.0/0', ['security-group']],
      ['task-definition', 'create', 'ecs:task-definition', 'web-dev', ['role']],
      [
        'service',
        'create',
        'ecs:service',
        'web-dev',
        ['cluster', 'log-group', 'role', 'role-policy', 'security-group', 'security-group-ingress', 'task-definition'],
      ],
    ])
    const cluster = plan.steps[0]
    expect(cluster.request).toEqual({
      service: 'ecs',
      operation: 'CreateCluster',
      input: { clusterName: 'web-dev', tags: ecsTagList(d.tags), settings: [{ name: 'containerInsights', value: 'disabled' }] },
    })
    const service = plan.steps[8]
    expect(service.request.input.networkConfiguration).toEqual({
      awsvpcConfiguration: { subnets: ['<default-vpc-subnets>'], securityGroups: [{ ref: 'security-group', output: 'GroupId' }], assignPublicIp: 'ENABLED' },
    })
    expect(service.request.input.taskDefinition).toEqual({ ref: 'task-definition', output: 'taskDefinition.taskDefinitionArn' })
    expect(plan.steps[7].request.input.executionRoleArn).toEqual({ ref: 'role', output: 'Role.Arn' })
    expect(plan.steps[3].wait).toEqual({
      waiter: 'RoleExists',
      input: { RoleName: 'shipit-web-dev-task-exec' },
      description: 'role shipit-web-dev-task-exec to exist',
    })
  })

  it('fargate task: the aws CLI runbook has the article’s create-cluster and run-task --launch-type FARGATE', () => {
    const d = desiredFrom(FARGATE_TASK)
    const plan = planDocument(d, fargate, fargate.nothing(d) as ContainerObserved, true)
    const cli = renderCli(plan)
    expect(cli).toContain('aws ecs create-cluster --cluster-name job-dev --tags \'[{"key":"shipit:app","value":"job"}')
    expect(cli).toMatch(
      /aws ecs run-task --cluster job-dev --task-definition '<task-definition\.taskDefinition\.taskDefinitionArn>' --launch-type FARGATE --count 1 --network-configuration '\{"awsvpcConfiguration":\{"subnets":\["<default-vpc-subnets>"\],"securityGroups":\["<security-group\.GroupId>"\],"assignPublicIp":"ENABLED"\}\}' --started-by shipit/,
    )
    expect(cli).toContain('# then wait: the task to run and stop')
    expect(plan.summary.run).toBe(1)
    expect(renderCli(plan)).toMatchSnapshot()
  })

  it('ecs: offline, the missing container instances are a warning, not a block', () => {
    const d = desiredFrom(FARGATE_SERVICE, { target: 'ecs' })
    const plan = planDocument(d, ecsTarget as Target<unknown>, ecsTarget.nothing(d), true)
    expect(plan.blocked).toEqual([])
    expect(plan.warnings).toEqual([
      '--target ecs places tasks on EC2 container instances registered in cluster web-dev; offline, shipit cannot check that it has any',
    ])
  })
})

describe('rollout verdict', () => {
  const td = (n: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web-dev:${n}`
  const svc = (deployments: Service['deployments']): Service => ({ status: 'ACTIVE', deployments })

  it('done only when the PRIMARY deployment of our revision is COMPLETED with its tasks running', () => {
    expect(
      rolloutVerdict(svc([{ status: 'PRIMARY', taskDefinition: td(2), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }]), 'web-dev:2'),
    ).toEqual({ state: 'done' })
    expect(
      rolloutVerdict(svc([{ status: 'PRIMARY', taskDefinition: td(2), rolloutState: 'IN_PROGRESS', runningCount: 1, desiredCount: 2 }]), td(2)).state,
    ).toBe('waiting')
    expect(
      rolloutVerdict(
        svc([
          { status: 'PRIMARY', taskDefinition: td(2), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 },
          { status: 'ACTIVE', taskDefinition: td(1), rolloutState: 'COMPLETED', runningCount: 1, desiredCount: 0 },
        ]),
        td(2),
      ).state,
    ).toBe('waiting')
  })

  it('a rollback is a failure even though the rollback deployment completed', () => {
    const verdict = rolloutVerdict(
      svc([
        { status: 'PRIMARY', taskDefinition: td(1), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 },
        {
          id: 'ecs-svc/2',
          status: 'ACTIVE',
          taskDefinition: td(2),
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        },
      ]),
      td(2),
    )
    expect(verdict).toMatchObject({
      state: 'failed',
      reason: 'ECS rolled the deployment of web-dev:2 back to web-dev:1: ECS deployment circuit breaker: tasks failed to start.',
    })
    // and once the failed deployment is gone from the list, still a failure
    expect(rolloutVerdict(svc([{ status: 'PRIMARY', taskDefinition: td(1), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }]), td(2)).state).toBe(
      'failed',
    )
    // unless it is the first look, which may precede the new deployment (eventual consistency)
    expect(
      rolloutVerdict(svc([{ status: 'PRIMARY', taskDefinition: td(1), rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2 }]), td(2), 1).state,
    ).toBe('waiting')
  })
})
