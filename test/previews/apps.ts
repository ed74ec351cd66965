/** The manifest of issue 26, as written there. */
export const PREVIEW_APP = `name: web
region: us-west-2
target: fargate
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
environments:
  prod: { container: { count: 3 } }
  "pr-*": { ttl: 3d, container: { count: 1 } }     # any env matching the pattern; expires 3 days after its last deploy
`

/** A function with a URL and previews: the GitHub Actions outputs carry its URL. */
export const LAMBDA_PREVIEW_APP = `name: api
region: us-west-2
target: lambda
env:
  TOKEN: { value: "\${env:API_TOKEN}", secret: true }
function:
  handler: index.handler
  runtime: nodejs22.x
http: { routes: ["$default"] }
environments:
  "pr-*": { ttl: 12h }
`

/** A web service with a URL on fargate (ECS Express Mode) and previews. */
export const EXPRESS_PREVIEW_APP = `name: site
region: us-west-2
target: fargate
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
http: {}
environments:
  "pr-*": { ttl: 1d }
`
