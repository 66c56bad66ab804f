/**
 * Reachability proof of pattern 2 with AgentCore Gateway (api-gateway-agentcore-dev): the entry point is reachable
 * only from the gateway targets' VPC Lattice resource gateway. The model (cli/reachability.ts) places the resource
 * gateway's interfaces in the target's subnets with its security groups; one mutation shows the proof notices.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { NetworkNode, ReachabilityModel } from "../../cli/reachability";
import { cloneGraph } from "../helpers";
import { synthesizedStack } from "../runCache";
import { byType, guardPort } from "./network";

let base: ResourceGraph;
beforeAll(async () => {
    base = await synthesizedStack("api-gateway-agentcore-dev");
});

const albOf = (model: ReachabilityModel): NetworkNode => {
    const albs = model.loadBalancers();
    expect(albs, "the zone's internal ALB is its only load balancer").toHaveLength(1);
    return albs[0];
};
const resourceGatewayOf = (model: ReachabilityModel): NetworkNode => {
    const nodes = model.nodes().filter((n) => n.kind === "resource-gateway");
    expect(nodes).toHaveLength(1);
    return nodes[0];
};

describe("reachability of api-gateway-agentcore-dev", () => {
    it("the Lattice resource gateway reaches the entry point on 443, and the entry point each server's guard", () => {
        const model = new ReachabilityModel(base);
        const alb = albOf(model);
        const entry = model.canReach(resourceGatewayOf(model), alb, 443);
        expect(entry.reachable, entry.explanation).toBe(true);
        for (const service of model.ecsServices()) {
            const result = model.canReach(alb, service, guardPort(base));
            expect(result.reachable, result.explanation).toBe(true);
        }
        expect(model.diagnostics).toEqual([]);
    });

    it("nothing else reaches the entry point: no outside network, no server's tasks, no interface endpoint", () => {
        const model = new ReachabilityModel(base);
        const alb = albOf(model);
        for (const outside of [model.external("enterprise networks", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]), model.internet()]) {
            const result = model.canReach(outside, alb, [0, 65535]);
            expect(result.possible, result.explanation).toBe(false);
        }
        for (const node of model.nodes().filter((n) => n.placements.length > 0 && n.kind !== "resource-gateway" && n !== alb)) {
            const result = model.canReach(node, alb, 443);
            expect(result.possible, `${node.label}: ${result.explanation}`).toBe(false);
        }
    });

    it("notices a resource gateway without its security group: the entry point refuses it", () => {
        const graph = cloneGraph(base);
        const target = byType(graph, "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget")[0];
        const managed = (target.inputs.privateEndpoint as { managedVpcResource: Record<string, unknown> }).managedVpcResource;
        for (const props of [target.inputs, target.outputs]) {
            (props.privateEndpoint as { managedVpcResource: Record<string, unknown> }).managedVpcResource = { ...managed, securityGroupIds: [] };
        }
        const model = new ReachabilityModel(graph);
        expect(model.canReach(resourceGatewayOf(model), albOf(model), 443).possible).toBe(false);
    });
});
