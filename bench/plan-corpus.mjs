#!/usr/bin/env node
// `node bench/plan-corpus.mjs DIR`: writes the offline `plan --json` (and `--cli`) of every example and
// valid fixture manifest, for every target it can run on, into DIR, with the volatile createdAt fixed.
// Refactors of the planners are checked with `diff -r before/ after/`: a change in bytes is a change
// in behaviour. Runs the built CLI (npm run build first) with no AWS credentials.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { ROOT } from './lib.mjs'

const out = process.argv[2]
if (!out) {
  console.error('usage: node bench/plan-corpus.mjs DIR')
  process.exit(3)
}
mkdirSync(out, { recursive: true })
const home = mkdtempSync(join(tmpdir(), 'shipit-corpus-'))
const env = {
  PATH: process.env.PATH,
  HOME: home,
  AWS_EC2_METADATA_DISABLED: 'true',
  API_KEY: 'corpus-secret-value',
  GREETING: 'hi',
  DB_PASSWORD: 'corpus-password',
}

const manifests = [
  ...readdirSync(join(ROOT, 'examples')).map((d) => join(ROOT, 'examples', d, 'app.yaml')),
  ...readdirSync(join(ROOT, 'test/fixtures/manifests/valid')).map((f) => join(ROOT, 'test/fixtures/manifests/valid', f)),
]
// manifests that reach the branches the examples do not: secrets, CORS, several routes, a given role
const extra = mkdtempSync(join(tmpdir(), 'shipit-corpus-apps-'))
mkdirSync(join(extra, 'src'))
writeFileSync(join(extra, 'src/index.js'), 'export const handler = async () => ({ statusCode: 200, body: "hi" })\n')
writeFileSync(
  join(extra, 'secrets.yaml'),
  `name: sec
region: us-west-2
env:
  LOG_LEVEL: info
  API_KEY: { value: "\${env:API_KEY}", secret: true }
secrets:
  DB_PASSWORD: arn:aws:ssm:us-west-2:123456789012:parameter/sec/db
function: { source: ./src, handler: index.handler, runtime: nodejs20.x }
container: { image: public.ecr.aws/nginx/nginx:1.27, port: 80, cpu: 256, memory: 512, mode: task }
http: { routes: ["GET /", "POST /items"], cors: { allowOrigins: ["https://example.com"] } }
`,
)
writeFileSync(
  join(extra, 'given-role.yaml'),
  `name: given
region: us-west-2
function: { source: ./src, handler: index.handler, runtime: nodejs20.x, role: "arn:aws:iam::123456789012:role/mine" }
container: { image: public.ecr.aws/nginx/nginx:1.27, port: 80, cpu: 256, memory: 512, executionRole: "arn:aws:iam::123456789012:role/mine" }
secrets:
  DB_PASSWORD: arn:aws:ssm:us-west-2:123456789012:parameter/given/db
`,
)
manifests.push(join(extra, 'secrets.yaml'), join(extra, 'given-role.yaml'))
/** What differs between two runs of the same plan: the time, the per-plan salt and what derives from them (client tokens, salted hashes). */
function normalize(text) {
  const salt = /"salt": "([0-9a-f]+)"/.exec(text)?.[1]
  return text
    .replace(/"createdAt": "[^"]+"/g, '"createdAt": "(fixed)"')
    .replace(/from the plan of \S+Z/g, 'from the plan of (fixed)')
    .replace(/"salt": "[0-9a-f]+"/g, '"salt": "(fixed)"')
    .replace(/"(value|clientToken)": "[0-9a-f]{32}"/g, '"$1": "(token)"')
    .replace(/clientToken=[0-9a-f]{32}|--client-token '?[0-9a-f]{32}'?/g, 'client-token (token)')
    .replace(/"sensitive": "([^"]+)",\s*"sha256": "[0-9a-f]{64}"/g, (_m, name) => `"sensitive": "${name}", "sha256": "(salted${salt ? '' : ''})"`)
}

let written = 0
for (const file of manifests) {
  for (const target of ['lambda', 'fargate', 'ecs']) {
    for (const envName of ['dev', 'prod']) {
      for (const mode of ['json', 'cli']) {
        const args = ['plan', '-f', file, '--target', target, '--env', envName, '--region', 'us-west-2', '--offline', mode === 'json' ? '--json' : '--cli']
        const r = spawnSync(join(ROOT, 'bin/run.js'), args, { cwd: dirname(file), env, encoding: 'utf8' })
        const name = `${file.startsWith(extra) ? 'extra' : basename(dirname(file))}-${basename(file, '.yaml')}-${target}-${envName}.${mode === 'json' ? 'json' : 'txt'}`
        const body = r.status === 0 ? normalize(r.stdout) : `exit ${r.status}\n${r.stdout}${r.stderr}`
        writeFileSync(join(out, name), body)
        written++
      }
    }
  }
}
console.log(`${written} plans written to ${out}`)
