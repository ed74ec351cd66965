import { singleQuoted as quote } from '../plan/runbook.js'
import { GITHUB_OIDC_HOST } from './document.js'

/**
 * `shipit policy --github-oidc … --cli`: the aws commands that take an account from nothing to a role
 * GitHub Actions can assume with this policy: the OIDC provider (when missing), the role with its
 * trust policy (updated when it exists) and the policy inline. Safe to run again.
 */

interface SetupScriptInput {
  roleName: string
  /** the account, or undefined: the script asks STS for the caller's */
  account?: string
  accountPlaceholder: string
  partition: string
  trustPolicy: object
  policy: object
  policyName: string
}

/** A JSON document in an unquoted heredoc: the account placeholder becomes ${ACCOUNT_ID}. */
function heredoc(file: string, document: object, placeholder: string): string[] {
  const json = JSON.stringify(document, null, 2).split(placeholder).join('${ACCOUNT_ID}')
  return [`cat > "$WORK/${file}" <<JSON`, json, 'JSON']
}

export function githubSetupScript(input: SetupScriptInput): string {
  const role = quote(input.roleName)
  return [
    '#!/usr/bin/env bash',
    '# The CI deploy role of shipit: GitHub OIDC provider, role, least-privilege inline policy.',
    'set -euo pipefail',
    input.account ? `ACCOUNT_ID=${input.account}` : 'ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text)"',
    'WORK="$(mktemp -d)"',
    'trap \'rm -rf "$WORK"\' EXIT',
    `PROVIDER_ARN="arn:${input.partition}:iam::\${ACCOUNT_ID}:oidc-provider/${GITHUB_OIDC_HOST}"`,
    '',
    "# GitHub's OIDC provider, once per account (IAM trusts GitHub's certificate authority; the thumbprints are for older CLIs that require one)",
    'if ! aws iam get-open-id-connect-provider --open-id-connect-provider-arn "$PROVIDER_ARN" >/dev/null 2>&1; then',
    `  aws iam create-open-id-connect-provider --url https://${GITHUB_OIDC_HOST} --client-id-list sts.amazonaws.com \\`,
    '    --thumbprint-list 6938fd4d98bab03faadb97b34396831e3780aea1 1c58a3a8518e8759bf075b76b750d4f2df264fcd >/dev/null',
    'fi',
    '',
    ...heredoc('trust.json', input.trustPolicy, input.accountPlaceholder),
    ...heredoc('policy.json', input.policy, input.accountPlaceholder),
    '',
    '# the role, or its trust policy when it exists',
    `if aws iam get-role --role-name ${role} >/dev/null 2>&1; then`,
    `  aws iam update-assume-role-policy --role-name ${role} --policy-document "file://$WORK/trust.json"`,
    'else',
    `  aws iam create-role --role-name ${role} --assume-role-policy-document "file://$WORK/trust.json" --description "shipit deploys from GitHub Actions" >/dev/null`,
    'fi',
    `aws iam put-role-policy --role-name ${role} --policy-name ${quote(input.policyName)} --policy-document "file://$WORK/policy.json"`,
    `echo "role-to-assume: arn:${input.partition}:iam::\${ACCOUNT_ID}:role/${input.roleName}"`,
    '',
  ].join('\n')
}
