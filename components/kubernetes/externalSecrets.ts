import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { secretArnOf } from "../compute/mcpService";
import { ResolvedMcpServerSpec } from "../mcp/spec";
import { secretStoreServiceAccount } from "./names";

/** External Secrets Operator release the layer installs. It serves the external-secrets.io/v1 API. */
export const ESO_VERSION = "0.17.0";

export interface ServerSecretsArgs {
    server: ResolvedMcpServerSpec;
    namespace: pulumi.Input<string>;
    region: string;
    /**
     * IAM role (IRSA) the store's service account assumes to read the server's secrets: this server's own role, whose
     * trust admits only this namespace's `<server>-secret-store` service account (never a role shared by servers).
     */
    roleArn: pulumi.Input<string>;
}

/**
 * A server's secrets through the External Secrets Operator (control S5): a namespaced SecretStore backed by AWS
 * Secrets Manager, authenticated by a service account bound to an IAM role (IRSA), and an ExternalSecret that syncs
 * exactly the server's secrets into one Kubernetes Secret. The program never holds secret values.
 */
export class ServerSecrets extends pulumi.ComponentResource {
    public readonly secretName: string;

    constructor(name: string, args: ServerSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:ServerSecrets", name, {}, opts);
        const parent = { parent: this };
        const s = args.server;
        this.secretName = `${s.name}-secrets`;
        const sa = new k8s.core.v1.ServiceAccount(`${name}-store-sa`, {
            metadata: { name: secretStoreServiceAccount(s.name), namespace: args.namespace, annotations: { "eks.amazonaws.com/role-arn": args.roleArn } },
            automountServiceAccountToken: false,
        }, parent);
        const store = new k8s.apiextensions.CustomResource(`${name}-store`, {
            apiVersion: "external-secrets.io/v1",
            kind: "SecretStore",
            metadata: { name: `${s.name}-aws`, namespace: args.namespace },
            spec: { provider: { aws: { service: "SecretsManager", region: args.region, auth: { jwt: { serviceAccountRef: { name: sa.metadata.name } } } } } },
        }, parent);
        new k8s.apiextensions.CustomResource(`${name}-external`, {
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: { name: this.secretName, namespace: args.namespace },
            spec: {
                refreshInterval: "1h",
                secretStoreRef: { name: `${s.name}-aws`, kind: "SecretStore" },
                target: { name: this.secretName, creationPolicy: "Owner" },
                data: Object.entries(s.secrets).sort(([a], [b]) => a.localeCompare(b)).map(([env, ref]) => {
                    const property = ref.split(":")[7];
                    return { secretKey: env, remoteRef: { key: secretArnOf(ref), ...(property ? { property } : {}) } };
                }),
            },
        }, { parent: this, dependsOn: [store] });
        this.registerOutputs({});
    }
}

/**
 * Environment of the operator's controller (chart value `extraEnv`). ESO 0.17.0's AWS provider authenticates with
 * aws-sdk-go v1, which sends AssumeRoleWithWebIdentity to the global endpoint sts.amazonaws.com in the Regions that
 * SDK lists as legacy (us-east-1, eu-west-1 and most others) unless AWS_STS_REGIONAL_ENDPOINTS is `regional`. The
 * zone's DNS firewall admits only the Region's own STS endpoint (sts.<region>.amazonaws.com, served by the VPC
 * endpoint), so without it no secret ever syncs. The EKS pod identity webhook injects this variable only into pods of
 * a service account with a role annotation, which the operator's own is not (it uses each store's account's token).
 */
export const ESO_CONTROLLER_ENV = [{ name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" }] as const;

/** The External Secrets Operator itself, from its official chart at a pinned version. */
export class ExternalSecretsOperator extends pulumi.ComponentResource {
    constructor(name: string, args: { version?: string } = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:ExternalSecretsOperator", name, {}, opts);
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: "external-secrets", labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" } },
        }, { parent: this });
        new k8s.helm.v3.Release(`${name}-release`, {
            name: "external-secrets", chart: "external-secrets", version: args.version ?? ESO_VERSION, namespace: "external-secrets",
            repositoryOpts: { repo: "https://charts.external-secrets.io" },
            values: { installCRDs: true, extraEnv: ESO_CONTROLLER_ENV.map((e) => ({ ...e })) },
            atomic: true,
        }, { parent: this, dependsOn: [ns] });
        this.registerOutputs({});
    }
}
