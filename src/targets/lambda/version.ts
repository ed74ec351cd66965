import { describeRelease, type ReleasePlan, releasePlan } from '../../manifest/release.js'
import type { LambdaDesired } from '../../manifest/resolve.js'
import type { Ref } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { Lambda } from './catalogue.js'
import { type DesiredFunction, FIRST_VERSION, type PlannedFunction, versionMatches } from './function.js'
import { ALIAS, type ObservedAlias } from './observe.js'
import { PREVIOUS_PREFIX } from './operations.js'
import { RELEASE_WATCH, type ReleaseWatchInput } from './release-watch.js'

const versionRef: Ref = { ref: 'version', output: 'Version' }

interface VersionInputs {
  want: DesiredFunction
  /** the zip's hash (PublishVersion checks it); undefined for an image function, whose code is its image URI */
  codeSha256: string | undefined
  /** steps a version waits for before it goes live (the role's policies) */
  after: string[]
}

/**
 * A new version whenever the function changed or `live` serves something else, and the alias moved
 * to it; the alias records the version it left, for `shipit rollback`. A new function publishes its
 * first version itself (CreateFunction with Publish). Returns the steps that create the alias (what
 * an invoke permission on it must wait for).
 */
export function planVersionAndAlias(b: PartBuilder<LambdaDesired>, fn: PlannedFunction, alias: ObservedAlias | null, inputs: VersionInputs): string[] {
  const { want, codeSha256, after } = inputs
  const name = b.desired.names.function
  if (fn.blocked) return []
  if (fn.steps.length === 0 && alias && versionMatches(alias.config, want, codeSha256)) {
    b.keep('lambda:alias', `${name}:${ALIAS}`, `version ${alias.version}`)
    return []
  }
  const created = fn.steps.includes('function')
  const version = created ? FIRST_VERSION : planVersion(b, fn, codeSha256)
  const release = releasePlan(b.desired.function.release)
  // the first version has nothing to shift from: it takes all traffic at once (an alias means the function existed)
  const shifted = alias && !created && release.strategy !== 'all-at-once' ? planShift(b, alias, release, after) : undefined
  const input = {
    FunctionName: name,
    Name: ALIAS,
    FunctionVersion: version,
    // what was live before, so that `shipit rollback` goes back to it
    Description: alias ? `${PREVIOUS_PREFIX}${alias.version}` : 'shipit: first version',
    // after a shift (or over one left mid-way) the weights go: the new version takes all traffic
    ...(shifted || alias?.shifting ? { RoutingConfig: { AdditionalVersionWeights: {} } } : {}),
  }
  const revisionId: string | Ref | undefined = shifted ? { ref: shifted, output: 'RevisionId' } : alias?.revisionId
  b.add({
    id: 'alias',
    action: alias ? 'update' : 'create',
    resource: { type: 'lambda:alias', name: `${name}:${ALIAS}` },
    ...(shifted ? { reason: 'the new version takes all traffic' } : {}),
    ...(!alias && release.strategy !== 'all-at-once'
      ? { reason: `first version: all traffic at once (a ${release.strategy} release needs an old version to shift from)` }
      : {}),
    changes: [{ path: 'FunctionVersion', before: alias?.version, after: version }, ...(shifted ? [weightsChange(alias?.version, 100)] : [])],
    // the RevisionId observed (or the last shift's): Lambda refuses the update (PreconditionFailedException) if another deploy moved the alias since
    request: alias ? Lambda.UpdateAlias.request({ ...input, ...(revisionId ? { RevisionId: revisionId } : {}) }) : Lambda.CreateAlias.request(input),
    dependsOn: shifted ? [shifted] : [created ? 'function' : 'version', ...after],
  })
  return alias ? [] : ['alias']
}

/** PublishVersion of what the function's updates left, and its wait. */
function planVersion(b: PartBuilder<LambdaDesired>, fn: PlannedFunction, codeSha256: string | undefined): Ref {
  const name = b.desired.names.function
  b.add({
    id: 'version',
    action: 'create',
    resource: { type: 'lambda:version', name },
    reason: fn.steps.length ? 'publish the new code and configuration' : 'live does not serve the current code and configuration',
    request: Lambda.PublishVersion.request({ FunctionName: name, ...(codeSha256 ? { CodeSha256: codeSha256 } : {}), Description: `deployed by shipit` }),
    wait: {
      waiter: 'FunctionActiveV2',
      input: { FunctionName: name, Qualifier: versionRef },
      description: `the new version of ${name} to be Active`,
    },
    dependsOn: [...fn.steps],
  })
  return versionRef
}

/** A share of traffic in words, for the plan: "10% → the new version, 90% → v7". */
function weightsChange(old: string | undefined, share: number) {
  return {
    path: 'traffic',
    before: `100% → v${old}`,
    after: share === 100 ? '100% → the new version' : `${share}% → the new version, ${100 - share}% → v${old}`,
  }
}

/**
 * The stages of a gradual release: the alias stays on the old version and sends each share to the new
 * one (AdditionalVersionWeights), each held and watched by the ReleaseWatch wait, which puts all traffic
 * back on the old version when an alarm fires, the error rate climbs or the deploy is interrupted.
 * Returns the last stage, after which the new version takes all traffic.
 */
function planShift(
  b: PartBuilder<LambdaDesired>,
  alias: ObservedAlias,
  release: Exclude<ReleasePlan, { strategy: 'all-at-once' }>,
  /** what the first share of traffic waits for besides the version (the role's policies) */
  after: string[],
): string {
  const name = b.desired.names.function
  let previous: string | undefined
  for (const [i, share] of release.shares.entries()) {
    const id = `release ${share}%`
    const watch: Record<keyof ReleaseWatchInput, unknown> = {
      FunctionName: name,
      Alias: ALIAS,
      OldVersion: alias.version,
      NewVersion: versionRef,
      Share: share,
      Seconds: release.holdSeconds,
      Alarms: release.alarms,
      ErrorMargin: release.errorMargin,
    }
    const revisionId: string | Ref | undefined = previous ? { ref: previous, output: 'RevisionId' } : alias.revisionId
    b.add({
      id,
      action: 'update',
      resource: { type: 'lambda:alias', name: `${name}:${ALIAS}` },
      reason: `${release.strategy} stage ${i + 1}/${release.shares.length + 1}: ${share}% of traffic on the new version`,
      changes: [...(i === 0 ? [{ path: 'release', after: describeRelease(release) }] : []), weightsChange(alias.version, share)],
      request: Lambda.UpdateAlias.request({
        FunctionName: name,
        Name: ALIAS,
        // the alias stays on the old version: a rollback is one call that clears the weights
        FunctionVersion: alias.version,
        RoutingConfig: { AdditionalVersionWeights: { keyRef: versionRef, value: share / 100 } },
        ...(revisionId ? { RevisionId: revisionId } : {}),
      }),
      wait: {
        waiter: RELEASE_WATCH,
        input: watch,
        description: `${share}% of ${name}:${ALIAS} on the new version for ${release.holdSeconds} s, watched`,
      },
      dependsOn: previous ? [previous] : ['version', ...after],
    })
    previous = id
  }
  return previous ?? 'version'
}
