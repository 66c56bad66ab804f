import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { BlueprintConfig, KubernetesConfig } from "../config";
import { McpClusterLayer } from "../kubernetes";
import { McpServer, serverUrl } from "../mcp";
import { buildEksZone, EksZone } from "./eksZone";

/** What the pattern needs beyond the schema. Throws a ConfigError naming the key. Pure. */
export function checkMicroservicesConfig(config: BlueprintConfig): KubernetesConfig {
    if (!config.kubernetes) {
        throw new ConfigError("mcpsec:kubernetes", "is required but missing for the microservices pattern; expected domainName, tlsSecretName, oauthIssuer and clientIds");
    }
    if (config.guard.image !== undefined && (config.kubernetes.clientIds ?? []).length === 0) {
        throw new ConfigError("mcpsec:kubernetes.clientIds", "is required but missing with the guard (mcpsec:guard.image); expected the OAuth client ids whose tokens the servers accept, e.g. [agent-client-id]");
    }
    if (config.kubernetes.secretsRoleArn !== undefined) {
        throw new ConfigError("mcpsec:kubernetes.secretsRoleArn", `is ${config.kubernetes.secretsRoleArn}, one role for every server's secret store, which would let each server's store read every server's secrets; expected mcpsec:kubernetes.secretsRoleArns, a map from server name to a role of its own, e.g. { my-server: arn:aws:iam::<account>:role/<role> }`);
    }
    const roles = config.kubernetes.secretsRoleArns;
    if (roles !== undefined) {
        const names = config.servers.map((s) => s.name);
        const stray = Object.keys(roles).find((n) => !names.includes(n));
        if (stray !== undefined) {
            throw new ConfigError(`mcpsec:kubernetes.secretsRoleArns.${stray}`, `names no server of mcpsec:servers; expected one of ${names.join(", ")}`);
        }
    }
    if (config.kubernetes.cluster === "eks" && roles !== undefined) {
        throw new ConfigError("mcpsec:kubernetes.secretsRoleArns", "is not allowed with mcpsec:kubernetes.cluster: eks; the stack makes one IRSA role per server itself (trusted only by that server's secret-store service account); remove the key");
    }
    if (config.kubernetes.cluster !== "eks" && config.eks !== undefined) {
        throw new ConfigError("mcpsec:eks", "is not allowed without mcpsec:kubernetes.cluster: eks; set cluster: eks to create the cluster, or remove mcpsec:eks to lay the layer on an existing cluster");
    }
    return config.kubernetes;
}

/**
 * Pattern 3, containerized microservices (P3), on an existing Kubernetes cluster reached through the stack's
 * Kubernetes provider (kubeconfig): the in-cluster hardening layer, with the MCP guard in every server's pod
 * (`mcpsec:guard`; `allowUnguarded` deploys without it and is reported). Creating the EKS cluster itself is not part of
 * this version.
 */
export class Microservices extends pulumi.ComponentResource {
    public readonly serverUrls: Record<string, string>;
    /** The EKS zone, with `mcpsec:kubernetes.cluster: eks`. */
    public readonly zone?: EksZone;

    constructor(name: string, args: { config: BlueprintConfig }, opts: pulumi.ComponentResourceOptions = {}) {
        const k = checkMicroservicesConfig(args.config);
        super("mcpsec:patterns:Microservices", name, {}, opts);
        // cluster: eks builds the zone and the cluster and lays the layer through a provider made from its outputs.
        const zone = k.cluster === "eks" ? buildEksZone(this, name, args.config, k) : undefined;
        this.zone = zone;
        const secretRoles = zone ? zone.secretRoleArns : k.secretsRoleArns;
        new McpClusterLayer(`${name}-layer`, {
            servers: args.config.servers,
            domainName: k.domainName,
            tlsSecretName: k.tlsSecretName,
            oauthIssuer: k.oauthIssuer,
            jwksUri: k.jwksUri ?? `${k.oauthIssuer.replace(/\/$/, "")}/.well-known/jwks.json`,
            secrets: secretRoles ? { region: args.config.region, roleArns: secretRoles } : undefined,
            installAddons: k.installAddons,
            guard: args.config.guard.image !== undefined
                ? { image: args.config.guard.image, port: args.config.guard.port, dlpMode: args.config.guard.dlpMode, piiClasses: args.config.guard.piiClasses, clientIds: k.clientIds ?? [], approvals: args.config.approvals }
                : undefined,
            allowUnguarded: args.config.guard.allowUnguarded,
        }, { parent: this, ...(zone ? { providers: { kubernetes: zone.provider } } : {}) });
        this.serverUrls = Object.fromEntries(args.config.servers.map((s) => [s.name, serverUrl(s, k.domainName)]));
        for (const spec of args.config.servers) {
            new McpServer(`${name}-${spec.name}`, { spec, url: this.serverUrls[spec.name], approvals: args.config.approvals }, { parent: this });
        }
        this.registerOutputs({ serverUrls: this.serverUrls });
    }
}
