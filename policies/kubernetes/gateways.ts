import { ofType, Props, stackRule } from "../lib/rule";
import { containersOf } from "./pods";
import { MESH_ROOT_NAMESPACE, mcpNamespaces, namespaceOfObject, ofKind, scopeConfigSchema, selects, selectsAll, systemNamespacesOf, Workload, workloadsOf } from "./scope";

const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SERVER = "mcpsec:mcp:McpServer";

/** A Gateway host entry `[namespace/]host`: the namespace part binds which namespaces' VirtualServices may use it. */
function splitHost(entry: string, gatewayNs: string): { ns: string; host: string } {
    const i = entry.indexOf("/");
    if (i < 0) {
        return { ns: "*", host: entry };
    }
    const ns = entry.slice(0, i);
    return { ns: ns === "." ? gatewayNs : ns, host: entry.slice(i + 1) };
}

/** Istio host matching: exact, or a `*.suffix` / `*` wildcard on the Gateway side. */
function hostMatches(pattern: string, host: string): boolean {
    const p = pattern.toLowerCase();
    const h = host.toLowerCase();
    if (p === "*" || p === h) {
        return true;
    }
    return p.startsWith("*.") && h.endsWith(p.slice(1));
}

/** `<ns>/<name>` of a VirtualService's gateway reference (a bare name is in the VirtualService's namespace). */
function gatewayRef(ref: string, vsNs: string): string {
    return ref.includes("/") ? ref : `${vsNs}/${ref}`;
}

export const gatewayHostsBound = stackRule({
    name: "kubernetes-istio-gateway-hosts-bound",
    description: "Every host of every Istio Gateway server must be bound to one namespace (`<namespace>/<host>`, or `./<host>` for the Gateway's own): a bare host or `*/<host>` lets a VirtualService of any namespace claim it, so one MCP server's namespace could take another server's host name on the shared ingress gateway (and receive its clients' requests and tokens) or another server's egress host. And every VirtualService bound to a Gateway may claim only hosts its own namespace is bound to on that Gateway: Istio ignores such a route, but a claim outside the binding is a change that tries to take a host and is refused here before it reaches the cluster.",
    severity: "high",
    controls: ["S1", "H1", "H5", "P3"],
    nist: ["AC-4", "SC-7", "AC-3"],
    maestro: ["L4"],
    threats: ["T2", "T4"],
    remediation: "Use McpClusterLayer (components/kubernetes), whose ingress Gateway lists each server's host as mcp-<server>/<server>.<domainName> and whose egress Gateway lists each declared host as mcp-<server>/<host>; in your own Gateways write hosts as <namespace>/<host>, and put each VirtualService in the namespace its host is bound to.",
}, (resources, _args, report) => {
    const gateways = ofKind(resources, "networking.istio.io", "Gateway");
    const bindings = new Map<string, { ns: string; host: string }[]>();
    for (const gw of gateways) {
        const gwNs = namespaceOfObject(gw);
        const id = `${gwNs}/${gw.props.metadata?.name}`;
        const entries: { ns: string; host: string }[] = [];
        ((gw.props.spec?.servers ?? []) as Props[]).forEach((sv, i) => {
            for (const entry of (sv.hosts ?? []) as string[]) {
                const b = splitHost(String(entry), gwNs);
                if (b.ns === "*") {
                    report(`Gateway ${id} server ${sv.port?.name ?? i} lists host "${entry}" without binding it to one namespace: any namespace's VirtualService can claim ${b.host}; write <namespace>/${b.host}.`, gw.urn);
                }
                entries.push(b);
            }
        });
        bindings.set(id, entries);
    }
    for (const vs of ofKind(resources, "networking.istio.io", "VirtualService")) {
        const vsNs = namespaceOfObject(vs);
        const hosts = (vs.props.spec?.hosts ?? []) as string[];
        for (const ref of (vs.props.spec?.gateways ?? []) as string[]) {
            if (ref === "mesh") {
                continue;
            }
            const id = gatewayRef(String(ref), vsNs);
            const entries = bindings.get(id);
            if (entries === undefined) {
                continue;
            }
            for (const h of hosts) {
                // A host bound by name is bound there only: a wildcard entry (the ingress server's "<gateway ns>/*",
                // which lets TLS without SNI in) does not let its namespace claim it too.
                const matching = entries.filter((b) => hostMatches(b.host, h));
                const exact = matching.filter((b) => b.host.toLowerCase() === String(h).toLowerCase());
                const bound = exact.length > 0 ? exact : matching;
                if (bound.length > 0 && !bound.some((b) => b.ns === "*" || b.ns === vsNs)) {
                    report(`VirtualService ${vsNs}/${vs.props.metadata?.name} claims host ${h} on Gateway ${id}, which binds it to namespace ${[...new Set(bound.map((b) => b.ns))].join(", ")}, not ${vsNs}.`, vs.urn);
                } else if (bound.length === 0) {
                    report(`VirtualService ${vsNs}/${vs.props.metadata?.name} claims host ${h} on Gateway ${id}, which does not serve it.`, vs.urn);
                }
            }
        }
    }
});

/** Pack config of the egress rule: the namespaces where the mesh's egress gateways run. */
export const EGRESS_GATEWAY_NAMESPACES = ["istio-egress"];
const egressConfigSchema = {
    properties: {
        ...scopeConfigSchema.properties,
        egressGatewayNamespaces: { type: "array" as const, items: { type: "string" as const }, default: EGRESS_GATEWAY_NAMESPACES },
        meshRootNamespace: { type: "string" as const, default: MESH_ROOT_NAMESPACE },
    },
};

/** The hosts a namespace's MCP workloads may reach: their McpServers' declared egress and their guards' JWKS hosts. */
function declaredHosts(workloads: Workload[], egressOf: Map<string, string[]>): Set<string> {
    const hosts = new Set<string>();
    for (const w of workloads) {
        for (const h of (w.server ? egressOf.get(w.server.name) : undefined) ?? []) {
            hosts.add(h.toLowerCase());
        }
        for (const c of containersOf(w.podSpec)) {
            const jwks = ((c.env ?? []) as Props[]).find((e) => e.name === "GUARD_JWKS_URL")?.value;
            if (typeof jwks === "string") {
                try {
                    hosts.add(new URL(jwks).hostname.toLowerCase());
                } catch {
                    // not a URL: the guard refuses to start
                }
            }
        }
    }
    return hosts;
}

/** The namespace of a mesh principal `<td>/ns/<ns>/sa/<sa>`, when it names exactly one service account. */
const principalNamespace = (p: unknown): string | undefined => (typeof p === "string" && /^[^*/]+\/ns\/[^*/]+\/sa\/[^*/]+$/.test(p) ? p.split("/")[2] : undefined);

/** Ports of a NetworkPolicy egress rule an egress gateway may use: 443 out, DNS, istiod's xDS. */
const GATEWAY_PORTS = new Set([443, 53, 15012]);
const METADATA_ADDRESS = "169.254.169.254";

function ipv4(a: string): number {
    return a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}
function inCidr(address: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(base ?? "")) {
        return false;
    }
    const size = 2 ** (32 - Number(bits ?? 32));
    const start = Math.floor(ipv4(base) / size) * size;
    return ipv4(address) >= start && ipv4(address) < start + size;
}

export const egressGatewayRestricted = stackRule({
    name: "kubernetes-istio-egress-gateway-restricted",
    description: "The mesh's egress gateway must let each MCP server out to its own declared hosts only. Every Gateway of an egress gateway namespace (pack config egressGatewayNamespaces) must take connections only over Istio mutual TLS (tls.mode ISTIO_MUTUAL, so the caller's workload identity is proven) and bind each host to a namespace whose MCP workloads declare it (their McpServer's egress domains, or the JWKS host their guard fetches); its pods must be selected by an ALLOW AuthorizationPolicy whose every rule names only principals of named service accounts and a when on connection.sni listing hosts the principal's namespace declares, so a server cannot use another server's hosts or any host at all; and the same holds for ALLOW policies of the mesh's root namespace (pack config meshRootNamespace) that select the gateway or every workload, which Istio adds to the gateway's own; every route bound to the gateway must send a host to that same host only (a tcp route from a VirtualService of one host to it, a tls route to the SNI it matches), since the AuthorizationPolicy judges the SNI while the route picks the upstream; every ServiceEntry of an MCP namespace must list only hosts the namespace declares, exact names, with resolution DNS or STATIC (not NONE); and its NetworkPolicies must deny by default and admit egress only on 443, DNS and istiod's port, never to the instance metadata address. Otherwise the egress gateway is an open proxy out of the cluster for every pod that reaches it.",
    severity: "high",
    controls: ["S1", "H1", "H5", "P3"],
    nist: ["SC-7", "AC-4", "SC-7(5)"],
    maestro: ["L4"],
    threats: ["T2", "T3", "T7"],
    remediation: "Declare each server's outbound hosts in mcpsec:servers[].egress and let McpClusterLayer (components/kubernetes, McpEgress) render the egress Gateway, routes, AuthorizationPolicy and NetworkPolicies; in your own egress gateway use tls.mode ISTIO_MUTUAL, hosts <namespace>/<host>, an ALLOW AuthorizationPolicy with one rule per service account and connection.sni, and NetworkPolicies limited to 443 out.",
    configSchema: egressConfigSchema,
}, (resources, args, report) => {
    const config = args.getConfig<{ egressGatewayNamespaces?: string[]; systemNamespaces?: string[]; meshRootNamespace?: string }>();
    const rootNs = config?.meshRootNamespace ?? MESH_ROOT_NAMESPACE;
    const egressNamespaces = new Set(config?.egressGatewayNamespaces ?? EGRESS_GATEWAY_NAMESPACES);
    const egressOf = new Map(ofType(resources, SERVER).map((s) => [String(s.props.spec?.name ?? s.name), ((s.props.spec?.egress ?? []) as string[])]));
    const byNamespace = new Map<string, Workload[]>();
    for (const w of workloadsOf(resources)) {
        byNamespace.set(w.namespace, [...(byNamespace.get(w.namespace) ?? []), w]);
    }
    const declared = (ns: string) => declaredHosts(byNamespace.get(ns) ?? [], egressOf);
    const authz = ofKind(resources, "security.istio.io", "AuthorizationPolicy");
    const policies = ofType(resources, NETWORK_POLICY);
    for (const gw of ofKind(resources, "networking.istio.io", "Gateway").filter((g) => egressNamespaces.has(namespaceOfObject(g)))) {
        const gwNs = namespaceOfObject(gw);
        const id = `Gateway ${gwNs}/${gw.props.metadata?.name}`;
        const podLabels = (gw.props.spec?.selector ?? {}) as Record<string, string>;
        ((gw.props.spec?.servers ?? []) as Props[]).forEach((sv, i) => {
            const where = `${id} server ${sv.port?.name ?? i}`;
            if (sv.tls?.mode !== "ISTIO_MUTUAL") {
                report(`${where} takes connections with tls.mode ${sv.tls?.mode ?? "unset"}, not ISTIO_MUTUAL: the caller's workload identity is not proven, so no per-server rule can hold.`, gw.urn);
            }
            for (const entry of (sv.hosts ?? []) as string[]) {
                const b = splitHost(String(entry), gwNs);
                if (b.ns !== "*" && !declared(b.ns).has(b.host.toLowerCase())) {
                    report(`${where} binds host ${b.host} to namespace ${b.ns}, whose MCP workloads do not declare it (mcpsec:servers[].egress or their guard's JWKS).`, gw.urn);
                }
            }
        });
        const allowHere = (p: typeof authz[number]) => (p.props.spec?.action ?? "ALLOW") === "ALLOW" && (selectsAll(p.props.spec?.selector) || selects(p.props.spec?.selector, podLabels));
        const selecting = authz.filter((p) => namespaceOfObject(p) === gwNs && allowHere(p));
        if (selecting.length === 0) {
            report(`${id}: no ALLOW AuthorizationPolicy selects the egress gateway's pods (${JSON.stringify(podLabels)}), so every pod that reaches it goes out to every host it routes.`, gw.urn);
        }
        // Istio ORs every ALLOW policy that applies: the root namespace's apply to the gateway too.
        const fromRoot = gwNs === rootNs ? [] : authz.filter((p) => namespaceOfObject(p) === rootNs && allowHere(p));
        for (const p of [...selecting, ...fromRoot]) {
            const pid = `AuthorizationPolicy ${namespaceOfObject(p)}/${p.props.metadata?.name}`;
            ((p.props.spec?.rules ?? []) as Props[]).forEach((r, i) => {
                const principals = ((r.from ?? []) as Props[]).flatMap((f) => (f.source?.principals ?? []) as unknown[]);
                const others = ((r.from ?? []) as Props[]).some((f) => Object.keys(f.source ?? {}).some((k) => k !== "principals"));
                const nss = principals.map(principalNamespace);
                if (principals.length === 0 || others || nss.some((n) => n === undefined)) {
                    report(`${pid} rule ${i} does not name only principals of named service accounts (from.source.principals <trust domain>/ns/<namespace>/sa/<name>).`, p.urn);
                    return;
                }
                const sni = ((r.when ?? []) as Props[]).filter((c) => c.key === "connection.sni").map((c) => (c.values ?? []) as string[]);
                if (sni.length === 0 || sni.some((v) => v.length === 0 || v.some((h) => String(h).includes("*")))) {
                    report(`${pid} rule ${i} has no when on connection.sni with exact hosts: its callers may go to any host the gateway routes.`, p.urn);
                    return;
                }
                // Conditions add up: the hosts a rule admits are those every connection.sni condition lists.
                const admitted = sni.reduce((acc, v) => acc.filter((h) => v.includes(h)));
                for (const ns of new Set(nss as string[])) {
                    const own = declared(ns);
                    const stray = admitted.filter((h) => !own.has(String(h).toLowerCase()));
                    if (stray.length > 0) {
                        report(`${pid} rule ${i} lets namespace ${ns} reach ${stray.join(", ")}, which its MCP workloads do not declare.`, p.urn);
                    }
                }
            });
        }
        const gwRef = `${gwNs}/${gw.props.metadata?.name}`;
        for (const vs of ofKind(resources, "networking.istio.io", "VirtualService")) {
            const vsNs = namespaceOfObject(vs);
            const refs = ((vs.props.spec?.gateways ?? []) as string[]).map((g) => gatewayRef(String(g), vsNs));
            if (!refs.includes(gwRef)) {
                continue;
            }
            const vid = `VirtualService ${vsNs}/${vs.props.metadata?.name}`;
            const hosts = ((vs.props.spec?.hosts ?? []) as string[]).map((h) => String(h).toLowerCase());
            const here = (r: Props) => {
                const matches = (r.match ?? []) as Props[];
                return matches.length === 0 || matches.some((m) => ((m.gateways ?? []) as string[]).length === 0 || ((m.gateways ?? []) as string[]).map((g) => gatewayRef(String(g), vsNs)).includes(gwRef));
            };
            const destinations = (r: Props) => ((r.route ?? []) as Props[]).map((x) => String(x.destination?.host ?? "").toLowerCase());
            ((vs.props.spec?.tcp ?? []) as Props[]).filter(here).forEach((r, i) => {
                const stray = destinations(r).filter((d) => hosts.length !== 1 || d !== hosts[0]);
                if (stray.length > 0) {
                    report(`${vid} tcp route ${i} on ${gwRef} sends ${hosts.join(", ")} to ${stray.join(", ")}: a tcp route at the egress gateway must belong to a VirtualService of one host and go to that host (the gateway's policy judges the SNI, the route picks where it goes).`, vs.urn);
                }
            });
            ((vs.props.spec?.tls ?? []) as Props[]).filter(here).forEach((r, i) => {
                const sni = ((r.match ?? []) as Props[]).flatMap((m) => (m.sniHosts ?? []) as string[]).map((h) => String(h).toLowerCase());
                const stray = destinations(r).filter((d) => sni.length !== 1 || d !== sni[0]);
                if (stray.length > 0) {
                    report(`${vid} tls route ${i} on ${gwRef} sends SNI ${sni.join(", ") || "(any)"} to ${stray.join(", ")}: a route at the egress gateway must send one host to that host only.`, vs.urn);
                }
            });
        }
        const gatewayPolicies = policies.filter((np) => namespaceOfObject(np) === gwNs);
        const denies = gatewayPolicies.some((np) => selectsAll(np.props.spec?.podSelector) && ((np.props.spec?.policyTypes ?? []) as string[]).includes("Egress") && (np.props.spec?.egress ?? []).length === 0);
        if (!denies) {
            report(`${id}: namespace ${gwNs} has no default-deny NetworkPolicy for egress, so the egress gateway can open any connection.`, gw.urn);
        }
        for (const np of gatewayPolicies.filter((n) => selects(n.props.spec?.podSelector, podLabels))) {
            ((np.props.spec?.egress ?? []) as Props[]).forEach((rule, i) => {
                const npId = `NetworkPolicy ${gwNs}/${np.props.metadata?.name} egress rule ${i}`;
                const ports = (rule.ports ?? []) as Props[];
                if (ports.length === 0 || ports.some((p) => !GATEWAY_PORTS.has(Number(p.port)) || p.endPort !== undefined)) {
                    report(`${npId} admits ${ports.length === 0 ? "every port" : `port ${ports.map((p) => p.port).join(", ")}`}; the egress gateway needs only 443 out, DNS (53) and istiod (15012).`, np.urn);
                }
                for (const to of (rule.to ?? []) as Props[]) {
                    const block = to.ipBlock as Props | undefined;
                    if (block && inCidr(METADATA_ADDRESS, String(block.cidr)) && !((block.except ?? []) as string[]).some((e) => inCidr(METADATA_ADDRESS, e))) {
                        report(`${npId} admits ${block.cidr}, which holds the instance metadata address ${METADATA_ADDRESS}; add it (169.254.0.0/16) to except.`, np.urn);
                    }
                }
            });
        }
    }
    // The hosts an MCP namespace registers are the destinations its routes can name: only its own, by exact name.
    const mcp = new Set(mcpNamespaces(resources, systemNamespacesOf(config)).map((n) => n.name));
    for (const se of ofKind(resources, "networking.istio.io", "ServiceEntry").filter((e) => mcp.has(namespaceOfObject(e)))) {
        const seNs = namespaceOfObject(se);
        const sid = `ServiceEntry ${seNs}/${se.props.metadata?.name}`;
        const own = declared(seNs);
        const stray = ((se.props.spec?.hosts ?? []) as string[]).filter((h) => String(h).includes("*") || !own.has(String(h).toLowerCase()));
        if (stray.length > 0) {
            report(`${sid} registers ${stray.join(", ")}, which the namespace's MCP workloads do not declare (exact names from mcpsec:servers[].egress or their guard's JWKS).`, se.urn);
        }
        if (se.props.spec?.resolution === "NONE") {
            report(`${sid} has resolution NONE: the mesh forwards to whatever address the caller connects to, not to the hosts it names.`, se.urn);
        }
    }
});

/** Millicores of a Kubernetes CPU quantity, or undefined. */
export function cpuMillis(q: unknown): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(q ?? ""));
    return m ? (m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000) : undefined;
}
const UNITS: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
/** Bytes of a Kubernetes memory quantity, or undefined. */
export function memoryBytes(q: unknown): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q ?? ""));
    return m ? Number(m[1]) * UNITS[m[2] ?? ""] : undefined;
}

/** Istio's injection annotations that set the sidecar's requests and limits. */
export const SIDECAR_ANNOTATIONS = { cpu: "sidecar.istio.io/proxyCPU", cpuLimit: "sidecar.istio.io/proxyCPULimit", memory: "sidecar.istio.io/proxyMemory", memoryLimit: "sidecar.istio.io/proxyMemoryLimit" } as const;

/** Pods a rolling update runs at once: replicas plus maxSurge (an int or a percentage, rounded up; default 25%). */
function podsDuringRollout(props: Props): number {
    const replicas = typeof props.spec?.replicas === "number" ? props.spec.replicas : 1;
    const surge = props.spec?.strategy?.rollingUpdate?.maxSurge ?? "25%";
    const extra = typeof surge === "number" ? surge : /^\d+%$/.test(String(surge)) ? Math.ceil((replicas * Number(String(surge).slice(0, -1))) / 100) : 1;
    return replicas + (props.spec?.strategy?.type === "Recreate" ? 0 : extra);
}

export const sidecarResources = stackRule({
    name: "kubernetes-mcp-sidecar-resources",
    description: "Every workload of an MCP namespace that runs in the mesh must set its Istio sidecar's resources explicitly (sidecar.istio.io/proxyCPU, proxyCPULimit, proxyMemory, proxyMemoryLimit on the pod template), and the namespace's ResourceQuota must admit every pod of a rolling update (replicas plus maxSurge), each counted with all its containers' limits and the sidecar's: without the annotations the sidecar takes the mesh's defaults (a limit of 2 CPUs and 1 GiB in Istio's charts), the quota refuses the surge pod, and a rollout or a scale-out of an MCP server stalls; without a quota a compromised server can starve its neighbours. " + "An MCP namespace is as the other MCP rules define it (pack config systemNamespaces).",
    severity: "medium",
    controls: ["H3", "H1", "P3"],
    nist: ["SC-6", "CM-6"],
    maestro: ["L4"],
    threats: ["T6"],
    remediation: "Use McpWorkload and McpNamespace through McpClusterLayer (components/kubernetes), which set the sidecar annotations and size the quota for replicas + 1 pods with the server, guard and sidecar limits; in your own manifests add the four sidecar.istio.io annotations and raise the ResourceQuota's limits.cpu, limits.memory and pods.",
    configSchema: scopeConfigSchema,
}, (resources, args, report) => {
    const quotas = ofType(resources, "kubernetes:core/v1:ResourceQuota");
    for (const ns of mcpNamespaces(resources, systemNamespacesOf(args.getConfig<{ systemNamespaces?: string[] }>()))) {
        const quota = quotas.find((q) => namespaceOfObject(q) === ns.name);
        if (quota === undefined && ns.workloads.length > 0) {
            report(`MCP namespace ${ns.name} has no ResourceQuota: its workloads are bounded only by the node.`, ns.urn);
        }
        const hard = (quota?.props.spec?.hard ?? {}) as Record<string, unknown>;
        const need = { cpu: 0, memory: 0, pods: 0 };
        for (const w of ns.workloads) {
            if (w.podAnnotations["sidecar.istio.io/inject"] === "false") {
                continue;
            }
            const missing = Object.values(SIDECAR_ANNOTATIONS).filter((a) => (a.endsWith("CPU") || a.endsWith("CPULimit") ? cpuMillis(w.podAnnotations[a]) : memoryBytes(w.podAnnotations[a])) === undefined);
            if (missing.length > 0) {
                report(`${w.label} does not set its mesh sidecar's resources (${missing.join(", ")}): the sidecar takes the mesh's defaults, which the namespace quota does not count.`, w.resource.urn);
                continue;
            }
            const pods = podsDuringRollout(w.resource.props);
            const containers = containersOf(w.podSpec).filter((c) => !(w.podSpec.initContainers ?? []).includes(c));
            const cpu = containers.reduce((n, c) => n + (cpuMillis(c.resources?.limits?.cpu) ?? 0), 0) + cpuMillis(w.podAnnotations[SIDECAR_ANNOTATIONS.cpuLimit])!;
            const mem = containers.reduce((n, c) => n + (memoryBytes(c.resources?.limits?.memory) ?? 0), 0) + memoryBytes(w.podAnnotations[SIDECAR_ANNOTATIONS.memoryLimit])!;
            need.cpu += cpu * pods;
            need.memory += mem * pods;
            need.pods += pods;
        }
        if (quota === undefined || need.pods === 0) {
            continue;
        }
        const id = `ResourceQuota ${ns.name}/${quota.props.metadata?.name}`;
        const short: string[] = [];
        for (const key of ["limits.cpu", "cpu"]) {
            const v = cpuMillis(hard[key]);
            if (v !== undefined && v < need.cpu) {
                short.push(`${key} ${String(hard[key])} < ${need.cpu}m`);
            }
        }
        for (const key of ["limits.memory", "memory"]) {
            const v = memoryBytes(hard[key]);
            if (v !== undefined && v < need.memory) {
                short.push(`${key} ${String(hard[key])} < ${Math.ceil(need.memory / 1024 ** 2)}Mi`);
            }
        }
        if (hard.pods !== undefined && Number(hard.pods) < need.pods) {
            short.push(`pods ${String(hard.pods)} < ${need.pods}`);
        }
        if (short.length > 0) {
            report(`${id} does not admit a rolling update of the namespace's workloads (replicas + maxSurge pods with their containers' and sidecars' limits): ${short.join(", ")}.`, quota.urn);
        }
    }
});

export const gatewayRules = [gatewayHostsBound, egressGatewayRestricted, sidecarResources];
