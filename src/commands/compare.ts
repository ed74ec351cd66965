import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { manifestFlags } from '../cli/flags.js'
import type { Comparison } from '../compare/compare.js'
import { runCompare } from '../compare/run.js'
import { EXIT_CODES_HELP } from '../errors.js'

export default class CompareCommand extends BaseCommand {
  static summary = 'Compare the monthly cost of this app on lambda, fargate and ecs for a given load, with the break-even.'
  static description =
    `Offline, from a dated price table shipped with shipit (or the AWS Price List API with --live-prices). For each target: the monthly cost line by line (compute, requests, HTTP API or load balancer, public IPv4, log ingestion), what rules it out for this app, and a chart of cost against load. Free tiers are listed apart, never subtracted. Left out: data transfer, NAT gateways, storage.

The load comes from the flags, else from expect: in app.yaml, else it prices reference loads of 100k, 1M and 10M requests a month. --live-prices is bounded: --prices-timeout for the whole read, --prices-max-reply per reply (cut while it arrives), --prices-max-pages per query; each price is checked against the table (above zero, within 0.2×–5×), and whatever is cut or refused is priced from the table and named.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> compare --requests 5M/month --duration 120ms',
    '<%= config.bin %> compare -f examples/hello-fargate/app.yaml --requests 100k/day --duration 50ms --chart cost.svg',
    '<%= config.bin %> compare --env prod --json',
    '<%= config.bin %> compare',
    '<%= config.bin %> compare --region eu-central-1 --live-prices',
  ]
  static flags = {
    ...manifestFlags,
    requests: Flags.string({ summary: 'Requests a month (or per day, hour, second): 5M/month, 100k/day, 20/s.', helpValue: '5M/month' }),
    duration: Flags.string({ summary: 'How long one request takes to serve.', helpValue: '120ms' }),
    payload: Flags.string({ summary: 'Bytes in and out of one request (default 4KB).', helpValue: '4KB' }),
    concurrency: Flags.integer({ summary: 'Requests one container serves at once (default 10); sets how many tasks the load needs.', helpValue: '10' }),
    region: Flags.string({ summary: 'Region whose prices to use; else region: in app.yaml, AWS_REGION, us-east-1.', helpValue: 'us-east-1' }),
    profile: Flags.string({ summary: 'Named profile for --live-prices.', env: 'AWS_PROFILE' }),
    chart: Flags.string({ summary: 'Also write the cost chart as an SVG file.', helpValue: 'cost.svg' }),
    'live-prices': Flags.boolean({ summary: 'Read prices from the AWS Price List API (needs credentials) instead of the shipped table.' }),
    'prices-timeout': Flags.integer({ summary: 'With --live-prices: seconds the whole read may take (default 30).', min: 1, max: 600, helpValue: '30' }),
    'prices-max-reply': Flags.string({ summary: 'With --live-prices: largest reply read, cut while it arrives (default 4MB).', helpValue: '4MB' }),
    'prices-max-pages': Flags.integer({ summary: 'With --live-prices: pages read per query (default 20).', min: 1, max: 1000, helpValue: '20' }),
  }

  async run(): Promise<Comparison> {
    const { flags } = await this.parse(CompareCommand)
    const result = await runCompare({
      ...flags,
      livePrices: flags['live-prices'],
      priceBounds: { timeoutSeconds: flags['prices-timeout'], maxReply: flags['prices-max-reply'], maxPages: flags['prices-max-pages'] },
    })
    for (const n of result.notes) this.note(n)
    if (!this.jsonEnabled()) this.out(result.text())
    return result.comparison
  }
}
