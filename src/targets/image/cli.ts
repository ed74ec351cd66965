import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { basename, delimiter, isAbsolute, join } from 'node:path'
import { ExitCode, invalid, ShipitError } from '../../errors.js'

/**
 * The user's container CLI: found, checked (daemon up) before any AWS change, and run without a shell.
 *
 * Exit codes: SHIPIT_CONTAINER_CLI naming nothing runnable is invalid input (3). No CLI on PATH, or a
 * daemon that does not answer, is an environment that is not ready, like missing AWS credentials (1).
 * Both are raised by checkContainerCli before the first AWS call of an apply.
 */

const CONTAINER_CLIS = ['docker', 'podman', 'finch'] as const
type ContainerCliKind = (typeof CONTAINER_CLIS)[number]

export interface ContainerCli {
  /** what to run: an absolute path */
  path: string
  /** how it behaves: docker (buildx for cross-builds), podman or finch (`build --platform` cross-builds itself) */
  kind: ContainerCliKind
}

export interface ReadyContainerCli extends ContainerCli {
  /** the daemon's (or the podman machine's) CPU architecture, normalised: amd64 | arm64 | other */
  serverArch: string
}

type Env = NodeJS.ProcessEnv

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The first executable `name` on PATH, or an absolute/relative path as given. */
export function which(name: string, env: Env = process.env): string | undefined {
  if (name.includes('/')) return executable(name) ? name : undefined
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    if (executable(candidate)) return isAbsolute(candidate) ? candidate : join(process.cwd(), candidate)
  }
  return undefined
}

const kindOf = (path: string): ContainerCliKind => {
  const base = basename(path).replace(/\.exe$/, '')
  return (CONTAINER_CLIS as readonly string[]).includes(base) ? (base as ContainerCliKind) : 'docker'
}

/** SHIPIT_CONTAINER_CLI if set, else docker, podman, finch: the first on PATH. */
export function detectContainerCli(env: Env = process.env): ContainerCli {
  const chosen = env.SHIPIT_CONTAINER_CLI?.trim()
  if (chosen) {
    const path = which(chosen, env)
    if (!path) {
      throw invalid('ContainerCliNotFound', `SHIPIT_CONTAINER_CLI=${chosen}: no such executable on PATH`, [
        'set it to docker, podman, finch or the path of one, or unset it to let shipit look for them',
      ])
    }
    return { path, kind: kindOf(path) }
  }
  for (const name of CONTAINER_CLIS) {
    const path = which(name, env)
    if (path) return { path, kind: name }
  }
  throw new ShipitError('ContainerCliNotFound', 'container.build needs a container CLI, and none of docker, podman, finch is on PATH', {
    exitCode: ExitCode.Failure,
    source: 'user',
    suggestions: [
      'install Docker (https://docs.docker.com/get-docker/), Podman or Finch',
      'or set SHIPIT_CONTAINER_CLI to the path of one',
      'or build and push the image in your own pipeline and set container.image instead of build',
    ],
  })
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

interface RunCliOptions {
  env?: Env
  /** written to the child's stdin, then closed; otherwise stdin is closed at once (nothing can prompt) */
  stdin?: string
  /** each chunk of output as it arrives (stdout and stderr interleaved) */
  onOutput?: (chunk: string) => void
  signal?: AbortSignal
}

/** Runs the CLI with these arguments, no shell; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runCli(cli: ContainerCli, args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.path, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      options.onOutput?.(chunk)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
      options.onOutput?.(chunk)
    })
    child.stdin.on('error', () => {}) // a CLI that exits without reading its stdin
    child.stdin.end(options.stdin ?? '')
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }))
  })
}

const normaliseArch = (arch: string): string => {
  const a = arch.trim().toLowerCase()
  if (a === 'x86_64' || a === 'amd64') return 'amd64'
  if (a === 'aarch64' || a === 'arm64') return 'arm64'
  return a || 'unknown'
}

/** The last non-empty line of a CLI's error output, for a message. */
export const lastLine = (text: string): string =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .pop() ?? ''

/**
 * Preflight: the CLI exists and its daemon answers (`<cli> info`), and a docker that must cross-build
 * has buildx. Run before any AWS change of a plan that builds an image.
 */
export async function checkContainerCli(options: { env?: Env; crossBuildTo?: 'amd64' | 'arm64' } = {}): Promise<ReadyContainerCli> {
  const env = options.env ?? process.env
  const cli = detectContainerCli(env)
  const info = await runCli(cli, ['info', '--format', '{{json .}}'], { env }).catch((err: Error) => ({ code: 127, stdout: '', stderr: err.message }))
  const parsed = parseInfo(info.stdout)
  const serverErrors = parsed?.ServerErrors?.length ? parsed.ServerErrors.join('; ') : ''
  if (info.code !== 0 || !parsed || serverErrors) {
    throw new ShipitError(
      'ContainerDaemonDown',
      `${basename(cli.path)} cannot reach its daemon: ${serverErrors || lastLine(info.stderr) || `${basename(cli.path)} info failed`}`,
      {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: [
          cli.kind === 'podman'
            ? 'start it: podman machine start'
            : cli.kind === 'finch'
              ? 'start it: finch vm start'
              : 'start Docker Desktop, or the docker service (sudo systemctl start docker)',
          'nothing was changed on AWS; run the deploy again once it answers',
        ],
      },
    )
  }
  const serverArch = normaliseArch(parsed.Architecture ?? parsed.host?.arch ?? '')
  const ready: ReadyContainerCli = { ...cli, serverArch }
  if (options.crossBuildTo && needsBuildx(ready, options.crossBuildTo)) {
    const buildx = await runCli(cli, ['buildx', 'version'], { env }).catch(() => ({ code: 127, stdout: '', stderr: '' }))
    if (buildx.code !== 0) {
      throw new ShipitError(
        'BuildxMissing',
        `building a linux/${options.crossBuildTo} image on this ${serverArch} machine needs docker buildx, which is not installed`,
        {
          exitCode: ExitCode.Failure,
          source: 'user',
          suggestions: [
            'install the buildx plugin (it comes with Docker Desktop) and QEMU emulation: docker run --privileged --rm tonistiigi/binfmt --install all',
            `or set container.architecture to ${serverArch === 'arm64' ? 'arm64' : 'x86_64'} to build for this machine`,
          ],
        },
      )
    }
  }
  return ready
}

interface InfoJson {
  ServerErrors?: string[]
  /** docker, finch (nerdctl): x86_64 | aarch64 */
  Architecture?: string
  /** podman: amd64 | arm64 */
  host?: { arch?: string }
}

function parseInfo(stdout: string): InfoJson | undefined {
  try {
    const value = JSON.parse(stdout.trim().split(/\r?\n/).pop() ?? '')
    return value && typeof value === 'object' ? (value as InfoJson) : undefined
  } catch {
    return undefined
  }
}

/** Docker cross-builds with buildx; podman and finch do it with `build --platform` itself. */
export function needsBuildx(cli: ReadyContainerCli, arch: 'amd64' | 'arm64'): boolean {
  return cli.kind === 'docker' && cli.serverArch !== arch
}
