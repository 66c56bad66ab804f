import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cidrContains as contains, parseCidr, subnetCidr } from "../common/cidr";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";
import { guardDutyAgentRepositoryArn } from "../detection/guardDutyAgent";
import { endpointPolicy } from "./endpointPolicies";

/** CloudWatch Logs accepts only these retention periods (days). */
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

export interface SegmentedVpcArgs {
    /**
     * IPv4 block of the zone, inside RFC 1918 space, prefix /16 to /24.
     * Default `10.40.0.0/16`. Choose one that does not overlap networks you may peer with.
     */
    cidrBlock?: string;
    /**
     * How many availability zones get a private subnet (2-6). Default 3: the zone survives the loss of one AZ.
     */
    availabilityZoneCount?: number;
    /**
     * AWS services reached through interface VPC endpoints, by endpoint name (`ecr.api`, `logs` ...).
     * Default: the services a Fargate MCP server needs (ECR, CloudWatch Logs, Secrets Manager, KMS, STS),
     * so that workloads need no route to the internet.
     */
    interfaceEndpoints?: string[];
    /**
     * Services reached through gateway endpoints (`s3`, `dynamodb`). Default `["s3"]`, which ECR image layers need.
     */
    gatewayEndpoints?: ("s3" | "dynamodb")[];
    /** Days the flow log group keeps records. Default 365 (NIST AU-11 asks for a defined retention). */
    flowLogRetentionDays?: number;
    /**
     * KMS key that encrypts the flow log group. Default: the component creates a key with rotation on whose
     * policy admits only this account and the CloudWatch Logs service for this account's log groups.
     */
    logKmsKeyArn?: pulumi.Input<string>;
    /**
     * Opt-out: give instances launched in the subnets a public IP. Default false. Setting it true exposes
     * workloads and is reported by the policy `aws-ec2-subnet-no-public-ip`.
     */
    allowPublicIpOnLaunch?: boolean;
    /**
     * Networks outside the zone that may open HTTPS connections to it (the enterprise networks of
     * `mcpsec:edge.allowedCidrs`): the NACL admits TCP 443 from each and lets the replies out to its ephemeral
     * ports (1024-65535). Default none: only the zone itself. Blocks inside the zone or inside another listed block
     * need no entry of their own; at most {@link MAX_ALLOWED_CIDRS} remain, so that the NACL stays within AWS's
     * default quota of 20 rules per direction.
     */
    allowedCidrs?: string[];
    /**
     * Attach the private subnets to a Transit Gateway and route these blocks to it (the enterprise networks).
     * Default none: clients reach the zone through PrivateLink or through peering/VPN routes managed elsewhere.
     */
    transitGateway?: TransitGatewayArgs;
    /**
     * ECR repository of the GuardDuty runtime agent that the ECR endpoints admit pulls from. Default: the AWS-owned
     * repository of the stack's region (components/detection/guardDutyAgent.ts); none where AWS documents none.
     */
    guardDutyAgentRepositoryArn?: string;
    /**
     * ECR repositories of the stack's region that the zone's images name (`account`, `repository`). Those of another
     * account (a central registry) are admitted for image pulls (`ecr:BatchGetImage`, `GetDownloadUrlForLayer`,
     * `BatchCheckLayerAvailability`) by this account's principals in the ECR endpoint policies, repository by
     * repository. Default none: the endpoints admit this account's repositories only.
     */
    imageRepositories?: { account: string; repository: string }[];
    /**
     * The sts endpoint admits AssumeRoleWithWebIdentity to this account's roles (IRSA in an EKS cluster of the zone);
     * each role's trust policy names the one service account it admits. Default false.
     */
    allowWebIdentity?: boolean;
    /** Tags added to every resource. */
    tags?: Record<string, string>;
}

/** A Transit Gateway attachment of the zone. */
export interface TransitGatewayArgs {
    /** The Transit Gateway (`tgw-` followed by 8 or 17 hex digits); it may be shared from another account via RAM. */
    id: string;
    /**
     * IPv4 blocks routed to it from the private route table: no default route, none inside the zone (a block around
     * the zone, such as 10.0.0.0/8 for a 10.40.0.0/16 zone, is fine: the zone's local route is more specific).
     */
    routes: string[];
}

/** AWS's default quota of rules per network ACL, per direction (adjustable to 40). */
export const NACL_RULES_PER_DIRECTION = 20;
/** Ingress entries of the private NACL that are not per allowed network. */
const FIXED_INGRESS_ENTRIES = 4;
/** How many allowed networks the private NACL can admit within the default quota. */
export const MAX_ALLOWED_CIDRS = NACL_RULES_PER_DIRECTION - FIXED_INGRESS_ENTRIES;

/**
 * The allowed networks that need a NACL entry of their own: those not inside the zone and not inside another
 * listed block, in the order given. Pure.
 */
export function naclSourceCidrs(zone: string, allowed: string[]): string[] {
    const unique = [...new Set(allowed)];
    return unique.filter((c, i) => !contains(zone, c) && !unique.some((o, j) => j !== i && contains(o, c) && !(contains(c, o) && j > i)));
}

/** Blocks of the private subnets of a zone: the first `zones` blocks of prefix + 4 (at most /28). Pure. */
export function privateSubnetCidrs(cidrBlock: string, zones: number): string[] {
    const prefix = Math.min(parseCidr(cidrBlock).prefix + 4, 28);
    return Array.from({ length: zones }, (_, i) => subnetCidr(cidrBlock, prefix, i));
}

/** The arguments with defaults filled in, after validation. */
export interface ResolvedSegmentedVpcArgs {
    cidrBlock: string;
    availabilityZoneCount: number;
    interfaceEndpoints: string[];
    gatewayEndpoints: ("s3" | "dynamodb")[];
    flowLogRetentionDays: number;
    allowPublicIpOnLaunch: boolean;
    /** Allowed networks that get NACL entries (see {@link naclSourceCidrs}). */
    allowedCidrs: string[];
    transitGateway?: TransitGatewayArgs;
    tags: Record<string, string>;
}

export const DEFAULT_VPC_INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "kms", "sts"];

/** Validates the arguments and fills in defaults; throws an Error naming the argument. Pure. */
export function resolveSegmentedVpcArgs(args: SegmentedVpcArgs): ResolvedSegmentedVpcArgs {
    const cidrBlock = args.cidrBlock ?? "10.40.0.0/16";
    let prefix: number;
    try {
        prefix = parseCidr(cidrBlock).prefix;
    } catch (e) {
        throw new Error(`cidrBlock: ${(e as Error).message}`);
    }
    if (prefix < 16 || prefix > 24) {
        throw new Error(`cidrBlock: "${cidrBlock}" has prefix /${prefix}; allowed: /16 to /24`);
    }
    const availabilityZoneCount = args.availabilityZoneCount ?? 3;
    if (!Number.isInteger(availabilityZoneCount) || availabilityZoneCount < 2 || availabilityZoneCount > 6) {
        throw new Error(`availabilityZoneCount: ${availabilityZoneCount} is not allowed; allowed: an integer from 2 to 6`);
    }
    const flowLogRetentionDays = args.flowLogRetentionDays ?? 365;
    if (!RETENTION_DAYS.has(flowLogRetentionDays)) {
        throw new Error(`flowLogRetentionDays: ${flowLogRetentionDays} is not allowed; allowed: ${[...RETENTION_DAYS].join(", ")}`);
    }
    const interfaceEndpoints = [...(args.interfaceEndpoints ?? DEFAULT_VPC_INTERFACE_ENDPOINTS)];
    for (const svc of interfaceEndpoints) {
        if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(svc)) {
            throw new Error(`interfaceEndpoints: "${svc}" is not allowed; allowed: an AWS endpoint name such as "ecr.api"`);
        }
    }
    if (new Set(interfaceEndpoints).size !== interfaceEndpoints.length) {
        throw new Error(`interfaceEndpoints: ${JSON.stringify(interfaceEndpoints)} repeats a service; allowed: distinct names`);
    }
    const allowed = args.allowedCidrs ?? [];
    for (const c of allowed) {
        checkOutsideCidr("allowedCidrs", c);
    }
    const allowedCidrs = naclSourceCidrs(cidrBlock, allowed);
    if (allowedCidrs.length > MAX_ALLOWED_CIDRS) {
        throw new Error(`allowedCidrs: ${allowedCidrs.length} separate networks is not allowed; allowed: at most ${MAX_ALLOWED_CIDRS} (a network ACL holds ${NACL_RULES_PER_DIRECTION} rules per direction by default and the zone uses ${FIXED_INGRESS_ENTRIES}); aggregate them into wider blocks`);
    }
    let transitGateway: TransitGatewayArgs | undefined;
    if (args.transitGateway !== undefined) {
        const { id, routes } = args.transitGateway;
        if (!/^tgw-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) {
            throw new Error(`transitGateway.id: ${JSON.stringify(id)} is not allowed; allowed: a Transit Gateway id, "tgw-" and 8 or 17 hex digits`);
        }
        if (routes.length === 0 || new Set(routes).size !== routes.length) {
            throw new Error(`transitGateway.routes: ${JSON.stringify(routes)} is not allowed; allowed: 1 or more distinct IPv4 blocks`);
        }
        for (const r of routes) {
            checkOutsideCidr("transitGateway.routes", r);
            // A block around the zone is fine: the zone's local route is more specific and keeps its traffic inside.
            if (contains(cidrBlock, r)) {
                throw new Error(`transitGateway.routes: "${r}" is not allowed; it lies inside the zone's ${cidrBlock} and would take the zone's own traffic to the Transit Gateway (list networks outside the zone)`);
            }
        }
        transitGateway = { id, routes: [...routes] };
    }
    return {
        cidrBlock,
        availabilityZoneCount,
        interfaceEndpoints,
        gatewayEndpoints: [...(args.gatewayEndpoints ?? ["s3"])],
        flowLogRetentionDays,
        allowPublicIpOnLaunch: args.allowPublicIpOnLaunch ?? false,
        allowedCidrs,
        transitGateway,
        tags: { ...(args.tags ?? {}) },
    };
}

/** A block of another network: valid IPv4 CIDR, not a default route (/0 lets everything in, or everything out). */
function checkOutsideCidr(arg: string, cidr: string): void {
    let prefix: number;
    try {
        prefix = parseCidr(cidr).prefix;
    } catch (e) {
        throw new Error(`${arg}: ${(e as Error).message}; allowed: IPv4 CIDR blocks such as "10.0.0.0/8"`);
    }
    if (prefix === 0) {
        throw new Error(`${arg}: "${cidr}" is not allowed; allowed: the blocks of specific networks, never 0.0.0.0/0`);
    }
}

/**
 * A segmented VPC for MCP servers (control S1): private subnets only, no internet route, a NACL that admits
 * traffic from inside the zone, HTTPS from the allowed enterprise networks and return traffic only, the default
 * security group, NACL and route table stripped, VPC endpoints for the AWS services workloads need (each with a
 * policy limited to this account), an optional Transit Gateway attachment with routes to the enterprise networks,
 * and flow logs of all traffic to a KMS-encrypted log group with retention.
 */
export class SegmentedVpc extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly cidrBlock: string;
    public readonly privateSubnetIds: pulumi.Output<string>[];
    /** Blocks of the private subnets, in zone order (plain strings, known at synthesis). */
    public readonly privateSubnetCidrs: string[];
    /** Availability zone of each private subnet, in the same order. */
    public readonly privateSubnetZones: pulumi.Output<string>[];
    public readonly privateRouteTableId: pulumi.Output<string>;
    public readonly endpointSecurityGroupId: pulumi.Output<string>;
    public readonly flowLogGroupName: pulumi.Output<string>;
    public readonly flowLogGroupArn: pulumi.Output<string>;
    public readonly logKmsKeyArn: pulumi.Output<string>;
    /** Prefix list of the S3 gateway endpoint (for security group egress rules), when there is one. */
    public readonly s3PrefixListId?: pulumi.Output<string>;
    /** The Transit Gateway attachment, when `transitGateway` is given. */
    public readonly transitGatewayAttachmentId?: pulumi.Output<string>;

    constructor(name: string, args: SegmentedVpcArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        let cfg: ResolvedSegmentedVpcArgs;
        try {
            cfg = resolveSegmentedVpcArgs(args);
        } catch (e) {
            throw new pulumi.RunError(`SegmentedVpc "${name}": ${(e as Error).message}`);
        }
        super("mcpsec:network:SegmentedVpc", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("network", `${name}-${suffix}`, cfg.tags);
        this.cidrBlock = cfg.cidrBlock;

        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;

        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: cfg.cidrBlock,
            enableDnsSupport: true,
            enableDnsHostnames: true,
            tags: tags("vpc"),
        }, parent);
        this.vpcId = vpc.id;

        // The defaults AWS creates with every VPC allow traffic: take them over and leave them empty.
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, ingress: [], egress: [], tags: tags("default-sg") }, parent);
        new aws.ec2.DefaultNetworkAcl(`${name}-default-nacl`, { defaultNetworkAclId: vpc.defaultNetworkAclId, tags: tags("default-nacl") }, parent);
        new aws.ec2.DefaultRouteTable(`${name}-default-rt`, { defaultRouteTableId: vpc.defaultRouteTableId, routes: [], tags: tags("default-rt") }, parent);

        const zones = aws.getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, parent).names;
        const vpcPrefix = parseCidr(cfg.cidrBlock).prefix;
        const subnetPrefix = Math.min(vpcPrefix + 4, 28);
        const routeTable = new aws.ec2.RouteTable(`${name}-private-rt`, { vpcId: vpc.id, tags: tags("private-rt") }, parent);
        this.privateRouteTableId = routeTable.id;

        const subnets: aws.ec2.Subnet[] = [];
        for (let i = 0; i < cfg.availabilityZoneCount; i++) {
            const subnet = new aws.ec2.Subnet(`${name}-private-${i}`, {
                vpcId: vpc.id,
                cidrBlock: subnetCidr(cfg.cidrBlock, subnetPrefix, i),
                availabilityZone: zones.apply((names) => {
                    if (names.length <= i) {
                        throw new pulumi.RunError(`SegmentedVpc "${name}": availabilityZoneCount is ${cfg.availabilityZoneCount} but the region offers ${names.length} zones`);
                    }
                    return names[i];
                }),
                mapPublicIpOnLaunch: cfg.allowPublicIpOnLaunch,
                tags: { ...tags(`private-${i}`), "mcpsec:tier": "private" },
            }, parent);
            new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routeTable.id }, parent);
            subnets.push(subnet);
        }
        this.privateSubnetIds = subnets.map((s) => s.id);
        this.privateSubnetCidrs = privateSubnetCidrs(cfg.cidrBlock, cfg.availabilityZoneCount);
        this.privateSubnetZones = subnets.map((s) => s.availabilityZone);

        // Coarse, stateless layer under the security groups: traffic from inside the zone, HTTPS from the allowed
        // enterprise networks and the replies to them, return traffic, HTTPS out (only VPC endpoints, and the
        // networks routed to a Transit Gateway, are routable: there is no internet or NAT gateway).
        const naclIngress = [
            { ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: cfg.cidrBlock, fromPort: 0, toPort: 65535 },
            { ruleNo: 110, action: "allow", protocol: "udp", cidrBlock: cfg.cidrBlock, fromPort: 1024, toPort: 65535 },
            // Return traffic from the S3 gateway endpoint (public S3 addresses). RDP's 3389 is left out so that
            // no administrative port is open to 0.0.0.0/0 (AWS Security Hub EC2.21).
            { ruleNo: 120, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 1024, toPort: 3388 },
            { ruleNo: 130, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 3390, toPort: 65535 },
            // MCP clients in the enterprise networks open HTTPS connections to the entry point.
            ...cfg.allowedCidrs.map((cidr, i) => ({ ruleNo: 200 + i, action: "allow", protocol: "tcp", cidrBlock: cidr, fromPort: 443, toPort: 443 })),
        ];
        const naclEgress = [
            { ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: cfg.cidrBlock, fromPort: 0, toPort: 65535 },
            { ruleNo: 110, action: "allow", protocol: "udp", cidrBlock: cfg.cidrBlock, fromPort: 53, toPort: 53 },
            { ruleNo: 120, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 443, toPort: 443 },
            // Replies to those clients, on their ephemeral ports.
            ...cfg.allowedCidrs.map((cidr, i) => ({ ruleNo: 200 + i, action: "allow", protocol: "tcp", cidrBlock: cidr, fromPort: 1024, toPort: 65535 })),
        ];
        new aws.ec2.NetworkAcl(`${name}-private-nacl`, {
            vpcId: vpc.id,
            subnetIds: this.privateSubnetIds,
            ingress: naclIngress,
            egress: naclEgress,
            tags: tags("private-nacl"),
        }, parent);

        if (cfg.transitGateway) {
            // The attachment puts one interface per zone into the private subnets; the TGW owner decides the TGW
            // route tables (association/propagation are left to it, as they cannot be set on a RAM-shared TGW).
            const attachment = new aws.ec2transitgateway.VpcAttachment(`${name}-tgw`, {
                transitGatewayId: cfg.transitGateway.id,
                vpcId: vpc.id,
                subnetIds: this.privateSubnetIds,
                dnsSupport: "enable",
                ipv6Support: "disable",
                applianceModeSupport: "disable",
                securityGroupReferencingSupport: "disable",
                tags: tags("tgw"),
            }, parent);
            this.transitGatewayAttachmentId = attachment.id;
            cfg.transitGateway.routes.forEach((cidr, i) => {
                new aws.ec2.Route(`${name}-tgw-${i}`, {
                    routeTableId: routeTable.id,
                    destinationCidrBlock: cidr,
                    transitGatewayId: cfg.transitGateway!.id,
                }, { parent: this, dependsOn: [attachment] });
            });
        }

        const endpointSg = new aws.ec2.SecurityGroup(`${name}-endpoints`, {
            vpcId: vpc.id,
            description: "HTTPS from inside the MCP zone to AWS service endpoints",
            ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [cfg.cidrBlock], description: "HTTPS from the zone" }],
            egress: [],
            tags: tags("endpoints"),
        }, parent);
        this.endpointSecurityGroupId = endpointSg.id;

        // Every endpoint admits only this account's principals and resources, plus the AWS-owned ones a task needs.
        const policyOf = (svc: string) => pulumi.all([account, region, partition]).apply(([acct, rgn, part]) => {
            const agent = args.guardDutyAgentRepositoryArn ?? guardDutyAgentRepositoryArn(rgn, part);
            return JSON.stringify(endpointPolicy(svc, { account: acct, region: rgn, partition: part, guardDutyAgentRepositoryArn: agent, imageRepositories: args.imageRepositories, allowWebIdentity: args.allowWebIdentity }));
        });
        for (const svc of cfg.interfaceEndpoints) {
            new aws.ec2.VpcEndpoint(`${name}-${svc.replace(/\./g, "-")}`, {
                vpcId: vpc.id,
                serviceName: pulumi.interpolate`com.amazonaws.${region}.${svc}`,
                vpcEndpointType: "Interface",
                privateDnsEnabled: true,
                subnetIds: this.privateSubnetIds,
                securityGroupIds: [endpointSg.id],
                policy: policyOf(svc),
                tags: tags(`endpoint-${svc}`),
            }, parent);
        }
        for (const svc of cfg.gatewayEndpoints) {
            const gateway = new aws.ec2.VpcEndpoint(`${name}-${svc}-gateway`, {
                vpcId: vpc.id,
                serviceName: pulumi.interpolate`com.amazonaws.${region}.${svc}`,
                vpcEndpointType: "Gateway",
                routeTableIds: [routeTable.id],
                policy: policyOf(svc),
                tags: tags(`endpoint-${svc}`),
            }, parent);
            if (svc === "s3") {
                this.s3PrefixListId = gateway.prefixListId;
            }
        }

        const logKmsKeyArn = args.logKmsKeyArn !== undefined
            ? pulumi.output(args.logKmsKeyArn)
            : new aws.kms.Key(`${name}-logs-key`, {
                description: `Encrypts the flow logs of MCP zone ${name}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: policyJson(
                    {
                        Sid: "AccountAdministers",
                        Effect: "Allow",
                        Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${account}:root` },
                        Action: "kms:*",
                        Resource: "*",
                    },
                    {
                        Sid: "CloudWatchLogsUsesForThisAccount",
                        Effect: "Allow",
                        Principal: { Service: pulumi.interpolate`logs.${region}.amazonaws.com` },
                        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                        Resource: "*",
                        Condition: {
                            ArnLike: { "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:*` },
                        },
                    },
                ),
                tags: tags("logs-key"),
            }, parent).arn;
        this.logKmsKeyArn = logKmsKeyArn;

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
            name: `/mcpsec/${name}/vpc-flow-logs`,
            retentionInDays: cfg.flowLogRetentionDays,
            kmsKeyId: logKmsKeyArn,
            tags: tags("flow-logs"),
        }, parent);
        this.flowLogGroupName = logGroup.name;
        this.flowLogGroupArn = logGroup.arn;

        const role = new aws.iam.Role(`${name}-flow-logs`, {
            description: `Lets VPC Flow Logs of ${name} write to its log group`,
            assumeRolePolicy: policyJson({
                Effect: "Allow",
                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": account },
                    ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*` },
                },
            }),
            tags: tags("flow-logs-role"),
        }, parent);
        new aws.iam.RolePolicy(`${name}-flow-logs`, {
            role: role.id,
            policy: policyJson({
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
            }),
        }, parent);

        new aws.ec2.FlowLog(`${name}-flow-log`, {
            vpcId: vpc.id,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: logGroup.arn,
            iamRoleArn: role.arn,
            maxAggregationInterval: 60,
            tags: tags("flow-log"),
        }, parent);

        this.registerOutputs({
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            flowLogGroupArn: this.flowLogGroupArn,
            logKmsKeyArn: this.logKmsKeyArn,
        });
    }
}
