import type { GraphResource, ResourceGraph } from "../graph";
import { ReachabilityModel } from "../reachability";
import { guardContainer, GuardContainer } from "../../policies/lib/guard";

/** The trust zones of the diagram, outermost first. */
export const ZONES = {
    internet: { label: "Internet (untrusted)", color: "#c62828" },
    enterprise: { label: "Enterprise network (clients)", color: "#ef6c00" },
    zone: { label: "MCP zone (VPC)", color: "#2e7d32" },
    cluster: { label: "Kubernetes cluster (service mesh)", color: "#2e7d32" },
    aws: { label: "AWS regional services (identity, data stores, detection)", color: "#1565c0" },
} as const;
export type ZoneId = keyof typeof ZONES;

export type NodeRole = "client" | "entry" | "guard" | "server" | "data" | "identity" | "detection" | "network" | "external";

export interface DiagramNode {
    id: string;
    zone: ZoneId;
    role: NodeRole;
    label: string;
}

export interface DiagramEdge {
    from: string;
    to: string;
    label: string;
    /** A control-plane or telemetry relation rather than a request path. */
    dashed?: boolean;
}

export interface Diagram {
    nodes: DiagramNode[];
    edges: DiagramEdge[];
    /** Zone titles that say more than the default (the VPC's block). */
    zoneLabels: Partial<Record<ZoneId, string>>;
}

const ROLE_STYLE: Record<NodeRole, string> = {
    client: "shape=box, style=\"rounded,filled\", fillcolor=\"#fff3e0\"",
    entry: "shape=box, style=\"rounded,filled\", fillcolor=\"#e3f2fd\"",
    guard: "shape=box, style=\"rounded,filled,bold\", fillcolor=\"#e8f5e9\"",
    server: "shape=box, style=\"rounded,filled\", fillcolor=\"#f1f8e9\"",
    data: "shape=cylinder, style=filled, fillcolor=\"#ede7f6\"",
    identity: "shape=box, style=\"rounded,filled\", fillcolor=\"#fce4ec\"",
    detection: "shape=box, style=\"rounded,filled\", fillcolor=\"#fffde7\"",
    network: "shape=box, style=\"filled\", fillcolor=\"#eceff1\"",
    external: "shape=box, style=\"rounded,dashed\"",
};

const ofType = (g: ResourceGraph, ...types: string[]) => g.resources.filter((r) => r.custom && types.includes(r.type));
const inp = (r: GraphResource, k: string): unknown => r.inputs[k] ?? r.outputs[k];
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface Container {
    name: string;
    ports: number[];
    /** The guard it is configured as (the packs' reading), if any. */
    guard?: GuardContainer;
}

function containersOf(raw: unknown): Container[] {
    let list: unknown = raw;
    if (typeof raw === "string") {
        try {
            list = JSON.parse(raw);
        } catch {
            return [];
        }
    }
    return arr(list).map((c) => {
        const o = obj(c);
        const ports = arr(o.portMappings ?? o.ports).map((p) => Number(obj(p).containerPort)).filter((n) => Number.isFinite(n));
        return { name: String(o.name ?? "?"), ports, guard: guardContainer(o) };
    });
}

/** "guard :8443 -> server 127.0.0.1:8080" when a guard container fronts the server, else the exposed ports. */
function workloadLabel(name: string, containers: Container[]): { label: string; guarded: boolean } {
    const guard = containers.find((c) => c.guard !== undefined)?.guard;
    if (guard) {
        const upstream = new URL(guard.env.GUARD_UPSTREAM_URL).host || "?";
        const port = guard.listenPort;
        return { label: `${name}\\nMCP guard :${port}\\n-> server ${upstream} (same task/pod)`, guarded: true };
    }
    const ports = containers.flatMap((c) => c.ports);
    return { label: `${name}\\nMCP server, NO guard\\nports ${ports.join(", ") || "-"}`, guarded: false };
}

/** Whether any of these security groups admits traffic from address blocks (clients), not only from other groups. */
function admitsAddressBlocks(graph: ResourceGraph, sgIds: string[]): boolean {
    const ids = new Set(sgIds);
    const groups = ofType(graph, "aws:ec2/securityGroup:SecurityGroup").filter((g) => ids.has(g.id ?? String(g.outputs.id ?? "")));
    if (groups.some((g) => arr(inp(g, "ingress")).some((r) => arr(obj(r).cidrBlocks).length + arr(obj(r).ipv6CidrBlocks).length + arr(obj(r).prefixListIds).length > 0))) return true;
    return ofType(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule").some((r) => {
        const target = String(inp(r, "securityGroupId") ?? "");
        const owned = ids.has(target) || groups.some((g) => (r.propertyDependencies.securityGroupId ?? []).includes(g.urn));
        const type = inp(r, "type");
        return owned && (type === undefined || type === "ingress") && !!(inp(r, "cidrIpv4") ?? inp(r, "cidrIpv6") ?? inp(r, "prefixListId") ?? arr(inp(r, "cidrBlocks"))[0]);
    });
}

/** The rules of a web ACL, given as `rules` or as `ruleJson`. */
export function webAclRuleCount(acl: GraphResource): number {
    const json = inp(acl, "ruleJson");
    if (typeof json === "string") {
        try {
            return arr(JSON.parse(json)).length;
        } catch {
            return 0;
        }
    }
    return arr(inp(acl, "rules")).length;
}

/** The architecture of a synthesized graph: trust zones, the parties in them and the flows between them with ports. */
export function buildDiagram(graph: ResourceGraph): Diagram {
    const nodes = new Map<string, DiagramNode>();
    const edges: DiagramEdge[] = [];
    const add = (n: DiagramNode) => (nodes.has(n.id) ? nodes.get(n.id)! : (nodes.set(n.id, n), n));
    const edge = (e: DiagramEdge) => edges.push(e);
    const zoneLabels: Diagram["zoneLabels"] = {};
    const nodePortEdges: { from: string; label: string }[] = [];
    const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
    const clients = add({ id: "clients", zone: "enterprise", role: "client", label: "MCP clients\\n(people and agents)" });
    add({ id: "internet", zone: "internet", role: "external", label: "Internet" });

    // ---- AWS network zone -----------------------------------------------------------------------------------
    const vpcs = ofType(graph, "aws:ec2/vpc:Vpc");
    if (vpcs.length > 0) {
        const model = new ReachabilityModel(graph);
        const tgw = ofType(graph, "aws:ec2transitgateway/vpcAttachment:VpcAttachment");
        let front = clients.id;
        if (tgw.length > 0) {
            add({ id: "tgw", zone: "enterprise", role: "network", label: "Transit Gateway\\n(enterprise routes)" });
            edge({ from: clients.id, to: "tgw", label: "enterprise CIDRs" });
            front = "tgw";
        }
        const endpointServices = ofType(graph, "aws:ec2/vpcEndpointService:VpcEndpointService");
        for (const lb of model.loadBalancers()) {
            const r = lb.resource!;
            const type = String(inp(r, "loadBalancerType") ?? "application");
            const internal = inp(r, "internal") !== false;
            const id = `lb:${r.name}`;
            add({ id, zone: "zone", role: "entry", label: `${type === "network" ? "Network" : "Application"} Load Balancer\\n${r.name}\\n${internal ? "internal" : "INTERNET-FACING"}` });
            const listeners = ofType(graph, "aws:lb/listener:Listener").filter((l) => l.propertyDependencies.loadBalancerArn?.includes(r.urn));
            const ports = listeners.map((l) => `${inp(l, "protocol") ?? "?"} :${inp(l, "port") ?? "?"}`).join(", ") || "no listener";
            const from = internal ? front : "internet";
            const admitsClients = !internal || type === "network" || admitsAddressBlocks(graph, arr(inp(r, "securityGroups")).map(String));
            if (!admitsClients) {
                // reached only from other security groups (a VPC link, a PrivateLink NLB): edges come from those parties
            } else if (type === "network" && endpointServices.length > 0) {
                add({ id: "privatelink", zone: "enterprise", role: "network", label: "PrivateLink consumers\\n(interface endpoints)" });
                edge({ from: clients.id, to: "privatelink", label: "" });
                edge({ from: "privatelink", to: id, label: ports });
            } else {
                edge({ from, to: id, label: ports });
            }
            for (const route of model.serviceRoutes(lb)) {
                const svc = route.service.resource!;
                const tdUrn = svc.propertyDependencies.taskDefinition?.[0];
                const td = tdUrn ? byUrn.get(tdUrn) : undefined;
                const w = workloadLabel(svc.name, containersOf(td && inp(td, "containerDefinitions")));
                const sid = `svc:${svc.name}`;
                add({ id: sid, zone: "zone", role: w.guarded ? "guard" : "server", label: `ECS Fargate service\\n${w.label}` });
                const proto = inp(route.targetGroup, "protocol") ?? "?";
                if (!edges.some((e) => e.from === id && e.to === sid)) edge({ from: id, to: sid, label: `${proto} :${route.port}` });
            }
            // Target groups registered to an Auto Scaling group (Kubernetes nodes behind a NodePort).
            for (const att of ofType(graph, "aws:autoscaling/attachment:Attachment")) {
                const tg = ofType(graph, "aws:lb/targetGroup:TargetGroup").find((t) => (att.propertyDependencies.lbTargetGroupArn ?? []).includes(t.urn) || String(inp(att, "lbTargetGroupArn")) === String(t.outputs.arn ?? ""));
                if (tg) nodePortEdges.push({ from: id, label: `${inp(tg, "protocol") ?? "?"} :${inp(tg, "port") ?? "?"} (node port)` });
            }
            // The NLB of a PrivateLink path forwards to the ALB.
            if (type === "network") {
                for (const tg of ofType(graph, "aws:lb/targetGroup:TargetGroup").filter((t) => inp(t, "targetType") === "alb")) {
                    for (const alb of model.loadBalancers().filter((x) => x !== lb && String(inp(x.resource!, "loadBalancerType") ?? "application") === "application")) {
                        edge({ from: id, to: `lb:${alb.resource!.name}`, label: `TCP :${inp(tg, "port") ?? 443}` });
                    }
                }
            }
        }
        const domains = ofType(graph, "aws:apigateway/domainName:DomainName").map((d) => String(inp(d, "domainName") ?? ""));
        for (const api of ofType(graph, "aws:apigateway/restApi:RestApi")) {
            const types = [obj(inp(api, "endpointConfiguration")).types].flat().map(String);
            const isPrivate = types.includes("PRIVATE");
            const id = `api:${api.name}`;
            const integrations = ofType(graph, "aws:apigateway/integration:Integration").filter((i) => (i.propertyDependencies.restApi ?? []).includes(api.urn) || (i.propertyDependencies.resourceId ?? []).some((u) => u.includes(`$aws:apigateway/restApi:RestApi$`) && u.includes(api.name)));
            add({ id, zone: isPrivate ? "zone" : "aws", role: "entry", label: `API Gateway REST API\\n${api.name}\\n${types.join(", ")} endpoint${domains.length ? `, ${domains.join(", ")}` : ""}${inp(api, "disableExecuteApiEndpoint") === true ? "\\nexecute-api endpoint off" : ""}` });
            edge({ from: isPrivate ? front : clients.id, to: id, label: "HTTPS :443" });
            if (!isPrivate) edge({ from: "internet", to: id, label: "HTTPS :443 public endpoint (WAF, authorizer)", dashed: true });
            for (const integ of integrations.filter((i) => inp(i, "connectionType") === "VPC_LINK")) {
                const lb = model.loadBalancers().find((x) => String(x.resource!.outputs.arn ?? "") === String(inp(integ, "integrationTarget") ?? "") || (integ.propertyDependencies.integrationTarget ?? []).includes(x.resource!.urn));
                const link = (integ.propertyDependencies.connectionId ?? []).map((u) => byUrn.get(u)).find((x) => x);
                const linkId = `vpclink:${link?.name ?? "vpc-link"}`;
                add({ id: linkId, zone: "zone", role: "network", label: `VPC link\\n${link?.name ?? ""}` });
                if (!edges.some((e) => e.from === id && e.to === linkId)) edge({ from: id, to: linkId, label: "private integration" });
                if (lb && !edges.some((e) => e.from === linkId && e.to === `lb:${lb.resource!.name}`)) edge({ from: linkId, to: `lb:${lb.resource!.name}`, label: `HTTPS :${new URL(String(inp(integ, "uri") ?? "https://x")).port || 443}` });
            }
        }
        for (const acl of ofType(graph, "aws:wafv2/webAcl:WebAcl")) {
            const id = `waf:${acl.name}`;
            add({ id, zone: "zone", role: "entry", label: `WAF web ACL\\n${acl.name}\\n${webAclRuleCount(acl)} rules, default ${Object.keys(obj(inp(acl, "defaultAction")))[0] ?? "?"}` });
            for (const assoc of ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation")) {
                const target = (assoc.propertyDependencies.resourceArn ?? []).map((u) => byUrn.get(u)).find((x) => x);
                if (!target || !(assoc.propertyDependencies.webAclArn ?? []).includes(acl.urn)) continue;
                const api = target.type === "aws:apigateway/stage:Stage" ? (target.propertyDependencies.restApi ?? []).map((u) => byUrn.get(u)).find((x) => x) : undefined;
                const to = api ? `api:${api.name}` : `lb:${target.name}`;
                if (!edges.some((e) => e.from === id && e.to === to)) edge({ from: id, to, label: "inspects every request", dashed: true });
            }
        }
        const services = [...nodes.values()].filter((n) => n.id.startsWith("svc:"));
        const iface = ofType(graph, "aws:ec2/vpcEndpoint:VpcEndpoint").filter((e) => inp(e, "vpcEndpointType") === "Interface");
        if (iface.length > 0) {
            const names = iface.map((e) => String(inp(e, "serviceName") ?? "").split(".").slice(3).join(".")).filter((s) => s);
            add({ id: "endpoints", zone: "zone", role: "network", label: `VPC interface endpoints\\n${names.join(", ")}` });
            services.forEach((s) => edge({ from: s.id, to: "endpoints", label: "HTTPS :443" }));
            edge({ from: "endpoints", to: "aws-data", label: "PrivateLink" });
        }
        if (ofType(graph, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation").length > 0) {
            add({ id: "dnsfw", zone: "zone", role: "network", label: "Route 53 DNS Firewall\\nallowlist, BLOCK by default" });
            services.forEach((s) => edge({ from: s.id, to: "dnsfw", label: "DNS :53", dashed: true }));
        }
        const firewall = ofType(graph, "aws:networkfirewall/firewall:Firewall");
        const nat = ofType(graph, "aws:ec2/natGateway:NatGateway");
        if (firewall.length > 0) {
            add({ id: "nfw", zone: "zone", role: "network", label: "Network Firewall\\ndomain allowlist (SNI/Host)" });
            services.forEach((s) => edge({ from: s.id, to: "nfw", label: "HTTPS :443 declared egress, JWKS" }));
        }
        if (nat.length > 0) {
            add({ id: "nat", zone: "zone", role: "network", label: `NAT gateway (${nat.length})\\n+ internet gateway` });
            edge({ from: firewall.length > 0 ? "nfw" : services[0]?.id ?? "nat", to: "nat", label: "allowed domains only" });
            edge({ from: "nat", to: "internet", label: "HTTPS :443 egress" });
        }
        const vpc = vpcs[0];
        zoneLabels.zone = `MCP zone (VPC ${String(inp(vpc, "cidrBlock") ?? "")}, private subnets only)`;
    }

    // ---- Kubernetes cluster ---------------------------------------------------------------------------------
    const deployments = ofType(graph, "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet");
    const gateways = ofType(graph, "kubernetes:networking.istio.io/v1beta1:Gateway", "kubernetes:networking.istio.io/v1:Gateway");
    const isEgress = (gw: GraphResource) => /egress/i.test(JSON.stringify(obj(obj(inp(gw, "spec")).selector))) || /egress/i.test(String(obj(inp(gw, "metadata")).name ?? ""));
    const ingress = gateways.filter((g) => !isEgress(g));
    const egress = gateways.filter(isEgress);
    for (const gw of ingress) {
        const servers = arr(obj(inp(gw, "spec")).servers).map((s) => obj(obj(s).port));
        const id = `gw:${gw.name}`;
        add({ id, zone: "cluster", role: "entry", label: `Istio ingress gateway\\n${String(obj(inp(gw, "metadata")).name ?? gw.name)}` });
        if (nodePortEdges.length > 0) nodePortEdges.forEach((e) => edge({ from: e.from, to: id, label: e.label }));
        else edge({ from: clients.id, to: id, label: servers.map((p) => `${p.protocol} :${p.number}`).join(", ") });
    }
    for (const gw of egress) {
        const servers = arr(obj(inp(gw, "spec")).servers).map((x) => obj(x));
        const id = `egw:${gw.name}`;
        add({ id, zone: "cluster", role: "network", label: `Istio egress gateway\\n${String(obj(inp(gw, "metadata")).name ?? gw.name)}` });
        const hosts = servers.flatMap((x) => arr(x.hosts).map((h) => String(h).split("/").pop()));
        const ports = servers.map((x) => `${obj(x.port).protocol} :${obj(x.port).number}`);
        edge({ from: id, to: nodes.has("nfw") ? "nfw" : "internet", label: `${[...new Set(ports)].join(", ")} ${[...new Set(hosts)].join(", ")}` });
    }
    for (const d of deployments) {
        const spec = obj(obj(obj(inp(d, "spec")).template).spec);
        const meta = obj(inp(d, "metadata"));
        const w = workloadLabel(`${String(meta.namespace ?? "")}/${String(meta.name ?? d.name)}`, containersOf(spec.containers));
        const id = `deploy:${d.name}`;
        add({ id, zone: "cluster", role: w.guarded ? "guard" : "server", label: `pod (mTLS STRICT)\\n${w.label}` });
        for (const vs of ofType(graph, "kubernetes:networking.istio.io/v1beta1:VirtualService", "kubernetes:networking.istio.io/v1:VirtualService")) {
            const vsMeta = obj(inp(vs, "metadata"));
            if (vsMeta.namespace !== meta.namespace) continue;
            for (const h of arr(obj(inp(vs, "spec")).http)) {
                for (const r of arr(obj(h).route)) {
                    const dest = obj(obj(r).destination);
                    for (const gw of gateways) edge({ from: `gw:${gw.name}`, to: id, label: `mTLS -> ${String(dest.host)} :${String(obj(dest.port).number ?? "?")}` });
                }
            }
        }
        for (const se of ofType(graph, "kubernetes:networking.istio.io/v1beta1:ServiceEntry", "kubernetes:networking.istio.io/v1:ServiceEntry")) {
            if (obj(inp(se, "metadata")).namespace !== meta.namespace) continue;
            const s = obj(inp(se, "spec"));
            const ports = arr(s.ports).map((p) => `${obj(p).protocol} :${obj(p).number}`).join(", ");
            edge({ from: id, to: egress.length > 0 ? `egw:${egress[0].name}` : "internet", label: `ServiceEntry ${arr(s.hosts).join(", ")} ${ports}`, dashed: egress.length === 0 });
        }
    }
    if (ofType(graph, "kubernetes:external-secrets.io/v1:SecretStore", "kubernetes:external-secrets.io/v1beta1:SecretStore").length > 0) {
        add({ id: "eso", zone: "cluster", role: "network", label: "External Secrets Operator" });
        edge({ from: "eso", to: "aws-data", label: "Secrets Manager HTTPS :443", dashed: true });
    }
    const eks = ofType(graph, "aws:eks/cluster:Cluster");
    if (eks.length > 0) zoneLabels.cluster = `Kubernetes cluster (EKS ${eks.map((c) => c.name).join(", ")}; nodes in the MCP zone's private subnets; Istio mTLS)`;
    const jwtIssuers = ofType(graph, "kubernetes:security.istio.io/v1:RequestAuthentication", "kubernetes:security.istio.io/v1beta1:RequestAuthentication")
        .flatMap((ra) => arr(obj(inp(ra, "spec")).jwtRules).map((j) => String(obj(j).issuer ?? "")));
    if (jwtIssuers.length > 0 && ofType(graph, "aws:cognito/userPool:UserPool").length === 0) {
        add({ id: "issuer", zone: "internet", role: "identity", label: `OAuth issuer (JWKS)\\n${[...new Set(jwtIssuers)].join("\\n")}` });
        [...nodes.values()].filter((n) => n.id.startsWith("deploy:")).forEach((n) => edge({ from: n.id, to: "issuer", label: "JWKS HTTPS :443", dashed: true }));
    }

    // ---- AWS regional services --------------------------------------------------------------------------------
    const pools = ofType(graph, "aws:cognito/userPool:UserPool");
    if (pools.length > 0) {
        add({ id: "identity", zone: "aws", role: "identity", label: `Cognito authorization server\\n(${pools.length} user pool, MFA, short tokens)` });
        edge({ from: clients.id, to: "identity", label: "OAuth 2.1 sign-in HTTPS :443" });
        [...nodes.values()].filter((n) => n.id.startsWith("svc:")).forEach((n) => edge({ from: n.id, to: "identity", label: `JWKS HTTPS :443${nodes.has("nfw") ? " (via egress firewall)" : ""}`, dashed: true }));
    }
    const data: string[] = [];
    const count = (label: string, ...types: string[]) => {
        const n = ofType(graph, ...types).length;
        if (n > 0) data.push(`${n} ${label}`);
    };
    count("S3 bucket(s)", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2");
    count("log group(s)", "aws:cloudwatch/logGroup:LogGroup");
    count("secret(s)", "aws:secretsmanager/secret:Secret");
    count("SSM parameter(s)", "aws:ssm/parameter:Parameter");
    count("KMS key(s)", "aws:kms/key:Key");
    if (data.length > 0 || edges.some((e) => e.to === "aws-data")) {
        add({ id: "aws-data", zone: "aws", role: "data", label: data.length > 0 ? `Data stores\\n${data.join("\\n")}` : "AWS Secrets Manager" });
    }
    const detection: string[] = [];
    if (ofType(graph, "aws:guardduty/detector:Detector").length) detection.push("GuardDuty (runtime)");
    if (ofType(graph, "aws:securityhub/account:Account").length) detection.push("Security Hub");
    if (ofType(graph, "aws:cfg/recorder:Recorder").length) detection.push("AWS Config");
    if (ofType(graph, "aws:cloudtrail/trail:Trail").length) detection.push("CloudTrail");
    if (detection.length > 0) {
        add({ id: "detection", zone: "aws", role: "detection", label: `Detection and response\\n${detection.join(", ")}` });
        [...nodes.values()].filter((n) => n.id.startsWith("svc:")).forEach((n) => edge({ from: "detection", to: n.id, label: "monitors, contains", dashed: true }));
    }
    return { nodes: [...nodes.values()], edges: edges.filter((e) => nodes.has(e.from) && nodes.has(e.to)), zoneLabels };
}

const q = (s: string) => `"${s.replace(/"/g, "\\\"")}"`;

/** Graphviz DOT of a diagram: one cluster per trust zone, edges crossing a zone boundary drawn bold red. */
export function toDot(d: Diagram): string {
    const zoneOf = new Map(d.nodes.map((n) => [n.id, n.zone]));
    const lines = [
        "digraph mcpsec {",
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=13, nodesep=0.35, ranksep=0.7, compound=true, bgcolor=\"white\"];",
        "  node [fontname=\"Helvetica\", fontsize=12];",
        "  edge [fontname=\"Helvetica\", fontsize=11];",
    ];
    for (const [zone, def] of Object.entries(ZONES) as [ZoneId, (typeof ZONES)[ZoneId]][]) {
        const members = d.nodes.filter((n) => n.zone === zone);
        if (members.length === 0) continue;
        lines.push(`  subgraph ${q(`cluster_${zone}`)} {`);
        lines.push(`    label=${q(d.zoneLabels[zone] ?? def.label)}; style="dashed,rounded"; color=${q(def.color)}; penwidth=2; fontcolor=${q(def.color)};`);
        for (const n of members) lines.push(`    ${q(n.id)} [label=${q(n.label)}, ${ROLE_STYLE[n.role]}];`);
        lines.push("  }");
    }
    for (const e of d.edges) {
        const crosses = zoneOf.get(e.from) !== zoneOf.get(e.to);
        const attrs = [`label=${q(e.label)}`];
        if (e.dashed) attrs.push("style=dashed", "color=\"#757575\"");
        else if (crosses) attrs.push("color=\"#c62828\"", "penwidth=2");
        lines.push(`  ${q(e.from)} -> ${q(e.to)} [${attrs.join(", ")}];`);
    }
    lines.push("}");
    return lines.join("\n") + "\n";
}

let graphviz: Promise<{ dot(src: string): string }> | undefined;

/** Renders DOT to SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz): offline, no network. */
export async function renderSvg(dot: string): Promise<string> {
    graphviz ??= import("@hpcc-js/wasm-graphviz").then((m) => m.Graphviz.load());
    const svg = (await graphviz).dot(dot);
    return svg.slice(svg.indexOf("<svg"));
}
