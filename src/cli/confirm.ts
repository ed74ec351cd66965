import { createInterface } from 'node:readline/promises'
import { invalid } from '../errors.js'

/** Ask on a terminal; refuse (exit 3) when nobody can answer. */
export async function confirmApply(question: string, yes: boolean, json: boolean): Promise<boolean> {
  if (yes) return true
  if (json || !process.stdin.isTTY) {
    throw invalid('ConfirmationRequired', 'shipit will not change AWS without confirmation, and stdin is not a terminal', [
      'add --yes to apply without asking (as CI does)',
    ])
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`${question} Only "yes" is accepted: `)
    return answer.trim() === 'yes'
  } finally {
    rl.close()
  }
}
