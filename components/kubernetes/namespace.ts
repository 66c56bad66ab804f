import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface McpNamespaceArgs {
    /** Namespace name (one per MCP tenant or server). */
    name: string;
    /** Namespace of the mesh's ingress gateway: the only source admitted (to `ports`). */
    gatewayNamespace: string;
    /** Ports the workloads serve. */
    ports: number[];
    /**
     * The mesh's egress gateway (its namespace and pod labels) the workloads may reach on 443, when they have hosts to
     * reach (declared egress, the guard's JWKS). Unset: no way out but DNS and istiod.
     */
    egressGateway?: { namespace: string; podLabels: Record<string, string>; port: number };
    /** Resource quota of the namespace. */
    quota?: { cpu: string; memory: string; pods: number };
    labels?: Record<string, string>;
}

/**
 * A namespace for MCP workloads (controls S1, S3, H1, H3): Pod Security Admission `restricted` enforced, audited
 * and warned; Istio sidecar injection; a default-deny NetworkPolicy for ingress and egress, with DNS, the mesh
 * control plane, the egress gateway (443, when given) and the ingress gateway allowed; a ResourceQuota and a LimitRange so no pod runs unbounded.
 */
export class McpNamespace extends pulumi.ComponentResource {
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: McpNamespaceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:McpNamespace", name, {}, opts);
        const parent = { parent: this };
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: {
                name: args.name,
                labels: {
                    ...(args.labels ?? {}),
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/audit-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/warn-version": "latest",
                    "istio-injection": "enabled",
                    "mcpsec/tenant": args.name,
                },
            },
        }, parent);
        this.name = ns.metadata.name;
        const meta = (n: string) => ({ name: n, namespace: args.name });
        const deps = { parent: this, dependsOn: [ns] };
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: meta("default-deny"),
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, deps);
        new k8s.networking.v1.NetworkPolicy(`${name}-allow-dns`, {
            metadata: meta("allow-dns"),
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
                }],
            },
        }, deps);
        new k8s.networking.v1.NetworkPolicy(`${name}-allow-mesh`, {
            metadata: meta("allow-mesh-control-plane"),
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } }, podSelector: { matchLabels: { app: "istiod" } } }],
                    ports: [{ protocol: "TCP", port: 15012 }, { protocol: "TCP", port: 15017 }],
                }],
            },
        }, deps);
        if (args.egressGateway) {
            const eg = args.egressGateway;
            new k8s.networking.v1.NetworkPolicy(`${name}-allow-egress-gateway`, {
                metadata: meta("allow-to-egress-gateway"),
                spec: {
                    podSelector: {},
                    policyTypes: ["Egress"],
                    egress: [{
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": eg.namespace } }, podSelector: { matchLabels: { ...eg.podLabels } } }],
                        ports: [{ protocol: "TCP", port: eg.port }],
                    }],
                },
            }, deps);
        }
        new k8s.networking.v1.NetworkPolicy(`${name}-allow-gateway`, {
            metadata: meta("allow-from-gateway"),
            spec: {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.gatewayNamespace } } }],
                    ports: args.ports.map((port) => ({ protocol: "TCP", port })),
                }],
            },
        }, deps);
        const quota = args.quota ?? { cpu: "4", memory: "8Gi", pods: 20 };
        new k8s.core.v1.ResourceQuota(`${name}-quota`, {
            metadata: meta("mcp-quota"),
            spec: { hard: { "requests.cpu": quota.cpu, "limits.cpu": quota.cpu, "requests.memory": quota.memory, "limits.memory": quota.memory, pods: String(quota.pods) } },
        }, deps);
        new k8s.core.v1.LimitRange(`${name}-limits`, {
            metadata: meta("mcp-limits"),
            spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "512Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" }, max: { cpu: "2", memory: "4Gi" } }] },
        }, deps);
        this.registerOutputs({ name: this.name });
    }
}
