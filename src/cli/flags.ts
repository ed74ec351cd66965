import { Flags } from '@oclif/core'
import { DEFAULT_LOCK_TIMEOUT_SECONDS } from '../lock/requests.js'
import { TARGETS } from '../manifest/schema.js'

/** Flags every command that reads app.yaml takes. */
export const manifestFlags = {
  file: Flags.string({ char: 'f', summary: 'Path of the manifest; default: app.yaml here or in the nearest parent directory.', helpValue: 'app.yaml' }),
  env: Flags.string({ char: 'e', summary: 'Environment overlay of app.yaml to use (environments.<env>); names resources <name>-<env>.', helpValue: 'dev' }),
  debug: Flags.boolean({ summary: 'Print stack traces of unexpected errors (secrets stay redacted).' }),
}

export const targetFlag = Flags.string({ char: 't', summary: 'What to deploy to; default: target: in app.yaml.', options: [...TARGETS] })

/** Flags of every command that talks to AWS. */
export const awsFlags = {
  ...manifestFlags,
  target: targetFlag,
  // the settings of the AWS connection, listed apart in --help (AWS FLAGS) so each command's own flags come first
  region: Flags.string({ summary: 'AWS region; else region: in app.yaml, AWS_REGION, or the profile.', helpValue: 'us-west-2', helpGroup: 'AWS' }),
  profile: Flags.string({ summary: 'Named profile of ~/.aws/config to take credentials from.', env: 'AWS_PROFILE', helpGroup: 'AWS' }),
  'endpoint-url': Flags.string({ summary: 'Send every AWS call here (LocalStack, moto).', env: 'AWS_ENDPOINT_URL', helpValue: 'URL', helpGroup: 'AWS' }),
  'max-attempts': Flags.integer({ summary: 'Attempts per AWS call (retries of throttling and 5xx).', default: 5, min: 1, max: 20, helpGroup: 'AWS' }),
  'request-timeout': Flags.integer({
    summary: 'Seconds one attempt may take, answer included (more for a large upload); then it is retried.',
    default: 30,
    min: 1,
    helpValue: 'SECONDS',
    helpGroup: 'AWS',
  }),
  'call-timeout': Flags.integer({
    summary: 'Seconds one call may take, retries included; default: 120, or twice --request-timeout.',
    min: 1,
    helpValue: 'SECONDS',
    helpGroup: 'AWS',
  }),
}

/** Flags of commands that plan. */
export const planFlags = {
  offline: Flags.boolean({ summary: 'Plan without reading AWS, as if nothing existed (automatic when no credentials are configured).' }),
  adopt: Flags.boolean({ summary: "Take over resources that have shipit's names but not its tags (adds the tags)." }),
  'show-undeclared': Flags.boolean({
    summary: 'Show the live values of environment variables app.yaml does not declare (added in the console or by another tool); hidden by default.',
  }),
}

/** Flags of commands that change AWS. */
export const applyFlags = {
  yes: Flags.boolean({ char: 'y', summary: 'Apply without asking (required when stdin is not a terminal, as in CI).' }),
  timeout: Flags.integer({ summary: 'Longest wait, in seconds, for any one resource to become ready.', default: 900, min: 1, helpValue: 'SECONDS' }),
  ...lockFlags(),
}

/** Flags of commands that take the deploy lock (src/lock/). */
export function lockFlags() {
  return {
    'lock-timeout': Flags.integer({
      summary: 'Seconds to wait while another deploy of this app and env holds the lock; 0: fail at once (exit 1, naming the holder).',
      default: DEFAULT_LOCK_TIMEOUT_SECONDS,
      min: 0,
    }),
  }
}
