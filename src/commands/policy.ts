import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { manifestFlags } from '../cli/flags.js'
import { type DerivedPolicy, derivePolicy, type PolicyFor } from '../engine/policy.js'
import { EXIT_CODES_HELP } from '../errors.js'
import { TARGETS } from '../manifest/schema.js'
import { POLICY_USES } from '../plan/permissions.js'
import { githubSetupScript } from '../policy/setup-script.js'
import { ACCOUNT_PLACEHOLDER } from '../targets/target.js'

export default class PolicyCommand extends BaseCommand {
  static summary = "Print the IAM policy shipit's deployer needs for this app, derived from the operations shipit sends."
  static description =
    `Every action of every operation the targets may send (reads included), on this app's resources only: names <app>-<env>, roles shipit-<app>-<env>-*, log groups /shipit/<app>/<env>, the ECR repository shipit/<app>, the artifacts bucket; the shipit:app tag where AWS names a resource by an id. "*" only for actions that take no resource-level permissions. iam:PassRole only for the app's roles, to the one service each is for.

--github-oidc OWNER/REPO[:ENVIRONMENT] adds the trust policy of a role GitHub Actions assumes: sub repo:OWNER/REPO:environment:ENVIRONMENT, or repo:OWNER/REPO:ref:refs/heads/main without one. --cli prints the aws commands that make the OIDC provider (when missing), the role and its inline policy.

The account is the caller's (STS) when credentials are configured, --account, or a placeholder to replace.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> policy',
    '<%= config.bin %> policy --target lambda --env prod --for deploy --json',
    '<%= config.bin %> policy --target fargate --target lambda --for move',
    '<%= config.bin %> policy --github-oidc my-org/my-repo --cli > setup-ci-role.sh',
  ]
  static flags = {
    ...manifestFlags,
    target: Flags.string({
      char: 't',
      summary: 'The target(s) the policy is for, repeatable (a move: --target fargate --target lambda); default: every target app.yaml can go to.',
      options: [...TARGETS],
      multiple: true,
    }),
    for: Flags.string({
      summary:
        'The commands the policy is for, repeatable: plan (reads), deploy, destroy, move (plan + deploy + destroy), or all (with run, rollback, logs, status).',
      options: [...POLICY_USES.filter((u) => u !== 'other'), 'move', 'all'],
      multiple: true,
      default: ['all'],
    }),
    region: Flags.string({ summary: 'AWS region of the ARNs; else region: in app.yaml, AWS_REGION, or the profile.', helpValue: 'us-west-2' }),
    profile: Flags.string({ summary: 'Named profile whose account the policy is for.', env: 'AWS_PROFILE' }),
    account: Flags.string({ summary: 'The AWS account id of the ARNs (else the caller’s, or a placeholder without credentials).', helpValue: '123456789012' }),
    'github-oidc': Flags.string({
      summary: 'Also the trust policy of a role GitHub Actions assumes from OWNER/REPO (only jobs of ENVIRONMENT when given, else the main branch).',
      helpValue: 'OWNER/REPO[:ENVIRONMENT]',
    }),
    'role-name': Flags.string({ summary: 'Name of the deployer role of --github-oidc; default shipit-deployer-<app>.', dependsOn: ['github-oidc'] }),
    cli: Flags.boolean({ summary: 'Print the aws commands that create the OIDC provider, the role and its policy.', dependsOn: ['github-oidc'] }),
  }

  async run(): Promise<DerivedPolicy> {
    const { flags } = await this.parse(PolicyCommand)
    const derived = await derivePolicy({
      file: flags.file,
      target: flags.target,
      env: flags.env,
      for: flags.for as PolicyFor[],
      region: flags.region,
      profile: flags.profile,
      account: flags.account,
      github: flags['github-oidc'],
      roleName: flags['role-name'],
    })
    if (derived.accountFrom === 'placeholder') {
      this.note(
        `no AWS credentials: ${ACCOUNT_PLACEHOLDER} stands for your account id; replace it, or pass --account${flags.cli ? ' (the script asks STS for it)' : ''}`,
      )
    }
    const scope = `${derived.app} (${derived.env === '*' ? 'every env' : derived.env}) on ${derived.targets.join(', ')} in ${derived.region}, for ${derived.for.join(', ')}`
    if (flags.cli && derived.github) {
      this.note(`# the CI deploy role of ${scope}; trusts ${derived.github.subject}`)
      this.out(
        githubSetupScript({
          roleName: derived.github.roleName,
          account: derived.accountFrom === 'placeholder' ? undefined : derived.account,
          accountPlaceholder: ACCOUNT_PLACEHOLDER,
          partition: derived.partition,
          trustPolicy: derived.github.trustPolicy,
          policy: derived.policy,
          policyName: `shipit-deploy-${derived.app}`,
        }),
      )
      return derived
    }
    this.note(`# the deployer policy of ${scope}`)
    this.out(JSON.stringify(derived.policy, null, 2))
    if (derived.github) {
      this.note(`# the trust policy of role ${derived.github.roleName}: GitHub Actions jobs whose token says sub = ${derived.github.subject}`)
      this.out(JSON.stringify(derived.github.trustPolicy, null, 2))
    }
    return derived
  }
}
