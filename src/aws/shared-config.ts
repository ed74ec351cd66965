import { readFileSync } from 'node:fs'
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
 * or undefined when neither file names it. Sub-sections (indented `key =` lines under `s3 =`) are skipped.
 */
export function readProfile(name: string, files: SharedFiles): ProfileSettings | undefined {
  const config = parseIni(readText(files.configFile))
  const fromConfig = config[name === 'default' ? 'default' : `profile ${name}`]
  // `[profile default]` is the default profile too
  const fromConfigAlt = name === 'default' ? config['profile default'] : undefined
  const fromCredentials = parseIni(readText(files.credentialsFile))[name]
  if (!fromConfig && !fromConfigAlt && !fromCredentials) return undefined
  return { ...fromConfigAlt, ...fromConfig, ...fromCredentials }
}

/** A `[sso-session NAME]` section of the config file. */
export function readSsoSession(name: string, files: SharedFiles): ProfileSettings | undefined {
  return parseIni(readText(files.configFile))[`sso-session ${name}`]
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** Sections of an INI file as the aws CLI writes them: `[name]`, `key = value`, `#`/`;` comments. */
export function parseIni(text: string): Record<string, ProfileSettings> {
  const sections: Record<string, ProfileSettings> = {}
  let current: ProfileSettings | undefined
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s/.test(raw)) continue // a sub-section's line (e.g. under `s3 =`), or a continuation
    const line = raw.replace(/\s[#;].*$/, '').trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line)
    if (header) {
      const name = header[1].replace(/\s+/g, ' ')
      current = sections[name] ??= {}
      continue
    }
    const eq = line.indexOf('=')
    if (current && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim()
  }
  return sections
}
