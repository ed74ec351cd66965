import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs'
import { GetFunctionConfigurationCommand, LambdaClient, PublishVersionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import { clearSecrets } from '../../src/redact.js'
import type { FakeAws } from '../fakes/aws.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

/**
 * Issue 18, item 3: a live value app.yaml does not declare (added in the console or by another tool)
 * was printed in full once an earlier deploy had recorded secret names. Every history of marking,
 * unmarking, removing and adding outside shipit, on Lambda and on containers, is generated here; after
 * each, no value that is secret (or was when deployed) or that app.yaml never declared may appear in
 * the plan text, `plan --json`, a saved plan or the output of `deploy`. Each command runs as a fresh
 * process would: nothing registered for redaction by an earlier one.
 */

type Target = 'lambda' | 'fargate'
const NAMES = ['API_KEY', 'MANUAL_TOKEN'] as const
type Name = (typeof NAMES)[number]
type Op = { kind: 'secret' | 'plain' | 'remove' | 'outside'; name: Name } | { kind: 'deploy' }

const SECTIONS: Record<Target, string> = {
  lambda: 'function:\n  handler: index.handler\n  runtime: nodejs22.x\n',
  fargate: 'container:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n',
}
const REGION = 'us-west-2'

interface Declared {
  secret: boolean
  value: string
}

function appYaml(target: Target, declared: Map<Name, Declared>): string {
  const lines = [...declared].map(([name, d]) => (d.secret ? `  ${name}: { value: "\${env:V_${name}}", secret: true }` : `  ${name}: ${d.value}`))
  return `name: hist\nregion: ${REGION}\nenv:\n  LOG_LEVEL: info\n${lines.map((l) => `${l}\n`).join('')}${SECTIONS[target]}`
}

/** Another tool sets NAME=value on what is live (the console sends the whole environment back). */
async function setOutside(_fake: FakeAws, target: Target, name: Name, value: string): Promise<boolean> {
  if (target === 'lambda') {
    const lambda = new LambdaClient({ region: REGION })
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'hist-dev' })).catch(() => undefined)
    if (!config) return false
    const Variables = { ...config.Environment?.Variables, [name]: value }
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'hist-dev', Environment: { Variables } }))
    // as a waiter would: the fake settles an update when it is read
    await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'hist-dev' }))
    await lambda.send(new PublishVersionCommand({ FunctionName: 'hist-dev' }))
    return true
  }
  const ecs = new ECSClient({ region: REGION })
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'hist-dev', include: ['TAGS'] })).catch(() => undefined)
  const td = described?.taskDefinition
  if (!td) return false
  const containerDefinitions = (td.containerDefinitions ?? []).map((c) => ({
    ...c,
    environment: [...(c.environment ?? []).filter((e) => e.name !== name), { name, value }],
  }))
  // the console's "create new revision" copies the tags, the shipit record among them
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: td.family,
      containerDefinitions,
      requiresCompatibilities: td.requiresCompatibilities,
      networkMode: td.networkMode,
      cpu: td.cpu,
      memory: td.memory,
      executionRoleArn: td.executionRoleArn,
      ...(described?.tags?.length ? { tags: described.tags } : {}),
    }),
  )
  await ecs.send(new UpdateServiceCommand({ cluster: 'hist-dev', service: 'hist-dev', taskDefinition: registered.taskDefinition?.taskDefinitionArn }))
  return true
}

/**
 * Plays a history, then plans and deploys. Each command's output is checked as it comes: it may hold
 * no secret value (now or ever), nor a value set outside shipit, unless app.yaml declares that name
 * plain at that moment (the user vouches for it). Returns every output and the values checked.
 */
async function play(fake: FakeAws, target: Target, ops: Op[], dir: string) {
  const declared = new Map<Name, Declared>()
  const secrets: string[] = []
  const outside: { name: Name; value: string }[] = []
  const outputs: string[] = []
  let n = 0
  const file = join(dir, 'app.yaml')
  const vars = () => Object.fromEntries([...declared].filter(([, d]) => d.secret).map(([k, d]) => [`V_${k}`, d.value]))
  const hidden = () => [...secrets, ...outside.filter((o) => declared.get(o.name)?.secret !== false).map((o) => o.value)]
  const expectHidden = (text: string, what: string) => {
    for (const value of hidden()) expect(text, `${what} after ${JSON.stringify(ops)}`).not.toContain(value)
  }
  const run = async (cmd: typeof Deploy | typeof Plan, args: string[]) => {
    clearSecrets()
    writeFileSync(file, appYaml(target, declared))
    const r = await runCommand(cmd, ['--target', target, '-f', file, ...args], vars())
    expectHidden(`${r.stdout}\n${r.stderr}`, `${cmd === Deploy ? 'deploy' : 'plan'} ${args.join(' ')}`)
    outputs.push(r.stdout, r.stderr)
    return r
  }
  for (const op of ops) {
    n++
    if (op.kind === 'deploy') {
      const r = await run(Deploy, ['--yes'])
      expect(r.code, r.stderr).toBe(0)
    } else if (op.kind === 'secret') {
      const value = `secret${n}-${op.name}-c4nary`
      secrets.push(value)
      declared.set(op.name, { secret: true, value })
    } else if (op.kind === 'plain') declared.set(op.name, { secret: false, value: `plain${n}` })
    else if (op.kind === 'remove') declared.delete(op.name)
    else {
      const value = `outside${n}-${op.name}-c4nary`
      if (await setOutside(fake, target, op.name, value)) outside.push({ name: op.name, value })
    }
  }
  // the channels: text, --json, a saved plan, and a deploy (its plan on stderr, its result)
  await run(Plan, [])
  await run(Plan, ['--json'])
  await run(Plan, ['--out', join(dir, 'plan.json')])
  const saved = readFileSync(join(dir, 'plan.json'), 'utf8')
  expectHidden(saved, 'the saved plan')
  outputs.push(saved)
  await run(Deploy, ['--yes'])
  await run(Deploy, ['--yes', '--json'])
  return { text: outputs.join('\n'), hidden: hidden() }
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('secret' as const, 'plain' as const, 'remove' as const, 'outside' as const), name: fc.constantFrom(...NAMES) }),
  fc.constant({ kind: 'deploy' as const }),
)

describe('undeclared and once-secret live values stay hidden, whatever the history', () => {
  const fake = useFakeAws()

  it('the reported history: marked, unmarked, removed, then a variable added in the console (lambda, version 2+)', async () => {
    fake.reset()
    const ops: Op[] = [
      { kind: 'secret', name: 'API_KEY' },
      { kind: 'secret', name: 'MANUAL_TOKEN' },
      { kind: 'deploy' },
      { kind: 'plain', name: 'API_KEY' },
      { kind: 'remove', name: 'MANUAL_TOKEN' },
      { kind: 'deploy' },
      { kind: 'secret', name: 'API_KEY' },
      { kind: 'deploy' },
      // the function now records API_KEY as secret: the record exists, and does not name MANUAL_TOKEN
      { kind: 'outside', name: 'MANUAL_TOKEN' },
    ]
    const dir = project(appYaml('lambda', new Map()))
    const { text, hidden } = await play(fake, 'lambda', ops, dir)
    expect(hidden).toContain('outside9-MANUAL_TOKEN-c4nary')
    for (const value of hidden) expect(text).not.toContain(value)
    // shown as present and removed, never its value
    expect(text).toMatch(/- Environment\.MANUAL_TOKEN: \(sensitive\)/)
  })

  for (const target of ['lambda', 'fargate'] as const) {
    it(`${target}: every generated history of mark, unmark, remove, deploy and add-outside`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 7 }), async (history) => {
          fake.reset()
          // the first deploy makes what another tool can change
          const ops: Op[] = [{ kind: 'deploy' }, ...history]
          const dir = project(appYaml(target, new Map()))
          // play checks each output as it comes, against what app.yaml declares at that moment
          await play(fake, target, ops, dir)
        }),
        { numRuns: Number(process.env.SHIPIT_HISTORY_RUNS ?? 30) },
      )
    }, 300_000)
  }
})

describe('--show-undeclared', () => {
  const fake = useFakeAws()

  for (const target of ['lambda', 'fargate'] as const) {
    it(`${target}: shows what app.yaml does not declare, and still hides what was secret`, async () => {
      fake.reset()
      const dir = project(appYaml(target, new Map()))
      const { text: before } = await play(
        fake,
        target,
        [{ kind: 'secret', name: 'API_KEY' }, { kind: 'deploy' }, { kind: 'outside', name: 'MANUAL_TOKEN' }],
        dir,
      )
      expect(before).not.toContain('outside3-MANUAL_TOKEN-c4nary')
      // the plan after that history: the deploys above removed the outside value, so set it again
      await setOutside(fake, target, 'MANUAL_TOKEN', 'consoleTokenVALUE123')
      clearSecrets()
      const file = join(dir, 'app.yaml')
      writeFileSync(file, appYaml(target, new Map([['API_KEY', { secret: false, value: 'now-plain' }]])))
      const hiddenRun = await runCommand(Plan, ['--target', target, '-f', file])
      expect(hiddenRun.stdout).toContain('MANUAL_TOKEN')
      expect(hiddenRun.stdout).not.toContain('consoleTokenVALUE123')
      clearSecrets()
      const shown = await runCommand(Plan, ['--target', target, '-f', file, '--show-undeclared'])
      expect(shown.code).toBe(0)
      expect(shown.stdout).toContain('consoleTokenVALUE123')
      // API_KEY was recorded secret when deployed: its old value stays hidden even when asked
      expect(shown.stdout).not.toContain('secret1-API_KEY-c4nary')
      expect(shown.stdout).toContain('now-plain')
    })
  }
})
