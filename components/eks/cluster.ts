import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";
import { PUBLIC_ENDPOINT_MIN_PREFIX, publicEndpointBlockProblem } from "./endpoint";

/**
 * Kubernetes versions in Amazon EKS standard support when this version was written (Amazon EKS user guide,
 * "Understand the Kubernetes version lifecycle on EKS": 14 months of standard support after release; 1.34 until
 * 2 December 2026, 1.35 until 27 March 2027). Extended support costs more per cluster hour and is refused here.
 */
export const EKS_VERSIONS = ["1.34", "1.35", "1.36"] as const;
export type EksVersion = (typeof EKS_VERSIONS)[number];
export const DEFAULT_EKS_VERSION: EksVersion = "1.35";

/** Every control-plane log type EKS can send to CloudWatch Logs. */
export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** The managed policy of the Amazon EKS cluster role (Amazon EKS user guide, "Amazon EKS cluster IAM role"). */
const CLUSTER_POLICY = "AmazonEKSClusterPolicy";
/** The EKS access policy that grants cluster-wide admin through an access entry. */
const ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy";

export interface EksClusterArgs {
    /** Kubernetes minor version, one of {@link EKS_VERSIONS}. Default {@link DEFAULT_EKS_VERSION}. */
    version?: string;
    vpcId: pulumi.Input<string>;
    /** Private subnets (at least two zones) for the control plane's network interfaces. */
    subnetIds: pulumi.Input<string>[];
    /** The zone's block: the cluster security group admits HTTPS to the API only from it (and the allowlist below). */
    vpcCidrBlock: string;
    /** The zone key: envelope encryption of Kubernetes secrets, and the control-plane log group. */
    kmsKeyArn: pulumi.Input<string>;
    /** IAM role (ARN) that gets cluster admin through an access entry: who runs kubectl and `pulumi up` for the layer. */
    adminRoleArn: pulumi.Input<string>;
    /**
     * Networks outside the zone that may reach the private API endpoint (the operators' VPN). Default none: only
     * the zone itself.
     */
    apiAllowedCidrs?: string[];
    /**
     * Opt-out: a public API endpoint too, reachable only from these blocks (never 0.0.0.0/0). Default none: the
     * endpoint is private only. Reported by aws-eks-cluster-endpoint-private.
     */
    publicEndpointCidrs?: string[];
    /** Days the control-plane log group keeps records. Default 365. */
    logRetentionDays?: number;
    tags?: Record<string, string>;
}

/** Checks the arguments that can be checked before deployment; throws a ConfigError naming the key. Pure. */
export function checkEksClusterArgs(name: string, args: Pick<EksClusterArgs, "version" | "publicEndpointCidrs">): EksVersion {
    const version = args.version ?? DEFAULT_EKS_VERSION;
    if (!(EKS_VERSIONS as readonly string[]).includes(version)) {
        throw new ConfigError(`EksCluster "${name}".version`, `${JSON.stringify(version)} is not allowed; expected a version in Amazon EKS standard support: ${EKS_VERSIONS.join(", ")}`);
    }
    for (const c of args.publicEndpointCidrs ?? []) {
        const problem = publicEndpointBlockProblem(c);
        if (problem !== undefined) {
            throw new ConfigError(`EksCluster "${name}".publicEndpointCidrs`, `${JSON.stringify(c)} is not allowed (${problem}); a public API endpoint must be limited to the operators' networks, never the whole internet: blocks of /${PUBLIC_ENDPOINT_MIN_PREFIX} or narrower`);
        }
    }
    return version as EksVersion;
}

/**
 * An Amazon EKS cluster for MCP servers (controls S1, S5, O1, H1): private API endpoint only (a public one only by
 * opt-out, limited to listed networks), Kubernetes secrets envelope-encrypted with the zone key, all five
 * control-plane log types to a KMS-encrypted log group with retention, authentication through access entries only
 * (no aws-auth ConfigMap, the creator gets no implicit admin; one access entry for the admin role), the IAM OIDC
 * provider for per-server IRSA roles, and no self-managed default add-ons (the managed ones are added by
 * {@link EksNodes}).
 */
export class EksCluster extends pulumi.ComponentResource {
    public readonly name: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    public readonly endpoint: pulumi.Output<string>;
    public readonly certificateAuthority: pulumi.Output<string>;
    public readonly version: EksVersion;
    /** The security group EKS creates for the control plane and nodes (members reach each other). */
    public readonly clusterSecurityGroupId: pulumi.Output<string>;
    /** The cluster's OIDC issuer URL and the IAM OIDC provider that trusts it (IRSA). */
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The admin role's cluster-admin access policy: a provider acting as that role depends on it. */
    public readonly adminAccess: aws.eks.AccessPolicyAssociation;

    constructor(name: string, args: EksClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const version = checkEksClusterArgs(name, args);
        super("mcpsec:eks:EksCluster", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("eks", `${name}-${suffix}`, args.tags);
        const partition = aws.getPartitionOutput({}, parent).partition;
        this.version = version;
        const clusterName = `${name}-eks`;

        const role = new aws.iam.Role(`${name}-cluster`, {
            description: `EKS control plane of ${clusterName}`,
            assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }),
            tags: tags("cluster-role"),
        }, parent);
        new aws.iam.RolePolicyAttachment(`${name}-cluster`, { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${CLUSTER_POLICY}` }, parent);
        // Envelope encryption: the control plane encrypts and decrypts data keys with the zone key (Amazon EKS user
        // guide, "Encrypt Kubernetes secrets with KMS on existing clusters": kms:Encrypt, Decrypt, ListGrants, DescribeKey).
        const keyPolicy = new aws.iam.RolePolicy(`${name}-cluster-kms`, {
            role: role.id,
            policy: policyJson({ Sid: "EnvelopeEncryptionWithZoneKey", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: args.kmsKeyArn }),
        }, parent);

        // Additional security group on the control plane's interfaces: HTTPS to the API from the zone (nodes, the
        // operators' jump hosts) and the listed operator networks, nothing else.
        const apiSg = new aws.ec2.SecurityGroup(`${name}-api`, {
            vpcId: args.vpcId,
            description: `Kubernetes API of ${clusterName}: HTTPS from the zone and operator networks`,
            ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [args.vpcCidrBlock, ...(args.apiAllowedCidrs ?? [])], description: "Kubernetes API over HTTPS" }],
            egress: [{ protocol: "tcp", fromPort: 1025, toPort: 65535, cidrBlocks: [args.vpcCidrBlock], description: "to kubelets and webhooks in the zone" }],
            tags: tags("api-sg"),
        }, parent);

        // The log group EKS writes to, made first so that it is encrypted and kept for a defined time.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
            name: `/aws/eks/${clusterName}/cluster`,
            retentionInDays: args.logRetentionDays ?? 365,
            kmsKeyId: args.kmsKeyArn,
            tags: tags("control-plane-logs"),
        }, parent);

        const publicCidrs = args.publicEndpointCidrs ?? [];
        const cluster = new aws.eks.Cluster(`${name}-eks`, {
            name: clusterName,
            version,
            roleArn: role.arn,
            vpcConfig: {
                subnetIds: args.subnetIds,
                securityGroupIds: [apiSg.id],
                endpointPrivateAccess: true,
                endpointPublicAccess: publicCidrs.length > 0,
                ...(publicCidrs.length > 0 ? { publicAccessCidrs: publicCidrs } : {}),
            },
            encryptionConfig: { provider: { keyArn: args.kmsKeyArn }, resources: ["secrets"] },
            enabledClusterLogTypes: [...EKS_LOG_TYPES],
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            bootstrapSelfManagedAddons: false,
            kubernetesNetworkConfig: { ipFamily: "ipv4" },
            upgradePolicy: { supportType: "STANDARD" },
            tags: tags("eks"),
        }, { parent: this, dependsOn: [logGroup, keyPolicy] });
        this.name = cluster.name;
        this.arn = cluster.arn;
        this.endpoint = cluster.endpoint;
        this.certificateAuthority = cluster.certificateAuthority.apply((ca) => ca.data!);
        this.clusterSecurityGroupId = cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId!);
        this.oidcIssuerUrl = cluster.identities.apply((ids) => ids[0].oidcs![0].issuer!);

        // kubectl through an access entry: the admin role, cluster scope. Nothing is read from aws-auth.
        const admin = new aws.eks.AccessEntry(`${name}-admin`, { clusterName: cluster.name, principalArn: args.adminRoleArn, type: "STANDARD", tags: tags("admin") }, parent);
        this.adminAccess = new aws.eks.AccessPolicyAssociation(`${name}-admin`, {
            clusterName: cluster.name,
            principalArn: args.adminRoleArn,
            policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${ADMIN_ACCESS_POLICY}`,
            accessScope: { type: "cluster" },
        }, { parent: this, dependsOn: [admin] });

        // IRSA: IAM trusts the cluster's service account tokens; each role's trust names one service account.
        const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
            url: this.oidcIssuerUrl,
            clientIdLists: ["sts.amazonaws.com"],
            tags: tags("oidc"),
        }, parent);
        this.oidcProviderArn = oidc.arn;
        this.registerOutputs({ name: this.name, arn: this.arn, endpoint: this.endpoint });
    }
}
