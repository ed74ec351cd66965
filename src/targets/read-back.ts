import { isNotFound } from '../aws/errors.js'
import { ExitCode, ShipitError } from '../errors.js'
import { TAG_APP, TAG_ENV } from '../manifest/names.js'
import { NOT_OURS } from './part.js'

/**
 * What the read-backs of creates after a lost answer share (src/plan/catalogue.ts `recover`): tags in
 * any shape, the ownership check, the not-ours error, a read whose not-found means absent.
 */

/** Tags in any of the shapes AWS uses (a map, [{Key,Value}], [{key,value}], EC2 TagSpecifications) as a map. */
export function anyTagMap(tags: unknown): Record<string, string> {
  if (!tags) return {}
  if (Array.isArray(tags)) {
    const out: Record<string, string> = {}
    for (const t of tags as Record<string, unknown>[]) {
      if (Array.isArray(t.Tags)) Object.assign(out, anyTagMap(t.Tags))
      const key = t.Key ?? t.key
      if (typeof key === 'string') out[key] = String(t.Value ?? t.value ?? '')
    }
    return out
  }
  return typeof tags === 'object' ? (tags as Record<string, string>) : {}
}

/** The resource carries the shipit:app and shipit:env tags the create asked for. */
export function sameOwner(wanted: unknown, found: unknown): boolean {
  const want = anyTagMap(wanted)
  const have = anyTagMap(found)
  return [TAG_APP, TAG_ENV].every((k) => want[k] === undefined || have[k] === want[k])
}

/** Something with the step's name exists but is not what shipit asked for, nor carries its tags. */
export function notOurs(what: string, detail = NOT_OURS): ShipitError {
  return new ShipitError('NotOurs', `${what} ${detail}`, {
    exitCode: ExitCode.Failure,
    source: 'aws',
    suggestions: ['it was made by someone else after shipit planned; look at it before running the deploy again'],
  })
}

/** A read whose not-found answer means the create did not happen. */
export async function read<T>(answer: Promise<T>): Promise<T | undefined> {
  try {
    return await answer
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
}
