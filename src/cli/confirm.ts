import { createInterface } from 'node:readline/promises'
import { ExitCode, invalid, ShipitError } from '../errors.js'

/**
 * Refuse (exit 3) a change nobody can confirm: no --yes, and no terminal to ask on (or --json).
 * Called before any AWS call, so CI learns about a missing --yes at once, not after a plan.
 */
export function requireConfirmable(yes: boolean, json: boolean, stdin: { isTTY?: boolean } = process.stdin): void {
  if (yes) return
  if (json || !stdin.isTTY) {
    throw invalid('ConfirmationRequired', 'shipit will not change AWS without confirmation, and stdin is not a terminal', [
      'add --yes to apply without asking (as CI does)',
    ])
  }
}

/** Ask on a terminal. Ctrl-C at the question (or SIGINT/SIGTERM, through `signal`) is exit 130. */
export async function confirmApply(question: string, yes: boolean, json: boolean, signal?: AbortSignal): Promise<boolean> {
  requireConfirmable(yes, json)
  if (yes) return true
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`${question} Only "yes" is accepted: `, signal ? { signal } : {})
    return answer.trim() === 'yes'
  } catch (err) {
    // readline/promises rejects with an AbortError on Ctrl-C ("Aborted with Ctrl+C") and on `signal`
    if ((err as Error).name === 'AbortError') {
      process.stderr.write('\n')
      throw new ShipitError('Interrupted', 'interrupted: nothing was changed', { exitCode: ExitCode.Interrupted, source: 'user' })
    }
    throw err
  } finally {
    rl.close()
  }
}
