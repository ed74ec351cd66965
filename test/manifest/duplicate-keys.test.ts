import { describe, expect, it } from 'vitest'
import { ManifestError, parseManifest } from '../../src/manifest/load.js'

function problemsOf(text: string) {
  try {
    parseManifest(text, 'app.yaml', {})
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError)
    return (err as ManifestError).problems.map((p) => [p.line, p.col, p.message, p.hint])
  }
  throw new Error('expected the manifest to be invalid')
}

// the parser's own check is off (it was quadratic): these hold the replacement to the same rules
describe('duplicate keys', () => {
  it('in block, flow and nested mappings, plain or quoted, each at the repeat with the line of the first', () => {
    expect(problemsOf('name: a\nenv:\n  A: "1"\n  B: "2"\n  "A": "3"\ncontainer: { image: x, "image": y }\nname: b\n')).toEqual([
      [5, 3, 'duplicate key "A": a key may appear once in a mapping', 'remove one of the two, or merge them; the first is at line 3'],
      [6, 24, 'duplicate key "image": a key may appear once in a mapping', 'remove one of the two, or merge them; the first is at line 6'],
      [7, 1, 'duplicate key "name": a key may appear once in a mapping', 'remove one of the two, or merge them; the first is at line 1'],
    ])
  })

  it('reports every repeat, not only the first', () => {
    expect(problemsOf('name: a\nenv:\n  A: "1"\n  A: "2"\n  A: "3"\n').map((p) => p[0])).toEqual([4, 5])
  })

  it('the same key in different mappings, and keys equal only as text (1 and "1"), are not duplicates', () => {
    expect(() => parseManifest('name: a\nenv:\n  A: "1"\nenvironments:\n  prod:\n    env:\n      A: "2"\n', 'app.yaml', {})).not.toThrow()
    // YAML compares values: the number 1 and the string "1" are two keys (the schema then refuses the number as a name)
    expect(problemsOf('name: a\nenv:\n  1: x\n  "1": y\n').some((p) => String(p[2]).startsWith('duplicate key'))).toBe(false)
  })
})
