import type { Hook } from '@oclif/core'
import { didYouMean } from '../../did-you-mean.js'
import { invalid } from '../../errors.js'

/**
 * `shipit deplooy`: invalid input (exit 3, whatever other flags say — never 2, which CI reads as
 * "the plan has changes"), in one line, with the command that was probably meant.
 */
const commandNotFound: Hook<'command_not_found'> = async ({ id, config }) => {
  const words = id.split(':')
  const commands = config.commands.filter((c) => !c.hidden).map((c) => c.id.replace(/:/g, ' '))
  if (words[0].startsWith('-')) {
    throw invalid('UnknownCommand', `${words[0]} is not a command; flags go after one, e.g. shipit plan ${words[0]} (see shipit --help)`)
  }
  // with spaces between topics, oclif reads `plan lambda` as the command "plan lambda"
  if (commands.includes(words[0])) {
    throw invalid('UnexpectedArgument', `shipit ${words[0]} takes no argument "${words.slice(1).join(' ')}" (see shipit ${words[0]} --help)`)
  }
  const guess = didYouMean(words[0], commands)
  throw invalid('UnknownCommand', `unknown command "${words.join(' ')}"${guess ? ` — did you mean ${guess}?` : ''} (see shipit --help)`)
}

export default commandNotFound
