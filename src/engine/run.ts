import { needsCredentials } from '../aws/credentials.js'
import { translateAwsError } from '../aws/errors.js'
import { ExitCode, invalid, ShipitError } from '../errors.js'
import { executePlan, type Reporter } from '../plan/execute.js'
import type { RunOptions, RunOutcome } from '../targets/target.js'
import { assemblePlan, observe } from './plan.js'
import type { Session } from './session.js'

interface OneOffOptions extends RunOptions {
  reporter: Reporter
}

/**
 * `shipit run`: a function is invoked; a container runs as a plan of one RunTask step, applied by the
 * executor like any deploy step (same waits, same interruption: the task it started is stopped).
 */
export async function runOneOff(session: Session, options: OneOffOptions): Promise<RunOutcome> {
  const { target, desired, clients, region } = session
  if (session.offline) throw needsCredentials('run starts a task or invokes the function in AWS')
  const run = target.run
  if (run.kind === 'invoke') {
    if (options.command?.length)
      throw invalid('InvalidArguments', `a ${target.name} run takes --payload, not a command`, [
        `shipit run --target ${target.name} --payload '{"key":"value"}'`,
      ])
    try {
      return await run.invoke({ clients, region, signal: options.signal }, desired, options)
    } catch (err) {
      throw translateAwsError(err, `run ${desired.names.base}`)
    }
  }
  const observed = await observe(session, options.signal, 'run')
  const { account, partition } = observed as { account?: string; partition?: string }
  const part = run.plan(desired, observed, { region, account, partition, adopt: false }, options)
  const plan = assemblePlan(session, { command: 'run' }, part, observed, account)
  const noMarkers = () => {
    throw new ShipitError('InvalidPlan', 'a run plan carries no artifacts or secrets', { exitCode: ExitCode.Failure })
  }
  const result = await executePlan(plan, {
    clients,
    reporter: options.reporter,
    signal: options.signal,
    timeoutSeconds: options.timeoutSeconds,
    catalogue: target.catalogue,
    onLog: options.onLog,
    artifact: noMarkers,
    sensitive: noMarkers,
  })
  if (result.ok) {
    const started = (result.outputs.run?.tasks as { taskArn?: string }[] | undefined)?.[0]?.taskArn ?? ''
    return { exitCode: 0, output: `task ${started.split('/').pop()} exited with code 0`, details: { taskArn: started } }
  }
  const error = result.error ?? new ShipitError('Interrupted', 'interrupted', { exitCode: ExitCode.Interrupted })
  const code = (error.details as { exitCode?: unknown } | undefined)?.exitCode
  // the container ran and failed: `shipit run` exits with its code, as `docker run` does
  if (error.code === 'TaskFailed' && typeof code === 'number' && code > 0) {
    return { exitCode: code, details: { ...(error.details as Record<string, unknown>), message: error.message } }
  }
  throw error
}
