import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { metadataUrl, protectedResourceMetadata } from "../identity/protectedResource";
import { ResolvedMcpServerSpec } from "../mcp/spec";
import {
    EGRESS_GATEWAY_NAMESPACE, EGRESS_GATEWAY_SERVICE, GATEWAY_NAMESPACE, INGRESS_GATEWAY_HTTPS_NODE_PORT, INGRESS_GATEWAY_HTTPS_PORT,
    INGRESS_GATEWAY_PRINCIPAL, INGRESS_GATEWAY_SERVICE, INGRESS_GATEWAY_STATUS_NODE_PORT,
} from "./names";

/** Istio release the layer installs (official Helm charts). */
export const ISTIO_VERSION = "1.27.0";
export const ISTIO_CHARTS = "https://istio-release.storage.googleapis.com/charts";
export { GATEWAY_NAMESPACE } from "./names";

export interface MeshInstallArgs {
    version?: string;
}

/** Pod Security Admission labels that enforce, audit and warn on the restricted profile. */
export const RESTRICTED_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest",
} as const;

/** The uid/gid the Istio proxy image runs as. */
const PROXY_UID = 1337;

/**
 * Values of Istio's `gateway` chart that make a gateway pod meet the restricted profile. The chart's defaults set only
 * the `net.ipv4.ip_unprivileged_port_start` sysctl on the pod (to bind 80/443 without NET_BIND_SERVICE; a sysctl the
 * baseline and restricted profiles allow) and leave seccomp unset, which restricted refuses; the chart lets both
 * security contexts be replaced whole, and its injection template (`gateway`) adds no init container, no capability
 * and only emptyDir, downwardAPI, projected and configMap volumes. Gateways are injected pods: the sidecar resources
 * are set like any workload's, so the namespace quota can count them.
 */
export function restrictedGatewayValues(): Record<string, unknown> {
    return {
        securityContext: {
            runAsNonRoot: true, runAsUser: PROXY_UID, runAsGroup: PROXY_UID, fsGroup: PROXY_UID,
            seccompProfile: { type: "RuntimeDefault" },
            sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
        },
        containerSecurityContext: {
            allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
            runAsUser: PROXY_UID, runAsGroup: PROXY_UID, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
        },
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1000m", memory: "512Mi" } },
        autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 },
        podDisruptionBudget: { minAvailable: 1 },
    };
}

/**
 * Istio from its official Helm charts at a pinned version (controls S1, H5): base CRDs, the CNI node agent (so that
 * workload pods need no privileged init container and pass the restricted profile), istiod with outbound traffic
 * limited to registered services (REGISTRY_ONLY) and access logs on, an ingress gateway and an egress gateway (each
 * in its own namespace that enforces the restricted profile); mesh-wide mutual TLS STRICT.
 *
 * The ingress gateway's Service is a NodePort with fixed ports (`INGRESS_GATEWAY_HTTPS_NODE_PORT`, status
 * `INGRESS_GATEWAY_STATUS_NODE_PORT`), never a LoadBalancer: the internal load balancer with the WAF in front of it is
 * the cluster's (the EKS side), and the kubernetes pack refuses any LoadBalancer Service or gateway release
 * (kubernetes-no-load-balancer-service). The egress gateway's
 * Service is ClusterIP: only the MCP namespaces reach it, and it reaches only the declared hosts (McpEgress).
 */
export class MeshInstall extends pulumi.ComponentResource {
    constructor(name: string, args: MeshInstallArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:MeshInstall", name, {}, opts);
        const version = args.version ?? ISTIO_VERSION;
        const parent = { parent: this };
        // The control plane and the CNI agent need host access: their namespaces are privileged by design, and no MCP
        // workload runs there.
        const system = new k8s.core.v1.Namespace(`${name}-istio-system`, {
            metadata: { name: "istio-system", labels: { "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/warn": "baseline" } },
        }, parent);
        const gatewayNs = new k8s.core.v1.Namespace(`${name}-istio-ingress`, {
            metadata: { name: GATEWAY_NAMESPACE, labels: { ...RESTRICTED_LABELS, "istio-injection": "enabled" } },
        }, parent);
        const egressNs = new k8s.core.v1.Namespace(`${name}-istio-egress`, {
            metadata: { name: EGRESS_GATEWAY_NAMESPACE, labels: { ...RESTRICTED_LABELS, "istio-injection": "enabled" } },
        }, parent);
        const release = (suffix: string, releaseName: string, chart: string, namespace: string, values: Record<string, unknown>, dependsOn: pulumi.Resource[]) =>
            new k8s.helm.v3.Release(`${name}-${suffix}`, {
                name: releaseName,
                chart, version, namespace,
                repositoryOpts: { repo: ISTIO_CHARTS },
                values,
                atomic: true,
                cleanupOnFail: true,
            }, { parent: this, dependsOn });
        const base = release("base", "istio-base", "base", "istio-system", { defaultRevision: "default" }, [system]);
        const cni = release("cni", "istio-cni", "cni", "istio-system", { cni: { excludeNamespaces: ["istio-system", "kube-system"] } }, [base]);
        const istiod = release("istiod", "istio-istiod", "istiod", "istio-system", {
            pilot: { cni: { enabled: true } },
            meshConfig: { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" }, accessLogFile: "/dev/stdout", accessLogEncoding: "JSON" },
        }, [base, cni]);
        release("gateway", INGRESS_GATEWAY_SERVICE, "gateway", GATEWAY_NAMESPACE, {
            ...restrictedGatewayValues(),
            service: {
                type: "NodePort",
                ports: [
                    { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021, nodePort: INGRESS_GATEWAY_STATUS_NODE_PORT },
                    { name: "https", port: INGRESS_GATEWAY_HTTPS_PORT, protocol: "TCP", targetPort: INGRESS_GATEWAY_HTTPS_PORT, nodePort: INGRESS_GATEWAY_HTTPS_NODE_PORT },
                ],
            },
        }, [istiod, gatewayNs]);
        release("egress-gateway", EGRESS_GATEWAY_SERVICE, "gateway", EGRESS_GATEWAY_NAMESPACE, {
            ...restrictedGatewayValues(),
            service: { type: "ClusterIP", ports: [{ name: "tls", port: 443, protocol: "TCP", targetPort: 443 }] },
        }, [istiod, egressNs]);
        new k8s.apiextensions.CustomResource(`${name}-mtls-strict`, {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "istio-system" },
            spec: { mtls: { mode: "STRICT" } },
        }, { parent: this, dependsOn: [istiod] });
        this.registerOutputs({});
    }
}

export interface McpMeshPolicyArgs {
    server: ResolvedMcpServerSpec;
    namespace: pulumi.Input<string>;
    /** The server's public host (`<server>.<domain>`). */
    host: string;
    /** The server's URL, its OAuth resource identifier (`https://<host><path>`). */
    resource: string;
    /** The OAuth issuer whose tokens the server accepts, and its JWKS. */
    issuer: string;
    jwksUri: string;
    /** Scopes that admit a request (full scope strings, as they appear in the token's `scope` claim). */
    scopes: string[];
    gatewayName: string;
    /** The Service port the gateway routes to (the guard's when guarded). Default the server's port. */
    port?: number;
    /**
     * True when the MCP guard runs in the pod. The guard then decides authentication: it answers a request without a
     * valid token with 401 and `WWW-Authenticate: Bearer resource_metadata="..."` (what an MCP client needs to start
     * OAuth) and a token without the tool's scope with 403 `insufficient_scope`, and it strips the token before the
     * server, passing the verified identity in `x-mcp-guard-*` headers. The mesh in front must not pre-empt it: no
     * RequestAuthentication (which would answer a bad token with its own 401 and no resource metadata) and an
     * AuthorizationPolicy that admits the ingress gateway's mTLS identity, on the guard's port and the MCP path only.
     */
    guarded?: boolean;
}

/**
 * The mesh rules of one MCP server (controls S1, S5, C1, C3, H5) and its route from the ingress gateway.
 *
 * Always: the VirtualService from the shared ingress Gateway (which binds this host to this namespace only), with the
 * RFC 9728 protected resource metadata (`/.well-known/oauth-protected-resource<path>`) answered at the gateway itself
 * (a direct response, no token needed, never reaching the pod), and every other path routed to the Service's port.
 *
 * Guarded (the default): an ALLOW AuthorizationPolicy that admits only the ingress gateway's principal (mTLS STRICT,
 * so the identity is proven) on the guard's port and the MCP path; the guard decides the token and the scope.
 * Unguarded (`mcpsec:guard.allowUnguarded`): Istio checks the token itself, a RequestAuthentication and an
 * AuthorizationPolicy that requires a token of the issuer with one of the server's scopes; a request without a token
 * then gets Istio's 403 (RBAC: access denied), not the 401 with the resource metadata an MCP client needs: an
 * AuthorizationPolicy cannot answer 401, one more reason the pack reports the unguarded shape.
 */
export class McpMeshPolicy extends pulumi.ComponentResource {
    constructor(name: string, args: McpMeshPolicyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:McpMeshPolicy", name, {}, opts);
        const parent = { parent: this };
        const s = args.server;
        const selector = { matchLabels: { app: s.name } };
        const port = args.port ?? s.port;
        const cr = (suffix: string, apiVersion: string, kind: string, metadataName: string, spec: Record<string, unknown>) =>
            new k8s.apiextensions.CustomResource(`${name}-${suffix}`, { apiVersion, kind, metadata: { name: metadataName, namespace: args.namespace }, spec }, parent);
        if (args.guarded) {
            cr("authz", "security.istio.io/v1", "AuthorizationPolicy", `${s.name}-from-ingress`, {
                selector,
                action: "ALLOW",
                rules: [{
                    from: [{ source: { principals: [INGRESS_GATEWAY_PRINCIPAL] } }],
                    to: [{ operation: { ports: [String(port)], paths: [s.path, `${s.path}/*`] } }],
                }],
            });
        } else {
            cr("jwt", "security.istio.io/v1", "RequestAuthentication", `${s.name}-jwt`, {
                selector,
                jwtRules: [{ issuer: args.issuer, jwksUri: args.jwksUri, forwardOriginalToken: false }],
            });
            cr("authz", "security.istio.io/v1", "AuthorizationPolicy", `${s.name}-require-token`, {
                selector,
                action: "ALLOW",
                rules: [{
                    from: [{ source: { requestPrincipals: [`${args.issuer}/*`] } }],
                    to: [{ operation: { paths: [s.path, `${s.path}/*`] } }],
                    when: [{ key: "request.auth.claims[scope]", values: args.scopes }],
                }],
            });
        }
        const metadata = protectedResourceMetadata(args.resource, args.issuer, args.scopes, s.name);
        cr("route", "networking.istio.io/v1beta1", "VirtualService", s.name, {
            hosts: [args.host],
            gateways: [`${GATEWAY_NAMESPACE}/${args.gatewayName}`],
            http: [
                {
                    name: "protected-resource-metadata",
                    match: [{ uri: { exact: new URL(metadataUrl(args.resource)).pathname }, method: { exact: "GET" } }],
                    directResponse: { status: 200, body: { string: JSON.stringify(metadata) } },
                    headers: { response: { set: { "content-type": "application/json", "cache-control": "max-age=300" } } },
                },
                { name: "mcp", route: [{ destination: { host: s.name, port: { number: port } } }] },
            ],
        });
        this.registerOutputs({});
    }
}
