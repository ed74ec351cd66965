/**
 * The time shipit reads for expiries (`shipit:expires`, `shipit prune`): one clock that tests set
 * (`clock.now = () => new Date('…')`) instead of waiting days for a preview to expire.
 */
export const clock = {
  now: (): Date => new Date(),
}
