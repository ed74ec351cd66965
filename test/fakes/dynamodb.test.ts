import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import { useFakeAws } from '../helpers/fake.js'

/** The fake answers as the DynamoDB API reference says, so that the lock is tested against AWS's behaviour. */
describe('the in-memory DynamoDB', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())
  const client = () => new DynamoDBClient({ region: 'us-west-2' })
  const table = {
    TableName: 't',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
  }

  it('a new table is CREATING: item calls answer ResourceNotFoundException until DescribeTable has seen it ACTIVE; a second CreateTable is ResourceInUseException', async () => {
    const created = await client().send(new CreateTableCommand(table))
    expect(created.TableDescription?.TableStatus).toBe('CREATING')
    await expect(client().send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Requested resource not found',
    })
    await expect(client().send(new CreateTableCommand(table))).rejects.toMatchObject({ name: 'ResourceInUseException', message: 'Table already exists: t' })
    expect((await client().send(new DescribeTableCommand({ TableName: 't' }))).Table?.TableStatus).toBe('CREATING')
    expect((await client().send(new DescribeTableCommand({ TableName: 't' }))).Table?.TableStatus).toBe('ACTIVE')
    expect(await client().send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }))).not.toHaveProperty('Item')
  })

  it('a failed condition is ConditionalCheckFailedException with the item (ALL_OLD); unused expression names are a ValidationException', async () => {
    fake.behavior.dynamodbCreatingReads = 0
    await client().send(new CreateTableCommand(table))
    const put = (v: string) =>
      client().send(
        new PutItemCommand({
          TableName: 't',
          Item: { pk: { S: 'a' }, v: { S: v } },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
    await put('first')
    await expect(put('second')).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      Item: { pk: { S: 'a' }, v: { S: 'first' } },
    })
    await expect(
      client().send(
        new PutItemCommand({
          TableName: 't',
          Item: { pk: { S: 'b' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeNames: { '#x': 'x' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}' })
  })
})
