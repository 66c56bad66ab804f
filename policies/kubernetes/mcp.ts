import { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import ipaddr from "ipaddr.js";
import { ofType, Props, resourceRule, stackRule } from "../lib/rule";
import { guardPortsOf } from "./guard";
import { containersOf, POD_TYPES, podSpecOf } from "./pods";
import {
    appliesTo, MESH_ROOT_NAMESPACE, McpNamespace, mcpNamespaces, McpServerInfo, mcpServersOf, namespaceOfObject, NAMESPACE_TYPES, ofKind,
    scopeConfigSchema, selectsAll, systemNamespacesOf, Workload,
} from "./scope";

const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** The MCP namespaces of a stack rule's resources, with the rule's `systemNamespaces` config. */
function scoped(resources: PolicyResource[], args: StackValidationArgs): McpNamespace[] {
    return mcpNamespaces(resources, systemNamespacesOf(args.getConfig<{ systemNamespaces?: string[] }>()));
}

/** The policy types a NetworkPolicy isolates for (Ingress always when unset; Egress when unset and it has egress rules). */
function policyTypesOf(spec: Props): string[] {
    if (Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0) {
        return spec.policyTypes as string[];
    }
    return (spec.egress ?? []).length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

const scopeText = "An MCP namespace is any namespace that holds a workload (a built-in workload kind or any resource that embeds a pod template) or a Helm v3 Release (whose objects the pack cannot see), other than the system and add-on namespaces (pack config systemNamespaces), plus any namespace where a workload looks like an MCP server (the layer's marker label, an http-mcp port, or an McpServer's image, also named in a Release's values)";

export const namespaceDefaultDeny = stackRule({
    name: "kubernetes-mcp-namespace-default-deny",
    description: `Every MCP namespace must deny all ingress and all egress by default: a NetworkPolicy that selects every pod (empty podSelector) and isolates both directions with no rules (or one such policy per direction). Microsegmentation starts from nothing allowed. ${scopeText}.`,
    severity: "high",
    controls: ["S1", "H1", "P3"],
    nist: ["SC-7", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Run MCP workloads in an McpNamespace (components/kubernetes), which adds default-deny and then allows DNS, the mesh control plane and the gateway only; in your own namespaces add a NetworkPolicy with podSelector {}, policyTypes [Ingress, Egress] and no rules.",
    configSchema: scopeConfigSchema,
}, (resources, args, report) => {
    const policies = ofType(resources, NETWORK_POLICY);
    for (const ns of scoped(resources, args)) {
        const mine = policies.filter((p) => namespaceOfObject(p) === ns.name && selectsAll(p.props.spec?.podSelector));
        const deniesAll = (type: "Ingress" | "Egress") => mine.some((p) => {
            const spec = (p.props.spec ?? {}) as Props;
            return policyTypesOf(spec).includes(type) && (spec[type === "Ingress" ? "ingress" : "egress"] ?? []).length === 0;
        });
        const missing = (["Ingress", "Egress"] as const).filter((t) => !deniesAll(t));
        if (missing.length > 0) {
            report(`MCP namespace ${ns.name} (${ns.reason}) has no default-deny NetworkPolicy for ${missing.join(" and ").toLowerCase()}.`, ns.urn);
        }
    }
});

export const namespaceRestricted = stackRule({
    name: "kubernetes-mcp-namespace-restricted",
    description: `Every MCP namespace must be declared in the stack (Namespace or NamespacePatch) and enforce the Pod Security Standards restricted profile through Pod Security Admission (and audit and warn on it), so the API server itself refuses weaker pods. ${scopeText}.`,
    severity: "high",
    controls: ["S3", "H1"],
    nist: ["CM-6", "CM-7"],
    maestro: ["L4"],
    threats: ["T6"],
    remediation: "Use McpNamespace, which labels pod-security.kubernetes.io/enforce, audit and warn = restricted; for a namespace created elsewhere, set the labels with a NamespacePatch.",
    configSchema: scopeConfigSchema,
}, (resources, args, report) => {
    for (const ns of scoped(resources, args)) {
        if (ns.objects.length === 0) {
            report(`MCP namespace ${ns.name} (${ns.reason}) is not declared in the stack, so nothing enforces Pod Security Admission restricted on it.`, ns.urn);
            continue;
        }
        const labels = Object.assign({}, ...ns.objects.map((o) => o.props.metadata?.labels ?? {})) as Record<string, string>;
        for (const mode of ["enforce", "audit", "warn"]) {
            if (labels[`pod-security.kubernetes.io/${mode}`] !== "restricted") {
                report(`MCP namespace ${ns.name}: pod-security.kubernetes.io/${mode} is ${labels[`pod-security.kubernetes.io/${mode}`] ?? "unset"}.`, ns.urn);
            }
        }
    }
});

export const imageDigest = resourceRule({
    name: "kubernetes-image-pinned-by-digest",
    description: "Container images must be referenced by digest (image@sha256:...), so the image that was reviewed is the image that runs.",
    severity: "high",
    controls: ["C4", "S6"],
    nist: ["SR-4", "SI-7", "CM-14"],
    maestro: ["L4", "L7"],
    threats: ["T7"],
    remediation: "Give mcpsec:servers[].image by digest; McpWorkload uses it as given.",
}, POD_TYPES, (props, args, report) => {
    for (const c of containersOf(podSpecOf(args.type, props) ?? {})) {
        if (!/@sha256:[a-f0-9]{64}$/.test(String(c.image ?? ""))) {
            report(`container ${c.name}: image ${c.image} is not pinned by digest.`);
        }
    }
});

export const resourceLimits = resourceRule({
    name: "kubernetes-resource-limits",
    description: "Every container must set CPU and memory requests and limits, so no MCP server can starve its neighbours.",
    severity: "medium",
    controls: ["S3", "H3"],
    nist: ["SC-6", "SC-5"],
    maestro: ["L4"],
    threats: ["T5"],
    remediation: "McpWorkload sets requests and limits from the server's cpu and memory; set resources in your own manifests.",
}, POD_TYPES, (props, args, report) => {
    for (const c of containersOf(podSpecOf(args.type, props) ?? {})) {
        const r = (c.resources ?? {}) as Props;
        const missing = ["limits.cpu", "limits.memory", "requests.cpu", "requests.memory"].filter((k) => {
            const [a, b] = k.split(".");
            return r[a]?.[b] === undefined;
        });
        if (missing.length > 0) {
            report(`container ${c.name}: no ${missing.join(", ")}.`);
        }
    }
});

export const tokenAutomount = resourceRule({
    name: "kubernetes-service-account-token-automount-off",
    description: "Pods and service accounts must not mount a Kubernetes API token unless the workload calls the API: a stolen token is a foothold in the cluster.",
    severity: "medium",
    controls: ["C2", "H1"],
    nist: ["AC-6", "IA-5"],
    maestro: ["L4", "L6"],
    threats: ["T4"],
    remediation: "Leave McpWorkload's automountServiceAccountToken unset (false); set automountServiceAccountToken: false on your pods and service accounts.",
}, [...POD_TYPES, "kubernetes:core/v1:ServiceAccount"], (props, args, report) => {
    if (args.type === "kubernetes:core/v1:ServiceAccount") {
        if (props.automountServiceAccountToken !== false) {
            report("automountServiceAccountToken is not false.");
        }
        return;
    }
    const pod = podSpecOf(args.type, props);
    if (pod && pod.automountServiceAccountToken !== false) {
        report("the pod's automountServiceAccountToken is not false.");
    }
});

const MESH_OPT_OUT = "sidecar.istio.io/inject";

/** Where a DestinationRule sets client TLS: the traffic policy, its port-level settings, and the same per subset. */
function tlsSettingsOf(spec: Props): { where: string; tls: Props }[] {
    const out: { where: string; tls: Props }[] = [];
    const fromPolicy = (policy: Props | undefined, where: string) => {
        if (policy?.tls) {
            out.push({ where, tls: policy.tls as Props });
        }
        ((policy?.portLevelSettings ?? []) as Props[]).forEach((pl) => {
            if (pl.tls) {
                out.push({ where: `${where} port ${pl.port?.number ?? "?"}`, tls: pl.tls as Props });
            }
        });
    };
    fromPolicy(spec.trafficPolicy, "trafficPolicy");
    ((spec.subsets ?? []) as Props[]).forEach((sub) => fromPolicy(sub.trafficPolicy, `subset ${sub.name}`));
    return out;
}

/**
 * True when a DestinationRule host names services of the mesh: `*`, cluster-local names (`.svc`, `.local`, ...), short
 * names (resolved in the rule's namespace) and `<service>.<namespace>` for a namespace of the stack. Hosts of a
 * MESH_EXTERNAL ServiceEntry are outside.
 */
function inMesh(host: string, external: Set<string>, namespaces: Set<string>): boolean {
    if (external.has(host)) {
        return false;
    }
    const labels = host.split(".");
    return host === "*" || /(^|\.)(svc|local)$/.test(host) || /\.svc\.cluster\.local$/.test(host) || labels.length === 1
        || (labels.length === 2 && namespaces.has(labels[1]));
}

export const mtlsStrict = stackRule({
    name: "kubernetes-istio-mtls-strict",
    description: `A stack with MCP namespaces must set mesh-wide mutual TLS to STRICT (a PeerAuthentication without selector in the root namespace istio-system), and nothing may lower it: no PeerAuthentication with mode PERMISSIVE or DISABLE, at workload or port level (portLevelMtls); no DestinationRule that sends plaintext (tls mode DISABLE, also the mode an empty tls block means) or non-mesh TLS (SIMPLE) to a service of the mesh; no MCP workload left without a sidecar (namespace not injected, or sidecar.istio.io/inject false). Servers then authenticate each other cryptographically and nothing talks to them in clear. ${scopeText}.`,
    severity: "high",
    controls: ["H5", "S1", "C1"],
    nist: ["SC-8", "IA-3", "SC-23"],
    maestro: ["L4"],
    threats: ["T4", "T2"],
    remediation: "Use MeshInstall (components/kubernetes), which applies PeerAuthentication default in istio-system with mtls.mode STRICT, and McpNamespace, which labels istio-injection=enabled; delete PERMISSIVE/DISABLE PeerAuthentications and portLevelMtls entries, and use tls.mode ISTIO_MUTUAL (or no tls block) in DestinationRules for services of the mesh.",
    configSchema: scopeConfigSchema,
}, (resources, args, report) => {
    const peers = ofKind(resources, "security.istio.io", "PeerAuthentication");
    for (const p of peers) {
        const id = `PeerAuthentication ${namespaceOfObject(p)}/${p.props.metadata?.name}`;
        const mode = p.props.spec?.mtls?.mode;
        if (mode === "PERMISSIVE" || mode === "DISABLE") {
            report(`${id} sets mtls ${mode}.`, p.urn);
        }
        for (const [port, m] of Object.entries((p.props.spec?.portLevelMtls ?? {}) as Record<string, Props>)) {
            if (m?.mode === "PERMISSIVE" || m?.mode === "DISABLE") {
                report(`${id} sets mtls ${m.mode} on port ${port}.`, p.urn);
            }
        }
    }
    const namespaces = scoped(resources, args);
    if (namespaces.length > 0 && !peers.some((p) => namespaceOfObject(p) === MESH_ROOT_NAMESPACE && p.props.spec?.mtls?.mode === "STRICT" && selectsAll(p.props.spec?.selector))) {
        report(`there are MCP namespaces (${namespaces.map((n) => n.name).join(", ")}) but no mesh-wide STRICT PeerAuthentication in ${MESH_ROOT_NAMESPACE}.`);
    }
    const external = new Set(ofKind(resources, "networking.istio.io", "ServiceEntry")
        .filter((e) => e.props.spec?.location !== "MESH_INTERNAL").flatMap((e) => (e.props.spec?.hosts ?? []) as string[]));
    const known = new Set([
        ...NAMESPACE_TYPES.flatMap((t) => ofType(resources, t)).map((n) => n.props.metadata?.name as string),
        ...resources.map((r) => r.props.metadata?.namespace).filter((n): n is string => typeof n === "string"),
    ]);
    for (const dr of ofKind(resources, "networking.istio.io", "DestinationRule")) {
        const host = String(dr.props.spec?.host ?? "");
        if (!inMesh(host, external, known)) {
            continue;
        }
        for (const { where, tls } of tlsSettingsOf((dr.props.spec ?? {}) as Props)) {
            const mode = tls.mode ?? "DISABLE";
            if (mode === "DISABLE" || mode === "SIMPLE") {
                report(`DestinationRule ${namespaceOfObject(dr)}/${dr.props.metadata?.name}: ${where} sets tls mode ${mode} for ${host}, a service of the mesh${mode === "DISABLE" ? " (plaintext)" : " (TLS without the mesh identity)"}.`, dr.urn);
            }
        }
    }
    for (const ns of namespaces) {
        const labels = Object.assign({}, ...ns.objects.map((o) => o.props.metadata?.labels ?? {})) as Record<string, string>;
        const injected = labels["istio-injection"] === "enabled" || (labels["istio.io/rev"] !== undefined && labels["istio-injection"] !== "disabled");
        for (const w of ns.workloads) {
            const optOut = w.podLabels[MESH_OPT_OUT] ?? w.podAnnotations[MESH_OPT_OUT];
            if (optOut === "false") {
                report(`${w.label} opts out of the mesh (${MESH_OPT_OUT}: "false"): it has no mTLS and no AuthorizationPolicy applies to it.`, w.resource.urn);
            } else if (ns.objects.length > 0 && !injected && w.podLabels[MESH_OPT_OUT] !== "true") {
                report(`${w.label} gets no sidecar: namespace ${ns.name} is not labelled istio-injection=enabled (or istio.io/rev).`, w.resource.urn);
            }
        }
    }
});

/** Istio's gateway namespaces: the layer's ingress gateway runs in istio-ingress. */
export const GATEWAY_NAMESPACES = ["istio-ingress"];

const authorizationConfigSchema = {
    properties: {
        ...scopeConfigSchema.properties,
        gatewayNamespaces: { type: "array" as const, items: { type: "string" as const }, default: GATEWAY_NAMESPACES },
    },
};

/**
 * A peer identity `<trust domain>/ns/<namespace>/sa/<service account>` that names one service account: Istio matches
 * `*` as a prefix, suffix or presence wildcard, so any `*` widens it to a trust domain, a namespace or everyone.
 */
const namedPrincipal = (v: unknown): v is string => typeof v === "string" && /^[^*/]+\/ns\/[^*/]+\/sa\/[^*/]+$/.test(v);
/** A `<namespace>/<service account>` of serviceAccounts, without wildcards. */
const namedServiceAccount = (v: unknown): v is string => typeof v === "string" && /^[^*/]+\/[^*/]+$/.test(v);
/** A request principal `<iss>/<sub>` bound to one issuer (any subject): the issuer part has no wildcard. */
function boundRequestPrincipal(v: unknown): v is string {
    if (typeof v !== "string") {
        return false;
    }
    const issuer = issuerOf(v);
    return issuer !== "" && !issuer.includes("*") && !issuer.endsWith("/") && !/^[a-z][a-z0-9+.-]*:$/i.test(issuer);
}
/** The namespace of a peer identity (a principal or a `<namespace>/<sa>` service account). */
const peerNamespace = (v: string) => (v.includes("/ns/") ? v.split("/")[2] : v.split("/")[0]);

/** The issuer of a request principal `<iss>/<sub>` (the sub may be a wildcard). */
const issuerOf = (principal: string) => principal.slice(0, Math.max(0, principal.lastIndexOf("/")));

interface SourceCheck {
    /** Why the source admits a request without a named principal, or undefined. */
    gap?: string;
    /** True when only a token binds the source (no named peer of its own): the rule must then check the token's scope. */
    tokenOnly: boolean;
    /**
     * True when the source names only the ingress gateway: acceptable only in front of the MCP guard (which decides
     * the token and scope itself), on the guard's port.
     */
    gatewayOnly?: boolean;
}

/**
 * Judges one `from.source`. Fields of a source must all hold, so it is bound when one of them names identities only:
 * peer principals or service accounts of named service accounts outside the gateway namespaces, or request
 * principals of a named issuer. The ingress gateway's identity binds nothing: every external request reaches the
 * server through it, with or without a token.
 */
function checkSource(src: Props, i: number, gateways: Set<string>): SourceCheck {
    const list = (key: string) => (src[key] ?? []) as unknown[];
    const [principals, accounts, requests] = [list("principals"), list("serviceAccounts"), list("requestPrincipals")];
    const forwarder = (v: unknown) => typeof v === "string" && gateways.has(peerNamespace(v));
    const peerBound = (principals.length > 0 && principals.every((v) => namedPrincipal(v) && !forwarder(v)))
        || (accounts.length > 0 && accounts.every((v) => namedServiceAccount(v) && !forwarder(v)));
    const tokenBound = requests.length > 0 && requests.every(boundRequestPrincipal);
    if (peerBound || tokenBound) {
        return { tokenOnly: !peerBound };
    }
    const wild = [...principals.filter((v) => !namedPrincipal(v)), ...accounts.filter((v) => !namedServiceAccount(v)), ...requests.filter((v) => !boundRequestPrincipal(v))][0];
    if (wild !== undefined) {
        return { tokenOnly: false, gap: `from[${i}] accepts any principal ("${String(wild)}")` };
    }
    const gateway = [...principals, ...accounts].find(forwarder);
    if (gateway !== undefined) {
        const peers = [...principals, ...accounts];
        const gap = `from[${i}] names only the ingress gateway (${String(gateway)}), which every external request comes through: it needs requestPrincipals too, with a scope condition, unless the MCP guard in the pod checks the token (rule ports only the guard's)`;
        const named = peers.every((v) => (namedPrincipal(v) || namedServiceAccount(v)) && forwarder(v)) && requests.length === 0;
        return named ? { tokenOnly: false, gatewayOnly: true, gap } : { tokenOnly: false, gap };
    }
    return { tokenOnly: false, gap: `from[${i}] names no principal, request principal or service account` };
}

/** Why an ALLOW rule admits a request without a named principal (or undefined), and whether it relies on tokens alone. */
function principalGap(rule: Props, gateways: Set<string>): SourceCheck {
    const from = (rule.from ?? []) as Props[];
    if (from.length === 0) {
        return { tokenOnly: false, gap: rule.to || rule.when ? "has no from, so any source is allowed" : "is empty, so it allows every request" };
    }
    const checks = from.map((f, i) => checkSource((f.source ?? {}) as Props, i, gateways));
    return checks.find((c) => c.gap && !c.gatewayOnly) ?? checks.find((c) => c.gatewayOnly) ?? { tokenOnly: checks.some((c) => c.tokenOnly) };
}

/**
 * The ports an ALLOW rule admits requests on: every `to` names `operation.ports` (numbers, no notPorts), or undefined
 * when the rule admits some request on any port.
 */
function rulePorts(rule: Props): number[] | undefined {
    const to = (rule.to ?? []) as Props[];
    if (to.length === 0) {
        return undefined;
    }
    const lists = to.map((t) => ((t.operation?.ports ?? []) as unknown[]));
    if (lists.some((l) => l.length === 0 || l.some((v) => !/^\d+$/.test(String(v))))) {
        return undefined;
    }
    return [...new Set(lists.flat().map(Number))];
}

/** The claims that carry OAuth scopes (Istio splits `scope` on spaces; `scp` is a list in some issuers). */
const SCOPE_KEYS = new Set(["request.auth.claims[scope]", "request.auth.claims[scp]"]);

/**
 * The scope conditions of a rule that restrict what a token must carry: `values` (no wildcard, which Istio would
 * match as a prefix, suffix or presence). Conditions add up, so one that names only the server's scopes is enough.
 */
function scopeConditions(rule: Props): string[][] {
    return ((rule.when ?? []) as Props[])
        .filter((c) => SCOPE_KEYS.has(String(c.key)))
        .map((c) => (Array.isArray(c.values) ? c.values as unknown[] : []))
        .filter((values) => values.length > 0 && values.every((v) => typeof v === "string" && v !== "" && !v.includes("*"))) as string[][];
}

/**
 * Why a token-only rule admits tokens not meant for a workload: no scope condition, or a condition that admits
 * scopes of another server. For a workload that runs an McpServer's image every value must be a scope of that
 * server; otherwise no value may be a scope of another server of the stack.
 */
function scopeGap(rule: Props, target: Workload | undefined, where: string, servers: McpServerInfo[]): string | undefined {
    const conditions = scopeConditions(rule);
    if (conditions.length === 0) {
        const principals = ((rule.from ?? []) as Props[]).flatMap((f) => (f.source?.requestPrincipals ?? []) as string[]);
        return `accepts any token of ${principals.join(", ")}: it needs a when on request.auth.claims[scope] (or [scp]) with the scopes of ${where}`;
    }
    const own = target?.server?.scopes;
    if (own !== undefined) {
        if (conditions.some((values) => values.every((v) => own.includes(v)))) {
            return undefined;
        }
        const foreign = conditions[0].find((v) => !own.includes(v));
        return `admits scope ${foreign}, which is not a scope of ${where} (MCP server ${target!.server!.name})`;
    }
    const ownerOf = (v: string) => servers.find((sv) => sv.name !== target?.server?.name && (sv.scopes ?? []).includes(v));
    if (conditions.some((values) => values.every((v) => ownerOf(v) === undefined))) {
        return undefined;
    }
    const foreign = conditions[0].find((v) => ownerOf(v) !== undefined)!;
    return `admits scope ${foreign} of MCP server ${ownerOf(foreign)!.name}, not of ${where}`;
}

const isAllow = (p: PolicyResource) => (p.props.spec?.action ?? "ALLOW") === "ALLOW";

export const namespaceAuthorization = stackRule({
    name: "kubernetes-mcp-namespace-authorization",
    description: `Every workload of an MCP namespace must be selected by an Istio ALLOW AuthorizationPolicy (without one Istio admits every request), and every rule of every ALLOW policy that applies there (in the namespace or the root namespace) must require a named principal: each from source names principals or serviceAccounts of named service accounts (no "*" anywhere: Istio matches it as a prefix or suffix, so "cluster.local/*" is the whole trust domain), or requestPrincipals of a named issuer, and no rule lacks from. The ingress gateway's identity (a principal in the gateway namespaces, pack config gatewayNamespaces) binds nothing on its own, since every external request comes through it, except in front of the MCP guard: a rule that names only the gateway's named principals passes when every workload it applies to runs the guard and the rule admits only the guard's ports (to.operation.ports), since the guard then checks the token and the scope per tool and answers 401 with the RFC 9728 metadata, which Istio cannot. A rule bound by tokens alone must also require, in a when on request.auth.claims[scope] (or [scp]), the scopes of the workload: of its McpServer when it runs one, and never a scope of another server of the stack; otherwise any token of the shared issuer reaches any server. An ALLOW policy without rules (allow nothing) is fine. When a policy relies on JWTs (requestPrincipals or request.auth conditions), a RequestAuthentication must validate the issuer's tokens for the same workloads. ${scopeText}.`,
    severity: "high",
    controls: ["C1", "C3", "S5", "S1", "P3"],
    nist: ["AC-3", "AC-6", "IA-2", "IA-9"],
    maestro: ["L6", "L4"],
    threats: ["T4"],
    remediation: "Use McpMeshPolicy (components/kubernetes): with the guard (mcpsec:guard.image) it admits only the ingress gateway's principal on the guard's port and the MCP path; unguarded, a RequestAuthentication for the issuer and an AuthorizationPolicy that allows only requests with a token from it carrying one of the server's scopes. In your own policies put from.source.requestPrincipals [\"<issuer>/*\"] with a when on request.auth.claims[scope] listing the server's scopes, or principals of named service accounts, on every rule.",
    configSchema: authorizationConfigSchema,
}, (resources, args, report) => {
    const authz = ofKind(resources, "security.istio.io", "AuthorizationPolicy").filter(isAllow);
    const authn = ofKind(resources, "security.istio.io", "RequestAuthentication");
    const gateways = new Set(args.getConfig<{ gatewayNamespaces?: string[] }>()?.gatewayNamespaces ?? GATEWAY_NAMESPACES);
    const servers = mcpServersOf(resources);
    for (const ns of scoped(resources, args)) {
        const targets: (Workload | undefined)[] = ns.workloads.length > 0 ? ns.workloads : [undefined];
        const labelsOf = (t: Workload | undefined) => t?.podLabels;
        const whereOf = (t: Workload | undefined) => t?.label ?? `namespace ${ns.name}`;
        const relevant = authz.filter((p) => namespaceOfObject(p) === ns.name || targets.some((t) => appliesTo(p, ns.name, labelsOf(t))));
        for (const p of relevant) {
            const id = `AuthorizationPolicy ${namespaceOfObject(p)}/${p.props.metadata?.name}`;
            const rules = (p.props.spec?.rules ?? []) as Props[];
            const applies = targets.filter((t) => appliesTo(p, ns.name, labelsOf(t)));
            rules.forEach((r, i) => {
                const { gap, tokenOnly, gatewayOnly } = principalGap(r, gateways);
                if (gatewayOnly) {
                    // The ingress gateway alone is enough only where the guard checks every request: each workload
                    // the rule admits runs the guard, and the rule admits only the guard's ports.
                    const ports = rulePorts(r);
                    for (const t of applies.length > 0 ? applies : [undefined]) {
                        const guardPorts = t ? guardPortsOf(t.podSpec) : [];
                        if (guardPorts.length === 0) {
                            report(`MCP namespace ${ns.name}: ${id} rule ${i} ${gap}; ${whereOf(t)} runs no MCP guard.`, p.urn);
                        } else if (ports === undefined || ports.some((n) => !guardPorts.includes(n))) {
                            report(`MCP namespace ${ns.name}: ${id} rule ${i} ${gap}; it admits ${ports === undefined ? "any port" : `port ${ports.filter((n) => !guardPorts.includes(n)).join(", ")}`} of ${whereOf(t)}, not only the guard's (${guardPorts.join(", ")}).`, p.urn);
                        }
                    }
                } else if (gap) {
                    report(`MCP namespace ${ns.name}: ${id} rule ${i} ${gap}.`, p.urn);
                } else if (tokenOnly) {
                    for (const t of applies) {
                        const why = scopeGap(r, t, whereOf(t), servers);
                        if (why) {
                            report(`MCP namespace ${ns.name}: ${id} rule ${i} ${why}.`, p.urn);
                        }
                    }
                }
            });
            const issuers = new Set(rules.flatMap((r) => ((r.from ?? []) as Props[]).flatMap((f) => (f.source?.requestPrincipals ?? []) as string[]))
                .filter(boundRequestPrincipal).map(issuerOf));
            const usesJwt = issuers.size > 0 || rules.some((r) => ((r.when ?? []) as Props[]).some((c) => String(c.key ?? "").startsWith("request.auth.")));
            if (!usesJwt) {
                continue;
            }
            for (const t of applies) {
                const validated = authn.filter((ra) => appliesTo(ra, ns.name, labelsOf(t))).flatMap((ra) => ((ra.props.spec?.jwtRules ?? []) as Props[]).map((j) => String(j.issuer ?? "")));
                if (validated.length === 0) {
                    report(`MCP namespace ${ns.name}: ${id} relies on JWTs but no RequestAuthentication validates tokens for ${whereOf(t)}.`, p.urn);
                }
                for (const iss of issuers) {
                    if (validated.length > 0 && !validated.includes(iss)) {
                        report(`MCP namespace ${ns.name}: ${id} accepts tokens of ${iss}, which no RequestAuthentication validates for ${whereOf(t)}.`, p.urn);
                    }
                }
            }
        }
        if (ns.workloads.length === 0) {
            if (!relevant.some((p) => appliesTo(p, ns.name, undefined))) {
                report(`MCP namespace ${ns.name} (${ns.reason}) has no ALLOW AuthorizationPolicy for the whole namespace, so Istio would admit every request to its workloads.`, ns.urn);
            }
            continue;
        }
        for (const w of ns.workloads) {
            if (!authz.some((p) => appliesTo(p, ns.name, w.podLabels))) {
                report(`MCP namespace ${ns.name}: ${w.label} is selected by no ALLOW AuthorizationPolicy, so Istio admits every request to it.`, w.resource.urn);
            }
        }
    }
});

/** The label every namespace carries with its own name (Kubernetes 1.21+). */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Why a namespaceSelector selects namespaces nobody named, or undefined. A selector names namespaces when it requires
 * a label value (matchLabels, In) or a label other than the name label to exist; one made only of NotIn and
 * DoesNotExist (select by what a namespace lacks) or Exists on the name label (every namespace has it) does not.
 */
function openNamespaceSelector(selector: Props): string | undefined {
    if (selectsAll(selector)) {
        return "has namespaceSelector {}, which selects every namespace";
    }
    const expressions = (selector.matchExpressions ?? []) as Props[];
    const names = Object.keys(selector.matchLabels ?? {}).length > 0
        || expressions.some((e) => e.operator === "In" || (e.operator === "Exists" && e.key !== NAMESPACE_NAME_LABEL));
    if (names) {
        return undefined;
    }
    const text = expressions.map((e) => `${e.key} ${e.operator}${(e.values ?? []).length > 0 ? ` ${(e.values as string[]).join(",")}` : ""}`).join(", ");
    const every = expressions.every((e) => e.operator === "Exists");
    return `has a namespaceSelector that names no namespace (${text}), so it selects every namespace${every ? "" : " it does not exclude"}`;
}

/** The widest ipBlock a policy may name: a /8 of IPv4, a /16 of IPv6 outside the unique local range fc00::/7. */
const WIDEST_PREFIX = { ipv4: 8, ipv6: 16 } as const;
const UNIQUE_LOCAL = ipaddr.parseCIDR("fc00::/7");

/** An ipBlock's address family and range as integers, or undefined when it does not parse. */
function rangeOf(cidr: string): { family: "ipv4" | "ipv6"; prefix: number; start: bigint; end: bigint } | undefined {
    if (!ipaddr.isValidCIDR(cidr)) {
        return undefined;
    }
    const [address, prefix] = ipaddr.parseCIDR(cidr);
    const family = address.kind();
    const bits = family === "ipv4" ? 32 : 128;
    const value = address.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    const size = 1n << BigInt(bits - prefix);
    const start = (value / size) * size;
    return { family, prefix, start, end: start + size - 1n };
}

/** Why a NetworkPolicy peer admits every source or destination (or a large part of the internet), or undefined. */
function openPeer(peer: Props): string | undefined {
    if (!peer.podSelector && !peer.namespaceSelector && !peer.ipBlock) {
        return "is empty";
    }
    if (peer.namespaceSelector) {
        const why = openNamespaceSelector(peer.namespaceSelector as Props);
        if (why) {
            return why;
        }
    }
    const cidr = String(peer.ipBlock?.cidr ?? "");
    const range = peer.ipBlock ? rangeOf(cidr) : undefined;
    if (range?.prefix === 0) {
        return `has ipBlock ${cidr}, the whole address space`;
    }
    if (range && range.prefix < WIDEST_PREFIX[range.family]) {
        const [address, prefix] = ipaddr.parseCIDR(cidr);
        if (!(range.family === "ipv6" && address.kind() === "ipv6" && prefix >= UNIQUE_LOCAL[1] && (address as ipaddr.IPv6).match(UNIQUE_LOCAL))) {
            return `has ipBlock ${cidr}, wider than a /${WIDEST_PREFIX[range.family]}`;
        }
    }
    return undefined;
}

/** True when the ranges together cover every address of the family. */
function coversAll(ranges: { start: bigint; end: bigint }[], family: "ipv4" | "ipv6"): boolean {
    const last = (1n << BigInt(family === "ipv4" ? 32 : 128)) - 1n;
    let next = 0n;
    for (const r of [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))) {
        if (r.start > next) {
            return false;
        }
        if (r.end >= next) {
            next = r.end + 1n;
        }
        if (next > last) {
            return true;
        }
    }
    return false;
}

export const networkPolicyNoAllowAll = stackRule({
    name: "kubernetes-mcp-network-policy-no-allow-all",
    description: `No NetworkPolicy in an MCP namespace may admit everyone, which would undo default-deny (policies add up): no ingress rule without from or egress rule without to (any source or destination), no empty peer, no namespaceSelector that names no namespace ({}, or only NotIn, DoesNotExist, or Exists on kubernetes.io/metadata.name, which every namespace carries), no ipBlock wider than a /8 (IPv4) or a /16 (IPv6, outside fc00::/7), and no set of ipBlocks of the namespace's policies that together cover the whole IPv4 or IPv6 address space in one direction. ${scopeText}.`,
    severity: "high",
    controls: ["S1", "H1"],
    nist: ["SC-7", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Keep McpNamespace's allows (DNS, istiod, the gateway namespace on the server ports); name the peer of any extra rule with a namespaceSelector on kubernetes.io/metadata.name (matchLabels or In) and a podSelector, or a narrow ipBlock; reach the internet through declared egress domains (mcpsec:servers[].egress, a ServiceEntry each), not an ipBlock.",
    configSchema: scopeConfigSchema,
}, (resources, args, report) => {
    const names = new Set(scoped(resources, args).map((n) => n.name));
    const blocks = new Map<string, { ranges: { start: bigint; end: bigint }[]; policies: Set<string>; flagged: boolean; urn: string }>();
    for (const p of ofType(resources, NETWORK_POLICY).filter((np) => names.has(namespaceOfObject(np)))) {
        const ns = namespaceOfObject(p);
        const id = `NetworkPolicy ${ns}/${p.props.metadata?.name}`;
        for (const [dir, key] of [["ingress", "from"], ["egress", "to"]] as const) {
            ((p.props.spec?.[dir] ?? []) as Props[]).forEach((rule, i) => {
                const peers = (rule[key] ?? []) as Props[];
                if (peers.length === 0) {
                    report(`${id}: ${dir} rule ${i} has no ${key}, so it admits ${dir === "ingress" ? "every source" : "every destination"}${rule.ports ? " on its ports" : ""}.`, p.urn);
                }
                peers.forEach((peer, j) => {
                    const why = openPeer(peer);
                    if (why) {
                        report(`${id}: ${dir} rule ${i} ${key}[${j}] ${why}.`, p.urn);
                    }
                    const range = peer.ipBlock ? rangeOf(String(peer.ipBlock.cidr ?? "")) : undefined;
                    if (range) {
                        const k = `${ns}|${dir}|${range.family}`;
                        const entry = blocks.get(k) ?? { ranges: [], policies: new Set<string>(), flagged: false, urn: p.urn };
                        entry.ranges.push(range);
                        entry.policies.add(`${ns}/${p.props.metadata?.name}`);
                        entry.flagged ||= why !== undefined;
                        blocks.set(k, entry);
                    }
                });
            });
        }
    }
    for (const [k, entry] of blocks) {
        const [ns, dir, family] = k.split("|") as [string, string, "ipv4" | "ipv6"];
        if (!entry.flagged && coversAll(entry.ranges, family)) {
            report(`MCP namespace ${ns}: the ${dir} ipBlocks of NetworkPolicy ${[...entry.policies].join(", ")} together cover the whole ${family === "ipv4" ? "IPv4" : "IPv6"} address space.`, entry.urn);
        }
    }
});

/** True when an AuthorizationPolicy ALLOW rule matches every request (no from, to or when). */
function allowsEverything(spec: Props): boolean {
    if ((spec.action ?? "ALLOW") !== "ALLOW" || spec.provider) {
        return false;
    }
    const rules = (spec.rules ?? []) as Props[];
    return rules.some((r) => !r.from && !r.to && !r.when);
}

export const noAllowAll = resourceRule({
    name: "kubernetes-istio-no-allow-all-authorization",
    description: "No AuthorizationPolicy may allow every request (an ALLOW rule without from, to or when): it would switch off the token and scope checks for its workloads.",
    severity: "high",
    controls: ["C1", "C3", "S5"],
    nist: ["AC-3", "AC-6"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Use McpMeshPolicy, which allows only requests with a valid token carrying one of the server's scopes.",
}, ["kubernetes:security.istio.io/v1:AuthorizationPolicy", "kubernetes:security.istio.io/v1beta1:AuthorizationPolicy"], (props, _args, report) => {
    if (allowsEverything(props.spec ?? {})) {
        report("an ALLOW rule matches every request.");
    }
});

export const mcpRules = [namespaceDefaultDeny, namespaceRestricted, namespaceAuthorization, networkPolicyNoAllowAll, imageDigest, resourceLimits, tokenAutomount, mtlsStrict, noAllowAll];
