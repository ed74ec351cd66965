import { writeFile } from 'node:fs/promises'
import { invalid, ShipitError } from '../errors.js'
import { findManifest } from '../manifest/discover.js'
import { declaringKey } from '../manifest/environments.js'
import { type LoadedManifest, loadManifest } from '../manifest/load.js'
import { DEFAULT_ENV } from '../manifest/resolve.js'
import type { TargetName } from '../manifest/schema.js'
import { type Curves, renderTerminalChart } from './chart.js'
import { type AppShape, atReferenceLoads, type Comparison, compareTargets, costCurves, joinComponents, REFERENCE_LOADS } from './compare.js'
import type { LiveBounds } from './live-bounds.js'
import { PRICE_TABLE, type PriceTable } from './prices.js'
import { renderComparison } from './render.js'
import { renderSvgChart } from './svg.js'
import { parseSize, resolveTraffic, type TrafficInput } from './traffic.js'

interface CompareOptions extends TrafficInput {
  file?: string
  env?: string
  region?: string
  profile?: string
  livePrices?: boolean
  /** bounds of the --live-prices read, as the flags give them */
  priceBounds?: { timeoutSeconds?: number; maxReply?: string; maxPages?: number }
  /** write the chart as SVG to this path */
  chart?: string
  vars?: Record<string, string | undefined>
}

interface CompareRun {
  comparison: Comparison
  /** the text report and the terminal chart (not built for --json) */
  text: () => string
  /** notes for stderr: which prices were used, where the chart went */
  notes: string[]
}

/** With no load given, the lines of each target are shown at this one of REFERENCE_LOADS. */
const REFERENCE_DETAIL = '1M/month'
const REFERENCE_DURATION = '100ms'

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/

interface Shaped {
  shape: AppShape
  expect?: TrafficInput
  region?: string
  /** an app with components: each one's shape, and the target app.yaml gives it */
  components?: { name: string; target: TargetName; shape: AppShape; task: boolean }[]
}

/** The app's sizes and expected load for one env, without choosing a target; with components, each one's too. */
export async function loadShape(file: string | undefined, env: string | undefined, vars?: Record<string, string | undefined>): Promise<Shaped> {
  const loaded = await loadManifest(file ?? (await findManifest(process.cwd())), vars ?? process.env)
  if (!loaded.components) return shapeOf(loaded, env)
  const components = loaded.components.map((c) => ({
    name: c.name,
    target: c.target,
    shape: shapeOf(c.loaded, env).shape,
    task: c.loaded.manifest.container?.mode === 'task',
  }))
  const top = loaded.manifest
  return { shape: { ...components[0].shape, app: top.name }, expect: top.expect, region: top.region, components }
}

function shapeOf(loaded: LoadedManifest, env: string | undefined): Shaped {
  const envName = env ?? DEFAULT_ENV
  const known = Object.keys(loaded.manifest.environments)
  // an env matching a pattern ("pr-*") is sized by that pattern's overlay
  const declaredBy = declaringKey(known, envName, DEFAULT_ENV)
  if (declaredBy === undefined) {
    throw invalid('UnknownEnvironment', `environment "${env}" is not in ${loaded.file}`, [
      known.length ? `known environments: ${known.join(', ')}` : `add it under environments: in ${loaded.file}, or leave out --env`,
    ])
  }
  // the env's merged manifest, validated when the file was loaded (each declared key's, and the base for the default env)
  const merged = loaded.environments[declaredBy] ?? loaded.manifest
  if (!merged.function && !merged.container) {
    throw invalid('MissingSection', `${loaded.file} has neither a function: nor a container: section to size the app from`, [
      'add one (shipit init --target lambda shows a function:)',
    ])
  }
  return {
    shape: { app: merged.name, env: envName, function: merged.function, container: merged.container, http: merged.http !== undefined },
    expect: merged.expect,
    region: merged.region,
  }
}

/** Pick the region and its prices: the shipped table, or the Price List API with --live-prices. */
async function pricesFor(
  region: string,
  options: Pick<CompareOptions, 'livePrices' | 'profile' | 'priceBounds'>,
): Promise<{ table: PriceTable; note?: string }> {
  if (!REGION.test(region)) throw invalid('UnknownRegion', `unknown region "${region}"`, ['use an AWS region code such as us-east-1, eu-west-1'])
  const bounds = liveBounds(options.priceBounds)
  if (options.livePrices) {
    const { livePrices } = await import('./live-prices.js')
    const live = await livePrices(region, { profile: options.profile, bounds })
    if (live.table.regions[region]) return { table: live.table, note: live.note }
    throw new ShipitError('NoPrices', `${live.note}, and that table has no prices for ${region}`, {
      exitCode: 3,
      source: 'user',
      suggestions: [
        'configure AWS credentials so --live-prices can read the Price List API',
        `or compare in one of: ${Object.keys(PRICE_TABLE.regions).join(', ')}`,
      ],
    })
  }
  if (!PRICE_TABLE.regions[region]) {
    throw invalid('NoPrices', `shipit's price table (${PRICE_TABLE.date}) has no prices for ${region}`, [
      `run with --live-prices to read them from the AWS Price List API (needs credentials), or pick one of: ${Object.keys(PRICE_TABLE.regions).join(', ')}`,
    ])
  }
  return { table: PRICE_TABLE }
}

/** The --prices-* flags as bounds; a size that is not one is exit 3, whether or not --live-prices is given. */
function liveBounds(flags: CompareOptions['priceBounds'] = {}): Partial<LiveBounds> {
  const maxReplyBytes = flags.maxReply === undefined ? undefined : parseSize(flags.maxReply, '--prices-max-reply')
  if (maxReplyBytes !== undefined && maxReplyBytes < 1024) {
    throw invalid('InvalidBound', `--prices-max-reply ${flags.maxReply} is under 1KB: no Price List reply fits`, ['e.g. --prices-max-reply 4MB'])
  }
  return {
    ...(flags.timeoutSeconds !== undefined ? { deadlineMs: flags.timeoutSeconds * 1000 } : {}),
    ...(maxReplyBytes !== undefined ? { maxReplyBytes } : {}),
    ...(flags.maxPages !== undefined ? { maxPages: flags.maxPages } : {}),
  }
}

/** Everything `shipit compare` prints or writes, from its flags. */
export async function runCompare(options: CompareOptions): Promise<CompareRun> {
  const { shape, expect, region: manifestRegion, components } = await loadShape(options.file, options.env, options.vars)
  // no load at all: the reference loads, each request taking --duration, expect:'s, or 100 ms
  const noLoad = options.requests === undefined && expect?.requests === undefined
  const flags = noLoad ? { ...options, requests: REFERENCE_DETAIL, duration: options.duration ?? expect?.duration ?? REFERENCE_DURATION } : options
  const traffic = resolveTraffic(flags, expect, options.file ?? 'app.yaml')
  const region = options.region ?? manifestRegion ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
  const { table, note } = await pricesFor(region, options)
  if (components) return compareComponents(shape.app, components, { traffic, table, region, noLoad, note, chart: options.chart })
  const comparison = compareTargets(shape, traffic, table, region)
  if (noLoad) comparison.reference = atReferenceLoads(shape, traffic, table.regions[region])
  const curves: Curves = {
    ...costCurves(shape, traffic, table.regions[region]),
    ...(noLoad ? { references: REFERENCE_LOADS } : { at: traffic.requestsPerMonth }),
    breakEven: comparison.breakEven.requestsPerMonth,
  }
  const notes = note ? [note] : []
  if (options.chart) {
    const svg = renderSvgChart(curves, `${shape.app} (${shape.env}) in ${region}: monthly cost by requests per month, prices of ${table.date}`)
    await writeFile(options.chart, svg).catch((err: NodeJS.ErrnoException) => {
      throw invalid('ChartNotWritten', `cannot write the chart to ${options.chart}: ${err.code ?? err.message}`, [
        'give --chart a path in a directory you can write',
      ])
    })
    notes.push(`chart written to ${options.chart}`)
  }
  return { comparison, text: () => `${renderComparison(comparison)}\n\n${renderTerminalChart(curves)}`, notes }
}

interface ComponentsRun {
  traffic: ReturnType<typeof resolveTraffic>
  table: PriceTable
  region: string
  noLoad: boolean
  note?: string
  chart?: string
}

/** An app with components: each priced as an app of its own (every target, its own first), then the total on their own targets. */
function compareComponents(app: string, components: NonNullable<Shaped['components']>, run: ComponentsRun): CompareRun {
  if (run.chart) {
    throw invalid('ChartForComponents', '--chart draws one app on each target; this app has components', [
      "leave out --chart, or compare one component's app.yaml",
    ])
  }
  const parts = components.map(({ name, target, shape, task }) => {
    const comparison = compareTargets(shape, run.traffic, run.table, run.region)
    if (run.noLoad) comparison.reference = atReferenceLoads(shape, run.traffic, run.table.regions[run.region])
    return { name, target, comparison, ...(task ? { task } : {}) }
  })
  const comparison = joinComponents(app, parts)
  const text = () =>
    [
      ...parts.map((p) => `── ${p.name} (${p.target}) ${'─'.repeat(Math.max(3, 60 - p.name.length - p.target.length))}\n${renderComparison(p.comparison)}`),
      `${comparison.total?.statement}: $${comparison.total?.monthlyUsd.toFixed(2)}/month`,
    ].join('\n\n')
  return { comparison, text, notes: run.note ? [run.note] : [] }
}
