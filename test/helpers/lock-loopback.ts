import { DEFAULT_BEHAVIOR, type FakeContext, type FakeState } from '../fakes/context.js'
import { Ids } from '../fakes/core.js'
import { createDynamoDbState, type DynamoDbState, dynamodbHandlers } from '../fakes/dynamodb.js'
import type { StubReply, StubRequest } from './loopback.js'

/**
 * The in-memory DynamoDB of test/fakes served over the loopback stub (JSON 1.0), so that several
 * spawned CLIs share one lock table through --endpoint-url, as pipelines share one in AWS.
 */
export function loopbackDynamoDb(): { state: DynamoDbState; handle: (req: StubRequest) => Promise<StubReply> } {
  const state = { dynamodb: createDynamoDbState() } as FakeState
  const ctx: FakeContext = {
    account: '123456789012',
    region: 'us-west-2',
    ids: new Ids(),
    now: () => new Date(),
    state,
    behavior: { ...DEFAULT_BEHAVIOR, dynamodbCreatingReads: 0 },
    containerInstancesPerCluster: 0,
  }
  const handlers = dynamodbHandlers(ctx)
  const json = (status: number, value: unknown): StubReply => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    // timestamps travel as epoch seconds in the JSON protocols
    body: JSON.stringify(value, (k, v) => (k === 'CreationDateTime' && typeof v === 'string' ? Date.parse(v) / 1000 : v)),
  })
  return {
    state: state.dynamodb,
    handle: async (req) => {
      const handler = handlers[req.operation]
      if (!handler) return json(400, { __type: 'com.amazon.coral.validate#ValidationException', message: `not modelled: ${req.operation}` })
      try {
        return json(200, await handler(JSON.parse(req.body || '{}')))
      } catch (err) {
        const e = err as { name: string; message: string; Item?: unknown }
        return json(400, { __type: `com.amazonaws.dynamodb.v20120810#${e.name}`, message: e.message, ...(e.Item ? { Item: e.Item } : {}) })
      }
    },
  }
}
