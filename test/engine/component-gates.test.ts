import { describe, expect, it } from 'vitest'
import { besideGate } from '../../src/engine/component-gates.js'
import type { Step } from '../../src/plan/types.js'

/** A step of the gated component web, with what the gate cares about: its action, its resource type, what it needs. */
function step(id: string, action: Step['action'], type: string, dependsOn: string[] = []): Step {
  return {
    id: `web/${id}`,
    component: 'web',
    action,
    resource: { type, name: id },
    request: { service: 'ecs', operation: 'Op', input: {} },
    dependsOn: dependsOn.map((d) => `web/${d}`),
  }
}

describe('what a before: gate holds', () => {
  it('lets fresh roles, log groups, security groups and their parts be made beside it; holds what starts new code', () => {
    const steps = [
      step('role', 'create', 'iam:role'),
      step('role-policy', 'create', 'iam:role-policy-attachment', ['role']),
      step('log-group', 'create', 'logs:log-group'),
      step('log-retention', 'create', 'logs:retention', ['log-group']),
      step('security-group', 'create', 'ec2:security-group'),
      step('ingress', 'create', 'ec2:security-group-rule', ['security-group']),
      step('task-definition', 'create', 'ecs:task-definition', ['role']),
      step('service', 'create', 'ecs:service', ['task-definition']),
      step('schedule', 'create', 'scheduler:schedule'),
      step('function', 'create', 'lambda:function', ['role']),
      step('alias', 'create', 'lambda:alias', ['function']),
    ]
    expect([...besideGate(steps)].sort()).toEqual(
      ['web/ingress', 'web/log-group', 'web/log-retention', 'web/role', 'web/role-policy', 'web/security-group'].sort(),
    )
  })

  it('holds a change to what exists: a role updated, a rule added to a live group, a retention changed, anything deleted', () => {
    const steps = [
      step('role', 'update', 'iam:role'),
      step('role-policy', 'create', 'iam:role-policy', ['role']),
      step('ingress', 'create', 'ec2:security-group-rule'),
      step('log-retention', 'update', 'logs:retention'),
      step('old-group', 'delete', 'ec2:security-group'),
      step('old-package', 'delete', 's3:object'),
    ]
    expect([...besideGate(steps)]).toEqual([])
  })

  it('lets an image or package named by its content be pushed beside it', () => {
    const steps = [step('build', 'create', 'container:image'), step('push', 'create', 'ecr:image', ['build']), step('upload', 'create', 's3:object')]
    expect([...besideGate(steps)].sort()).toEqual(['web/build', 'web/push', 'web/upload'])
  })
})
