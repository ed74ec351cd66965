import type { HttpSpec } from './schema.js'

/** The names of http.domain as a list (one name or several), the first being the certificate's DomainName. */
export function domainNamesOf(http: Pick<HttpSpec, 'domain'> | undefined): string[] {
  const domain = http?.domain
  if (domain === undefined) return []
  return typeof domain === 'string' ? [domain] : [...domain]
}
