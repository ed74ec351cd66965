/**
 * A strict well-formedness check of the XML subset the SVG writer emits (declaration, elements,
 * double-quoted attributes, text, the five predefined entities): every tag closed in order, one
 * root, no raw `<` or `&` in text or attributes, no duplicate attribute. Returns the element names.
 */
export function checkWellFormed(xml: string): string[] {
  const names: string[] = []
  const stack: string[] = []
  let rest = xml.replace(/^<\?xml [^?]*\?>\s*/, '')
  let roots = 0
  const text = /^[^<]*/
  const entity = /&(?!(amp|lt|gt|quot|apos);)/
  while (rest.length) {
    const t = text.exec(rest)?.[0] ?? ''
    if (entity.test(t)) throw new Error(`bad entity in text: ${t.slice(0, 40)}`)
    if (!stack.length && t.trim()) throw new Error('text outside the root')
    rest = rest.slice(t.length)
    if (!rest.length) break
    const close = /^<\/([A-Za-z][\w:.-]*)\s*>/.exec(rest)
    if (close) {
      if (stack.pop() !== close[1]) throw new Error(`</${close[1]}> closes the wrong element`)
      rest = rest.slice(close[0].length)
      continue
    }
    const open = /^<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z][\w:.-]*="[^"<]*")*)\s*(\/?)>/.exec(rest)
    if (!open) throw new Error(`malformed tag at: ${rest.slice(0, 60)}`)
    const attrs = [...open[2].matchAll(/([A-Za-z][\w:.-]*)="([^"]*)"/g)]
    const seen = new Set<string>()
    for (const [, k, v] of attrs) {
      if (seen.has(k)) throw new Error(`duplicate attribute ${k}`)
      seen.add(k)
      if (entity.test(v)) throw new Error(`bad entity in attribute ${k}`)
    }
    if (!stack.length) roots++
    names.push(open[1])
    if (!open[3]) stack.push(open[1])
    rest = rest.slice(open[0].length)
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`)
  if (roots !== 1) throw new Error(`${roots} root elements`)
  return names
}
