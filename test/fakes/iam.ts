import type { FakeContext } from './context.js'
import { awsError, decodeToken, encodeToken, type Handlers } from './core.js'

type Rec = Record<string, any>

export interface IamRoleRecord {
  /** Role as GetRole returns it, except AssumeRolePolicyDocument is stored decoded (raw JSON text) */
  role: Rec
  attachedPolicyArns: string[]
  /** inline policies: name -> raw JSON document */
  inlinePolicies: Map<string, string>
  tags: { Key: string; Value: string }[]
}

export interface IamState {
  /** keyed by lower-cased role name (IAM role names are case-insensitive) */
  roles: Map<string, IamRoleRecord>
}

export function createIamState(): IamState {
  return { roles: new Map() }
}

const err = (name: string, message: string) => awsError('iam', name, message)

/** 'ok' when the role exists in the fake account and its trust policy allows `service` to assume it */
export function roleTrustStatus(ctx: FakeContext, roleArn: string, service: string): 'ok' | 'missing' | 'untrusted' | 'foreign' {
  const m = /^arn:aws[a-zA-Z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn)
  if (!m) return 'missing'
  if (m[1] !== ctx.account) return 'foreign'
  const rec = ctx.state.iam.roles.get(m[2].toLowerCase())
  if (!rec || rec.role.Arn !== roleArn) return 'missing'
  try {
    const doc = JSON.parse(rec.role.AssumeRolePolicyDocument)
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]
    for (const s of statements) {
      const actions = [s.Action].flat()
      const services = [s.Principal?.Service ?? []].flat()
      // the service assumes the role on behalf of a resource of this account: a condition naming another one never matches
      const sourceAccount = s.Condition?.StringEquals?.['aws:SourceAccount']
      if (sourceAccount !== undefined && sourceAccount !== ctx.account) continue
      if (s.Effect === 'Allow' && actions.some((a: string) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*') && services.includes(service)) return 'ok'
    }
  } catch {
    return 'untrusted'
  }
  return 'untrusted'
}

function checkDoc(doc: unknown): string {
  if (typeof doc !== 'string') throw err('MalformedPolicyDocumentException', 'This policy contains invalid Json')
  try {
    const parsed = JSON.parse(doc)
    if (typeof parsed !== 'object' || parsed === null || !parsed.Statement) {
      throw err('MalformedPolicyDocumentException', 'Syntax errors in policy.')
    }
  } catch (e) {
    if ((e as Error).name === 'MalformedPolicyDocumentException') throw e
    throw err('MalformedPolicyDocumentException', 'This policy contains invalid Json')
  }
  return doc
}

export function iamHandlers(ctx: FakeContext): Handlers {
  const roles = () => ctx.state.iam.roles
  const getRec = (name: string | undefined): IamRoleRecord => {
    const rec = name ? roles().get(name.toLowerCase()) : undefined
    if (!rec) throw err('NoSuchEntityException', `The role with name ${name} cannot be found.`)
    return rec
  }
  const out = (rec: IamRoleRecord): Rec => {
    const r: Rec = { ...rec.role, AssumeRolePolicyDocument: encodeURIComponent(rec.role.AssumeRolePolicyDocument) }
    if (rec.tags.length) r.Tags = rec.tags
    return r
  }
  const pageOf = <T>(items: T[], marker: string | undefined, max: number | undefined) => {
    const start = decodeToken(marker, 'iam') ?? 0
    if (start < 0) throw err('InvalidInputException', 'Invalid Marker.')
    const size = max ?? 100
    const slice = items.slice(start, start + size)
    const truncated = start + size < items.length
    return { slice, IsTruncated: truncated, Marker: truncated ? encodeToken(start + size, 'iam') : undefined }
  }
  const mergeTags = (rec: IamRoleRecord, tags: { Key: string; Value: string }[] = []) => {
    for (const t of tags) {
      const i = rec.tags.findIndex((x) => x.Key === t.Key)
      if (i >= 0) rec.tags[i] = { Key: t.Key, Value: t.Value ?? '' }
      else rec.tags.push({ Key: t.Key, Value: t.Value ?? '' })
    }
    if (rec.tags.length > 50) throw err('LimitExceededException', 'Cannot exceed quota for TagsPerRole: 50.')
  }

  return {
    GetRole: (input) => ({ Role: out(getRec(input.RoleName)) }),

    ListRoles: (input) => {
      const all = [...roles().values()]
        .filter((r) => !input.PathPrefix || r.role.Path.startsWith(input.PathPrefix))
        .sort((a, b) => a.role.RoleName.localeCompare(b.role.RoleName))
        .map((r) => {
          const { Tags: _t, ...rest } = out(r)
          return rest
        })
      const p = pageOf(all, input.Marker, input.MaxItems)
      return { Roles: p.slice, IsTruncated: p.IsTruncated, Marker: p.Marker }
    },

    CreateRole: (input) => {
      const name: string = input.RoleName
      if (!name || !/^[\w+=,.@-]{1,64}$/.test(name)) {
        throw awsError(
          'iam',
          'ValidationError',
          `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
        )
      }
      if (roles().has(name.toLowerCase())) throw err('EntityAlreadyExistsException', `Role with name ${name} already exists.`)
      const path: string = input.Path ?? '/'
      if (!/^\/(.*\/)?$/.test(path))
        throw awsError(
          'iam',
          'ValidationError',
          `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
        )
      const doc = checkDoc(input.AssumeRolePolicyDocument)
      const rec: IamRoleRecord = {
        role: {
          Path: path,
          RoleName: name,
          RoleId: `AROA${ctx.ids.upperAlnum(17)}`,
          Arn: `arn:aws:iam::${ctx.account}:role${path}${name}`,
          CreateDate: ctx.now(),
          AssumeRolePolicyDocument: doc,
          Description: input.Description,
          MaxSessionDuration: input.MaxSessionDuration ?? 3600,
          PermissionsBoundary: input.PermissionsBoundary ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: input.PermissionsBoundary } : undefined,
          RoleLastUsed: {},
        },
        attachedPolicyArns: [],
        inlinePolicies: new Map(),
        tags: [],
      }
      for (const k of Object.keys(rec.role)) if (rec.role[k] === undefined) delete rec.role[k]
      mergeTags(rec, input.Tags)
      roles().set(name.toLowerCase(), rec)
      const r = out(rec)
      delete r.RoleLastUsed
      delete r.MaxSessionDuration
      return { Role: r }
    },

    DeleteRole: (input) => {
      const rec = getRec(input.RoleName)
      if (rec.attachedPolicyArns.length) throw err('DeleteConflictException', 'Cannot delete entity, must detach all policies first.')
      if (rec.inlinePolicies.size) throw err('DeleteConflictException', 'Cannot delete entity, must delete policies first.')
      roles().delete(rec.role.RoleName.toLowerCase())
      return {}
    },

    UpdateRole: (input) => {
      const rec = getRec(input.RoleName)
      if (input.Description !== undefined) rec.role.Description = input.Description
      if (input.MaxSessionDuration !== undefined) rec.role.MaxSessionDuration = input.MaxSessionDuration
      return {}
    },

    UpdateAssumeRolePolicy: (input) => {
      const rec = getRec(input.RoleName)
      rec.role.AssumeRolePolicyDocument = checkDoc(input.PolicyDocument)
      return {}
    },

    AttachRolePolicy: (input) => {
      const rec = getRec(input.RoleName)
      const arn: string = input.PolicyArn ?? ''
      if (!/^arn:aws[a-zA-Z-]*:iam::(aws|\d{12}):policy\/.+/.test(arn)) throw err('InvalidInputException', `ARN ${arn} is not valid.`)
      if (!rec.attachedPolicyArns.includes(arn)) rec.attachedPolicyArns.push(arn)
      if (rec.attachedPolicyArns.length > 10) {
        rec.attachedPolicyArns.pop()
        throw err('LimitExceededException', 'Cannot exceed quota for PoliciesPerRole: 10.')
      }
      return {}
    },

    DetachRolePolicy: (input) => {
      const rec = getRec(input.RoleName)
      if (!rec.attachedPolicyArns.includes(input.PolicyArn)) throw err('NoSuchEntityException', `Policy ${input.PolicyArn} was not found.`)
      rec.attachedPolicyArns = rec.attachedPolicyArns.filter((a) => a !== input.PolicyArn)
      return {}
    },

    ListAttachedRolePolicies: (input) => {
      const rec = getRec(input.RoleName)
      const all = rec.attachedPolicyArns
        .map((PolicyArn) => ({ PolicyName: PolicyArn.split('/').pop() as string, PolicyArn }))
        .filter((p) => !input.PathPrefix || p.PolicyArn.split(':policy')[1].startsWith(input.PathPrefix))
      const p = pageOf(all, input.Marker, input.MaxItems)
      return { AttachedPolicies: p.slice, IsTruncated: p.IsTruncated, Marker: p.Marker }
    },

    PutRolePolicy: (input) => {
      const rec = getRec(input.RoleName)
      if (!input.PolicyName || !/^[\w+=,.@-]{1,128}$/.test(input.PolicyName)) {
        throw awsError(
          'iam',
          'ValidationError',
          `1 validation error detected: Value '${input.PolicyName}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
        )
      }
      rec.inlinePolicies.set(input.PolicyName, checkDoc(input.PolicyDocument))
      return {}
    },

    GetRolePolicy: (input) => {
      const rec = getRec(input.RoleName)
      const doc = rec.inlinePolicies.get(input.PolicyName)
      if (doc === undefined) throw err('NoSuchEntityException', `The role policy with name ${input.PolicyName} cannot be found.`)
      return { RoleName: rec.role.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(doc) }
    },

    DeleteRolePolicy: (input) => {
      const rec = getRec(input.RoleName)
      if (!rec.inlinePolicies.has(input.PolicyName)) throw err('NoSuchEntityException', `The role policy with name ${input.PolicyName} cannot be found.`)
      rec.inlinePolicies.delete(input.PolicyName)
      return {}
    },

    ListRolePolicies: (input) => {
      const rec = getRec(input.RoleName)
      const p = pageOf([...rec.inlinePolicies.keys()].sort(), input.Marker, input.MaxItems)
      return { PolicyNames: p.slice, IsTruncated: p.IsTruncated, Marker: p.Marker }
    },

    TagRole: (input) => {
      mergeTags(getRec(input.RoleName), input.Tags)
      return {}
    },

    UntagRole: (input) => {
      const rec = getRec(input.RoleName)
      rec.tags = rec.tags.filter((t) => !(input.TagKeys ?? []).includes(t.Key))
      return {}
    },

    ListRoleTags: (input) => {
      const rec = getRec(input.RoleName)
      const p = pageOf(rec.tags, input.Marker, input.MaxItems)
      return { Tags: p.slice, IsTruncated: p.IsTruncated, Marker: p.Marker }
    },
  }
}
