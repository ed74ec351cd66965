/**
 * The end of every fake `aws` script of the runbook tests (a node script on PATH): how it answers a
 * call. A `--query` is answered with `fake(<query>)` (a JSON list for list queries), a service rollout
 * poll with FAKE_AWS_ROLLOUT (one answer per poll, the last repeating; completed by default), and a
 * call without a query with `{}`. The script before it defines `fs` and `argv`.
 */
export const FAKE_AWS_ANSWERS = `const at = (flag) => { const i = argv.indexOf(flag); return i < 0 ? undefined : argv[i + 1] }
const query = at('--query')
if (!query) { console.log('{}'); process.exit(0) }
// a service rollout poll: FAKE_AWS_ROLLOUT answers, one per poll (the last one repeats), as --output text does
if (argv[1] === 'describe-services' && query.includes('rolloutState')) {
  const answers = (process.env.FAKE_AWS_ROLLOUT || 'fake(taskDefinition.taskDefinitionArn) COMPLETED 1 1 0').split(';')
  const counter = process.env.FAKE_AWS_LOG ? process.env.FAKE_AWS_LOG + '.polls' : undefined
  const n = counter && fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0
  if (counter) fs.writeFileSync(counter, String(n + 1))
  console.log(answers[Math.min(n, answers.length - 1)].split(' ').join('\\t'))
  process.exit(0)
}
const fake = (q) => 'fake(' + q + ')'
if (at('--output') !== 'json') console.log(fake(query))
else if (query.startsWith('[') && !query.includes('[]')) console.log(JSON.stringify(query.slice(1, -1).split(', ').map(fake)))
else if (query.includes('[]')) console.log(JSON.stringify([fake(query) + '-1', fake(query) + '-2']))
else console.log(JSON.stringify(fake(query)))
`
