import type { ShipitError } from '../errors.js'
import type { Reporter } from '../plan/execute.js'
import type { Step } from '../plan/types.js'
import { redact } from '../redact.js'
import { colorEnabled, painter, Sgr } from './color.js'

export type { Reporter } from '../plan/execute.js'

type OutputMode = 'tty' | 'ci' | 'json'

/** TTY for a person, plain lines for CI and pipes, silence with --json. */
export function outputMode(json: boolean, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): OutputMode {
  if (json) return 'json'
  if (env.CI === 'true' || env.CI === '1' || !stream.isTTY || env.TERM === 'dumb') return 'ci'
  return 'tty'
}

export function createReporter(mode: OutputMode, write: (s: string) => void = (s) => process.stderr.write(s)): Reporter {
  if (mode === 'json') return silentReporter
  if (mode === 'ci') return new LineReporter(write)
  return new LiveReporter(write, colorEnabled(process.stderr))
}

const label = (step: Step) => `${step.action} ${step.resource.type} ${step.resource.name}`
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`

export const silentReporter: Reporter = {
  stepStarted() {},
  stepDone() {},
  stepFailed() {},
  info() {},
  warn() {},
  close() {},
}

/** One line per event, no colour, no cursor movement: for CI logs and pipes. */
class LineReporter implements Reporter {
  constructor(private readonly write: (s: string) => void) {}
  private line(s: string) {
    this.write(`${redact(s)}\n`)
  }
  stepStarted(step: Step) {
    this.line(`… ${label(step)}`)
  }
  stepWaiting(step: Step, what: string) {
    this.line(`… ${label(step)}: ${what}`)
  }
  stepDone(step: Step, ms: number) {
    this.line(`✓ ${label(step)} (${seconds(ms)})`)
  }
  stepFailed(step: Step, error: ShipitError, ms: number) {
    this.line(`✗ ${label(step)} failed after ${seconds(ms)}: ${error.message}`)
  }
  info(message: string) {
    this.line(message)
  }
  warn(message: string) {
    this.line(`warning: ${message}`)
  }
  close() {}
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** A live list for a terminal: finished steps scroll up, running ones redraw with their elapsed time. */
class LiveReporter implements Reporter {
  private readonly running = new Map<Step, { started: number; what?: string }>()
  private drawn = 0
  private frame = 0
  private timer?: NodeJS.Timeout
  private readonly paint: (code: number, text: string) => string

  /** `color`: NO_COLOR and --no-color leave the live list (it moves the cursor) but take its colours away */
  constructor(
    private readonly write: (s: string) => void,
    color = true,
  ) {
    this.paint = painter(color)
  }

  private clear() {
    if (this.drawn) this.write(`\x1b[${this.drawn}A\x1b[J`)
    this.drawn = 0
  }

  private draw() {
    this.clear()
    const spinner = FRAMES[this.frame++ % FRAMES.length]
    const lines = [...this.running].map(([step, r]) => `  ${spinner} ${label(step)}${r.what ? ` — ${r.what}` : ''} ${seconds(Date.now() - r.started)}`)
    if (lines.length) this.write(`${redact(lines.join('\n'))}\n`)
    this.drawn = lines.length
  }

  private permanent(s: string) {
    this.clear()
    this.write(`${redact(s)}\n`)
    this.draw()
  }

  stepStarted(step: Step) {
    this.running.set(step, { started: Date.now() })
    this.timer ??= setInterval(() => this.draw(), 100)
    this.timer.unref?.()
    this.draw()
  }
  stepWaiting(step: Step, what: string) {
    const r = this.running.get(step)
    if (r) r.what = what
  }
  stepDone(step: Step, ms: number) {
    this.running.delete(step)
    this.permanent(`  ${this.paint(Sgr.green, '✓')} ${label(step)} ${this.paint(Sgr.dim, seconds(ms))}`)
  }
  stepFailed(step: Step, error: ShipitError, ms: number) {
    this.running.delete(step)
    this.permanent(`  ${this.paint(Sgr.red, '✗')} ${label(step)} failed after ${seconds(ms)}: ${error.message}`)
  }
  info(message: string) {
    this.permanent(message)
  }
  warn(message: string) {
    this.permanent(`${this.paint(Sgr.yellow, 'warning:')} ${message}`)
  }
  close() {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.clear()
  }
}
