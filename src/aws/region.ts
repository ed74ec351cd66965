import { profileName, readProfile, type SharedFiles, sharedFiles } from './shared-config.js'

/** A region and where it came from, for the plan header and for errors. */
interface ResolvedRegion {
  region: string
  from: string
}

/**
 * The region, resolved as the aws CLI resolves it, with app.yaml's `region:` after the flag:
 * --region, app.yaml, AWS_REGION, AWS_DEFAULT_REGION, then the `region` of the profile
 * (--profile, AWS_PROFILE or `default`) in the config file. Undefined when none of them names one.
 * The SDK itself reads neither AWS_DEFAULT_REGION nor app.yaml, so the result is given to every client.
 */
export async function resolveRegion(
  given: { flag?: string; manifest?: string; profile?: string },
  env: NodeJS.ProcessEnv = process.env,
  files: SharedFiles = sharedFiles(env),
): Promise<ResolvedRegion | undefined> {
  if (given.flag) return { region: given.flag, from: '--region' }
  if (given.manifest) return { region: given.manifest, from: 'app.yaml' }
  if (env.AWS_REGION) return { region: env.AWS_REGION, from: 'AWS_REGION' }
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, from: 'AWS_DEFAULT_REGION' }
  const profile = profileName(given.profile, env)
  const region = (await readProfile(profile, files))?.region
  if (region) return { region, from: `profile ${profile} in ${files.configFile}` }
  return undefined
}
