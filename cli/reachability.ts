/**
 * Network reachability over a synthesized resource graph (`cli/graph.ts`): an independent model of what AWS would
 * let through once the graph is deployed, used to prove the flows a pattern needs and the flows it must not have.
 *
 * What it models (IPv4, TCP and the "all protocols" rules; ICMP and IPv6 are out of scope):
 * - security groups: inline `ingress`/`egress`, `aws:vpc/securityGroupIngressRule` / `EgressRule`,
 *   `aws:ec2/securityGroupRule`; CIDR, referenced security group, `self` and prefix-list sources; stateful (the
 *   reply of an admitted connection always passes). A security group created by the provider has no egress rule
 *   unless one is declared (the provider removes AWS's default allow-all egress).
 * - network ACLs: inline rules and `aws:ec2/networkAclRule`, ordered by rule number, first match wins, implicit
 *   deny; stateless, so the reply of every connection is checked separately against the client's ephemeral ports;
 *   not evaluated between two interfaces of the same subnet; the default ACL of the VPC applies to subnets without
 *   an explicit one (allow-all unless a `DefaultNetworkAcl` resource manages it).
 * - route tables: the local route, routes to internet, NAT and transit gateways, VPN gateways, peering, VPC
 *   endpoints (gateway endpoints' prefix lists, AWS Network Firewall endpoints), longest prefix first; explicit
 *   subnet associations, the main route table otherwise.
 * - what sits in the subnets: load balancers, ECS services (their tasks' interfaces from `networkConfiguration`),
 *   interface endpoints; and outside: external networks (an enterprise client arriving through a Transit Gateway
 *   attachment, a VPN gateway, peering or a PrivateLink endpoint service) and the internet (through an internet
 *   gateway, to interfaces with a public address only).
 * - load balancer listeners, listener rules and target groups, down to the ECS services registered in them.
 *
 * Sets of addresses and ports are handled exactly (as unions of boxes over source address, destination address,
 * destination port and source port), so the model can answer both "does every client address get through on every
 * ephemeral port" (a dependable flow) and "does any packet get through" (a flow that must not exist).
 *
 * Limits, stated so that a verdict is not read for more than it is: the rules of AWS Network Firewall, DNS
 * firewalls, endpoint policies and IAM are not evaluated (a firewall endpoint is a hop that inspects); what lies
 * beyond a Transit Gateway, VPN gateway or peering connection is assumed to route anywhere; the members of
 * AWS-managed prefix lists are unknown offline, so only `0.0.0.0/0` or the prefix list itself covers an AWS
 * service's public addresses; the network ACLs of NAT gateway and firewall subnets are not evaluated.
 */
import { intToIpv4, ipv4ToInt } from "../components/common/cidr";
import { GraphResource, ResourceGraph } from "./graph";

// ---------------------------------------------------------------------------------------------------------------
// Address and port space

/** An inclusive range of integers. */
export type Interval = readonly [number, number];

/** First address past IPv4: AWS services whose public addresses the model cannot know get one address each here. */
const SYNTHETIC_BASE = 2 ** 32;
/** The last address of the model's space (IPv4 plus the synthetic service addresses). */
const MAX_ADDRESS = SYNTHETIC_BASE + 2 ** 20;
const ALL_ADDRESSES: Interval = [0, MAX_ADDRESS];
const ALL_PORTS: Interval = [0, 65535];

/** Ephemeral ports Elastic Load Balancing and unknown clients use (AWS's recommended network ACL range). */
export const EPHEMERAL_DEFAULT: Interval = [1024, 65535];
/** The Linux default (`net.ipv4.ip_local_port_range`), which Fargate tasks use. */
export const EPHEMERAL_LINUX: Interval = [32768, 60999];

export { intToIpv4, ipv4ToInt };

/** Reserved and private IPv4 blocks: everything else is "the internet". */
const NON_PUBLIC_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3"];

/**
 * The interval of an IPv4 CIDR block. `0.0.0.0/0` covers the whole model space, the AWS service addresses
 * included (a rule or route for 0.0.0.0/0 does reach them in AWS).
 */
export function cidrInterval(cidr: string): Interval {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
    if (!m || Number(m[2]) > 32) {
        throw new Error(`"${cidr}" is not an IPv4 CIDR block`);
    }
    const prefix = Number(m[2]);
    if (prefix === 0) {
        return ALL_ADDRESSES;
    }
    const size = 2 ** (32 - prefix);
    const start = Math.floor(ipv4ToInt(m[1]) / size) * size;
    return [start, start + size - 1];
}

function cidrPrefix(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

/** Interval arithmetic on unions of intervals (sorted, disjoint). */
function subtractIntervals(from: Interval[], remove: Interval[]): Interval[] {
    let out = from.slice();
    for (const [lo, hi] of remove) {
        const next: Interval[] = [];
        for (const [a, b] of out) {
            if (hi < a || lo > b) {
                next.push([a, b]);
                continue;
            }
            if (a < lo) next.push([a, lo - 1]);
            if (b > hi) next.push([hi + 1, b]);
        }
        out = next;
    }
    return out;
}

/** The public IPv4 space: what "the internet" means in this model. */
export function publicIpv4(): Interval[] {
    return subtractIntervals([[0, SYNTHETIC_BASE - 1]], NON_PUBLIC_V4.map(cidrInterval));
}

// Boxes over (source address, destination address, destination port, source port).
const S = 0, D = 1, P = 2, E = 3;
type Dim = typeof S | typeof D | typeof P | typeof E;
type Box = [Interval, Interval, Interval, Interval];
type Space = Box[];

const FULL_BOX: Box = [ALL_ADDRESSES, ALL_ADDRESSES, ALL_PORTS, ALL_PORTS];

function constraint(dim: Dim, interval: Interval, base: Box = FULL_BOX): Box {
    const box = base.slice() as Box;
    box[dim] = interval;
    return box;
}

function intersectBox(a: Box, b: Box): Box | undefined {
    const out: Interval[] = [];
    for (let i = 0; i < 4; i++) {
        const lo = Math.max(a[i][0], b[i][0]);
        const hi = Math.min(a[i][1], b[i][1]);
        if (lo > hi) {
            return undefined;
        }
        out.push([lo, hi]);
    }
    return out as Box;
}

function subtractBox(a: Box, b: Box): Box[] {
    if (!intersectBox(a, b)) {
        return [a];
    }
    const pieces: Box[] = [];
    let rest = a.slice() as Box;
    for (let i = 0; i < 4; i++) {
        const [lo, hi] = rest[i];
        const [blo, bhi] = b[i];
        if (lo < blo) {
            pieces.push(constraint(i as Dim, [lo, blo - 1], rest));
        }
        if (hi > bhi) {
            pieces.push(constraint(i as Dim, [bhi + 1, hi], rest));
        }
        rest = constraint(i as Dim, [Math.max(lo, blo), Math.min(hi, bhi)], rest);
    }
    return pieces;
}

function intersectSpace(space: Space, box: Box): Space {
    return space.map((b) => intersectBox(b, box)).filter((b): b is Box => b !== undefined);
}

function subtractSpace(space: Space, box: Box): Space {
    return space.flatMap((b) => subtractBox(b, box));
}

function isEmpty(space: Space): boolean {
    return space.length === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Public types

/** What kind of thing a node is. */
export type NodeKind = "load-balancer" | "ecs-service" | "interface-endpoint" | "vpc-link" | "resource-gateway" | "aws-service" | "external" | "internet";

/** Where one interface of a node sits: a subnet, and the addresses it may have there. */
export interface Placement {
    subnetId: string;
    availabilityZone?: string;
    /** The subnet's block: the interface may have any address in it. */
    cidr: string;
}

/** A party of a flow: something with network interfaces in the VPC, or something outside it. */
export interface NetworkNode {
    /** Stable key, e.g. `ecs-service:docs-search`, `load-balancer:mcp-dev-entry-alb`, `aws-service:ecr.api`. */
    key: string;
    kind: NodeKind;
    /** Human-readable name used in explanations. */
    label: string;
    /** The resource behind the node, when there is one. */
    resource?: GraphResource;
    vpcId?: string;
    /** Interfaces in the VPC; empty for nodes outside it. */
    placements: Placement[];
    securityGroupIds: string[];
    /** Whether its interfaces get a public address (tasks with `assignPublicIp`, internet-facing load balancers). */
    publicAddress: boolean;
    /** Source ports it uses for connections it opens. */
    ephemeralPorts: Interval;
    /** For nodes outside the VPC: their addresses. */
    addresses?: Interval[];
    /** For AWS services: the endpoint name (`ecr.api`, `s3` ...). */
    service?: string;
}

/** The layer a hop belongs to. */
export type HopKind =
    | "entry" | "security-group" | "network-acl" | "route" | "gateway-endpoint" | "internet-gateway" | "nat-gateway"
    | "network-firewall" | "transit-gateway" | "vpn-gateway" | "peering" | "listener" | "destination";

/** One step of a path, with what it decided. */
export interface Hop {
    kind: HopKind;
    /** `forward` for the request, `reply` for the response a stateless layer must admit separately. */
    direction: "forward" | "reply";
    verdict: "allow" | "refuse";
    /** The resource that decided (its logical name and type), when there is one. */
    resource?: { name: string; type: string; urn: string };
    /** What was decided and why: the rule, the route, the addresses and ports concerned. */
    detail: string;
}

/** One way a flow can go (one pair of placements, one entry): the hops until it succeeded or was refused. */
export interface PathResult {
    hops: Hop[];
    /** True when some packets of this branch got through every hop. */
    delivered: boolean;
    /** The hop that refused part (or all) of this branch's traffic, if any. */
    refusedAt?: Hop;
    /** True when the branch left the VPC through an AWS Network Firewall endpoint. */
    throughFirewall: boolean;
}

/** The answer to "can A reach B on port P". */
export interface Reachability {
    from: string;
    to: string;
    ports: Interval;
    /**
     * True when the flow is dependable: every address of the source, every placement pair, every ephemeral port
     * and every port asked for gets through, and the reply too (through at least one entry, for outside sources).
     */
    reachable: boolean;
    /** True when at least one packet of the flow gets through (and its reply back): for flows that must not exist. */
    possible: boolean;
    paths: PathResult[];
    /** The first hop that refused the flow, when it is not reachable. */
    refusedAt?: Hop;
    /** A readable account of the verdict, for test failure messages and reports. */
    explanation: string;
}

/** A route from a load balancer listener to an ECS service. */
export interface ServiceRoute {
    loadBalancer: NetworkNode;
    listener: GraphResource;
    listenerPort: number;
    /** The listener rule that forwards (undefined when the listener's default action does). */
    rule?: GraphResource;
    targetGroup: GraphResource;
    service: NetworkNode;
    /** The container port the load balancer sends to. */
    port: number;
}

/** Options of the model. */
export interface ModelOptions {
    /**
     * Whether GuardDuty's own interface endpoint for `guardduty-data` exists in each VPC with ECS tasks. GuardDuty
     * creates it (with a security group admitting the VPC's blocks) when Runtime Monitoring manages the Fargate agent;
     * it is never in the graph. Default `"auto"`: assumed when the graph enables `RUNTIME_MONITORING` with
     * `ECS_FARGATE_AGENT_MANAGEMENT`. Pass `true` when an organization-wide configuration outside the graph does.
     */
    guardDutyManagedEndpoint?: "auto" | boolean;
}

/** Options of a query. */
export interface QueryOptions {
    /** Only for outside sources: limit the entry to one way in. */
    entry?: EntryKind;
}

/** How traffic from outside enters the VPC. */
export type EntryKind = "transit-gateway" | "vpn-gateway" | "peering" | "privatelink" | "internet-gateway";

// ---------------------------------------------------------------------------------------------------------------
// Parsed graph

interface SgRule {
    direction: "ingress" | "egress";
    protocol: string;
    ports: Interval;
    cidrs: string[];
    prefixLists: string[];
    groups: string[];
    self: boolean;
    source: GraphResource;
    description: string;
}

interface NaclRule {
    ruleNo: number;
    egress: boolean;
    action: "allow" | "deny";
    protocol: string;
    cidr?: string;
    ports: Interval;
}

interface Nacl {
    id: string;
    resource?: GraphResource;
    label: string;
    rules: NaclRule[];
}

type RouteTargetKind = "local" | "internet-gateway" | "nat-gateway" | "transit-gateway" | "vpn-gateway" | "peering" | "gateway-endpoint" | "network-firewall" | "unknown";

interface RouteEntry {
    /** The destination: a CIDR block or a prefix list. */
    destination: string;
    interval: Interval[];
    /** Longer is more specific; prefix lists rank above any CIDR. */
    specificity: number;
    target: RouteTargetKind;
    targetId: string;
    targetResource?: GraphResource;
}

interface RouteTable {
    id: string;
    resource?: GraphResource;
    label: string;
    routes: RouteEntry[];
}

interface Subnet {
    id: string;
    resource: GraphResource;
    vpcId: string;
    cidr: string;
    availabilityZone?: string;
}

/** Resources that only refer to others by id (routes, associations, rules): never what an id resolves to. */
const REFERRING_TYPES = new Set([
    "aws:ec2/route:Route", "aws:ec2/routeTable:RouteTable", "aws:ec2/defaultRouteTable:DefaultRouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation", "aws:ec2/networkAclAssociation:NetworkAclAssociation",
]);

function str(value: unknown): string | undefined {
    return typeof value === "string" && value.length > 0 ? value : undefined;
}

function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v.length > 0) : [];
}

function num(value: unknown, fallback: number): number {
    const n = typeof value === "string" ? Number(value) : value;
    return typeof n === "number" && Number.isFinite(n) ? n : fallback;
}

function obj(value: unknown): Record<string, unknown> {
    return value && typeof value === "object" && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

function objs(value: unknown): Record<string, unknown>[] {
    return Array.isArray(value) ? value.map(obj) : [];
}

/** A resource's value for a key: inputs first (what the program declared), then the mock outputs. */
function prop(r: GraphResource, key: string): unknown {
    return r.inputs[key] !== undefined ? r.inputs[key] : r.outputs[key];
}

function normProtocol(protocol: unknown): string {
    const p = String(protocol ?? "-1").toLowerCase();
    return ({ "6": "tcp", "17": "udp", "1": "icmp", all: "-1" } as Record<string, string>)[p] ?? p;
}

function protocolCovers(ruleProtocol: string, queryProtocol: string): boolean {
    return ruleProtocol === "-1" || ruleProtocol === queryProtocol;
}

function ref(r: GraphResource | undefined): Hop["resource"] {
    return r ? { name: r.name, type: r.type, urn: r.urn } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The model

/** One branch of a path being walked: the hops so far, the traffic still admitted, and the first hop that refused. */
class PathWalk {
    readonly hops: Hop[];
    refusedAt: Hop | undefined;

    constructor(public current: Space, before: Hop[] = []) {
        this.hops = before.slice();
    }

    /** Records a hop and keeps what it admitted; false once nothing is left to go on. */
    step(r: { admitted: Space; hop: Hop }): boolean {
        this.hops.push(r.hop);
        if (r.hop.verdict === "refuse" && !this.refusedAt) this.refusedAt = r.hop;
        this.current = r.admitted;
        return !isEmpty(this.current);
    }

    result(delivered: boolean): PathResult {
        return { hops: this.hops, delivered, refusedAt: this.refusedAt, throughFirewall: false };
    }
}

/**
 * A reachability model of one synthesized graph. Build it once per graph (`new ReachabilityModel(graph)`), then ask
 * {@link ReachabilityModel.canReach}. The graph is read, never changed; mutate a clone to test a broken variant.
 */
export class ReachabilityModel {
    /** Things the model noticed that make a deployment differ from the graph (e.g. rules the provider would remove). */
    readonly diagnostics: string[] = [];

    private readonly byId = new Map<string, GraphResource>();
    private readonly byString = new Map<string, GraphResource[]>();
    private readonly vpcCidrs = new Map<string, string[]>();
    private readonly subnets = new Map<string, Subnet>();
    private readonly sgRules = new Map<string, SgRule[]>();
    private readonly sgResources = new Map<string, GraphResource>();
    private readonly nacls = new Map<string, Nacl>();
    private readonly subnetNacl = new Map<string, string>();
    private readonly routeTables = new Map<string, RouteTable>();
    private readonly subnetRouteTable = new Map<string, string>();
    private readonly mainRouteTable = new Map<string, string>();
    private readonly prefixLists = new Map<string, Interval[]>();
    private readonly serviceAddresses = new Map<string, number>();
    private readonly nodeList: NetworkNode[] = [];
    private readonly region: string;

    constructor(private readonly graph: ResourceGraph, private readonly options: ModelOptions = {}) {
        this.region = graph.config["aws:region"] ?? "us-east-1";
        for (const r of graph.resources) {
            if (!r.custom) continue;
            if (r.id) this.byId.set(r.id, r);
            for (const key of ["arn", "id"]) {
                const v = str(r.outputs[key]);
                if (v) this.byId.set(v, r);
            }
            this.indexStrings(r, r.outputs, 0);
        }
        this.readVpcs();
        this.readPrefixLists();
        this.readSecurityGroups();
        this.readNacls();
        this.readRouteTables();
        this.readNodes();
        this.addGuardDutyEndpoints();
    }

    // ---- indexing ------------------------------------------------------------------------------------------

    private indexStrings(r: GraphResource, value: unknown, depth: number): void {
        if (depth > 10) return;
        if (typeof value === "string") {
            if (value.length < 200) {
                const list = this.byString.get(value) ?? [];
                if (!list.includes(r)) list.push(r);
                this.byString.set(value, list);
            }
        } else if (Array.isArray(value)) {
            value.forEach((v) => this.indexStrings(r, v, depth + 1));
        } else if (value && typeof value === "object") {
            Object.values(value).forEach((v) => this.indexStrings(r, v, depth + 1));
        }
    }

    /** The resource an id or ARN names: its own id/ARN first, then any resource whose outputs carry the value. */
    resolve(value: string | undefined, ...types: string[]): GraphResource | undefined {
        if (!value) return undefined;
        const wanted = (r: GraphResource) => types.length === 0 ? !REFERRING_TYPES.has(r.type) : types.includes(r.type);
        const direct = this.byId.get(value);
        if (direct && wanted(direct)) return direct;
        return (this.byString.get(value) ?? []).find(wanted);
    }

    private ofType(...types: string[]): GraphResource[] {
        return this.graph.resources.filter((r) => r.custom && types.includes(r.type));
    }

    private idOf(r: GraphResource): string {
        return r.id ?? str(r.outputs.id) ?? r.urn;
    }

    // ---- reading ---------------------------------------------------------------------------------------------

    private readVpcs(): void {
        for (const vpc of this.ofType("aws:ec2/vpc:Vpc")) {
            const id = this.idOf(vpc);
            this.vpcCidrs.set(id, [str(prop(vpc, "cidrBlock"))].filter((c): c is string => !!c));
            const main = str(vpc.outputs.mainRouteTableId) ?? str(vpc.outputs.defaultRouteTableId);
            if (main) this.mainRouteTable.set(id, main);
        }
        for (const extra of this.ofType("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation")) {
            const vpcId = str(prop(extra, "vpcId"));
            const cidr = str(prop(extra, "cidrBlock"));
            if (vpcId && cidr) this.vpcCidrs.set(vpcId, [...(this.vpcCidrs.get(vpcId) ?? []), cidr]);
        }
        for (const assoc of this.ofType("aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation")) {
            const vpcId = str(prop(assoc, "vpcId"));
            const rt = str(prop(assoc, "routeTableId"));
            if (vpcId && rt) this.mainRouteTable.set(vpcId, rt);
        }
        for (const s of this.ofType("aws:ec2/subnet:Subnet")) {
            const cidr = str(prop(s, "cidrBlock"));
            const vpcId = str(prop(s, "vpcId"));
            if (!cidr || !vpcId) {
                this.diagnostics.push(`subnet ${s.name}: no IPv4 block or VPC in the graph; left out`);
                continue;
            }
            this.subnets.set(this.idOf(s), { id: this.idOf(s), resource: s, vpcId, cidr, availabilityZone: str(prop(s, "availabilityZone")) });
        }
    }

    /** The model address of an AWS service whose public addresses are unknown offline (one per service name). */
    private serviceAddress(service: string): Interval {
        let index = this.serviceAddresses.get(service);
        if (index === undefined) {
            index = this.serviceAddresses.size;
            this.serviceAddresses.set(service, index);
        }
        return [SYNTHETIC_BASE + index, SYNTHETIC_BASE + index];
    }

    private readPrefixLists(): void {
        for (const ep of this.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")) {
            const pl = str(ep.outputs.prefixListId);
            if (pl) this.prefixLists.set(pl, [this.serviceAddress(this.serviceOf(ep))]);
        }
        for (const pl of this.ofType("aws:ec2/managedPrefixList:ManagedPrefixList")) {
            const cidrs = objs(prop(pl, "entries")).map((e) => str(e.cidr)).filter((c): c is string => !!c);
            this.prefixLists.set(this.idOf(pl), cidrs.map(cidrInterval));
        }
        for (const entry of this.ofType("aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry")) {
            const id = str(prop(entry, "prefixListId"));
            const cidr = str(prop(entry, "cidr"));
            if (id && cidr) this.prefixLists.set(id, [...(this.prefixLists.get(id) ?? []), cidrInterval(cidr)]);
        }
    }

    /** `com.amazonaws.<region>.ecr.api` -> `ecr.api`. */
    private serviceOf(endpoint: GraphResource): string {
        const name = str(prop(endpoint, "serviceName")) ?? "";
        const prefix = `com.amazonaws.${this.region}.`;
        return name.startsWith(prefix) ? name.slice(prefix.length) : name;
    }

    private readSecurityGroups(): void {
        const add = (sgId: string | undefined, rule: SgRule) => {
            if (!sgId) return;
            this.sgRules.set(sgId, [...(this.sgRules.get(sgId) ?? []), rule]);
        };
        const inlineDirections = new Map<string, Set<string>>();
        for (const sg of this.ofType("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")) {
            const id = this.idOf(sg);
            this.sgResources.set(id, sg);
            this.sgRules.set(id, this.sgRules.get(id) ?? []);
            const declared = new Set<string>();
            for (const direction of ["ingress", "egress"] as const) {
                if (sg.inputs[direction] !== undefined) declared.add(direction);
                for (const rule of objs(sg.inputs[direction])) {
                    add(id, {
                        direction, protocol: normProtocol(rule.protocol), ports: this.portsOf(rule.protocol, rule.fromPort, rule.toPort),
                        cidrs: strings(rule.cidrBlocks), prefixLists: strings(rule.prefixListIds), groups: strings(rule.securityGroups),
                        self: rule.self === true, source: sg, description: str(rule.description) ?? `inline ${direction} rule`,
                    });
                }
            }
            inlineDirections.set(id, declared);
        }
        for (const r of this.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")) {
            const direction = r.type.includes("Ingress") ? "ingress" : "egress";
            const sgId = str(prop(r, "securityGroupId"));
            add(sgId, {
                direction, protocol: normProtocol(prop(r, "ipProtocol")), ports: this.portsOf(prop(r, "ipProtocol"), prop(r, "fromPort"), prop(r, "toPort")),
                cidrs: [str(prop(r, "cidrIpv4"))].filter((c): c is string => !!c),
                prefixLists: [str(prop(r, "prefixListId"))].filter((c): c is string => !!c),
                groups: [str(prop(r, "referencedSecurityGroupId"))].filter((c): c is string => !!c),
                self: false, source: r, description: str(prop(r, "description")) ?? `${direction} rule ${r.name}`,
            });
            this.noteMixedRules(sgId, direction, r, inlineDirections);
        }
        for (const r of this.ofType("aws:ec2/securityGroupRule:SecurityGroupRule")) {
            const direction = prop(r, "type") === "egress" ? "egress" : "ingress";
            const sgId = str(prop(r, "securityGroupId"));
            add(sgId, {
                direction, protocol: normProtocol(prop(r, "protocol")), ports: this.portsOf(prop(r, "protocol"), prop(r, "fromPort"), prop(r, "toPort")),
                cidrs: strings(prop(r, "cidrBlocks")), prefixLists: strings(prop(r, "prefixListIds")),
                groups: [str(prop(r, "sourceSecurityGroupId"))].filter((c): c is string => !!c),
                self: prop(r, "self") === true, source: r, description: str(prop(r, "description")) ?? `${direction} rule ${r.name}`,
            });
            this.noteMixedRules(sgId, direction, r, inlineDirections);
        }
    }

    private noteMixedRules(sgId: string | undefined, direction: string, rule: GraphResource, inline: Map<string, Set<string>>): void {
        if (sgId && inline.get(sgId)?.has(direction)) {
            const sg = this.sgResources.get(sgId);
            this.diagnostics.push(`security group ${sg?.name ?? sgId} declares inline ${direction} rules and also has the rule resource ${rule.name}: the provider documents that mixing them causes conflicts, perpetual differences and overwritten rules, so the deployed rules may differ from the graph`);
        }
    }

    private portsOf(protocol: unknown, from: unknown, to: unknown): Interval {
        const p = normProtocol(protocol);
        if (p === "-1") return ALL_PORTS;
        return [num(from, 0), num(to, 65535)];
    }

    private readNacls(): void {
        const parseRule = (rule: Record<string, unknown>, egress: boolean): NaclRule => ({
            ruleNo: num(rule.ruleNo ?? rule.ruleNumber, 32767),
            egress,
            action: String(rule.action ?? rule.ruleAction).toLowerCase() === "allow" ? "allow" : "deny",
            protocol: normProtocol(rule.protocol),
            cidr: str(rule.cidrBlock),
            ports: this.portsOf(rule.protocol, rule.fromPort, rule.toPort),
        });
        for (const vpc of this.ofType("aws:ec2/vpc:Vpc")) {
            // A VPC's default ACL admits everything until a DefaultNetworkAcl resource takes it over.
            const id = str(vpc.outputs.defaultNetworkAclId);
            if (id) {
                this.nacls.set(id, {
                    id, label: `default network ACL of ${vpc.name} (AWS default rules)`,
                    rules: [{ ruleNo: 100, egress: false, action: "allow", protocol: "-1", cidr: "0.0.0.0/0", ports: ALL_PORTS }, { ruleNo: 100, egress: true, action: "allow", protocol: "-1", cidr: "0.0.0.0/0", ports: ALL_PORTS }],
                });
            }
        }
        for (const acl of this.ofType("aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")) {
            const id = acl.type.includes("Default") ? str(prop(acl, "defaultNetworkAclId")) ?? this.idOf(acl) : this.idOf(acl);
            const rules = [...objs(prop(acl, "ingress")).map((r) => parseRule(r, false)), ...objs(prop(acl, "egress")).map((r) => parseRule(r, true))];
            this.nacls.set(id, { id, resource: acl, label: `network ACL ${acl.name}`, rules });
            for (const subnet of strings(prop(acl, "subnetIds"))) this.subnetNacl.set(subnet, id);
        }
        for (const r of this.ofType("aws:ec2/networkAclRule:NetworkAclRule")) {
            const id = str(prop(r, "networkAclId"));
            const nacl = id ? this.nacls.get(id) : undefined;
            if (!nacl) {
                this.diagnostics.push(`network ACL rule ${r.name}: its ACL is not in the graph; left out`);
                continue;
            }
            nacl.rules.push(parseRule({ ...r.inputs, ruleNumber: prop(r, "ruleNumber") }, prop(r, "egress") === true));
        }
        for (const a of this.ofType("aws:ec2/networkAclAssociation:NetworkAclAssociation")) {
            const subnet = str(prop(a, "subnetId"));
            const acl = str(prop(a, "networkAclId"));
            if (subnet && acl) this.subnetNacl.set(subnet, acl);
        }
        for (const nacl of this.nacls.values()) nacl.rules.sort((a, b) => a.ruleNo - b.ruleNo);
    }

    private classifyTarget(route: Record<string, unknown>): { target: RouteTargetKind; targetId: string; targetResource?: GraphResource } {
        const pick = (key: string) => str(route[key]);
        const gateway = pick("gatewayId");
        if (gateway === "local") return { target: "local", targetId: "local" };
        const candidates: [string | undefined, (id: string, r?: GraphResource) => RouteTargetKind][] = [
            [pick("natGatewayId"), () => "nat-gateway"],
            [pick("transitGatewayId"), () => "transit-gateway"],
            [pick("vpcPeeringConnectionId"), () => "peering"],
            [gateway, (id, r) => r?.type === "aws:ec2/vpnGateway:VpnGateway" || id.startsWith("vgw-") ? "vpn-gateway" : "internet-gateway"],
            [pick("vpcEndpointId"), (_id, r) => r?.type === "aws:networkfirewall/firewall:Firewall" ? "network-firewall" : r?.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && prop(r, "vpcEndpointType") === "Gateway" ? "gateway-endpoint" : r?.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && prop(r, "vpcEndpointType") === "GatewayLoadBalancer" ? "network-firewall" : "unknown"],
            [pick("networkInterfaceId"), () => "unknown"],
        ];
        for (const [id, kind] of candidates) {
            if (id) {
                const r = this.resolve(id);
                return { target: kind(id, r), targetId: id, targetResource: r };
            }
        }
        return { target: "unknown", targetId: "(none)" };
    }

    private routeEntry(destination: { cidr?: string; prefixList?: string }, target: ReturnType<ReachabilityModel["classifyTarget"]>): RouteEntry | undefined {
        if (destination.cidr) {
            return { destination: destination.cidr, interval: [cidrInterval(destination.cidr)], specificity: cidrPrefix(destination.cidr), ...target };
        }
        if (destination.prefixList) {
            const members = this.prefixLists.get(destination.prefixList);
            if (!members) {
                this.diagnostics.push(`route to prefix list ${destination.prefixList}: its members are unknown; left out`);
                return undefined;
            }
            return { destination: destination.prefixList, interval: members, specificity: 33, ...target };
        }
        return undefined;
    }

    private readRouteTables(): void {
        const table = (id: string, resource: GraphResource | undefined, label: string, vpcId: string | undefined): RouteTable => {
            const existing = this.routeTables.get(id);
            if (existing) return existing;
            const rt: RouteTable = { id, resource, label, routes: [] };
            for (const cidr of this.vpcCidrs.get(vpcId ?? "") ?? []) {
                rt.routes.push({ destination: cidr, interval: [cidrInterval(cidr)], specificity: cidrPrefix(cidr), target: "local", targetId: "local" });
            }
            this.routeTables.set(id, rt);
            return rt;
        };
        for (const vpc of this.ofType("aws:ec2/vpc:Vpc")) {
            // Until a DefaultRouteTable resource takes it over, the main route table holds the local route only.
            const main = str(vpc.outputs.defaultRouteTableId);
            if (main) table(main, undefined, `main route table of ${vpc.name}`, this.idOf(vpc));
        }
        for (const r of this.ofType("aws:ec2/routeTable:RouteTable", "aws:ec2/defaultRouteTable:DefaultRouteTable")) {
            const id = r.type.includes("Default") ? str(prop(r, "defaultRouteTableId")) ?? this.idOf(r) : this.idOf(r);
            const vpcId = str(prop(r, "vpcId")) ?? [...this.mainRouteTable.entries()].find(([, rt]) => rt === id)?.[0];
            const rt = table(id, r, `route table ${r.name}`, vpcId);
            rt.resource = r;
            rt.label = `route table ${r.name}`;
            for (const route of objs(prop(r, "routes"))) {
                const entry = this.routeEntry({ cidr: str(route.cidrBlock), prefixList: str(route.destinationPrefixListId) }, this.classifyTarget(route));
                if (entry) rt.routes.push(entry);
            }
        }
        for (const r of this.ofType("aws:ec2/route:Route")) {
            const rt = this.routeTables.get(str(prop(r, "routeTableId")) ?? "");
            if (!rt) {
                this.diagnostics.push(`route ${r.name}: its route table is not in the graph; left out`);
                continue;
            }
            const route = { ...r.outputs, ...r.inputs };
            const entry = this.routeEntry({ cidr: str(route.destinationCidrBlock), prefixList: str(route.destinationPrefixListId) }, this.classifyTarget(route));
            if (entry) rt.routes.push(entry);
        }
        const gatewayRoute = (endpoint: GraphResource, routeTableId: string) => {
            const rt = this.routeTables.get(routeTableId);
            const pl = str(endpoint.outputs.prefixListId);
            if (rt && pl) {
                rt.routes.push({ destination: pl, interval: this.prefixLists.get(pl) ?? [], specificity: 33, target: "gateway-endpoint", targetId: this.idOf(endpoint), targetResource: endpoint });
            }
        };
        for (const ep of this.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")) {
            if (prop(ep, "vpcEndpointType") === "Gateway") strings(prop(ep, "routeTableIds")).forEach((rt) => gatewayRoute(ep, rt));
        }
        for (const a of this.ofType("aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation")) {
            const ep = this.resolve(str(prop(a, "vpcEndpointId")));
            const rt = str(prop(a, "routeTableId"));
            if (ep && rt) gatewayRoute(ep, rt);
        }
        for (const a of this.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation")) {
            const subnet = str(prop(a, "subnetId"));
            const rt = str(prop(a, "routeTableId"));
            if (subnet && rt) this.subnetRouteTable.set(subnet, rt);
        }
    }

    private readNodes(): void {
        const placements = (subnetIds: string[], owner: string): Placement[] => subnetIds.flatMap((id) => {
            const s = this.subnets.get(id);
            if (!s) {
                this.diagnostics.push(`${owner}: subnet ${id} is not in the graph; that placement is left out`);
                return [];
            }
            return [{ subnetId: id, availabilityZone: s.availabilityZone, cidr: s.cidr }];
        });
        const vpcOf = (ps: Placement[]) => ps.length ? this.subnets.get(ps[0].subnetId)?.vpcId : undefined;
        for (const lb of this.ofType("aws:lb/loadBalancer:LoadBalancer")) {
            const subnetIds = [...strings(prop(lb, "subnets")), ...objs(prop(lb, "subnetMappings")).map((m) => str(m.subnetId)).filter((s): s is string => !!s)];
            const ps = placements(subnetIds, `load balancer ${lb.name}`);
            this.nodeList.push({
                key: `load-balancer:${lb.name}`, kind: "load-balancer", label: `${String(prop(lb, "loadBalancerType") ?? "application")} load balancer ${lb.name}`,
                resource: lb, vpcId: vpcOf(ps), placements: ps, securityGroupIds: strings(prop(lb, "securityGroups")),
                publicAddress: prop(lb, "internal") !== true, ephemeralPorts: EPHEMERAL_DEFAULT,
            });
        }
        for (const svc of this.ofType("aws:ecs/service:Service")) {
            const net = obj(prop(svc, "networkConfiguration"));
            const ps = placements(strings(net.subnets), `ECS service ${svc.name}`);
            const name = str(prop(svc, "name")) ?? svc.name;
            this.nodeList.push({
                key: `ecs-service:${name}`, kind: "ecs-service", label: `tasks of ECS service ${name}`, resource: svc, vpcId: vpcOf(ps),
                placements: ps, securityGroupIds: strings(net.securityGroups), publicAddress: net.assignPublicIp === true, ephemeralPorts: EPHEMERAL_LINUX,
            });
        }
        // API Gateway VPC links (v2): network interfaces API Gateway places in the named subnets with the named
        // security groups, from which it opens connections to the integration target (pattern 2).
        for (const link of this.ofType("aws:apigatewayv2/vpcLink:VpcLink")) {
            const ps = placements(strings(prop(link, "subnetIds")), `VPC link ${link.name}`);
            this.nodeList.push({
                key: `vpc-link:${link.name}`, kind: "vpc-link", label: `API Gateway VPC link ${link.name}`, resource: link, vpcId: vpcOf(ps),
                placements: ps, securityGroupIds: strings(prop(link, "securityGroupIds")), publicAddress: false, ephemeralPorts: EPHEMERAL_DEFAULT,
            });
        }
        // AgentCore gateway targets reached through a managed VPC Lattice resource gateway (pattern 2, kind agentcore):
        // AgentCore places its interfaces in the named subnets with the named security groups and opens connections
        // from them to the target's routing domain.
        for (const target of this.ofType("aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget")) {
            const managed = obj(obj(prop(target, "privateEndpoint")).managedVpcResource);
            const ps = placements(strings(managed.subnetIds), `AgentCore gateway target ${target.name}`);
            if (ps.length === 0) continue;
            this.nodeList.push({
                key: `resource-gateway:${target.name}`, kind: "resource-gateway", label: `VPC Lattice resource gateway of AgentCore target ${target.name}`, resource: target, vpcId: vpcOf(ps),
                placements: ps, securityGroupIds: strings(managed.securityGroupIds), publicAddress: false, ephemeralPorts: EPHEMERAL_DEFAULT,
            });
        }
        const extraSubnets = new Map<string, string[]>();
        const extraGroups = new Map<string, string[]>();
        for (const a of this.ofType("aws:ec2/vpcEndpointSubnetAssociation:VpcEndpointSubnetAssociation")) {
            const ep = str(prop(a, "vpcEndpointId"));
            const subnet = str(prop(a, "subnetId"));
            if (ep && subnet) extraSubnets.set(ep, [...(extraSubnets.get(ep) ?? []), subnet]);
        }
        for (const a of this.ofType("aws:ec2/securityGroupAssociation:SecurityGroupAssociation")) {
            const ep = str(prop(a, "vpcEndpointId"));
            const sg = str(prop(a, "securityGroupId"));
            if (ep && sg) extraGroups.set(ep, [...(extraGroups.get(ep) ?? []), sg]);
        }
        for (const ep of this.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")) {
            if (prop(ep, "vpcEndpointType") !== "Interface") continue;
            const service = this.serviceOf(ep);
            const id = this.idOf(ep);
            const ps = placements([...strings(prop(ep, "subnetIds")), ...(extraSubnets.get(id) ?? [])], `interface endpoint ${ep.name}`);
            this.nodeList.push({
                key: `aws-service:${service}`, kind: "interface-endpoint", label: `interface endpoint of ${service} (${ep.name})`, resource: ep,
                vpcId: str(prop(ep, "vpcId")) ?? vpcOf(ps), placements: ps, securityGroupIds: [...strings(prop(ep, "securityGroupIds")), ...(extraGroups.get(id) ?? [])],
                publicAddress: false, ephemeralPorts: EPHEMERAL_DEFAULT, service,
            });
        }
    }

    /** Whether the graph turns on GuardDuty's automated agent for Fargate (which creates the guardduty-data endpoint). */
    private guardDutyManagesFargateAgent(): boolean {
        return this.ofType("aws:guardduty/detectorFeature:DetectorFeature").some((f) => prop(f, "name") === "RUNTIME_MONITORING" && prop(f, "status") === "ENABLED"
            && objs(prop(f, "additionalConfigurations")).some((c) => c.name === "ECS_FARGATE_AGENT_MANAGEMENT" && c.status === "ENABLED"));
    }

    /**
     * The interface endpoint and security group GuardDuty creates in each VPC with Fargate tasks (documented: the
     * group's inbound rules match the VPC's blocks). Placed in the tasks' subnets, an assumption: GuardDuty does not
     * document which subnets it uses.
     */
    private addGuardDutyEndpoints(): void {
        const wanted = this.options.guardDutyManagedEndpoint ?? "auto";
        if (wanted === false || (wanted === "auto" && !this.guardDutyManagesFargateAgent())) return;
        const vpcs = new Set(this.ecsServices().map((n) => n.vpcId).filter((v): v is string => !!v));
        for (const vpcId of vpcs) {
            if (this.nodeList.some((n) => n.kind === "interface-endpoint" && n.service === "guardduty-data" && n.vpcId === vpcId)) continue;
            const sgId = `guardduty-managed-sg:${vpcId}`;
            const pseudo: GraphResource = {
                urn: `(created by GuardDuty in ${vpcId})`, type: "aws:ec2/securityGroup:SecurityGroup", name: "GuardDutyManagedSecurityGroup", custom: true,
                dependencies: [], propertyDependencies: {}, inputs: {}, outputs: {},
                options: { protect: false, ignoreChanges: [], retainOnDelete: false, additionalSecretOutputs: [], replaceOnChanges: [], aliases: [] },
            };
            this.sgResources.set(sgId, pseudo);
            this.sgRules.set(sgId, [{ direction: "ingress", protocol: "tcp", ports: [443, 443], cidrs: this.vpcCidrs.get(vpcId) ?? [], prefixLists: [], groups: [], self: false, source: pseudo, description: "HTTPS from the VPC (GuardDuty-managed)" }]);
            const seen = new Set<string>();
            const placements = this.ecsServices().filter((n) => n.vpcId === vpcId).flatMap((n) => n.placements).filter((p) => !seen.has(p.subnetId) && seen.add(p.subnetId));
            this.nodeList.push({
                key: "aws-service:guardduty-data", kind: "interface-endpoint", label: "GuardDuty-managed interface endpoint of guardduty-data (created by GuardDuty, not in the graph)",
                vpcId, placements, securityGroupIds: [sgId], publicAddress: false, ephemeralPorts: EPHEMERAL_DEFAULT, service: "guardduty-data",
            });
        }
    }

    // ---- nodes ----------------------------------------------------------------------------------------------

    /** Every node with interfaces in a VPC of the graph. */
    nodes(): NetworkNode[] {
        return this.nodeList.slice();
    }

    /** The node with this key; throws naming the keys there are. */
    node(key: string): NetworkNode {
        const found = this.nodeList.find((n) => n.key === key);
        if (!found) {
            throw new Error(`no node ${key}; the graph has ${this.nodeList.map((n) => n.key).join(", ")}`);
        }
        return found;
    }

    loadBalancers(): NetworkNode[] {
        return this.nodeList.filter((n) => n.kind === "load-balancer");
    }

    ecsServices(): NetworkNode[] {
        return this.nodeList.filter((n) => n.kind === "ecs-service");
    }

    /**
     * An AWS service as the VPC's workloads would reach it by its regional name: its interface endpoint when the
     * VPC has one (private DNS), else the service at its public addresses (through a gateway endpoint's routes when
     * there is one, e.g. `s3`).
     */
    awsService(service: string): NetworkNode {
        const endpoint = this.nodeList.find((n) => n.kind === "interface-endpoint" && n.service === service);
        if (endpoint) return endpoint;
        return {
            key: `aws-service:${service}`, kind: "aws-service", label: `${service} at its public addresses (com.amazonaws.${this.region}.${service})`,
            placements: [], securityGroupIds: [], publicAddress: true, ephemeralPorts: EPHEMERAL_DEFAULT, service,
            addresses: [this.serviceAddress(service)],
        };
    }

    /**
     * A party outside the VPCs: the given blocks minus any VPC block of the graph (an address inside the zone is
     * not outside it). Throws when nothing is left.
     */
    external(label: string, cidrs: string[]): NetworkNode {
        const vpcBlocks = [...this.vpcCidrs.values()].flat().map(cidrInterval);
        const addresses = subtractIntervals(cidrs.map(cidrInterval).sort((a, b) => a[0] - b[0]), vpcBlocks);
        if (addresses.length === 0) {
            throw new Error(`external ${label}: ${cidrs.join(", ")} lies inside the VPC blocks`);
        }
        return { key: `external:${label}`, kind: "external", label, placements: [], securityGroupIds: [], publicAddress: false, ephemeralPorts: EPHEMERAL_DEFAULT, addresses };
    }

    /** Every public IPv4 address. */
    internet(): NetworkNode {
        return { key: "internet", kind: "internet", label: "the internet", placements: [], securityGroupIds: [], publicAddress: true, ephemeralPorts: EPHEMERAL_DEFAULT, addresses: publicIpv4() };
    }

    // ---- load balancer routing ---------------------------------------------------------------------------------

    /**
     * Where a load balancer's listeners send traffic: for each listener, every listener rule (and the default
     * action) that forwards to a target group, and the ECS services registered in that target group with their
     * container port.
     */
    serviceRoutes(lb: NetworkNode): ServiceRoute[] {
        const lbArn = str(lb.resource?.outputs.arn) ?? lb.resource?.id;
        const routes: ServiceRoute[] = [];
        const forwards = (actions: unknown): string[] => objs(actions).flatMap((a) => a.type === "forward"
            ? [str(a.targetGroupArn), ...objs(obj(a.forward).targetGroups).map((t) => str(t.arn))].filter((t): t is string => !!t)
            : []);
        for (const listener of this.ofType("aws:lb/listener:Listener").filter((l) => prop(l, "loadBalancerArn") === lbArn)) {
            const listenerArn = str(listener.outputs.arn) ?? listener.id;
            const sources: { rule?: GraphResource; tg: string }[] = forwards(prop(listener, "defaultActions")).map((tg) => ({ tg }));
            for (const rule of this.ofType("aws:lb/listenerRule:ListenerRule").filter((r) => prop(r, "listenerArn") === listenerArn)) {
                forwards(prop(rule, "actions")).forEach((tg) => sources.push({ rule, tg }));
            }
            for (const { rule, tg } of sources) {
                const targetGroup = this.resolve(tg, "aws:lb/targetGroup:TargetGroup");
                if (!targetGroup) continue;
                for (const svc of this.ecsServices()) {
                    for (const binding of objs(prop(svc.resource!, "loadBalancers"))) {
                        if (binding.targetGroupArn === tg) {
                            routes.push({ loadBalancer: lb, listener, listenerPort: num(prop(listener, "port"), 0), rule, targetGroup, service: svc, port: num(binding.containerPort, 0) });
                        }
                    }
                }
            }
        }
        return routes;
    }

    // ---- queries ---------------------------------------------------------------------------------------------

    /**
     * Can `from` open a TCP connection to `to` on `port` (a number or an inclusive range), and get the reply back?
     * Returns the verdict, the paths tried with every hop's decision, and the first hop that refused.
     */
    canReach(from: NetworkNode, to: NetworkNode, port: number | Interval, options: QueryOptions = {}): Reachability {
        const ports: Interval = typeof port === "number" ? [port, port] : port;
        const paths: PathResult[] = [];
        let reachable = false;
        if (from.placements.length === 0) {
            // Outside sources: one group of paths per way in; the flow is dependable if one way in works fully.
            const entries = this.entries(from, to).filter((e) => !options.entry || e === options.entry);
            if (entries.length === 0) {
                paths.push({ hops: [], delivered: false, throughFirewall: false, refusedAt: {
                    kind: "entry", direction: "forward", verdict: "refuse",
                    detail: `no way in for ${from.label} to ${to.label}: ${this.noEntryReason(from, to)}`,
                } });
            }
            for (const entry of entries) {
                const group = this.fromOutside(from, to, ports, entry);
                paths.push(...group);
                if (group.length > 0 && group.every((p) => p.delivered && !p.refusedAt)) reachable = true;
            }
        } else {
            const targets = to.placements.length > 0 ? to.placements.map((p) => ({ placement: p as Placement | undefined })) : [{ placement: undefined }];
            for (const src of from.placements) {
                for (const { placement } of targets) {
                    const start: Box = [cidrInterval(src.cidr), ALL_ADDRESSES, ports, from.ephemeralPorts];
                    const destinations = placement ? [cidrInterval(placement.cidr)] : to.addresses ?? [];
                    const space: Space = destinations.map((d) => constraint(D, d, start));
                    paths.push(...this.fromInside(from, src, to, placement, space, ports));
                }
            }
            reachable = paths.length > 0 && paths.every((p) => p.delivered && !p.refusedAt);
        }
        const possible = paths.some((p) => p.delivered);
        const refusedAt = reachable ? undefined : paths.find((p) => p.refusedAt)?.refusedAt;
        return { from: from.key, to: to.key, ports, reachable, possible, paths, refusedAt, explanation: this.explain(from, to, ports, reachable, possible, paths) };
    }

    private explain(from: NetworkNode, to: NetworkNode, ports: Interval, reachable: boolean, possible: boolean, paths: PathResult[]): string {
        const portText = ports[0] === ports[1] ? `port ${ports[0]}` : `ports ${ports[0]}-${ports[1]}`;
        const verdict = reachable ? "reachable" : possible ? "reachable only in part" : "not reachable";
        const lines = [`${from.label} -> ${to.label} on tcp ${portText}: ${verdict}`];
        const shown = new Set<string>();
        // A dependable flow is shown by one path; otherwise the refused paths come first.
        const ordered = reachable ? paths.slice(0, 1) : [...paths.filter((p) => p.refusedAt), ...paths.filter((p) => !p.refusedAt)];
        for (const p of ordered) {
            const text = p.hops.map((h) => `  ${h.verdict === "allow" ? "ok " : "NO "} [${h.direction} ${h.kind}] ${h.detail}`).join("\n");
            if (!shown.has(text) && shown.size < 4) {
                shown.add(text);
                lines.push(`path${p.throughFirewall ? " (through the network firewall)" : ""}:`, text || "  (no hop)");
                if (p.refusedAt && !p.hops.includes(p.refusedAt)) lines.push(`  NO  [${p.refusedAt.kind}] ${p.refusedAt.detail}`);
            }
        }
        return lines.join("\n");
    }

    // ---- describing sets ----------------------------------------------------------------------------------------

    private describeInterval(iv: Interval): string {
        const [lo, hi] = iv;
        if (lo === 0 && hi === MAX_ADDRESS) return "anywhere";
        if (lo >= SYNTHETIC_BASE) {
            const names = [...this.serviceAddresses.entries()].filter(([, i]) => SYNTHETIC_BASE + i >= lo && SYNTHETIC_BASE + i <= hi).map(([s]) => s);
            return `the public addresses of ${names.join(", ") || "AWS services"}`;
        }
        const top = Math.min(hi, SYNTHETIC_BASE - 1);
        const size = top - lo + 1;
        if (Number.isInteger(Math.log2(size)) && lo % size === 0) return `${intToIpv4(lo)}/${32 - Math.log2(size)}`;
        return `${intToIpv4(lo)}-${intToIpv4(top)}`;
    }

    private describeBox(box: Box, reply: boolean): string {
        const ports = (iv: Interval) => iv[0] === iv[1] ? `${iv[0]}` : `${iv[0]}-${iv[1]}`;
        return reply
            ? `reply from ${this.describeInterval(box[D])} port ${ports(box[P])} to ${this.describeInterval(box[S])} ports ${ports(box[E])}`
            : `from ${this.describeInterval(box[S])} to ${this.describeInterval(box[D])} port ${ports(box[P])}`;
    }

    // ---- hop evaluation ---------------------------------------------------------------------------------------

    /**
     * A stateless ACL on a set: first matching rule decides, then the implicit deny. `addressDim` is the peer
     * address the rules' CIDR is compared with; `portDim` the port their range is compared with.
     */
    private naclHop(subnetId: string, egress: boolean, space: Space, addressDim: Dim, portDim: Dim, direction: Hop["direction"]): { admitted: Space; hop: Hop } {
        const aclId = this.subnetNacl.get(subnetId) ?? this.defaultNaclOf(subnetId);
        const nacl = aclId ? this.nacls.get(aclId) : undefined;
        const where = `${egress ? "outbound" : "inbound"} of ${this.subnetLabel(subnetId)}`;
        if (!nacl) {
            return { admitted: space, hop: { kind: "network-acl", direction, verdict: "allow", detail: `${where}: no network ACL known (AWS default allows all)` } };
        }
        let rest = space;
        let admitted: Space = [];
        const refusals: string[] = [];
        const allowedBy: string[] = [];
        for (const rule of nacl.rules.filter((r) => r.egress === egress && protocolCovers(r.protocol, "tcp") && r.cidr)) {
            const ruleBox = constraint(portDim, rule.ports, constraint(addressDim, cidrInterval(rule.cidr!)));
            const matched = intersectSpace(rest, ruleBox);
            if (!isEmpty(matched)) {
                if (rule.action === "allow") {
                    admitted = admitted.concat(matched);
                    allowedBy.push(`${rule.ruleNo}`);
                } else {
                    refusals.push(`rule ${rule.ruleNo} (deny ${rule.cidr} ${rule.ports[0]}-${rule.ports[1]}) refuses ${this.describeBox(matched[0], direction === "reply")}`);
                }
                rest = subtractSpace(rest, ruleBox);
            }
        }
        if (!isEmpty(rest)) {
            refusals.push(`no rule admits ${this.describeBox(rest[0], direction === "reply")} (implicit deny)`);
        }
        const verdict = refusals.length === 0 ? "allow" : "refuse";
        const detail = verdict === "allow"
            ? `${nacl.label} ${where}: admitted by rule ${allowedBy.join(", ")}`
            : `${nacl.label} ${where}: ${refusals.join("; ")}`;
        return { admitted, hop: { kind: "network-acl", direction, verdict, resource: ref(nacl.resource), detail } };
    }

    private defaultNaclOf(subnetId: string): string | undefined {
        const vpcId = this.subnets.get(subnetId)?.vpcId;
        const vpc = this.ofType("aws:ec2/vpc:Vpc").find((v) => this.idOf(v) === vpcId);
        return vpc ? str(vpc.outputs.defaultNetworkAclId) : undefined;
    }

    private subnetLabel(subnetId: string): string {
        const s = this.subnets.get(subnetId);
        return s ? `subnet ${s.resource.name} (${s.cidr})` : `subnet ${subnetId}`;
    }

    /** Security groups (union of allow rules). `peerGroups` are the security groups of the other end. */
    private sgHop(owner: NetworkNode, direction: "ingress" | "egress", space: Space, addressDim: Dim, peerGroups: string[]): { admitted: Space; hop: Hop } {
        const groups = owner.securityGroupIds;
        const label = `security groups of ${owner.label} (${groups.map((g) => this.sgResources.get(g)?.name ?? g).join(", ") || "none"})`;
        let admitted: Space = [];
        let rest = space;
        const used: string[] = [];
        for (const sgId of groups) {
            for (const rule of (this.sgRules.get(sgId) ?? []).filter((r) => r.direction === direction && protocolCovers(r.protocol, "tcp"))) {
                const sources: Interval[] = [...rule.cidrs.map(cidrInterval), ...rule.prefixLists.flatMap((pl) => this.prefixLists.get(pl) ?? [])];
                const groupMatch = rule.groups.some((g) => peerGroups.includes(g)) || (rule.self && peerGroups.includes(sgId));
                if (groupMatch) sources.push(ALL_ADDRESSES);
                for (const iv of sources) {
                    const ruleBox = constraint(P, rule.ports, constraint(addressDim, iv));
                    const matched = intersectSpace(rest, ruleBox);
                    if (!isEmpty(matched)) {
                        admitted = admitted.concat(matched);
                        rest = subtractSpace(rest, ruleBox);
                        used.push(`"${rule.description}" (${rule.source.name})`);
                    }
                }
            }
        }
        const dirText = direction === "ingress" ? "inbound" : "outbound";
        if (!isEmpty(rest)) {
            return {
                admitted,
                hop: { kind: "security-group", direction: "forward", verdict: "refuse", resource: ref(this.sgResources.get(groups[0])), detail: `${label} ${dirText}: no rule admits ${this.describeBox(rest[0], false)}` },
            };
        }
        return { admitted, hop: { kind: "security-group", direction: "forward", verdict: "allow", resource: ref(this.sgResources.get(groups[0])), detail: `${label} ${dirText}: admitted by ${[...new Set(used)].join(", ")}` } };
    }

    /** The route table of a subnet: its explicit association, else the VPC's main table. */
    private routeTableOf(subnetId: string): RouteTable | undefined {
        const explicit = this.subnetRouteTable.get(subnetId);
        const vpcId = this.subnets.get(subnetId)?.vpcId;
        const id = explicit ?? (vpcId ? this.mainRouteTable.get(vpcId) : undefined);
        return id ? this.routeTables.get(id) : undefined;
    }

    /** Splits a set by the route each part takes (longest prefix first); the rest has no route. */
    private routeSplit(subnetId: string, space: Space, dim: Dim): { routed: { route: RouteEntry; space: Space; table: RouteTable }[]; unrouted: Space; table?: RouteTable } {
        const table = this.routeTableOf(subnetId);
        if (!table) return { routed: [], unrouted: space };
        const routes = table.routes.slice().sort((a, b) => b.specificity - a.specificity);
        let rest = space;
        const routed: { route: RouteEntry; space: Space; table: RouteTable }[] = [];
        for (const route of routes) {
            let matched: Space = [];
            for (const iv of route.interval) {
                const box = constraint(dim, iv);
                matched = matched.concat(intersectSpace(rest, box));
                rest = subtractSpace(rest, box);
            }
            if (!isEmpty(matched)) routed.push({ route, space: matched, table });
        }
        return { routed, unrouted: rest, table };
    }

    private routeHop(table: RouteTable, route: RouteEntry, direction: Hop["direction"], verdict: Hop["verdict"], note = ""): Hop {
        const target = route.target === "local" ? "local" : `${route.target} ${route.targetResource?.name ?? route.targetId}`;
        return { kind: "route", direction, verdict, resource: ref(table.resource), detail: `${table.label}: ${route.destination} -> ${target}${note}` };
    }

    // ---- flows from inside the VPC ------------------------------------------------------------------------------

    private fromInside(from: NetworkNode, src: Placement, to: NetworkNode, dst: Placement | undefined, space: Space, ports: Interval): PathResult[] {
        const hops: Hop[] = [];
        const out = this.sgHop(from, "egress", space, D, to.securityGroupIds);
        hops.push(out.hop);
        if (isEmpty(out.admitted)) return [{ hops, delivered: false, refusedAt: out.hop, throughFirewall: false }];
        const results: PathResult[] = [];
        if (out.hop.verdict === "refuse") results.push({ hops: hops.slice(), delivered: false, refusedAt: out.hop, throughFirewall: false });
        const split = this.routeSplit(src.subnetId, out.admitted, D);
        if (!isEmpty(split.unrouted)) {
            const hop: Hop = { kind: "route", direction: "forward", verdict: "refuse", resource: ref(split.table?.resource), detail: `${split.table?.label ?? this.subnetLabel(src.subnetId)}: no route for ${this.describeBox(split.unrouted[0], false)}` };
            results.push({ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: false });
        }
        for (const part of split.routed) {
            results.push(...this.followRoute(from, src, to, dst, part, hops, ports, false));
        }
        return results;
    }

    /** Continues a flow from a source interface along one route. */
    private followRoute(from: NetworkNode, src: Placement, to: NetworkNode, dst: Placement | undefined, part: { route: RouteEntry; space: Space; table: RouteTable }, before: Hop[], ports: Interval, firewall: boolean): PathResult[] {
        const { route, table } = part;
        const hops = before.slice();
        const done = (space: Space, last: Hop[], throughFirewall: boolean): PathResult[] => {
            // The source subnet's ACL: the request out, and its reply back in (stateless).
            const out = this.naclHop(src.subnetId, true, space, D, P, "forward");
            const path = [...hops, ...last.slice(0, 1), out.hop];
            if (isEmpty(out.admitted)) return [{ hops: path, delivered: false, refusedAt: out.hop, throughFirewall }];
            const back = this.naclHop(src.subnetId, false, out.admitted, D, E, "reply");
            path.push(...last.slice(1), back.hop);
            const refusedAt = [out.hop, back.hop].find((h) => h.verdict === "refuse");
            return [{ hops: path, delivered: !isEmpty(back.admitted), refusedAt, throughFirewall }];
        };
        switch (route.target) {
            case "local": {
                if (!dst) {
                    const hop = this.routeHop(table, route, "forward", "refuse", ` (${to.label} is not in this VPC)`);
                    return [{ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: firewall }];
                }
                hops.push(this.routeHop(table, route, "forward", "allow"));
                return [this.insideToInside(from, src, to, dst, part.space, hops)];
            }
            case "gateway-endpoint": {
                const hop = this.routeHop(table, route, "forward", "allow", " (gateway endpoint)");
                return done(part.space, [hop, { kind: "destination", direction: "forward", verdict: "allow", detail: `${to.label} through gateway endpoint ${route.targetResource?.name ?? route.targetId}` }], firewall);
            }
            case "internet-gateway": {
                if (!from.publicAddress) {
                    const hop = this.routeHop(table, route, "forward", "refuse", `: ${from.label} has no public address, so the internet gateway drops its traffic`);
                    return [{ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: firewall }];
                }
                return done(part.space, [this.routeHop(table, route, "forward", "allow", " (to the internet)")], firewall);
            }
            case "nat-gateway": {
                const nat = route.targetResource;
                const natSubnet = nat ? str(prop(nat, "subnetId")) : undefined;
                const publicNat = nat ? (prop(nat, "connectivityType") ?? "public") === "public" : false;
                const onward = natSubnet ? this.routeSplit(natSubnet, part.space, D).routed.find((r) => r.route.target === "internet-gateway") : undefined;
                if (!publicNat || !onward) {
                    const hop = this.routeHop(table, route, "forward", "refuse", `: ${publicNat ? "the NAT gateway's subnet has no route to an internet gateway" : "a private NAT gateway does not reach the internet"}`);
                    return [{ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: firewall }];
                }
                return done(part.space, [this.routeHop(table, route, "forward", "allow", " (NAT, then the internet gateway)")], firewall);
            }
            case "network-firewall": {
                const fw = route.targetResource;
                hops.push(this.routeHop(table, route, "forward", "allow"));
                const fwSubnet = this.firewallSubnet(fw, route.targetId);
                const inspect: Hop = { kind: "network-firewall", direction: "forward", verdict: "allow", resource: ref(fw), detail: `inspected by ${fw?.name ?? route.targetId} (its rule groups are not evaluated by this model)` };
                if (!fwSubnet || firewall) {
                    const hop: Hop = { ...inspect, verdict: "refuse", detail: `${inspect.detail}; ${firewall ? "routed through a firewall twice" : "its subnet is unknown, so where it sends traffic is unknown"}` };
                    return [{ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: true }];
                }
                hops.push(inspect);
                const onward = this.routeSplit(fwSubnet, part.space, D);
                const results: PathResult[] = [];
                for (const next of onward.routed) {
                    if (next.route.target === "local") continue;
                    // Past the firewall, the NAT or internet gateway path continues from the source's ACL as before.
                    const viaNode: NetworkNode = { ...from, publicAddress: next.route.target === "internet-gateway" ? true : from.publicAddress };
                    results.push(...this.followRoute(viaNode, src, to, dst, next, hops, ports, true).map((p) => ({ ...p, throughFirewall: true })));
                }
                if (results.length === 0) {
                    const hop: Hop = { kind: "route", direction: "forward", verdict: "refuse", resource: ref(onward.table?.resource), detail: `the firewall's ${onward.table?.label ?? "subnet"} has no route onward` };
                    results.push({ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: true });
                }
                return results;
            }
            case "transit-gateway":
            case "vpn-gateway":
            case "peering": {
                if (route.target === "transit-gateway" && !this.tgwAttachedInAz(route.targetId, src)) {
                    const hop = this.routeHop(table, route, "forward", "refuse", `: the transit gateway has no attachment in ${src.availabilityZone ?? "this subnet's zone"} of this VPC`);
                    return [{ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: firewall }];
                }
                const kind = route.target as HopKind;
                return done(part.space, [this.routeHop(table, route, "forward", "allow"), { kind, direction: "forward", verdict: "allow", detail: `leaves the VPC through ${route.targetResource?.name ?? route.targetId} (what lies beyond is assumed to route to ${to.label})` }], firewall);
            }
            default: {
                const hop = this.routeHop(table, route, "forward", "refuse", ": the target is unknown to the model (an appliance interface or a missing resource)");
                return [{ hops: [...hops, hop], delivered: false, refusedAt: hop, throughFirewall: firewall }];
            }
        }
    }

    private firewallSubnet(fw: GraphResource | undefined, endpointId: string): string | undefined {
        if (!fw) return undefined;
        for (const status of objs(fw.outputs.firewallStatuses)) {
            for (const state of objs(status.syncStates)) {
                const att = obj(state.attachment ?? objs(state.attachments)[0]);
                if (att.endpointId === endpointId && str(att.subnetId)) return str(att.subnetId);
            }
        }
        return objs(prop(fw, "subnetMappings")).map((m) => str(m.subnetId)).find((s): s is string => !!s);
    }

    private tgwAttachments(transitGatewayId?: string): { resource: GraphResource; tgw: string; vpcId?: string; subnets: string[] }[] {
        return this.ofType("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
            .map((a) => ({ resource: a, tgw: str(prop(a, "transitGatewayId")) ?? "", vpcId: str(prop(a, "vpcId")), subnets: strings(prop(a, "subnetIds")) }))
            .filter((a) => !transitGatewayId || a.tgw === transitGatewayId);
    }

    private tgwAttachedInAz(transitGatewayId: string, placement: Placement): boolean {
        const vpcId = this.subnets.get(placement.subnetId)?.vpcId;
        return this.tgwAttachments(transitGatewayId).some((a) => a.vpcId === vpcId && a.subnets.some((s) => this.subnets.get(s)?.availabilityZone === placement.availabilityZone));
    }

    /** Two interfaces of one VPC: ACLs when the subnets differ, the destination's security groups, the reply. */
    private insideToInside(from: NetworkNode, src: Placement, to: NetworkNode, dst: Placement, space: Space, before: Hop[]): PathResult {
        const w = new PathWalk(space, before);
        const crosses = src.subnetId !== dst.subnetId;
        if (crosses && !w.step(this.naclHop(src.subnetId, true, w.current, D, P, "forward"))) return w.result(false);
        if (crosses && !w.step(this.naclHop(dst.subnetId, false, w.current, S, P, "forward"))) return w.result(false);
        if (!w.step(this.sgHop(to, "ingress", w.current, S, from.securityGroupIds))) return w.result(false);
        w.hops.push({ kind: "destination", direction: "forward", verdict: "allow", detail: `${to.label} in ${this.subnetLabel(dst.subnetId)}` });
        if (crosses && !w.step(this.naclHop(dst.subnetId, true, w.current, S, E, "reply"))) return w.result(false);
        if (crosses && !w.step(this.naclHop(src.subnetId, false, w.current, D, E, "reply"))) return w.result(false);
        return w.result(!isEmpty(w.current));
    }

    // ---- flows from outside --------------------------------------------------------------------------------------

    /** The ways traffic from an outside party could enter to reach `to`. */
    private entries(from: NetworkNode, to: NetworkNode): EntryKind[] {
        const vpcId = to.vpcId;
        const kinds: EntryKind[] = [];
        if (!vpcId || to.placements.length === 0) return kinds;
        if (from.kind === "internet") {
            if (this.internetGateways(vpcId).length > 0) kinds.push("internet-gateway");
            return kinds;
        }
        if (this.tgwAttachments().some((a) => a.vpcId === vpcId)) kinds.push("transit-gateway");
        if (this.ofType("aws:ec2/vpnGateway:VpnGateway", "aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment").some((g) => prop(g, "vpcId") === vpcId)) kinds.push("vpn-gateway");
        if (this.ofType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter").some((p) => prop(p, "vpcId") === vpcId || prop(p, "peerVpcId") === vpcId)) kinds.push("peering");
        if (this.privateLinkFront(to)) kinds.push("privatelink");
        const publicPart = (from.addresses ?? []).flatMap((iv) => subtractIntervals([[iv[0], Math.min(iv[1], SYNTHETIC_BASE - 1)]], NON_PUBLIC_V4.map(cidrInterval)));
        if (this.internetGateways(vpcId).length > 0 && publicPart.length > 0) kinds.push("internet-gateway");
        return kinds;
    }

    private noEntryReason(from: NetworkNode, to: NetworkNode): string {
        if (!to.vpcId) return `${to.label} is not in a VPC of the graph`;
        return from.kind === "internet"
            ? "the VPC has no internet gateway"
            : "the VPC has no Transit Gateway attachment, VPN gateway or peering connection, and no PrivateLink endpoint service fronts it";
    }

    private internetGateways(vpcId: string): GraphResource[] {
        const attached = new Set(this.ofType("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment").filter((a) => prop(a, "vpcId") === vpcId).map((a) => str(prop(a, "internetGatewayId"))));
        return this.ofType("aws:ec2/internetGateway:InternetGateway").filter((g) => prop(g, "vpcId") === vpcId || attached.has(this.idOf(g)));
    }

    /** A network load balancer published as an endpoint service that forwards to `to` (an ALB target group). */
    private privateLinkFront(to: NetworkNode): { nlb: NetworkNode; listenerPort: number; service: GraphResource } | undefined {
        const toArn = str(to.resource?.outputs.arn);
        for (const service of this.ofType("aws:ec2/vpcEndpointService:VpcEndpointService")) {
            for (const nlbArn of strings(prop(service, "networkLoadBalancerArns"))) {
                const nlb = this.loadBalancers().find((n) => str(n.resource?.outputs.arn) === nlbArn);
                if (!nlb) continue;
                if (nlb === to) return { nlb, listenerPort: 0, service };
                for (const listener of this.ofType("aws:lb/listener:Listener").filter((l) => prop(l, "loadBalancerArn") === nlbArn)) {
                    for (const action of objs(prop(listener, "defaultActions"))) {
                        const tg = str(action.targetGroupArn);
                        const attached = this.ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment").some((a) => prop(a, "targetGroupArn") === tg && prop(a, "targetId") === toArn);
                        if (attached) return { nlb, listenerPort: num(prop(listener, "port"), 0), service };
                    }
                }
            }
        }
        return undefined;
    }

    private fromOutside(from: NetworkNode, to: NetworkNode, ports: Interval, entry: EntryKind): PathResult[] {
        if (entry === "privatelink") return this.viaPrivateLink(from, to, ports);
        const results: PathResult[] = [];
        for (const dst of to.placements) {
            const space: Space = (from.addresses ?? []).map((iv) => [iv, cidrInterval(dst.cidr), ports, from.ephemeralPorts] as Box);
            const w = new PathWalk(space);
            const finish = () => results.push(w.result(!isEmpty(w.current) && w.hops.length > 0));
            // Where the traffic enters, and the subnet whose ACL sees it on the way in.
            let entrySubnet: string | undefined;
            if (entry === "transit-gateway") {
                const attachment = this.tgwAttachments().find((a) => a.vpcId === to.vpcId && a.subnets.some((s) => this.subnets.get(s)?.availabilityZone === dst.availabilityZone));
                if (!attachment) {
                    w.step({ admitted: [], hop: { kind: "entry", direction: "forward", verdict: "refuse", detail: `the Transit Gateway has no attachment in ${dst.availabilityZone} of this VPC` } });
                    finish();
                    continue;
                }
                entrySubnet = attachment.subnets.find((s) => this.subnets.get(s)?.availabilityZone === dst.availabilityZone);
                w.hops.push({ kind: "entry", direction: "forward", verdict: "allow", resource: ref(attachment.resource), detail: `enters through Transit Gateway attachment ${attachment.resource.name} in ${this.subnetLabel(entrySubnet!)}` });
            } else if (entry === "internet-gateway") {
                if (!to.publicAddress) {
                    w.step({ admitted: [], hop: { kind: "entry", direction: "forward", verdict: "refuse", detail: `${to.label} has no public address: nothing on the internet can address it` } });
                    finish();
                    continue;
                }
                w.hops.push({ kind: "entry", direction: "forward", verdict: "allow", detail: "enters through the VPC's internet gateway" });
            } else {
                w.hops.push({ kind: "entry", direction: "forward", verdict: "allow", detail: `enters through the VPC's ${entry}` });
            }
            // Stateless ACLs: for a Transit Gateway attachment in the destination's own subnet, AWS evaluates none
            // for the traffic from the attachment, but both directions of the reply.
            const sameSubnet = entrySubnet === dst.subnetId;
            if (entrySubnet && !sameSubnet && !w.step(this.naclHop(entrySubnet, true, w.current, D, P, "forward"))) { finish(); continue; }
            if (!sameSubnet && !w.step(this.naclHop(dst.subnetId, false, w.current, S, P, "forward"))) { finish(); continue; }
            if (!w.step(this.sgHop(to, "ingress", w.current, S, []))) { finish(); continue; }
            w.hops.push({ kind: "destination", direction: "forward", verdict: "allow", detail: `${to.label} in ${this.subnetLabel(dst.subnetId)}` });
            // The reply: the destination subnet's route back to the client, then the ACLs.
            const back = this.routeSplit(dst.subnetId, w.current, S);
            const expected: RouteTargetKind = entry === "transit-gateway" ? "transit-gateway" : entry === "internet-gateway" ? "internet-gateway" : entry;
            const good = back.routed.filter((r) => r.route.target === expected);
            const bad = back.routed.filter((r) => r.route.target !== expected);
            for (const r of bad) w.step({ admitted: w.current, hop: this.routeHop(r.table, r.route, "reply", "refuse", `: the reply to ${this.describeInterval(r.space[0][S])} does not go back through the ${entry}`) });
            if (!isEmpty(back.unrouted)) w.step({ admitted: w.current, hop: { kind: "route", direction: "reply", verdict: "refuse", resource: ref(back.table?.resource), detail: `${back.table?.label ?? this.subnetLabel(dst.subnetId)}: no route back to ${this.describeInterval(back.unrouted[0][S])}` } });
            w.current = good.flatMap((r) => r.space);
            if (good.length > 0) w.hops.push(this.routeHop(good[0].table, good[0].route, "reply", "allow"));
            if (isEmpty(w.current)) { finish(); continue; }
            if (!w.step(this.naclHop(dst.subnetId, true, w.current, S, E, "reply"))) { finish(); continue; }
            if (entrySubnet && !w.step(this.naclHop(entrySubnet, false, w.current, D, E, "reply"))) { finish(); continue; }
            finish();
        }
        return results;
    }

    /**
     * PrivateLink: the consumer's endpoint delivers to the network load balancer of the endpoint service (its
     * security group is evaluated when `enforceSecurityGroupInboundRulesOnPrivateLinkTraffic` is on, its subnets'
     * ACLs always), which forwards to its target, the application load balancer.
     */
    private viaPrivateLink(from: NetworkNode, to: NetworkNode, ports: Interval): PathResult[] {
        const front = this.privateLinkFront(to);
        if (!front) return [];
        const { nlb, listenerPort } = front;
        if (nlb !== to && (ports[0] !== ports[1] || listenerPort !== ports[0])) {
            const hop: Hop = { kind: "listener", direction: "forward", verdict: "refuse", resource: ref(nlb.resource), detail: `the PrivateLink load balancer listens on ${listenerPort} only` };
            return [{ hops: [hop], delivered: false, refusedAt: hop, throughFirewall: false }];
        }
        const enforce = (prop(nlb.resource!, "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic") ?? "on") === "on";
        const results: PathResult[] = [];
        for (const place of nlb.placements) {
            const w = new PathWalk((from.addresses ?? []).map((iv) => [iv, cidrInterval(place.cidr), ports, from.ephemeralPorts] as Box), [
                { kind: "entry", direction: "forward", verdict: "allow", resource: ref(front.service), detail: `enters through PrivateLink endpoint service ${front.service.name} at ${nlb.label}` },
            ]);
            const ok = w.step(this.naclHop(place.subnetId, false, w.current, S, P, "forward"))
                && (!enforce || w.step(this.sgHop(nlb, "ingress", w.current, S, [])))
                && w.step(this.naclHop(place.subnetId, true, w.current, S, E, "reply"));
            results.push(w.result(ok));
        }
        if (nlb === to) return results;
        // Second leg: the NLB's own connection to the ALB.
        const leg = this.canReach(nlb, to, ports);
        return results.map((r) => ({
            hops: [...r.hops, { kind: "listener", direction: "forward", verdict: leg.reachable ? "allow" : "refuse", resource: ref(nlb.resource), detail: `${nlb.label} forwards to ${to.label}: ${leg.reachable ? "reachable" : leg.refusedAt?.detail ?? "refused"}` } as Hop],
            delivered: r.delivered && leg.possible,
            refusedAt: r.refusedAt ?? (leg.reachable ? undefined : leg.refusedAt),
            throughFirewall: false,
        }));
    }
}
