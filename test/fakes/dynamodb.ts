/**
 * DynamoDB, as much as the deploy lock uses (src/lock/): tables that are CREATING before they are
 * ACTIVE, items with condition and update expressions, TTL, tags. Modelled on the API reference:
 * - item calls on a missing or not yet ACTIVE table: ResourceNotFoundException "Requested resource not found";
 * - CreateTable of an existing table: ResourceInUseException "Table already exists: NAME";
 * - a failed condition: ConditionalCheckFailedException "The conditional request failed", with the
 *   item when ReturnValuesOnConditionCheckFailure is ALL_OLD;
 * - expression names or values that the expressions do not use, and unknown syntax: ValidationException.
 */
import type { FakeContext } from './context.js'
import { awsError, clone, type Handlers } from './core.js'

type AttributeValue = { S?: string; N?: string; BOOL?: boolean }
export type DynamoItem = Record<string, AttributeValue>

export interface DynamoTable {
  name: string
  arn: string
  status: 'CREATING' | 'ACTIVE'
  /** DescribeTable answers still to give CREATING */
  creatingReads: number
  keyAttribute: string
  billingMode: string
  createdAt: Date
  tags: { Key: string; Value: string }[]
  ttl?: { attribute: string; enabled: boolean }
  items: Map<string, DynamoItem>
}

export interface DynamoDbState {
  tables: Map<string, DynamoTable>
}

export function createDynamoDbState(): DynamoDbState {
  return { tables: new Map() }
}

const err = (name: string, message: string, extra: Record<string, unknown> = {}) => awsError('dynamodb', name, message, undefined, extra)
const notFound = () => err('ResourceNotFoundException', 'Requested resource not found')

interface ExpressionInput {
  ExpressionAttributeNames?: Record<string, string>
  ExpressionAttributeValues?: Record<string, AttributeValue>
}

/** Resolves `#name` and `:value` tokens, and checks afterwards that every one given was used (as DynamoDB does). */
class Expressions {
  private readonly usedNames = new Set<string>()
  private readonly usedValues = new Set<string>()
  constructor(private readonly input: ExpressionInput) {}

  name(token: string): string {
    if (!token.startsWith('#')) return token
    const n = this.input.ExpressionAttributeNames?.[token]
    if (n === undefined) throw err('ValidationException', `Value provided in ExpressionAttributeNames unused in expressions: keys: {${token}}`)
    this.usedNames.add(token)
    return n
  }

  value(token: string): AttributeValue {
    const v = this.input.ExpressionAttributeValues?.[token]
    if (v === undefined)
      throw err(
        'ValidationException',
        `Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: ${token}`,
      )
    this.usedValues.add(token)
    return v
  }

  checkAllUsed(): void {
    const names = Object.keys(this.input.ExpressionAttributeNames ?? {}).filter((k) => !this.usedNames.has(k))
    if (names.length) throw err('ValidationException', `Value provided in ExpressionAttributeNames unused in expressions: keys: {${names.join(', ')}}`)
    const values = Object.keys(this.input.ExpressionAttributeValues ?? {}).filter((k) => !this.usedValues.has(k))
    if (values.length) throw err('ValidationException', `Value provided in ExpressionAttributeValues unused in expressions: keys: {${values.join(', ')}}`)
  }
}

function compare(a: AttributeValue | undefined, b: AttributeValue): number | undefined {
  if (!a) return undefined
  if (a.N !== undefined && b.N !== undefined) return Number(a.N) - Number(b.N)
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0
  return undefined
}

const COMPARISON = /^(#?\w+)\s*(=|<>|<=|>=|<|>)\s*(:\w+)$/
const FUNCTION = /^(attribute_exists|attribute_not_exists)\((#?\w+)\)$/

/**
 * The condition expressions of the API without parentheses: comparisons and attribute_(not_)exists
 * joined by AND and OR. Every term is parsed first (names and values count as used even where OR
 * would not reach them, as DynamoDB checks the expression, not its evaluation), then evaluated.
 */
function evaluateCondition(expression: string, item: DynamoItem | undefined, x: Expressions): boolean {
  const clauses = expression.split(/\s+OR\s+/).map((clause) =>
    clause.split(/\s+AND\s+/).map((term): (() => boolean) => {
      const t = term.trim()
      const fn = FUNCTION.exec(t)
      if (fn) {
        const name = x.name(fn[2])
        return () => (item?.[name] !== undefined) === (fn[1] === 'attribute_exists')
      }
      const cmp = COMPARISON.exec(t)
      if (!cmp) throw err('ValidationException', `Invalid ConditionExpression: Syntax error; token: "${t.split(/\s/)[0]}", near: "${t}"`)
      const name = x.name(cmp[1])
      const value = x.value(cmp[3])
      return () => {
        const c = compare(item?.[name], value)
        if (c === undefined) return cmp[2] === '<>'
        return { '=': c === 0, '<>': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[cmp[2]] as boolean
      }
    }),
  )
  return clauses.some((terms) => terms.every((term) => term()))
}

export function dynamodbHandlers(ctx: FakeContext): Handlers {
  const tables = () => ctx.state.dynamodb.tables

  const activeTable = (name: string): DynamoTable => {
    const t = tables().get(name)
    if (t?.status !== 'ACTIVE') throw notFound()
    return t
  }

  const keyOf = (t: DynamoTable, key: DynamoItem | undefined, what: 'key' | 'item'): string => {
    const k = key?.[t.keyAttribute]?.S
    if (k === undefined) {
      throw err(
        'ValidationException',
        what === 'item'
          ? `One or more parameter values were invalid: Missing the key ${t.keyAttribute} in the item`
          : 'The provided key element does not match the schema',
      )
    }
    return k
  }

  /** Runs the condition of a write against the item there now; throws as DynamoDB does when it fails. */
  const checkCondition = (
    input: ExpressionInput & { ConditionExpression?: string; ReturnValuesOnConditionCheckFailure?: string },
    current: DynamoItem | undefined,
    x: Expressions,
  ) => {
    if (!input.ConditionExpression) return
    if (!evaluateCondition(input.ConditionExpression, current, x)) {
      x.checkAllUsed()
      const old = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current ? { Item: clone(current) } : {}
      throw err('ConditionalCheckFailedException', 'The conditional request failed', old)
    }
  }

  const describe = (t: DynamoTable) => ({
    TableName: t.name,
    TableArn: t.arn,
    TableStatus: t.status,
    KeySchema: [{ AttributeName: t.keyAttribute, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: t.keyAttribute, AttributeType: 'S' }],
    BillingModeSummary: { BillingMode: t.billingMode },
    CreationDateTime: t.createdAt,
    ItemCount: t.items.size,
  })

  return {
    CreateTable: (input) => {
      if (tables().has(input.TableName)) throw err('ResourceInUseException', `Table already exists: ${input.TableName}`)
      const hash = (input.KeySchema ?? []).find((k: { KeyType: string }) => k.KeyType === 'HASH')
      if (!hash || (input.KeySchema ?? []).length !== 1) throw err('ValidationException', 'shipit fake: only a table with one HASH key is modelled')
      if (input.BillingMode !== 'PAY_PER_REQUEST' && !input.ProvisionedThroughput) {
        throw err(
          'ValidationException',
          'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
        )
      }
      const table: DynamoTable = {
        name: input.TableName,
        arn: `arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${input.TableName}`,
        status: 'CREATING',
        creatingReads: ctx.behavior.dynamodbCreatingReads,
        keyAttribute: hash.AttributeName,
        billingMode: input.BillingMode ?? 'PROVISIONED',
        createdAt: ctx.now(),
        tags: clone(input.Tags ?? []),
        items: new Map(),
      }
      if (table.creatingReads <= 0) table.status = 'ACTIVE'
      tables().set(table.name, table)
      return { TableDescription: { ...describe(table), TableStatus: 'CREATING' } }
    },

    DescribeTable: (input) => {
      const t = tables().get(input.TableName)
      if (!t) throw err('ResourceNotFoundException', `Requested resource not found: Table: ${input.TableName} not found`)
      const shown = describe(t)
      // what DescribeTable answered as CREATING goes ACTIVE after that many reads (what the SDK waiter polls)
      if (t.status === 'CREATING' && --t.creatingReads <= 0) t.status = 'ACTIVE'
      return { Table: shown }
    },

    UpdateTimeToLive: (input) => {
      const t = tables().get(input.TableName)
      if (!t) throw notFound()
      if (t.status !== 'ACTIVE') throw err('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being created: ${t.name}`)
      const spec = input.TimeToLiveSpecification
      if (spec.Enabled && t.ttl?.enabled) throw err('ValidationException', 'TimeToLive is already enabled')
      t.ttl = { attribute: spec.AttributeName, enabled: spec.Enabled }
      return { TimeToLiveSpecification: clone(spec) }
    },

    DescribeTimeToLive: (input) => {
      const t = tables().get(input.TableName)
      if (!t) throw notFound()
      return { TimeToLiveDescription: t.ttl?.enabled ? { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl.attribute } : { TimeToLiveStatus: 'DISABLED' } }
    },

    ListTagsOfResource: (input) => {
      const t = [...tables().values()].find((x) => x.arn === input.ResourceArn)
      if (!t) throw notFound()
      return { Tags: clone(t.tags) }
    },

    GetItem: (input) => {
      const t = activeTable(input.TableName)
      const item = t.items.get(keyOf(t, input.Key, 'key'))
      return item ? { Item: clone(item) } : {}
    },

    PutItem: (input) => {
      const t = activeTable(input.TableName)
      const key = keyOf(t, input.Item, 'item')
      const x = new Expressions(input)
      checkCondition(input, t.items.get(key), x)
      x.checkAllUsed()
      t.items.set(key, clone(input.Item))
      return {}
    },

    UpdateItem: (input) => {
      const t = activeTable(input.TableName)
      const key = keyOf(t, input.Key, 'key')
      const x = new Expressions(input)
      const current = t.items.get(key)
      // the whole request is checked before its condition: names and values of the update count as used
      const set = /^SET\s+(.+)$/.exec(String(input.UpdateExpression ?? '').trim())
      if (!set) throw err('ValidationException', 'shipit fake: only UpdateExpression SET a = :v, … is modelled')
      const assignments = set[1].split(',').map((assignment) => {
        const [path, value] = assignment.split('=').map((s) => s.trim())
        return [x.name(path), x.value(value)] as const
      })
      checkCondition(input, current, x)
      const next: DynamoItem = { ...(current ? clone(current) : { [t.keyAttribute]: { S: key } }) }
      for (const [name, value] of assignments) next[name] = clone(value)
      x.checkAllUsed()
      t.items.set(key, next)
      return {}
    },

    DeleteItem: (input) => {
      const t = activeTable(input.TableName)
      const key = keyOf(t, input.Key, 'key')
      const x = new Expressions(input)
      checkCondition(input, t.items.get(key), x)
      x.checkAllUsed()
      t.items.delete(key)
      return {}
    },
  }
}
