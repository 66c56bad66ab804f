/**
 * Reachability proof of pattern 2 (api-gateway-dev): the MCP services are reachable only through the API's VPC link.
 * The model (cli/reachability.ts) places the VPC link's interfaces in their subnets with their security groups; the
 * flows are judged over security groups, network ACLs, routes, listeners and target groups, then one resource at a
 * time is broken in a cloned graph to show the proof notices.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { NetworkNode, ReachabilityModel } from "../../cli/reachability";
import { cloneGraph } from "../helpers";
import { synthesizedStack } from "../runCache";
import { byType, ensureTransitGateway, guardPort, securityGroupOf, serverPorts, setInput } from "./network";

let base: ResourceGraph;
beforeAll(async () => {
    base = await synthesizedStack("api-gateway-dev");
});

const albOf = (model: ReachabilityModel): NetworkNode => {
    const albs = model.loadBalancers();
    expect(albs, "the zone's internal ALB is its only load balancer").toHaveLength(1);
    return albs[0];
};
const vpcLinkOf = (model: ReachabilityModel): NetworkNode => {
    const links = model.nodes().filter((n) => n.kind === "vpc-link");
    expect(links).toHaveLength(1);
    return links[0];
};
/** Every address outside the zone: the enterprise's private blocks and the internet. */
const outsiders = (model: ReachabilityModel) => [
    model.external("enterprise networks", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
    model.internet(),
];

describe("reachability of api-gateway-dev", () => {
    it("the VPC link reaches the entry point on 443, and the entry point each server's guard over HTTPS", () => {
        const model = new ReachabilityModel(base);
        const alb = albOf(model);
        const link = model.canReach(vpcLinkOf(model), alb, 443);
        expect(link.reachable, link.explanation).toBe(true);
        for (const service of model.ecsServices()) {
            const routes = model.serviceRoutes(alb).filter((r) => r.service === service && r.listenerPort === 443);
            expect(routes.length).toBeGreaterThan(0);
            for (const route of routes) {
                expect(route.port).toBe(guardPort(base));
                const result = model.canReach(alb, service, route.port);
                expect(result.reachable, result.explanation).toBe(true);
            }
        }
        expect(model.diagnostics).toEqual([]);
    });

    it("nothing else reaches the entry point: no outside network, no server's tasks, no interface endpoint", () => {
        const model = new ReachabilityModel(base);
        const alb = albOf(model);
        for (const outside of outsiders(model)) {
            const result = model.canReach(outside, alb, [0, 65535]);
            expect(result.possible, result.explanation).toBe(false);
        }
        for (const node of model.nodes().filter((n) => n.placements.length > 0 && n.kind !== "vpc-link" && n !== alb)) {
            const result = model.canReach(node, alb, 443);
            expect(result.possible, `${node.label}: ${result.explanation}`).toBe(false);
        }
    });

    it("no outside network reaches a server, on its own port or the guard's, nor the VPC link", () => {
        const model = new ReachabilityModel(base);
        for (const service of model.ecsServices()) {
            for (const port of [serverPorts(base)[service.key.split(":")[1]], guardPort(base)]) {
                for (const outside of outsiders(model)) {
                    const result = model.canReach(outside, service, port);
                    expect(result.possible, result.explanation).toBe(false);
                }
            }
        }
        for (const outside of outsiders(model)) {
            expect(model.canReach(outside, vpcLinkOf(model), [0, 65535]).possible).toBe(false);
        }
    });

    it("even with a Transit Gateway routing the enterprise networks into the zone, the entry point's security group refuses them", () => {
        const graph = cloneGraph(base);
        const subnets = byType(graph, "aws:ec2/subnet:Subnet").filter((s) => String(s.name).includes("private")).map((s) => s.id!);
        ensureTransitGateway(graph, subnets, ["10.0.0.0/8"], { dedicatedSubnets: true });
        const model = new ReachabilityModel(graph);
        const result = model.canReach(model.external("enterprise clients", ["10.0.0.0/8"]), albOf(model), 443);
        expect(result.possible, result.explanation).toBe(false);
    });

    describe("mutations the proof catches", () => {
        it("an entry point that admits the zone's block (as pattern 1 admits its networks): a server's tasks reach it", () => {
            const graph = cloneGraph(base);
            const lb = byType(graph, "aws:lb/loadBalancer:LoadBalancer")[0];
            const vpc = byType(graph, "aws:ec2/vpc:Vpc")[0].inputs.cidrBlock as string;
            setInput(securityGroupOf(graph, lb), "ingress", [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [vpc] }]);
            const model = new ReachabilityModel(graph);
            const result = model.canReach(model.ecsServices()[0], albOf(model), 443);
            expect(result.reachable, result.explanation).toBe(true);
        });

        it("a VPC link security group without its egress rule: the VPC link no longer reaches the entry point", () => {
            const graph = cloneGraph(base);
            const link = byType(graph, "aws:apigatewayv2/vpcLink:VpcLink")[0];
            const sg = byType(graph, "aws:ec2/securityGroup:SecurityGroup").find((s) => (link.inputs.securityGroupIds as string[]).includes(s.id!))!;
            setInput(sg, "egress", []);
            const model = new ReachabilityModel(graph);
            const result = model.canReach(vpcLinkOf(model), albOf(model), 443);
            expect(result.possible, result.explanation).toBe(false);
        });
    });
});
