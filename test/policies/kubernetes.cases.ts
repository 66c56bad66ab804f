import { Props } from "../../policies/lib/rule";
import { RuleCases } from "./aws.cases";
import { FixtureResource } from "./harness";

const DEPLOY = "kubernetes:apps/v1:Deployment";
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"f".repeat(64)}`;
const container = (props: Props = {}, sc: Props = {}): Props => ({
    name: "docs", image: IMAGE, ports: [{ containerPort: 8080 }],
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "250m", memory: "512Mi" } },
    securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, ...sc },
    ...props,
});
/** A Deployment whose pod meets the restricted profile; `pod` and `c`/`sc` override the pod spec and its container. */
const deploy = (opts: { pod?: Props; c?: Props; sc?: Props; ns?: string; annotations?: Record<string, string> } = {}): Props => ({
    metadata: { name: "docs", namespace: opts.ns ?? "mcp-docs" },
    spec: {
        selector: { matchLabels: { app: "docs" } },
        template: {
            metadata: { labels: { app: "docs" }, annotations: opts.annotations },
            spec: {
                automountServiceAccountToken: false,
                securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
                containers: [container(opts.c, opts.sc)],
                volumes: [{ name: "tmp", emptyDir: {} }],
                ...(opts.pod ?? {}),
            },
        },
    },
});
const d = (label: string, opts: Parameters<typeof deploy>[0] = {}) => ({ label, type: DEPLOY, props: deploy(opts) });
/** A node log shipper (EksContainerLogs): root, /var/log read-only and its offsets on the node; `varlog` overrides its log mount. */
const shipper = (opts: { ns?: string; varlog?: Props; extra?: Props[] } = {}): NonNullable<Parameters<typeof deploy>[0]> => ({
    ns: opts.ns ?? "mcpsec-logging",
    sc: { runAsNonRoot: false, runAsUser: 0 },
    c: { volumeMounts: [{ name: "varlog", mountPath: "/var/log", readOnly: true, ...(opts.varlog ?? {}) }, { name: "state", mountPath: "/var/fluent-bit/state" }] },
    pod: {
        securityContext: { seccompProfile: { type: "RuntimeDefault" } },
        volumes: [{ name: "varlog", hostPath: { path: "/var/log", type: "Directory" } }, { name: "state", hostPath: { path: "/var/fluent-bit/state", type: "DirectoryOrCreate" } }, ...(opts.extra ?? [])],
    },
});
const f = (label: string, expect: RegExp, opts: Parameters<typeof deploy>[0] = {}) => ({ label, type: DEPLOY, props: deploy(opts), expect });

const ns = (name = "mcp-docs", labels: Record<string, string> = {}): FixtureResource => ({
    type: "kubernetes:core/v1:Namespace", name,
    props: { metadata: { name, labels: { "mcpsec/tenant": name, "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted", "istio-injection": "enabled", ...labels } } },
});
const denyAll = (namespace = "mcp-docs", spec: Props = {}): FixtureResource => ({
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: `${namespace}-deny`,
    props: { metadata: { name: "default-deny", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...spec } },
});
const peer = (namespace = "istio-system", mode = "STRICT", extra: Props = {}): FixtureResource => ({
    type: "kubernetes:security.istio.io/v1:PeerAuthentication", name: `${namespace}-peer`,
    props: { metadata: { name: "default", namespace }, spec: { mtls: { mode }, ...extra } },
});
const AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
const SA = "kubernetes:core/v1:ServiceAccount";

const SERVER: FixtureResource = {
    type: "mcpsec:mcp:McpServer", name: "docs",
    props: { spec: { name: "docs", image: IMAGE, port: 8080, egress: [], tools: [{ name: "search", scopes: ["docs:read"] }] }, url: "https://docs.mcp.example.com/mcp" },
};
/** Another MCP server of the stack, whose scopes must not open the docs server. */
const OTHER_SERVER: FixtureResource = {
    type: "mcpsec:mcp:McpServer", name: "tickets",
    props: { spec: { name: "tickets", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/tickets@sha256:" + "e".repeat(64), port: 8080, egress: [], tools: [{ name: "file", scopes: ["tickets:write"] }] }, url: "https://tickets.mcp.example.com/mcp" },
};
/** A namespace declared without the tenant label (what a user's own manifests look like). */
const plainNs = (name: string, labels: Record<string, string> = {}): FixtureResource => ({
    type: "kubernetes:core/v1:Namespace", name,
    props: { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted", "istio-injection": "enabled", ...labels } } },
});
/** A Deployment as a stack resource; `labels` replace the pod template labels. */
const workload = (namespace = "mcp-docs", opts: Parameters<typeof deploy>[0] & { labels?: Record<string, string> } = {}): FixtureResource => {
    const props = deploy({ ...opts, ns: namespace });
    if (opts.labels) {
        props.spec.template.metadata.labels = opts.labels;
    }
    return { type: DEPLOY, name: `${namespace}-docs`, props };
};
const MARKED = { app: "docs", "app.kubernetes.io/part-of": "mcp-secure-blueprints" };
const ISSUER = "https://issuer.example.com";
const authz = (namespace: string, spec: Props, name = "docs-require-token"): FixtureResource => ({
    type: AUTHZ, name: `${namespace}-${name}`,
    props: { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec },
});
const requireToken = (namespace = "mcp-docs", from: Props[] = [{ source: { requestPrincipals: [`${ISSUER}/*`] } }], extra: Props = {}) => authz(namespace, {
    selector: { matchLabels: { app: "docs" } }, action: "ALLOW",
    rules: [{ from, to: [{ operation: { paths: ["/mcp", "/mcp/*"] } }], when: [{ key: "request.auth.claims[scope]", values: ["https://docs.mcp.example.com/mcp/docs:read"] }], ...extra }],
});
const jwt = (namespace = "mcp-docs", issuer = ISSUER): FixtureResource => ({
    type: "kubernetes:security.istio.io/v1:RequestAuthentication", name: `${namespace}-jwt`,
    props: { apiVersion: "security.istio.io/v1", kind: "RequestAuthentication", metadata: { name: "docs-jwt", namespace }, spec: { selector: { matchLabels: { app: "docs" } }, jwtRules: [{ issuer, jwksUri: `${issuer}/.well-known/jwks.json` }] } },
});
const netpol = (namespace: string, name: string, spec: Props): FixtureResource => ({
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: `${namespace}-${name}`,
    props: { metadata: { name, namespace }, spec: { podSelector: {}, ...spec } },
});
const byName = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
/** The allows McpNamespace adds after default-deny. */
const layerAllows = (namespace = "mcp-docs"): FixtureResource[] => [
    netpol(namespace, "allow-dns", { policyTypes: ["Egress"], egress: [{ to: [{ ...byName("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }] }),
    netpol(namespace, "allow-from-gateway", { policyTypes: ["Ingress"], ingress: [{ from: [byName("istio-ingress")], ports: [{ protocol: "TCP", port: 8080 }] }] }),
];
const destinationRule = (namespace: string, host: string, trafficPolicy: Props, extra: Props = {}): FixtureResource => ({
    type: "kubernetes:networking.istio.io/v1beta1:DestinationRule", name: `${namespace}-${host}`,
    props: { apiVersion: "networking.istio.io/v1beta1", kind: "DestinationRule", metadata: { name: host.split(".")[0], namespace }, spec: { host, trafficPolicy, ...extra } },
});
const serviceEntry = (namespace: string, host: string): FixtureResource => ({
    type: "kubernetes:networking.istio.io/v1beta1:ServiceEntry", name: `${namespace}-${host}`,
    props: { apiVersion: "networking.istio.io/v1beta1", kind: "ServiceEntry", metadata: { name: host.split(".")[0], namespace }, spec: { hosts: [host], location: "MESH_EXTERNAL", resolution: "DNS", ports: [{ number: 443, name: "tls", protocol: "TLS" }] } },
});

/** The sidecar resources McpWorkload sets through Istio's injection annotations. */
const SIDECAR = { "sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyCPULimit": "500m", "sidecar.istio.io/proxyMemory": "128Mi", "sidecar.istio.io/proxyMemoryLimit": "256Mi" };
const quota = (namespace = "mcp-docs", hard: Record<string, string> = { "requests.cpu": "4000m", "limits.cpu": "4000m", "requests.memory": "8192Mi", "limits.memory": "8192Mi", pods: "20" }): FixtureResource => ({
    type: "kubernetes:core/v1:ResourceQuota", name: `${namespace}-quota`,
    props: { metadata: { name: "mcp-quota", namespace }, spec: { hard } },
});
/** A namespace as McpClusterLayer renders it: every protective object present. Fixtures below break one thing. */
const layer = (namespace = "mcp-docs", wl: FixtureResource = workload(namespace, { annotations: SIDECAR })): FixtureResource[] =>
    [ns(namespace), denyAll(namespace), ...layerAllows(namespace), peer(), wl, requireToken(namespace), jwt(namespace), quota(namespace)];
/** The same, with the named fixture resources replaced (or dropped when `by` is undefined). */
const swap = (rs: FixtureResource[], name: string, by?: FixtureResource): FixtureResource[] => [...rs.filter((r) => r.name !== name), ...(by ? [by] : [])];
/** A workload in a namespace nobody declared, with nothing around it but mesh-wide mTLS: the old rules saw nothing. */
const bare = (namespace = "team-a"): FixtureResource[] => [peer(), workload(namespace)];
/** A Helm v3 Release: Pulumi installs it through Helm, so the objects it renders never reach the pack. */
const release = (namespace: string, values: Props = {}): FixtureResource => ({
    type: "kubernetes:helm.sh/v3:Release", name: `${namespace}-app`,
    props: { name: "app", chart: "app", version: "1.2.3", namespace, repositoryOpts: { repo: "https://charts.example.com" }, values },
});
/** A custom resource that embeds a pod template (Argo Rollouts, Knative Serving). */
const rollout = (namespace: string): FixtureResource => {
    const template = deploy({ ns: namespace }).spec.template;
    return {
        type: "kubernetes:argoproj.io/v1alpha1:Rollout", name: `${namespace}-rollout`,
        props: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", metadata: { name: "docs", namespace }, spec: { replicas: 2, selector: { matchLabels: { app: "docs" } }, template, strategy: { canary: { steps: [{ setWeight: 50 }] } } } },
    };
};
const knative = (namespace: string, image = IMAGE): FixtureResource => ({
    type: "kubernetes:serving.knative.dev/v1:Service", name: `${namespace}-ksvc`,
    props: { apiVersion: "serving.knative.dev/v1", kind: "Service", metadata: { name: "docs", namespace }, spec: { template: { metadata: { labels: { app: "docs" } }, spec: { containers: [{ image, ports: [{ containerPort: 8080 }] }] } } } },
});


const GUARD_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}`;
/** The guard container McpWorkload adds: configured by GUARD_SERVER_NAME and GUARD_UPSTREAM_URL on loopback, listening on 8443. */
const guardContainer = (image = GUARD_IMAGE): Props => container({
    name: "mcp-guard", image, ports: [{ name: "http-guard", containerPort: 8443 }],
    env: [{ name: "GUARD_SERVER_NAME", value: "docs-search" }, { name: "GUARD_UPSTREAM_URL", value: "http://127.0.0.1:8080/mcp" }, { name: "GUARD_LISTEN_PORT", value: "8443" }],
}, { runAsUser: 65532 });
/** A guarded pod: the server on loopback without ports, the guard beside it. */
const guarded = (namespace = "mcp-docs", guardImage?: string): FixtureResource => workload(namespace, {
    c: { ports: undefined, env: [{ name: "HOST", value: "127.0.0.1" }] },
    pod: { containers: [container({ ports: undefined, env: [{ name: "HOST", value: "127.0.0.1" }] }), guardContainer(guardImage)] },
});
const service = (namespace: string, ports: Props[], name = "docs"): FixtureResource => ({
    type: "kubernetes:core/v1:Service", name: `${namespace}-svc-${name}`,
    props: { metadata: { name, namespace }, spec: { type: "ClusterIP", selector: { app: "docs" }, ports } },
});
const toGuard = { name: "http-guard", appProtocol: "http", port: 8443, targetPort: 8443, protocol: "TCP" };

const GATEWAY = "kubernetes:networking.istio.io/v1beta1:Gateway";
const VS = "kubernetes:networking.istio.io/v1beta1:VirtualService";
const gateway = (namespace: string, name: string, servers: Props[], selector: Record<string, string> = { istio: "ingressgateway" }): FixtureResource => ({
    type: GATEWAY, name: `${namespace}-${name}`,
    props: { apiVersion: "networking.istio.io/v1beta1", kind: "Gateway", metadata: { name, namespace }, spec: { selector, servers } },
});
const httpsServer = (hosts: string[]): Props => ({ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts, tls: { mode: "SIMPLE", credentialName: "tls" } });
const route = (namespace: string, host: string, gw = "istio-ingress/mcp-gateway"): FixtureResource => ({
    type: VS, name: `${namespace}-route-${host}`,
    props: { apiVersion: "networking.istio.io/v1beta1", kind: "VirtualService", metadata: { name: "docs", namespace }, spec: { hosts: [host], gateways: [gw], http: [{ route: [{ destination: { host: "docs", port: { number: 8443 } } }] }] } },
});

/** The docs server declaring api.github.com, its guarded workload (JWKS of the issuer), and the egress objects McpEgress renders. */
const EGRESS_SERVER: FixtureResource = { ...SERVER, props: { ...SERVER.props, spec: { ...(SERVER.props.spec as Props), egress: ["api.github.com"] } } };
const guardedWithJwks = (namespace = "mcp-docs"): FixtureResource => {
    const w = guarded(namespace);
    const g = w.props.spec.template.spec.containers[1];
    g.env = [...g.env, { name: "GUARD_JWKS_URL", value: "https://issuer.example.com/.well-known/jwks.json" }];
    return w;
};
const EGRESS_NS = "istio-egress";
const egressGateway = (hosts = ["mcp-docs/api.github.com", "mcp-docs/issuer.example.com"], tls: Props = { mode: "ISTIO_MUTUAL" }) =>
    gateway(EGRESS_NS, "mcp-egress", [{ port: { number: 443, name: "tls-egress", protocol: "TLS" }, hosts, tls }], { istio: "egressgateway" });
const egressAuthz = (rules: Props[] = [{ from: [{ source: { principals: ["cluster.local/ns/mcp-docs/sa/docs"] } }], to: [{ operation: { ports: ["443"] } }], when: [{ key: "connection.sni", values: ["api.github.com", "issuer.example.com"] }] }]) =>
    authz(EGRESS_NS, { selector: { matchLabels: { istio: "egressgateway" } }, action: "ALLOW", rules }, "mcp-egress-per-server");
const egressOut = (rule: Props = { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] } }], ports: [{ protocol: "TCP", port: 443 }] }) =>
    ({ ...netpol(EGRESS_NS, "allow-out", { podSelector: { matchLabels: { istio: "egressgateway" } }, policyTypes: ["Egress"], egress: [rule] }) });
/** McpEgress's route of one host: sidecar side by SNI to the gateway, gateway side a tcp route to `to` (the host itself). */
const egressRoute = (host: string, to = host, gatewaySide: Props = { tcp: [{ match: [{ gateways: ["istio-egress/mcp-egress"], port: 443 }], route: [{ destination: { host: to, port: { number: 443 } } }] }] }): FixtureResource => ({
    type: VS, name: `mcp-docs-egress-${host}`,
    props: {
        apiVersion: "networking.istio.io/v1beta1", kind: "VirtualService", metadata: { name: `docs-egress-${host.split(".")[0]}`, namespace: "mcp-docs" },
        spec: {
            hosts: [host], gateways: ["mesh", "istio-egress/mcp-egress"], exportTo: [".", EGRESS_NS],
            tls: [{ match: [{ gateways: ["mesh"], port: 443, sniHosts: [host] }], route: [{ destination: { host: "istio-egressgateway.istio-egress.svc.cluster.local", subset: "host-0", port: { number: 443 } } }] }],
            ...gatewaySide,
        },
    },
});
const egressSetup = (): FixtureResource[] => [EGRESS_SERVER, guardedWithJwks(), egressGateway(), egressAuthz(), denyAll(EGRESS_NS), egressOut(),
    serviceEntry("mcp-docs", "api.github.com"), egressRoute("api.github.com"), egressRoute("issuer.example.com")];

const istioRelease = (chart: string, namespace: string, values: Props, name = `istio-${chart}`): FixtureResource => ({
    type: "kubernetes:helm.sh/v3:Release", name: `${namespace}-${name}`,
    props: { name, chart, version: "1.27.0", namespace, repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" }, values },
});
const REGISTRY_ONLY = { meshConfig: { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } } };

export const kubernetesCases: Record<string, RuleCases> = {
    "kubernetes-istio-no-sidecar-bypass": {
        pass: [
            { label: "the layer's workload and istiod (REGISTRY_ONLY)", resources: [...layer("mcp-docs", workload("mcp-docs", { annotations: SIDECAR })), istioRelease("istiod", "istio-system", REGISTRY_ONLY)] },
            { label: "include annotations left at *", resources: [workload("mcp-docs", { annotations: { ...SIDECAR, "traffic.sidecar.istio.io/includeOutboundIPRanges": "*" } })] },
        ],
        fail: [
            { label: "guard port excluded from capture", resources: [workload("mcp-docs", { annotations: { ...SIDECAR, "traffic.sidecar.istio.io/excludeInboundPorts": "8080" } })], expect: /Deployment mcp-docs\/docs sets traffic\.sidecar\.istio\.io\/excludeInboundPorts: "8080"/ },
            { label: "every outbound address excluded", resources: [workload("mcp-docs", { annotations: { ...SIDECAR, "traffic.sidecar.istio.io/excludeOutboundIPRanges": "0.0.0.0/0" } })], expect: /excludeOutboundIPRanges: "0\.0\.0\.0\/0", so that traffic bypasses/ },
            { label: "outbound 443 excluded", resources: [workload("mcp-docs", { annotations: { ...SIDECAR, "traffic.sidecar.istio.io/excludeOutboundPorts": "443" } })], expect: /excludeOutboundPorts: "443"/ },
            { label: "outbound capture narrowed to the cluster range", resources: [workload("mcp-docs", { annotations: { ...SIDECAR, "traffic.sidecar.istio.io/includeOutboundIPRanges": "10.100.0.0/16" } })], expect: /includeOutboundIPRanges: "10\.100\.0\.0\/16", narrower than \*/ },
            { label: "istiod with ALLOW_ANY", resources: [istioRelease("istiod", "istio-system", { meshConfig: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } } })], expect: /Helm release istio-system\/istio-istiod \(istiod\) sets meshConfig\.outboundTrafficPolicy\.mode ALLOW_ANY/ },
            { label: "istiod with the chart's default", resources: [istioRelease("istiod", "istio-system", {})], expect: /mode unset \(ALLOW_ANY\)/ },
        ],
    },
    "kubernetes-no-load-balancer-service": {
        pass: [
            { label: "the layer's gateways: ingress NodePort, egress ClusterIP", resources: [istioRelease("gateway", "istio-ingress", { service: { type: "NodePort" } }, "istio-ingressgateway"), istioRelease("gateway", "istio-egress", { service: { type: "ClusterIP" } }, "istio-egressgateway"), service("mcp-docs", [toGuard])] },
        ],
        fail: [
            { label: "ingress gateway switched to LoadBalancer", resources: [istioRelease("gateway", "istio-ingress", { service: { type: "LoadBalancer" } }, "istio-ingressgateway")], expect: /Helm release istio-ingress\/istio-ingressgateway \(Istio gateway chart\) sets service\.type LoadBalancer/ },
            { label: "gateway chart with its default Service", resources: [istioRelease("gateway", "istio-ingress", {}, "istio-ingressgateway")], expect: /service\.type unset \(the chart's default, LoadBalancer\)/ },
            { label: "a Service of type LoadBalancer", resources: [(() => { const s = service("mcp-docs", [toGuard]); s.props.spec.type = "LoadBalancer"; return s; })()], expect: /Service mcp-docs\/docs is of type LoadBalancer/ },
        ],
    },
    "kubernetes-istio-gateway-hosts-bound": {
        pass: [
            { label: "each host bound to its server's namespace, each route in that namespace", resources: [gateway("istio-ingress", "mcp-gateway", [httpsServer(["mcp-docs/docs.mcp.example.com", "mcp-tickets/tickets.mcp.example.com"])]), route("mcp-docs", "docs.mcp.example.com"), route("mcp-tickets", "tickets.mcp.example.com")] },
            { label: "the layer's egress gateway", resources: [egressGateway()] },
            { label: "the layer's ingress server with the catch-all for TLS without SNI (istio-ingress/*)", resources: [gateway("istio-ingress", "mcp-gateway", [httpsServer(["mcp-docs/docs.mcp.example.com", "istio-ingress/*"])]), route("mcp-docs", "docs.mcp.example.com")] },
        ],
        fail: [
            // The layer's old Gateway: *.domain unqualified, so any namespace could claim any server's host.
            { label: "wildcard host not bound to a namespace", resources: [gateway("istio-ingress", "mcp-gateway", [httpsServer(["*.mcp.example.com"])]), route("mcp-docs", "docs.mcp.example.com")], expect: /Gateway istio-ingress\/mcp-gateway server https lists host "\*\.mcp\.example\.com" without binding it to one namespace/ },
            { label: "*/ host", resources: [gateway("istio-ingress", "mcp-gateway", [httpsServer(["*/docs.mcp.example.com"])])], expect: /lists host "\*\/docs\.mcp\.example\.com" without binding it/ },
            { label: "the gateway's own namespace claims a server's host through its catch-all (istio-ingress/*)", resources: [gateway("istio-ingress", "mcp-gateway", [httpsServer(["mcp-docs/docs.mcp.example.com", "istio-ingress/*"])]), route("istio-ingress", "docs.mcp.example.com")], expect: /VirtualService istio-ingress\/docs claims host docs\.mcp\.example\.com on Gateway istio-ingress\/mcp-gateway, which binds it to namespace mcp-docs, not istio-ingress/ },
            { label: "another namespace claims the docs server's host", resources: [gateway("istio-ingress", "mcp-gateway", [httpsServer(["mcp-docs/docs.mcp.example.com", "mcp-tickets/tickets.mcp.example.com"])]), route("mcp-tickets", "docs.mcp.example.com")], expect: /VirtualService mcp-tickets\/docs claims host docs\.mcp\.example\.com on Gateway istio-ingress\/mcp-gateway, which binds it to namespace mcp-docs, not mcp-tickets/ },
        ],
    },
    "kubernetes-istio-egress-gateway-restricted": {
        pass: [
            { label: "the layer's egress: ISTIO_MUTUAL, hosts bound per namespace, per-principal SNI rule, 443 out", resources: egressSetup() },
        ],
        fail: [
            { label: "passthrough without mesh mTLS", resources: swap(egressSetup(), `${EGRESS_NS}-mcp-egress`, egressGateway(undefined, { mode: "PASSTHROUGH" })), expect: /server tls-egress takes connections with tls\.mode PASSTHROUGH, not ISTIO_MUTUAL/ },
            { label: "a host no server in the namespace declares", resources: swap(egressSetup(), `${EGRESS_NS}-mcp-egress`, egressGateway(["mcp-docs/api.github.com", "mcp-docs/pastebin.com"])), expect: /binds host pastebin\.com to namespace mcp-docs, whose MCP workloads do not declare it/ },
            { label: "rule lets the server reach another server's host", resources: swap(egressSetup(), `${EGRESS_NS}-mcp-egress-per-server`, egressAuthz([{ from: [{ source: { principals: ["cluster.local/ns/mcp-docs/sa/docs"] } }], when: [{ key: "connection.sni", values: ["api.github.com", "tickets.internal.example.com"] }] }])), expect: /rule 0 lets namespace mcp-docs reach tickets\.internal\.example\.com, which its MCP workloads do not declare/ },
            { label: "rule without connection.sni", resources: swap(egressSetup(), `${EGRESS_NS}-mcp-egress-per-server`, egressAuthz([{ from: [{ source: { principals: ["cluster.local/ns/mcp-docs/sa/docs"] } }] }])), expect: /rule 0 has no when on connection\.sni with exact hosts/ },
            { label: "rule by namespace, not principal", resources: swap(egressSetup(), `${EGRESS_NS}-mcp-egress-per-server`, egressAuthz([{ from: [{ source: { namespaces: ["mcp-docs"] } }], when: [{ key: "connection.sni", values: ["api.github.com"] }] }])), expect: /rule 0 does not name only principals of named service accounts/ },
            { label: "no AuthorizationPolicy on the egress gateway", resources: swap(egressSetup(), `${EGRESS_NS}-mcp-egress-per-server`), expect: /no ALLOW AuthorizationPolicy selects the egress gateway's pods/ },
            { label: "egress to any address including instance metadata", resources: swap(egressSetup(), `${EGRESS_NS}-allow-out`, egressOut({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] })), expect: /admits 0\.0\.0\.0\/0, which holds the instance metadata address 169\.254\.169\.254/ },
            { label: "egress on every port", resources: swap(egressSetup(), `${EGRESS_NS}-allow-out`, egressOut({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.0.0/16"] } }] })), expect: /egress rule 0 admits every port; the egress gateway needs only 443 out/ },
            { label: "no default-deny in the egress gateway's namespace", resources: swap(egressSetup(), `${EGRESS_NS}-deny`), expect: /namespace istio-egress has no default-deny NetworkPolicy for egress/ },
            // Review M5: Istio ORs the root namespace's ALLOW policies with the gateway's own.
            { label: "an ALLOW policy in istio-system selecting the egress gateway, port 443 only", resources: [...egressSetup(), authz("istio-system", { selector: { matchLabels: { istio: "egressgateway" } }, action: "ALLOW", rules: [{ to: [{ operation: { ports: ["443"] } }] }] }, "egress-open")], expect: /AuthorizationPolicy istio-system\/egress-open rule 0 does not name only principals of named service accounts/ },
            // Review M6: the policy judges the SNI, the route picks the upstream.
            { label: "the gateway side of api.github.com's route sent to another registered host", resources: [...swap(egressSetup(), "mcp-docs-egress-api.github.com", egressRoute("api.github.com", "evil.example")), serviceEntry("mcp-docs", "evil.example")], expect: /VirtualService mcp-docs\/docs-egress-api tcp route 0 on istio-egress\/mcp-egress sends api\.github\.com to evil\.example/ },
            { label: "a ServiceEntry of the server's namespace for any .com host without resolution", resources: [...egressSetup(), (() => { const e = serviceEntry("mcp-docs", "x.com"); e.props.spec.hosts = ["*.com"]; e.props.spec.resolution = "NONE"; return e; })()], expect: /ServiceEntry mcp-docs\/x registers \*\.com, which the namespace's MCP workloads do not declare[\s\S]*resolution NONE/ },
            { label: "a tls route at the gateway with every host of the server to one of them", resources: swap(egressSetup(), "mcp-docs-egress-issuer.example.com", egressRoute("issuer.example.com", "issuer.example.com", { tls: [{ match: [{ gateways: ["istio-egress/mcp-egress"], sniHosts: ["issuer.example.com", "api.github.com"] }], route: [{ destination: { host: "issuer.example.com" } }] }] })), expect: /tls route 0 on istio-egress\/mcp-egress sends SNI issuer\.example\.com, api\.github\.com to issuer\.example\.com/ },
        ],
    },
    "kubernetes-mcp-sidecar-resources": {
        pass: [
            { label: "sidecar resources set, quota fits replicas + surge", resources: [...layer("mcp-docs", workload("mcp-docs", { annotations: SIDECAR }))] },
            { label: "two replicas with the guard, surge 1, the layer's quota", resources: [...swap(layer(), "mcp-docs-docs", (() => { const w = guarded(); w.props.spec.replicas = 2; w.props.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }; w.props.spec.template.metadata.annotations = SIDECAR; return w; })())] },
        ],
        fail: [
            // Before: the layer counted sidecar limits it had not set explicitly (Istio's default limit is 2 CPUs).
            { label: "sidecar resources left to the mesh's defaults", resources: swap(layer(), "mcp-docs-docs", workload("mcp-docs")), expect: /Deployment mcp-docs\/docs does not set its mesh sidecar's resources \(sidecar\.istio\.io\/proxyCPU/ },
            { label: "quota too small for the surge pod", resources: swap(layer(), "mcp-docs-quota", quota("mcp-docs", { "limits.cpu": "1000m", "limits.memory": "1Gi", pods: "1" })), expect: /ResourceQuota mcp-docs\/mcp-quota does not admit a rolling update .*limits\.cpu 1000m < 1500m, limits\.memory 1Gi < 1536Mi, pods 1 < 2/ },
            { label: "no quota", resources: swap(layer(), "mcp-docs-quota"), expect: /MCP namespace mcp-docs has no ResourceQuota/ },
        ],
    },
    "kubernetes-pss-host-namespaces": {
        pass: [d("no host namespaces"), d("exempt namespace", { ns: "kube-system", pod: { hostNetwork: true } })],
        fail: [
            f("hostNetwork", /hostNetwork is true/, { pod: { hostNetwork: true } }),
            f("hostPID", /hostPID is true/, { pod: { hostPID: true } }),
            f("hostIPC", /hostIPC is true/, { pod: { hostIPC: true } }),
            f("Windows host process", /hostProcess is true/, { sc: { windowsOptions: { hostProcess: true } } }),
        ],
    },
    "kubernetes-pss-privileged": {
        pass: [d("unprivileged")],
        fail: [f("privileged", /container docs: privileged is true/, { sc: { privileged: true } })],
    },
    "kubernetes-pss-capabilities": {
        pass: [d("drop ALL"), d("NET_BIND_SERVICE added back", { sc: { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } })],
        fail: [
            f("nothing dropped", /drop does not contain ALL/, { sc: { capabilities: {} } }),
            f("NET_RAW added", /capabilities.add has NET_RAW/, { sc: { capabilities: { drop: ["ALL"], add: ["NET_RAW"] } } }),
        ],
    },
    "kubernetes-pss-host-path-volumes": {
        pass: [d("emptyDir only"), d("node log shipper in mcpsec-logging: /var/log read-only, offsets under /var/fluent-bit", shipper())],
        fail: [
            f("hostPath", /volume docker is a hostPath \(\/var\/run\/docker.sock\)/, { pod: { volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] } }),
            f("node log shipper that may write /var/log", /volume varlog is a hostPath \(\/var\/log\)/, shipper({ varlog: { readOnly: false } })),
            f("node log shipper with the node's root too", /volume varlog is a hostPath \(\/var\/log\)[\s\S]*volume root is a hostPath \(\/\)/, shipper({ extra: [{ name: "root", hostPath: { path: "/" } }] })),
            f("node log shipper escaping /var/log", /volume varlog is a hostPath \(\/var\/log\/\.\.\/\.\.\/etc\)/, (() => { const o = shipper(); o.pod!.volumes[0].hostPath.path = "/var/log/../../etc"; return o; })()),
            f("node log shipper in an MCP namespace", /volume varlog is a hostPath \(\/var\/log\)/, shipper({ ns: "mcp-docs" })),
        ],
    },
    "kubernetes-pss-host-ports": {
        pass: [d("container port only")],
        fail: [f("host port", /hostPort 8080/, { c: { ports: [{ containerPort: 8080, hostPort: 8080 }] } })],
    },
    "kubernetes-pss-apparmor": {
        pass: [d("runtime default by field", { sc: { appArmorProfile: { type: "RuntimeDefault" } } }), d("localhost by annotation", { annotations: { "container.apparmor.security.beta.kubernetes.io/docs": "localhost/mcp" } })],
        fail: [
            f("unconfined by field", /appArmorProfile is Unconfined/, { sc: { appArmorProfile: { type: "Unconfined" } } }),
            f("unconfined by annotation", /annotation container.apparmor.security.beta.kubernetes.io\/docs is unconfined/, { annotations: { "container.apparmor.security.beta.kubernetes.io/docs": "unconfined" } }),
        ],
    },
    "kubernetes-pss-selinux": {
        pass: [d("container_t", { sc: { seLinuxOptions: { type: "container_t", level: "s0:c123,c456" } } })],
        fail: [
            f("spc_t", /seLinuxOptions.type is spc_t/, { sc: { seLinuxOptions: { type: "spc_t" } } }),
            f("custom user", /sets user or role/, { pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, seLinuxOptions: { user: "system_u" } } } }),
        ],
    },
    "kubernetes-pss-proc-mount": {
        pass: [d("default"), d("explicit Default", { sc: { procMount: "Default" } })],
        fail: [f("unmasked", /procMount is Unmasked/, { sc: { procMount: "Unmasked" } })],
    },
    "kubernetes-pss-seccomp": {
        pass: [d("pod and container RuntimeDefault"), d("pod level only", { sc: { seccompProfile: undefined } }), d("Localhost on the container", { pod: { securityContext: { runAsNonRoot: true } }, sc: { seccompProfile: { type: "Localhost", localhostProfile: "mcp.json" } } })],
        fail: [
            f("unconfined container", /container docs: no RuntimeDefault or Localhost seccomp profile/, { sc: { seccompProfile: { type: "Unconfined" } } }),
            f("none anywhere", /no RuntimeDefault or Localhost/, { pod: { securityContext: { runAsNonRoot: true } }, sc: { seccompProfile: undefined } }),
        ],
    },
    "kubernetes-pss-sysctls": {
        pass: [d("safe sysctl", { pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "net.ipv4.tcp_syncookies", value: "1" }] } } })],
        fail: [f("unsafe sysctl", /sysctl kernel.msgmax is not in the safe set/, { pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "kernel.msgmax", value: "65536" }] } } })],
    },
    "kubernetes-pss-volume-types": {
        pass: [d("restricted volume types", { pod: { volumes: [{ name: "tmp", emptyDir: {} }, { name: "cfg", configMap: { name: "c" } }, { name: "tok", projected: { sources: [] } }] } }), d("node log shipper in mcpsec-logging", shipper())],
        fail: [f("NFS volume", /volume share is of type nfs/, { pod: { volumes: [{ name: "share", nfs: { server: "10.0.0.1", path: "/" } }] } })],
    },
    "kubernetes-pss-privilege-escalation": {
        pass: [d("false")],
        fail: [f("unset", /allowPrivilegeEscalation is not false/, { sc: { allowPrivilegeEscalation: undefined } }), f("true", /allowPrivilegeEscalation is not false/, { sc: { allowPrivilegeEscalation: true } })],
    },
    "kubernetes-pss-run-as-non-root": {
        pass: [d("pod and container"), d("pod level only", { sc: { runAsNonRoot: undefined } }), d("node log shipper in mcpsec-logging", shipper())],
        fail: [
            f("root in mcpsec-logging without reading node logs", /container docs: runAsUser is 0/, { ns: "mcpsec-logging", sc: { runAsNonRoot: false, runAsUser: 0 } }),
            f("node log shipper as root in an MCP namespace", /container docs: runAsUser is 0/, shipper({ ns: "mcp-docs" })),
            // Passed before (review ekslogs finding 7): the exception covered the whole pod.
            f("a second root container, not reading node logs, in the shipper's pod", /container side: runAsNonRoot is not true.*\n?.*container side: runAsUser is 0|container side: runAsUser is 0/, {
                ...shipper(), pod: { ...shipper().pod, containers: [container(shipper().c, shipper().sc), container({ name: "side", volumeMounts: [{ name: "state", mountPath: "/s" }] }, { runAsNonRoot: false, runAsUser: 0 })] },
            }),
            f("two root containers reading /var/log in the shipper's pod (any image beside the shipper)", /container side: runAsUser is 0/, {
                ...shipper(), pod: { ...shipper().pod, containers: [container(shipper().c, shipper().sc), container({ name: "side", volumeMounts: [{ name: "varlog", mountPath: "/var/log", readOnly: true }] }, { runAsNonRoot: false, runAsUser: 0 })] },
            }),
            f("container overrides to false", /container docs: runAsNonRoot is not true/, { sc: { runAsNonRoot: false } }),
            f("nowhere", /runAsNonRoot is not true/, { pod: { securityContext: { seccompProfile: { type: "RuntimeDefault" } } }, sc: { runAsNonRoot: undefined } }),
            f("uid 0", /runAsUser is 0/, { sc: { runAsUser: 0 } }),
        ],
    },
    "kubernetes-mcp-namespace-default-deny": {
        pass: [
            { label: "a namespace as the layer renders it", resources: layer() },
            { label: "default deny present", resources: [ns(), denyAll(), workload()] },
            { label: "one deny-all policy per direction", resources: [ns(), workload(), netpol("mcp-docs", "deny-in", { policyTypes: ["Ingress"] }), netpol("mcp-docs", "deny-out", { policyTypes: ["Egress"] })] },
            { label: "namespace without workloads or tenant label needs none", resources: [{ type: "kubernetes:core/v1:Namespace", name: "other", props: { metadata: { name: "other" } } }] },
            { label: "a plain workload in a system namespace needs none", resources: [workload("kube-system", { c: { image: "registry.k8s.io/coredns@sha256:" + "a".repeat(64) } })] },
            { label: "Helm releases in the system namespaces (as MeshInstall installs Istio)", resources: [release("istio-system"), release("istio-ingress")] },
            { label: "a Helm release in a namespace with default-deny", resources: [ns("team-b"), denyAll("team-b"), release("team-b")] },
        ],
        fail: [
            { label: "missing", resources: [ns(), ns("mcp-two"), denyAll("mcp-two")], expect: /MCP namespace mcp-docs \(is labelled mcpsec\/tenant\) has no default-deny NetworkPolicy for ingress and egress/ },
            { label: "ingress only", resources: [ns(), denyAll("mcp-docs", { policyTypes: ["Ingress"] })], expect: /no default-deny NetworkPolicy for egress/ },
            { label: "with an allow rule", resources: [ns(), denyAll("mcp-docs", { egress: [{}] })], expect: /no default-deny NetworkPolicy for egress/ },
            { label: "deny selects only some pods", resources: [ns(), workload(), denyAll("mcp-docs", { podSelector: { matchLabels: { app: "docs" } } })], expect: /no default-deny NetworkPolicy for ingress and egress/ },
            // Passed before: no namespace carried the self-declared tenant label.
            { label: "unlabelled workload in an undeclared namespace", resources: bare(), expect: /MCP namespace team-a \(runs Deployment team-a\/docs and is not a system namespace\) has no default-deny/ },
            { label: "MCP server image in a system namespace", resources: [SERVER, ...bare("kube-system")], expect: /MCP namespace kube-system \(runs Deployment kube-system\/docs, an MCP server \(container docs runs the image of MCP server docs\)\) has no default-deny/ },
            { label: "layer marker label in the gateway namespace", resources: [peer(), workload("istio-ingress", { labels: MARKED })], expect: /MCP namespace istio-ingress \(.*labelled app.kubernetes.io\/part-of=mcp-secure-blueprints\)\) has no default-deny/ },
            // Passed before: only the built-in workload kinds counted, so a Helm release or a custom resource that runs
            // pods put its namespace out of scope.
            { label: "a Helm v3 release in an unprotected namespace", resources: [peer(), release("team-b")], expect: /MCP namespace team-b \(installs Helm release app \(kubernetes:helm.sh\/v3:Release\), whose objects the pack cannot see\) has no default-deny NetworkPolicy for ingress and egress/ },
            { label: "a Helm release of an MCP server's image in a system namespace", resources: [SERVER, peer(), release("kube-system", { image: { repository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs", tag: "1.0" } })], expect: /MCP namespace kube-system \(installs Helm release app \(kubernetes:helm.sh\/v3:Release\), whose values name the image of MCP server docs\) has no default-deny/ },
            { label: "an Argo Rollout", resources: [peer(), rollout("team-c")], expect: /MCP namespace team-c \(runs Rollout team-c\/docs and is not a system namespace\) has no default-deny/ },
            { label: "a Knative Service running an MCP server's image in a system namespace", resources: [SERVER, peer(), knative("kube-system")], expect: /MCP namespace kube-system \(runs Service kube-system\/docs, an MCP server \(container 0 runs the image of MCP server docs\)\) has no default-deny/ },
        ],
    },
    "kubernetes-mcp-namespace-restricted": {
        pass: [
            { label: "a namespace as the layer renders it", resources: layer() },
            { label: "restricted", resources: [ns(), workload()] },
            { label: "system namespace", resources: [{ type: "kubernetes:core/v1:Namespace", name: "istio-system", props: { metadata: { name: "istio-system", labels: { "pod-security.kubernetes.io/enforce": "privileged" } } } }] },
            { label: "existing namespace labelled by a NamespacePatch", resources: [workload("team-a"), { type: "kubernetes:core/v1:NamespacePatch", name: "team-a", props: plainNs("team-a").props }] },
        ],
        fail: [
            { label: "baseline enforce", resources: [ns("mcp-docs", { "pod-security.kubernetes.io/enforce": "baseline" })], expect: /MCP namespace mcp-docs: pod-security.kubernetes.io\/enforce is baseline/ },
            // Both passed before: the rule looked only at Namespaces carrying the tenant label.
            { label: "unlabelled namespace running a workload at baseline", resources: [plainNs("team-a", { "pod-security.kubernetes.io/enforce": "baseline" }), ...bare()], expect: /MCP namespace team-a: pod-security.kubernetes.io\/enforce is baseline/ },
            { label: "workload in an undeclared namespace", resources: bare(), expect: /MCP namespace team-a \(runs Deployment team-a\/docs and is not a system namespace\) is not declared in the stack/ },
            { label: "Helm release in an undeclared namespace", resources: [release("team-b")], expect: /MCP namespace team-b \(installs Helm release app .*\) is not declared in the stack/ },
        ],
    },
    "kubernetes-mcp-namespace-authorization": {
        pass: [
            { label: "a namespace as the layer renders it", resources: layer() },
            { label: "token from the issuer with a scope, validated", resources: [ns(), workload(), requireToken(), jwt()] },
            { label: "allow nothing (ALLOW without rules)", resources: [ns(), workload(), authz("mcp-docs", {}, "allow-nothing")] },
            { label: "mTLS principal of a named service account (service to service, no token)", resources: [ns(), workload(), requireToken("mcp-docs", [{ source: { principals: ["cluster.local/ns/mcp-agent/sa/agent"] } }], { when: undefined })] },
            { label: "the gateway's principal together with a token and this server's scope", resources: [SERVER, ...swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"], requestPrincipals: [`${ISSUER}/*`] } }]))] },
            { label: "this server's scope in an scp claim", resources: [SERVER, ...swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", undefined, { when: [{ key: "request.auth.claims[scp]", values: ["https://docs.mcp.example.com/mcp/docs:read"] }] }))] },
            { label: "a DENY policy needs no principal", resources: [ns(), workload(), requireToken(), jwt(), authz("mcp-docs", { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] }, "deny-admin")] },
            { label: "namespace without workloads covered namespace-wide", resources: [ns(), authz("mcp-docs", {}, "allow-nothing")] },
            { label: "a Helm release's namespace covered namespace-wide", resources: [ns("team-b"), release("team-b"), authz("team-b", { action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }], when: [{ key: "request.auth.claims[scope]", values: ["https://docs.mcp.example.com/mcp/docs:read"] }] }] }, "require-token"), { ...jwt("team-b"), props: { ...jwt("team-b").props, spec: { jwtRules: [{ issuer: ISSUER, jwksUri: `${ISSUER}/.well-known/jwks.json` }] } } }] },
        ],
        fail: [
            { label: "allow-all in the root namespace", resources: [...layer(), authz("istio-system", { rules: [{}] }, "allow-all")], expect: /AuthorizationPolicy istio-system\/allow-all rule 0 is empty, so it allows every request/ },
            { label: "namespace without workloads and no policy", resources: [ns()], expect: /MCP namespace mcp-docs \(is labelled mcpsec\/tenant\) has no ALLOW AuthorizationPolicy for the whole namespace/ },
            // The rest passed the old pack whole: no rule required an AuthorizationPolicy, and only rules without from, to and when were refused.
            { label: "no AuthorizationPolicy", resources: swap(layer(), "mcp-docs-docs-require-token"), expect: /Deployment mcp-docs\/docs is selected by no ALLOW AuthorizationPolicy/ },
            { label: "unlabelled workload in an undeclared namespace", resources: bare(), expect: /MCP namespace team-a: Deployment team-a\/docs is selected by no ALLOW AuthorizationPolicy/ },
            { label: "policy selects another workload", resources: layer("mcp-docs", workload("mcp-docs", { labels: { app: "docs-v2" } })), expect: /docs is selected by no ALLOW AuthorizationPolicy/ },
            { label: "rule with to but no from", resources: swap(layer(), "mcp-docs-docs-require-token", authz("mcp-docs", { selector: { matchLabels: { app: "docs" } }, rules: [{ to: [{ operation: { paths: ["/mcp"] } }] }] })), expect: /AuthorizationPolicy mcp-docs\/docs-require-token rule 0 has no from, so any source is allowed/ },
            { label: "any request principal", resources: swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", [{ source: { requestPrincipals: ["*"] } }])), expect: /rule 0 from\[0\] accepts any principal \("\*"\)/ },
            { label: "any issuer (suffix wildcard)", resources: swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", [{ source: { requestPrincipals: ["*/alice"] } }])), expect: /accepts any principal \("\*\/alice"\)/ },
            { label: "a source by namespace only", resources: swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", [{ source: { requestPrincipals: [`${ISSUER}/*`] } }, { source: { namespaces: ["istio-ingress"] } }])), expect: /rule 0 from\[1\] names no principal, request principal or service account/ },
            // Passed before: only a leading "*" counted as a wildcard, the gateway's identity counted as a named
            // principal though every external request carries it, and a token of the shared pool needed no scope.
            { label: "principal wildcard over the trust domain", resources: swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", [{ source: { principals: ["cluster.local/*"] } }], { when: undefined })), expect: /rule 0 from\[0\] accepts any principal \("cluster.local\/\*"\)/ },
            { label: "principal wildcard over a namespace", resources: swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", [{ source: { principals: ["cluster.local/ns/mcp-agent/sa/*"] } }], { when: undefined })), expect: /accepts any principal \("cluster.local\/ns\/mcp-agent\/sa\/\*"\)/ },
            { label: "the ingress gateway's principal alone", resources: swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } }], { when: undefined })), expect: /rule 0 from\[0\] names only the ingress gateway \(cluster.local\/ns\/istio-ingress\/sa\/istio-ingressgateway\), which every external request comes through: it needs requestPrincipals too/ },
            { label: "a token of the issuer without a scope condition", resources: [SERVER, ...swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", undefined, { when: undefined }))], expect: /rule 0 accepts any token of https:\/\/issuer.example.com\/\*: it needs a when on request.auth.claims\[scope\] \(or \[scp\]\) with the scopes of Deployment mcp-docs\/docs/ },
            { label: "a scope condition that admits any scope", resources: [SERVER, ...swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", undefined, { when: [{ key: "request.auth.claims[scope]", values: ["*"] }] }))], expect: /accepts any token of .*: it needs a when/ },
            { label: "a scope condition by exclusion only", resources: [SERVER, ...swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", undefined, { when: [{ key: "request.auth.claims[scope]", notValues: ["https://docs.mcp.example.com/mcp/admin"] }] }))], expect: /accepts any token of .*: it needs a when/ },
            { label: "another server's scope", resources: [SERVER, OTHER_SERVER, ...swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", undefined, { when: [{ key: "request.auth.claims[scope]", values: ["https://docs.mcp.example.com/mcp/docs:read", "https://tickets.mcp.example.com/mcp/tickets:write"] }] }))], expect: /rule 0 admits scope https:\/\/tickets.mcp.example.com\/mcp\/tickets:write, which is not a scope of Deployment mcp-docs\/docs \(MCP server docs\)/ },
            { label: "another server's scope, workload not matched to a server", resources: [OTHER_SERVER, ...swap(layer(), "mcp-docs-docs-require-token", requireToken("mcp-docs", undefined, { when: [{ key: "request.auth.claims[scope]", values: ["https://tickets.mcp.example.com/mcp/tickets:write"] }] }))], expect: /admits scope https:\/\/tickets.mcp.example.com\/mcp\/tickets:write of MCP server tickets/ },
            { label: "Helm release without a namespace-wide policy", resources: [ns("team-b"), denyAll("team-b"), peer(), release("team-b")], expect: /MCP namespace team-b \(installs Helm release app .*\) has no ALLOW AuthorizationPolicy for the whole namespace/ },
            { label: "Argo Rollout not selected by any policy", resources: [ns("team-c"), denyAll("team-c"), peer(), rollout("team-c"), authz("team-c", { selector: { matchLabels: { app: "other" } } }, "other")], expect: /MCP namespace team-c: Rollout team-c\/docs is selected by no ALLOW AuthorizationPolicy/ },
            { label: "no RequestAuthentication", resources: swap(layer(), "mcp-docs-jwt"), expect: /relies on JWTs but no RequestAuthentication validates tokens for Deployment mcp-docs\/docs/ },
            { label: "RequestAuthentication for another issuer", resources: swap(layer(), "mcp-docs-jwt", jwt("mcp-docs", "https://other.example.com")), expect: /accepts tokens of https:\/\/issuer.example.com, which no RequestAuthentication validates/ },
        ],
    },
    "kubernetes-mcp-network-policy-no-allow-all": {
        pass: [
            { label: "a namespace as the layer renders it", resources: layer() },
            { label: "the layer's allows", resources: [ns(), workload(), denyAll(), ...layerAllows()] },
            { label: "same-namespace pods", resources: [ns(), workload(), netpol("mcp-docs", "same-ns", { policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] })] },
            { label: "allow-all outside MCP namespaces", resources: [netpol("istio-ingress", "open", { policyTypes: ["Egress"], egress: [{}] })] },
            { label: "a VPC range, a private IPv6 range and namespaces by name", resources: [...layer(), netpol("mcp-docs", "narrow", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }, { ipBlock: { cidr: "fd00::/8" } }, { namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["mcp-agent"] }] } }, { namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }, { key: "team", operator: "NotIn", values: ["guest"] }] } }] }] })] },
        ],
        fail: [
            // All of these passed the old pack whole: default-deny was checked to exist, not that no other policy undoes it.
            { label: "egress rule without to", resources: [...layer(), netpol("mcp-docs", "open-egress", { policyTypes: ["Egress"], egress: [{}] })], expect: /NetworkPolicy mcp-docs\/open-egress: egress rule 0 has no to, so it admits every destination\./ },
            { label: "ingress from any source on a port", resources: [...bare(), netpol("team-a", "open-port", { policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: 8080 }] }] })], expect: /ingress rule 0 has no from, so it admits every source on its ports/ },
            { label: "every namespace", resources: [...layer(), netpol("mcp-docs", "all-ns", { policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {} }] }] })], expect: /ingress rule 0 from\[0\] has namespaceSelector \{\}, which selects every namespace/ },
            { label: "empty peer", resources: [...layer(), netpol("mcp-docs", "empty-peer", { policyTypes: ["Egress"], egress: [{ to: [{}] }] })], expect: /egress rule 0 to\[0\] is empty/ },
            { label: "IPv4 internet", resources: [...layer(), netpol("mcp-docs", "internet", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ protocol: "TCP", port: 443 }] }] })], expect: /has ipBlock 0.0.0.0\/0, the whole address space/ },
            { label: "IPv6 internet", resources: [...layer(), netpol("mcp-docs", "internet6", { policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "::/0" } }] }] })], expect: /has ipBlock ::\/0/ },
            // Passed before: only a /0 counted as the whole address space, and only namespaceSelector {} as every namespace.
            { label: "the two halves of the IPv4 space", resources: [...layer(), netpol("mcp-docs", "halves", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/1" } }, { ipBlock: { cidr: "128.0.0.0/1" } }] }] })], expect: /egress rule 0 to\[0\] has ipBlock 0.0.0.0\/1, wider than a \/8[^]*to\[1\] has ipBlock 128.0.0.0\/1/ },
            { label: "IPv6 global unicast", resources: [...layer(), netpol("mcp-docs", "internet6", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "2000::/3" } }] }] })], expect: /has ipBlock 2000::\/3, wider than a \/16/ },
            { label: "every /8, spread over two policies", resources: [...layer(),
                netpol("mcp-docs", "low", { policyTypes: ["Egress"], egress: [{ to: Array.from({ length: 128 }, (_, i) => ({ ipBlock: { cidr: `${i}.0.0.0/8` } })) }] }),
                netpol("mcp-docs", "high", { policyTypes: ["Egress"], egress: [{ to: Array.from({ length: 128 }, (_, i) => ({ ipBlock: { cidr: `${i + 128}.0.0.0/8` } })) }] })],
            expect: /MCP namespace mcp-docs: the egress ipBlocks of NetworkPolicy mcp-docs\/low, mcp-docs\/high together cover the whole IPv4 address space/ },
            { label: "namespaces that have a name (all)", resources: [...layer(), netpol("mcp-docs", "named", { policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "Exists" }] } }] }] })], expect: /ingress rule 0 from\[0\] has a namespaceSelector that names no namespace \(kubernetes.io\/metadata.name Exists\), so it selects every namespace/ },
            { label: "every namespace but one", resources: [...layer(), netpol("mcp-docs", "not-one", { policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system"] }] }, podSelector: { matchLabels: { app: "db" } } }] }] })], expect: /egress rule 0 to\[0\] has a namespaceSelector that names no namespace \(kubernetes.io\/metadata.name NotIn kube-system\)/ },
            { label: "namespaces without a label", resources: [...layer(), netpol("mcp-docs", "unlabelled", { policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] } }] }] })], expect: /names no namespace \(team DoesNotExist\)/ },
        ],
    },
    "kubernetes-image-pinned-by-digest": {
        pass: [d("digest")],
        fail: [f("tag", /image ghcr.io\/acme\/docs:1.0 is not pinned by digest/, { c: { image: "ghcr.io/acme/docs:1.0" } })],
    },
    "kubernetes-resource-limits": {
        pass: [d("requests and limits")],
        fail: [f("no limits", /no limits.cpu, limits.memory/, { c: { resources: { requests: { cpu: "100m", memory: "64Mi" } } } })],
    },
    "kubernetes-service-account-token-automount-off": {
        pass: [d("off"), { label: "service account off", type: SA, props: { metadata: { name: "docs" }, automountServiceAccountToken: false } }],
        fail: [
            f("pod default", /the pod's automountServiceAccountToken is not false/, { pod: { automountServiceAccountToken: undefined } }),
            { label: "service account default", type: SA, props: { metadata: { name: "docs" } }, expect: /automountServiceAccountToken is not false/ },
        ],
    },
    "kubernetes-istio-mtls-strict": {
        pass: [
            { label: "a namespace as the layer renders it", resources: layer() },
            { label: "mesh-wide STRICT", resources: [ns(), peer(), workload()] },
            { label: "no MCP namespaces", resources: [] },
            { label: "port-level STRICT", resources: [ns(), peer(), peer("mcp-docs", "STRICT", { selector: { matchLabels: { app: "docs" } }, portLevelMtls: { 8080: { mode: "STRICT" } } })] },
            { label: "mesh mTLS to a service, TLS to an external host", resources: [ns(), peer(), workload(), destinationRule("mcp-docs", "docs.mcp-docs.svc.cluster.local", { tls: { mode: "ISTIO_MUTUAL" } }), serviceEntry("mcp-docs", "api.github.com"), destinationRule("mcp-docs", "api.github.com", { tls: { mode: "SIMPLE", sni: "api.github.com" } })] },
            { label: "revision label injects the sidecar", resources: [{ type: "kubernetes:core/v1:Namespace", name: "team-a", props: { metadata: { name: "team-a", labels: { "istio.io/rev": "1-27" } } } }, peer(), workload("team-a")] },
        ],
        fail: [
            { label: "missing", resources: [ns()], expect: /no mesh-wide STRICT PeerAuthentication in istio-system/ },
            { label: "a namespace lowers it", resources: [ns(), peer(), peer("mcp-docs", "PERMISSIVE")], expect: /PeerAuthentication mcp-docs\/default sets mtls PERMISSIVE/ },
            { label: "STRICT only for one workload", resources: [ns(), peer("istio-system", "STRICT", { selector: { matchLabels: { app: "x" } } })], expect: /no mesh-wide STRICT/ },
            // The rest passed before: port-level settings, DestinationRules and sidecar opt-outs were not looked at, and
            // the mesh-wide requirement depended on the tenant label.
            { label: "unlabelled workload and no mesh-wide STRICT", resources: [workload("team-a")], expect: /there are MCP namespaces \(team-a\) but no mesh-wide STRICT/ },
            { label: "port-level PERMISSIVE", resources: [...layer(), peer("mcp-docs", "STRICT", { selector: { matchLabels: { app: "docs" } }, portLevelMtls: { 8080: { mode: "PERMISSIVE" } } })], expect: /PeerAuthentication mcp-docs\/default sets mtls PERMISSIVE on port 8080/ },
            { label: "port-level DISABLE under UNSET", resources: [...layer(), peer("mcp-docs", "UNSET", { selector: { matchLabels: { app: "docs" } }, portLevelMtls: { 9090: { mode: "DISABLE" } } })], expect: /sets mtls DISABLE on port 9090/ },
            { label: "DestinationRule plaintext to a mesh service", resources: [...layer(), destinationRule("mcp-docs", "docs.mcp-docs.svc.cluster.local", { tls: { mode: "DISABLE" } })], expect: /DestinationRule mcp-docs\/docs: trafficPolicy sets tls mode DISABLE for docs.mcp-docs.svc.cluster.local, a service of the mesh \(plaintext\)/ },
            { label: "DestinationRule with an empty tls block (DISABLE)", resources: [...layer(), destinationRule("mcp-docs", "docs", { tls: {} })], expect: /tls mode DISABLE for docs,/ },
            { label: "DestinationRule SIMPLE on a subset port", resources: [...layer(), destinationRule("mcp-docs", "docs.mcp-docs", {}, { subsets: [{ name: "v1", labels: { version: "v1" }, trafficPolicy: { portLevelSettings: [{ port: { number: 8080 }, tls: { mode: "SIMPLE" } }] } }] })], expect: /subset v1 port 8080 sets tls mode SIMPLE for docs.mcp-docs/ },
            { label: "DestinationRule for every host", resources: [...layer(), destinationRule("istio-system", "*", { tls: { mode: "DISABLE" } })], expect: /tls mode DISABLE for \*,/ },
            { label: "sidecar opt-out", resources: layer("mcp-docs", workload("mcp-docs", { annotations: { "sidecar.istio.io/inject": "false" } })), expect: /Deployment mcp-docs\/docs opts out of the mesh/ },
            { label: "namespace without injection", resources: swap(layer("team-a"), "team-a", plainNs("team-a", { "istio-injection": "disabled" })), expect: /Deployment team-a\/docs gets no sidecar: namespace team-a is not labelled istio-injection=enabled/ },
        ],
    },
    "kubernetes-mcp-reachable-only-through-guard": {
        pass: [
            { label: "guard beside the server, Service on the guard's port", resources: [SERVER, ...layer("mcp-docs", guarded()), service("mcp-docs", [toGuard])] },
            { label: "Service targets the guard's port by name", resources: [SERVER, ...layer("mcp-docs", guarded()), service("mcp-docs", [{ ...toGuard, targetPort: "http-guard" }])] },
            { label: "a Service of another app in the namespace", resources: [SERVER, ...layer("mcp-docs", guarded()), service("mcp-docs", [toGuard]), { ...service("mcp-docs", [{ port: 8080 }], "other"), props: { metadata: { name: "other", namespace: "mcp-docs" }, spec: { selector: { app: "other" }, ports: [{ port: 8080 }] } } }] },
            { label: "a workload that is not an MCP server", resources: [...bare("team-a"), service("team-a", [{ port: 8080 }])] },
        ],
        fail: [
            // The old pack had no rule on Services: a Service straight to the server's port passed.
            { label: "Service targets the server's port directly, past the guard", resources: [SERVER, ...layer("mcp-docs", guarded()), service("mcp-docs", [toGuard, { name: "http-mcp", port: 8080, targetPort: 8080 }])], expect: /Service mcp-docs\/docs port http-mcp \(8080 -> 8080\) targets the MCP server's port 8080 of Deployment mcp-docs\/docs directly, past the guard \(port 8443\)/ },
            { label: "MCP server without the guard (allowUnguarded)", resources: [SERVER, ...layer(), service("mcp-docs", [{ name: "http-mcp", port: 8080, targetPort: 8080 }])], expect: /Deployment mcp-docs\/docs runs an MCP server \(container docs runs the image of MCP server docs\) without the MCP guard in its pod/ },
            { label: "guard image by tag", resources: [SERVER, ...layer("mcp-docs", guarded("mcp-docs", "example.com/mcp-guard:latest")), service("mcp-docs", [toGuard])], expect: /guard container mcp-guard runs image example.com\/mcp-guard:latest, not pinned by digest/ },
            // The guard refuses to start without GUARD_SERVER_NAME, so a container configured that way is no guard.
            { label: "guard container without GUARD_SERVER_NAME", resources: [SERVER, ...layer("mcp-docs", workload("mcp-docs", { c: { ports: undefined, env: [{ name: "HOST", value: "127.0.0.1" }] }, pod: { containers: [container({ ports: undefined, env: [{ name: "HOST", value: "127.0.0.1" }] }), { ...guardContainer(), env: [{ name: "GUARD_UPSTREAM_URL", value: "http://127.0.0.1:8080/mcp" }] }] } })), service("mcp-docs", [toGuard])], expect: /runs an MCP server \(container docs runs the image of MCP server docs\) without the MCP guard in its pod/ },
            { label: "Service targets another port of the pod", resources: [SERVER, ...layer("mcp-docs", guarded()), service("mcp-docs", [{ port: 443, targetPort: 9090 }])], expect: /targets port 9090 of Deployment mcp-docs\/docs, not the guard's port 8443/ },
            { label: "Service targets a named port nobody declares", resources: [SERVER, ...layer("mcp-docs", guarded()), service("mcp-docs", [{ port: 443, targetPort: "https" }])], expect: /targets the named port https, which no container/ },
        ],
    },
    "kubernetes-istio-no-allow-all-authorization": {
        pass: [
            { label: "token and scope required", type: AUTHZ, props: { spec: { action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: ["https://issuer/*"] } }], when: [{ key: "request.auth.claims[scope]", values: ["s"] }] }] } } },
            { label: "deny-all (no rules)", type: AUTHZ, props: { spec: {} } },
        ],
        fail: [
            { label: "empty rule", type: AUTHZ, props: { spec: { action: "ALLOW", rules: [{}] } }, expect: /an ALLOW rule matches every request/ },
            { label: "default action, empty rule", type: AUTHZ, props: { spec: { rules: [{}] } }, expect: /matches every request/ },
        ],
    },
};
