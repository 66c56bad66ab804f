import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cidrsOverlap, parseCidr, subnetCidr } from "../common/cidr";
import { ConfigError } from "../common/errors";
import { componentTags } from "../common/tags";

/** CloudWatch Logs accepts only these retention periods (days). */
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

const DOMAIN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * The stateful default actions of the egress policy (strict order): drop what no rule passes, and log it.
 *
 * Not `aws:drop_strict`: a domain list rule group decides on the TLS SNI or HTTP Host of an established connection,
 * so a "drop all" default would drop the TCP handshake before any name is seen and nothing would pass. The
 * application-layer variant lets the handshake through, drops every established flow no rule passes, and waits for
 * the whole TLS Client Hello when it spans several segments (post-quantum key shares make it larger than one
 * packet), which `aws:drop_established` does not. AWS refuses mixing the established and application-layer families.
 */
export const EGRESS_STATEFUL_DEFAULT_ACTIONS = ["aws:drop_established_app_layer", "aws:alert_established_app_layer"];

/** A declared egress domain as a Network Firewall domain list target: `*.example.com` becomes `.example.com`. Pure. */
export function networkFirewallTarget(domain: string): string {
    const d = domain.trim().toLowerCase().replace(/\.$/, "");
    return d.startsWith("*.") ? d.slice(1) : d;
}

/** Capacity of a domain list rule group inspecting TLS_SNI and HTTP_HOST: 3 for the first domain, 2 for each further one. */
export function domainListCapacity(domains: number): number {
    return Math.max(100, 2 * domains + 1);
}

/**
 * Blocks for the firewall and public (NAT) subnets of `zones` availability zones: the last /28 blocks of the VPC
 * block (firewall subnets from the very end, then the public ones), so that they never shift the private subnets.
 * Throws a ConfigError when they would overlap one of `privateSubnetCidrs` (a /24 zone with many zones). Pure.
 */
export function egressSubnetCidrs(vpcCidrBlock: string, privateSubnetCidrs: readonly string[], zones: number): { firewall: string[]; public: string[] } {
    const { prefix } = parseCidr(vpcCidrBlock);
    const blocks = 2 ** (28 - prefix);
    const firewall = Array.from({ length: zones }, (_, i) => subnetCidr(vpcCidrBlock, 28, blocks - 1 - i));
    const publicBlocks = Array.from({ length: zones }, (_, i) => subnetCidr(vpcCidrBlock, 28, blocks - 1 - zones - i));
    for (const c of [...firewall, ...publicBlocks]) {
        const clash = privateSubnetCidrs.find((p) => cidrsOverlap(p, c));
        if (clash !== undefined) {
            throw new ConfigError("mcpsec:network.cidrBlock", `"${vpcCidrBlock}" is too small for the egress firewall: its subnet ${c} would overlap the private subnet ${clash}; expected a wider block (/23 or wider) or fewer availability zones`);
        }
    }
    return { firewall, public: publicBlocks };
}

/** A private route table whose default route goes to the firewall endpoint of one zone. */
export interface EgressRouteTable {
    routeTableId: pulumi.Input<string>;
    /** Index into `availabilityZones` of the firewall endpoint (and NAT gateway) that serves this table. */
    zone: number;
    /** Blocks of the subnets associated with the table: the NAT subnet routes their return traffic to the same endpoint. */
    subnetCidrs: string[];
}

export interface EgressFirewallArgs {
    vpcId: pulumi.Input<string>;
    /** IPv4 block of the VPC (the zone): the NACL of the egress subnets admits it. */
    vpcCidrBlock: string;
    /** Availability zones that get a firewall endpoint and a NAT gateway, one of each per zone. */
    availabilityZones: pulumi.Input<string>[];
    /** One /28 (or wider) per zone for the firewall endpoints; see {@link egressSubnetCidrs}. */
    firewallSubnetCidrs: string[];
    /** One /28 (or wider) per zone for the NAT gateways (public subnets without public IPs on launch). */
    publicSubnetCidrs: string[];
    /** The workload route tables whose default route leaves through the firewall. At least one. */
    routeTables: EgressRouteTable[];
    /**
     * The only domains that may be reached (TLS SNI and HTTP Host), in `egress` syntax: `api.example.com` or
     * `*.example.com` (Network Firewall's `.example.com`, which also matches `example.com`). At least one.
     */
    allowedDomains: string[];
    /** KMS key of the ALERT and FLOW log groups; its policy must admit CloudWatch Logs (the zone key does). */
    logKmsKeyArn: pulumi.Input<string>;
    /** Days the firewall log groups keep records. Default 365. */
    logRetentionDays?: number;
    /** Opt-out: allow deleting the firewall without first turning its deletion protection off. Default false. */
    allowDeletion?: boolean;
    tags?: Record<string, string>;
}

/** Checks the arguments that are plain values; throws a ConfigError naming the argument. Pure. */
export function checkEgressFirewallArgs(name: string, args: Pick<EgressFirewallArgs, "availabilityZones" | "firewallSubnetCidrs" | "publicSubnetCidrs" | "routeTables" | "allowedDomains" | "logRetentionDays">): string[] {
    const key = (k: string) => `EgressFirewall "${name}".${k}`;
    const zones = args.availabilityZones.length;
    if (zones === 0) {
        throw new ConfigError(key("availabilityZones"), "[] is not allowed; expected at least one availability zone");
    }
    for (const k of ["firewallSubnetCidrs", "publicSubnetCidrs"] as const) {
        if (args[k].length !== zones) {
            throw new ConfigError(key(k), `${args[k].length} blocks is not allowed; expected one per availability zone (${zones})`);
        }
        args[k].forEach((c, i) => {
            const p = parseCidr(c).prefix;
            if (p > 28) {
                throw new ConfigError(`${key(k)}[${i}]`, `"${c}" is not allowed; expected a /28 or wider block (a firewall endpoint or NAT gateway needs a /28)`);
            }
        });
    }
    if (args.routeTables.length === 0) {
        throw new ConfigError(key("routeTables"), "[] is not allowed; expected the route tables of the workload subnets");
    }
    args.routeTables.forEach((t, i) => {
        if (!Number.isInteger(t.zone) || t.zone < 0 || t.zone >= zones) {
            throw new ConfigError(`${key("routeTables")}[${i}].zone`, `${t.zone} is not allowed; expected an index from 0 to ${zones - 1} into availabilityZones`);
        }
    });
    const domains = [...new Set(args.allowedDomains.map(networkFirewallTarget))];
    if (domains.length === 0) {
        throw new ConfigError(key("allowedDomains"), "[] is not allowed; expected at least one domain (without one, create no egress firewall: the zone then has no route out)");
    }
    args.allowedDomains.forEach((d, i) => {
        if (!DOMAIN.test(d.trim().toLowerCase().replace(/\.$/, ""))) {
            throw new ConfigError(`${key("allowedDomains")}[${i}]`, `${JSON.stringify(d)} is not allowed; expected a domain name such as api.example.com or *.example.com`);
        }
    });
    const retention = args.logRetentionDays ?? 365;
    if (!RETENTION_DAYS.has(retention)) {
        throw new ConfigError(key("logRetentionDays"), `${retention} is not allowed; expected one of ${[...RETENTION_DAYS].join(", ")}`);
    }
    return domains.sort();
}

/** The firewall endpoint of `subnetId` among a firewall's status (as AWS reports it). Pure. */
export function firewallEndpointId(statuses: aws.types.output.networkfirewall.FirewallFirewallStatus[] | undefined, subnetId: string): string {
    for (const status of statuses ?? []) {
        for (const sync of status.syncStates ?? []) {
            const attachment = (sync.attachments ?? []).find((a) => a.subnetId === subnetId);
            if (attachment?.endpointId) {
                return attachment.endpointId;
            }
        }
    }
    throw new pulumi.RunError(`the firewall reports no endpoint in subnet ${subnetId}`);
}

/**
 * Egress to the internet for named domains only (controls S1, C5; threats T2, T3): AWS Network Firewall in its own
 * subnets with a strict-order policy that passes TLS (SNI) and HTTP (Host) to the allowed domains and drops and
 * logs everything else; a NAT gateway per zone in a public subnet that holds nothing else; an internet gateway; and
 * the routes that make the firewall the only way out and back (workload default route -> firewall endpoint ->
 * NAT -> internet gateway; NAT subnet -> workload subnets through the same endpoint). ALERT and FLOW logs go to
 * KMS-encrypted log groups; the firewall is protected against deletion.
 */
export class EgressFirewall extends pulumi.ComponentResource {
    public readonly firewallArn: pulumi.Output<string>;
    public readonly policyArn: pulumi.Output<string>;
    /** Firewall endpoint id per zone, in `availabilityZones` order. */
    public readonly endpointIds: pulumi.Output<string>[];
    public readonly natGatewayIds: pulumi.Output<string>[];
    public readonly alertLogGroupName: pulumi.Output<string>;
    public readonly flowLogGroupName: pulumi.Output<string>;
    /** The domain list targets (Network Firewall syntax). */
    public readonly targets: string[];

    constructor(name: string, args: EgressFirewallArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const targets = checkEgressFirewallArgs(name, args);
        super("mcpsec:network:EgressFirewall", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("network", `${name}-${suffix}`, args.tags);
        this.targets = targets;
        const retention = args.logRetentionDays ?? 365;

        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: args.vpcId, tags: tags("igw") }, parent);

        // The egress subnets pass only HTTPS from the zone out, and the replies back (the NACL sees the original
        // addresses on both sides of the firewall endpoint and of the NAT gateway). RDP's 3389 stays closed.
        const egressSubnets: aws.ec2.Subnet[] = [];
        const firewallSubnets = args.availabilityZones.map((az, i) => new aws.ec2.Subnet(`${name}-firewall-${i}`, {
            vpcId: args.vpcId, cidrBlock: args.firewallSubnetCidrs[i], availabilityZone: az, mapPublicIpOnLaunch: false,
            tags: { ...tags(`firewall-${i}`), "mcpsec:tier": "firewall" },
        }, parent));
        const publicSubnets = args.availabilityZones.map((az, i) => new aws.ec2.Subnet(`${name}-public-${i}`, {
            vpcId: args.vpcId, cidrBlock: args.publicSubnetCidrs[i], availabilityZone: az, mapPublicIpOnLaunch: false,
            tags: { ...tags(`public-${i}`), "mcpsec:tier": "public" },
        }, parent));
        egressSubnets.push(...firewallSubnets, ...publicSubnets);
        new aws.ec2.NetworkAcl(`${name}-nacl`, {
            vpcId: args.vpcId,
            subnetIds: egressSubnets.map((s) => s.id),
            ingress: [
                { ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: args.vpcCidrBlock, fromPort: 443, toPort: 443 },
                { ruleNo: 110, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 1024, toPort: 3388 },
                { ruleNo: 120, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 3390, toPort: 65535 },
            ],
            egress: [
                { ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 443, toPort: 443 },
                { ruleNo: 110, action: "allow", protocol: "tcp", cidrBlock: args.vpcCidrBlock, fromPort: 1024, toPort: 65535 },
            ],
            tags: tags("nacl"),
        }, parent);

        const ruleGroup = new aws.networkfirewall.RuleGroup(`${name}-domains`, {
            name: `${name}-domains`,
            description: "Domains MCP servers of the zone may reach (their declared egress)",
            type: "STATEFUL",
            capacity: domainListCapacity(targets.length),
            ruleGroup: {
                rulesSource: { rulesSourceList: { generatedRulesType: "ALLOWLIST", targetTypes: ["TLS_SNI", "HTTP_HOST"], targets } },
                statefulRuleOptions: { ruleOrder: "STRICT_ORDER" },
            },
            tags: tags("domains"),
        }, parent);
        const policy = new aws.networkfirewall.FirewallPolicy(`${name}-policy`, {
            name: `${name}-policy`,
            description: "Strict order: the declared domains pass, everything else is dropped and logged",
            firewallPolicy: {
                // Every packet goes to the stateful engine; no stateless rule can pass traffic around it.
                statelessDefaultActions: ["aws:forward_to_sfe"],
                statelessFragmentDefaultActions: ["aws:forward_to_sfe"],
                statefulEngineOptions: { ruleOrder: "STRICT_ORDER", streamExceptionPolicy: "DROP" },
                statefulDefaultActions: EGRESS_STATEFUL_DEFAULT_ACTIONS,
                statefulRuleGroupReferences: [{ priority: 100, resourceArn: ruleGroup.arn }],
            },
            tags: tags("policy"),
        }, parent);
        this.policyArn = policy.arn;
        const firewall = new aws.networkfirewall.Firewall(`${name}-firewall`, {
            name: `${name}-firewall`,
            description: "Egress of the MCP zone: declared domains only",
            vpcId: args.vpcId,
            firewallPolicyArn: policy.arn,
            subnetMappings: firewallSubnets.map((s) => ({ subnetId: s.id })),
            deleteProtection: !(args.allowDeletion ?? false),
            tags: tags("firewall"),
        }, parent);
        this.firewallArn = firewall.arn;

        const logGroup = (kind: string) => new aws.cloudwatch.LogGroup(`${name}-${kind}-logs`, {
            name: `/mcpsec/${name}/firewall-${kind}`,
            retentionInDays: retention,
            kmsKeyId: args.logKmsKeyArn,
            tags: tags(`${kind}-logs`),
        }, parent);
        const alertLogs = logGroup("alert");
        const flowLogs = logGroup("flow");
        this.alertLogGroupName = alertLogs.name;
        this.flowLogGroupName = flowLogs.name;
        // Delivered through CloudWatch Logs vended delivery (resource policy for delivery.logs.amazonaws.com added
        // on the deployer's behalf, as for WAF logs).
        new aws.networkfirewall.LoggingConfiguration(`${name}-logging`, {
            firewallArn: firewall.arn,
            loggingConfiguration: {
                logDestinationConfigs: [
                    { logType: "ALERT", logDestinationType: "CloudWatchLogs", logDestination: { logGroup: alertLogs.name } },
                    { logType: "FLOW", logDestinationType: "CloudWatchLogs", logDestination: { logGroup: flowLogs.name } },
                ],
            },
        }, parent);

        this.endpointIds = firewallSubnets.map((s) => pulumi.all([firewall.firewallStatuses, s.id]).apply(([statuses, id]) => firewallEndpointId(statuses, id)));
        this.natGatewayIds = [];
        args.availabilityZones.forEach((_, i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: tags(`nat-${i}`) }, parent);
            const nat = new aws.ec2.NatGateway(`${name}-nat-${i}`, {
                connectivityType: "public", allocationId: eip.id, subnetId: publicSubnets[i].id, tags: tags(`nat-${i}`),
            }, { parent: this, dependsOn: [igw] });
            this.natGatewayIds.push(nat.id);

            // Firewall subnet: what the firewall passed goes to the NAT gateway of its zone.
            const firewallRt = new aws.ec2.RouteTable(`${name}-firewall-rt-${i}`, { vpcId: args.vpcId, tags: tags(`firewall-rt-${i}`) }, parent);
            new aws.ec2.RouteTableAssociation(`${name}-firewall-${i}`, { subnetId: firewallSubnets[i].id, routeTableId: firewallRt.id }, parent);
            new aws.ec2.Route(`${name}-firewall-${i}-out`, { routeTableId: firewallRt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id }, parent);

            // Public subnet: out to the internet gateway; the replies to the workload subnets served by this zone
            // return through the same firewall endpoint (a route more specific than the VPC's local route), so the
            // stateful engine sees both directions.
            const publicRt = new aws.ec2.RouteTable(`${name}-public-rt-${i}`, { vpcId: args.vpcId, tags: tags(`public-rt-${i}`) }, parent);
            new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: publicSubnets[i].id, routeTableId: publicRt.id }, parent);
            new aws.ec2.Route(`${name}-public-${i}-out`, { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, parent);
            const served = [...new Set(args.routeTables.filter((t) => t.zone === i).flatMap((t) => t.subnetCidrs))];
            served.forEach((cidr, j) => {
                new aws.ec2.Route(`${name}-public-${i}-return-${j}`, { routeTableId: publicRt.id, destinationCidrBlock: cidr, vpcEndpointId: this.endpointIds[i] }, parent);
            });
        });

        // Workload subnets: the default route goes to the firewall endpoint, never straight to NAT or IGW.
        args.routeTables.forEach((t, i) => {
            new aws.ec2.Route(`${name}-workload-${i}-out`, { routeTableId: t.routeTableId, destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: this.endpointIds[t.zone] }, parent);
        });

        this.registerOutputs({ firewallArn: this.firewallArn, policyArn: this.policyArn, endpointIds: this.endpointIds });
    }
}
