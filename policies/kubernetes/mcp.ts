import { PolicyResource } from "@pulumi/policy";
import { ofType, Props, resourceRule, stackRule } from "../lib/rule";
import { containersOf, POD_TYPES, podSpecOf } from "./pods";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const TENANT_LABEL = "mcpsec/tenant";

/** Namespaces that hold MCP workloads (labelled by McpNamespace). */
function mcpNamespaces(resources: PolicyResource[]): PolicyResource[] {
    return ofType(resources, NAMESPACE).filter((n) => n.props.metadata?.labels?.[TENANT_LABEL] !== undefined);
}

export const namespaceDefaultDeny = stackRule({
    name: "kubernetes-mcp-namespace-default-deny",
    description: "Every MCP namespace must have a default-deny NetworkPolicy for ingress and egress (empty pod selector, both policy types, no rules): microsegmentation starts from nothing allowed.",
    severity: "high",
    controls: ["S1", "H1"],
    nist: ["SC-7", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Use the McpNamespace component (components/kubernetes), which adds default-deny and then allows DNS, the mesh control plane and the gateway only.",
}, (resources, _args, report) => {
    const policies = ofType(resources, NETWORK_POLICY);
    for (const ns of mcpNamespaces(resources)) {
        const name = ns.props.metadata?.name;
        const denies = policies.some((p) => {
            const spec = p.props.spec ?? {};
            const types = (spec.policyTypes ?? []) as string[];
            return p.props.metadata?.namespace === name
                && Object.keys(spec.podSelector ?? {}).length === 0
                && types.includes("Ingress") && types.includes("Egress")
                && (spec.ingress ?? []).length === 0 && (spec.egress ?? []).length === 0;
        });
        if (!denies) {
            report(`MCP namespace ${name} has no default-deny NetworkPolicy for ingress and egress.`, ns.urn);
        }
    }
});

export const namespaceRestricted = resourceRule({
    name: "kubernetes-mcp-namespace-restricted",
    description: "MCP namespaces must enforce the Pod Security Standards restricted profile through Pod Security Admission (and audit and warn on it), so the API server itself refuses weaker pods.",
    severity: "high",
    controls: ["S3", "H1"],
    nist: ["CM-6", "CM-7"],
    maestro: ["L4"],
    threats: ["T6"],
    remediation: "Use McpNamespace, which labels pod-security.kubernetes.io/enforce, audit and warn = restricted.",
}, [NAMESPACE], (props, _args, report) => {
    const labels = (props.metadata?.labels ?? {}) as Record<string, string>;
    if (labels[TENANT_LABEL] === undefined) {
        return;
    }
    for (const mode of ["enforce", "audit", "warn"]) {
        if (labels[`pod-security.kubernetes.io/${mode}`] !== "restricted") {
            report(`pod-security.kubernetes.io/${mode} is ${labels[`pod-security.kubernetes.io/${mode}`] ?? "unset"}.`);
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

export const mtlsStrict = stackRule({
    name: "kubernetes-istio-mtls-strict",
    description: "A stack with MCP namespaces must set mesh-wide mutual TLS to STRICT (a PeerAuthentication in istio-system), and no PeerAuthentication may lower it. Servers then authenticate each other cryptographically and nothing talks to them in clear.",
    severity: "high",
    controls: ["H5", "S1", "C1"],
    nist: ["SC-8", "IA-3", "SC-23"],
    maestro: ["L4"],
    threats: ["T4", "T2"],
    remediation: "Use MeshInstall (components/kubernetes), which applies PeerAuthentication default in istio-system with mtls.mode STRICT.",
}, (resources, _args, report) => {
    const peers = ofType(resources, "kubernetes:security.istio.io/v1:PeerAuthentication").concat(ofType(resources, "kubernetes:security.istio.io/v1beta1:PeerAuthentication"));
    for (const p of peers) {
        const mode = p.props.spec?.mtls?.mode;
        if (mode === "PERMISSIVE" || mode === "DISABLE") {
            report(`PeerAuthentication ${p.props.metadata?.namespace}/${p.props.metadata?.name} sets mtls ${mode}.`, p.urn);
        }
    }
    if (mcpNamespaces(resources).length > 0 && !peers.some((p) => p.props.metadata?.namespace === "istio-system" && p.props.spec?.mtls?.mode === "STRICT" && !p.props.spec?.selector)) {
        report("there are MCP namespaces but no mesh-wide STRICT PeerAuthentication in istio-system.");
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

export const mcpRules = [namespaceDefaultDeny, namespaceRestricted, imageDigest, resourceLimits, tokenAutomount, mtlsStrict, noAllowAll];
