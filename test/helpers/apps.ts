/** The smallest container apps the reliability tests deploy against the in-memory AWS. */
export const MINIMAL_SERVICE = `
name: web
region: us-west-2
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  mode: service
  count: 1
`
export const MINIMAL_TASK = `
name: job
region: us-west-2
container:
  image: public.ecr.aws/docker/library/busybox:stable
  command: ["true"]
  mode: task
`
