/**
 * Independent proof of network reachability (issue 17): over the synthesized graph of every pattern stack, a model
 * of security groups, network ACLs, route tables, endpoints, listeners and target groups (cli/reachability.ts)
 * answers "can A reach B on port P", for the flows each pattern needs and the flows it must not have; then one
 * resource at a time is broken in a cloned graph to show the model notices.
 *
 * microservices-dev deploys no AWS network (it runs on an existing Kubernetes cluster): its proof, over NetworkPolicy
 * and Istio authorization, is test/proofs/k8sReachability.test.ts (model: cli/k8sReachability.ts).
 */
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { NetworkNode, ReachabilityModel } from "../../cli/reachability";
import { cloneGraph, FIXTURE_STACKS } from "../helpers";
import { synthesizedStack } from "../runCache";
import { addResource, allowedCidrs, byName, byType, ensureTransitGateway, firstOutside, guardPort, naclsOf, oldNaclRules, privateLinkCidrs, replaceNaclRules, securityGroupOf, serverPorts, setInput } from "./network";

/**
 * The AWS services every server's tasks reach on 443: image pull, layers, logs, secrets, keys, role credentials,
 * runtime monitoring, and the guard's approved manifest (SSM).
 */
const TASK_SERVICES = ["ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "kms", "sts", "guardduty-data", "ssm"];

/**
 * The example stacks, and the `privatelink` fixture: consumers reach the zone through its PrivateLink endpoint service
 * from a block (172.16.0.0/12) outside `edge.allowedCidrs`, and one image lives in another account.
 */
const STACK_FILES: Record<string, string | undefined> = {
    "security-zone-dev": undefined,
    "security-zone-prod": undefined,
    "privatelink": path.join(FIXTURE_STACKS, "Pulumi.privatelink.yaml"),
};
const STACKS = Object.keys(STACK_FILES);

const graphs = new Map<string, ResourceGraph>();
/**
 * security-zone-dev: no server declares egress and the guards get their issuer's keys from the deploy, so the zone
 * has no route out at all. The baseline of the mutations that add a route out.
 */
const noRouteOut = () => graphs.get("security-zone-dev")!;

beforeAll(async () => {
    for (const stack of STACKS) {
        graphs.set(stack, await synthesizedStack(stack, STACK_FILES[stack]));
    }
});

describe("the way out", () => {
    it("a zone whose servers declare no egress (dev, guarded): no task or load balancer reaches the internet at all, not even through a firewall", () => {
        const model = new ReachabilityModel(noRouteOut());
        expect(model.ecsServices().length).toBeGreaterThan(0);
        for (const node of [...model.ecsServices(), ...model.loadBalancers()]) {
            const result = model.canReach(node, model.internet(), [0, 65535]);
            expect(result.possible, `${node.label}: ${result.explanation}`).toBe(false);
        }
    });

    it("a zone with declared egress (prod): only the server that declares it reaches the internet, on 443 through the firewall", () => {
        const model = new ReachabilityModel(graphs.get("security-zone-prod")!);
        const out = model.ecsServices().filter((node) => model.canReach(node, model.internet(), [0, 65535]).possible);
        expect(out.map((n) => n.label)).toEqual([expect.stringContaining("tickets")]);
        const result = model.canReach(out[0], model.internet(), [0, 65535]);
        expect(result.paths.filter((p) => p.delivered).every((p) => p.throughFirewall)).toBe(true);
        expect(model.canReach(out[0], model.internet(), [0, 442]).possible).toBe(false);
    });
});

function entryPoint(model: ReachabilityModel): NetworkNode {
    const albs = model.loadBalancers().filter((lb) => lb.resource?.inputs.loadBalancerType === "application");
    expect(albs, "one application load balancer is the entry point").toHaveLength(1);
    return albs[0];
}

/** The network load balancer of the PrivateLink endpoint service, when the stack has one. */
function privateLinkNlb(model: ReachabilityModel): NetworkNode | undefined {
    const nlbs = model.loadBalancers().filter((lb) => lb.resource?.inputs.loadBalancerType === "network");
    expect(nlbs.length).toBeLessThanOrEqual(1);
    return nlbs[0];
}

function vpcCidr(graph: ResourceGraph): string {
    return byType(graph, "aws:ec2/vpc:Vpc")[0].inputs.cidrBlock as string;
}

describe.each(STACKS)("reachability of %s", (stack) => {
    let graph: ResourceGraph;
    let model: ReachabilityModel;
    let alb: NetworkNode;
    beforeAll(() => {
        graph = graphs.get(stack)!;
        // With `accountServices.guardDuty: existing` the organization runs GuardDuty; the zone's documented precondition
        // is that it manages the Fargate agent, which makes GuardDuty create its guardduty-data endpoint in the VPC.
        const operations = JSON.parse(graph.config["mcpsec:operations"] ?? "{}") as { accountServices?: { guardDuty?: string } };
        model = new ReachabilityModel(graph, { guardDutyManagedEndpoint: operations.accountServices?.guardDuty === "existing" ? true : "auto" });
        alb = entryPoint(model);
    });

    describe("flows the pattern needs", () => {
        it("every enterprise address of edge.allowedCidrs reaches the entry point on 443, and the reply returns", () => {
            const cidrs = allowedCidrs(graph);
            expect(cidrs.length).toBeGreaterThan(0);
            for (const cidr of cidrs) {
                const result = model.canReach(model.external(`enterprise client in ${cidr}`, [cidr]), alb, 443);
                expect(result.reachable, result.explanation).toBe(true);
            }
        });

        it("the entry point forwards each server's HTTPS traffic to its guard, over HTTPS, and reaches the guard's port", () => {
            const services = model.ecsServices();
            expect(services.map((s) => s.key).sort()).toEqual(Object.keys(serverPorts(graph)).map((n) => `ecs-service:${n}`).sort());
            for (const service of services) {
                const routes = model.serviceRoutes(alb).filter((r) => r.service === service && r.listenerPort === 443);
                expect(routes.length, `no HTTPS listener rule of the entry point forwards to ${service.label}`).toBeGreaterThan(0);
                for (const route of routes) {
                    // The target is the guard (its container and port), never the server, and the hop is TLS.
                    expect(route.port, `${service.label}: the target group reaches the guard's port`).toBe(guardPort(graph));
                    expect(route.targetGroup.inputs.protocol).toBe("HTTPS");
                    expect((route.targetGroup.inputs.healthCheck as { protocol?: string }).protocol).toBe("HTTPS");
                    const result = model.canReach(alb, service, route.port);
                    expect(result.reachable, result.explanation).toBe(true);
                }
            }
        });

        it("with edge.privateLink: every consumer address reaches the entry point through the endpoint service, its network load balancer reaches the ALB on 443 (forwarded connections and HTTPS health checks), and the request reaches each server", () => {
            const consumers = privateLinkCidrs(graph);
            const nlb = privateLinkNlb(model);
            expect(nlb !== undefined, "a PrivateLink network load balancer exactly when edge.privateLink is set").toBe(consumers.length > 0);
            if (!nlb) return;
            const forward = model.canReach(nlb, alb, 443);
            expect(forward.reachable, forward.explanation).toBe(true);
            for (const cidr of consumers) {
                const result = model.canReach(model.external(`PrivateLink consumer in ${cidr}`, [cidr]), alb, 443, { entry: "privatelink" });
                expect(result.reachable, result.explanation).toBe(true);
            }
            for (const route of model.serviceRoutes(alb).filter((r) => r.listenerPort === 443)) {
                const result = model.canReach(alb, route.service, route.port);
                expect(result.reachable, result.explanation).toBe(true);
            }
        });

        it.each(TASK_SERVICES)("each server's tasks reach %s on 443", (service) => {
            for (const tasks of model.ecsServices()) {
                const result = model.canReach(tasks, model.awsService(service), 443);
                expect(result.reachable, result.explanation).toBe(true);
            }
        });

        it("the graph deploys as modelled: no security group mixes inline rules with rule resources", () => {
            expect(model.diagnostics).toEqual([]);
        });
    });

    describe("flows the pattern must not have", () => {
        it("nothing on the internet reaches anything in the zone, on any port", () => {
            const internet = model.internet();
            for (const node of model.nodes()) {
                const result = model.canReach(internet, node, [0, 65535]);
                expect(result.possible, result.explanation).toBe(false);
            }
        });

        it("no task or load balancer reaches the internet except through the network firewall", () => {
            const internet = model.internet();
            for (const node of [...model.ecsServices(), ...model.loadBalancers()]) {
                const result = model.canReach(node, internet, [0, 65535]);
                const direct = result.paths.filter((p) => p.delivered && !p.throughFirewall);
                expect(direct, result.explanation).toEqual([]);
            }
        });

        it("no server reaches another server, on any port", () => {
            const services = model.ecsServices();
            for (const a of services) {
                for (const b of services.filter((s) => s !== a)) {
                    const result = model.canReach(a, b, [0, 65535]);
                    expect(result.possible, result.explanation).toBe(false);
                }
            }
        });

        it("no task reaches the entry point or the PrivateLink load balancer, on any port (a server cannot call another through them)", () => {
            for (const tasks of model.ecsServices()) {
                for (const lb of model.loadBalancers()) {
                    const result = model.canReach(tasks, lb, [0, 65535]);
                    expect(result.possible, `${tasks.label} -> ${lb.label}: ${result.explanation}`).toBe(false);
                }
            }
        });

        it("nothing reaches a server's own port: not the entry point, not another task, not a client, not the internet (only its guard, inside the task)", () => {
            const others = [...model.nodes(), model.external("enterprise clients", allowedCidrs(graph)), model.external("PrivateLink consumers", privateLinkCidrs(graph).length > 0 ? privateLinkCidrs(graph) : ["172.16.0.0/12"]), model.internet()];
            for (const [name, port] of Object.entries(serverPorts(graph))) {
                const service = model.node(`ecs-service:${name}`);
                expect(port).not.toBe(guardPort(graph));
                for (const from of others.filter((n) => n !== service)) {
                    const result = model.canReach(from, service, port);
                    expect(result.possible, `${from.label} -> ${service.label}:${port}: ${result.explanation}`).toBe(false);
                }
            }
        });

        it("enterprise clients do not reach a server's port directly (only through the entry point)", () => {
            const client = model.external("enterprise clients", allowedCidrs(graph));
            for (const [name, port] of Object.entries(serverPorts(graph))) {
                const service = model.node(`ecs-service:${name}`);
                for (const p of new Set([port, ...model.serviceRoutes(alb).filter((r) => r.service === service).map((r) => r.port)])) {
                    const result = model.canReach(client, service, p);
                    expect(result.possible, result.explanation).toBe(false);
                }
            }
        });
    });
});

describe("the model catches broken configurations (security-zone-dev, cloned and mutated)", () => {
    let base: ResourceGraph;
    let albSubnets: string[];
    let cidrs: string[];
    beforeAll(() => {
        base = graphs.get("security-zone-dev")!;
        albSubnets = entryPoint(new ReachabilityModel(base)).placements.map((p) => p.subnetId);
        cidrs = allowedCidrs(base);
    });

    /** The dev graph with the enterprise networks routed through a Transit Gateway attachment. */
    function withTransitGateway(): ResourceGraph {
        const graph = cloneGraph(base);
        ensureTransitGateway(graph, albSubnets, cidrs);
        return graph;
    }

    it("reports the old network ACL refusing the enterprise client's HTTPS to the entry point", () => {
        const graph = withTransitGateway();
        const [acl] = replaceNaclRules(graph, albSubnets, oldNaclRules(vpcCidr(graph)));
        const model = new ReachabilityModel(graph);
        const client = model.external("enterprise client", [`${firstOutside(cidrs, vpcCidr(graph))}/32`]);
        const result = model.canReach(client, entryPoint(model), 443, { entry: "transit-gateway" });
        expect(result.reachable, result.explanation).toBe(false);
        expect(result.refusedAt?.kind, result.explanation).toBe("network-acl");
        expect(result.refusedAt?.resource?.name).toBe(acl.name);
        expect(result.refusedAt?.detail).toMatch(/implicit deny/);
    });

    it("reports the old network ACL refusing the request itself when the attachment has subnets of its own", () => {
        const graph = cloneGraph(base);
        ensureTransitGateway(graph, albSubnets, cidrs, { dedicatedSubnets: true });
        const [acl] = replaceNaclRules(graph, albSubnets, oldNaclRules(vpcCidr(graph)));
        const model = new ReachabilityModel(graph);
        const client = model.external("enterprise client", [`${firstOutside(cidrs, vpcCidr(graph))}/32`]);
        const result = model.canReach(client, entryPoint(model), 443, { entry: "transit-gateway" });
        expect(result.reachable, result.explanation).toBe(false);
        expect(result.refusedAt?.kind, result.explanation).toBe("network-acl");
        expect(result.refusedAt?.resource?.name).toBe(acl.name);
        expect(result.refusedAt?.direction).toBe("forward");
        expect(result.refusedAt?.detail).toMatch(/inbound .*implicit deny/);
    });

    it("admits the same client once the ACL admits 443 from the enterprise block and the replies to it (control)", () => {
        const graph = withTransitGateway();
        const old = oldNaclRules(vpcCidr(graph));
        replaceNaclRules(graph, albSubnets, {
            ingress: [...old.ingress, ...cidrs.map((c, i) => ({ ruleNo: 200 + i, action: "allow", protocol: "tcp", cidrBlock: c, fromPort: 443, toPort: 443 }))],
            egress: [...old.egress, ...cidrs.map((c, i) => ({ ruleNo: 200 + i, action: "allow", protocol: "tcp", cidrBlock: c, fromPort: 1024, toPort: 65535 }))],
        });
        const model = new ReachabilityModel(graph);
        const result = model.canReach(model.external("enterprise clients", cidrs), entryPoint(model), 443);
        expect(result.reachable, result.explanation).toBe(true);
    });

    it("the zone's own network ACL admits every enterprise address once a Transit Gateway attachment routes it", () => {
        const model = new ReachabilityModel(withTransitGateway());
        const result = model.canReach(model.external("enterprise clients", cidrs), entryPoint(model), 443, { entry: "transit-gateway" });
        expect(result.reachable, result.explanation).toBe(true);
    });

    it("reports a stateless ACL that admits the request but not its reply", () => {
        const graph = withTransitGateway();
        const old = oldNaclRules(vpcCidr(graph));
        replaceNaclRules(graph, albSubnets, {
            ingress: [...old.ingress, ...cidrs.map((c, i) => ({ ruleNo: 200 + i, action: "allow", protocol: "tcp", cidrBlock: c, fromPort: 443, toPort: 443 }))],
            egress: old.egress,
        });
        const model = new ReachabilityModel(graph);
        const result = model.canReach(model.external("enterprise clients", cidrs), entryPoint(model), 443);
        expect(result.reachable).toBe(false);
        expect(result.refusedAt?.kind).toBe("network-acl");
        expect(result.refusedAt?.direction).toBe("reply");
    });

    it("with a Transit Gateway attached, clients still cannot reach a server port directly: the task security group refuses", () => {
        const graph = withTransitGateway();
        replaceNaclRules(graph, albSubnets, { ingress: [{ ruleNo: 100, action: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 }], egress: [{ ruleNo: 100, action: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 }] });
        const model = new ReachabilityModel(graph);
        const service = model.ecsServices()[0];
        const result = model.canReach(model.external("enterprise clients", cidrs), service, serverPorts(graph)[service.key.split(":")[1]]);
        expect(result.possible, result.explanation).toBe(false);
        expect(result.refusedAt?.kind).toBe("security-group");
    });

    it("an entry point admitting all of edge.allowedCidrs, the zone's own block included (before issue 17): a server's tasks reach it, and through it every other server", () => {
        const graph = cloneGraph(base);
        const lb = byType(graph, "aws:lb/loadBalancer:LoadBalancer").find((r) => r.inputs.loadBalancerType === "application")!;
        setInput(securityGroupOf(graph, lb), "ingress", [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: cidrs }]);
        const model = new ReachabilityModel(graph);
        const result = model.canReach(model.ecsServices()[0], entryPoint(model), 443);
        expect(result.reachable, result.explanation).toBe(true);
    });

    it("a security group ingress rule removed: the entry point no longer reaches the server", () => {
        const graph = cloneGraph(base);
        const ingress = byType(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find((r) => r.name.endsWith("-from-entry"))!;
        const before = new ReachabilityModel(graph);
        const service = before.ecsServices()[0];
        const port = before.serviceRoutes(entryPoint(before)).find((r) => r.service === service)!.port;
        expect(before.canReach(entryPoint(before), service, port).reachable).toBe(true);
        graph.resources = graph.resources.filter((r) => r !== ingress);
        const after = new ReachabilityModel(graph);
        const result = after.canReach(entryPoint(after), after.node(service.key), port);
        expect(result.reachable).toBe(false);
        expect(result.refusedAt?.kind).toBe("security-group");
        expect(result.refusedAt?.detail).toContain("inbound");
    });

    it("a route to an internet gateway: refused by the security groups alone, reachable once a task gets a public address and open egress (dev: no route out)", () => {
        const graph = cloneGraph(noRouteOut());
        const vpc = byType(graph, "aws:ec2/vpc:Vpc")[0];
        const igw = addResource(graph, "aws:ec2/internetGateway:InternetGateway", "proof-igw", "igw-0123456789abcdef0", { vpcId: vpc.id });
        const routeTable = byType(graph, "aws:ec2/routeTable:RouteTable")[0];
        addResource(graph, "aws:ec2/route:Route", "proof-default-route", "r-proof-igw", { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });
        const routeOnly = new ReachabilityModel(graph);
        const tasks = routeOnly.ecsServices()[0];
        const refused = routeOnly.canReach(tasks, routeOnly.internet(), 443);
        expect(refused.possible).toBe(false);
        expect(refused.refusedAt?.kind).toBe("security-group");

        const service = byType(graph, "aws:ecs/service:Service")[0];
        setInput(service, "networkConfiguration", { ...(service.inputs.networkConfiguration as object), assignPublicIp: true });
        const sgId = (service.inputs.networkConfiguration as { securityGroups: string[] }).securityGroups[0];
        addResource(graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "proof-open-egress", "sgr-proof", { securityGroupId: sgId, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" });
        const opened = new ReachabilityModel(graph);
        const result = opened.canReach(opened.node(tasks.key), opened.internet(), 443);
        expect(result.possible, result.explanation).toBe(true);
        expect(result.paths.some((p) => p.delivered && !p.throughFirewall)).toBe(true);
    });

    it("an internet-facing entry point with an internet gateway route is reachable from the internet (dev: no route out)", () => {
        const graph = cloneGraph(noRouteOut());
        const vpc = byType(graph, "aws:ec2/vpc:Vpc")[0];
        const igw = addResource(graph, "aws:ec2/internetGateway:InternetGateway", "proof-igw", "igw-0123456789abcdef0", { vpcId: vpc.id });
        const routeTable = byType(graph, "aws:ec2/routeTable:RouteTable")[0];
        addResource(graph, "aws:ec2/route:Route", "proof-default-route", "r-proof-igw", { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });
        const lb = byType(graph, "aws:lb/loadBalancer:LoadBalancer").find((r) => r.inputs.loadBalancerType === "application")!;
        setInput(lb, "internal", false);
        const sg = graph.resources.find((r) => r.id === (lb.inputs.securityGroups as string[])[0])!;
        setInput(sg, "ingress", [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }]);
        replaceNaclRules(graph, albSubnets, { ingress: [{ ruleNo: 100, action: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 }], egress: [{ ruleNo: 100, action: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 }] });
        const model = new ReachabilityModel(graph);
        const result = model.canReach(model.internet(), entryPoint(model), 443);
        expect(result.possible, result.explanation).toBe(true);
    });

    it("egress through a network firewall endpoint counts as inspected; a direct internet gateway route does not (dev: no route out)", () => {
        const graph = cloneGraph(noRouteOut());
        const vpc = byType(graph, "aws:ec2/vpc:Vpc")[0];
        const igw = addResource(graph, "aws:ec2/internetGateway:InternetGateway", "proof-igw", "igw-0123456789abcdef0", { vpcId: vpc.id });
        const fwSubnet = addResource(graph, "aws:ec2/subnet:Subnet", "proof-fw-subnet", "subnet-0fw", { vpcId: vpc.id, cidrBlock: "10.40.240.0/28", availabilityZone: "eu-west-1a" });
        const fwTable = addResource(graph, "aws:ec2/routeTable:RouteTable", "proof-fw-rt", "rtb-0fw", { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] });
        addResource(graph, "aws:ec2/routeTableAssociation:RouteTableAssociation", "proof-fw-assoc", "rtbassoc-0fw", { subnetId: fwSubnet.id, routeTableId: fwTable.id });
        addResource(graph, "aws:networkfirewall/firewall:Firewall", "proof-fw", "fw-proof", { vpcId: vpc.id, subnetMappings: [{ subnetId: fwSubnet.id }] }, {
            firewallStatuses: [{ syncStates: [{ availabilityZone: "eu-west-1a", attachments: [{ endpointId: "vpce-0firewall", subnetId: fwSubnet.id }] }] }],
        });
        const routeTable = byType(graph, "aws:ec2/routeTable:RouteTable")[0];
        const route = addResource(graph, "aws:ec2/route:Route", "proof-default-route", "r-proof-fw", { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-0firewall" });
        const service = byType(graph, "aws:ecs/service:Service")[0];
        setInput(service, "networkConfiguration", { ...(service.inputs.networkConfiguration as object), assignPublicIp: true });
        const sgId = (service.inputs.networkConfiguration as { securityGroups: string[] }).securityGroups[0];
        addResource(graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "proof-open-egress", "sgr-proof", { securityGroupId: sgId, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });

        const inspected = new ReachabilityModel(graph);
        const viaFirewall = inspected.canReach(inspected.ecsServices()[0], inspected.internet(), 443);
        expect(viaFirewall.possible, viaFirewall.explanation).toBe(true);
        expect(viaFirewall.paths.filter((p) => p.delivered).every((p) => p.throughFirewall), viaFirewall.explanation).toBe(true);

        setInput(route, "vpcEndpointId", undefined);
        setInput(route, "gatewayId", igw.id);
        const direct = new ReachabilityModel(graph);
        const bypass = direct.canReach(direct.ecsServices()[0], direct.internet(), 443);
        expect(bypass.paths.some((p) => p.delivered && !p.throughFirewall), bypass.explanation).toBe(true);
    });

    it("a target group that reaches the server's port directly (the service mapped to the server container, its port admitted): the model shows the entry point reaching the server past its guard", () => {
        const graph = cloneGraph(base);
        const ports = serverPorts(graph);
        const service = byType(graph, "aws:ecs/service:Service")[0];
        const name = Object.keys(ports).find((n) => service.name.endsWith(`-${n}-service`))!;
        setInput(service, "loadBalancers", (service.inputs.loadBalancers as Record<string, unknown>[]).map((lb) => ({ ...lb, containerName: name, containerPort: ports[name] })));
        const ingress = byType(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find((r) => r.name.endsWith(`-${name}-from-entry`))!;
        setInput(ingress, "fromPort", ports[name]);
        setInput(ingress, "toPort", ports[name]);
        const model = new ReachabilityModel(graph);
        const svc = model.node(`ecs-service:${name}`);
        expect(model.serviceRoutes(entryPoint(model)).filter((r) => r.service === svc).map((r) => r.port)).toEqual([ports[name]]);
        const result = model.canReach(entryPoint(model), svc, ports[name]);
        expect(result.reachable, result.explanation).toBe(true);
        // Before the change the same question is refused at the task's security group.
        const before = new ReachabilityModel(base);
        const refused = before.canReach(entryPoint(before), before.node(`ecs-service:${name}`), ports[name]);
        expect(refused.possible).toBe(false);
        expect(refused.refusedAt?.kind).toBe("security-group");
    });

    it("a listener rule pointing elsewhere: the server is no longer routed from the entry point", () => {
        const graph = cloneGraph(base);
        const model = new ReachabilityModel(graph);
        const service = model.ecsServices()[0];
        const route = model.serviceRoutes(entryPoint(model)).find((r) => r.service === service && r.rule)!;
        const elsewhere = addResource(graph, "aws:lb/targetGroup:TargetGroup", "proof-elsewhere", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/elsewhere/0123456789abcdef",
            { port: 9999, protocol: "HTTP", targetType: "ip", vpcId: byType(graph, "aws:ec2/vpc:Vpc")[0].id }, { arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/elsewhere/0123456789abcdef" });
        const rule = byName(graph, "aws:lb/listenerRule:ListenerRule", route.rule!.name);
        setInput(rule, "actions", [{ type: "forward", targetGroupArn: elsewhere.outputs.arn }]);
        const after = new ReachabilityModel(graph);
        expect(after.serviceRoutes(entryPoint(after)).filter((r) => r.service.key === service.key)).toEqual([]);
    });

    it("the removed gateway endpoint route: S3 layers are refused at the route table (dev: no route out)", () => {
        const graph = cloneGraph(noRouteOut());
        const endpoint = byType(graph, "aws:ec2/vpcEndpoint:VpcEndpoint").find((e) => e.inputs.vpcEndpointType === "Gateway")!;
        setInput(endpoint, "routeTableIds", []);
        const model = new ReachabilityModel(graph);
        const result = model.canReach(model.ecsServices()[0], model.awsService("s3"), 443);
        expect(result.reachable).toBe(false);
        expect(result.refusedAt?.kind, result.explanation).toBe("route");
    });
});

describe("the model catches a PrivateLink entry point that carries no traffic (privatelink fixture, cloned and mutated)", () => {
    let base: ResourceGraph;
    beforeAll(() => {
        base = graphs.get("privatelink")!;
    });

    it("the entry point admitting only edge.allowedCidrs (before issue 17): the network load balancer's connections and health checks are refused at the ALB's security group", () => {
        const graph = cloneGraph(base);
        const lb = byType(graph, "aws:lb/loadBalancer:LoadBalancer").find((r) => r.inputs.loadBalancerType === "application")!;
        setInput(securityGroupOf(graph, lb), "ingress", [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: allowedCidrs(graph) }]);
        const model = new ReachabilityModel(graph);
        const alb = entryPoint(model);
        const forward = model.canReach(privateLinkNlb(model)!, alb, 443);
        expect(forward.reachable).toBe(false);
        expect(forward.refusedAt?.kind, forward.explanation).toBe("security-group");
        expect(forward.refusedAt?.detail).toContain("inbound");
        const consumer = model.canReach(model.external("PrivateLink consumer", privateLinkCidrs(graph)), alb, 443, { entry: "privatelink" });
        expect(consumer.reachable, consumer.explanation).toBe(false);
    });

    it("the zone's network ACL without the consumers' blocks (before issue 17): the consumer is refused at the ACL of the load balancer's subnets", () => {
        const graph = cloneGraph(base);
        const model0 = new ReachabilityModel(graph);
        const subnets = privateLinkNlb(model0)!.placements.map((p) => p.subnetId);
        const consumers = privateLinkCidrs(graph);
        const [acl] = naclsOf(graph, subnets);
        const drop = (rules: unknown) => (rules as { cidrBlock: string }[]).filter((r) => !consumers.includes(r.cidrBlock));
        replaceNaclRules(graph, subnets, { ingress: drop(acl.inputs.ingress), egress: drop(acl.inputs.egress) } as { ingress: Record<string, unknown>[]; egress: Record<string, unknown>[] });
        const model = new ReachabilityModel(graph);
        const result = model.canReach(model.external("PrivateLink consumer", consumers), entryPoint(model), 443, { entry: "privatelink" });
        expect(result.reachable).toBe(false);
        expect(result.refusedAt?.kind, result.explanation).toBe("network-acl");
    });
});
