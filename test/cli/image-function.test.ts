import { describe, expect, it } from 'vitest'
import { cleanEnv, shipit } from '../helpers/cli.js'

const WEB = 'examples/hello-web/app.yaml'

describe('hello-web on --target lambda as a user runs it', () => {
  it('deploy --dry-run --cli with no credentials prints the adapter build, the ECR push and the image function', async () => {
    const r = await shipit(['deploy', '--target', 'lambda', '--dry-run', '--cli', '-f', WEB], { env: cleanEnv() })
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    const at = (text: string) => lines.findIndex((l) => l.includes(text))
    const order = [
      at('aws ecr create-repository'),
      // the generated Dockerfile, written outside the app's tree: the user's Dockerfile, then the adapter
      at('SHIPIT_BUILD_DIR=$(mktemp -d)'),
      at('COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1@sha256:'),
      at('ENV AWS_LWA_PORT="8080" AWS_LWA_READINESS_CHECK_PATH="/health"'),
      at('docker build --platform linux/arm64 --provenance=false --file "$SHIPIT_BUILD_DIR/Dockerfile"'),
      at('docker push "$ECR_REPOSITORY_REPOSITORY_URI":lambda-'),
      at('IMAGE_PUSH_IMAGE_URI="$ECR_REPOSITORY_REPOSITORY_URI"@"$IMAGE_DIGEST"'),
      at('aws lambda create-function \\'),
      at('--package-type Image'),
      at('aws apigatewayv2 create-api'),
    ]
    expect(order.every((i) => i >= 0)).toBe(true)
    expect(order).toEqual([...order].sort((a, b) => a - b))
    // the function takes the pushed image by digest, known once the push ran; no runtime, no handler
    expect(r.stdout).toContain('--code ImageUri="${IMAGE_PUSH_IMAGE_URI}"')
    const create = r.stdout.slice(r.stdout.indexOf('aws lambda create-function \\'), r.stdout.indexOf('need FUNCTION_ARN'))
    expect(create).not.toMatch(/--runtime|--handler|--zip-file/)
    expect(r.stderr).toContain('planning offline')
  })

  it('the text plan names the image function and its image, built with the adapter', async () => {
    const r = await shipit(['plan', '--target', 'lambda', '-f', WEB], { env: cleanEnv() })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/\+ container:image shipit\/hello-web:lambda-[0-9a-f]{16}/)
    expect(r.stdout).toContain('+ PackageType: "Image"')
    expect(r.stdout).toContain('+ ImageUri: (known after apply)')
  })

  it('a container that cannot run on Lambda exits 3 at its line, with no AWS call', async () => {
    const r = await shipit(['validate', '--target', 'lambda', '-f', 'test/fixtures/manifests/invalid/lambda-image-task.yaml'], { env: cleanEnv() })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/lambda-image-task\.yaml:\d+:\d+: container\.mode task is a one-off job, not an HTTP app/)
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
  })
})
