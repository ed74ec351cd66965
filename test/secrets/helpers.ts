import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'

/** Values put in the fake that shipit must never ask for nor print. */
export const DB_VALUE = 'db-value-5e1c9a77-never-printed'
export const STRIPE_VALUE = '{"api_key":"sk-value-0b7d3f21-never-printed"}'

const ssm = () => new SSMClient({ region: 'us-west-2' })
const sm = () => new SecretsManagerClient({ region: 'us-west-2' })

export async function seedSecrets(options: { kms?: boolean } = {}): Promise<void> {
  await ssm().send(
    new PutParameterCommand({ Name: '/shop/db-password', Value: DB_VALUE, Type: 'SecureString', ...(options.kms ? { KeyId: 'alias/shop' } : {}) }),
  )
  await sm().send(
    new CreateSecretCommand({
      Name: 'shop/stripe',
      SecretString: STRIPE_VALUE,
      ...(options.kms ? { KmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' } : {}),
    }),
  )
}
export const rotateParameter = () => ssm().send(new PutParameterCommand({ Name: '/shop/db-password', Value: `${DB_VALUE}-2`, Overwrite: true }))
export const rotateSecret = () => sm().send(new PutSecretValueCommand({ SecretId: 'shop/stripe', SecretString: STRIPE_VALUE.replace('sk-', 'sk2-') }))
