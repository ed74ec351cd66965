// A hello-world handler for an API Gateway HTTP API (payload format 2.0).
export const handler = async (event) => {
  const name = event.queryStringParameters?.name ?? process.env.GREETING ?? 'world'
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `hello, ${name}`, path: event.rawPath }),
  }
}
