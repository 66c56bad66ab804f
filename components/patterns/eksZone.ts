import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cidrContains } from "../common/cidr";
import { ConfigError } from "../common/errors";
import { ecrRepositoryOf } from "../compute";
import { BlueprintConfig, EdgeConfig, EksConfig, KubernetesConfig } from "../config";
import { EksCluster, EksContainerLogs, eksProvider, EksNodes, ServerSecretRoles } from "../eks";
import { InternalAlb, LogBucket, McpWebAcl } from "../edge";
import { INGRESS_GATEWAY_HEALTH_PATH, INGRESS_GATEWAY_HTTPS_NODE_PORT, INGRESS_GATEWAY_STATUS_NODE_PORT, serverNamespace } from "../kubernetes/names";
import { GUARD_CONTAINER } from "../kubernetes/workload";
import { buildZoneNetwork, buildZoneOperations, zoneNetworkLogGroups } from "./zone";

/**
 * Interface endpoints nodes of a cluster without internet access need (Amazon EKS user guide, "Deploy private
 * clusters with limited internet access"): EC2 (VPC CNI), ECR API and registry (images; layers through the S3
 * gateway), STS (IRSA), EKS and EKS Auth (Pod Identity), CloudWatch Logs; Secrets Manager for the secret stores.
 * No elasticloadbalancing or autoscaling: no AWS Load Balancer Controller or Cluster Autoscaler runs.
 */
export const EKS_INTERFACE_ENDPOINTS = ["ec2", "ecr.api", "ecr.dkr", "sts", "eks", "eks-auth", "logs", "secretsmanager"] as const;

/**
 * The account of the ECR registry that holds the EKS add-on images (VPC CNI, kube-proxy, CoreDNS, Pod Identity agent)
 * in the Regions where it is 602401143452 (Amazon EKS user guide, "View Amazon container image registries for Amazon
 * EKS add-ons"). Other Regions use accounts of their own and are refused until listed here.
 */
export const EKS_ADDON_REGISTRY_ACCOUNT = "602401143452";
export const EKS_ADDON_REGISTRY_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
];

/**
 * The GuardDuty account of each Region's ECR registry that hosts the EKS runtime agent (add-on aws-guardduty-agent,
 * repository aws-guardduty-agent) besides the EKS registry account 602401143452 (Amazon GuardDuty user guide, "ECR
 * repository for EKS agent versions ... (eks.build.2)": two registries per Region; the older builds only in this one).
 * Which of the two the add-on's manifest names is not documented, so the ECR endpoints admit pulls from both.
 */
export const GUARDDUTY_EKS_AGENT_ACCOUNTS: Readonly<Record<string, string>> = {
    "us-east-1": "031903291036", "us-east-2": "591382732059", "us-west-1": "373421517865", "us-west-2": "039403964562",
    "ca-central-1": "001188825231", "sa-east-1": "941219317354", "eu-west-1": "673884943994", "eu-west-2": "109118265657",
    "eu-west-3": "113643092156", "eu-central-1": "409493279830", "eu-north-1": "366771026645", "ap-south-1": "610108029387",
    "ap-northeast-1": "781592569369", "ap-northeast-2": "732248494576", "ap-northeast-3": "810724417379",
    "ap-southeast-1": "584580519942", "ap-southeast-2": "011662287384",
};
export const GUARDDUTY_EKS_AGENT_REPOSITORY = "aws-guardduty-agent";

/**
 * Docker Hub's hosts for pulls (Docker's "Allowlist for Docker Desktop": registry-1.docker.io, auth.docker.io, the
 * CDNs production.cloudflare.docker.com and production.cloudfront.docker.com, and the R2 bucket that serves
 * anonymous and Personal-plan pulls).
 */
export const DOCKER_HUB_PULL_HOSTS = [
    "registry-1.docker.io", "auth.docker.io", "production.cloudflare.docker.com", "production.cloudfront.docker.com",
    "docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com",
];

/**
 * Hosts the nodes pull the Istio (docker.io/istio) and External Secrets Operator (oci.external-secrets.io, served
 * from GitHub's container registry) images from, through the egress firewall, when the layer installs them
 * (`installAddons`, the default). Mirroring them to ECR and setting installAddons: false closes this path.
 */
export const ADDON_IMAGE_HOSTS = [...DOCKER_HUB_PULL_HOSTS, "oci.external-secrets.io", "ghcr.io", "pkg-containers.githubusercontent.com"];

/** What the EKS zone needs beyond the schema; throws a ConfigError naming the key. Pure. */
export function checkEksZoneConfig(config: BlueprintConfig, k: KubernetesConfig): { edge: EdgeConfig; eks: EksConfig; logShipperImage: string } {
    if (!config.eks) {
        throw new ConfigError("mcpsec:eks", "is required but missing with mcpsec:kubernetes.cluster: eks; expected at least adminRoleArn (the IAM role that gets cluster admin through an access entry)");
    }
    if (!config.edge) {
        throw new ConfigError("mcpsec:edge", "is required but missing with mcpsec:kubernetes.cluster: eks; expected domainName, certificateArn and allowedCidrs of the internal HTTPS load balancer in front of the mesh ingress");
    }
    if (config.edge.domainName !== k.domainName) {
        throw new ConfigError("mcpsec:edge.domainName", `${JSON.stringify(config.edge.domainName)} is not allowed; it must equal mcpsec:kubernetes.domainName (${JSON.stringify(k.domainName)}), the domain the mesh serves`);
    }
    if (!EKS_ADDON_REGISTRY_REGIONS.includes(config.region)) {
        throw new ConfigError("aws:region", `${JSON.stringify(config.region)} is not allowed with mcpsec:kubernetes.cluster: eks; the zone admits EKS add-on images from registry account ${EKS_ADDON_REGISTRY_ACCOUNT}, which serves ${EKS_ADDON_REGISTRY_REGIONS.join(", ")}`);
    }
    // The private API endpoint is reached through the zone's NACLs and Transit Gateway routes, which admit
    // mcpsec:edge.allowedCidrs only: an operator network outside them would be admitted by the API security group and
    // dropped on the way.
    (config.eks.apiAllowedCidrs ?? []).forEach((c, i) => {
        if (!config.edge!.allowedCidrs.some((e) => cidrContains(e, c))) {
            throw new ConfigError(`mcpsec:eks.apiAllowedCidrs[${i}]`, `${JSON.stringify(c)} is not allowed; it must lie inside one block of mcpsec:edge.allowedCidrs (${config.edge!.allowedCidrs.join(", ")}), the networks the zone's NACLs and Transit Gateway routes admit; widen mcpsec:edge.allowedCidrs or run the deployment from inside them`);
        }
    });
    if (config.network.allowPublicIpOnLaunch) {
        throw new ConfigError("mcpsec:network.allowPublicIpOnLaunch", "true is not allowed with mcpsec:kubernetes.cluster: eks; nodes run in the zone's private subnets without public addresses");
    }
    if (config.eks.logShipperImage === undefined) {
        throw new ConfigError("mcpsec:eks.logShipperImage", "is required but missing with mcpsec:kubernetes.cluster: eks; expected the AWS for Fluent Bit image (public.ecr.aws/aws-observability/aws-for-fluent-bit, 3.x) copied to ECR in the stack's Region and pinned by digest: it ships the guards' container logs to CloudWatch Logs, where their denials and changed tools are alarmed");
    }
    const images = [
        ...config.servers.map((s, i) => [`mcpsec:servers[${i}].image`, s.image]), ...(config.guard.image ? [["mcpsec:guard.image", config.guard.image]] : []),
        ["mcpsec:eks.logShipperImage", config.eks.logShipperImage],
    ];
    for (const [key, image] of images) {
        const repo = ecrRepositoryOf(image);
        if (!repo || repo.region !== config.region) {
            throw new ConfigError(key, `${JSON.stringify(image)} is not allowed; the zone's nodes pull these images only from ECR in ${config.region} (<account>.dkr.ecr.${config.region}.amazonaws.com/<repository>@sha256:<64 hex>); push the image there`);
        }
    }
    return { edge: config.edge, eks: config.eks, logShipperImage: config.eks.logShipperImage };
}

export interface EksZone {
    provider: k8s.Provider;
    /** Server name -> IAM role of its secret store. */
    secretRoleArns: Record<string, pulumi.Output<string>>;
    entryPointDnsName: pulumi.Output<string>;
    clusterName: pulumi.Output<string>;
    vpcId: pulumi.Output<string>;
    alertTopicArn: pulumi.Output<string>;
    /** What the deployer should know (opt-outs taken, prerequisites). */
    notes: string[];
}

/**
 * Pattern 3's AWS side (P3): the zone of pattern 1 (key, segmented network, endpoints, DNS and egress firewalls,
 * operations and detection with GuardDuty EKS audit logs) with an EKS cluster and its nodes in it, an internal ALB
 * with the zone's web ACL in front of the mesh ingress gateway's NodePort (nodes admit it only from the ALB), one
 * IRSA role per server's secret store, and a Kubernetes provider built from the cluster's outputs. Children of
 * `parent`, named `${name}-...`.
 */
export function buildEksZone(parent: pulumi.ComponentResource, name: string, config: BlueprintConfig, k: KubernetesConfig): EksZone {
    const { edge, eks, logShipperImage } = checkEksZoneConfig(config, k);
    const opts = { parent };
    const tags = { ...config.tags, "mcpsec:environment": config.environment, "mcpsec:pattern": config.pattern };
    const notes: string[] = [];
    const installAddons = k.installAddons ?? true;
    const issuerHost = new URL(k.oauthIssuer).hostname;
    const jwksHost = new URL(k.jwksUri ?? k.oauthIssuer).hostname;
    const egressDomains = [...new Set([...config.servers.flatMap((s) => s.egress), issuerHost, jwksHost, ...(installAddons ? ADDON_IMAGE_HOSTS : [])])].sort();
    if (installAddons) {
        notes.push(`Istio and External Secrets images are pulled through the egress firewall from ${ADDON_IMAGE_HOSTS.join(", ")}; mirror them to ECR and set mcpsec:kubernetes.installAddons: false to close that path.`);
    }
    if (eks.allowPublicEndpointFrom) {
        notes.push(`Opt-out taken: the Kubernetes API has a public endpoint too, reachable from ${eks.allowPublicEndpointFrom.join(", ")} (mcpsec:eks.allowPublicEndpointFrom).`);
    }
    notes.push("Node volumes are encrypted with the zone key through EC2 Auto Scaling's service-linked role AWSServiceRoleForAutoScaling, which must exist in the account (aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com).");
    const guardRepo = config.guard.image ? ecrRepositoryOf(config.guard.image) : undefined;
    const shipperRepo = ecrRepositoryOf(logShipperImage)!;
    const zone = buildZoneNetwork(parent, name, {
        config, tags, keyUsers: ["logs", "cloudtrail", "alarms", "autoscaling"],
        interfaceEndpoints: [...new Set([...config.network.interfaceEndpoints, ...EKS_INTERFACE_ENDPOINTS])],
        egressDomains,
        allowedCidrs: edge.allowedCidrs,
        imageRepositories: [
            ...config.servers.map((s) => ecrRepositoryOf(s.image)!), ...(guardRepo ? [guardRepo] : []), shipperRepo,
        ].map((r) => ({ account: r.account, repository: r.repository })).concat([
            { account: EKS_ADDON_REGISTRY_ACCOUNT, repository: "*" },
            // GuardDuty's automated agent management installs aws-guardduty-agent; its image is in one of two registries.
            { account: GUARDDUTY_EKS_AGENT_ACCOUNTS[config.region], repository: GUARDDUTY_EKS_AGENT_REPOSITORY },
        ]),
        allowWebIdentity: true,
    });
    const net = zone.network;
    const cluster = new EksCluster(`${name}-cluster`, {
        version: eks.version,
        vpcId: net.vpcId,
        subnetIds: net.privateSubnetIds,
        vpcCidrBlock: net.cidrBlock,
        kmsKeyArn: zone.zoneKey.arn,
        adminRoleArn: eks.adminRoleArn,
        apiAllowedCidrs: eks.apiAllowedCidrs,
        publicEndpointCidrs: eks.allowPublicEndpointFrom,
        logRetentionDays: config.operations.retentionDays,
        tags,
    }, opts);
    // The cluster's private API endpoint (<id>.<suffix>.<region>.eks.amazonaws.com, in a private hosted zone EKS
    // manages) resolves through an ALLOW of that one name, before the zone's BLOCK of everything else.
    const endpointNames = new aws.route53.ResolverFirewallDomainList(`${name}-dns-cluster-endpoint`, {
        domains: [cluster.endpoint.apply((e) => new URL(e).hostname)],
        tags: { ...tags, Name: `${name}-dns-cluster-endpoint` },
    }, opts);
    new aws.route53.ResolverFirewallRule(`${name}-dns-cluster-endpoint`, {
        firewallRuleGroupId: zone.dns.ruleGroupId,
        firewallDomainListId: endpointNames.id,
        action: "ALLOW",
        priority: 150,
        name: `${name}-cluster-endpoint`,
    }, opts);
    const nodes = new EksNodes(`${name}-nodes`, {
        cluster,
        vpcId: net.vpcId,
        subnetIds: net.privateSubnetIds,
        kmsKeyArn: zone.zoneKey.arn,
        amiType: eks.nodes.amiType,
        instanceTypes: eks.nodes.instanceTypes,
        desiredSize: eks.nodes.desiredSize,
        minSize: eks.nodes.minSize,
        maxSize: eks.nodes.maxSize,
        volumeSizeGiB: eks.nodes.volumeSizeGiB,
        tags,
    }, opts);

    const webAcl = new McpWebAcl(`${name}-waf`, {
        scope: "REGIONAL",
        allowedMethods: edge.allowedMethods,
        mcpPaths: config.servers.map((s) => s.path),
        rateLimitPerIp: edge.rateLimitPerIp,
        rateLimitPerToken: edge.rateLimitPerToken,
        maxBodyBytes: edge.maxRequestBodyBytes,
        logKmsKeyArn: zone.zoneKey.arn,
        tags,
    }, opts);
    const accessLogs = new LogBucket(`${name}-s3-access-logs`, {
        retentionDays: config.operations.retentionDays, terminalAccessLogBucket: true, deliveryStatements: () => [], tags,
    }, opts);
    // The ALB re-encrypts to the gateway's HTTPS NodePort on every node (instance targets of the node group's Auto
    // Scaling group). It sends no SNI and does not validate the gateway's certificate. Health checks go to the
    // gateway's status NodePort over HTTP (/healthz/ready answers 200 only while the gateway is ready, and fails
    // while it drains); they carry no request data.
    const entry = new InternalAlb(`${name}-entry`, {
        serverAccessLogBucket: accessLogs.bucket,
        vpcId: net.vpcId,
        subnetIds: net.privateSubnetIds,
        vpcCidrBlock: net.cidrBlock,
        // Pods run in the private subnets: they cannot call any server through the entry point.
        workloadCidrs: net.privateSubnetCidrs,
        allowedCidrs: edge.allowedCidrs,
        certificateArn: edge.certificateArn,
        sslPolicy: edge.sslPolicy,
        webAclArn: webAcl.arn,
        routes: config.servers.map((s) => ({
            name: s.name, host: `${s.name}.${edge.domainName}`, port: INGRESS_GATEWAY_HTTPS_NODE_PORT,
            healthCheckPath: INGRESS_GATEWAY_HEALTH_PATH, healthCheckPort: INGRESS_GATEWAY_STATUS_NODE_PORT, healthCheckMatcher: "200", targetType: "instance" as const,
        })),
        tags,
    }, opts);
    new aws.vpc.SecurityGroupIngressRule(`${name}-nodes-from-entry`, {
        securityGroupId: nodes.nodeSecurityGroupId,
        referencedSecurityGroupId: entry.securityGroupId,
        ipProtocol: "tcp", fromPort: INGRESS_GATEWAY_HTTPS_NODE_PORT, toPort: INGRESS_GATEWAY_HTTPS_NODE_PORT,
        description: "Mesh ingress gateway NodePort (HTTPS) from the entry point only",
        tags: { ...tags, Name: `${name}-nodes-from-entry` },
    }, opts);
    new aws.vpc.SecurityGroupIngressRule(`${name}-nodes-health-from-entry`, {
        securityGroupId: nodes.nodeSecurityGroupId,
        referencedSecurityGroupId: entry.securityGroupId,
        ipProtocol: "tcp", fromPort: INGRESS_GATEWAY_STATUS_NODE_PORT, toPort: INGRESS_GATEWAY_STATUS_NODE_PORT,
        description: "Mesh ingress gateway status NodePort (health checks) from the entry point only",
        tags: { ...tags, Name: `${name}-nodes-health-from-entry` },
    }, opts);
    for (const s of config.servers) {
        new aws.autoscaling.Attachment(`${name}-entry-${s.name}`, { autoscalingGroupName: nodes.autoScalingGroupName, lbTargetGroupArn: entry.targetGroupArns[s.name] }, opts);
    }

    const roles = new ServerSecretRoles(`${name}-secrets`, {
        servers: config.servers, oidcProviderArn: cluster.oidcProviderArn, oidcIssuerUrl: cluster.oidcIssuerUrl, tags,
    }, opts);
    const provider = eksProvider(`${name}-k8s`, cluster, config.region, { parent, dependsOn: [nodes, cluster.adminAccess] });
    // Each guard's stdout (its tool_call_denied and tool_changed lines) to a log group of its own, which the server
    // beside it cannot write to; a server deployed unguarded (opt-out) ships its own container's.
    const guarded = !config.guard.allowUnguarded;
    const containerLogs = new EksContainerLogs(`${name}-container-logs`, {
        containers: config.servers.map((s) => ({ server: s.name, namespace: serverNamespace(s.name), container: guarded ? GUARD_CONTAINER : s.name })),
        logGroupPrefix: `/mcpsec/${name}`,
        kmsKeyArn: zone.zoneKey.arn,
        retentionDays: config.operations.retentionDays,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        region: config.region,
        image: logShipperImage,
        vpcCidrBlock: net.cidrBlock,
        provider,
        tags,
    }, opts);
    const auditLogGroups = Object.values(containerLogs.logGroupNames);

    const account = aws.getCallerIdentityOutput({}, opts).accountId;
    const alertTopicArn = buildZoneOperations(parent, name, {
        config, tags, zoneKeyArn: zone.zoneKey.arn, accessLogs,
        siemLogGroupNames: [...zoneNetworkLogGroups(zone), webAcl.logGroupName, pulumi.interpolate`/aws/eks/${cluster.name}/cluster`, ...auditLogGroups],
        serverLogGroupNames: auditLogGroups,
        guardLogGroups: guarded ? config.servers.map((s) => ({ server: s.name, logGroupName: containerLogs.logGroupNames[s.name] })) : [],
        loadBalancerArnSuffix: entry.arnSuffix,
        webAclName: webAcl.name,
        // Containment acts on ECS tasks; this zone runs none. It is scoped to an ECS cluster of the EKS cluster's name
        // (none exists) and may deregister nothing: a node is never taken out by it. Pod containment is a follow-up.
        targetGroupArns: [],
        clusterArn: pulumi.interpolate`arn:aws:ecs:${config.region}:${account}:cluster/${cluster.name}`,
        eksAuditLogs: true,
    }).alertTopicArn;
    return { provider, secretRoleArns: roles.roleArns, entryPointDnsName: entry.dnsName, clusterName: cluster.name, vpcId: net.vpcId, alertTopicArn, notes };
}
