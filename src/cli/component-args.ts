import { Args } from '@oclif/core'

/** `shipit deploy web api`: the components a command acts on (none: all); with variadic args, oclif needs strict = false. */
export const componentArgs = {
  component: Args.string({
    description: 'With components: in app.yaml, the components to act on (several may be named); default: all. deploy and plan add what they need.',
  }),
}

/** The component names given as arguments (oclif's argv, flags removed). */
export function componentNames(argv: unknown[]): string[] {
  return argv.filter((a): a is string => typeof a === 'string')
}
