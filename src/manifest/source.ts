import { stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { bare, quoted } from './issue.js'
import type { LoadedManifest, ManifestProblem } from './load.js'
import type { Desired } from './resolve.js'

/** Files Lambda may load a handler module from, by runtime; runtimes not listed are not checked (compiled or custom). */
const HANDLER_FILES: [RegExp, (module: string) => string[], string][] = [
  [/^nodejs/, (m) => [`${m}.js`, `${m}.mjs`, `${m}.cjs`], 'JavaScript'],
  [/^python/, (m) => [`${m.replaceAll('.', '/')}.py`, `${m.replaceAll('.', '/')}/__init__.py`], 'Python'],
]

/**
 * For target lambda: function.source is a directory and, for the runtimes whose module layout is
 * known (nodejs*, python*), the handler's file is in it. Offline; a deploy would otherwise upload a
 * function that fails on its first request with "Cannot find module".
 */
export async function checkFunctionSource(loaded: LoadedManifest, desired: Desired): Promise<ManifestProblem[]> {
  // an image function has no source: its code is the container's image
  if (desired.target !== 'lambda' || desired.image) return []
  const fn = desired.function
  const { handler, runtime } = fn
  if (handler === undefined || runtime === undefined) return []
  const problemAt = (field: 'source' | 'handler', message: string, hint: string): ManifestProblem => {
    const overlay = loaded.manifest.environments[desired.declaredBy ?? desired.env]?.function
    const path = overlay?.[field] !== undefined ? ['environments', desired.declaredBy ?? desired.env, 'function', field] : ['function', field]
    const { line, col } = loaded.positionOf?.(path) ?? { line: 1, col: 1 }
    const where = overlay?.[field] !== undefined ? ` (in environment ${desired.env})` : ''
    return { file: loaded.file, line, col, message: `${message}${where}`, hint }
  }
  const shownSource = bare(fn.source, 120)
  if (!(await isDirectory(fn.sourceDir))) {
    return [
      problemAt(
        'source',
        `function.source ${shownSource} is not a directory (${bare(shownPath(fn.sourceDir), 120)} does not exist or is a file)`,
        'create it with the handler in it, or point source: at the directory that holds the code',
      ),
    ]
  }
  const layout = HANDLER_FILES.find(([pattern]) => pattern.test(runtime))
  const dot = handler.lastIndexOf('.')
  if (!layout || dot <= 0) return []
  const [, filesOf, language] = layout
  const module = handler.slice(0, dot)
  const candidates = filesOf(module)
  for (const file of candidates) if (await isFile(join(fn.sourceDir, file))) return []
  const typescript = layout[2] === 'JavaScript' && (await isFile(join(fn.sourceDir, `${module}.ts`)))
  return [
    problemAt(
      'handler',
      `handler ${quoted(handler)} needs ${listed(candidates)} in function.source ${shownSource}, and there is none`,
      typescript
        ? `Lambda's ${runtime} runs ${language}, not TypeScript: build ${module}.ts to ${module}.js in function.source`
        : `write ${candidates[0]} there, exporting ${handler.slice(dot + 1)}, or change handler: to FILE.FUNCTION of a file in ${shownSource}`,
    ),
  ]
}

/** Relative to the working directory when under it, else absolute. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel
}

function listed(files: string[]): string {
  return files.length === 1 ? files[0] : `${files.slice(0, -1).join(', ')} or ${files[files.length - 1]}`
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}
