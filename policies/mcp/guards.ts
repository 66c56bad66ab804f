import { PolicyResource } from "@pulumi/policy";
import { taskContainersOf } from "../lib/ecs";
import { guardContainer, GuardContainer } from "../lib/guard";
import { Props } from "../lib/rule";
import { containersOf as podContainersOf, podSpecOf, POD_TYPES } from "../kubernetes/pods";

const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";

/** What the MCP guard deployed in front of one server does with undeclared arguments. */
export interface DeployedGuard {
    /** Tools it leaves open (GUARD_ALLOW_UNDECLARED_ARGUMENTS); every other tool's unset schemas it closes. */
    allowUndeclaredArguments: string[];
}

/** The containers of an ECS task definition (its JSON input) or of a Kubernetes workload's pod template. */
function containersIn(r: Pick<PolicyResource, "type" | "props">): Props[] {
    if (r.type === TASK_DEFINITION) {
        return taskContainersOf(r.props) ?? [];
    }
    const pod = POD_TYPES.includes(r.type) ? podSpecOf(r.type, r.props) : undefined;
    return pod ? podContainersOf(pod) : [];
}

/**
 * The MCP guards the stack deploys, by the server they stand in front of: containers configured as the guard reads
 * its settings (policies/lib/guard.ts: GUARD_SERVER_NAME naming the server, GUARD_UPSTREAM_URL on loopback), in an
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
    return resources.flatMap((r) => containersIn(r).map(guardContainer))
        .filter((g): g is GuardContainer => g !== undefined)
        .map((g) => ({ server: g.server, env: g.env }));
}
