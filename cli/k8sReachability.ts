/**
 * Reachability inside a Kubernetes cluster, over a synthesized resource graph (`cli/graph.ts`): an independent model
 * of what the cluster's network plugin and the Istio mesh would let through once the graph is applied, used to prove
 * the flows the in-cluster layer needs and the flows it must not have. A pure library: no cluster, no I/O.
 *
 * Layers, in the order a packet meets them, each recorded as a hop of the answer:
 * 1. the source's sidecar, outbound (Istio `outboundTrafficPolicy` REGISTRY_ONLY and `ServiceEntry` hosts). Reported,
 *    but it decides nothing unless {@link K8sModelOptions.sidecarEgressIsBoundary} is set: Istio's own security
 *    guidance is that traffic capture by the sidecar can be bypassed by the workload, so egress control needs a
 *    NetworkPolicy (or an egress gateway behind one).
 * 2. NetworkPolicy egress of the source pod, then 3. NetworkPolicy ingress of the destination pod, with the semantics
 *    of https://kubernetes.io/docs/concepts/services-networking/network-policies/ (networking.k8s.io/v1):
 *    - a pod is isolated for a direction only if some NetworkPolicy of its namespace selects it (`podSelector`) with
 *      that direction in its `policyTypes`; a pod no policy isolates admits (sends) everything in that direction;
 *    - `policyTypes` left unset means `Ingress`, plus `Egress` when the policy has any egress rule;
 *    - policies are additive: traffic is allowed if any rule of any policy that selects the pod for that direction
 *      matches; an isolating policy without rules allows nothing; a rule with no `from`/`to` matches every peer, and
 *      one with no `ports` every port;
 *    - a peer is a `podSelector` (pods of the policy's own namespace), a `namespaceSelector` (every pod of the
 *      matching namespaces), both in one element (the pods that match in the namespaces that match), or an
 *      `ipBlock` (`cidr` minus each `except`). IP blocks are meant for addresses outside the cluster (pod addresses
 *      are ephemeral): here they match external endpoints only, never a pod;
 *    - a port is a number or the name of a container port of the destination pod (on the rule's protocol, TCP by
 *      default); `endPort` extends a numeric port to a range, inclusive;
 *    - both ends must allow a connection: the source's egress and the destination's ingress; replies are implicit;
 *    - every namespace carries `kubernetes.io/metadata.name: <its name>`, set by the API server (it cannot be
 *      changed to another value), so the model sets it on every namespace whatever the graph says.
 * 4. mutual TLS at the destination (Istio `PeerAuthentication`): the mode of the workload's port, else the
 *    workload's, else its namespace's, else the mesh's (root namespace `istio-system`), `UNSET` inheriting, PERMISSIVE
 *    when none; STRICT admits only sources in the mesh (a sidecar or a gateway). Gateways terminate their own
 *    listeners and are not held to PeerAuthentication.
 * 5. Istio `AuthorizationPolicy` at the destination (workloads in the mesh and gateways): policies of the workload's
 *    namespace and of the root namespace whose `selector` matches it (none = all of that namespace, or the whole mesh
 *    from the root namespace); a DENY whose rule matches refuses; otherwise, when ALLOW policies apply, one of their
 *    rules must match; with none, everything is allowed. Within a rule `from`, `to` and `when` must all match; each
 *    is a list of alternatives; the fields of a source or operation must all match. Sources: `principals`
 *    (`<trust domain>/ns/<ns>/sa/<account>`, only over mutual TLS), `namespaces`, `ipBlocks` and their `not...`
 *    forms; `requestPrincipals` (`<issuer>/<subject>` of a validated JWT). Operations: `ports` is evaluated; `hosts`,
 *    `methods` and `paths` are request attributes. `when` keys: `source.namespace`, `source.principal`,
 *    `destination.port`, `request.auth.claims[...]`, `connection.sni` (the SNI of a TLS connection, given as
 *    {@link RequestAttributes.sni}); others are request attributes. A gateway knows the caller's principal only on a
 *    listener that takes Istio mutual TLS (a `Gateway` server with `tls.mode: ISTIO_MUTUAL`, as an egress gateway).
 *    Request attributes the caller does not give ({@link CanReachOptions.request}) are not guessed: an ALLOW rule
 *    that needs them makes the answer "allowed if" (its {@link Verdict.conditions}, e.g. "needs a token of issuer
 *    X"), and a DENY rule that needs them a condition of not matching it.
 *
 * Egress to internet hosts ({@link K8sReachabilityModel.canReachHost}) follows the mesh's routes: a `VirtualService`
 * bound to `mesh` and visible in the source's namespace that routes the SNI to a Service (an egress gateway) makes two
 * connections of the one, each judged as above. The sidecar's Istio mutual TLS to the gateway carries the SNI of the
 * `DestinationRule` subset (else Istio's `outbound_.<port>_.<subset>_.<fqdn>`); the gateway picks the `Gateway` server
 * whose filter chain takes that SNI (server names = the server's hosts, none when one is `*`), and forwards as Istio
 * programs it: a PASSTHROUGH server by the `tls` routes' sniHosts, a terminated one (SIMPLE, MUTUAL, ISTIO_MUTUAL) by
 * the `tcp` route of the first VirtualService bound to the Gateway whose hosts the server binds to its namespace
 * (pilot/pkg/networking/core/gateway.go, buildGatewayNetworkFiltersFromTCPRoutes), to a host a ServiceEntry visible
 * in the gateway's namespace registers; without a route the pod connects directly. Ingress
 * ({@link K8sReachabilityModel.ingressRoute}) picks the HTTPS server by SNI the same way and the VirtualService by
 * Host. The `gateway` chart's Service is modelled from the release's values.
 *
 * Pods come from the workloads of the graph (Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod, Job, CronJob: the
 * pod template's labels, service account and container ports), from Helm releases of the Istio charts the model
 * knows (`istiod`, `gateway`: labels, service account and ports as the charts render them), and from pods the caller
 * declares that the cluster runs without the graph (by default {@link CLUSTER_BASELINE_PODS}: CoreDNS as kube-dns).
 * Sidecar injection follows Istio's rules: the namespace label `istio-injection=enabled` (or `istio.io/rev`) injects
 * unless the pod says `sidecar.istio.io/inject: "false"`; a namespace labelled `disabled` never injects; an
 * unlabelled namespace injects a pod labelled `sidecar.istio.io/inject: "true"`.
 *
 * Not modelled: hostNetwork pods, node-local traffic (kubelet probes, always allowed by NetworkPolicy), the
 * network plugin's own extensions (Calico, Cilium policies), AdminNetworkPolicy, Istio CUSTOM actions (reported, not
 * evaluated), ambient mode, Services of type ExternalName, and the address translation a load balancer applies to
 * an external client (an external endpoint keeps its address up to the pod).
 */
import * as ipaddr from "ipaddr.js";
import { GraphResource, ResourceGraph } from "./graph";

// ---------------------------------------------------------------------------------------------------------------
// Types

/** Transport protocols of NetworkPolicy ports and container ports. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** A `metav1.LabelSelector`. An empty selector (`{}`) matches everything. */
export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

export interface ContainerPort {
    name?: string;
    containerPort: number;
    protocol: Protocol;
}

/** Where a pod of the model comes from. */
export type PodOrigin =
    | { kind: "workload"; resource: GraphResource }
    | { kind: "helm"; resource: GraphResource; chart: string }
    | { kind: "assumed"; reason: string };

/** A pod (one per workload: replicas share labels, ports and identity). */
export interface PodNode {
    kind: "pod";
    /** `<namespace>/<name>`, the workload's name. */
    id: string;
    namespace: string;
    name: string;
    /** The kind of the workload that runs it (`Deployment`, `Pod`, ... or `helm:<chart>`, `assumed`). */
    workloadKind: string;
    labels: Record<string, string>;
    ports: ContainerPort[];
    serviceAccount: string;
    /** `sidecar` (Istio injects a proxy), `gateway` (an Istio gateway proxy) or `none`. */
    mesh: "sidecar" | "gateway" | "none";
    origin: PodOrigin;
}

/** An address outside the cluster (a client, an internet host). `host` is the DNS name it was reached by, if any. */
export interface ExternalNode {
    kind: "external";
    id: string;
    address: string;
    host?: string;
}

export type K8sEndpoint = PodNode | ExternalNode;

export interface NamespaceNode {
    name: string;
    /** Labels, with `kubernetes.io/metadata.name` as the API server sets it. */
    labels: Record<string, string>;
    /** The Namespace resource of the graph, if the graph declares it. */
    resource?: GraphResource;
}

export interface ServicePort {
    name?: string;
    port: number;
    /** A number, or the name of a container port of the selected pods. Defaults to `port`. */
    targetPort: number | string;
    protocol: Protocol;
}

export interface ServiceNode {
    namespace: string;
    name: string;
    /** Pods selected; a Service without a selector has no endpoints the model can know. */
    selector?: Record<string, string>;
    ports: ServicePort[];
    resource: GraphResource;
}

/** A port of a pod a Service sends traffic to. */
export interface ServiceTarget {
    pod: PodNode;
    port: number;
    protocol: Protocol;
}

/** Which layer a hop belongs to. */
export type Layer = "sidecar-egress" | "networkpolicy-egress" | "networkpolicy-ingress" | "mtls" | "authorization";

/** One layer's decision on the way from source to destination. */
export interface K8sHop {
    layer: Layer;
    /** `allowed`, `refused`, `conditional` (an AuthorizationPolicy needs request attributes), or `advisory-refusal`
     * (a sidecar's outbound policy refuses, which the model does not count as a boundary). */
    decision: "allowed" | "refused" | "conditional" | "advisory-refusal";
    /** The objects that decided, as `<Kind> <namespace>/<name>`. */
    objects: string[];
    reason: string;
}

/** The object that refused a flow first, in packet order. */
export interface Refusal {
    layer: Layer;
    /** `<Kind> <namespace>/<name>` of the deciding object, or a description when no single object decides. */
    object: string;
    /** The graph resource, when there is one. */
    resource?: GraphResource;
    reason: string;
}

export interface Verdict {
    /** True when every layer allows (perhaps under {@link conditions}). */
    allowed: boolean;
    /** Every layer the flow meets, in packet order (all are evaluated, also after a refusal). */
    path: K8sHop[];
    refusedBy?: Refusal;
    /** Request attributes an AuthorizationPolicy needs for the flow to be allowed (each must hold). */
    conditions: string[];
    /** One line for assertion messages. */
    explanation: string;
}

/** Request attributes for the authorization layer. Omitted: the answer states what the request would need. */
export interface RequestAttributes {
    /** `<issuer>/<subject>` of a JWT the mesh validated; undefined: no token. */
    requestPrincipal?: string;
    path?: string;
    method?: string;
    host?: string;
    /** Claims of the token (`scope` as its space-separated values). */
    claims?: Record<string, string[]>;
    /** The TLS server name the client sent (`connection.sni`), for TLS passed through a gateway. */
    sni?: string;
}

/**
 * The answer to "can this pod open TLS to this internet host", following what the mesh routes: the source's sidecar
 * sends it where a VirtualService (bound to `mesh`, visible in its namespace) routes the SNI, else straight out; an
 * egress gateway forwards it only when one of its Gateways binds the host to the namespace of a VirtualService that
 * routes the SNI from that Gateway to the host. Each connection is one {@link Verdict}.
 */
export interface HostVerdict {
    allowed: boolean;
    /** `direct` (no mesh route: the pod connects to the address itself) or `egress-gateway`. */
    route: "direct" | "egress-gateway";
    /** The connections in order: source -> host, or source -> egress gateway and egress gateway -> host. */
    legs: Verdict[];
    /** Why the gateway would not forward (no filter chain for the SNI, no route, or a route to another host), if so. */
    routingRefusal?: string;
    /** The host the egress gateway's route sends the connection to (which may not be the one asked for). */
    upstream?: string;
    explanation: string;
}

export interface CanReachOptions {
    /** Default TCP. */
    protocol?: Protocol;
    request?: RequestAttributes;
}

/** A pod the cluster runs that the graph does not declare. */
export interface AssumedPod {
    namespace: string;
    name: string;
    labels: Record<string, string>;
    ports: ContainerPort[];
    serviceAccount: string;
    reason: string;
}

export interface K8sModelOptions {
    /** Pods the cluster runs outside the graph. Default {@link CLUSTER_BASELINE_PODS}. */
    assumedPods?: AssumedPod[];
    /** Istio's root namespace. Default `istio-system`. */
    rootNamespace?: string;
    /** Istio's trust domain. Default `cluster.local`. */
    trustDomain?: string;
    /** Count a sidecar's outbound refusal (REGISTRY_ONLY) as a boundary. Default false (see the module comment). */
    sidecarEgressIsBoundary?: boolean;
}

/**
 * What every cluster runs that an in-cluster layer does not declare: CoreDNS, Service `kube-dns` in `kube-system`,
 * pods labelled `k8s-app: kube-dns` serving 53 over UDP and TCP (kubeadm and the EKS CoreDNS add-on alike).
 */
export const CLUSTER_BASELINE_PODS: AssumedPod[] = [{
    namespace: "kube-system", name: "coredns", labels: { "k8s-app": "kube-dns" }, serviceAccount: "coredns",
    ports: [{ name: "dns", containerPort: 53, protocol: "UDP" }, { name: "dns-tcp", containerPort: 53, protocol: "TCP" }, { name: "metrics", containerPort: 9153, protocol: "TCP" }],
    reason: "CoreDNS, which every cluster runs as kube-dns",
}];

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

/** Whether a label selector matches a set of labels (`metav1.LabelSelector` semantics; `{}` matches all). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
    if (!selector) {
        return true;
    }
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) {
            return false;
        }
    }
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const values = e.values ?? [];
        switch (e.operator) {
            case "In": if (!has || !values.includes(labels[e.key])) return false; break;
            case "NotIn": if (has && values.includes(labels[e.key])) return false; break;
            case "Exists": if (!has) return false; break;
            case "DoesNotExist": if (has) return false; break;
            default: throw new Error(`label selector operator ${String((e as { operator: unknown }).operator)} is not one of In, NotIn, Exists, DoesNotExist`);
        }
    }
    return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Graph reading

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? v as Obj : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strMap = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).filter(([, x]) => typeof x === "string")) as Record<string, string>;
const protocolOf = (v: unknown): Protocol => (v === "UDP" || v === "SCTP" ? v : "TCP");

/** Kind of a Kubernetes resource type token (`kubernetes:apps/v1:Deployment` -> `Deployment`). */
function kindOf(r: GraphResource): string | undefined {
    const m = /^kubernetes:([^:]+):([^:]+)$/.exec(r.type);
    return m ? m[2] : undefined;
}

function groupOf(r: GraphResource): string {
    return /^kubernetes:([^:]+):/.exec(r.type)?.[1] ?? "";
}

function metadata(r: GraphResource): { name: string; namespace: string; labels: Record<string, string> } {
    const m = obj(r.inputs.metadata);
    return { name: str(m.name) ?? r.name, namespace: str(m.namespace) ?? "default", labels: strMap(m.labels) };
}

const WORKLOAD_TEMPLATE: Record<string, (spec: Obj) => Obj | undefined> = {
    Deployment: (s) => obj(s.template),
    StatefulSet: (s) => obj(s.template),
    DaemonSet: (s) => obj(s.template),
    ReplicaSet: (s) => obj(s.template),
    Job: (s) => obj(s.template),
    CronJob: (s) => obj(obj(obj(s.jobTemplate).spec).template),
};

/** Istio charts whose pods the model knows, as the charts render them by default. */
const ISTIO_CHARTS: Record<string, (release: string, values: Obj) => Omit<AssumedPod, "namespace" | "reason"> & { mesh: PodNode["mesh"] }> = {
    // manifests/charts/istiod: Deployment istiod, labels app=istiod, istio=pilot, service account istiod.
    istiod: () => ({
        name: "istiod", labels: { app: "istiod", istio: "pilot" }, serviceAccount: "istiod", mesh: "none",
        ports: [
            { name: "http-debug", containerPort: 8080, protocol: "TCP" }, { name: "grpc-xds", containerPort: 15010, protocol: "TCP" },
            { name: "tls-xds", containerPort: 15012, protocol: "TCP" }, { name: "https-webhooks", containerPort: 15017, protocol: "TCP" },
            { name: "http-monitoring", containerPort: 15014, protocol: "TCP" },
        ],
    }),
    // manifests/charts/gateway: name = values.name or the release name; selector labels app=<name>,
    // istio=<name without "istio-"> (values.labels.app / .istio override); service account <name>; the pod binds the
    // Service's target ports (15021, 80, 443 by default) and 15090 for metrics.
    gateway: (release, values) => {
        const name = str(values.name) || release;
        const labels = strMap(values.labels);
        const servicePorts = arr(obj(values.service).ports);
        const ports: ContainerPort[] = servicePorts.length > 0
            ? servicePorts.map((p) => ({ name: str(obj(p).name), containerPort: Number(obj(p).targetPort ?? obj(p).port), protocol: protocolOf(obj(p).protocol) }))
            : [{ name: "status-port", containerPort: 15021, protocol: "TCP" }, { name: "http2", containerPort: 80, protocol: "TCP" }, { name: "https", containerPort: 443, protocol: "TCP" }];
        ports.push({ name: "http-envoy-prom", containerPort: 15090, protocol: "TCP" });
        return {
            name, mesh: "gateway",
            labels: { ...labels, app: labels.app ?? name, istio: labels.istio ?? name.replace(/^istio-/, "") },
            serviceAccount: str(obj(values.serviceAccount).name) || name,
            ports,
        };
    },
};

interface NetworkPolicy {
    namespace: string;
    name: string;
    resource: GraphResource;
    podSelector: LabelSelector;
    types: Set<"Ingress" | "Egress">;
    ingress: Obj[];
    egress: Obj[];
}

interface IstioPolicy {
    kind: string;
    namespace: string;
    name: string;
    resource: GraphResource;
    spec: Obj;
}

const describe = (kind: string, namespace: string, name: string) => `${kind} ${namespace}/${name}`;

// ---------------------------------------------------------------------------------------------------------------
// The model

/**
 * The reachability model of one graph. Build it once per graph (it indexes pods, namespaces, Services and
 * policies), then ask {@link canReach}.
 */
export class K8sReachabilityModel {
    private readonly rootNamespace: string;
    private readonly trustDomain: string;
    private readonly sidecarBoundary: boolean;
    private readonly namespaceNodes = new Map<string, NamespaceNode>();
    private readonly podNodes: PodNode[] = [];
    private readonly serviceNodes: ServiceNode[] = [];
    private readonly netpols: NetworkPolicy[] = [];
    private readonly istio: IstioPolicy[] = [];
    private readonly meshOutbound: { mode: "ALLOW_ANY" | "REGISTRY_ONLY"; resource?: GraphResource };

    constructor(readonly graph: ResourceGraph, options: K8sModelOptions = {}) {
        this.rootNamespace = options.rootNamespace ?? "istio-system";
        this.trustDomain = options.trustDomain ?? "cluster.local";
        this.sidecarBoundary = options.sidecarEgressIsBoundary ?? false;
        let outbound: K8sReachabilityModel["meshOutbound"] = { mode: "ALLOW_ANY" };
        for (const r of graph.resources) {
            const kind = kindOf(r);
            if (!kind) continue;
            if (kind === "Namespace" && groupOf(r) === "core/v1") {
                const m = metadata(r);
                this.namespaceNodes.set(m.name, { name: m.name, labels: { ...m.labels, "kubernetes.io/metadata.name": m.name }, resource: r });
            } else if (kind in WORKLOAD_TEMPLATE || (kind === "Pod" && groupOf(r) === "core/v1")) {
                this.addWorkload(r, kind);
            } else if (kind === "Service" && groupOf(r) === "core/v1") {
                const m = metadata(r);
                const spec = obj(r.inputs.spec);
                if (spec.type === "ExternalName") continue;
                this.serviceNodes.push({
                    namespace: m.namespace, name: m.name, resource: r,
                    selector: spec.selector === undefined ? undefined : strMap(spec.selector),
                    ports: arr(spec.ports).map((p) => {
                        const o = obj(p);
                        const port = Number(o.port);
                        const target = o.targetPort;
                        return { name: str(o.name), port, protocol: protocolOf(o.protocol), targetPort: typeof target === "string" && !/^\d+$/.test(target) ? target : target === undefined ? port : Number(target) };
                    }),
                });
            } else if (kind === "NetworkPolicy" && groupOf(r).startsWith("networking.k8s.io")) {
                this.netpols.push(parseNetworkPolicy(r));
            } else if (groupOf(r).startsWith("security.istio.io") || (["ServiceEntry", "VirtualService", "Gateway", "DestinationRule"].includes(kind) && groupOf(r).startsWith("networking.istio.io"))) {
                const m = metadata(r);
                this.istio.push({ kind, namespace: m.namespace, name: m.name, resource: r, spec: obj(r.inputs.spec) });
            } else if (kind === "Release" && groupOf(r).startsWith("helm.sh")) {
                const chart = str(r.inputs.chart) ?? "";
                const repo = str(obj(r.inputs.repositoryOpts).repo) ?? "";
                const values = obj(r.inputs.values);
                if (/istio-release|istio\.io|\/istio\b/.test(repo + " " + chart) && ISTIO_CHARTS[chart.replace(/^.*\//, "")]) {
                    const short = chart.replace(/^.*\//, "");
                    const namespace = str(r.inputs.namespace) ?? "default";
                    const p = ISTIO_CHARTS[short](str(r.inputs.name) ?? r.name, values);
                    this.podNodes.push({
                        kind: "pod", id: `${namespace}/${p.name}`, namespace, name: p.name, workloadKind: `helm:${short}`, labels: p.labels,
                        ports: p.ports, serviceAccount: p.serviceAccount, mesh: p.mesh, origin: { kind: "helm", resource: r, chart: short },
                    });
                    if (short === "gateway" && obj(values.service).type !== "None") {
                        // The chart's Service: named like the pod, selecting its labels, the ports of values.service.
                        this.serviceNodes.push({
                            namespace, name: p.name, resource: r, selector: { app: p.labels.app, istio: p.labels.istio },
                            ports: p.ports.filter((cp) => cp.name !== "http-envoy-prom").map((cp) => {
                                const sp = arr(obj(values.service).ports).map(obj).find((x) => str(x.name) === cp.name);
                                return { name: cp.name, port: sp ? Number(sp.port) : cp.containerPort, targetPort: cp.containerPort, protocol: cp.protocol };
                            }),
                        });
                    }
                    if (short === "istiod") {
                        const mode = obj(obj(values.meshConfig).outboundTrafficPolicy).mode;
                        outbound = { mode: mode === "REGISTRY_ONLY" ? "REGISTRY_ONLY" : "ALLOW_ANY", resource: r };
                    }
                }
            }
        }
        this.meshOutbound = outbound;
        for (const a of options.assumedPods ?? CLUSTER_BASELINE_PODS) {
            this.addPod({ namespace: a.namespace, name: a.name, workloadKind: "assumed", labels: a.labels, ports: a.ports, serviceAccount: a.serviceAccount, origin: { kind: "assumed", reason: a.reason } });
        }
        // Sidecar injection depends on namespace labels: decide it once every namespace is known.
        for (const p of this.podNodes) {
            this.ensureNamespace(p.namespace);
            if (p.mesh !== "gateway") p.mesh = this.injects(p) ? "sidecar" : "none";
        }
    }

    // --- inventory ---------------------------------------------------------------------------------------------

    pods(): PodNode[] {
        return [...this.podNodes];
    }

    namespaces(): NamespaceNode[] {
        return [...this.namespaceNodes.values()];
    }

    services(): ServiceNode[] {
        return [...this.serviceNodes];
    }

    /** Pods of a namespace whose labels match a selector. */
    podsMatching(namespace: string, selector: LabelSelector = {}): PodNode[] {
        return this.podNodes.filter((p) => p.namespace === namespace && selectorMatches(selector, p.labels));
    }

    /** The one pod (workload) of a namespace matching a selector; throws when there is not exactly one. */
    pod(namespace: string, selector: LabelSelector = {}): PodNode {
        const found = this.podsMatching(namespace, selector);
        if (found.length !== 1) {
            throw new Error(`expected one pod in ${namespace} matching ${JSON.stringify(selector)}, found ${found.length} (${found.map((p) => p.id).join(", ") || "none"})`);
        }
        return found[0];
    }

    service(namespace: string, name: string): ServiceNode {
        const s = this.serviceNodes.find((x) => x.namespace === namespace && x.name === name);
        if (!s) throw new Error(`no Service ${namespace}/${name} in the graph`);
        return s;
    }

    /**
     * Where a Service port sends traffic: each selected pod with the target port resolved (a number as is, a name
     * through the pod's container ports on that protocol; a pod without that named port receives nothing).
     */
    serviceTargets(service: ServiceNode, port: number): ServiceTarget[] {
        const sp = service.ports.find((p) => p.port === port);
        if (!sp) throw new Error(`Service ${service.namespace}/${service.name} has no port ${port} (ports: ${service.ports.map((p) => p.port).join(", ")})`);
        if (!service.selector) return [];
        const targets: ServiceTarget[] = [];
        for (const pod of this.podsMatching(service.namespace, { matchLabels: service.selector })) {
            const resolved = typeof sp.targetPort === "number" ? sp.targetPort : pod.ports.find((c) => c.name === sp.targetPort && c.protocol === sp.protocol)?.containerPort;
            if (resolved !== undefined) targets.push({ pod, port: resolved, protocol: sp.protocol });
        }
        return targets;
    }

    /** An address outside the cluster (optionally reached by a DNS name, for ServiceEntry matching). */
    external(address: string, host?: string): ExternalNode {
        ipaddr.parse(address);
        return { kind: "external", id: host ? `${host} (${address})` : address, address, host };
    }

    /**
     * A pod that the graph does not run, added to the model (e.g. an attacker's pod in some namespace, to prove it is
     * refused). Its namespace is created with only its automatic label when the graph does not declare it.
     */
    addPod(p: { namespace: string; name: string; labels?: Record<string, string>; ports?: ContainerPort[]; serviceAccount?: string; workloadKind?: string; origin?: PodOrigin }): PodNode {
        this.ensureNamespace(p.namespace);
        const pod: PodNode = {
            kind: "pod", id: `${p.namespace}/${p.name}`, namespace: p.namespace, name: p.name, workloadKind: p.workloadKind ?? "Pod",
            labels: p.labels ?? {}, ports: p.ports ?? [], serviceAccount: p.serviceAccount ?? "default", mesh: "none",
            origin: p.origin ?? { kind: "assumed", reason: "added by the caller" },
        };
        pod.mesh = this.injects(pod) ? "sidecar" : "none";
        this.podNodes.push(pod);
        return pod;
    }

    /** The SPIFFE-style principal Istio gives a mesh workload: `<trust domain>/ns/<namespace>/sa/<account>`. */
    principalOf(pod: PodNode): string {
        return `${this.trustDomain}/ns/${pod.namespace}/sa/${pod.serviceAccount}`;
    }

    // --- the question ------------------------------------------------------------------------------------------

    /**
     * Can `from` open a connection to `to` on `port` (the destination pod's port, or the external address's)?
     * Evaluates every layer (see the module comment) and returns the path and the first refusing object.
     */
    canReach(from: K8sEndpoint, to: K8sEndpoint, port: number, options: CanReachOptions = {}): Verdict {
        const protocol = options.protocol ?? "TCP";
        const path: K8sHop[] = [];
        const conditions: string[] = [];
        let refusedBy: Refusal | undefined;
        const refuse = (r: Refusal) => { refusedBy ??= r; };

        if (from.kind === "pod" && from.mesh === "sidecar" && to.kind === "external") {
            const hop = this.sidecarEgress(from, to, port);
            path.push(hop);
            if (hop.decision === "refused") refuse({ layer: hop.layer, object: hop.objects[0], resource: this.meshOutbound.resource, reason: hop.reason });
        }
        if (from.kind === "pod") {
            const hop = this.networkPolicy("Egress", from, to, port, protocol);
            path.push(hop.hop);
            if (hop.hop.decision === "refused") refuse({ layer: hop.hop.layer, object: hop.hop.objects[0], resource: hop.first, reason: hop.hop.reason });
        }
        if (to.kind === "pod") {
            const hop = this.networkPolicy("Ingress", to, from, port, protocol);
            path.push(hop.hop);
            if (hop.hop.decision === "refused") refuse({ layer: hop.hop.layer, object: hop.hop.objects[0], resource: hop.first, reason: hop.hop.reason });
            if (to.mesh !== "none") {
                const mtls = this.mtls(from, to, port);
                if (mtls) {
                    path.push(mtls.hop);
                    if (mtls.hop.decision === "refused") refuse({ layer: "mtls", object: mtls.hop.objects[0], resource: mtls.resource, reason: mtls.hop.reason });
                }
                const authz = this.authorization(from, to, port, options.request);
                path.push(authz.hop);
                if (authz.hop.decision === "refused") refuse({ layer: "authorization", object: authz.hop.objects[0] ?? "AuthorizationPolicy", resource: authz.resource, reason: authz.hop.reason });
                conditions.push(...authz.conditions);
            }
        }
        const allowed = refusedBy === undefined;
        const what = `${from.id} -> ${to.id}:${port}/${protocol}`;
        const explanation = allowed
            ? `${what} allowed${conditions.length ? ` if ${conditions.join("; ")}` : ""} (${path.map((h) => `${h.layer}: ${h.reason}`).join(" | ")})`
            : `${what} refused by ${refusedBy!.object} at ${refusedBy!.layer}: ${refusedBy!.reason}`;
        return { allowed, path, refusedBy, conditions, explanation };
    }

    /**
     * Can `from` open TLS to internet host `host` (at `address`) on `port`, along the route the mesh gives it? See
     * {@link HostVerdict}. A pod without a sidecar, or a host no mesh route names, connects directly.
     */
    canReachHost(from: PodNode, host: string, address: string, port = 443): HostVerdict {
        const target = this.external(address, host);
        const route = from.mesh === "sidecar" ? this.tlsRoute(from.namespace, "mesh", host, port) : undefined;
        const service = route ? this.serviceOfHost(route.destination, from.namespace) : undefined;
        if (!route || !service) {
            const v = this.canReach(from, target, port, { request: { sni: host } });
            return { allowed: v.allowed, route: "direct", legs: [v], explanation: `direct: ${v.explanation}` };
        }
        const servicePort = route.port ?? port;
        const targets = this.serviceTargets(service, servicePort);
        if (targets.length === 0) {
            return { allowed: false, route: "egress-gateway", legs: [], routingRefusal: `Service ${service.namespace}/${service.name} has no pod on ${servicePort}`, explanation: `no pod behind ${service.name}` };
        }
        const { pod: gw, port: gwPort } = targets[0];
        // The sidecar wraps the application's TLS in Istio mutual TLS whose SNI the DestinationRule subset sets.
        const outerSni = this.originationSni(from.namespace, service, route.subset, servicePort);
        const first = this.canReach(from, gw, gwPort, { request: { sni: outerSni } });
        const refuse = (why: string): HostVerdict => ({ allowed: false, route: "egress-gateway", legs: [first], routingRefusal: why, explanation: `egress gateway ${gw.id} refuses: ${why}` });
        const chain = this.tlsServerFor(gw, servicePort, outerSni);
        if (!chain) return refuse(`no Gateway server selecting ${gw.id} on ${servicePort} has a filter chain for SNI ${outerSni}`);
        const gatewayRef = `${chain.gateway.namespace}/${chain.gateway.name}`;
        const bound = (vsNamespace: string) => arr(chain.server.hosts).some((h) => {
            const [ns, name] = String(h).includes("/") ? String(h).split("/") : ["*", String(h)];
            return hostMatches(name, host) && (ns === "*" || ns === vsNamespace || (ns === "." && vsNamespace === chain.gateway.namespace));
        });
        const mode = str(obj(chain.server.tls).mode);
        // A passthrough server routes by the TLS routes' sniHosts; a terminated one (SIMPLE, MUTUAL, ISTIO_MUTUAL)
        // only by the tcp routes of the first VirtualService whose hosts the server binds to its namespace.
        const onward = mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH"
            ? this.tlsRoute(gw.namespace, gatewayRef, host, servicePort, bound)
            : this.gatewayTcpRoute(gw.namespace, gatewayRef, chain.server, servicePort);
        if (!onward) {
            return refuse(mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH"
                ? `no VirtualService bound to ${gatewayRef} routes SNI ${host} (in a namespace the Gateway binds it to)`
                : `no VirtualService bound to ${gatewayRef} in a namespace its server ${str(obj(chain.server.port).name) ?? ""} binds has a tcp route for port ${servicePort} (a terminated ${mode} server reads tcp routes only)`);
        }
        if (!this.istio.some((p) => p.kind === "ServiceEntry" && this.serviceEntryVisible(p, gw.namespace) && arr(p.spec.hosts).some((h) => hostMatches(String(h), onward.destination)))) {
            return { ...refuse(`no ServiceEntry visible in ${gw.namespace} registers ${onward.destination}, the route's destination`), upstream: onward.destination };
        }
        if (onward.destination.toLowerCase() !== host.toLowerCase()) {
            return { ...refuse(`the route sends SNI ${outerSni} to ${onward.destination}, not ${host}`), upstream: onward.destination };
        }
        const second = this.canReach(gw, this.external(address, onward.destination), onward.port ?? port);
        const allowed = first.allowed && second.allowed;
        return { allowed, route: "egress-gateway", legs: [first, second], upstream: onward.destination, explanation: `${first.explanation} ; then ${second.explanation}` };
    }

    /**
     * Which HTTPS server of a gateway takes a TLS connection with server name `sni` (undefined: the client sent none)
     * on `port`, and which VirtualService then routes a request for `host` (its Host header). Istio makes one filter
     * chain per TLS server whose server_names are the server's hosts without their namespace part, and none at all
     * when one host is `*` (the chain then matches any SNI, or none); Envoy prefers an exact server name, then the
     * longest wildcard, then a chain without names. The chain's routes are the `http` routes of VirtualServices bound
     * to the Gateway whose hosts the server binds to the VirtualService's namespace (`<ns>/<host>`).
     */
    ingressRoute(gateway: PodNode, port: number, request: { sni?: string; host: string }): { server?: string; virtualService?: string; destinations: string[]; reason: string } {
        const chain = this.tlsServerFor(gateway, port, request.sni);
        if (!chain) return { destinations: [], reason: `no TLS filter chain of ${gateway.id}:${port} accepts ${request.sni === undefined ? "a connection without SNI" : `SNI ${request.sni}`}` };
        const ref = `${chain.gateway.namespace}/${chain.gateway.name}`;
        const server = `${ref} server ${str(obj(chain.server.port).name) ?? ""}`;
        for (const vs of this.istio.filter((p) => p.kind === "VirtualService" && this.serviceEntryVisible(p, gateway.namespace))) {
            const gateways = arr(vs.spec.gateways).map(String).map((g) => (g === "mesh" || g.includes("/") ? g : `${vs.namespace}/${g}`));
            if (!gateways.includes(ref) || arr(vs.spec.http).length === 0) continue;
            const claims = arr(vs.spec.hosts).map(String).filter((h) => hostMatches(h, request.host));
            const bindsVs = arr(chain.server.hosts).map(String).some((entry) => {
                const [ns, name] = entry.includes("/") ? entry.split("/") : ["*", entry];
                const nsOk = ns === "*" || ns === vs.namespace || (ns === "." && vs.namespace === chain.gateway.namespace);
                return nsOk && claims.some((c) => hostMatches(name, c) || hostMatches(c, name));
            });
            if (claims.length === 0 || !bindsVs) continue;
            const destinations = arr(vs.spec.http).flatMap((h) => arr(obj(h).route).map((r) => str(obj(obj(r).destination).host) ?? "")).filter((d) => d !== "");
            return { server, virtualService: describe("VirtualService", vs.namespace, vs.name), destinations, reason: `${server} takes the connection; VirtualService ${vs.namespace}/${vs.name} routes Host ${request.host}` };
        }
        return { server, destinations: [], reason: `${server} takes the connection, and no VirtualService in a namespace it binds routes Host ${request.host} (404)` };
    }

    /** The TLS server (filter chain) of a gateway pod that Envoy picks for SNI `sni` on `port` (see {@link ingressRoute}). */
    private tlsServerFor(pod: PodNode, port: number, sni: string | undefined): { gateway: IstioPolicy; server: Obj } | undefined {
        const candidates = this.gatewayServers(pod, port).filter((sv) => sv.server.tls !== undefined).map((sv) => ({ ...sv, names: arr(sv.server.hosts).map((h) => String(h).split("/").pop()!.toLowerCase()) }));
        const rank = (names: string[]): number => {
            if (names.includes("*")) return 0;
            if (sni === undefined) return -1;
            const s = sni.toLowerCase();
            if (names.includes(s)) return 1e6;
            const wild = names.filter((n) => n.startsWith("*.") && s.endsWith(n.slice(1))).map((n) => n.length);
            return wild.length > 0 ? Math.max(...wild) : -1;
        };
        const ranked = candidates.map((c) => ({ c, r: rank(c.names) })).filter((x) => x.r >= 0).sort((a, b) => b.r - a.r);
        return ranked[0]?.c;
    }

    /**
     * The destination of a terminated gateway server's connection: Istio takes the VirtualServices bound to the
     * Gateway, keeps those whose hosts the server binds to their namespace, and forwards by the first `tcp` route
     * whose match (port, gateways) fits; `tls` routes are not read there.
     */
    private gatewayTcpRoute(gatewayNamespace: string, gatewayRef: string, server: Obj, port: number): { destination: string; port?: number } | undefined {
        for (const vs of this.istio.filter((p) => p.kind === "VirtualService" && this.serviceEntryVisible(p, gatewayNamespace))) {
            const gateways = arr(vs.spec.gateways).map(String).map((g) => (g === "mesh" || g.includes("/") ? g : `${vs.namespace}/${g}`));
            if (!gateways.includes(gatewayRef)) continue;
            const vsHosts = arr(vs.spec.hosts).map(String);
            const bindsVs = arr(server.hosts).map(String).some((entry) => {
                if (!entry.includes("/")) return vsHosts.some((h) => hostMatches(entry, h) || hostMatches(h, entry));
                const [ns, name] = entry.split("/");
                return ns === vs.namespace && vsHosts.some((h) => hostMatches(name, h) || hostMatches(h, name));
            });
            if (!bindsVs) continue;
            for (const t of arr(vs.spec.tcp).map(obj)) {
                const matches = arr(t.match).map(obj);
                const fits = matches.length === 0 || matches.some((m) => {
                    const mg = arr(m.gateways).map(String).map((g) => (g === "mesh" || g.includes("/") ? g : `${vs.namespace}/${g}`));
                    return (m.port === undefined || Number(m.port) === port) && (mg.length === 0 || mg.includes(gatewayRef));
                });
                const dest = obj(obj(arr(t.route)[0]).destination);
                if (fits && str(dest.host)) {
                    return { destination: str(dest.host)!, port: obj(dest.port).number === undefined ? undefined : Number(obj(dest.port).number) };
                }
            }
        }
        return undefined;
    }

    /**
     * The SNI a sidecar sends when it originates Istio mutual TLS to `service` (subset `subset`, port `port`): the
     * `sni` of the DestinationRule's ISTIO_MUTUAL settings (port level first), else Istio's own
     * `outbound_.<port>_.<subset>_.<fqdn>`.
     */
    private originationSni(namespace: string, service: ServiceNode, subset: string | undefined, port: number): string {
        const fqdn = `${service.name}.${service.namespace}.svc.cluster.local`;
        for (const dr of this.istio.filter((p) => p.kind === "DestinationRule" && this.serviceEntryVisible(p, namespace))) {
            const drHost = str(dr.spec.host);
            if (!drHost || this.serviceOfHost(drHost, dr.namespace) !== service) continue;
            const policies = [
                ...(subset ? arr(dr.spec.subsets).map(obj).filter((sb) => sb.name === subset).map((sb) => obj(sb.trafficPolicy)) : []),
                obj(dr.spec.trafficPolicy),
            ];
            for (const tp of policies) {
                const portLevel = arr(tp.portLevelSettings).map(obj).find((pl) => Number(obj(pl.port).number) === port);
                for (const tls of [obj(portLevel?.tls), obj(tp.tls)]) {
                    if (str(tls.mode) === "ISTIO_MUTUAL" && str(tls.sni)) return str(tls.sni)!;
                }
            }
        }
        return `outbound_.${port}_.${subset ?? ""}_.${fqdn}`;
    }

    /** Gateway servers (Istio `Gateway` objects whose selector picks the pod) listening on `port`. */
    private gatewayServers(pod: PodNode, port: number): { gateway: IstioPolicy; server: Obj }[] {
        return this.istio.filter((p) => p.kind === "Gateway" && selectorMatches({ matchLabels: strMap(p.spec.selector) }, pod.labels))
            .flatMap((g) => arr(g.spec.servers).map(obj).filter((sv) => Number(obj(sv.port).number) === port).map((server) => ({ gateway: g, server })));
    }

    /**
     * The TLS route a VirtualService visible in `namespace` gives SNI `host` on `port` for `gateway` (`mesh` or
     * `<ns>/<name>`); `bound` further limits the VirtualService's namespace (a Gateway's host binding).
     */
    private tlsRoute(namespace: string, gateway: string, host: string, port: number, bound?: (vsNamespace: string) => boolean): { destination: string; port?: number; subset?: string } | undefined {
        for (const vs of this.istio.filter((p) => p.kind === "VirtualService" && this.serviceEntryVisible(p, namespace) && (!bound || bound(p.namespace)))) {
            const gateways = arr(vs.spec.gateways).map(String).map((g) => (g === "mesh" || g.includes("/") ? g : `${vs.namespace}/${g}`));
            if (!(gateways.length === 0 ? gateway === "mesh" : gateways.includes(gateway))) continue;
            if (!arr(vs.spec.hosts).some((h) => hostMatches(String(h), host))) continue;
            for (const t of arr(vs.spec.tls).map(obj)) {
                const match = arr(t.match).map(obj).some((m) => {
                    const mg = arr(m.gateways).map(String).map((g) => (g === "mesh" || g.includes("/") ? g : `${vs.namespace}/${g}`));
                    return (mg.length === 0 || mg.includes(gateway)) && (m.port === undefined || Number(m.port) === port) && arr(m.sniHosts).some((h) => hostMatches(String(h), host));
                });
                const dest = obj(obj(arr(t.route)[0]).destination);
                if (match && str(dest.host)) {
                    return { destination: str(dest.host)!, port: obj(dest.port).number === undefined ? undefined : Number(obj(dest.port).number), subset: str(dest.subset) };
                }
            }
        }
        return undefined;
    }

    /** The Service a route destination names (`name`, `name.ns`, `name.ns.svc[.cluster.local]`), if it is one of the cluster. */
    private serviceOfHost(host: string, namespace: string): ServiceNode | undefined {
        const parts = host.split(".");
        const [name, ns] = parts.length === 1 ? [parts[0], namespace] : parts.length >= 2 && (parts.length === 2 || parts[2] === "svc") ? [parts[0], parts[1]] : [undefined, undefined];
        return name ? this.serviceNodes.find((x) => x.name === name && x.namespace === ns) : undefined;
    }

    // --- layers ------------------------------------------------------------------------------------------------

    private sidecarEgress(from: PodNode, to: ExternalNode, port: number): K8sHop {
        const source = this.meshOutbound.resource ? `Release ${String(this.meshOutbound.resource.inputs.namespace)}/${String(this.meshOutbound.resource.inputs.name)} (meshConfig.outboundTrafficPolicy)` : "mesh default";
        if (this.meshOutbound.mode === "ALLOW_ANY") {
            return { layer: "sidecar-egress", decision: "allowed", objects: [source], reason: "outbound traffic policy ALLOW_ANY" };
        }
        const entry = this.istio.find((p) => p.kind === "ServiceEntry" && this.serviceEntryVisible(p, from.namespace)
            && arr(p.spec.hosts).some((h) => typeof h === "string" && to.host !== undefined && hostMatches(h, to.host))
            && arr(p.spec.ports).some((x) => Number(obj(x).number) === port));
        if (entry) {
            return { layer: "sidecar-egress", decision: "allowed", objects: [describe("ServiceEntry", entry.namespace, entry.name)], reason: `REGISTRY_ONLY, and ServiceEntry ${entry.name} registers ${to.host}:${port}` };
        }
        return {
            layer: "sidecar-egress", decision: this.sidecarBoundary ? "refused" : "advisory-refusal", objects: [source],
            reason: `REGISTRY_ONLY and no ServiceEntry visible in ${from.namespace} registers ${to.host ?? to.address}:${port}${this.sidecarBoundary ? "" : " (the sidecar can be bypassed: not counted as a boundary)"}`,
        };
    }

    private serviceEntryVisible(p: IstioPolicy, namespace: string): boolean {
        const exportTo = arr(p.spec.exportTo).map(String);
        return exportTo.length === 0 || exportTo.includes("*") || exportTo.includes(namespace) || (exportTo.includes(".") && p.namespace === namespace);
    }

    /** NetworkPolicy of `pod` for one direction, with `peer` the other end. */
    private networkPolicy(direction: "Ingress" | "Egress", pod: PodNode, peer: K8sEndpoint, port: number, protocol: Protocol): { hop: K8sHop; first?: GraphResource } {
        const layer: Layer = direction === "Ingress" ? "networkpolicy-ingress" : "networkpolicy-egress";
        const podLabels = pod.labels;
        const isolating = this.netpols.filter((np) => np.namespace === pod.namespace && np.types.has(direction) && selectorMatches(np.podSelector, podLabels));
        if (isolating.length === 0) {
            return { hop: { layer, decision: "allowed", objects: [], reason: `no NetworkPolicy selects ${pod.id} for ${direction}: not isolated` } };
        }
        // The destination pod resolves named ports: the selected pod for ingress, the peer for egress.
        const destination = direction === "Ingress" ? pod : peer;
        for (const np of isolating) {
            const rules = direction === "Ingress" ? np.ingress : np.egress;
            for (const [i, rule] of rules.entries()) {
                const peers = arr(direction === "Ingress" ? rule.from : rule.to);
                const peerOk = peers.length === 0 || peers.some((p) => this.peerMatches(obj(p), np.namespace, peer));
                const ports = arr(rule.ports);
                const portOk = ports.length === 0 || ports.some((p) => portMatches(obj(p), port, protocol, destination));
                if (peerOk && portOk) {
                    return { hop: { layer, decision: "allowed", objects: [describe("NetworkPolicy", np.namespace, np.name)], reason: `${direction.toLowerCase()} rule ${i} of NetworkPolicy ${np.name} admits ${peer.id} on ${port}/${protocol}` } };
                }
            }
        }
        const names = isolating.map((np) => describe("NetworkPolicy", np.namespace, np.name));
        return {
            hop: { layer, decision: "refused", objects: names, reason: `${pod.id} is isolated for ${direction} by ${isolating.map((n) => n.name).join(", ")}, and no rule of them admits ${peer.id} on ${port}/${protocol}` },
            first: isolating[0].resource,
        };
    }

    private peerMatches(peer: Obj, policyNamespace: string, endpoint: K8sEndpoint): boolean {
        if (peer.ipBlock !== undefined) {
            if (endpoint.kind !== "external") return false;
            const block = obj(peer.ipBlock);
            return inCidr(endpoint.address, String(block.cidr)) && !arr(block.except).some((c) => inCidr(endpoint.address, String(c)));
        }
        if (endpoint.kind !== "pod") return false;
        if (peer.namespaceSelector === undefined && peer.podSelector === undefined) return false;
        const nsOk = peer.namespaceSelector === undefined
            ? endpoint.namespace === policyNamespace
            : selectorMatches(obj(peer.namespaceSelector) as LabelSelector, this.namespaceNodes.get(endpoint.namespace)?.labels ?? {});
        const podOk = peer.podSelector === undefined || selectorMatches(obj(peer.podSelector) as LabelSelector, endpoint.labels);
        return nsOk && podOk;
    }

    /** Mutual TLS at a mesh destination; undefined for gateways (they terminate their own listeners). */
    private mtls(from: K8sEndpoint, to: PodNode, port: number): { hop: K8sHop; resource?: GraphResource } | undefined {
        if (to.mesh === "gateway") return undefined;
        const peerAuth = this.istio.filter((p) => p.kind === "PeerAuthentication");
        const workload = peerAuth.find((p) => p.namespace === to.namespace && p.spec.selector !== undefined && selectorMatches(obj(p.spec.selector) as LabelSelector, to.labels));
        const namespaceWide = peerAuth.find((p) => p.namespace === to.namespace && p.spec.selector === undefined);
        const meshWide = peerAuth.find((p) => p.namespace === this.rootNamespace && p.spec.selector === undefined);
        let mode = "PERMISSIVE";
        let decidedBy: IstioPolicy | undefined;
        // Most specific first; UNSET (or absent) inherits from the next level.
        const portMode = workload ? str(obj(obj(workload.spec.portLevelMtls)[String(port)]).mode) : undefined;
        if (portMode && portMode !== "UNSET") {
            mode = portMode; decidedBy = workload;
        } else {
            for (const p of [workload, namespaceWide, meshWide]) {
                const m = p ? str(obj(p.spec.mtls).mode) : undefined;
                if (p && m && m !== "UNSET") { mode = m; decidedBy = p; break; }
            }
        }
        const object = decidedBy ? describe("PeerAuthentication", decidedBy.namespace, decidedBy.name) : "no PeerAuthentication (PERMISSIVE)";
        const sourceInMesh = from.kind === "pod" && from.mesh !== "none";
        if (mode === "STRICT" && !sourceInMesh) {
            return { hop: { layer: "mtls", decision: "refused", objects: [object], reason: `mTLS STRICT at ${to.id}:${port} and ${from.id} is not in the mesh` }, resource: decidedBy?.resource };
        }
        return { hop: { layer: "mtls", decision: "allowed", objects: [object], reason: `mTLS ${mode}${sourceInMesh ? ", source in the mesh" : ", plaintext accepted"}` }, resource: decidedBy?.resource };
    }

    private authorization(from: K8sEndpoint, to: PodNode, port: number, request: RequestAttributes | undefined): { hop: K8sHop; conditions: string[]; resource?: GraphResource } {
        const applies = (p: IstioPolicy) => (p.namespace === to.namespace || p.namespace === this.rootNamespace)
            && (p.spec.selector === undefined ? true : selectorMatches(obj(p.spec.selector) as LabelSelector, to.labels));
        const policies = this.istio.filter((p) => p.kind === "AuthorizationPolicy" && applies(p));
        // Mutual TLS gives the peer identity: a source outside the mesh (or a plaintext one) has no principal. A gateway
        // knows it only on a listener that takes Istio mutual TLS (a Gateway server with tls.mode ISTIO_MUTUAL).
        const mtlsPeer = from.kind === "pod" && from.mesh !== "none" && (to.mesh === "sidecar" || (to.mesh === "gateway" && this.gatewayServers(to, port).some((sv) => str(obj(sv.server.tls).mode) === "ISTIO_MUTUAL")));
        const ctx: MatchContext = {
            principal: mtlsPeer ? this.principalOf(from as PodNode) : undefined,
            namespace: mtlsPeer ? (from as PodNode).namespace : undefined,
            address: from.kind === "external" ? from.address : undefined,
            port, request,
        };
        const custom = policies.filter((p) => str(p.spec.action) === "CUSTOM");
        const conditions: string[] = [];
        for (const p of policies.filter((x) => str(x.spec.action) === "DENY")) {
            for (const rule of arr(p.spec.rules)) {
                const m = matchRule(obj(rule), ctx);
                const object = describe("AuthorizationPolicy", p.namespace, p.name);
                if (m === true) {
                    return { hop: { layer: "authorization", decision: "refused", objects: [object], reason: `DENY policy ${p.name} matches` }, conditions: [], resource: p.resource };
                }
                if (m !== false) conditions.push(`not (${m.join(" and ")}) [DENY ${p.name}]`);
            }
        }
        const allows = policies.filter((x) => (str(x.spec.action) ?? "ALLOW") === "ALLOW");
        const customNote = custom.length ? `; CUSTOM ${custom.map((c) => c.name).join(", ")} not evaluated` : "";
        if (allows.length === 0) {
            return { hop: { layer: "authorization", decision: conditions.length ? "conditional" : "allowed", objects: [], reason: `no ALLOW AuthorizationPolicy applies to ${to.id}${customNote}` }, conditions };
        }
        const alternatives: { policy: IstioPolicy; needs: string[] }[] = [];
        for (const p of allows) {
            for (const rule of arr(p.spec.rules)) {
                const m = matchRule(obj(rule), ctx);
                if (m === true) {
                    return { hop: { layer: "authorization", decision: conditions.length ? "conditional" : "allowed", objects: [describe("AuthorizationPolicy", p.namespace, p.name)], reason: `ALLOW policy ${p.name} matches${customNote}` }, conditions, resource: p.resource };
                }
                if (m !== false) alternatives.push({ policy: p, needs: m });
            }
        }
        const objects = allows.map((p) => describe("AuthorizationPolicy", p.namespace, p.name));
        if (alternatives.length > 0) {
            const needs = alternatives.length === 1 ? alternatives[0].needs : [`one of: ${alternatives.map((a) => `(${a.needs.join(" and ")})`).join(" or ")}`];
            return {
                hop: { layer: "authorization", decision: "conditional", objects: [...new Set(alternatives.map((a) => describe("AuthorizationPolicy", a.policy.namespace, a.policy.name)))], reason: `ALLOW only if ${needs.join(" and ")}${customNote}` },
                conditions: [...conditions, ...needs], resource: alternatives[0].policy.resource,
            };
        }
        return { hop: { layer: "authorization", decision: "refused", objects, reason: `ALLOW policies apply to ${to.id} and no rule admits ${from.id}${ctx.principal ? ` (${ctx.principal})` : " (no mTLS identity)"}${customNote}` }, conditions: [], resource: allows[0].resource };
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private addWorkload(r: GraphResource, kind: string): void {
        const m = metadata(r);
        const spec = obj(r.inputs.spec);
        const template = kind === "Pod" ? { metadata: r.inputs.metadata, spec: r.inputs.spec } : WORKLOAD_TEMPLATE[kind](spec) ?? {};
        const podSpec = obj(template.spec);
        const ports: ContainerPort[] = arr(podSpec.containers).flatMap((c) => arr(obj(c).ports).map((p) => {
            const o = obj(p);
            return { name: str(o.name), containerPort: Number(o.containerPort), protocol: protocolOf(o.protocol) };
        }));
        this.podNodes.push({
            kind: "pod", id: `${m.namespace}/${m.name}`, namespace: m.namespace, name: m.name, workloadKind: kind,
            labels: strMap(obj(template.metadata).labels), ports,
            serviceAccount: str(podSpec.serviceAccountName) ?? str(podSpec.serviceAccount) ?? "default",
            mesh: "none", origin: { kind: "workload", resource: r },
        });
    }

    private ensureNamespace(name: string): void {
        if (!this.namespaceNodes.has(name)) {
            this.namespaceNodes.set(name, { name, labels: { "kubernetes.io/metadata.name": name } });
        }
    }

    /** Istio's automatic injection decision for a pod (namespace label, then the pod's own label). */
    private injects(pod: PodNode): boolean {
        if (pod.origin.kind === "helm" && pod.workloadKind === "helm:istiod") return false;
        const ns = this.namespaceNodes.get(pod.namespace)?.labels ?? {};
        const podLabel = pod.labels["sidecar.istio.io/inject"];
        if (ns["istio-injection"] === "disabled") return false;
        if (ns["istio-injection"] === "enabled" || ns["istio.io/rev"] !== undefined) return podLabel !== "false";
        return podLabel === "true";
    }
}

function parseNetworkPolicy(r: GraphResource): NetworkPolicy {
    const m = metadata(r);
    const spec = obj(r.inputs.spec);
    const ingress = arr(spec.ingress).map(obj);
    const egress = arr(spec.egress).map(obj);
    const declared = arr(spec.policyTypes).map(String);
    // Unset policyTypes: Ingress always, Egress when the policy has egress rules.
    const types = new Set<"Ingress" | "Egress">(
        declared.length > 0 ? declared.filter((t): t is "Ingress" | "Egress" => t === "Ingress" || t === "Egress") : ["Ingress", ...(egress.length > 0 ? ["Egress" as const] : [])],
    );
    return { namespace: m.namespace, name: m.name, resource: r, podSelector: obj(spec.podSelector) as LabelSelector, types, ingress, egress };
}

/** A NetworkPolicyPort against a destination port: number (with `endPort`) or a named port of the destination pod. */
function portMatches(p: Obj, port: number, protocol: Protocol, destination: K8sEndpoint): boolean {
    if (protocolOf(p.protocol) !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string" && !/^\d+$/.test(p.port)) {
        return destination.kind === "pod" && destination.ports.some((c) => c.name === p.port && c.protocol === protocol && c.containerPort === port);
    }
    const start = Number(p.port);
    const end = p.endPort === undefined ? start : Number(p.endPort);
    return port >= start && port <= end;
}

function inCidr(address: string, cidr: string): boolean {
    const a = ipaddr.parse(address);
    const [range, bits] = ipaddr.parseCIDR(cidr);
    const norm = (x: ipaddr.IPv4 | ipaddr.IPv6) => (x.kind() === "ipv6" && (x as ipaddr.IPv6).isIPv4MappedAddress() ? (x as ipaddr.IPv6).toIPv4Address() : x);
    const na = norm(a);
    return na.kind() === range.kind() && na.match(range, bits);
}

/** Istio host matching: exact, or a leading `*.` wildcard. */
function hostMatches(pattern: string, host: string): boolean {
    if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1));
    return pattern === host || pattern === "*";
}

/** Istio string matching: exact, `prefix*`, `*suffix`, or `*`. */
function istioStringMatches(pattern: string, value: string): boolean {
    if (pattern === "*") return true;
    if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
    if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
    return pattern === value;
}

interface MatchContext {
    principal?: string;
    namespace?: string;
    address?: string;
    port: number;
    request?: RequestAttributes;
}

/** true, false, or the request attributes the match needs (when the caller gave none). */
type Match = true | false | string[];

function and(parts: Match[]): Match {
    if (parts.some((p) => p === false)) return false;
    const needs = parts.filter((p): p is string[] => Array.isArray(p)).flat();
    return needs.length === 0 ? true : needs;
}

function or(parts: Match[]): Match {
    if (parts.some((p) => p === true)) return true;
    const open = parts.filter((p): p is string[] => Array.isArray(p));
    if (open.length === 0) return false;
    return open.length === 1 ? open[0] : [`one of: ${open.map((o) => `(${o.join(" and ")})`).join(" or ")}`];
}

/** A list field and its `not` form: the value must match one of `values` (when present) and none of `notValues`. */
function listField(values: unknown, notValues: unknown, value: string | undefined, matches: (pattern: string, v: string) => boolean): boolean {
    const pos = arr(values).map(String);
    const neg = arr(notValues).map(String);
    if (pos.length > 0 && (value === undefined || !pos.some((p) => matches(p, value)))) return false;
    if (neg.length > 0 && value !== undefined && neg.some((p) => matches(p, value))) return false;
    return true;
}

/** A request attribute: matched when the caller gave the request, else what the request would need. */
function requestField(values: unknown, notValues: unknown, actual: string | undefined, request: RequestAttributes | undefined, describeNeed: string): Match {
    if (arr(values).length === 0 && arr(notValues).length === 0) return true;
    if (!request) return [describeNeed];
    return listField(values, notValues, actual, istioStringMatches);
}

/** `ipBlocks` / `notIpBlocks` of a source: pod addresses are unknown to the model, so they match no block. */
function ipField(values: unknown, notValues: unknown, address: string | undefined): boolean {
    const pos = arr(values).map(String);
    const neg = arr(notValues).map(String);
    if (pos.length === 0 && neg.length === 0) return true;
    if (address === undefined) return pos.length === 0;
    return (pos.length === 0 || pos.some((c) => inCidr(address, c))) && !neg.some((c) => inCidr(address, c));
}

function matchRule(rule: Obj, ctx: MatchContext): Match {
    const from = arr(rule.from).map((f) => obj(obj(f).source));
    const to = arr(rule.to).map((t) => obj(obj(t).operation));
    const when = arr(rule.when).map(obj);
    const r = ctx.request;
    const sourceMatch = (s: Obj): Match => and([
        listField(s.principals, s.notPrincipals, ctx.principal, istioStringMatches),
        listField(s.namespaces, s.notNamespaces, ctx.namespace, istioStringMatches),
        ipField(s.ipBlocks, s.notIpBlocks, ctx.address),
        requestField(s.requestPrincipals, s.notRequestPrincipals, r?.requestPrincipal, r,
            `a token whose request principal is ${arr(s.requestPrincipals).map(String).join(" or ") || `none of ${arr(s.notRequestPrincipals).map(String).join(", ")}`} (needs a token)`),
    ]);
    const operationMatch = (o: Obj): Match => and([
        listField(o.ports, o.notPorts, String(ctx.port), (p, v) => p === v),
        requestField(o.paths, o.notPaths, r?.path, r, `path ${arr(o.paths).map(String).join(" or ") || `not ${arr(o.notPaths).map(String).join(", ")}`}`),
        requestField(o.methods, o.notMethods, r?.method, r, `method ${arr(o.methods).map(String).join(" or ") || `not ${arr(o.notMethods).map(String).join(", ")}`}`),
        requestField(o.hosts, o.notHosts, r?.host, r, `host ${arr(o.hosts).map(String).join(" or ") || `not ${arr(o.notHosts).map(String).join(", ")}`}`),
    ]);
    const whenMatch = (c: Obj): Match => {
        const key = String(c.key);
        const values = arr(c.values).map(String);
        const notValues = arr(c.notValues).map(String);
        const one = (v: string | undefined) => listField(values, notValues, v, istioStringMatches);
        if (key === "source.namespace") return one(ctx.namespace);
        if (key === "source.principal") return one(ctx.principal);
        if (key === "destination.port") return one(String(ctx.port));
        if (key === "connection.sni" && r) return one(r.sni);
        const claim = /^request\.auth\.claims\[([^\]]+)\]$/.exec(key);
        if (claim && r) {
            const actual = r.claims?.[claim[1]] ?? [];
            // A list claim matches when any of its values does.
            return (values.length === 0 || actual.some((v) => values.some((p) => istioStringMatches(p, v))))
                && !actual.some((v) => notValues.some((p) => istioStringMatches(p, v)));
        }
        if (!r) return [`${key} ${values.length ? `in [${values.join(", ")}]` : `not in [${notValues.join(", ")}]`}`];
        return [`${key} (not modelled)`];
    };
    return and([
        from.length === 0 ? true : or(from.map(sourceMatch)),
        to.length === 0 ? true : or(to.map(operationMatch)),
        ...when.map(whenMatch),
    ]);
}
