import { hostname, userInfo } from 'node:os'

/**
 * Who takes a lock, as people will read it in "held by …": the CI run when there is one (its URL
 * finds the job to cancel), else user@host and the process id.
 */
export function describeHolder(env: NodeJS.ProcessEnv = process.env, pid = process.pid): string {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY) {
    const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? ` attempt ${env.GITHUB_RUN_ATTEMPT}` : ''
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com'
    return `GitHub Actions run ${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
  }
  let user = env.USER ?? env.USERNAME
  if (!user) {
    try {
      user = userInfo().username
    } catch {
      user = 'unknown'
    }
  }
  return `${user}@${hostname()} pid ${pid}`
}
