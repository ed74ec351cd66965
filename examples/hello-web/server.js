// A few lines of HTTP: answers / with a greeting and /health with 200, on port 8080.
const http = require('node:http')

http
  .createServer((req, res) => {
    if (req.url === '/health') return res.end('ok\n')
    res.setHeader('content-type', 'text/plain')
    res.end(`hello from ${process.env.HOSTNAME ?? 'fargate'}\n`)
  })
  .listen(Number(process.env.PORT ?? 8080))
