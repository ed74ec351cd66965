import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { healthUrl, waitUntilHealthy } from '../../src/engine/health-check.js'

/** The check of `shipit move` against a loopback server: real sockets, real timeouts. */
describe('waitUntilHealthy', () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    server = undefined
  })

  const serve = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    server = createServer(handler)
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('retries 5xx until a status below 500, on the health path, and says each failed attempt', async () => {
    const paths: string[] = []
    const base = await serve((req, res) => {
      paths.push(req.url ?? '')
      res.statusCode = paths.length < 3 ? 503 : 404
      res.end(paths.length < 3 ? 'warming up' : 'no such page')
    })
    const lines: string[] = []
    const result = await waitUntilHealthy(healthUrl(`${base}/`, '/health'), { timeoutMs: 10_000, progress: (l) => lines.push(l) })
    // a 404 is an answer: the app is up (only 5xx and no answer count as down)
    expect(result).toMatchObject({ status: 404, attempts: 3 })
    expect(paths).toEqual(['/health', '/health', '/health'])
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/503 warming up \(attempt 1, .* of 10s\); again in 1s/)
  })

  it('a server that never answers: each request cut at its timeout, the check at its bound (exit 1)', async () => {
    let requests = 0
    const base = await serve(() => {
      requests++
      // never answers
    })
    const started = Date.now()
    const check = waitUntilHealthy(`${base}/`, { timeoutMs: 2_500, requestTimeoutMs: 300 })
    await expect(check).rejects.toMatchObject({ code: 'HealthCheckFailed', exitCode: 1 })
    await expect(check).rejects.toThrow(/did not answer with a status below 500 within 2.5s: last no answer within 0\.3s \(\d attempts\)/)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(requests).toBeGreaterThanOrEqual(2)
  })

  it('an endless 5xx body: at most 4 KB is read and quoted, cut to one short line', async () => {
    let sent = 0
    const base = await serve((_, res) => {
      res.writeHead(502)
      const chunk = 'x'.repeat(16_384)
      const pump = () => {
        while (res.write(chunk)) {
          sent += chunk.length
          if (sent > 64 * 1024 * 1024) return res.end()
        }
        sent += chunk.length
        res.once('drain', pump)
      }
      pump()
    })
    const check = waitUntilHealthy(`${base}/`, { timeoutMs: 500 })
    await expect(check).rejects.toThrow(/last 502 x{200}… \(1 attempt\)/)
    // the client hung up long before the 64 MB the server would send
    expect(sent).toBeLessThan(8 * 1024 * 1024)
  })

  it('an abort stops it between attempts, with the signal reason', async () => {
    const base = await serve((_, res) => {
      res.statusCode = 500
      res.end()
    })
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('received SIGINT')), 200)
    await expect(waitUntilHealthy(`${base}/`, { timeoutMs: 60_000, signal: controller.signal })).rejects.toThrow('received SIGINT')
  })

  it("with via: connects to that host, the URL's name kept as the Host header (a domain asked before its records point there); only the given status passes", async () => {
    const hosts: string[] = []
    const base = await serve((req, res) => {
      hosts.push(String(req.headers.host))
      // a name the endpoint does not serve yet (an unmapped API Gateway domain): 403 first
      res.statusCode = hosts.length < 2 ? 403 : 200
      res.end('ok')
    })
    const { port } = new URL(base)
    const result = await waitUntilHealthy(`http://api.example.invalid:${port}/health`, { timeoutMs: 10_000, via: '127.0.0.1', status: 200 })
    expect(result).toMatchObject({ status: 200, attempts: 2 })
    expect(hosts).toEqual([`api.example.invalid:${port}`, `api.example.invalid:${port}`])
  })
})
