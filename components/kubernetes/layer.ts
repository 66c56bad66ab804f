import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import type { ApprovalSettings } from "../mcp/approval";
import { approvedManifest } from "../mcp/server";
import { ResolvedMcpServerSpec, serverUrl } from "../mcp/spec";
import { ExternalSecretsOperator, ServerSecrets } from "./externalSecrets";
import { EGRESS_PORT, egressServersOf, McpEgress } from "./egress";
import { McpMeshPolicy, MeshInstall } from "./mesh";
import {
    EGRESS_GATEWAY_NAMESPACE, EGRESS_GATEWAY_SELECTOR, GATEWAY_NAMESPACE, INGRESS_GATEWAY_HTTPS_PORT, INGRESS_GATEWAY_SELECTOR,
    secretStoreServiceAccount, serverNamespace,
} from "./names";
import { McpNamespace } from "./namespace";
import { McpWorkload, podLimits } from "./workload";

/** The guard settings of the layer (from `mcpsec:guard` and `mcpsec:kubernetes.clientIds`). */
export interface McpLayerGuardArgs {
    /** Guard image pinned by digest. */
    image: string;
    port: number;
    dlpMode: "redact" | "block" | "log";
    piiClasses: string[];
    /** OAuth client ids that may call the servers. */
    clientIds: string[];
    /** The stack's approval settings (`mcpsec:approvals`): reviewer keys every guard checks its manifest against. */
    approvals?: ApprovalSettings;
}

/** Default quota of an MCP namespace; raised to what the server's pods need during a rolling update. */
const BASE_QUOTA = { cpuMillis: 4000, memoryMi: 8192, pods: 20 };

export interface McpClusterLayerArgs {
    servers: ResolvedMcpServerSpec[];
    /** Servers are served at https://<server>.<domainName>. */
    domainName: string;
    /** Kubernetes TLS secret (in istio-ingress) with the certificate for *.<domainName>. */
    tlsSecretName: string;
    /** The OAuth issuer whose tokens the servers accept, and its JWKS URI. */
    oauthIssuer: string;
    jwksUri: string;
    /**
     * AWS region and, per server name, the IAM role (IRSA) of that server's secret store (needed when a server has
     * secrets). One role per server, never a shared one: each role's trust admits only the server's own namespace and
     * service account (`serverNamespace`, `secretStoreServiceAccount` of ./names).
     */
    secrets?: { region: string; roleArns: Record<string, pulumi.Input<string>> };
    /** Install Istio and the External Secrets Operator (false when the cluster has them). Default true. */
    installAddons?: boolean;
    /**
     * The MCP guard every server runs behind (the second container of its pod, the only thing its Service reaches).
     * Required unless `allowUnguarded` is true.
     */
    guard?: McpLayerGuardArgs;
    /** Opt-out (`mcpsec:guard.allowUnguarded`): deploy servers without the guard; the kubernetes pack reports each. */
    allowUnguarded?: boolean;
}

/**
 * The in-cluster hardening layer of pattern 3 (controls S1, S3, H1, H3, H5): Istio with mTLS STRICT and
 * REGISTRY_ONLY egress, an HTTPS ingress gateway on fixed NodePorts (names.ts) whose Gateway binds each server's host
 * to its namespace, an egress gateway through which each server reaches only its own declared hosts (McpEgress), and
 * per MCP server a restricted namespace with default-deny network policies and a quota sized for a rolling update, a
 * hardened workload with the MCP guard (which decides authentication: the mesh admits only the ingress gateway's
 * identity on the guard's port), the RFC 9728 metadata answered at the gateway, and secrets synced from AWS Secrets
 * Manager through a role of its own. Works on any cluster given a Kubernetes provider.
 */
export class McpClusterLayer extends pulumi.ComponentResource {
    constructor(name: string, args: McpClusterLayerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const needsSecrets = args.servers.filter((s) => Object.keys(s.secrets).length > 0);
        if (needsSecrets.length > 0 && !args.secrets) {
            throw new ConfigError(`McpClusterLayer "${name}".secrets`, `is required but missing: server ${needsSecrets[0].name} has secrets; expected the region and, per server, the IAM role of its secret store`);
        }
        const noRole = needsSecrets.find((s) => args.secrets!.roleArns[s.name] === undefined);
        if (noRole) {
            throw new ConfigError(`McpClusterLayer "${name}".secrets.roleArns.${noRole.name}`, `is required but missing: server ${noRole.name} has secrets; expected the ARN of an IAM role of its own (one role per server, trusted only by ${secretStoreServiceAccount(noRole.name)} in ${serverNamespace(noRole.name)}), never a role shared by servers`);
        }
        if (!args.guard && !args.allowUnguarded) {
            throw new ConfigError(`McpClusterLayer "${name}".guard`, "is required but missing; expected the guard image, port and client ids (mcpsec:guard.image, mcpsec:kubernetes.clientIds), or allowUnguarded: true (mcpsec:guard.allowUnguarded, reported as a violation)");
        }
        const byArn = new Map<string, string>();
        for (const [server, arn] of Object.entries(args.secrets?.roleArns ?? {})) {
            if (typeof arn !== "string") continue;
            const other = byArn.get(arn);
            if (other !== undefined) {
                throw new ConfigError(`McpClusterLayer "${name}".secrets.roleArns.${server}`, `is ${arn}, the role of server ${other} too; expected a role of its own per server (a shared role lets one server's store read every server's secrets)`);
            }
            byArn.set(arn, server);
        }
        super("mcpsec:kubernetes:McpClusterLayer", name, {}, opts);
        const parent = { parent: this };
        const addons: pulumi.Resource[] = [];
        if (args.installAddons ?? true) {
            addons.push(new MeshInstall(`${name}-mesh`, {}, parent));
            addons.push(new ExternalSecretsOperator(`${name}-eso`, {}, parent));
        }
        const gatewayName = "mcp-gateway";
        // One HTTPS server; each host is bound to its server's namespace ("mcp-x/x.<domain>"), so a VirtualService in
        // another namespace cannot claim it. Plain HTTP is not served: the load balancer in front redirects.
        // The ALB opens TLS to its targets without SNI. Istio turns a server's hosts into the filter chain's
        // server_names unless one of them is "*" (then the chain matches any SNI, none included), so the server also
        // lists "*" bound to the gateway's own namespace, where no VirtualService is: TLS is accepted without SNI and
        // the request is routed by its Host header to the VirtualService of the namespace that host is bound to.
        new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: "networking.istio.io/v1beta1",
            kind: "Gateway",
            metadata: { name: gatewayName, namespace: GATEWAY_NAMESPACE },
            spec: {
                selector: { ...INGRESS_GATEWAY_SELECTOR },
                servers: [{
                    port: { number: INGRESS_GATEWAY_HTTPS_PORT, name: "https", protocol: "HTTPS" },
                    hosts: [...args.servers.map((s) => `${serverNamespace(s.name)}/${s.name}.${args.domainName}`), `${GATEWAY_NAMESPACE}/*`],
                    tls: { mode: "SIMPLE", credentialName: args.tlsSecretName, minProtocolVersion: "TLSV1_2" },
                }],
            },
        }, { parent: this, dependsOn: addons });
        const egress = egressServersOf(args.servers, args.guard ? args.jwksUri : undefined);
        new McpEgress(`${name}-egress`, { servers: egress }, { parent: this, dependsOn: addons });
        for (const server of args.servers) {
            const g = args.guard;
            // The quota admits every pod of the server during a rolling update (replicas + the surge pod), with the
            // guard and the mesh sidecar counted, and never less than the default.
            const pod = podLimits(server, g !== undefined);
            const pods = server.desiredCount + 1;
            const quota = {
                cpu: `${Math.max(BASE_QUOTA.cpuMillis, pod.cpuMillis * pods)}m`,
                memory: `${Math.max(BASE_QUOTA.memoryMi, pod.memoryMi * pods)}Mi`,
                pods: Math.max(BASE_QUOTA.pods, pods),
            };
            const hasWayOut = egress.find((e) => e.name === server.name)!.hosts.length > 0;
            const ns = new McpNamespace(`${name}-${server.name}`, {
                name: serverNamespace(server.name), gatewayNamespace: GATEWAY_NAMESPACE, ports: [g ? g.port : server.port], quota,
                egressGateway: hasWayOut ? { namespace: EGRESS_GATEWAY_NAMESPACE, podLabels: { ...EGRESS_GATEWAY_SELECTOR }, port: EGRESS_PORT } : undefined,
            }, { parent: this, dependsOn: addons });
            let secretName: string | undefined;
            if (Object.keys(server.secrets).length > 0) {
                secretName = new ServerSecrets(`${name}-${server.name}`, { server, namespace: ns.name, region: args.secrets!.region, roleArn: args.secrets!.roleArns[server.name] }, { parent: this, dependsOn: [ns] }).secretName;
            }
            const url = serverUrl(server, args.domainName);
            const manifestText = approvedManifest(server, url);
            const manifest = new k8s.core.v1.ConfigMap(`${name}-${server.name}-manifest`, {
                metadata: { name: "mcp-tools-manifest", namespace: ns.name, labels: { app: server.name } },
                immutable: false,
                data: { "manifest.json": manifestText },
            }, { parent: this, dependsOn: [ns] });
            const workload = new McpWorkload(`${name}-${server.name}`, {
                server, namespace: ns.name, secretName,
                guard: g && {
                    image: g.image, port: g.port, dlpMode: g.dlpMode, piiClasses: g.piiClasses, clientIds: g.clientIds,
                    resource: url, issuer: args.oauthIssuer, jwksUri: args.jwksUri,
                    manifestConfigMap: manifest.metadata.name, manifest: manifestText, approvals: g.approvals,
                },
            }, { parent: this, dependsOn: [ns, manifest] });
            new McpMeshPolicy(`${name}-${server.name}`, {
                server, namespace: ns.name, host: `${server.name}.${args.domainName}`, resource: url, gatewayName,
                issuer: args.oauthIssuer, jwksUri: args.jwksUri,
                scopes: [...new Set(server.tools.flatMap((t) => t.scopes))].map((sc) => `${url}/${sc}`),
                port: workload.servicePort,
                guarded: g !== undefined,
            }, { parent: this, dependsOn: [ns] });
        }
        this.registerOutputs({});
    }
}
