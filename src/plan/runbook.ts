import { redact } from '../redact.js'
import { type Catalogue, type CliVersions, describe, type Placeholder, type RunbookRefs, type WaitRendering } from './catalogue.js'
import { kebab } from './render.js'
import {
  type Artifact,
  forEachMarker,
  isArtifact,
  isKeyedByRef,
  isRef,
  isSensitive,
  type Plan,
  type Ref,
  retryRules,
  type Sensitive,
  type Step,
} from './types.js'

/**
 * The plan as a bash script that performs the same deploy with the plain aws CLI (`plan --cli`): values
 * of earlier steps captured in shell variables with `--query`, every wait an `aws … wait …`, IAM
 * propagation retried in a bounded loop. Secret values never appear on a command line, where `ps` and
 * /proc/PID/cmdline show them to every user of the machine: jq reads them from its environment and
 * writes the argument holding them to a file only the user can read, which the aws CLI takes as
 * `file://…`; the files are removed when the script ends.
 * The human text plan stays in render.ts; this is the eject button.
 */

export type { RunbookRefs }

export interface RunbookOptions {
  /** the target's operations and waits: how each step and wait is written, and which aws CLI knows it */
  catalogue: Pick<Catalogue, 'operations' | 'waitRunbook' | 'placeholders'>
  /** the file name, beside the script, of an artifact; `function.zip` by default */
  artifactFile?: (artifact: Artifact) => string
}

/** The placeholders of a catalogue as one pattern (a group, so `split` keeps them). */
function placeholderPattern(placeholders: Readonly<Record<string, Placeholder>>): RegExp {
  const names = Object.keys(placeholders).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`(${names.length ? names.join('|') : '(?!)'})`)
}

/** Names the script must not take for a captured value. */
const RESERVED = new Set(['PATH', 'HOME', 'IFS', 'PWD', 'SHELL', 'HERE', 'REGION', 'ENV', 'UID', 'USER', 'RANDOM', 'LINENO', 'OPTIND', 'TMPDIR', 'SECRETS_DIR'])

interface Capture {
  variable: string
  /** JMESPath of the value in the step's answer */
  query: string
  /** a list or structure: captured as JSON, passed as JSON */
  json: boolean
}

// ---- shell words ------------------------------------------------------------------------------

/** A word the shell takes literally. */
export function singleQuoted(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** A secret piece is read by jq from the environment, never expanded by the shell into an argument. */
type Piece = { text: string } | { variable: string; secret?: true }

/** The directory (mktemp -d, mode 700) of the files that carry secret values to the aws CLI. */
const SECRETS_DIR = 'SECRETS_DIR'

function containsSensitive(value: unknown): boolean {
  let found = false
  forEachMarker(value, (m) => {
    if (isSensitive(m)) found = true
  })
  return found
}

/** jq's read of an environment variable: `$ENV.NAME` (jq 1.6+). */
function jqEnv(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `$ENV.${name}` : `$ENV[${JSON.stringify(name)}]`
}

/** A double-quoted word: literal text escaped, variables expanded (`"arn:…:${ACCOUNT_ID}:…"`). */
function doubleQuoted(pieces: Piece[]): string {
  const body = pieces.map((p) => ('variable' in p ? `\${${p.variable}}` : p.text.replace(/[\\"$`]/g, '\\$&'))).join('')
  return `"${body}"`
}

/** Turns request values into shell words, given the captured values of the plan. */
class Words {
  usesJq = false
  /** lines that write the files of the secret arguments of the call being rendered (see secretFile) */
  private pending: string[] = []
  private files = 0
  private readonly pattern: RegExp
  constructor(
    private readonly captures: Map<string, Capture>,
    private readonly artifactFile: (a: Artifact) => string,
    private readonly placeholders: Readonly<Record<string, Placeholder>>,
  ) {
    this.pattern = placeholderPattern(placeholders)
  }

  /** `"arn:…:<account>:…"` → text and variable pieces. */
  private placeholderPieces(text: string): Piece[] {
    return text
      .split(this.pattern)
      .filter((s) => s !== '')
      .map((s) => (Object.hasOwn(this.placeholders, s) ? { variable: this.placeholders[s].variable } : { text: s }))
  }

  private hasVariables(value: unknown): boolean {
    if (typeof value === 'string') return this.pattern.test(value)
    let found = false
    forEachMarker(value, (m) => {
      if (isRef(m) || isSensitive(m)) found = true
    })
    if (found) return true
    if (Array.isArray(value)) return value.some((v) => this.hasVariables(v))
    if (value && typeof value === 'object') return Object.values(value).some((v) => this.hasVariables(v))
    return false
  }

  /** The file name of a package beside the script, quoted for a double-quoted word. */
  artifactName(a: Artifact): string {
    return this.artifactFile(a).replace(/[\\"$`]/g, '\\$&')
  }

  capture(ref: Ref): Capture {
    const c = this.captures.get(captureKey(ref))
    if (!c) throw new Error(`no capture for ${ref.ref}.${ref.output}`)
    return c
  }

  /** A string-valued reference, secret or text as pieces of one word. */
  pieces(value: string | Ref | Sensitive): Piece[] {
    if (isSensitive(value)) return [{ variable: value.sensitive, secret: true }]
    if (isRef(value)) {
      const variable = this.capture(value).variable
      if (!value.format) return [{ variable }]
      const [before, after] = value.format.split('{}')
      return [...this.placeholderPieces(before ?? ''), { variable }, ...this.placeholderPieces(after ?? '')]
    }
    return this.placeholderPieces(value)
  }

  /** The lines that write the secret files of the arguments rendered since the last call. */
  takePending(): string[] {
    const lines = this.pending
    this.pending = []
    return lines
  }

  /**
   * An argument that holds a secret: jq builds it, reading the secret from its environment (other
   * values, ARNs and IDs, may be jq arguments), into a file of SECRETS_DIR; the aws CLI reads it back
   * from `file://…`. A string is written raw, as the value itself.
   */
  private secretFile(value: unknown): string {
    this.usesJq = true
    const args = new Map<string, boolean>()
    const program = this.jq(value, args)
    const options = [...args].map(([v, json]) => `--${json ? 'argjson' : 'arg'} ${jqName(v)} "\${${v}}"`)
    const file = `\${${SECRETS_DIR}}/${++this.files}.json`
    const raw = typeof value === 'string' || isRef(value) || isSensitive(value)
    this.pending.push(`jq -n${raw ? 'j' : 'c'} ${[...options, singleQuoted(program)].join(' ')} >"${file}"`)
    return `"file://${file}"`
  }

  /** One argument of an aws CLI option. */
  word(value: unknown): string {
    if (containsSensitive(value)) return this.secretFile(value)
    if (typeof value === 'number' || typeof value === 'bigint') return String(value)
    if (isArtifact(value)) return `"fileb://\${HERE}/${this.artifactFile(value).replace(/[\\"$`]/g, '\\$&')}"`
    if (isRef(value) && this.capture(value).json) return `"\${${this.capture(value).variable}}"`
    if (typeof value === 'string' || isRef(value) || isSensitive(value)) {
      const pieces = this.pieces(value)
      return pieces.every((p) => 'text' in p) ? singleQuoted(pieces.map((p) => ('text' in p ? p.text : '')).join('')) : doubleQuoted(pieces)
    }
    if (!this.hasVariables(value)) return singleQuoted(JSON.stringify(value))
    // JSON with values from the shell: jq quotes them, so spaces, quotes and $ arrive unchanged
    this.usesJq = true
    const args = new Map<string, boolean>()
    const program = this.jq(value, args)
    const options = [...args].map(([v, json]) => `--${json ? 'argjson' : 'arg'} ${jqName(v)} "\${${v}}"`)
    return `"$(jq -cn ${[...options, singleQuoted(program)].join(' ')})"`
  }

  /** A jq program that builds `value`; `args` collects the shell variables it reads (true: as JSON). */
  private jq(value: unknown, args: Map<string, boolean>): string {
    if (isRef(value) && this.capture(value).json) {
      args.set(this.capture(value).variable, true)
      return `$${jqName(this.capture(value).variable)}`
    }
    if (typeof value === 'string' || isRef(value) || isSensitive(value)) {
      const pieces = this.pieces(value)
      const terms = pieces.map((p) => {
        if ('text' in p) return JSON.stringify(p.text)
        if (p.secret) return jqEnv(p.variable)
        const json = Boolean(Object.values(this.placeholders).find((x) => x.variable === p.variable)?.json)
        args.set(p.variable, json)
        return `$${jqName(p.variable)}`
      })
      return terms.length === 0 ? '""' : terms.length === 1 ? terms[0] : `(${terms.join(' + ')})`
    }
    if (Array.isArray(value)) {
      // a placeholder for a list (the default subnets) stands for all of its items
      const parts: string[] = []
      let items: string[] = []
      for (const item of value) {
        const spread =
          typeof item === 'string' && Object.hasOwn(this.placeholders, item) && this.placeholders[item].json ? this.placeholders[item].variable : undefined
        if (!spread) {
          items.push(this.jq(item, args))
          continue
        }
        if (items.length) parts.push(`[${items.join(', ')}]`)
        items = []
        args.set(spread, true)
        parts.push(`$${jqName(spread)}`)
      }
      if (items.length || parts.length === 0) parts.push(`[${items.join(', ')}]`)
      return parts.length === 1 ? parts[0] : `(${parts.join(' + ')})`
    }
    // a map keyed by a value of the script (a new version's weight): jq's computed key
    if (isKeyedByRef(value)) return `{(${this.jq(value.keyRef, args)}): ${JSON.stringify(value.value)}}`
    if (value && typeof value === 'object') {
      return `{${Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}: ${this.jq(v, args)}`)
        .join(', ')}}`
    }
    return JSON.stringify(value)
  }

  /** `--option value` pairs of an input, as `aws` takes them. */
  options(input: Record<string, unknown>): string[] {
    const parts: string[] = []
    for (const [member, raw] of Object.entries(input)) {
      if (raw === undefined) continue
      // Lambda's Code structure has the CLI's own --zip-file shorthand
      if (member === 'Code' && raw && typeof raw === 'object' && 'ZipFile' in raw) {
        parts.push('--zip-file', this.word((raw as { ZipFile: unknown }).ZipFile))
        continue
      }
      // an image function's Code: the CLI's shorthand, as Lambda's documentation writes it (ImageUri=…@sha256:…)
      if (member === 'Code' && raw && typeof raw === 'object' && Object.keys(raw).join() === 'ImageUri') {
        parts.push('--code', `ImageUri=${this.word((raw as { ImageUri: unknown }).ImageUri)}`)
        continue
      }
      const flag = `--${kebab(member)}`
      if (typeof raw === 'boolean') parts.push(raw ? flag : `--no-${kebab(member)}`)
      else parts.push(flag, this.word(raw))
    }
    return parts
  }
}

/** jq reserves `$ENV` and `$__loc__`. */
function jqName(variable: string): string {
  return variable === 'ENV' || variable.startsWith('__') ? `v_${variable}` : variable
}

function captureKey(ref: Ref): string {
  return `${ref.ref}\u0000${ref.output}`
}

/** `taskDefinition.taskDefinitionArn` → JMESPath; an output already written in JMESPath is kept. */
function jmesPath(output: string): string {
  if (/[[\]|(]/.test(output)) return output
  return output
    .split('.')
    .map((key, i) => (/^\d+$/.test(key) ? `[${key}]` : `${i ? '.' : ''}${/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key)}`))
    .join('')
}

function upperSnake(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase()
}

/** `role` + `Role.Arn` → ROLE_ARN, `api` + `ApiId` → API_ID, `security-group` + `GroupId` → SECURITY_GROUP_GROUP_ID. */
function variableName(ref: Ref, taken: Set<string>): string {
  const step = upperSnake(ref.ref) || 'STEP'
  const last = upperSnake(ref.output.replace(/\[\]/g, '').split('.').pop() ?? '') || 'VALUE'
  let name = last.startsWith(step) ? last : `${step}_${last}`
  if (/^\d/.test(name)) name = `S_${name}`
  if (RESERVED.has(name)) name = `${name}_OUT`
  let unique = name
  for (let n = 2; taken.has(unique); n++) unique = `${name}_${n}`
  taken.add(unique)
  return unique
}

/** The values the script captures: every reference of a request, a precondition or a wait. */
function collectCaptures(steps: Step[], reserved: Set<string>, waits: WaitsOf): Map<string, Capture> {
  const captures = new Map<string, Capture>()
  const taken = new Set(reserved)
  const visit = (v: unknown) =>
    forEachMarker(v, (m) => {
      if (!isRef(m) || captures.has(captureKey(m))) return
      const query = jmesPath(m.output)
      captures.set(captureKey(m), { variable: variableName(m, taken), query, json: query.includes('[]') })
    })
  for (const step of steps) {
    visit(step.request.input)
    if (step.precondition) visit(step.precondition.request.input)
    visit(waitInput(waits(step)))
  }
  return captures
}

/** How the script does a step's wait, from the catalogue; undefined when the aws CLI cannot (the script then says what to check). */
type WaitsOf = (step: Step) => WaitRendering | undefined

function waitsOf(catalogue: RunbookOptions['catalogue']): WaitsOf {
  return (step) => {
    const wait = step.wait
    if (!wait || !Object.hasOwn(catalogue.waitRunbook, wait.waiter)) return undefined
    return catalogue.waitRunbook[wait.waiter](wait.input)
  }
}

/** The request values a wait's lines read. */
function waitInput(rendering: WaitRendering | undefined): Record<string, unknown> | undefined {
  if (!rendering) return undefined
  return 'cli' in rendering ? rendering.cli.input : rendering.input
}

// ---- the script ---------------------------------------------------------------------------------

const SYMBOL: Record<Step['action'], string> = { create: '+', update: '~', replace: '-/+', delete: '-', run: '>' }
/** Seconds between attempts of a call AWS refuses while a new role propagates. */
const RETRY_SECONDS = 3
/** Seconds between the progress lines of a long wait. */
const PROGRESS_SECONDS = 15

/** Helpers every script carries: a few lines a reader can check once. */
const HELPERS = `die() { echo "deploy.sh: $*" >&2; exit 1; }
step() { echo "==> $*" >&2; }
# need VAR WHAT: an earlier call must have answered a value (the aws CLI prints None or null for none)
need() { [[ -n "\${!1}" && "\${!1}" != None && "\${!1}" != null ]] || die "$2 gave no value for $1"; }
# retrying TIMES ERROR TEXT [ERROR TEXT…] -- CMD…: CMD, again every __RETRY__ s while it fails with one of the ERROR and TEXT pairs
# (AWS has not propagated a role it just made), at most TIMES times
retrying() {
  local times="$1" attempt out err matched i
  shift
  local rules=()
  while [[ "$1" != "--" ]]; do rules+=("$1" "$2"); shift 2; done
  shift
  err="$(mktemp)"
  for ((attempt = 1; ; attempt++)); do
    if out="$("$@" 2>"$err")"; then
      rm -f "$err"
      [[ -z "$out" ]] || printf '%s\\n' "$out"
      return 0
    fi
    matched=""
    for ((i = 0; i < \${#rules[@]}; i += 2)); do
      if grep -q "(\${rules[i]})" "$err" && grep -qF -- "\${rules[i + 1]}" "$err"; then matched="\${rules[i]}"; break; fi
    done
    if [[ -z "$matched" ]] || ((attempt >= times)); then
      cat "$err" >&2
      rm -f "$err"
      ((attempt < times)) || echo "deploy.sh: still failing after $times attempts" >&2
      return 1
    fi
    echo "    ($matched: waiting for AWS to propagate, attempt $attempt of $times)" >&2
    sleep __RETRY__
  done
}
# tolerating 'ERROR…' CMD…: CMD, where failing with one of these errors counts as done (what is gone is gone)
tolerating() {
  local errors="$1" out err e
  shift
  err="$(mktemp)"
  if out="$("$@" 2>"$err")"; then
    rm -f "$err"
    [[ -z "$out" ]] || printf '%s\\n' "$out"
    return 0
  fi
  for e in $errors; do
    if grep -q "($e)" "$err"; then rm -f "$err"; return 0; fi
  done
  cat "$err" >&2
  rm -f "$err"
  return 1
}
# waiting WHAT CMD…: CMD (an aws … wait, silent for minutes), with a line every PROGRESS_SECONDS while it runs
waiting() {
  local what="$1" pid rc=0 waited=0
  shift
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    ((waited % PROGRESS_SECONDS)) || echo "    waiting for $what ($waited s)" >&2
  done
  wait "$pid" || rc=$?
  return "$rc"
}
# version_at_least HAVE WANT: dotted version numbers
version_at_least() {
  local IFS=. i
  local -a have=($1) want=($2)
  for i in 0 1 2; do
    ((\${have[i]:-0} > \${want[i]:-0})) && return 0
    ((\${have[i]:-0} < \${want[i]:-0})) && return 1
  done
  return 0
}`.replaceAll('__RETRY__', String(RETRY_SECONDS))

/** Steps in an order where each comes after the steps it depends on; the plan's order otherwise. */
function runOrder(steps: Step[]): Step[] {
  const done = new Set<string>()
  const ids = new Set(steps.map((s) => s.id))
  const ordered: Step[] = []
  let rest = steps
  while (rest.length) {
    const next = rest.find((s) => s.dependsOn.every((d) => done.has(d) || !ids.has(d))) ?? rest[0]
    ordered.push(next)
    done.add(next.id)
    rest = rest.filter((s) => s !== next)
  }
  return ordered
}

/** The newest aws CLI release of each major version that the script needs, and the command that needs it. */
interface CliNeed {
  v1: { version: string; command: string }
  v2: { version: string; command: string }
}

function newer(a: string, b: string): boolean {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0)
  return false
}

/** Adds what one rendered command needs. */
function needCli(need: Partial<CliNeed>, versions: CliVersions | undefined, command: string): void {
  if (!versions) return
  for (const major of ['v1', 'v2'] as const) {
    const have = need[major]
    if (!have || newer(versions[major], have.version)) need[major] = { version: versions[major], command }
  }
}

/** The aws CLI releases every command of the script needs: each operation's, each option's, each wait's. */
function cliNeeds(steps: Step[], catalogue: RunbookOptions['catalogue'], waits: WaitsOf): Partial<CliNeed> {
  const need: Partial<CliNeed> = {}
  const call = (request: Step['request']) => {
    const d = describe(catalogue, request)
    if (!d?.runbook) return needCli(need, d?.scriptCli, `${request.service} ${request.operation}`)
    const command = `aws ${d.runbook.command ?? request.service} ${kebab(request.operation)}`
    needCli(need, d.runbook.cli, command)
    for (const [member, versions] of Object.entries(d.runbook.members ?? {})) {
      if (request.input[member] !== undefined) needCli(need, versions, `${command} --${kebab(member)}`)
    }
  }
  for (const step of steps) {
    call(step.request)
    if (step.precondition) call(step.precondition.request)
    const wait = waits(step)
    if (wait && 'cli' in wait) needCli(need, wait.cli.versions, `aws ${wait.cli.service} wait ${wait.cli.waiter}`)
    if (wait && 'script' in wait) needCli(need, wait.versions, wait.command)
  }
  return need
}

/** Secrets, placeholders and artifacts the steps use. */
function scanPlan(steps: Step[], placeholders: RegExp, waits: WaitsOf) {
  const secrets = new Set<string>()
  const found = new Set<string>()
  const artifacts = new Map<string, Artifact>()
  const scanStrings = (v: unknown): void => {
    if (typeof v === 'string') for (const m of v.match(new RegExp(placeholders, 'g')) ?? []) found.add(m)
    else if (isRef(v)) scanStrings(v.format)
    else if (Array.isArray(v)) v.forEach(scanStrings)
    else if (v && typeof v === 'object' && !isArtifact(v) && !isSensitive(v)) Object.values(v).forEach(scanStrings)
  }
  for (const step of steps) {
    const inputs = [step.request.input, step.precondition?.request.input, waitInput(waits(step))]
    for (const input of inputs) {
      forEachMarker(input, (m) => {
        if (isSensitive(m)) secrets.add(m.sensitive)
        if (isArtifact(m)) artifacts.set(m.sha256, m)
      })
      scanStrings(input)
    }
  }
  return { secrets, placeholders: found, artifacts }
}

/**
 * The plan as a bash script that performs it with the aws CLI. `artifactFile` names the package beside
 * the script (`shipit plan --cli --out DIR` writes both).
 */
export function renderRunbook(plan: Plan, options: RunbookOptions): string {
  const { catalogue } = options
  const steps = runOrder(plan.steps)
  const waits = waitsOf(catalogue)
  const scan = scanPlan(steps, placeholderPattern(catalogue.placeholders), waits)
  const artifactFile = options.artifactFile ?? (() => 'function.zip')
  const reserved = new Set([...scan.secrets, ...[...scan.placeholders].map((p) => catalogue.placeholders[p].variable)])
  const captures = collectCaptures(steps, reserved, waits)
  const words = new Words(captures, artifactFile, catalogue.placeholders)
  const body = steps.flatMap((step) => stepLines(step, words, captures, options, waits))
  const lines = [
    ...headerLines(plan, scan, artifactFile, words.usesJq, cliNeeds(steps, catalogue, waits), catalogue.placeholders),
    ...lookupLines(scan.placeholders, catalogue.placeholders),
    ...body,
    '',
    steps.length
      ? `step "done: ${plan.command} of ${plan.app} (${plan.env}) on ${plan.target} in ${plan.region}"`
      : `step "no changes: ${plan.app} (${plan.env}) matches app.yaml"`,
  ]
  return `${redact(lines.join('\n'))}\n`
}

/** The aws CLI check: before any call, the version against the newest release a command of the script needs, naming that command. */
function cliCheckLines(need: Partial<CliNeed>): string[] {
  const lines = ['aws_version="$(aws --version 2>&1)" || die "the aws CLI is not installed: https://aws.amazon.com/cli/"']
  const { v1, v2 } = need
  if (!v1 || !v2) return lines
  return [
    ...lines,
    'have="${aws_version#aws-cli/}"',
    'have="${have%% *}"',
    'case "$have" in',
    `  1.*) want=${v1.version} needed_by=${singleQuoted(v1.command)} ;;`,
    `  *) want=${v2.version} needed_by=${singleQuoted(v2.command)} ;;`,
    'esac',
    'version_at_least "$have" "$want" || die "this script needs aws CLI $want or later ($needed_by is not known to older releases); this is $have: upgrade the aws CLI"',
  ]
}

function headerLines(
  plan: Plan,
  scan: ReturnType<typeof scanPlan>,
  artifactFile: (a: Artifact) => string,
  usesJq: boolean,
  need: Partial<CliNeed>,
  placeholders: Readonly<Record<string, Placeholder>>,
): string[] {
  const files = [...scan.artifacts.values()].map(artifactFile)
  const needs = [
    need.v1 && need.v2 ? `the aws CLI v1 ${need.v1.version}+ or v2 ${need.v2.version}+` : 'the aws CLI',
    ...(usesJq ? ['jq'] : []),
    ...files.map((f) => `${f} beside this script`),
  ]
  const lines = [
    '#!/usr/bin/env bash',
    `# shipit ${plan.command} of ${plan.app} (${plan.env}) on ${plan.target} in ${plan.region}, with the plain aws CLI.`,
    `# Made by shipit ${plan.shipitVersion} from the plan of ${plan.createdAt}${plan.offline ? ' (offline: everything planned as new)' : ''}.`,
    `# Needs ${needs.join(', ')}${files.length ? ' (shipit plan --cli --out DIR writes them together)' : ''}.`,
    '# Credentials and endpoint as the aws CLI finds them (AWS_PROFILE, AWS_ENDPOINT_URL, …).',
    ...(scan.secrets.size
      ? [
          `# Secrets are read from the environment: ${[...scan.secrets].join(', ')}. They never go on a command line (ps shows those`,
          '# to every user): jq reads them from its environment into files only you can read, given to aws as file://, removed on exit.',
        ]
      : []),
    'set -euo pipefail',
    '',
    'HERE="$(dirname "$0")"',
    `REGION=${singleQuoted(plan.region)}`,
    'export AWS_PAGER=""',
    `# seconds between the progress lines of a long wait`,
    `PROGRESS_SECONDS=${PROGRESS_SECONDS}`,
    '',
    HELPERS,
  ]
  return [
    ...lines,
    ...requiredLines(scan, placeholders),
    ...secretFileLines(scan.secrets),
    '',
    '# the tools',
    ...cliCheckLines(need),
    ...toolLines(usesJq, scan.secrets.size > 0, files),
  ]
}

/** Values the script does not store: secrets and placeholders without a lookup, taken from the environment. */
function requiredLines(scan: ReturnType<typeof scanPlan>, placeholders: Readonly<Record<string, Placeholder>>): string[] {
  const required = [...scan.secrets].map((name) => `: "\${${name}:?set ${name} to the secret value of env.${name} in app.yaml}"`)
  for (const p of scan.placeholders) {
    const { variable, lookup, missing } = placeholders[p]
    if (!lookup) required.push(`: "\${${variable}:?${missing}}"`)
  }
  return required.length ? ['', '# values this script does not store', ...required] : []
}

/** The private directory of the files that carry secret values to the aws CLI (never argv, which ps shows to everyone). */
function secretFileLines(secrets: Set<string>): string[] {
  if (!secrets.size) return []
  return [
    '',
    '# the files that carry secret values to the aws CLI: mode 600 in a directory of mode 700, removed when the script ends',
    `export ${[...secrets].join(' ')}`,
    'umask 077',
    `${SECRETS_DIR}="$(mktemp -d)" || die "cannot make a private temporary directory"`,
    `trap 'rm -rf "$${SECRETS_DIR}"' EXIT`,
    "trap 'exit 130' INT",
    "trap 'exit 143' TERM",
  ]
}

function toolLines(usesJq: boolean, secrets: boolean, files: string[]): string[] {
  const lines: string[] = []
  if (usesJq) lines.push('command -v jq >/dev/null || die "this script builds JSON arguments with jq: install jq"')
  if (secrets) lines.push(`jq -n '$ENV | type' >/dev/null 2>&1 || die "this script needs jq 1.6 or later (jq reads the secret values with \\$ENV)"`)
  for (const f of files) lines.push(`[[ -f "$HERE/${f}" ]] || die "$HERE/${f} is missing: write it with this script by shipit plan --cli --out DIR"`)
  return lines
}

function lookupLines(found: Set<string>, placeholders: Readonly<Record<string, Placeholder>>): string[] {
  const lines: string[] = []
  for (const p of found) {
    const { variable, lookup, missing } = placeholders[p]
    if (!lookup) continue
    lines.push(`${variable}=$(${lookup} --region "$REGION")`, `need ${variable} ${singleQuoted(missing)}`)
  }
  return lines.length ? ['', '# values of the account', ...lines] : []
}

/** A command with its options one pair per line, as people read long aws calls. */
function command(head: string[], options: string[]): string {
  const pairs: string[] = []
  for (const o of options) {
    if (o.startsWith('--') && /^--[a-z0-9-]+$/.test(o)) pairs.push(o)
    else pairs[pairs.length - 1] += ` ${o}`
  }
  return [head.join(' '), ...pairs].join(' \\\n    ')
}

function stepLines(step: Step, words: Words, captures: Map<string, Capture>, options: RunbookOptions, waits: WaitsOf): string[] {
  const title = `${SYMBOL[step.action]} ${step.action} ${step.resource.type} ${step.resource.name}`
  const lines = ['', `# ${title}${step.reason ? ` — ${step.reason}` : ''}`.replace(/\n/g, ' '), `step ${singleQuoted(title)}`]
  const { service, operation } = step.request
  const descriptor = describe(options.catalogue, step.request)
  const leftOut = descriptor?.runbook?.leftOut
  const input = leftOut ? Object.fromEntries(Object.entries(step.request.input).filter(([k]) => !leftOut.members.includes(k))) : step.request.input
  if (leftOut) lines.push(`# ${leftOut.why}`)
  if (!descriptor?.runbook) {
    const refs: RunbookRefs = {
      text: (v) => (isRef(v) ? `"$${captures.get(captureKey(v))?.variable ?? 'UNKNOWN'}"` : singleQuoted(String(v))),
      variable: (output) => captures.get(`${step.id}\u0000${output}`)?.variable,
      artifact: (a) => `"\${HERE}/${words.artifactName(a)}"`,
      region: '"$REGION"',
    }
    if (descriptor?.script) return [...lines, ...descriptor.script(step, refs)]
    return [...lines, `die ${singleQuoted(`${title}: ${service} ${operation} is not an aws CLI call; do it by hand, then run the rest of this script`)}`]
  }
  if (step.precondition) lines.push(...preconditionLines(step, words, options.catalogue))

  const mine = [...captures.entries()].filter(([key]) => key.startsWith(`${step.id}\u0000`)).map(([, c]) => c)
  const opts = [...words.options(input), '--region', '"$REGION"']
  // the files of its secret arguments, written just before the call
  lines.push(...words.takePending())
  if (mine.length === 1) opts.push('--query', singleQuoted(mine[0].query), '--output', mine[0].json ? 'json' : 'text')
  if (mine.length > 1) opts.push('--query', singleQuoted(`[${mine.map((c) => c.query).join(', ')}]`), '--output', 'json')
  const head = ['aws', descriptor.runbook.command ?? service, kebab(operation)]
  if (step.okErrors?.length) head.unshift('tolerating', singleQuoted(step.okErrors.join(' ')))
  const rules = retryRules(step)
  if (rules.length) {
    const times = Math.max(1, Math.ceil(Math.max(...rules.map((r) => r.seconds)) / RETRY_SECONDS))
    head.unshift('retrying', String(times), ...rules.flatMap((r) => [r.errorName, singleQuoted(r.messageIncludes ?? '')]), '--')
  }
  const call = command(head, opts)
  const what = `${kebab(operation)}`
  if (mine.length === 0) lines.push(`${call} >/dev/null`)
  else if (mine.length === 1) lines.push(`${mine[0].variable}=$(${call})`, `need ${mine[0].variable} ${what}`)
  else {
    const all = `${upperSnake(step.id) || 'STEP'}_ANSWER`
    lines.push(`${all}=$(${call})`)
    words.usesJq = true
    for (const [i, c] of mine.entries()) lines.push(`${c.variable}=$(jq ${c.json ? '-c' : '-r'} '.[${i}]' <<<"$${all}")`, `need ${c.variable} ${what}`)
  }
  lines.push(...waitLines(step, words, waits))
  return lines
}

function preconditionLines(step: Step, words: Words, catalogue: RunbookOptions['catalogue']): string[] {
  const p = step.precondition
  if (!p) return []
  const { service, operation, input } = p.request
  const read = command(
    ['aws', describe(catalogue, p.request)?.runbook?.command ?? service, kebab(operation)],
    [...words.options(input), '--region', '"$REGION"', '--query', singleQuoted(jmesPath(p.path)), '--output', 'json'],
  )
  words.usesJq = true
  return [
    ...words.takePending(),
    `# only if ${p.what} is still what the plan saw`,
    `${read} | jq -e --argjson planned ${singleQuoted(JSON.stringify(p.equals))} '. == $planned' >/dev/null ||`,
    `  die ${singleQuoted(`${p.what} changed since the plan was made (another deploy?): plan again`)}`,
  ]
}

/** A step's wait: an aws CLI waiter with a progress line every PROGRESS_SECONDS, or the catalogue's own lines. */
function waitLines(step: Step, words: Words, waits: WaitsOf): string[] {
  if (!step.wait) return []
  const wait = waits(step)
  if (!wait) return [`# wait: ${step.wait.description} — the aws CLI has no waiter for this; check it before going on`]
  const note = wait.note ? [`# ${wait.note}`] : []
  if ('script' in wait) {
    const script = wait.script((v) => words.word(v))
    return [...note, ...words.takePending(), ...script]
  }
  const { service, waiter, input } = wait.cli
  const options = words.options(input)
  return [
    ...note,
    ...words.takePending(),
    command(['waiting', singleQuoted(step.wait.description), 'aws', service, 'wait', waiter], [...options, '--region', '"$REGION"']),
  ]
}
