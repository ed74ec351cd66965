import type { Outputs } from '../target.js'
import type { DomainObserved } from './observe.js'

/**
 * A target's outputs with the app's own name first: `url` is `https://<name>/` once the name points
 * at the app (observed, or made by this apply), and AWS's URL follows as `awsUrl`. Without
 * http.domain the outputs are as they were.
 */
export function withDomainUrl(outputs: Outputs, domain: DomainObserved | undefined, applied: Record<string, Record<string, unknown>> = {}): Outputs {
  const name = domain?.names[0]
  if (!name) return outputs
  const { url: awsUrl, ...rest } = outputs
  const live = (domain.records[name] ?? []).some((r) => r.Type === 'A' && r.Name?.replace(/\.$/, '') === name)
  const pointed = live || Boolean(applied[`alias-records ${name}`])
  return { ...(pointed ? { url: `https://${name}/` } : {}), awsUrl, ...rest }
}
