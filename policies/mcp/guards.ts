import { PolicyResource } from "@pulumi/policy";
import { Props } from "../lib/rule";
import { containersOf as podContainersOf, podSpecOf, POD_TYPES } from "../kubernetes/pods";

const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?(\/|$)/;

/** What the MCP guard deployed in front of one server does with undeclared arguments. */
export interface DeployedGuard {
    /** Tools it leaves open (GUARD_ALLOW_UNDECLARED_ARGUMENTS); every other tool's unset schemas it closes. */
    allowUndeclaredArguments: string[];
}

/** Inline environment of a container: ECS `environment` and Kubernetes `env` are both lists of {name, value}. */
function envOf(c: Props): Record<string, string> {
    const list = ((c.environment ?? c.env ?? []) as Props[]);
    return Object.fromEntries(list.filter((e) => typeof e?.value === "string").map((e) => [String(e.name), e.value as string]));
}

/** The containers of an ECS task definition (its JSON input) or of a Kubernetes workload's pod template. */
function containersIn(r: Pick<PolicyResource, "type" | "props">): Props[] {
    if (r.type === TASK_DEFINITION) {
        const raw = r.props.containerDefinitions;
        try {
            const parsed = typeof raw === "string" ? JSON.parse(raw) as unknown : raw;
            return Array.isArray(parsed) ? parsed as Props[] : [];
        } catch {
            return [];
        }
    }
    const pod = POD_TYPES.includes(r.type) ? podSpecOf(r.type, r.props) : undefined;
    return pod ? podContainersOf(pod) : [];
}

/**
 * The MCP guards the stack deploys, by the server they stand in front of: containers configured as the guard reads
 * its settings (guard/src/settings.ts), GUARD_SERVER_NAME naming the server and GUARD_UPSTREAM_URL on loopback, in an
 * ECS task definition or a Kubernetes pod template. Several guards of one server: the opt-outs of all of them.
 */
export function deployedGuards(resources: PolicyResource[]): Map<string, DeployedGuard> {
    const guards = new Map<string, DeployedGuard>();
    for (const { server, env } of guardEnvironments(resources)) {
        const open = (env.GUARD_ALLOW_UNDECLARED_ARGUMENTS ?? "").split(",").map((t) => t.trim()).filter((t) => t.length > 0);
        const seen = guards.get(server);
        guards.set(server, { allowUndeclaredArguments: [...new Set([...(seen?.allowUndeclaredArguments ?? []), ...open])] });
    }
    return guards;
}

/**
 * Every MCP guard container of the resources, in order, with the server it stands in front of and its inline
 * environment (the settings the guard reads): the containers {@link deployedGuards} judges.
 */
export function guardEnvironments(resources: Pick<PolicyResource, "type" | "props">[]): { server: string; env: Record<string, string> }[] {
    return resources.flatMap((r) => containersIn(r).map(envOf))
        .filter((env) => env.GUARD_SERVER_NAME !== undefined && env.GUARD_SERVER_NAME !== "" && LOOPBACK_HTTP.test(env.GUARD_UPSTREAM_URL ?? ""))
        .map((env) => ({ server: env.GUARD_SERVER_NAME, env }));
}
