import type { Command } from '@oclif/core'
import { vi } from 'vitest'
import { ROOT } from './cli.js'

export interface CommandRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * Run a command class in this process (so the in-memory AWS fake intercepts its calls), capturing
 * stdout, stderr and the exit code the process would have.
 */
export async function runCommand(cmd: typeof Command, argv: string[], env: Record<string, string | undefined> = {}): Promise<CommandRun> {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  })
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  })
  const saved: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  process.exitCode = undefined
  try {
    await (cmd as unknown as { run(argv: string[], root: string): Promise<unknown> }).run(argv, ROOT)
  } catch (e) {
    const exit = (e as { oclif?: { exit?: number } }).oclif?.exit
    if (exit === undefined) throw e
    process.exitCode = exit
  } finally {
    out.mockRestore()
    err.mockRestore()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return { code, stdout, stderr }
}
