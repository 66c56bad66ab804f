/**
 * Helpers of the reachability proof: the stacks it runs on, what their config declares, and mutations that break
 * one resource of a cloned graph (the way a weaker configuration or an old version would deploy it).
 */
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { cidrInterval, intToIpv4 } from "../../cli/reachability";

/** Server name -> MCP server port, from the stack config the graph was synthesized with. */
export function serverPorts(graph: ResourceGraph): Record<string, number> {
    const servers = JSON.parse(graph.config["mcpsec:servers"] ?? "[]") as { name: string; port: number }[];
    return Object.fromEntries(servers.map((s) => [s.name, s.port]));
}

/** The MCP guard's port of the stack (`mcpsec:guard.port`, default 8443): the only port of a task the entry point reaches. */
export function guardPort(graph: ResourceGraph): number {
    return (JSON.parse(graph.config["mcpsec:guard"] ?? "{}") as { port?: number }).port ?? 8443;
}

/** `mcpsec:edge.allowedCidrs` of the stack. */
export function allowedCidrs(graph: ResourceGraph): string[] {
    return (JSON.parse(graph.config["mcpsec:edge"] ?? "{}") as { allowedCidrs?: string[] }).allowedCidrs ?? [];
}

/** `mcpsec:edge.privateLink.allowedCidrs` of the stack (none without PrivateLink). */
export function privateLinkCidrs(graph: ResourceGraph): string[] {
    return (JSON.parse(graph.config["mcpsec:edge"] ?? "{}") as { privateLink?: { allowedCidrs?: string[] } }).privateLink?.allowedCidrs ?? [];
}

/** The (first) security group of a load balancer. */
export function securityGroupOf(graph: ResourceGraph, lb: GraphResource): GraphResource {
    const id = ((lb.inputs.securityGroups as string[] | undefined) ?? [])[0];
    const sg = graph.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.id === id);
    if (!sg) throw new Error(`load balancer ${lb.name} has no security group in the graph`);
    return sg;
}

export function byType(graph: ResourceGraph, type: string): GraphResource[] {
    return graph.resources.filter((r) => r.type === type);
}

export function byName(graph: ResourceGraph, type: string, name: string): GraphResource {
    const found = graph.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no resource named ${name}`);
    return found;
}

/** Adds a custom resource whose outputs are its inputs plus `outputs` (as the mocks answer). */
export function addResource(graph: ResourceGraph, type: string, name: string, id: string, inputs: Record<string, unknown>, outputs: Record<string, unknown> = {}): GraphResource {
    const r: GraphResource = {
        urn: `urn:pulumi:${graph.stack}::${graph.project}::${type}::${name}`, type, name, custom: true, id,
        dependencies: [], propertyDependencies: {}, inputs, outputs: { ...inputs, ...outputs },
        options: { protect: false, ignoreChanges: [], retainOnDelete: false, additionalSecretOutputs: [], replaceOnChanges: [], aliases: [] },
    };
    graph.resources.push(r);
    return r;
}

/** Sets one input (and the matching output, as the mocks echo inputs). */
export function setInput(r: GraphResource, key: string, value: unknown): void {
    r.inputs[key] = value;
    r.outputs[key] = value;
}

/** The network ACL resource(s) that hold the subnets of a node's placements. */
export function naclsOf(graph: ResourceGraph, subnetIds: string[]): GraphResource[] {
    return byType(graph, "aws:ec2/networkAcl:NetworkAcl").filter((acl) => ((acl.inputs.subnetIds as string[] | undefined) ?? []).some((s) => subnetIds.includes(s)))
        .concat(byType(graph, "aws:ec2/networkAclAssociation:NetworkAclAssociation").filter((a) => subnetIds.includes(a.inputs.subnetId as string))
            .map((a) => graph.resources.find((r) => r.id === a.inputs.networkAclId)!).filter(Boolean));
}

/**
 * The network ACL of the zone before issue 17 (git history, components/network/segmentedVpc.ts): TCP from the VPC
 * block, ephemeral ports from 0.0.0.0/0 (3389 left out), HTTPS out; no rule for the enterprise networks.
 */
export function oldNaclRules(vpcCidr: string): { ingress: Record<string, unknown>[]; egress: Record<string, unknown>[] } {
    return {
        ingress: [
            { ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: vpcCidr, fromPort: 0, toPort: 65535 },
            { ruleNo: 110, action: "allow", protocol: "udp", cidrBlock: vpcCidr, fromPort: 1024, toPort: 65535 },
            { ruleNo: 120, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 1024, toPort: 3388 },
            { ruleNo: 130, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 3390, toPort: 65535 },
        ],
        egress: [
            { ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: vpcCidr, fromPort: 0, toPort: 65535 },
            { ruleNo: 110, action: "allow", protocol: "udp", cidrBlock: vpcCidr, fromPort: 53, toPort: 53 },
            { ruleNo: 120, action: "allow", protocol: "tcp", cidrBlock: "0.0.0.0/0", fromPort: 443, toPort: 443 },
        ],
    };
}

/**
 * Replaces the rules of every ACL holding these subnets (inline rules, and any separate rule resources, which are
 * removed) with the given ones.
 */
export function replaceNaclRules(graph: ResourceGraph, subnetIds: string[], rules: { ingress: Record<string, unknown>[]; egress: Record<string, unknown>[] }): GraphResource[] {
    const acls = naclsOf(graph, subnetIds);
    if (acls.length === 0) throw new Error("no network ACL holds these subnets");
    const ids = new Set(acls.map((a) => a.id));
    graph.resources = graph.resources.filter((r) => !(r.type === "aws:ec2/networkAclRule:NetworkAclRule" && ids.has(r.inputs.networkAclId as string)));
    for (const acl of acls) {
        setInput(acl, "ingress", rules.ingress);
        setInput(acl, "egress", rules.egress);
    }
    return acls;
}

/**
 * Makes sure the enterprise networks are routed through a Transit Gateway attachment in the zone's subnets, as a
 * deployment with the attachment configured would (kept when the graph already has one).
 */
export function ensureTransitGateway(graph: ResourceGraph, subnetIds: string[], cidrs: string[], options: { dedicatedSubnets?: boolean } = {}): void {
    const existing = byType(graph, "aws:ec2transitgateway/vpcAttachment:VpcAttachment");
    if (existing.length > 0 && !options.dedicatedSubnets) return;
    const vpc = byType(graph, "aws:ec2/vpc:Vpc")[0];
    const tgw = "tgw-0123456789abcdef0";
    let attachmentSubnets = subnetIds;
    if (options.dedicatedSubnets) {
        // AWS's recommended layout: a small subnet per zone for the attachment, with an ACL that admits all.
        const [, vpcEnd] = cidrInterval(vpc.inputs.cidrBlock as string);
        attachmentSubnets = subnetIds.map((id, i) => {
            const zone = graph.resources.find((r) => r.id === id)?.inputs.availabilityZone;
            return addResource(graph, "aws:ec2/subnet:Subnet", `proof-tgw-subnet-${i}`, `subnet-0tgw${i}`, { vpcId: vpc.id, cidrBlock: `${intToIpv4(vpcEnd - 16 * (i + 1) + 1)}/28`, availabilityZone: zone }).id!;
        });
        const all = [{ ruleNo: 100, action: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 }];
        addResource(graph, "aws:ec2/networkAcl:NetworkAcl", "proof-tgw-nacl", "acl-0tgw", { vpcId: vpc.id, subnetIds: attachmentSubnets, ingress: all, egress: all });
        if (existing.length > 0) {
            // The stack already attaches a Transit Gateway (with its routes): move its attachment to these subnets.
            existing.forEach((a) => setInput(a, "subnetIds", attachmentSubnets));
            return;
        }
    }
    addResource(graph, "aws:ec2transitgateway/vpcAttachment:VpcAttachment", "proof-tgw-attachment", "tgw-attach-0123456789abcdef0", { transitGatewayId: tgw, vpcId: vpc.id, subnetIds: attachmentSubnets });
    const tables = new Set(byType(graph, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) => subnetIds.includes(a.inputs.subnetId as string)).map((a) => a.inputs.routeTableId as string));
    let i = 0;
    for (const routeTableId of tables) {
        for (const cidr of cidrs) {
            addResource(graph, "aws:ec2/route:Route", `proof-tgw-route-${i++}`, `r-${routeTableId}-${i}`, { routeTableId, destinationCidrBlock: cidr, transitGatewayId: tgw });
        }
    }
}

/** The first address of the blocks that lies outside the VPC block (a concrete enterprise client). */
export function firstOutside(cidrs: string[], vpcCidr: string): string {
    const [vlo, vhi] = cidrInterval(vpcCidr);
    for (const c of cidrs) {
        const [lo, hi] = cidrInterval(c);
        const candidate = lo + 10 < vlo || lo + 10 > vhi ? lo + 10 : vhi + 10;
        if (candidate <= hi) {
            return intToIpv4(candidate);
        }
    }
    throw new Error("every allowed block lies inside the VPC");
}
