import { SCOPED_DATA_ACTIONS } from "./scopedDataActions";

/**
 * True when a Resource element covers every resource of its kind: "*", or an ARN whose resource part holds only
 * wildcards after its resource type (`secret:*`, `table/*`, `log-group:*`; for S3, which has no type, `*` or `*\/*`).
 */
export function everyResource(resource: string): boolean {
    if (resource === "*") {
        return true;
    }
    const parts = resource.split(":");
    if (parts[0] !== "arn" || parts.length < 6) {
        return false;
    }
    const rest = parts.slice(5).join(":");
    const typed = parts[2] === "s3" ? rest : rest.replace(/^[A-Za-z0-9-]+[/:]/, "");
    return /^[*?/:]*\*[*?/:]*$/.test(typed);
}

/** The named data actions of a statement that AWS scopes to resources but that it grants on every resource. */
export function dataActionsOnEveryResource(actions: string[], resources: string[]): string[] {
    if (!resources.some(everyResource)) {
        return [];
    }
    return actions.filter((a) => !a.includes("*") && !a.includes("?") && SCOPED_DATA_ACTIONS.has(a.toLowerCase()));
}

/** True when a role ARN given to iam:PassRole names more than one role: a wildcard anywhere (the account's every ARN, a name prefix). */
export function passesAnyRole(resource: string): boolean {
    return /[*?]/.test(resource);
}
