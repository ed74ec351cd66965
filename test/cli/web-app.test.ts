import { describe, expect, it } from 'vitest'
import { cleanEnv, shipit } from '../helpers/cli.js'

const WEB = 'examples/hello-web/app.yaml'

describe('the web app example (container.build + http: on fargate) as a user runs it', () => {
  it('deploy --dry-run --cli with no credentials prints the ECR, build, push, role and create-express-gateway-service steps', async () => {
    const r = await shipit(['deploy', '--target', 'fargate', '--dry-run', '--cli', '-f', WEB], { env: cleanEnv() })
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    const first = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix))
    const has = (text: string) => lines.findIndex((l) => l.includes(text))
    const order = [
      has('aws ecr create-repository'),
      first('docker build --platform linux/arm64'),
      first('docker push "$ECR_REPOSITORY_REPOSITORY_URI":'),
      has('aws ecs register-task-definition'),
      has('--role-name shipit-hello-web-dev-ecs-infra'),
      // the call itself, not the aws CLI check that names it at the top
      has('aws ecs create-express-gateway-service \\'),
    ]
    // each is there, in an order that can run top to bottom
    expect(order.every((i) => i >= 0)).toBe(true)
    expect(order.slice(0, 4)).toEqual([...order.slice(0, 4)].sort((a, b) => a - b))
    expect(order[5]).toBeGreaterThan(order[4])
    // values from earlier steps are captured in variables: the pushed image is pinned by digest
    expect(r.stdout).toContain('--task-definition-arn "${TASK_DEFINITION_ARN}"')
    expect(r.stdout).toContain('IMAGE_PUSH_IMAGE_URI="$ECR_REPOSITORY_REPOSITORY_URI"@"$IMAGE_DIGEST"')
    expect(r.stdout).toContain('--role-name shipit-hello-web-dev-task-exec')
    // the ECR token is piped to docker login, never written out
    expect(r.stdout).toContain('aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin')
    expect(r.stderr).toContain('planning offline')
  })

  it('the text plan shows the build, the push and the Express service', async () => {
    const r = await shipit(['plan', '--target', 'fargate', '-f', WEB], { env: cleanEnv() })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/\+ container:image shipit\/hello-web:[0-9a-f]{16}/)
    expect(r.stdout).toMatch(/\+ ecr:image shipit\/hello-web:[0-9a-f]{16}/)
    expect(r.stdout).toContain('+ ecs:express-service hello-web-dev')
    expect(r.stdout).not.toContain('+ ecs:service ')
  })
})
