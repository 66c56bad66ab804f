import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";

const VPC = "aws:ec2/vpc:Vpc";
const FLOW_LOG = "aws:ec2/flowLog:FlowLog";
const DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup";

export const vpcFlowLogsEnabled = stackRule({
    name: "aws-ec2-vpc-flow-logs-enabled",
    description: "Every VPC must have a flow log that records ALL traffic (accepted and rejected). Flow logs are the record of who talked to an MCP server and where it tried to send data; without them exfiltration and command-and-control traffic leave no trace.",
    severity: "high",
    controls: ["S1", "O1"],
    nist: ["AU-2", "AU-12", "SI-4"],
    maestro: ["L4", "L5"],
    threats: ["T2", "T3"],
    remediation: "Build the VPC with the SegmentedVpc component (components/network), which always attaches a flow log with trafficType ALL; for a VPC of your own, add an aws.ec2.FlowLog with trafficType \"ALL\" and vpcId set to it.",
}, (resources, _args, report) => {
    const flowLogs = ofType(resources, FLOW_LOG);
    for (const vpc of ofType(resources, VPC)) {
        const logs = flowLogs.filter((fl) => refersTo(fl, "vpcId", vpc));
        if (logs.length === 0) {
            report(`VPC ${vpc.name} has no flow log.`, vpc.urn);
        } else if (!logs.some((fl) => fl.props.trafficType === "ALL")) {
            report(`VPC ${vpc.name} has flow logs only for ${logs.map((fl) => fl.props.trafficType).join(", ")} traffic; record ALL.`, vpc.urn);
        }
    }
});

export const defaultSecurityGroupClosed = stackRule({
    name: "aws-ec2-default-security-group-closed",
    description: "The default security group of every VPC must be managed and have no rules. AWS creates it allowing all traffic between its members and all egress; anything launched without an explicit group would silently join it.",
    severity: "high",
    controls: ["S1", "H2"],
    nist: ["SC-7", "AC-4", "CM-7"],
    maestro: ["L4"],
    threats: ["T2", "T6"],
    remediation: "Build the VPC with the SegmentedVpc component, which takes over the default security group and leaves it empty; for a VPC of your own, add an aws.ec2.DefaultSecurityGroup for it with ingress: [] and egress: [].",
}, (resources, _args, report) => {
    const defaults = ofType(resources, DEFAULT_SG);
    for (const sg of defaults) {
        const ingress = (sg.props.ingress ?? []) as unknown[];
        const egress = (sg.props.egress ?? []) as unknown[];
        if (ingress.length > 0 || egress.length > 0) {
            report(`The default security group ${sg.name} has ${ingress.length} ingress and ${egress.length} egress rules; it must have none.`, sg.urn);
        }
    }
    for (const vpc of ofType(resources, VPC)) {
        if (!defaults.some((sg) => refersTo(sg, "vpcId", vpc))) {
            report(`The default security group of VPC ${vpc.name} is not managed, so it keeps AWS's allow rules.`, vpc.urn);
        }
    }
});

export const subnetNoPublicIp = resourceRule({
    name: "aws-ec2-subnet-no-public-ip",
    description: "Subnets must not give public IP addresses to the network interfaces launched in them. An MCP server with a public address can be reached around the gateway and WAF, and can reach the internet directly.",
    severity: "high",
    controls: ["S1", "H2"],
    nist: ["SC-7", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3", "T4"],
    remediation: "Leave mcpsec:network.allowPublicIpOnLaunch unset or false (SegmentedVpc argument allowPublicIpOnLaunch); expose servers only through the pattern's entry point.",
}, ["aws:ec2/subnet:Subnet"], (props, _args, report) => {
    if (props.mapPublicIpOnLaunch === true) {
        report("mapPublicIpOnLaunch is true: instances in this subnet get public IP addresses.");
    }
    if (props.assignIpv6AddressOnCreation === true && props.enableDns64 !== true) {
        report("assignIpv6AddressOnCreation is true: instances get globally routable IPv6 addresses.");
    }
});

const ANY_V4 = "0.0.0.0/0";
const ANY_V6 = "::/0";
const ADMIN_PORTS = [22, 3389];

/** True when an ingress NACL entry admits administrative ports (or everything) from anywhere. */
function opensAdminFromAnywhere(rule: Props): boolean {
    const action = String(rule.action ?? rule.ruleAction ?? "").toLowerCase();
    const source = rule.cidrBlock ?? rule.ipv6CidrBlock;
    if (action !== "allow" || (source !== ANY_V4 && source !== ANY_V6)) {
        return false;
    }
    const protocol = String(rule.protocol ?? "").toLowerCase();
    if (protocol === "-1" || protocol === "all") {
        return true;
    }
    if (protocol !== "tcp" && protocol !== "6" && protocol !== "udp" && protocol !== "17") {
        return false;
    }
    const from = Number(rule.fromPort ?? 0);
    const to = Number(rule.toPort ?? 65535);
    return ADMIN_PORTS.some((p) => (from === 0 && to === 0) || (from <= p && p <= to));
}

export const networkAclNoAdminIngress = resourceRule({
    name: "aws-ec2-network-acl-no-admin-ingress-from-internet",
    description: "Network ACLs must not admit all traffic, or the administrative ports 22 (SSH) and 3389 (RDP), from 0.0.0.0/0 or ::/0. Administrative access to MCP hosts goes through audited, MFA-protected paths (SSM, ECS Exec), never the open network.",
    severity: "high",
    controls: ["S1", "H2"],
    nist: ["SC-7", "CM-7", "AC-17"],
    maestro: ["L4"],
    threats: ["T4", "T6"],
    remediation: "Use the SegmentedVpc component's NACL, which admits from anywhere only TCP return traffic on ephemeral ports other than 3389; narrow your own entries to the zone's CIDR or to ports the service needs.",
}, ["aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", "aws:ec2/networkAclRule:NetworkAclRule"], (props, args, report) => {
    const entries: Props[] = args.type === "aws:ec2/networkAclRule:NetworkAclRule"
        ? (props.egress === true ? [] : [props])
        : ((props.ingress ?? []) as Props[]);
    for (const entry of entries) {
        if (opensAdminFromAnywhere(entry)) {
            report(`Rule ${entry.ruleNo ?? entry.ruleNumber ?? "?"} allows ${entry.protocol} ports ${entry.fromPort ?? 0}-${entry.toPort ?? 0} from ${entry.cidrBlock ?? entry.ipv6CidrBlock}.`);
        }
    }
});

const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULE_TYPES: Record<string, "ingress" | "egress" | undefined> = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "ingress",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "egress",
    "aws:ec2/securityGroupRule:SecurityGroupRule": undefined,
};

/** One rule of a security group as `direction|protocol|from|to|peer` strings, whatever resource shape declared it. */
function ruleAtoms(direction: string, r: Props): string[] {
    const proto = String(r.ipProtocol ?? r.protocol ?? "").toLowerCase();
    const protocol = proto === "-1" || proto === "all" ? "-1" : proto === "6" ? "tcp" : proto === "17" ? "udp" : proto;
    const ports = protocol === "-1" ? "*|*" : `${r.fromPort ?? "*"}|${r.toPort ?? "*"}`;
    const peers = [
        ...[r.cidrIpv4, r.cidrIpv6, r.prefixListId, r.referencedSecurityGroupId, r.sourceSecurityGroupId].filter((v) => typeof v === "string"),
        ...["cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroups"].flatMap((k) => (Array.isArray(r[k]) ? (r[k] as string[]) : [])),
        ...(r.self === true ? ["self"] : []),
    ];
    return peers.map((peer) => `${direction}|${protocol}|${ports}|${peer}`);
}

export const securityGroupNoMixedRules = stackRule({
    name: "aws-ec2-security-group-no-mixed-rules",
    description: "A security group must be managed either by its inline ingress/egress lists or by separate rule resources (aws.vpc.SecurityGroupIngressRule/EgressRule, aws.ec2.SecurityGroupRule), never both. With both, the provider overwrites one set with the other on every update: an inline `egress: []` deletes the egress rules the separate resources created (tasks lose their endpoints), and inline rules reappear after separate ones were removed. Flagged: a group with separate rules of a direction whose own list for that direction is empty, or holds rules no separate resource declares. A list that only mirrors the separate rules (what the provider reads back after a deployment) passes.",
    severity: "medium",
    controls: ["S1", "H2"],
    nist: ["SC-7", "CM-6"],
    maestro: ["L4"],
    threats: ["T2", "T6"],
    remediation: "Leave ingress and egress unset on the aws.ec2.SecurityGroup and declare every rule as an aws.vpc.SecurityGroupIngressRule/EgressRule, as McpService does; or keep all rules inline and drop the separate rule resources.",
}, (resources, _args, report) => {
    for (const sg of ofType(resources, SECURITY_GROUP)) {
        const separate = resources.filter((r) => r.type in SG_RULE_TYPES && refersTo(r, "securityGroupId", sg));
        for (const direction of ["ingress", "egress"] as const) {
            const inline = sg.props[direction];
            const mine = separate.filter((r) => (SG_RULE_TYPES[r.type] ?? r.props.type) === direction);
            if (!Array.isArray(inline) || mine.length === 0) {
                continue;
            }
            const declared = new Set(mine.flatMap((r) => ruleAtoms(direction, r.props)));
            const extra = (inline as Props[]).flatMap((r) => ruleAtoms(direction, r)).filter((a) => !declared.has(a));
            if (inline.length === 0) {
                report(`Security group ${sg.name} sets ${direction}: [] inline and has ${mine.length} separate ${direction} rule resource(s) (${mine.map((r) => r.name).join(", ")}); the provider removes their rules.`, sg.urn);
            } else if (extra.length > 0) {
                report(`Security group ${sg.name} has inline ${direction} rules (${extra.join("; ")}) besides separate ${direction} rule resources (${mine.map((r) => r.name).join(", ")}); the provider overwrites one set with the other.`, sg.urn);
            }
        }
    }
});

export const ec2Rules = [vpcFlowLogsEnabled, defaultSecurityGroupClosed, subnetNoPublicIp, networkAclNoAdminIngress, securityGroupNoMixedRules];
