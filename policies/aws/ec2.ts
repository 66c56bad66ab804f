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

export const ec2Rules = [vpcFlowLogsEnabled, defaultSecurityGroupClosed, subnetNoPublicIp, networkAclNoAdminIngress];
