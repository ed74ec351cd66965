import { describe, expect, it } from 'vitest'
import { parseSecretRef } from '../../src/manifest/secret-refs.js'

describe('the forms of a secrets: entry', () => {
  const ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:shop/stripe-AbCdEf'
  it.each([
    ['ssm:/shop/db-password', { store: 'ssm', id: '/shop/db-password' }],
    ['ssm:db_password', { store: 'ssm', id: 'db_password' }],
    ['ssm:arn:aws:ssm:us-west-2:123456789012:parameter/shop/db', { store: 'ssm', id: 'arn:aws:ssm:us-west-2:123456789012:parameter/shop/db' }],
    ['secretsmanager:shop/stripe', { store: 'secretsmanager', id: 'shop/stripe' }],
    ['secretsmanager:shop/stripe#api_key', { store: 'secretsmanager', id: 'shop/stripe', jsonKey: 'api_key' }],
    ['secretsmanager:shop/stripe#api_key:AWSPREVIOUS', { store: 'secretsmanager', id: 'shop/stripe', jsonKey: 'api_key', versionStage: 'AWSPREVIOUS' }],
    ['secretsmanager:shop/stripe#::0f1e2d3c-aaaa', { store: 'secretsmanager', id: 'shop/stripe', versionId: '0f1e2d3c-aaaa' }],
    [`secretsmanager:${ARN}`, { store: 'secretsmanager', id: ARN }],
    [`secretsmanager:${ARN}:api_key:AWSCURRENT:`, { store: 'secretsmanager', id: ARN, jsonKey: 'api_key', versionStage: 'AWSCURRENT' }],
    ['arn:aws:ssm:us-west-2:123456789012:parameter/shop/db', { store: 'arn', arn: 'arn:aws:ssm:us-west-2:123456789012:parameter/shop/db' }],
    [ARN, { store: 'arn', arn: ARN }],
  ])('%s', (text, parsed) => {
    expect(parseSecretRef(text)).toEqual(parsed)
  })

  it.each(['ssm:', 'ssm:shop db', 'ssm:shop/db', 'secretsmanager:', 'secretsmanager:a b', 'vault:/x', 'arn:aws:s3:::bucket/key', '/shop/db'])(
    'refuses %s',
    (text) => expect(parseSecretRef(text)).toBeUndefined(),
  )
})
