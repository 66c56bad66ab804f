import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedMcpServerSpec } from "../mcp/spec";
import { GATEWAY_NAMESPACE } from "./names";

/** Istio release the layer installs (official Helm charts). */
export const ISTIO_VERSION = "1.27.0";
export const ISTIO_CHARTS = "https://istio-release.storage.googleapis.com/charts";
export { GATEWAY_NAMESPACE } from "./names";

export interface MeshInstallArgs {
    version?: string;
}

/**
 * Istio from its official Helm charts at a pinned version (controls S1, H5): base CRDs, the CNI node agent (so that
 * workload pods need no privileged init container and pass the restricted profile), istiod with outbound traffic
 * limited to registered services (REGISTRY_ONLY) and access logs on, and an ingress gateway; mesh-wide mutual TLS
 * STRICT.
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
            metadata: { name: GATEWAY_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted", "istio-injection": "enabled" } },
        }, parent);
        const release = (suffix: string, chart: string, namespace: string, values: Record<string, unknown>, dependsOn: pulumi.Resource[]) =>
            new k8s.helm.v3.Release(`${name}-${suffix}`, {
                name: suffix === "gateway" ? "istio-ingressgateway" : `istio-${suffix}`,
                chart, version, namespace,
                repositoryOpts: { repo: ISTIO_CHARTS },
                values,
                atomic: true,
                cleanupOnFail: true,
            }, { parent: this, dependsOn });
        const base = release("base", "base", "istio-system", { defaultRevision: "default" }, [system]);
        const cni = release("cni", "cni", "istio-system", { cni: { excludeNamespaces: ["istio-system", "kube-system"] } }, [base]);
        const istiod = release("istiod", "istiod", "istio-system", {
            pilot: { cni: { enabled: true } },
            meshConfig: { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" }, accessLogFile: "/dev/stdout", accessLogEncoding: "JSON" },
        }, [base, cni]);
        release("gateway", "gateway", GATEWAY_NAMESPACE, { service: { type: "LoadBalancer" } }, [istiod, gatewayNs]);
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
    /** The OAuth issuer whose tokens the server accepts, and its JWKS. */
    issuer: string;
    jwksUri: string;
    /** Scopes that admit a request (full scope strings, as they appear in the token's `scope` claim). */
    scopes: string[];
    gatewayName: string;
    /** The Service port the gateway routes to (the guard's when guarded). Default the server's port. */
    port?: number;
    /**
     * True when the MCP guard runs in the pod: the validated token is then kept on the request for the guard, which
     * verifies it again, checks the scope per tool and never passes it to the server; the guard fetches the JWKS
     * itself, so its host gets a ServiceEntry (outbound traffic is REGISTRY_ONLY).
     */
    guarded?: boolean;
}

/**
 * The mesh rules of one MCP server (controls S1, S5, C1, C3, H5): tokens validated against the issuer's JWKS, an
 * AuthorizationPolicy that admits only requests with a valid token (a request principal) carrying one of the
 * server's scopes, ServiceEntries for the server's declared egress domains (the mesh refuses every other
 * destination), and the route from the ingress gateway.
 */
export class McpMeshPolicy extends pulumi.ComponentResource {
    constructor(name: string, args: McpMeshPolicyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:McpMeshPolicy", name, {}, opts);
        const parent = { parent: this };
        const s = args.server;
        const selector = { matchLabels: { app: s.name } };
        const cr = (suffix: string, apiVersion: string, kind: string, metadataName: string, spec: Record<string, unknown>) =>
            new k8s.apiextensions.CustomResource(`${name}-${suffix}`, { apiVersion, kind, metadata: { name: metadataName, namespace: args.namespace }, spec }, parent);
        cr("jwt", "security.istio.io/v1", "RequestAuthentication", `${s.name}-jwt`, {
            selector,
            jwtRules: [{ issuer: args.issuer, jwksUri: args.jwksUri, forwardOriginalToken: args.guarded ?? false }],
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
        s.egress.forEach((domain, i) => cr(`egress-${i}`, "networking.istio.io/v1beta1", "ServiceEntry", `${s.name}-egress-${i}`, {
            hosts: [domain],
            location: "MESH_EXTERNAL",
            resolution: domain.startsWith("*.") ? "NONE" : "DNS",
            ports: [{ number: 443, name: "tls", protocol: "TLS" }],
            exportTo: ["."],
        }));
        if (args.guarded) {
            const jwks = new URL(args.jwksUri);
            cr("jwks", "networking.istio.io/v1beta1", "ServiceEntry", `${s.name}-guard-jwks`, {
                hosts: [jwks.hostname],
                location: "MESH_EXTERNAL",
                resolution: "DNS",
                ports: [{ number: Number(jwks.port || 443), name: "tls", protocol: "TLS" }],
                exportTo: ["."],
            });
        }
        cr("route", "networking.istio.io/v1beta1", "VirtualService", s.name, {
            hosts: [args.host],
            gateways: [`${GATEWAY_NAMESPACE}/${args.gatewayName}`],
            http: [{ route: [{ destination: { host: s.name, port: { number: args.port ?? s.port } } }] }],
        });
        this.registerOutputs({});
    }
}
