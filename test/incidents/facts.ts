/**
 * Structural facts the incident replay proves over a synthesized graph: reachability (cli/reachability.ts for the AWS
 * patterns, cli/k8sReachability.ts for the in-cluster layer) and graph queries.
 */
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { K8sReachabilityModel, PodNode } from "../../cli/k8sReachability";
import { ReachabilityModel } from "../../cli/reachability";
import { toolDigest } from "../../components/mcp/digest";
import { SYSTEM_NAMESPACES } from "../../policies/kubernetes/scope";
import type { ColumnContext, RawConfig } from "./engine";
import type { Fact } from "./probes";
import { guardsOf, serverNames } from "./probes";

/** Documentation addresses (RFC 5737) standing in for hosts on the internet. */
const INTERNET = "203.0.113.30";
/** Ports a stray listener would use: the MCP Inspector proxy, SSH, common dev servers, Istio's own. */
const STRAY_PORTS = [22, 3000, 5173, 6274, 6277, 8000, 8080, 9229, 15000, 15020];

const ok = (proof: string, detail: string): Fact => ({ holds: true, proof, detail });
const broken = (proof: string, detail: string): Fact => ({ holds: false, proof, detail });

function ports(graph: ResourceGraph): Record<string, number> {
    return Object.fromEntries((JSON.parse(graph.config["mcpsec:servers"] ?? "[]") as { name: string; port: number }[]).map((s) => [s.name, s.port]));
}

function guardPort(graph: ResourceGraph): number {
    return (JSON.parse(graph.config["mcpsec:guard"] ?? "{}") as { port?: number }).port ?? 8443;
}

function awsModel(graph: ResourceGraph): ReachabilityModel {
    const operations = JSON.parse(graph.config["mcpsec:operations"] ?? "{}") as { accountServices?: { guardDuty?: string } };
    return new ReachabilityModel(graph, { guardDutyManagedEndpoint: operations.accountServices?.guardDuty === "existing" ? true : "auto" });
}

/**
 * The client networks of the stack outside its VPC (`mcpsec:edge.allowedCidrs`), as one external node; none when
 * clients come only from the internet (through API Gateway), which {@link ReachabilityModel.internet} covers.
 */
function clientNetworks(model: ReachabilityModel, graph: ResourceGraph): ReturnType<ReachabilityModel["internet"]>[] {
    const cidrs = (JSON.parse(graph.config["mcpsec:edge"] ?? "{}") as { allowedCidrs?: string[] }).allowedCidrs ?? [];
    try {
        return cidrs.length > 0 ? [model.external("client networks", cidrs)] : [];
    } catch {
        return [];
    }
}

/** The patterns whose servers run as ECS services in a VPC (the AWS reachability model); microservices runs pods. */
function isAws(ctx: ColumnContext): boolean {
    return ctx.column.pattern !== "microservices";
}

function serverPods(model: K8sReachabilityModel, graph: ResourceGraph): { name: string; pod: PodNode }[] {
    return serverNames(graph).map((name) => {
        const pods = model.pods().filter((p) => p.workloadKind === "Deployment" && p.labels.app === name);
        if (pods.length !== 1) throw new Error(`expected one Deployment for server ${name}, found ${pods.length}`);
        return { name, pod: pods[0] };
    });
}

function gatewayPods(model: K8sReachabilityModel): PodNode[] {
    const gw = model.pods().filter((p) => p.mesh === "gateway");
    if (gw.length === 0) throw new Error("no ingress gateway");
    return gw;
}

/** From outside (clients and the internet) nothing but the entry point is reachable, on any port. */
export function onlyEntryReachable(ctx: ColumnContext): Fact {
    const graph = ctx.graph;
    if (isAws(ctx)) {
        const model = awsModel(graph);
        const internet = model.internet();
        for (const node of model.nodes()) {
            const r = model.canReach(internet, node, [0, 65535]);
            if (r.possible) return broken("cli/reachability.ts", `the internet reaches ${node.label}: ${r.explanation}`);
        }
        for (const clients of clientNetworks(model, graph)) {
            for (const svc of model.ecsServices()) {
                const r = model.canReach(clients, svc, [0, 65535]);
                if (r.possible) return broken("cli/reachability.ts", `client networks reach ${svc.label}: ${r.explanation}`);
            }
        }
        return ok("reachability model (cli/reachability.ts)", `the internet reaches none of ${model.nodes().length} nodes on any port; declared client networks reach no task on any port (only the entry point)`);
    }
    const model = new K8sReachabilityModel(graph);
    const outside = model.external(INTERNET);
    for (const { name, pod } of serverPods(model, graph)) {
        for (const port of [...STRAY_PORTS, ports(graph)[name], guardPort(graph)]) {
            const v = model.canReach(outside, pod, port);
            if (v.allowed) return broken("cli/k8sReachability.ts", `an outside client reaches ${name} on ${port}: ${v.explanation}`);
        }
    }
    return ok("reachability model (cli/k8sReachability.ts)", `no outside client reaches a server pod on ${STRAY_PORTS.length + 2} ports tried (server, guard, Inspector 6277, SSH, dev ports); only the ingress gateway takes outside traffic`);
}

/** The server's own port is reachable from nothing but its guard (in the same task or pod). */
export function serverPortOnlyFromGuard(ctx: ColumnContext): Fact {
    const graph = ctx.graph;
    const guards = guardsOf(graph);
    for (const name of serverNames(graph)) {
        const env = guards.find((g) => g.server === name)?.env;
        if (!env?.GUARD_UPSTREAM_URL?.startsWith("http://127.0.0.1:")) return broken("graph query", `the guard of ${name} does not reach its server on loopback`);
    }
    if (isAws(ctx)) {
        const model = awsModel(graph);
        const others = [...model.nodes(), ...clientNetworks(model, graph), model.internet()];
        for (const [name, port] of Object.entries(ports(graph))) {
            const svc = model.node(`ecs-service:${name}`);
            for (const from of others.filter((n) => n !== svc)) {
                const r = model.canReach(from, svc, port);
                if (r.possible) return broken("cli/reachability.ts", `${from.label} reaches ${name}:${port}: ${r.explanation}`);
            }
        }
        return ok("reachability model (cli/reachability.ts)", "no node, client network or internet address reaches a server's own port; each server listens on 127.0.0.1 behind its guard");
    }
    const model = new K8sReachabilityModel(graph);
    const from = [...gatewayPods(model), model.external(INTERNET), ...model.pods().filter((p) => p.mesh !== "gateway")];
    for (const { name, pod } of serverPods(model, graph)) {
        for (const f of from.filter((x) => x !== pod)) {
            const v = model.canReach(f, pod, ports(graph)[name]);
            if (v.allowed) return broken("cli/k8sReachability.ts", `${"id" in f ? f.id : "?"} reaches ${name}:${ports(graph)[name]}: ${v.explanation}`);
        }
    }
    return ok("reachability model (cli/k8sReachability.ts)", "neither the gateway, any other pod nor an outside client reaches a server's own port; each server listens on 127.0.0.1 behind its guard");
}

/** The name of the second server some scenarios add. */
export const SECOND_SERVER = "repo-files";

/**
 * Adds a copy of the first server under another name, without its secrets and egress, its first tool renamed to a
 * look-alike of the first server's (`search_docs` -> `search-docs`), re-pinned and approved.
 */
export function addServer(raw: RawConfig, name: string): void {
    const copy = structuredClone(raw.servers[0]) as RawConfig;
    copy.name = name;
    delete copy.secrets;
    copy.egress = [];
    copy.tools = [copy.tools[0]];
    copy.tools[0].name = (copy.tools[0].name as string).replace(/_/g, "-");
    changeTool(copy.tools[0], copy.tools[0].description as string, true);
    raw.servers.push(copy);
}

/** The stack with a second server (one synthesis per column, shared by the scenarios that need two servers). */
export async function withSecondServer(ctx: ColumnContext): Promise<ResourceGraph> {
    return ctx.memo("second-server", async () => {
        const raw = ctx.rawConfig();
        addServer(raw, SECOND_SERVER);
        const r = await ctx.synthesize(raw);
        if ("refused" in r) throw new Error(`a second server is refused: ${r.refused.message}`);
        return r.graph;
    });
}

/** No server reaches another server, on any port. */
export async function serversIsolated(ctx: ColumnContext): Promise<Fact> {
    const graph = await withSecondServer(ctx);
    if (isAws(ctx)) {
        const model = awsModel(graph);
        const services = model.ecsServices();
        if (services.length < 2) throw new Error("expected two services");
        for (const a of services) {
            for (const b of services.filter((s) => s !== a)) {
                const r = model.canReach(a, b, [0, 65535]);
                if (r.possible) return broken("cli/reachability.ts", `${a.label} reaches ${b.label}: ${r.explanation}`);
            }
        }
        return ok("reachability model (cli/reachability.ts), two servers", "no server's tasks reach another server's tasks on any port, nor the entry point");
    }
    const model = new K8sReachabilityModel(graph);
    const pods = serverPods(model, graph);
    for (const a of pods) {
        for (const b of pods.filter((x) => x !== a)) {
            for (const port of [...STRAY_PORTS, ports(graph)[b.name], guardPort(graph)]) {
                const v = model.canReach(a.pod, b.pod, port);
                if (v.allowed) return broken("cli/k8sReachability.ts", `${a.name} reaches ${b.name}:${port}: ${v.explanation}`);
            }
        }
    }
    return ok("reachability model (cli/k8sReachability.ts), two servers", "each server in its own namespace; no server pod reaches another's on any port tried");
}

/** A server reaches the internet only through the egress firewall (AWS) or not at all (in-cluster). */
export function egressContained(ctx: ColumnContext): Fact {
    const graph = ctx.graph;
    if (isAws(ctx)) {
        const model = awsModel(graph);
        const internet = model.internet();
        for (const svc of model.ecsServices()) {
            const direct = model.canReach(svc, internet, [0, 65535]).paths.filter((p) => p.delivered && !p.throughFirewall);
            if (direct.length > 0) return broken("cli/reachability.ts", `${svc.label} reaches the internet around the firewall`);
        }
        const rules = graph.resources.filter((r) => r.type === "aws:route53/resolverFirewallRule:ResolverFirewallRule");
        const blockAll = rules.find((r) => r.inputs.action === "BLOCK" && domainList(graph, r)?.includes("*"));
        if (!blockAll) return broken("graph query", "no DNS firewall rule blocks every name not allowed");
        return ok(`reachability model (cli/reachability.ts); DNS firewall rule \`${blockAll.name}\``, "tasks reach the internet only through the Network Firewall (declared egress domains), and the Route 53 DNS firewall blocks every other name");
    }
    const model = new K8sReachabilityModel(graph);
    for (const { name, pod } of serverPods(model, graph)) {
        for (const port of [443, 80, 53]) {
            const v = model.canReach(pod, model.external(INTERNET), port);
            if (v.allowed) return broken("cli/k8sReachability.ts", `${name} reaches ${INTERNET}:${port}: ${v.explanation}`);
        }
    }
    return ok("reachability model (cli/k8sReachability.ts)", "the layer's NetworkPolicies refuse every server pod's traffic to addresses outside the cluster (443, 80, 53 tried)");
}

function domainList(graph: ResourceGraph, rule: GraphResource): string[] | undefined {
    const id = rule.inputs.firewallDomainListId as string | undefined;
    const list = graph.resources.find((r) => r.type === "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList" && (r.id === id || r.outputs.id === id));
    return list?.inputs.domains as string[] | undefined;
}

/** No long-lived credential anywhere: no IAM user or access key, workloads use roles (task roles, IRSA). */
export function noLongLivedKeys(ctx: ColumnContext): Fact {
    const graph = ctx.graph;
    const keys = graph.resources.filter((r) => /^aws:iam\/(user|accessKey|userLoginProfile|serviceSpecificCredential):/.test(r.type) || r.type === "kubernetes:core/v1:Secret");
    if (keys.length > 0) return broken("graph query", `long-lived credentials: ${keys.map((k) => k.name).join(", ")}`);
    if (isAws(ctx)) {
        const tasks = graph.resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition");
        if (tasks.length === 0 || tasks.some((t) => !t.inputs.taskRoleArn)) return broken("graph query", "a task definition without a task role");
        return ok("graph query", `no IAM user, access key or static secret in ${graph.resources.length} resources; every task runs with a role's short-lived credentials; server secrets are Secrets Manager references`);
    }
    const stores = graph.resources.filter((r) => r.type.startsWith("kubernetes:external-secrets.io/") && r.type.endsWith(":SecretStore"));
    const irsa = stores.every((s) => JSON.stringify(s.inputs.spec).includes("serviceAccountRef"));
    if (!irsa) return broken("graph query", "a SecretStore authenticates with a static credential");
    return ok("graph query", "no IAM user, access key or Kubernetes Secret in the graph; the secret store authenticates with a service account token (IRSA), secrets are synced from Secrets Manager by reference");
}

/** Every container: read-only root filesystem, non-root, no host path mounts. */
export function sandboxed(ctx: ColumnContext): Fact {
    const graph = ctx.graph;
    let count = 0;
    for (const r of graph.resources) {
        if (r.type === "aws:ecs/taskDefinition:TaskDefinition") {
            for (const c of JSON.parse(r.inputs.containerDefinitions as string) as { name: string; readonlyRootFilesystem?: boolean; user?: string; privileged?: boolean; linuxParameters?: { capabilities?: { drop?: string[] } } }[]) {
                count++;
                if (c.readonlyRootFilesystem !== true || !c.user || /^0(:|$)|^root/.test(c.user) || c.privileged || !c.linuxParameters?.capabilities?.drop?.includes("ALL")) return broken("graph query", `container ${c.name} is not sandboxed`);
            }
            if (((r.inputs.volumes as { hostPath?: string }[] | undefined) ?? []).some((v) => v.hostPath)) return broken("graph query", `${r.name} mounts a host path`);
        }
        const spec = (r.inputs.spec as { template?: { spec?: { containers?: { name: string; securityContext?: { readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } } }[]; volumes?: { hostPath?: unknown }[] } } } | undefined)?.template?.spec;
        // The cluster's and the layer's add-on namespaces (the node log shipper's among them) run no MCP container.
        if (r.type.startsWith("kubernetes:apps/") && spec?.containers && !SYSTEM_NAMESPACES.includes((r.inputs.metadata as { namespace?: string } | undefined)?.namespace ?? "default")) {
            for (const c of spec.containers) {
                count++;
                const sc = c.securityContext;
                if (sc?.readOnlyRootFilesystem !== true || sc.runAsNonRoot !== true || !sc.capabilities?.drop?.includes("ALL")) return broken("graph query", `container ${c.name} is not sandboxed`);
            }
            if ((spec.volumes ?? []).some((v) => v.hostPath)) return broken("graph query", `${r.name} mounts a host path`);
        }
    }
    if (count === 0) return broken("graph query", "no server container found");
    return ok("graph query", `${count} server and guard containers: read-only root filesystem, non-root user, no host path mounts, all capabilities dropped`);
}

/** The guards accept tokens only from the stack's own authorization server: no key names another issuer. */
export function issuerFixed(ctx: ColumnContext): Fact {
    const pools = ctx.graph.resources.filter((r) => r.type === "aws:cognito/userPool:UserPool");
    if (pools.length !== 1) return broken("graph query", `${pools.length} user pools`);
    const issuer = `https://${pools[0].outputs.endpoint as string}`;
    const guards = guardsOf(ctx.graph);
    const foreign = guards.filter((g) => g.env.GUARD_ISSUER !== issuer);
    if (guards.length === 0 || foreign.length > 0) return broken("graph query", `guards trusting another issuer: ${foreign.map((g) => g.server).join(", ")}`);
    return ok("graph query: `GUARD_ISSUER` of every guard is the zone's Cognito pool", `issuer ${issuer}; the protected resource metadata names it, and no stack key can name another`);
}

/** OAuth clients exist only as the stack declares them: Cognito offers no dynamic client registration endpoint. */
export function noDynamicRegistration(ctx: ColumnContext): Fact {
    const clients = ctx.graph.resources.filter((r) => r.type === "aws:cognito/userPoolClient:UserPoolClient");
    const agents = (JSON.parse(ctx.graph.config["mcpsec:identity"] ?? "{}") as { agents?: unknown[] }).agents ?? [];
    if (clients.length !== 1 + agents.length) return broken("graph query", `${clients.length} clients for ${agents.length} agents`);
    return ok("graph query: user pool clients", `${clients.length} client(s), exactly the people client and the declared agents; a Cognito user pool has no RFC 7591 registration endpoint, so clients cannot register themselves`);
}

/** Re-pins a tool after a change of its description: the digest matches, the approval only when `approve`. */
export function changeTool(tool: RawConfig, description: string, approve: boolean): void {
    tool.description = description;
    tool.sha256 = toolDigest(tool as { name: string; description: string; inputSchema: unknown });
    if (approve && tool.approval) {
        tool.approval.sha256 = tool.sha256;
    }
}
