/**
 * The forms an entry of `secrets:` takes, as written in app.yaml:
 *
 *   ssm:/shop/db-password                        an SSM parameter by name (String or SecureString)
 *   ssm:arn:aws:ssm:REGION:ACCOUNT:parameter/…   an SSM parameter by ARN
 *   secretsmanager:shop/stripe                   a Secrets Manager secret by name (or by ARN)
 *   secretsmanager:shop/stripe#api_key           one key of a JSON secret
 *   secretsmanager:shop/stripe#api_key:AWSPREVIOUS     … pinned to a version stage (or #key::VERSION-ID to an id)
 *   secretsmanager:arn:…:secret:NAME-AbCdEf:api_key:STAGE:ID   the ECS valueFrom form, as ECS documents it
 *   arn:aws:ssm:…:parameter/… / arn:aws:secretsmanager:…:secret:…   as before issue 24: passed on unread
 *
 * The prefixed forms are tracked by version (read while planning, never their values); a bare ARN is
 * passed on as it always was.
 */

export type SecretSource =
  | { store: 'ssm' /** the name or ARN as written */; id: string }
  | { store: 'secretsmanager'; id: string; jsonKey?: string; versionStage?: string; versionId?: string }
  | { store: 'arn'; arn: string }

const PARTITION = 'aws[a-z-]*'
const REGION = '[a-z0-9-]+'
const ACCOUNT = '\\d{12}'
// SSM: letters, digits and . - _ /, a hierarchy starts with /; Secrets Manager: letters, digits and /_+=.@-
const SSM_NAME = '(?:/[A-Za-z0-9_.\\-/]{1,2047}|[A-Za-z0-9_.\\-]{1,2048})'
const SSM_ARN = `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter/[A-Za-z0-9_.\\-/]{1,2048}`
const SM_NAME = '[A-Za-z0-9/_+=.@-]{1,512}'
const SM_ARN = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${SM_NAME}`
// a JSON key, a version stage and a version id: ECS's valueFrom fields, each optional
const JSON_KEY = '[^:#\\s]{0,256}'
const STAGE = '[A-Za-z0-9_.-]{0,256}'
const VERSION_ID = '[A-Za-z0-9-]{0,64}'
const TAIL = `${JSON_KEY}(?::${STAGE}(?::${VERSION_ID})?)?`

/** Every accepted form: the schema checks entries against it (the messages then point at line:col). */
export const SECRET_REF_PATTERN = new RegExp(
  [
    `^arn:${PARTITION}:(ssm|secretsmanager):${REGION}:${ACCOUNT}:(parameter/|secret:).+$`,
    `^ssm:(?:${SSM_NAME}|${SSM_ARN})$`,
    `^secretsmanager:${SM_NAME}(?:#${TAIL})?$`,
    `^secretsmanager:${SM_ARN}(?::${TAIL})?$`,
  ].join('|'),
)

/** The parts of an entry that the schema accepted; undefined for any other text. */
export function parseSecretRef(text: string): SecretSource | undefined {
  if (!SECRET_REF_PATTERN.test(text)) return undefined
  if (text.startsWith('arn:')) return { store: 'arn', arn: text }
  if (text.startsWith('ssm:')) return { store: 'ssm', id: text.slice('ssm:'.length) }
  const rest = text.slice('secretsmanager:'.length)
  let id: string
  let tail: string | undefined
  if (rest.startsWith('arn:')) {
    // arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME is 7 fields; ECS's form appends key:stage:id
    const fields = rest.split(':')
    id = fields.slice(0, 7).join(':')
    tail = fields.length > 7 ? fields.slice(7).join(':') : undefined
  } else {
    const hash = rest.indexOf('#')
    id = hash < 0 ? rest : rest.slice(0, hash)
    tail = hash < 0 ? undefined : rest.slice(hash + 1)
  }
  const [jsonKey, versionStage, versionId] = (tail ?? '').split(':')
  return {
    store: 'secretsmanager',
    id,
    ...(jsonKey ? { jsonKey } : {}),
    ...(versionStage ? { versionStage } : {}),
    ...(versionId ? { versionId } : {}),
  }
}

/** The region an ARN names, or undefined for a name. */
export function regionOfArn(id: string): string | undefined {
  return id.startsWith('arn:') ? id.split(':')[3] : undefined
}
