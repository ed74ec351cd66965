/**
 * `${env:VAR}` and `${env:VAR:-default}` in manifest values. The default is itself expanded, so
 * `${env:A:-${env:B}}` gives B's value when A is unset; `$${` is a literal `${`. A scanner rather
 * than a regex: a regex cannot match the nested braces, and it silently kept an unclosed `${` as text.
 */

export type Vars = Record<string, string | undefined>

interface InterpolationProblem {
  message: string
  hint: string
}

interface Expanded {
  value: string
  problems: InterpolationProblem[]
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const SYNTAX_HINT = 'write ${env:VAR} or ${env:VAR:-default}; $${ gives a literal ${'

/** Expand every reference in `text`; problems say what is wrong, never a variable's value. */
export function expandInterpolations(text: string, vars: Vars): Expanded {
  const problems: InterpolationProblem[] = []
  const { value } = new Scanner(text, vars, problems).expand(0, true, false)
  return { value, problems }
}

class Scanner {
  constructor(
    private readonly text: string,
    private readonly vars: Vars,
    private readonly problems: InterpolationProblem[],
  ) {}

  /**
   * Expand from `start` to the end of the text, or (inside a default) to its closing `}`.
   * With `evaluate` false the text is only checked: a default that is not used must still be well
   * formed, but the variables it names need not be set.
   */
  expand(start: number, evaluate: boolean, inDefault: boolean): { value: string; end: number; closed: boolean } {
    const { text } = this
    let out = ''
    let i = start
    while (i < text.length) {
      if (text.startsWith('$${', i)) {
        out += '${'
        i += 3
      } else if (text.startsWith('${', i)) {
        const ref = this.reference(i, evaluate)
        out += ref.value
        i = ref.end
      } else if (inDefault && text[i] === '}') {
        return { value: out, end: i, closed: true }
      } else {
        out += text[i++]
      }
    }
    return { value: out, end: text.length, closed: false }
  }

  /** The reference whose `${` is at `open`: its value and the offset just past its `}`. */
  private reference(open: number, evaluate: boolean): { value: string; end: number } {
    const { text } = this
    // another component's output (src/manifest/components.ts): kept as written, resolved when the app is planned
    const component = /^\$\{component:[a-z][a-z0-9-]*\.[a-zA-Z]+\}/.exec(text.slice(open))
    if (component) return { value: component[0], end: open + component[0].length }
    const nameStart = open + 2 + 'env:'.length
    let nameEnd = nameStart
    while (nameEnd < text.length && /[A-Za-z0-9_]/.test(text[nameEnd])) nameEnd++
    const name = text.slice(nameStart, nameEnd)
    const wellFormed = text.startsWith('env:', open + 2) && VAR_NAME.test(name)
    if (wellFormed && text[nameEnd] === '}') {
      return { value: evaluate ? this.lookup(name, false) : '', end: nameEnd + 1 }
    }
    if (wellFormed && text.startsWith(':-', nameEnd)) {
      const set = this.isSet(name)
      const fallback = this.expand(nameEnd + 2, evaluate && !set, true)
      if (!fallback.closed) return this.unterminated(`\${env:${name}:-…`)
      const value = !evaluate ? '' : set ? this.lookup(name, true) : fallback.value
      return { value, end: fallback.end + 1 }
    }
    const close = this.matchingBrace(open)
    if (close === undefined) return this.unterminated(wellFormed ? `\${env:${name}` : text.slice(open, open + 12).split('\n')[0])
    const whole = text.slice(open, close + 1)
    this.problems.push({ message: `unsupported interpolation ${whole}`, hint: SYNTAX_HINT })
    return { value: whole, end: close + 1 }
  }

  private isSet(name: string): boolean {
    const value = this.vars[name]
    return value !== undefined && value !== ''
  }

  private lookup(name: string, hasDefault: boolean): string {
    if (this.isSet(name)) return this.vars[name] as string
    if (!hasDefault) this.problems.push({ message: `environment variable ${name} is not set`, hint: `set ${name}, or give a default: \${env:${name}:-value}` })
    return ''
  }

  /** Offset of the `}` that closes the `${` at `open` (nested `${…}` counted), if any. */
  private matchingBrace(open: number): number | undefined {
    const { text } = this
    let depth = 0
    for (let i = open; i < text.length; i++) {
      if (text.startsWith('${', i)) {
        depth++
        i++
      } else if (text[i] === '}' && --depth === 0) {
        return i
      }
    }
    return undefined
  }

  /** An unclosed `${`: shown by its head only (what follows may be a secret default), the rest of the text is consumed. */
  private unterminated(head: string): { value: string; end: number } {
    this.problems.push({
      message: `interpolation ${head} is not closed: a } is missing`,
      hint: 'close it with }, or write $${ for a literal ${',
    })
    return { value: '', end: this.text.length }
  }
}
