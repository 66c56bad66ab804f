import type { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";
import { holdsPublicAddresses } from "./addresses";
import { firewallNotFiltering } from "./network";
import { EC2_DESCRIBE_WITHOUT_RESOURCE } from "../../components/network/endpointPolicies";

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

/** True when an ingress NACL entry admits administrative ports (or everything) from any public address (0.0.0.0/0, its halves, 52.0.0.0/8 ...). */
function opensAdminFromAnywhere(rule: Props): boolean {
    const action = String(rule.action ?? rule.ruleAction ?? "").toLowerCase();
    const source = rule.cidrBlock ?? rule.ipv6CidrBlock;
    if (action !== "allow" || !(source === ANY_V4 || source === ANY_V6 || holdsPublicAddresses(source) === true)) {
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
    description: "Network ACLs must not admit all traffic, or the administrative ports 22 (SSH) and 3389 (RDP), from public addresses: 0.0.0.0/0, ::/0, or any block that holds internet-routable addresses (0.0.0.0/1 + 128.0.0.0/1 is the internet too). Administrative access to MCP hosts goes through audited, MFA-protected paths (SSM, ECS Exec), never the open network.",
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

const ROUTE = "aws:ec2/route:Route";
const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable";
const DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable";
const ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation";
const MAIN_ROUTE_TABLE_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation";
const SUBNET = "aws:ec2/subnet:Subnet";
const INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway";
const NETWORK_FIREWALL = "aws:networkfirewall/firewall:Firewall";

/**
 * True for a block that spans the internet rather than a network: 0.0.0.0/0 and ::/0, and also any IPv4 block wider
 * than a /8 or IPv6 block wider than a /16 (so that 0.0.0.0/1 + 128.0.0.0/1, or 2000::/3, count as what they are).
 */
export function isInternetWide(cidr: unknown): boolean {
    if (typeof cidr !== "string" || !cidr.includes("/")) {
        return false;
    }
    const prefix = Number(cidr.split("/")[1]);
    return cidr.includes(":") ? prefix < 16 : prefix < 8;
}

/** True when `value` (a string, or a list of them) names `to` by id, or `from`'s dependencies on `property` record it. */
function names(from: PolicyResource, property: string, to: PolicyResource, value: unknown): boolean {
    if ((from.propertyDependencies[property] ?? []).some((d) => d.urn === to.urn)) {
        return true;
    }
    const flat = [value].flat(3).filter((v): v is string => typeof v === "string");
    return typeof to.props.id === "string" && flat.includes(to.props.id);
}

/** Every `endpointId` a Network Firewall reports (firewallStatuses[].syncStates[].attachment(s)[].endpointId). */
function firewallEndpointIds(firewall: PolicyResource): string[] {
    const found: string[] = [];
    const walk = (v: unknown): void => {
        if (Array.isArray(v)) {
            v.forEach(walk);
        } else if (v && typeof v === "object") {
            for (const [k, x] of Object.entries(v)) {
                if (k === "endpointId" && typeof x === "string") {
                    found.push(x);
                } else {
                    walk(x);
                }
            }
        }
    };
    walk(firewall.props.firewallStatuses);
    return found;
}

interface RouteView {
    /** Where the route is declared (a Route resource, or the route table holding it inline). */
    owner: PolicyResource;
    table: PolicyResource | undefined;
    destination: string;
    target: string;
    /** The route leaves through an AWS Network Firewall endpoint. */
    viaFirewall: boolean;
    /** The route's target is an internet, NAT, egress-only or carrier gateway. */
    toInternetGateway: boolean;
}

const ROUTE_TARGETS = ["vpcEndpointId", "gatewayId", "natGatewayId", "egressOnlyGatewayId", "carrierGatewayId", "transitGatewayId", "vpcPeeringConnectionId", "networkInterfaceId", "coreNetworkArn", "localGatewayId"];

function routeView(owner: PolicyResource, r: Props, depsKey: (p: string) => string, table: PolicyResource | undefined, resources: PolicyResource[]): RouteView {
    const deps = (p: string) => owner.propertyDependencies[depsKey(p)] ?? [];
    const set = (k: string) => typeof r[k] === "string" && r[k] !== "";
    const destination = String(r.destinationCidrBlock ?? r.cidrBlock ?? r.destinationIpv6CidrBlock ?? r.ipv6CidrBlock ?? r.destinationPrefixListId ?? "?");
    const firewall = set("vpcEndpointId") || deps("vpcEndpointId").length > 0
        ? ofType(resources, NETWORK_FIREWALL).find((f) => firewallEndpointIds(f).includes(r.vpcEndpointId) || deps("vpcEndpointId").some((d) => d.urn === f.urn))
        : undefined;
    // A firewall filters only when its policy is in the stack and is a strict domain allowlist.
    const notFiltering = firewall ? firewallNotFiltering(firewall, resources) : undefined;
    const viaFirewall = firewall !== undefined && notFiltering === undefined;
    const gateway = set("gatewayId") ? String(r.gatewayId) : "";
    const toIgw = gateway.startsWith("igw-")
        || ofType(resources, INTERNET_GATEWAY).some((g) => (gateway !== "" && g.props.id === gateway) || deps("gatewayId").some((d) => d.urn === g.urn));
    const toInternetGateway = toIgw || ["natGatewayId", "egressOnlyGatewayId", "carrierGatewayId"].some(set);
    const named = ROUTE_TARGETS.filter(set).map((k) => `${k} ${r[k]}`).join(", ") || "an unknown target";
    const target = firewall && notFiltering ? `${named}, through firewall ${firewall.name} ${notFiltering}` : named;
    return { owner, table, destination, target, viaFirewall, toInternetGateway };
}

/** Every route of the stack: Route resources and the inline routes of route tables and default route tables. */
function allRoutes(resources: PolicyResource[]): RouteView[] {
    const tables = [...ofType(resources, ROUTE_TABLE), ...ofType(resources, DEFAULT_ROUTE_TABLE)];
    const views: RouteView[] = [];
    for (const route of ofType(resources, ROUTE)) {
        views.push(routeView(route, route.props, (p) => p, tables.find((t) => refersTo(route, "routeTableId", t)), resources));
    }
    for (const table of tables) {
        for (const r of (table.props.routes ?? []) as Props[]) {
            views.push(routeView(table, r, () => "routes", table, resources));
        }
    }
    return views;
}

/** True when a route sends traffic to the internet other than through the egress firewall. */
function leavesUnfiltered(r: RouteView): boolean {
    return r.toInternetGateway || (isInternetWide(r.destination) && !r.viaFirewall);
}

/** VPCs with a route table whose default route leaves through an AWS Network Firewall endpoint. */
function firewalledVpcs(resources: PolicyResource[]): PolicyResource[] {
    const viaFirewall = allRoutes(resources).filter((r) => r.viaFirewall && isInternetWide(r.destination) && r.table !== undefined);
    return ofType(resources, VPC).filter((vpc) => viaFirewall.some((r) => refersTo(r.table!, "vpcId", vpc)));
}

interface SgEntry {
    direction: "ingress" | "egress";
    cidrs: string[];
    /** Prefix lists the entry names as its peer: the id, and whether the list is one the stack can vouch for. */
    prefixLists: { id: string; known: boolean }[];
    ports: string;
    /** The security group the entry belongs to, when it is in the stack. */
    group: PolicyResource | undefined;
    owner: PolicyResource;
}

function portsOf(e: Props): string {
    const protocol = String(e.ipProtocol ?? e.protocol ?? "?");
    return protocol === "-1" || protocol === "all" ? "all traffic" : `${protocol} ${e.fromPort ?? "?"}-${e.toPort ?? "?"}`;
}

const VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const MANAGED_PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList";

/**
 * The prefix lists an entry names, each judged: known when it is the AWS service prefix list of a gateway endpoint in
 * the stack, or a managed prefix list of the stack whose entries hold no public address. Any other list (a lookup, a
 * shared list) can hold anything, so it is not known.
 */
function prefixListsOf(owner: PolicyResource, e: Props, depsKey: string[], resources: PolicyResource[]): SgEntry["prefixLists"] {
    const ids = [e.prefixListId, ...(Array.isArray(e.prefixListIds) ? e.prefixListIds : [])].filter((v): v is string => typeof v === "string" && v !== "");
    if (ids.length === 0) {
        return [];
    }
    const deps = new Set(depsKey.flatMap((k) => owner.propertyDependencies[k] ?? []).map((d) => d.urn));
    const gateways = ofType(resources, VPC_ENDPOINT).filter((g) => g.props.vpcEndpointType === "Gateway");
    const privateLists = ofType(resources, MANAGED_PREFIX_LIST).filter((l) => ((l.props.entries ?? []) as Props[]).every((x) => holdsPublicAddresses(x.cidr) === false));
    const vouched = [...gateways, ...privateLists];
    const byDependency = vouched.filter((r) => deps.has(r.urn));
    return ids.map((id) => ({
        id,
        known: vouched.some((r) => r.props.prefixListId === id || r.props.id === id) || (byDependency.length > 0 && ![...ofType(resources, MANAGED_PREFIX_LIST), ...ofType(resources, VPC_ENDPOINT)].some((r) => deps.has(r.urn) && !byDependency.includes(r))),
    }));
}

/** Every security group rule of the stack, inline or separate, with the group it belongs to. */
function securityGroupEntries(resources: PolicyResource[]): SgEntry[] {
    const groups = ofType(resources, SECURITY_GROUP);
    const separate = resources.filter((r) => r.type in SG_RULE_TYPES);
    const directionOf = (r: PolicyResource) => (SG_RULE_TYPES[r.type] ?? (r.props.type === "egress" ? "egress" : "ingress"));
    const entries: SgEntry[] = [];
    for (const r of separate) {
        const cidrs = [r.props.cidrIpv4, r.props.cidrIpv6, ...(r.props.cidrBlocks ?? []), ...(r.props.ipv6CidrBlocks ?? [])].filter((c): c is string => typeof c === "string");
        const prefixLists = prefixListsOf(r, r.props, ["prefixListId", "prefixListIds"], resources);
        entries.push({ direction: directionOf(r), cidrs, prefixLists, ports: portsOf(r.props), group: groups.find((g) => refersTo(r, "securityGroupId", g)), owner: r });
    }
    for (const g of groups) {
        for (const direction of ["ingress", "egress"] as const) {
            // An inline list beside separate rules of the same direction only mirrors them (read back after a deployment).
            if (separate.some((r) => directionOf(r) === direction && refersTo(r, "securityGroupId", g))) {
                continue;
            }
            for (const e of (g.props[direction] ?? []) as Props[]) {
                entries.push({ direction, cidrs: [...(e.cidrBlocks ?? []), ...(e.ipv6CidrBlocks ?? [])], prefixLists: prefixListsOf(g, e, [direction], resources), ports: portsOf(e), group: g, owner: g });
            }
        }
    }
    return entries;
}

/** A list of blocks for a message: the first five, then how many more. */
function listed(blocks: string[]): string {
    return blocks.length <= 5 ? blocks.join(", ") : `${blocks.slice(0, 5).join(", ")} and ${blocks.length - 5} more`;
}

export const securityGroupNoInternetRule = stackRule({
    name: "aws-ec2-security-group-no-internet-rule",
    description: "No security group rule may admit traffic from public (internet-routable) addresses: any block outside the private, carrier-grade NAT and reserved ranges (so 0.0.0.0/0, its halves, and 3.0.0.0/8 or 52.0.0.0/8 alike), whether written inline in the group or as a separate rule resource; and a prefix list is a peer only when it is the AWS service prefix list of a gateway endpoint in the stack, or a managed prefix list of the stack with private entries only. Egress to public addresses is allowed only in a VPC whose default route leaves through an AWS Network Firewall whose policy is in the stack and passes aws-networkfirewall-policy-strict-allowlist; anywhere else an open egress rule is a ready-made exfiltration path for a compromised MCP server.",
    severity: "high",
    controls: ["S1", "H2"],
    nist: ["SC-7", "SC-7(5)", "SC-7(10)", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3", "T4"],
    remediation: "Name the private networks a security group admits (mcpsec:edge.allowedCidrs for the entry point; the zone's CIDR or a security group reference inside it). For egress, reference the VPC endpoints' security group or the S3 gateway endpoint's prefix list; internet egress exists only when a server declares egress domains (mcpsec:servers[].egress), which routes the zone through the EgressFirewall component and its domain-allowlist policy.",
}, (resources, _args, report) => {
    const firewalled = firewalledVpcs(resources);
    for (const e of securityGroupEntries(resources)) {
        const where = e.group ? `security group ${e.group.name}` : "a security group";
        for (const list of e.prefixLists.filter((l) => !l.known)) {
            report(`${where} ${e.direction === "ingress" ? "admits" : "lets"} ${e.ports} ${e.direction === "ingress" ? "from" : "out to"} prefix list ${list.id}, which is not the prefix list of a gateway endpoint in the stack (or a managed prefix list of the stack with private entries only), so what it admits cannot be judged (${e.owner.name}).`, e.owner.urn);
        }
        const open = e.cidrs.filter((c) => holdsPublicAddresses(c) === true);
        if (open.length === 0) {
            continue;
        }
        if (e.direction === "ingress") {
            report(`${where} admits ${e.ports} from ${listed(open)} (${e.owner.name}): public address space, i.e. the internet.`, e.owner.urn);
        } else if (!e.group || !firewalled.some((vpc) => refersTo(e.group!, "vpcId", vpc))) {
            report(`${where} lets ${e.ports} out to ${listed(open)} (${e.owner.name}), and its VPC's default route does not leave through a Network Firewall whose policy filters by domain.`, e.owner.urn);
        }
    }
});

/** Subnets that run MCP workloads: those of ECS services, EKS clusters and node groups. */
function workloadSubnets(resources: PolicyResource[]): PolicyResource[] {
    const users: [PolicyResource, string, unknown][] = [
        ...ofType(resources, "aws:ecs/service:Service").map((s): [PolicyResource, string, unknown] => [s, "networkConfiguration", (s.props.networkConfiguration as Props | undefined)?.subnets]),
        ...ofType(resources, "aws:eks/nodeGroup:NodeGroup").map((n): [PolicyResource, string, unknown] => [n, "subnetIds", n.props.subnetIds]),
        ...ofType(resources, "aws:eks/cluster:Cluster").map((c): [PolicyResource, string, unknown] => [c, "vpcConfig", (c.props.vpcConfig as Props | undefined)?.subnetIds]),
    ];
    return ofType(resources, SUBNET).filter((s) => users.some(([u, prop, value]) => names(u, prop, s, value)));
}

export const workloadSubnetNoInternetRoute = stackRule({
    name: "aws-ec2-workload-subnet-no-internet-route",
    description: "Route tables of subnets that run MCP workloads (ECS services, EKS clusters and node groups) must not route to the internet: no route to an internet, NAT, egress-only or carrier gateway, and no default or internet-wide route other than to the endpoint of an AWS Network Firewall whose policy is in the stack and passes aws-networkfirewall-policy-strict-allowlist (a firewall with a policy from outside the stack, or one that passes everything, filters nothing the check can see). A subnet without an explicit association is judged by its VPC's main route table: the one an aws.ec2.MainRouteTableAssociation names, else the default route table.",
    severity: "critical",
    controls: ["S1", "P1"],
    nist: ["SC-7", "SC-7(5)", "SC-7(10)", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Run MCP servers in the SegmentedVpc component's private subnets, which have no route out; when servers declare egress domains (mcpsec:servers[].egress), the SecurityZone sends the default route to the EgressFirewall component's endpoint, never straight to a NAT or internet gateway.",
}, (resources, _args, report) => {
    const routes = allRoutes(resources);
    const associations = ofType(resources, ROUTE_TABLE_ASSOCIATION);
    const tables = [...ofType(resources, ROUTE_TABLE), ...ofType(resources, DEFAULT_ROUTE_TABLE)];
    for (const subnet of workloadSubnets(resources)) {
        const explicit = associations.filter((a) => refersTo(a, "subnetId", subnet))
            .map((a) => tables.find((t) => refersTo(a, "routeTableId", t)))
            .filter((t): t is PolicyResource => t !== undefined);
        const vpc = ofType(resources, VPC).find((v) => refersTo(subnet, "vpcId", v));
        // The main table: a MainRouteTableAssociation replaces the VPC's default route table as main.
        const swapped = ofType(resources, MAIN_ROUTE_TABLE_ASSOCIATION).filter((a) => vpc !== undefined && refersTo(a, "vpcId", vpc))
            .map((a) => tables.find((t) => refersTo(a, "routeTableId", t)) ?? a);
        const main = swapped.length > 0 ? swapped : ofType(resources, DEFAULT_ROUTE_TABLE).filter((t) => vpc !== undefined && (refersTo(t, "defaultRouteTableId", vpc, ["defaultRouteTableId"]) || refersTo(t, "vpcId", vpc)));
        for (const unknown of main.filter((t) => t.type === MAIN_ROUTE_TABLE_ASSOCIATION)) {
            report(`Subnet ${subnet.name} runs MCP workloads with no explicit route table, and ${unknown.name} makes a route table outside the stack (${unknown.props.routeTableId}) its VPC's main table; its routes cannot be judged.`, unknown.urn);
        }
        for (const table of explicit.length > 0 ? explicit : main) {
            for (const r of routes.filter((x) => x.table?.urn === table.urn && leavesUnfiltered(x))) {
                report(`Subnet ${subnet.name} runs MCP workloads and its route table ${table.name} sends ${r.destination} to ${r.target}${r.toInternetGateway ? "" : ", not through a Network Firewall endpoint"}.`, r.owner.urn);
            }
        }
    }
});

/** Condition keys that pin the calling principal, and the resource's owner, to one account or organization. */
const PRINCIPAL_ACCOUNT_KEYS = new Set(["aws:principalaccount"]);
const PRINCIPAL_ORG_KEYS = new Set(["aws:principalorgid", "aws:principalorgpaths"]);
const PRINCIPAL_ARN_KEYS = new Set(["aws:principalarn"]);
const RESOURCE_ACCOUNT_KEYS = new Set(["aws:resourceaccount"]);
const RESOURCE_ORG_KEYS = new Set(["aws:resourceorgid", "aws:resourceorgpaths"]);
/** Operators that compare exactly; StringLike/ArnLike pin only when the values hold no wildcard. No IfExists, no set operators. */
const EXACT_OPERATORS = new Set(["stringequals", "stringequalsignorecase", "arnequals"]);
const LIKE_OPERATORS = new Set(["stringlike", "arnlike"]);

/** The exact values a condition gives `keys` (each key of the set, under an exact operator), or undefined when none does. */
function pinnedValues(condition: unknown, keys: Set<string>): string[] | undefined {
    if (!condition || typeof condition !== "object") {
        return undefined;
    }
    let found: string[] | undefined;
    for (const [op, block] of Object.entries(condition as Record<string, unknown>)) {
        const operator = op.toLowerCase();
        if (!(EXACT_OPERATORS.has(operator) || LIKE_OPERATORS.has(operator)) || block === null || typeof block !== "object") {
            continue;
        }
        for (const [k, v] of Object.entries(block as Record<string, unknown>)) {
            const values = [v].flat();
            const exact = values.length > 0 && values.every((x) => typeof x === "string" && x !== "" && !(LIKE_OPERATORS.has(operator) && /[*?]/.test(x)));
            if (keys.has(k.toLowerCase()) && exact) {
                found = [...(found ?? []), ...(values as string[])];
            }
        }
    }
    return found;
}

/** The account of an ARN or of a bare 12-digit account id; undefined for anything else. */
function accountOf(value: string): string | undefined {
    if (/^\d{12}$/.test(value)) {
        return value;
    }
    const parts = value.split(":");
    return parts[0] === "arn" && /^\d{12}$/.test(parts[4] ?? "") ? parts[4] : undefined;
}

/** The AWS principals a statement names (undefined when it names anyone: "*", a missing Principal, or "*" in the AWS list). */
function namedPrincipals(principal: unknown): string[] | undefined {
    if (principal === undefined || principal === "*" || principal === null || typeof principal !== "object") {
        return undefined;
    }
    const values = Object.values(principal as Record<string, unknown>).flatMap((v) => [v].flat());
    return values.length === 0 || values.some((v) => typeof v !== "string" || v.includes("*")) ? undefined : (values as string[]);
}

/**
 * A resource of an AWS-owned account that tasks may READ through an endpoint without a principal condition: the ECR
 * image layer bucket of a region (pre-signed URLs signed by ECR, not by the caller) and the GuardDuty Fargate agent
 * repository. Only read actions; never a write to anything.
 */
const AWS_OWNED_READ: { resource: RegExp; actions: Set<string> }[] = [
    { resource: /^arn:aws[a-z-]*:s3:::prod-[a-z0-9-]+-starport-layer-bucket\/\*$/, actions: new Set(["s3:getobject"]) },
    { resource: /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/aws-guardduty-agent-fargate$/, actions: new Set(["ecr:batchgetimage", "ecr:getdownloadurlforlayer", "ecr:batchchecklayeravailability"]) },
];

function awsOwnedRead(actions: unknown[], resources: unknown[]): boolean {
    return resources.length > 0 && resources.every((r) => typeof r === "string" && AWS_OWNED_READ.some((o) => o.resource.test(r)
        && actions.every((a) => typeof a === "string" && o.actions.has(a.toLowerCase()))));
}

/** A resource ARN that names one resource (or objects under one bucket), with no wildcard in its account or name. */
function namesOneResource(arn: unknown): boolean {
    if (typeof arn !== "string" || !arn.startsWith("arn:")) {
        return false;
    }
    const parts = arn.split(":");
    const head = parts.slice(0, 5).join(":");
    const resource = parts.slice(5).join(":").split("/")[0];
    return parts.length >= 6 && !/[*?]/.test(head) && resource !== "" && !/[*?]/.test(resource);
}

/** Read actions (Get, BatchGet, List, Describe, Head, BatchCheck...): the only ones allowed on named resources outside the account. */
const READ_ACTION = /^[a-z0-9-]+:(Get|BatchGet|List|Describe|Head|BatchCheck)[A-Za-z0-9]*$/i;

/** Actions that name no resource (AWS: wildcard-only), so no resource-account condition can apply to them. */
const NO_RESOURCE_ACTIONS = new Set(["ecr:getauthorizationtoken", "guardduty:sendsecuritytelemetry", "sts:getcalleridentity", ...EC2_DESCRIBE_WITHOUT_RESOURCE.map((a) => a.toLowerCase())]);

/**
 * AssumeRoleWithWebIdentity (IRSA) carries a service account token, not AWS credentials, so no principal can be pinned;
 * it is admitted when it reaches only roles of the endpoint's own account (exact account; the role name or path may
 * end in *): the roles' trust policies decide which tokens they accept, and nothing leaves the account.
 */
function webIdentityToOwnRoles(actions: unknown[], resources: unknown[], account: string | undefined): boolean {
    return account !== undefined && actions.length > 0 && actions.every((a) => typeof a === "string" && a.toLowerCase() === "sts:assumerolewithwebidentity")
        && resources.length > 0 && resources.every((r) => typeof r === "string" && new RegExp(`^arn:aws[a-z-]*:iam::${account}:role/[A-Za-z0-9+=,.@_/-]*\\*?$`).test(r));
}

export const vpcEndpointPolicyRestricted = resourceRule({
    name: "aws-ec2-vpc-endpoint-policy-restricted",
    description: "Every VPC endpoint to an AWS service must carry a policy whose Allow statements admit only this account's (or organization's) principals to this account's (or organization's) resources: the principal is pinned by an exact aws:PrincipalAccount, aws:PrincipalOrgID or aws:PrincipalArn condition, or named (in one account, the endpoint's), AND the resource is pinned by an exact aws:ResourceAccount or aws:ResourceOrgID condition or named ARN by ARN (a named repository of a central image account, for example). Without a principal pin, a statement may only READ the AWS-owned resources a Fargate task needs (the region's ECR layer bucket, the GuardDuty agent repository), or assume roles of the endpoint's own account with a web identity (IRSA, whose caller holds a service account token, not AWS credentials). Actions AWS defines without resources (EC2 Describe calls of EKS nodes, ecr:GetAuthorizationToken) need no resource pin. StringLike/ArnLike values with * or ?, IfExists operators and exclusions (NotPrincipal, NotAction, NotResource) pin nothing. Without this, a compromised MCP server can use another account's credentials through the zone's endpoints, or write the data it holds to a bucket of another account.",
    severity: "high",
    controls: ["S1"],
    nist: ["AC-4", "SC-7", "SC-7(10)"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Build the endpoints with the SegmentedVpc component, which gives every interface and gateway endpoint a policy limited to this account's principals and resources (components/network/endpointPolicies.ts); for an endpoint of your own, give each Allow statement StringEquals conditions on both aws:PrincipalAccount and aws:ResourceAccount (or the organization keys), or name the resources it may reach.",
}, ["aws:ec2/vpcEndpoint:VpcEndpoint"], (props, _args, report) => {
    const service = String(props.serviceName ?? "");
    // Gateway Load Balancer endpoints and endpoints to partner services do not support endpoint policies.
    if (props.vpcEndpointType === "GatewayLoadBalancer" || (service !== "" && !/^(cn\.)?com\.amazonaws\./.test(service))) {
        return;
    }
    if (typeof props.policy !== "string" || props.policy.trim() === "") {
        report(`the endpoint to ${service || "an AWS service"} has no policy, so AWS attaches one that allows every principal full access.`);
        return;
    }
    let statements: Props[];
    try {
        statements = [(JSON.parse(props.policy) as { Statement?: Props | Props[] }).Statement ?? []].flat();
    } catch {
        report("the endpoint policy is not valid JSON.");
        return;
    }
    const allows = statements.filter((st) => st.Effect === "Allow");
    // The endpoint's account: its owner when known (after deployment), else the one account the policy's pins name.
    // The endpoint's account: its owner when known (after deployment), else the one account the principal pins name.
    const conditionAccounts = new Set(allows.flatMap((st) => pinnedValues(st.Condition, PRINCIPAL_ACCOUNT_KEYS) ?? []));
    const principalAccounts = new Set(allows.flatMap((st) => (namedPrincipals(st.Principal) ?? []).map((p) => accountOf(p) ?? p)));
    const one = (set: Set<string>) => (set.size === 1 ? [...set][0] : undefined);
    const account = typeof props.ownerId === "string" && /^\d{12}$/.test(props.ownerId) ? props.ownerId
        : conditionAccounts.size > 0 ? one(conditionAccounts) : one(principalAccounts);
    if (account === undefined && conditionAccounts.size > 1) {
        report(`the policy admits principals of more than one account (${[...conditionAccounts].join(", ")}); only the endpoint's own account belongs.`);
    } else if (account !== undefined && [...conditionAccounts].some((a) => a !== account)) {
        report(`the policy admits principals of account(s) ${[...conditionAccounts].filter((a) => a !== account).join(", ")}; only the endpoint's own account ${account} belongs.`);
    }
    allows.forEach((st, i) => {
        const label = st.Sid ?? `#${i}`;
        if (st.NotPrincipal !== undefined || st.NotAction !== undefined || st.NotResource !== undefined) {
            report(`statement ${label} allows by exclusion (NotPrincipal, NotAction or NotResource).`);
            return;
        }
        const actions = [st.Action].flat();
        const resources = [st.Resource].flat();
        const named = namedPrincipals(st.Principal);
        const foreign = [...new Set((named ?? []).map((p) => accountOf(p) ?? "an unknown account"))].filter((a) => a !== account);
        if (named !== undefined && foreign.length > 0) {
            report(`statement ${label} names principal(s) of account ${foreign.join(", ")}, not ${account ?? "one account the policy pins"}.`);
            return;
        }
        const principalPinned = named !== undefined || pinnedValues(st.Condition, PRINCIPAL_ACCOUNT_KEYS) !== undefined
            || pinnedValues(st.Condition, PRINCIPAL_ORG_KEYS) !== undefined
            || (pinnedValues(st.Condition, PRINCIPAL_ARN_KEYS) ?? [""]).every((arn) => accountOf(arn) !== undefined && accountOf(arn) === account);
        if (!principalPinned) {
            if (!awsOwnedRead(actions, resources) && !webIdentityToOwnRoles(actions, resources, account)) {
                report(`statement ${label} admits any principal to ${JSON.stringify(st.Action)} on ${JSON.stringify(st.Resource)}: no exact aws:PrincipalAccount, aws:PrincipalOrgID or aws:PrincipalArn condition, and not a read of an AWS-owned resource (ECR layer bucket, GuardDuty agent repository).`);
            }
            return;
        }
        const resourceAccounts = pinnedValues(st.Condition, RESOURCE_ACCOUNT_KEYS);
        const ownResources = (resourceAccounts !== undefined && resourceAccounts.every((a) => a === account))
            || pinnedValues(st.Condition, RESOURCE_ORG_KEYS) !== undefined
            || (account !== undefined && resources.length > 0 && resources.every((r) => namesOneResource(r) && accountOf(String(r)) === account))
            || (actions.length > 0 && actions.every((a) => typeof a === "string" && NO_RESOURCE_ACTIONS.has(a.toLowerCase())))
            // The GuardDuty data endpoint serves only the runtime agent's telemetry, which names no resource of any account.
            || /\.guardduty-data$/.test(service);
        if (ownResources) {
            return;
        }
        // Outside the account, only reads of named resources (or of a named account): images of a central registry come
        // in; nothing the zone holds goes out.
        const reads = actions.length > 0 && actions.every((a) => typeof a === "string" && READ_ACTION.test(a));
        const namesResources = resourceAccounts !== undefined || (resources.length > 0 && resources.every(namesOneResource));
        if (!namesResources) {
            report(`statement ${label} pins no resource account: ${JSON.stringify(st.Action)} on ${JSON.stringify(st.Resource)} reaches other accounts' resources (add an exact aws:ResourceAccount or aws:ResourceOrgID condition for the endpoint's account).`);
        } else if (!reads) {
            report(`statement ${label} lets ${JSON.stringify(st.Action)} reach ${resourceAccounts ? `account(s) ${resourceAccounts.join(", ")}` : JSON.stringify(st.Resource)} outside the endpoint's account: only reads may leave the account's resources, never writes.`);
        }
    });
});

export const ec2Rules = [vpcFlowLogsEnabled, defaultSecurityGroupClosed, subnetNoPublicIp, networkAclNoAdminIngress, securityGroupNoMixedRules, securityGroupNoInternetRule, workloadSubnetNoInternetRoute, vpcEndpointPolicyRestricted];
