/** What the manifest's rules report, and how values are quoted in their messages (a leaf: every manifest module may import it). */

/** A problem found in a manifest, at a path of its document. */
export interface ManifestIssue {
  path: (string | number)[]
  /** what is wrong */
  message: string
  /** what to do about it */
  hint?: string
  /** point at the key rather than the value (unknown keys) */
  atKey?: boolean
  /** a warning is told and the manifest still validates */
  severity?: 'warning'
}

/** A value as a message quotes it: JSON, cut at `max` characters. */
export function quoted(value: string, max = 60): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max - 3).replace(/[\uD800-\uDBFF]$/, '')}...` : value)
}

/** The same, left bare when it is short and plain (a runtime, a method). */
export function bare(value: string, max = 60): string {
  return /^[\x21-\x7e]+$/.test(value) && value.length <= max ? value : quoted(value, max)
}
