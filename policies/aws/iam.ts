import { Props, resourceRule } from "../lib/rule";

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

export const iamRules = [iamNoWildcardActions];
