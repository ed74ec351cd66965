import type { LambdaDesired } from '../../manifest/resolve.js'
import type { Ref } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { Lambda } from './catalogue.js'
import { type DesiredFunction, type PlannedFunction, versionMatches } from './function.js'
import { ALIAS, type ObservedAlias } from './observe.js'
import { PREVIOUS_PREFIX } from './operations.js'

const versionRef: Ref = { ref: 'version', output: 'Version' }

/**
 * A new version whenever the function changed or `live` serves something else, and the alias moved
 * to it; the alias records the version it left, for `shipit rollback`. Returns the steps that create
 * the alias (what an invoke permission on it must wait for).
 */
export function planVersionAndAlias(
  b: PartBuilder<LambdaDesired>,
  fn: PlannedFunction,
  alias: ObservedAlias | null,
  want: DesiredFunction,
  /** the zip's hash (PublishVersion checks it); undefined for an image function, whose code is its image URI */
  codeSha256: string | undefined,
): string[] {
  const name = b.desired.names.function
  if (fn.blocked) return []
  if (fn.steps.length === 0 && alias && versionMatches(alias.config, want, codeSha256)) {
    b.keep('lambda:alias', `${name}:${ALIAS}`, `version ${alias.version}`)
    return []
  }
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
  const input = {
    FunctionName: name,
    Name: ALIAS,
    FunctionVersion: versionRef,
    // what was live before, so that `shipit rollback` goes back to it
    Description: alias ? `${PREVIOUS_PREFIX}${alias.version}` : 'shipit: first version',
  }
  b.add({
    id: 'alias',
    action: alias ? 'update' : 'create',
    resource: { type: 'lambda:alias', name: `${name}:${ALIAS}` },
    changes: [{ path: 'FunctionVersion', before: alias?.version, after: versionRef }],
    // the RevisionId observed: Lambda refuses the update (PreconditionFailedException) if another deploy moved the alias since
    request: alias
      ? Lambda.UpdateAlias.request({ ...input, ...(alias.revisionId ? { RevisionId: alias.revisionId } : {}) })
      : Lambda.CreateAlias.request(input),
    dependsOn: ['version'],
  })
  return alias ? [] : ['alias']
}
