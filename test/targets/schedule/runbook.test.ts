import { describe, expect, it } from 'vitest'
import { describe as descriptorOf } from '../../../src/plan/catalogue.js'
import { renderRunbook } from '../../../src/plan/runbook.js'
import { LAMBDA_CATALOGUE } from '../../../src/targets/lambda/catalogue.js'
import { useFakeAws } from '../../helpers/fake.js'
import { planFor, project } from '../../helpers/session.js'

const APP = `
name: report
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
schedule: { expression: "cron(0 7 ? * MON *)", timezone: Europe/Paris }
`

describe('plan --cli of a schedule', () => {
  useFakeAws()

  it('writes aws scheduler create-schedule with every member, and needs the aws CLI that knows scheduler', async () => {
    const { plan } = await planFor(project(APP), { target: 'lambda', mutates: false })
    const script = renderRunbook(plan, { catalogue: LAMBDA_CATALOGUE })
    expect(script).toContain('aws scheduler create-schedule-group')
    expect(script).toMatch(/aws scheduler create-schedule .*--name report-dev .*--group-name shipit-report-dev/s)
    expect(script).toContain("--schedule-expression 'cron(0 7 ? * MON *)'")
    expect(script).toContain('--schedule-expression-timezone Europe/Paris')
    expect(script).toContain('aws iam put-role-policy')
    // the role is new: the script retries while IAM propagates it, as the executor does
    expect(script).toContain("retrying 30 ValidationException 'must allow AWS EventBridge Scheduler to assume the role' -- aws scheduler create-schedule")
    // the aws CLI releases that brought the scheduler commands (its changelog: 1.27.7 and 2.8.12, 2022-11-10)
    expect(descriptorOf(LAMBDA_CATALOGUE, { service: 'scheduler', operation: 'CreateSchedule' })?.runbook?.cli).toEqual({ v1: '1.27.7', v2: '2.8.12' })
  })
})
