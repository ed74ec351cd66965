import { homedir } from 'node:os'
import { join } from 'node:path'

/** One section of the aws CLI's shared files: `[profile X]` / `[default]` in config, `[X]` in credentials. */
export type ProfileSettings = Record<string, string>

/** The aws CLI's two shared files, where they are for this environment. */
export interface SharedFiles {
  configFile: string
  credentialsFile: string
}

export function sharedFiles(env: NodeJS.ProcessEnv = process.env): SharedFiles {
  const home = env.HOME || env.USERPROFILE || homedir()
  return {
    configFile: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
    credentialsFile: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
  }
}

/** The profile the aws CLI would use: --profile, else AWS_PROFILE, else `default`. */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.AWS_PROFILE || 'default'
}

/**
 * The settings of one profile, merged as the aws CLI merges them (credentials file over config file),
 * or undefined when neither file names it. The files are read by the SDK's own reader (the one its
 * credential chain uses), loaded only when a profile is looked up: `[profile X]` and `[default]` (and
 * `[profile default]`) in config, `[X]` in credentials; sub-section keys come as `s3.key`.
 */
export async function readProfile(name: string, files: SharedFiles): Promise<ProfileSettings | undefined> {
  const { loadSharedConfigFiles } = await import('@smithy/core/config')
  // read again each time: a test, or the user between two commands, may have changed them
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ configFilepath: files.configFile, filepath: files.credentialsFile, ignoreCache: true })
  const fromConfig = configFile[name]
  const fromCredentials = credentialsFile[name]
  if (!fromConfig && !fromCredentials) return undefined
  return { ...definedValues(fromConfig), ...definedValues(fromCredentials) }
}

function definedValues(section: Record<string, string | undefined> | undefined): ProfileSettings {
  return Object.fromEntries(Object.entries(section ?? {}).filter((e): e is [string, string] => e[1] !== undefined))
}
