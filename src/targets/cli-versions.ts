import type { CliVersions } from '../plan/catalogue.js'

/**
 * aws CLI releases (v1, v2) that know a command or an option, from the CLI's own changelogs
 * (CHANGELOG.rst of aws/aws-cli on its develop and v2 branches): the release whose entry announces the
 * API change. The descriptors of the catalogues name them; the runbook checks the newest one it uses.
 */

/**
 * APIs older than aws CLI v2 itself (2.0.0, February 2020): every v2 release knows them, and v1 1.18.0,
 * a release of the same month, does too. The v1 changelog of those years says only "update X command
 * to latest version", so 1.18.0 is a release known to have them, not necessarily the first.
 */
export const BEFORE_2020: CliVersions = { v1: '1.18.0', v2: '2.0.0' }

/** Lambda `--architectures` (Graviton2 functions, 2021-09-29). */
export const LAMBDA_ARCHITECTURES: CliVersions = { v1: '1.20.51', v2: '2.2.43' }

/** Lambda's V2 waiters (function-active-v2, function-updated-v2, published-version-active): the models of 2022-02-24. */
export const LAMBDA_V2_WAITERS: CliVersions = { v1: '1.22.61', v2: '2.4.21' }

/** Lambda `--logging-config` (2023-11-16). */
export const LAMBDA_LOGGING_CONFIG: CliVersions = { v1: '1.30.2', v2: '2.13.37' }

/** CloudWatch Logs tag-resource, the tagging API for log groups ("support tagging for destinations and log groups with TagResource"). */
export const LOGS_TAG_RESOURCE: CliVersions = { v1: '1.26.5', v2: '2.8.8' }

/** ECS `runtimePlatform` of register-task-definition (Fargate on Windows and ARM, 2021-10-28). */
export const ECS_RUNTIME_PLATFORM: CliVersions = { v1: '1.21.6', v2: '2.3.2' }

/** ECS Express Mode: create-, update-, delete-express-gateway-service ("Launching Amazon ECS Express Mode"). */
export const ECS_EXPRESS: CliVersions = { v1: '1.43.1', v2: '2.32.2' }

/**
 * `--task-definition-arn` of the Express gateway service commands ("bring-your-own task-definition"; the
 * models of the CLI's 2026-06-17 update, the API change dated 2026-07-01 in issue 20).
 */
export const ECS_EXPRESS_TASK_DEFINITION: CliVersions = { v1: '1.45.32', v2: '2.35.7' }

/**
 * S3's bucket owner condition (`--expected-bucket-owner`, an API change of 2020-09-30). The changelog
 * entry was not at hand: v1 1.19.0 and v2 2.1.0 are releases known to come after it, so the check is
 * conservative (it may refuse a CLI of October 2020 that would work), never too early.
 */
export const S3_EXPECTED_BUCKET_OWNER: CliVersions = { v1: '1.19.0', v2: '2.1.0' }

/**
 * Lambda alias `--routing-config` (weighted aliases, 2017-11-28, "Lambda aliases can now shift traffic
 * between two function versions"): older than aws CLI v2, so every v2 and v1 1.18.0 know it. Named so
 * the runbook's shift says what it needs.
 */
export const LAMBDA_ROUTING_CONFIG: CliVersions = BEFORE_2020

/** EventBridge Scheduler, the `aws scheduler` commands ("AWS introduces the new Amazon EventBridge Scheduler", 2022-11-10). */
export const SCHEDULER: CliVersions = { v1: '1.27.7', v2: '2.8.12' }
