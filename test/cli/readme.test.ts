import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EXIT_CODES_HELP } from '../../src/errors.js'
import { cleanEnv, expectNoNoise, ROOT, shipit } from '../helpers/cli.js'

/**
 * The README cannot drift: every `shipit …` line of its ```sh blocks and every `shipit …` example
 * of its commands table is run against the built CLI, in a project made of the README's own
 * app.yaml (so that example is checked too) plus the examples/ directory. Commands that need AWS
 * are run anyway, without credentials: they must get past their flags and the manifest and stop
 * only where AWS (or a terminal) is needed — the reason is in the test's name.
 */

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')

/** `shipit …` lines of ```sh blocks (comments and redirections cut) and of the commands table. */
function exampleCommands(): string[] {
  const found = new Set<string>()
  for (const block of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim()
      if (command.startsWith('shipit ')) found.add(command)
    }
  }
  for (const row of README.matchAll(/^\| `[a-z]+` \|.*\| `(shipit [^`]+)` \|$/gm)) found.add(row[1])
  return [...found].map((c) => c.split(/ > /)[0].trim())
}

interface Expectation {
  code: number
  says?: RegExp
  /** why it cannot run offline, for the test name */
  needs?: string
}

/** What each example must do offline; the first match wins. */
const EXPECTED: [RegExp, Expectation][] = [
  [/^shipit (plan|deploy --[^ ]+ [^ ]+ --dry-run).*--detailed-exitcode/, { code: 2 }],
  [/^shipit (deploy|destroy|rollback|unlock)\b(?!.*--(yes|dry-run))/, { code: 3, says: /add --yes/, needs: 'a terminal to confirm on' }],
  [/^shipit (deploy|destroy|rollback|unlock)\b.*--yes/, { code: 1, says: /no AWS credentials found/, needs: 'AWS credentials to change AWS' }],
  [/^shipit run\b/, { code: 1, says: /no AWS credentials found/, needs: 'AWS credentials to run a task' }],
  [/^shipit (status|logs)\b/, { code: 1, says: /no AWS credentials found/, needs: 'AWS credentials to read what is live' }],
  [/^shipit prune\b(?!.*--(yes|dry-run))/, { code: 3, says: /add --yes/, needs: 'a terminal to confirm on' }],
  [/^shipit prune\b/, { code: 1, says: /no AWS credentials found/, needs: 'AWS credentials to read the tags of the region' }],
  [/^shipit move\b(?!.*--(yes|dry-run))/, { code: 3, says: /add --yes/, needs: 'a terminal to confirm on' }],
  [/^shipit move\b/, { code: 1, says: /no AWS credentials found/, needs: 'AWS credentials to read both targets' }],
  [/^shipit /, { code: 0 }],
]

const expectationOf = (command: string): Expectation => (EXPECTED.find(([pattern]) => pattern.test(command)) as [RegExp, Expectation])[1]

function readmeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-readme-'))
  const appYaml = /## app\.yaml[\s\S]*?```yaml\n([\s\S]*?)```/.exec(README)?.[1]
  if (!appYaml) throw new Error('the README has no app.yaml example under "## app.yaml"')
  writeFileSync(join(dir, 'app.yaml'), appYaml)
  mkdirSync(join(dir, 'src'))
  writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 })\n')
  mkdirSync(join(dir, 'services', 'api'), { recursive: true })
  cpSync(join(ROOT, 'examples', 'hello-lambda'), join(dir, 'services', 'api'), { recursive: true })
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true })
  return dir
}

/** The words of a command line, quotes honoured (the README's examples use single quotes). */
const words = (command: string) => [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3])

describe('every example command of the README runs as the README says', () => {
  const commands = exampleCommands()

  it('finds the examples (the parser has not lost them)', () => {
    expect(commands.length).toBeGreaterThanOrEqual(20)
    expect(commands).toContain('shipit init --target lambda')
    expect(commands).toContain('shipit schema')
  })

  describe.concurrent.each(commands.map((c) => [c, expectationOf(c)] as const))('%s', (command, expected) => {
    const name = expected.needs ? `not run against AWS (needs ${expected.needs}): exits ${expected.code} offline` : `exits ${expected.code}`
    it(name, async () => {
      // init writes into an empty directory; everything else runs in the README's project
      const cwd = command.startsWith('shipit init') ? mkdtempSync(join(tmpdir(), 'shipit-readme-init-')) : readmeProject()
      const r = await shipit(words(command).slice(1), { cwd, env: cleanEnv({ API_KEY: 'readme-example-key' }) })
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: expected.code })
      if (expected.says) expect(r.stderr + r.stdout).toMatch(expected.says)
      expect(r.stderr).not.toMatch(/unknown flag|needs a value|unknown command|looks like a bug/)
      expectNoNoise(r.stderr)
    })
  })
})

describe('the README and the CLI agree on the contract', () => {
  it('the exit-code table lists exactly the codes of --help', () => {
    const section = README.slice(README.indexOf('## Exit codes'))
    const readmeCodes = [...section.slice(0, section.indexOf('\n## ', 3)).matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]))
    const helpCodes = [...EXIT_CODES_HELP.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]))
    expect(readmeCodes).toEqual(helpCodes)
    expect(readmeCodes).toEqual([0, 1, 2, 3, 4, 130])
  })

  it('the CI recipe passes a plan with changes (2) and fails a typo of the command (3)', async () => {
    const recipe = /run: \.\/shipit\/bin\/run\.js (plan [^|]+?) \|\| \[ \$\? -eq 2 \]/.exec(README)
    expect(recipe).not.toBeNull()
    const args = words(recipe?.[1] ?? '')
    const cwd = readmeProject()
    const env = cleanEnv({ API_KEY: 'readme-example-key' })
    const plan = await shipit(args, { cwd, env })
    expect(plan.code).toBe(2)
    const typo = await shipit(['plna', ...args.slice(1)], { cwd, env })
    expect(typo.code).toBe(3)
  })
})
