import { BaseCommand } from '../cli/base-command.js'
import { confirmApply, requireConfirmable } from '../cli/confirm.js'
import { applyFlags, awsFlags } from '../cli/flags.js'
import { sessionOptions } from '../cli/workflow.js'
import { openEach } from '../engine/components.js'
import { EXIT_CODES_HELP, ExitCode, ShipitError } from '../errors.js'
import { describeLock, readLock, removeLock, scopeLabel } from '../lock/lease.js'
import { LOCK_TABLE, type LockRecord, lockKey } from '../lock/requests.js'

interface UnlockResult {
  app: string
  env: string
  region: string
  status: 'removed' | 'no-lock'
  lock?: LockRecord
}

export default class UnlockCommand extends BaseCommand {
  static summary = 'Remove the deploy lock of this app and env, after a run that died holding it (shown as a plan first).'
  static description =
    `deploy, destroy, rollback and run (of a task) hold a lock while they change AWS; a run killed without a chance to clean up leaves it until its lease runs out (60 s). unlock shows who holds it and removes it: only that lock, never one a new run took in between. Removing the lock of a run that is still going lets two runs interleave: check that it is gone first.

${EXIT_CODES_HELP}`
  static examples = ['<%= config.bin %> unlock --env prod', '<%= config.bin %> unlock --env prod --yes']
  static flags = { ...awsFlags, yes: applyFlags.yes }

  async run(): Promise<UnlockResult> {
    const { flags } = await this.parse(UnlockCommand)
    // before any AWS call: a CI job without --yes fails at once
    requireConfirmable(flags.yes, this.jsonEnabled())
    // with components: the one lock of the env covers them all, so any component's session reaches it
    const [{ session }] = await openEach(
      sessionOptions({ ...flags }, true, (t) => this.note(t)),
      [],
      'unlock',
    )
    try {
      const { app, env } = session.desired
      const scope = { app, env }
      const base = { app, env, region: session.region }
      const held = await readLock(session.clients, lockKey(scope))
      if (!held) {
        this.out(`No lock on ${scopeLabel(scope)} in ${session.region}: nothing to remove.`)
        return { ...base, status: 'no-lock' }
      }
      this.note(
        [
          `shipit will remove the deploy lock of ${scopeLabel(scope)} in ${session.region}:`,
          '',
          `  - dynamodb:item ${LOCK_TABLE} ${held.key}`,
          `      held by ${describeLock(held)}`,
          '',
          'Plan: 1 to delete.',
        ].join('\n'),
      )
      const ok = await confirmApply(`Remove this lock of ${scopeLabel(scope)}?`, flags.yes, this.jsonEnabled())
      if (!ok) throw new ShipitError('Cancelled', 'cancelled; nothing was changed', { exitCode: ExitCode.Failure, source: 'user' })
      const result = await removeLock(session.clients, held)
      if (!result.removed) {
        const now = result.now ? `it is now held by ${describeLock(result.now)}` : 'it was released'
        throw new ShipitError('LockChanged', `the lock of ${scopeLabel(scope)} changed since it was shown (${now}); nothing was removed`, {
          exitCode: ExitCode.Failure,
          source: 'user',
          suggestions: ['run shipit unlock again to see the lock there now'],
        })
      }
      this.out(`Removed the lock of ${scopeLabel(scope)} held by ${held.holder}.`)
      return { ...base, status: 'removed', lock: held }
    } finally {
      session.clients.destroy()
    }
  }
}
