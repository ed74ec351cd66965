import { describe, expect, it } from 'vitest'
import { arnPartition, partition, partitionOfArn } from '../../src/targets/target.js'
import { useFakeAws } from '../helpers/fake.js'
import { planFor, project } from '../helpers/session.js'

const LAMBDA_APP = (region: string) => `
name: hello
region: ${region}
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
http:
  routes: ["GET /"]
`

/** Every ARN a plan writes, from its requests. */
function arnsIn(value: unknown): string[] {
  const text = JSON.stringify(value)
  return [...text.matchAll(/arn:[a-z-]+:[^"\\]*/g)].map((m) => m[0])
}

describe('partitions', () => {
  it('each region prefix names its partition; any other region is aws', () => {
    expect(
      [
        'us-west-2',
        'eu-central-1',
        'cn-north-1',
        'cn-northwest-1',
        'us-gov-west-1',
        'us-iso-east-1',
        'us-isob-east-1',
        'eu-isoe-west-1',
        'us-isof-south-1',
        'eusc-de-east-1',
      ].map(partition),
    ).toEqual(['aws', 'aws', 'aws-cn', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'])
  })

  it("the account's partition, when an ARN told it, wins over the region's", () => {
    expect(partitionOfArn('arn:aws-us-gov:iam::123456789012:user/ci')).toBe('aws-us-gov')
    expect(partitionOfArn('not an arn')).toBeUndefined()
    expect(arnPartition({ region: 'us-west-2' })).toBe('aws')
    expect(arnPartition({ region: 'us-west-2', partition: 'aws-iso-f' })).toBe('aws-iso-f')
  })
})

describe('ARNs of a plan in another partition', () => {
  const fake = useFakeAws({ region: 'cn-north-1' })

  it('a lambda plan in cn-north-1 writes every ARN (managed policy, execute-api) in aws-cn', async () => {
    // given a caller of the China partition
    fake.reset()
    fake.state.sts.callerArn = `arn:aws-cn:iam::${fake.account}:user/ci`
    const { plan } = await planFor(project(LAMBDA_APP('cn-north-1')), { target: 'lambda' })
    // then no ARN of the plan is in the aws partition
    const arns = arnsIn(plan.steps.map((s) => s.request))
    expect(arns).toContain('arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')
    expect(arns.filter((a) => !a.startsWith('arn:aws-cn:'))).toEqual([])
  })

  it("the caller's ARN from STS gives the partition, whatever the region's prefix says", async () => {
    fake.reset()
    fake.state.sts.callerArn = `arn:aws-iso-f:sts::${fake.account}:assumed-role/ci/session`
    const { plan } = await planFor(project(LAMBDA_APP('cn-north-1')), { target: 'lambda' })
    const arns = arnsIn(plan.steps.map((s) => s.request))
    expect(arns.length).toBeGreaterThan(0)
    expect(arns.filter((a) => !a.startsWith('arn:aws-iso-f:'))).toEqual([])
  })
})

describe('ARNs of a container plan in GovCloud', () => {
  const fake = useFakeAws({ region: 'us-gov-west-1' })

  it('fargate with http: the task execution and infrastructure policies and the task definition ARN are aws-us-gov', async () => {
    fake.reset()
    fake.state.sts.callerArn = `arn:aws-us-gov:iam::${fake.account}:user/ci`
    const dir = project('name: web\nregion: us-gov-west-1\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\nhttp: {}\n', {})
    const { plan } = await planFor(dir, { target: 'fargate' })
    const arns = arnsIn(plan.steps.map((s) => s.request))
    expect(arns).toEqual(
      expect.arrayContaining([
        'arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
        'arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices',
      ]),
    )
    expect(arns.filter((a) => !a.startsWith('arn:aws-us-gov:'))).toEqual([])
  })
})
