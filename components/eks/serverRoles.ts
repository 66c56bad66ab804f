import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";
import { secretArnOf } from "../compute/mcpService";
import { IRSA_ROLE_PATH } from "../network/endpointPolicies";
import { secretStoreServiceAccount, serverNamespace } from "../kubernetes/names";
import { ResolvedMcpServerSpec } from "../mcp/spec";

export interface ServerSecretRolesArgs {
    /** The servers; one role is made for each server that has secrets. */
    servers: ResolvedMcpServerSpec[];
    /** The cluster's IAM OIDC provider and issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/<id>`). */
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** Keys the secrets are encrypted with (kms:Decrypt through Secrets Manager only). Default none (aws/secretsmanager). */
    secretsKmsKeyArns?: pulumi.Input<string>[];
    tags?: Record<string, string>;
}

/** The IRSA trust condition of a role assumable by one service account only, audience STS. Pure. */
export function irsaTrust(issuerHost: string, namespace: string, serviceAccount: string): Record<string, Record<string, string>> {
    return {
        StringEquals: {
            [`${issuerHost}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${issuerHost}:aud`]: "sts.amazonaws.com",
        },
    };
}

/** The trust condition of a server's role: only `<server>-secret-store` in `mcp-<server>`, audience STS. Pure. */
export function serviceAccountTrust(issuerHost: string, serverName: string): Record<string, Record<string, string>> {
    return irsaTrust(issuerHost, serverNamespace(serverName), secretStoreServiceAccount(serverName));
}

/**
 * One IAM role per MCP server that has secrets (control S5): assumable (IRSA) only by that server's secret-store
 * service account in that server's namespace, allowed to read exactly that server's secrets. No role is shared, so a
 * compromised namespace reads its own secrets and no other server's.
 */
export class ServerSecretRoles extends pulumi.ComponentResource {
    /** Server name -> role ARN, for the layer's `secrets.roleArns`. */
    public readonly roleArns: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: ServerSecretRolesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:eks:ServerSecretRoles", name, {}, opts);
        const parent = { parent: this };
        const region = aws.getRegionOutput({}, parent).region;
        const issuerHost = pulumi.output(args.oidcIssuerUrl).apply((u) => u.replace(/^https:\/\//, ""));
        for (const server of args.servers) {
            const refs = Object.values(server.secrets);
            if (refs.length === 0) {
                continue;
            }
            const role = new aws.iam.Role(`${name}-${server.name}`, {
                // The zone's sts endpoint admits web-identity assumption of roles under this path only.
                path: IRSA_ROLE_PATH,
                description: `Secret store of MCP server ${server.name} (IRSA: ${serverNamespace(server.name)}/${secretStoreServiceAccount(server.name)} only)`,
                assumeRolePolicy: issuerHost.apply((host) => policyJson({
                    Effect: "Allow", Principal: { Federated: args.oidcProviderArn }, Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: serviceAccountTrust(host, server.name),
                })),
                tags: { ...componentTags("eks", `${name}-${server.name}`, args.tags), "mcpsec:server": server.name },
            }, parent);
            const statements = [
                { Sid: "ReadOwnSecrets", Effect: "Allow" as const, Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: [...new Set(refs.map(secretArnOf))].sort() },
                ...((args.secretsKmsKeyArns ?? []).length > 0 ? [{
                    Sid: "DecryptOwnSecrets", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: args.secretsKmsKeyArns!,
                    Condition: { StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${region}.amazonaws.com` } },
                }] : []),
            ];
            new aws.iam.RolePolicy(`${name}-${server.name}`, { role: role.id, policy: policyJson(...statements) }, parent);
            this.roleArns[server.name] = role.arn;
        }
        this.registerOutputs({ roleArns: this.roleArns });
    }
}
