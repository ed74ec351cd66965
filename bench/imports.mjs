// Figure 1 (second half): which AWS SDK clients each command loads. Every command runs under
// `--import bench/trace-imports.mjs`, which records each module resolution (ESM resolve hook and
// CommonJS require) to a file; the check reads @aws-sdk/client-* off that list.
// Offline runs use a clean environment (no credentials). The "reading AWS" runs give dummy
// credentials and --endpoint-url of a local stub that refuses every call with 403: the plan fails,
// but by then its observe step has asked for every client it reads with (they start in parallel).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BIN, cleanEnv, printRows, ROOT, row, tempDir, timed } from './lib.mjs'

const PRELOAD = pathToFileURL(join(ROOT, 'bench', 'trace-imports.mjs')).href

function startDenyingStub() {
  const server = createServer((req, res) => {
    server.requests = (server.requests ?? 0) + 1
    req.resume()
    req.on('end', () => {
      const body =
        '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>bench stub</Message></Error><RequestId>0</RequestId></ErrorResponse>'
      res.writeHead(403, { 'content-type': 'text/xml', 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': '0' })
      res.end(body)
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

function clientsIn(trace) {
  const clients = new Set()
  let sdk = 0
  let total = 0
  for (const line of trace.split('\n')) {
    if (!line) continue
    total++
    if (/@aws-sdk|@smithy/.test(line)) sdk++
    const m = line.match(/@aws-sdk\/client-([a-z0-9-]+)/)
    if (m) clients.add(m[1])
  }
  return { clients: [...clients].sort(), sdk, total }
}

export async function runImports() {
  const home = tempDir('home')
  const initDir = tempDir('init')
  const traceDir = tempDir('trace')
  const stub = await startDenyingStub()
  const endpoint = `http://127.0.0.1:${stub.address().port}`
  const creds = {
    AWS_ACCESS_KEY_ID: 'test-access-key-id',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-bench-stub',
    AWS_REGION: 'us-west-2',
    AWS_MAX_ATTEMPTS: '1',
  }
  const lambdaYaml = join(ROOT, 'examples/hello-lambda/app.yaml')
  const fargateYaml = join(ROOT, 'examples/hello-fargate/app.yaml')
  // [label, args, extra env, cwd, expectation]: none = no AWS client at all; noEc2 = not client-ec2; ec2 = client-ec2; info = report only
  const cases = [
    ['shipit --version', ['--version'], {}, ROOT, 'none'],
    ['shipit validate', ['validate', '-f', lambdaYaml], {}, ROOT, 'none'],
    ['shipit --help', ['--help'], {}, ROOT, 'none'],
    ['shipit plan --help', ['plan', '--help'], {}, ROOT, 'none'],
    // `shipit help` needs @oclif/plugin-help; the row says whether the command exists
    ['shipit help', ['help'], {}, ROOT, 'info'],
    ['shipit init --help', ['init', '--help'], {}, ROOT, 'none'],
    ['shipit init --target fargate', ['init', '--target', 'fargate', '--force'], {}, initDir, 'none'],
    ['shipit plan --target lambda (offline)', ['plan', '--target', 'lambda', '-f', lambdaYaml], {}, ROOT, 'noEc2'],
    ['shipit plan --target lambda (reading AWS)', ['plan', '--target', 'lambda', '-f', lambdaYaml, '--endpoint-url', endpoint], creds, ROOT, 'noEc2'],
    ['shipit plan --target fargate (offline)', ['plan', '--target', 'fargate', '-f', fargateYaml], {}, ROOT, 'info'],
    ['shipit plan --target fargate (reading AWS)', ['plan', '--target', 'fargate', '-f', fargateYaml, '--endpoint-url', endpoint], creds, ROOT, 'ec2'],
  ]
  const rows = []
  const details = []
  try {
    for (const [i, [label, args, extra, cwd, expect]] of cases.entries()) {
      const file = join(traceDir, `${i}.txt`)
      const before = stub.requests ?? 0
      writeFileSync(file, '')
      mkdirSync(cwd, { recursive: true })
      const r = await timed(process.execPath, ['--import', PRELOAD, BIN, ...args], {
        env: cleanEnv(home, { ...extra, SHIPIT_TRACE_FILE: file }),
        cwd,
        rss: false,
      })
      const t = clientsIn(readFileSync(file, 'utf8'))
      const loaded = t.clients.length ? t.clients.map((c) => `client-${c}`).join(', ') : 'no AWS client'
      const ranOk = r.code === 0 || expect === 'ec2' || label.includes('reading AWS')
      const calls = (stub.requests ?? 0) - before
      const note = `${t.total} modules resolved, ${t.sdk} of them @aws-sdk/@smithy${calls ? `; ${calls} calls refused by the stub` : ''}${ranOk ? '' : `; exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`}`
      details.push({ label, exit: r.code, ...t })
      if (expect === 'none') rows.push(row('1 AWS clients', label, loaded, 'no AWS client', ranOk && t.clients.length === 0, note))
      else if (expect === 'noEc2') rows.push(row('1 AWS clients', label, loaded, 'no client-ec2', ranOk && !t.clients.includes('ec2'), note))
      else if (expect === 'ec2') rows.push(row('1 AWS clients', label, loaded, 'client-ec2 loaded', t.clients.includes('ec2'), note))
      else
        rows.push(
          row(
            '1 AWS clients',
            label,
            loaded,
            undefined,
            null,
            label.includes('offline') ? `${note}; an offline plan reads nothing, so it needs no client-ec2` : note,
          ),
        )
    }
  } finally {
    stub.close()
    rmSync(traceDir, { recursive: true, force: true })
    rmSync(initDir, { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
  }
  return { rows, details }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await runImports()
  printRows(rows)
}
