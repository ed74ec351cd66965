import { AwsClients } from '../src/aws/clients.js'
import { ensureLockTable } from '../src/lock/lease.js'
import { createFakeAws } from '../test/fakes/aws.js'
import { startFakeEndpoint } from '../test/helpers/fake-endpoint.js'
import { fakeCredentials } from '../test/helpers/session.js'
import { cliContext, shipitByCli } from './tutorial-cli.js'
import { example } from './flows.js'
fakeCredentials()
const fake = createFakeAws({ region: 'us-west-2' })
const ep = await startFakeEndpoint(fake)
const c = cliContext(ep.url, fake.region, fake.account)
const app = example('hello-lambda')
for (let i = 0; i < 2; i++) {
fake.reset(); const cl = new AwsClients({ region: 'us-west-2' }); await ensureLockTable(cl); cl.destroy(); fake.calls.length = 0
fake.latencyMs = 100
const t0 = Date.now()
await shipitByCli(c, app)
const end = Date.now()
console.log(fake.calls.map((x) => `${x.at - t0} ${x.service}:${x.operation}`).join('\n'), '\nend', end - t0)
}
await ep.close(); fake.restore()
