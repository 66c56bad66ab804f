import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";
import { EksCluster } from "./cluster";

/** AMI types of managed node groups this blueprint runs: Bottlerocket (default) or Amazon Linux 2023. */
export const NODE_AMI_TYPES = ["BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64", "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD"] as const;
export type NodeAmiType = (typeof NODE_AMI_TYPES)[number];

/**
 * The managed policies of the node role (Amazon EKS user guide, "Amazon EKS node IAM role"): the kubelet's EC2
 * describe calls and the Pod Identity agent (AmazonEKSWorkerNodePolicy), image pulls only
 * (AmazonEC2ContainerRegistryPullOnly, narrower than ...ReadOnly). The VPC CNI's permissions are NOT here: aws-node
 * gets them through a Pod Identity association of its own.
 */
export const NODE_MANAGED_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"] as const;

/** The EKS managed add-ons a zone cluster needs, in install order (nodes come after the first three). */
export const CORE_ADDONS = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns"] as const;

export interface EksNodesArgs {
    cluster: EksCluster;
    vpcId: pulumi.Input<string>;
    /** Private subnets only: nodes get no public address (the zone's subnets do not map one). */
    subnetIds: pulumi.Input<string>[];
    /** The zone key: node volumes are encrypted with it (its policy must admit EC2 Auto Scaling, ZoneKey user "autoscaling"). */
    kmsKeyArn: pulumi.Input<string>;
    /** Default BOTTLEROCKET_x86_64: a minimal, read-only OS without SSH or a shell by default. */
    amiType?: NodeAmiType;
    /** Default ["m7i.large"]. */
    instanceTypes?: string[];
    /** Default 2 / 2 / 4: two nodes in different zones, room for a rolling update. */
    desiredSize?: number;
    minSize?: number;
    maxSize?: number;
    /** Root (and, on Bottlerocket, data) volume size in GiB. Default 50. */
    volumeSizeGiB?: number;
    tags?: Record<string, string>;
}

/**
 * The nodes of a zone cluster (controls S1, S5, H1): one managed node group on Bottlerocket or AL2023 in private
 * subnets, a launch template with IMDSv2 required and a hop limit of 1 (a pod cannot reach the node's instance
 * credentials), encrypted volumes with the zone key, no SSH key and no remote access; a node role with only the two
 * managed policies nodes need; the managed add-ons VPC CNI (network policy enforcement on, its AWS permissions
 * through an EKS Pod Identity association of its own), kube-proxy, the Pod Identity agent and CoreDNS; and a node
 * security group that the caller opens for the ingress NodePort from its load balancer only.
 */
export class EksNodes extends pulumi.ComponentResource {
    /** Name of the node group's Auto Scaling group (instance targets of the ingress load balancer). */
    public readonly autoScalingGroupName: pulumi.Output<string>;
    /** The nodes' own security group (besides the cluster security group); admits nothing until the caller adds rules. */
    public readonly nodeSecurityGroupId: pulumi.Output<string>;
    public readonly nodeRoleArn: pulumi.Output<string>;

    constructor(name: string, args: EksNodesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const amiType = args.amiType ?? "BOTTLEROCKET_x86_64";
        if (!(NODE_AMI_TYPES as readonly string[]).includes(amiType)) {
            throw new ConfigError(`EksNodes "${name}".amiType`, `${JSON.stringify(amiType)} is not allowed; expected one of ${NODE_AMI_TYPES.join(", ")}`);
        }
        const desired = args.desiredSize ?? 2;
        const min = args.minSize ?? 2;
        const max = args.maxSize ?? 4;
        if (!(min >= 1 && min <= desired && desired <= max && max <= 100)) {
            throw new ConfigError(`EksNodes "${name}".desiredSize`, `min ${min}, desired ${desired}, max ${max} is not allowed; expected 1 <= min <= desired <= max <= 100`);
        }
        super("mcpsec:eks:EksNodes", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("eks", `${name}-${suffix}`, args.tags);
        const partition = aws.getPartitionOutput({}, parent).partition;
        const cluster = args.cluster;

        // The VPC CNI's role, through EKS Pod Identity on kube-system/aws-node only (not on the node role, where every
        // pod that reached the instance credentials would hold it).
        const cniRole = new aws.iam.Role(`${name}-vpc-cni`, {
            description: `VPC CNI (kube-system/aws-node) of ${name}, through EKS Pod Identity`,
            assumeRolePolicy: policyJson({
                Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"],
                // The session tags EKS Pod Identity sets (Amazon EKS user guide, "Create IAM role with trust policy
                // required by EKS Pod Identity"): this cluster's kube-system/aws-node only, no other association.
                Condition: { StringEquals: { "aws:RequestTag/eks-cluster-arn": cluster.arn, "aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "aws-node" } },
            }),
            tags: tags("vpc-cni-role"),
        }, parent);
        new aws.iam.RolePolicyAttachment(`${name}-vpc-cni`, { role: cniRole.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonEKS_CNI_Policy` }, parent);

        const addon = (addonName: string, extra: Partial<aws.eks.AddonArgs>, dependsOn: pulumi.Resource[] = []) => new aws.eks.Addon(`${name}-${addonName}`, {
            clusterName: cluster.name,
            addonName,
            resolveConflictsOnCreate: "OVERWRITE",
            resolveConflictsOnUpdate: "OVERWRITE",
            tags: tags(addonName),
            ...extra,
        }, { parent: this, dependsOn });
        const podIdentity = addon("eks-pod-identity-agent", {});
        const cni = addon("vpc-cni", {
            // Network policy enforcement by the VPC CNI's node agent (Amazon EKS user guide, "Limit pod traffic with
            // Kubernetes network policies"): the layer's NetworkPolicies are enforced, not merely stored.
            configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
            podIdentityAssociations: [{ serviceAccount: "aws-node", roleArn: cniRole.arn }],
        }, [podIdentity]);
        const kubeProxy = addon("kube-proxy", {});

        const role = new aws.iam.Role(`${name}-node`, {
            description: `EKS nodes of ${name}`,
            assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }),
            tags: tags("node-role"),
        }, parent);
        const attachments = NODE_MANAGED_POLICIES.map((p) => new aws.iam.RolePolicyAttachment(`${name}-node-${p}`, { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${p}` }, parent));
        this.nodeRoleArn = role.arn;

        const nodeSg = new aws.ec2.SecurityGroup(`${name}-nodes`, {
            vpcId: args.vpcId,
            description: `Nodes of ${name}: the ingress NodePort from the load balancer only (cluster traffic through the cluster security group)`,
            tags: tags("nodes-sg"),
        }, parent);
        this.nodeSecurityGroupId = nodeSg.id;

        const size = args.volumeSizeGiB ?? 50;
        const ebs = (volumeSize: number) => ({ volumeSize, volumeType: "gp3", encrypted: "true", kmsKeyId: args.kmsKeyArn, deleteOnTermination: "true" });
        // Bottlerocket boots from /dev/xvda (OS) and keeps images and pods on /dev/xvdb; AL2023 has one volume.
        const devices = amiType.startsWith("BOTTLEROCKET")
            ? [{ deviceName: "/dev/xvda", ebs: ebs(4) }, { deviceName: "/dev/xvdb", ebs: ebs(size) }]
            : [{ deviceName: "/dev/xvda", ebs: ebs(size) }];
        const template = new aws.ec2.LaunchTemplate(`${name}-nodes`, {
            description: `Nodes of ${name}: IMDSv2 only, hop limit 1, encrypted volumes, no SSH key`,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
            blockDeviceMappings: devices,
            vpcSecurityGroupIds: [cluster.clusterSecurityGroupId, nodeSg.id],
            monitoring: { enabled: true },
            tagSpecifications: [{ resourceType: "instance", tags: tags("node") }, { resourceType: "volume", tags: tags("node-volume") }],
            tags: tags("launch-template"),
        }, parent);

        const group = new aws.eks.NodeGroup(`${name}-nodes`, {
            clusterName: cluster.name,
            nodeRoleArn: role.arn,
            subnetIds: args.subnetIds,
            amiType,
            capacityType: "ON_DEMAND",
            instanceTypes: args.instanceTypes ?? ["m7i.large"],
            scalingConfig: { desiredSize: desired, minSize: min, maxSize: max },
            updateConfig: { maxUnavailable: 1 },
            launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
            version: cluster.version,
            tags: tags("nodes"),
        }, { parent: this, dependsOn: [...attachments, cni, kubeProxy, podIdentity] });
        this.autoScalingGroupName = group.resources.apply((r) => r[0].autoscalingGroups[0].name);
        addon("coredns", {}, [group]);
        this.registerOutputs({ autoScalingGroupName: this.autoScalingGroupName, nodeRoleArn: this.nodeRoleArn });
    }
}
