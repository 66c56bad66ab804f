import { describe, expect, it } from "vitest";
import { synthesizeProgram } from "../../cli/synth";
import { validateBlueprintConfig } from "../../components/config";
import { toolDigest } from "../../components/mcp";
import { checkSecurityZoneConfig, SecurityZone, ZONE_QUOTAS, zoneCapacity } from "../../components/patterns";
import { InternalAlb } from "../../components/edge";
import { ofType, synthComponent } from "../helpers";

const edge = { domainName: "mcp.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e" };
const identity = { callbackUrls: ["http://localhost:33418/callback"] };

/** n servers, each with one tool whose scopes are given per server. */
function servers(n: number, scopesOf: (i: number) => string[] = (i) => [`s${i}:read`], extra: Record<string, unknown> = {}) {
    return Array.from({ length: n }, (_, i) => {
        const tool = { name: "t", description: "A tool.", inputSchema: { type: "object" }, scopes: scopesOf(i) };
        return { name: `srv-${i}`, image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/srv-${i}@sha256:${"e".repeat(64)}`, port: 8080, tools: [{ ...tool, sha256: toolDigest(tool) }], ...extra };
    });
}
const config = (list: unknown[], change: Record<string, unknown> = {}) =>
    validateBlueprintConfig({ pattern: "security-zone", environment: "dev", servers: list, edge, identity, guard: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}` }, ...change }, "eu-west-1");

describe("security zone quotas", () => {
    it("refuses more servers than a Cognito user pool holds resource servers, naming the quota to raise", () => {
        expect(() => checkSecurityZoneConfig(config(servers(26)))).toThrow(/mcpsec:servers: 26 servers is not allowed; .*holds 25 by default; expected at most 25 servers, or raise quota L-7CDAF993 \(up to 300\) and declare it in mcpsec:quotas.cognitoResourceServersPerPool/);
        expect(() => checkSecurityZoneConfig(config(servers(25)))).not.toThrow();
        expect(() => checkSecurityZoneConfig(config(servers(48), { quotas: { cognitoResourceServersPerPool: 50 } }))).not.toThrow();
        expect(() => checkSecurityZoneConfig(config(servers(30), { quotas: { cognitoResourceServersPerPool: 29 } }))).toThrow(/30 servers is not allowed; .*holds 29 \(mcpsec:quotas.cognitoResourceServersPerPool\)/);
    });

    it("validates the declared quota", () => {
        expect(() => config(servers(1), { quotas: { cognitoResourceServersPerPool: 400 } })).toThrow(/mcpsec:quotas.cognitoResourceServersPerPool: 400 is not allowed; expected 25 to 300/);
        expect(() => config(servers(1), { quotas: { albRules: 200 } })).toThrow(/mcpsec:quotas/);
    });

    it("refuses more scopes than the people client can hold (50, not adjustable), counting each server's own", () => {
        expect(() => checkSecurityZoneConfig(config(servers(10, () => ["a", "b", "c", "d", "e"])))).toThrow(/use 50 scopes \(each server's own, qualified by its URL\); .*at most 50 scopes \(not adjustable\); expected at most 48 scopes over all servers/);
        expect(() => checkSecurityZoneConfig(config(servers(12, () => ["a", "b", "c", "d"])))).not.toThrow();
        expect(() => checkSecurityZoneConfig(config(servers(49), { quotas: { cognitoResourceServersPerPool: 50 } }))).toThrow(/use 49 scopes/);
    });

    it("notes the Fargate vCPU a rollout needs when it exceeds the default quota, and says nothing when it fits", () => {
        expect(checkSecurityZoneConfig(config(servers(2))).notes).toEqual([]);
        const notes = checkSecurityZoneConfig(config(servers(10))).notes;
        expect(notes).toHaveLength(1);
        expect(notes[0]).toMatch(/hold 5 vCPU and up to 10 vCPU .*L-3032A538\) is 6 per region/);
    });

    it("the entry point refuses more routes than its listener can hold rules for (two each, 100 by default)", async () => {
        const routes = Array.from({ length: 51 }, (_, i) => ({ name: `r${i}`, host: `r${i}.mcp.example.com`, port: 8080, healthCheckPath: "/health" }));
        const alb = (n: number) => () => new InternalAlb("entry", { vpcId: "vpc-1", subnetIds: ["subnet-1"], vpcCidrBlock: "10.40.0.0/16", allowedCidrs: ["10.0.0.0/8"], certificateArn: edge.certificateArn, webAclArn: "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/a/b", routes: routes.slice(0, n) });
        await expect(synthComponent(alb(51))).rejects.toThrow(/InternalAlb "entry".routes: 51 routes is not allowed; expected at most 50 \(two listener rules each/);
        const graph = await synthComponent(alb(50));
        expect(ofType(graph, "aws:lb/listenerRule:ListenerRule")).toHaveLength(50);
    });

    // The synthesized graph is the judge here, not zoneCapacity: count what the program really creates.
    it.each([
        ["25 servers on the default quotas", 25, {}],
        ["48 servers (one scope each: the people client's limit) with the resource-server quota raised", 48, { quotas: { cognitoResourceServersPerPool: 50 } }],
    ])("%s: the graph stays within every counted quota", async (_label, n, change) => {
        const cfg = config(servers(n), change);
        const graph = await synthesizeProgram({ project: "test", stack: "unit", config: { "aws:region": "eu-west-1" }, program: async () => { new SecurityZone("zone", { config: cfg }); } });
        const resourceServers = ofType(graph, "aws:cognito/resourceServer:ResourceServer");
        expect(resourceServers).toHaveLength(n);
        expect(resourceServers.length).toBeLessThanOrEqual(cfg.quotas.cognitoResourceServersPerPool);
        const rules = ofType(graph, "aws:lb/listenerRule:ListenerRule");
        expect(rules.length).toBeLessThanOrEqual(ZONE_QUOTAS.albRulesPerLoadBalancer.default);
        expect(rules.length).toBe(zoneCapacity(cfg).albRules);
        expect(ofType(graph, "aws:lb/targetGroup:TargetGroup").length).toBeLessThanOrEqual(ZONE_QUOTAS.albTargetGroupsPerLoadBalancer.default);
        for (const client of ofType(graph, "aws:cognito/userPoolClient:UserPoolClient")) {
            const scopes = (client.inputs.allowedOauthScopes as string[] | undefined) ?? [];
            expect(scopes.length, client.name).toBeLessThanOrEqual(ZONE_QUOTAS.cognitoScopesPerAppClient.default);
        }
        for (const sg of ofType(graph, "aws:ec2/securityGroup:SecurityGroup")) {
            for (const dir of ["ingress", "egress"]) {
                const inline = (sg.inputs[dir] as { cidrBlocks?: string[] }[] | undefined) ?? [];
                // AWS counts one rule per CIDR block of an inline rule.
                const count = inline.reduce((sum, r) => sum + Math.max(1, r.cidrBlocks?.length ?? 0), 0);
                expect(count, `${sg.name} ${dir}`).toBeLessThanOrEqual(60);
            }
        }
    });
});
