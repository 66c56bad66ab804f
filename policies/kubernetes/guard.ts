import { PolicyResource } from "@pulumi/policy";
import { ofType, Props, stackRule } from "../lib/rule";
import { guardContainer, GuardContainer } from "../lib/guard";
import { containersOf } from "./pods";
import { mcpNamespaces, namespaceOfObject, scopeConfigSchema, selects, systemNamespacesOf, Workload } from "./scope";

const SERVICE = "kubernetes:core/v1:Service";
const DIGEST = /@sha256:[a-f0-9]{64}$/;

interface Guard extends GuardContainer {
    container: Props;
    /** The port it listens on. */
    port: number;
}

/** A container configured as the MCP guard (policies/lib/guard.ts), with the container itself. */
function guardOf(c: Props): Guard | undefined {
    const g = guardContainer(c);
    return g ? { ...g, container: c, port: g.listenPort } : undefined;
}

/** The ports the MCP guards of a pod listen on (empty when the pod runs no guard). */
export function guardPortsOf(podSpec: Props): number[] {
    return containersOf(podSpec).map(guardOf).filter((g): g is Guard => g !== undefined).map((g) => g.port);
}

/** What a Service port's targetPort reaches in a pod: a port number, and the container that declares it (if any). */
function resolveTarget(target: unknown, containers: Props[]): { port?: number; container?: Props; name?: string } {
    if (typeof target === "number" || (typeof target === "string" && /^\d+$/.test(target))) {
        const port = Number(target);
        return { port, container: containers.find((c) => ((c.ports ?? []) as Props[]).some((p) => p.containerPort === port)) };
    }
    const name = String(target);
    for (const c of containers) {
        const p = ((c.ports ?? []) as Props[]).find((cp) => cp.name === name);
        if (p) {
            return { port: Number(p.containerPort), container: c, name };
        }
    }
    return { name };
}

/** Services of the workload's namespace whose selector picks its pods. */
function servicesOf(w: Workload, services: PolicyResource[]): PolicyResource[] {
    return services.filter((svc) => {
        const selector = (svc.props.spec?.selector ?? {}) as Record<string, string>;
        return namespaceOfObject(svc) === w.namespace && Object.keys(selector).length > 0 && selects({ matchLabels: selector }, w.podLabels);
    });
}

export const reachableOnlyThroughGuard = stackRule({
    name: "kubernetes-mcp-reachable-only-through-guard",
    description: "Every MCP server workload (the layer's marker label, an http-mcp port, or an McpServer's image) must run the MCP guard in its pod (a container configured with GUARD_UPSTREAM_URL on loopback), with the guard image pinned by digest, and every Service that selects its pods must target the guard's port: no Service port may target the server's port (its McpServer port, the guard's upstream port, or a port a non-guard container declares), another port, or a named port no container declares. Then the token, the scope per tool, the pinned tools, argument schemas and DLP are checked on every request.",
    severity: "high",
    controls: ["S2", "C1", "C3", "S6", "C5"],
    nist: ["AC-3", "AC-4", "SI-10", "SC-7", "SI-7"],
    maestro: ["L3", "L4", "L6"],
    threats: ["T1", "T4", "T7"],
    remediation: "Set mcpsec:guard.image (the guard image by digest) and mcpsec:kubernetes.clientIds and remove mcpsec:guard.allowUnguarded: McpWorkload (components/kubernetes) then runs the guard beside the server, binds the server to 127.0.0.1 and points the Service at the guard's port; in your own manifests add the guard container and set the Service's targetPort to its port.",
    configSchema: scopeConfigSchema,
}, (resources, args, report) => {
    const services = ofType(resources, SERVICE);
    for (const ns of mcpNamespaces(resources, systemNamespacesOf(args.getConfig<{ systemNamespaces?: string[] }>()))) {
        for (const w of ns.workloads.filter((wl) => wl.mcpMarker !== undefined)) {
            const containers = containersOf(w.podSpec);
            const guards = containers.map(guardOf).filter((g): g is Guard => g !== undefined);
            if (guards.length === 0) {
                report(`${w.label} runs an MCP server (${w.mcpMarker}) without the MCP guard in its pod: requests reach the server with no token, per-tool scope, pinned-tool or DLP check.`, w.resource.urn);
            }
            for (const g of guards) {
                if (!DIGEST.test(String(g.container.image ?? ""))) {
                    report(`${w.label}: the guard container ${g.container.name} runs image ${g.container.image}, not pinned by digest.`, w.resource.urn);
                }
            }
            const guardContainers = new Set(guards.map((g) => g.container));
            const guardPorts = new Set(guards.map((g) => g.port));
            const serverPorts = new Set<number>([
                ...(w.server?.port !== undefined ? [w.server.port] : []),
                ...guards.map((g) => g.upstreamPort),
                ...containers.filter((c) => !guardContainers.has(c)).flatMap((c) => ((c.ports ?? []) as Props[]).map((p) => Number(p.containerPort))),
            ].filter((p) => !guardPorts.has(p)));
            for (const svc of servicesOf(w, services)) {
                const id = `Service ${namespaceOfObject(svc)}/${svc.props.metadata?.name}`;
                ((svc.props.spec?.ports ?? []) as Props[]).forEach((p, i) => {
                    const target = resolveTarget(p.targetPort ?? p.port, containers);
                    const what = `port ${p.name ?? i} (${p.port} -> ${p.targetPort ?? p.port})`;
                    if (target.port === undefined) {
                        report(`${id} ${what} targets the named port ${target.name}, which no container of ${w.label} declares.`, svc.urn);
                    } else if (serverPorts.has(target.port) || (target.container !== undefined && !guardContainers.has(target.container))) {
                        report(`${id} ${what} targets the MCP server's port ${target.port} of ${w.label} directly, past the guard${guards.length > 0 ? ` (port ${[...guardPorts].join(", ")})` : ""}.`, svc.urn);
                    } else if (guards.length > 0 && !guardPorts.has(target.port)) {
                        report(`${id} ${what} targets port ${target.port} of ${w.label}, not the guard's port ${[...guardPorts].join(", ")}.`, svc.urn);
                    }
                });
            }
        }
    }
});

export const guardRules = [reachableOnlyThroughGuard];
