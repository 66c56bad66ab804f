import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cidrSubtract } from "../common/cidr";
import { ConfigError } from "../common/errors";
import { componentTags } from "../common/tags";

export interface PrivateLinkNlbArgs {
    vpcId: pulumi.Input<string>;
    /** The zone's block, where the ALB is. */
    vpcCidrBlock: string;
    /** Blocks where the zone's servers run, taken out of `allowedCidrs`. Default: `vpcCidrBlock`, the whole zone. */
    workloadCidrs?: string[];
    subnetIds: pulumi.Input<string>[];
    /** The ALB the NLB forwards to (TCP 443, TLS terminates at the ALB). */
    albArn: pulumi.Input<string>;
    /**
     * Networks allowed to connect: the consumers' client addresses (with inbound rules enforced on PrivateLink
     * traffic, the NLB's security group sees the client's private address, not the endpoint's), or an API Gateway
     * VPC link's subnets, minus `workloadCidrs` (the servers' tasks may not call the entry point).
     */
    allowedCidrs: string[];
    /**
     * The load balancer's security group, created beforehand with {@link privateLinkSecurityGroup} so that the ALB's
     * security group can admit it (the ALB exists before this component, which forwards to it). Default: one created here.
     */
    securityGroupId?: pulumi.Input<string>;
    /** AWS principals (account root or role ARNs) allowed to create endpoints to the service. At least one. */
    allowedPrincipals: string[];
    /** Opt-out for throw-away stacks: allow deleting the load balancer. Default false. */
    allowDeletion?: boolean;
    tags?: Record<string, string>;
}

/**
 * The security group of a PrivateLink network load balancer in front of the zone's ALB: TCP 443 from the consumers'
 * blocks outside the servers' subnets, and out only to the zone on 443 (forwarded connections and HTTPS health checks, which the
 * NLB's outbound rules govern). The ALB's security group admits this group.
 */
export function privateLinkSecurityGroup(name: string, args: Pick<PrivateLinkNlbArgs, "vpcId" | "vpcCidrBlock" | "workloadCidrs" | "allowedCidrs" | "tags">, opts: pulumi.CustomResourceOptions = {}): aws.ec2.SecurityGroup {
    const workloads = args.workloadCidrs ?? [args.vpcCidrBlock];
    const consumers = cidrSubtract(args.allowedCidrs, workloads);
    if (consumers.length === 0) {
        throw new ConfigError(`PrivateLinkNlb "${name}".allowedCidrs`, `${JSON.stringify(args.allowedCidrs)} is not allowed; every block lies inside the servers' subnets ${workloads.join(", ")}, which may not call the entry point; expected the consumers' blocks`);
    }
    return new aws.ec2.SecurityGroup(`${name}-nlb`, {
        vpcId: args.vpcId,
        description: `PrivateLink entry ${name}: TCP 443 from allowed networks`,
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: consumers, description: "MCP over TLS" }],
        egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [args.vpcCidrBlock], description: "to the ALB in the zone" }],
        tags: componentTags("edge", `${name}-nlb-sg`, args.tags),
    }, opts);
}

/**
 * An internal Network Load Balancer in front of the zone's ALB, published as a PrivateLink endpoint service that
 * named principals may connect to only after acceptance; also the target of API Gateway VPC links.
 */
export class PrivateLinkNlb extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;
    public readonly endpointServiceName: pulumi.Output<string>;

    constructor(name: string, args: PrivateLinkNlbArgs, opts: pulumi.ComponentResourceOptions = {}) {
        if (args.allowedPrincipals.length === 0 || args.allowedPrincipals.some((p) => p === "*" || !/^arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+)$/.test(p))) {
            throw new ConfigError(`PrivateLinkNlb "${name}".allowedPrincipals`, `${JSON.stringify(args.allowedPrincipals)} is not allowed; expected 1 or more IAM principal ARNs (no "*")`);
        }
        if (args.allowedCidrs.length === 0 || args.allowedCidrs.includes("0.0.0.0/0")) {
            throw new ConfigError(`PrivateLinkNlb "${name}".allowedCidrs`, `${JSON.stringify(args.allowedCidrs)} is not allowed; expected 1 or more CIDR blocks, not 0.0.0.0/0`);
        }
        super("mcpsec:edge:PrivateLinkNlb", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("edge", `${name}-${suffix}`, args.tags);
        const securityGroupId = args.securityGroupId ?? privateLinkSecurityGroup(name, args, parent).id;
        const nlb = new aws.lb.LoadBalancer(`${name}-nlb`, {
            loadBalancerType: "network",
            internal: true,
            subnets: args.subnetIds,
            securityGroups: [securityGroupId],
            enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: "on",
            enableDeletionProtection: !(args.allowDeletion ?? false),
            enableCrossZoneLoadBalancing: true,
            tags: tags("nlb"),
        }, parent);
        const tg = new aws.lb.TargetGroup(`${name}-alb-target`, {
            vpcId: args.vpcId, targetType: "alb", port: 443, protocol: "TCP",
            healthCheck: { enabled: true, protocol: "HTTPS", path: "/", matcher: "200-499" },
            tags: tags("alb-target"),
        }, parent);
        new aws.lb.TargetGroupAttachment(`${name}-alb-target`, { targetGroupArn: tg.arn, targetId: args.albArn, port: 443 }, parent);
        new aws.lb.Listener(`${name}-tcp`, {
            loadBalancerArn: nlb.arn, port: 443, protocol: "TCP",
            defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
            tags: tags("tcp"),
        }, parent);
        const service = new aws.ec2.VpcEndpointService(`${name}-service`, {
            acceptanceRequired: true,
            networkLoadBalancerArns: [nlb.arn],
            allowedPrincipals: args.allowedPrincipals,
            tags: tags("endpoint-service"),
        }, parent);
        this.arn = nlb.arn;
        this.endpointServiceName = service.serviceName;
        this.registerOutputs({ arn: this.arn, endpointServiceName: this.endpointServiceName });
    }
}
