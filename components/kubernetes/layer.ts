import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { approvedManifest } from "../mcp/server";
import { ResolvedMcpServerSpec, serverUrl } from "../mcp/spec";
import { ExternalSecretsOperator, ServerSecrets } from "./externalSecrets";
import { GATEWAY_NAMESPACE, McpMeshPolicy, MeshInstall } from "./mesh";
import { McpNamespace } from "./namespace";
import { McpWorkload } from "./workload";

export interface McpClusterLayerArgs {
    servers: ResolvedMcpServerSpec[];
    /** Servers are served at https://<server>.<domainName>. */
    domainName: string;
    /** Kubernetes TLS secret (in istio-ingress) with the certificate for *.<domainName>. */
    tlsSecretName: string;
    /** The OAuth issuer whose tokens the servers accept, and its JWKS URI. */
    oauthIssuer: string;
    jwksUri: string;
    /** AWS region and IRSA role of the secret stores (needed when a server has secrets). */
    secrets?: { region: string; roleArn: string };
    /** Install Istio and the External Secrets Operator (false when the cluster has them). Default true. */
    installAddons?: boolean;
}

/**
 * The in-cluster hardening layer of pattern 3 (controls S1, S3, H1, H3, H5): Istio with mTLS STRICT and
 * REGISTRY_ONLY egress, an HTTPS ingress gateway, and per MCP server a restricted namespace with default-deny
 * network policies, a hardened workload, JWT validation and scope-based authorization, egress ServiceEntries, and
 * secrets synced from AWS Secrets Manager. Works on any cluster given a Kubernetes provider.
 */
export class McpClusterLayer extends pulumi.ComponentResource {
    constructor(name: string, args: McpClusterLayerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const needsSecrets = args.servers.find((s) => Object.keys(s.secrets).length > 0);
        if (needsSecrets && !args.secrets) {
            throw new ConfigError(`McpClusterLayer "${name}".secrets`, `is required but missing: server ${needsSecrets.name} has secrets; expected the region and IRSA role of the secret stores`);
        }
        super("mcpsec:kubernetes:McpClusterLayer", name, {}, opts);
        const parent = { parent: this };
        const addons: pulumi.Resource[] = [];
        if (args.installAddons ?? true) {
            addons.push(new MeshInstall(`${name}-mesh`, {}, parent));
            addons.push(new ExternalSecretsOperator(`${name}-eso`, {}, parent));
        }
        const gatewayName = "mcp-gateway";
        new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: "networking.istio.io/v1beta1",
            kind: "Gateway",
            metadata: { name: gatewayName, namespace: GATEWAY_NAMESPACE },
            spec: {
                selector: { istio: "ingressgateway" },
                servers: [
                    { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: [`*.${args.domainName}`], tls: { mode: "SIMPLE", credentialName: args.tlsSecretName, minProtocolVersion: "TLSV1_2" } },
                    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [`*.${args.domainName}`], tls: { httpsRedirect: true } },
                ],
            },
        }, { parent: this, dependsOn: addons });
        for (const server of args.servers) {
            const ns = new McpNamespace(`${name}-${server.name}`, { name: `mcp-${server.name}`, gatewayNamespace: GATEWAY_NAMESPACE, ports: [server.port] }, { parent: this, dependsOn: addons });
            let secretName: string | undefined;
            if (Object.keys(server.secrets).length > 0) {
                secretName = new ServerSecrets(`${name}-${server.name}`, { server, namespace: ns.name, ...args.secrets! }, { parent: this, dependsOn: [ns] }).secretName;
            }
            const url = serverUrl(server, args.domainName);
            new McpWorkload(`${name}-${server.name}`, { server, namespace: ns.name, secretName }, { parent: this, dependsOn: [ns] });
            new k8s.core.v1.ConfigMap(`${name}-${server.name}-manifest`, {
                metadata: { name: "mcp-tools-manifest", namespace: ns.name, labels: { app: server.name } },
                immutable: false,
                data: { "manifest.json": approvedManifest(server, url) },
            }, { parent: this, dependsOn: [ns] });
            new McpMeshPolicy(`${name}-${server.name}`, {
                server, namespace: ns.name, host: `${server.name}.${args.domainName}`, gatewayName,
                issuer: args.oauthIssuer, jwksUri: args.jwksUri,
                scopes: [...new Set(server.tools.flatMap((t) => t.scopes))].map((sc) => `${url}/${sc}`),
            }, { parent: this, dependsOn: [ns] });
        }
        this.registerOutputs({});
    }
}
