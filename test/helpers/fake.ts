import { afterAll, beforeAll } from 'vitest'
import { polling } from '../../src/aws/waiters.js'
import { createFakeAws, type FakeAws } from '../fakes/aws.js'
import { fakeCredentials } from './session.js'

/**
 * The in-memory AWS for the enclosing describe: dummy credentials (sessions go online, every client
 * is mocked), shipit's own waiters and the SDK's poll without sleeping (a millisecond), and the real clients come back afterwards.
 * The fake is created in beforeAll (two describes in one file must not mock the clients at once);
 * what is returned forwards to it.
 */
export function useFakeAws(options?: Parameters<typeof createFakeAws>[0]): FakeAws {
  let current: FakeAws | undefined
  const fake = (): FakeAws => {
    if (!current) throw new Error('useFakeAws: the fake exists only inside tests and hooks')
    return current
  }
  beforeAll(() => {
    fakeCredentials()
    polling.intervalMs = 0
    // the SDK's waiters refuse 0; a millisecond keeps their backoff (doubling from here, up to 10 s) without the seconds
    polling.sdkMinDelaySeconds = 0.001
    current = createFakeAws(options)
  })
  afterAll(() => current?.restore())
  return new Proxy({} as FakeAws, {
    get: (_, key) => {
      const value = Reflect.get(fake(), key)
      return typeof value === 'function' ? value.bind(fake()) : value
    },
    set: (_, key, value) => Reflect.set(fake(), key, value),
  })
}
