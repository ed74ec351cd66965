// The shop's API: one Lambda function behind an HTTP API (ANY /{proxy+}); web reads its URL as API_URL.
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ path: event.rawPath, items: [{ id: 1, name: 'tea' }] }),
})
