import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const FAKE_DOCKER = join(import.meta.dirname, '../../fakes/bin/docker')

export interface CliCall {
  cli: string
  argv: string[]
  stdinBytes: number
}

export interface FakeCliSetup {
  /** environment for the CLI: PATH holds the fake CLI(s) and node only */
  env: NodeJS.ProcessEnv
  /** the fake CLI's state directory */
  dir: string
  /** every call the fake CLI received, in order */
  calls(): CliCall[]
  /** the text of every file the fake CLI wrote */
  files(): string
  /** each build: its tag, the Dockerfile as the build read it, and the context */
  builds(): { tag: string; file: string; dockerfile: string | null; context: string }[]
  pushLog: string
}

/** A directory holding only `node` (the fake CLI's interpreter), so PATH lookups see no real container CLI. */
function nodeOnlyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-node-'))
  symlinkSync(process.execPath, join(dir, 'node'))
  return dir
}

/** A bin directory with the fake CLI under these names (copies: the CLI reports the name it was run as). */
export function binDir(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-bin-'))
  for (const name of names) copyFileSync(FAKE_DOCKER, join(dir, name))
  return dir
}

export function fakeCli(options: { names?: string[]; env?: Record<string, string> } = {}): FakeCliSetup {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-fake-docker-'))
  const path = [binDir(...(options.names ?? ['docker'])), nodeOnlyDir()].join(':')
  const env: NodeJS.ProcessEnv = { PATH: path, HOME: dir, SHIPIT_FAKE_DOCKER_DIR: dir, ...options.env }
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '')
  return {
    env,
    dir,
    pushLog: join(dir, 'pushed.jsonl'),
    calls: () =>
      read('log.jsonl')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as CliCall),
    builds: () =>
      read('builds.jsonl')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    files: () =>
      readdirSync(dir)
        .map((f) => read(f))
        .join('\n'),
  }
}

/** A build context with a Dockerfile and a small server. */
export function buildContext(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-app-'))
  const all = {
    Dockerfile: 'FROM public.ecr.aws/docker/library/node:20-alpine\nCOPY server.js .\nCMD ["node", "server.js"]\n',
    'server.js': 'require("http").createServer((q, s) => s.end("hi")).listen(8080)\n',
    ...files,
  }
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}
