/**
 * Every string shipit prints passes through `redact`: secret values of the manifest and the AWS
 * credentials of the environment are replaced, so a value that slipped into an error message from
 * AWS or a bug of ours is still never shown.
 */
const secrets = new Set<string>()

const CREDENTIAL_VARIABLES = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ACCESS_KEY_ID']

export function addSecret(value: string | undefined): void {
  // very short values would redact ordinary words; those are refused at validation instead
  if (value && value.length >= 4) secrets.add(value)
}

export function addCredentialsFromEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of CREDENTIAL_VARIABLES) addSecret(env[name])
}

export function redact(text: string): string {
  let out = text
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('(sensitive)')
  // credentials that were never registered (from a profile, say) still have a recognisable form
  return out
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '(access key id)')
    .replace(/(aws_secret_access_key|SecretAccessKey|secretAccessKey|sessionToken|SessionToken)(["'\s:=]+)[A-Za-z0-9/+=]{16,}/g, '$1$2(sensitive)')
}

/** Test hook. */
export function clearSecrets(): void {
  secrets.clear()
}
