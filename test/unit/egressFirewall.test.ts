import { beforeAll, describe, expect, it, vi } from "vitest";
import { OFFLINE_JWKS } from "../../components/identity";
import { checkEgressFirewallArgs, EGRESS_STATEFUL_DEFAULT_ACTIONS, egressSubnetCidrs, networkFirewallTarget } from "../../components/network";
import { privateSubnetCidrs } from "../../components/network/segmentedVpc";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { synthesize } from "../../cli/synth";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ofType, one, project, ROOT } from "../helpers";
import { synthesizedStack } from "../runCache";

const ROUTE = "aws:ec2/route:Route";

/** The route tables associated with subnets of a tier (the `mcpsec:tier` tag). */
function tablesOf(graph: ResourceGraph, tier: string): string[] {
    const subnets = new Set(ofType(graph, "aws:ec2/subnet:Subnet").filter((s) => (s.inputs.tags as Record<string, string>)["mcpsec:tier"] === tier).map((s) => s.id));
    return [...new Set(ofType(graph, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) => subnets.has(String(a.inputs.subnetId))).map((a) => String(a.inputs.routeTableId)))];
}

const routesIn = (graph: ResourceGraph, table: string): GraphResource[] => ofType(graph, ROUTE).filter((r) => r.inputs.routeTableId === table);

describe("egress plan", () => {
    it("turns declared wildcards into Network Firewall's leading-dot form", () => {
        expect(networkFirewallTarget("*.atlassian.net")).toBe(".atlassian.net");
        expect(networkFirewallTarget("API.GitHub.com.")).toBe("api.github.com");
    });

    it("carves the firewall and NAT subnets from the end of the zone, clear of the private subnets", () => {
        const cidrs = egressSubnetCidrs("10.41.0.0/16", privateSubnetCidrs("10.41.0.0/16", 3), 2);
        expect(cidrs).toEqual({ firewall: ["10.41.255.240/28", "10.41.255.224/28"], public: ["10.41.255.208/28", "10.41.255.192/28"] });
        expect(() => egressSubnetCidrs("10.41.0.0/24", privateSubnetCidrs("10.41.0.0/24", 6), 6))
            .toThrow(/mcpsec:network.cidrBlock: "10.41.0.0\/24" is too small for the egress firewall/);
    });

    it.each([
        [{ allowedDomains: [] }, /allowedDomains: \[\] is not allowed/],
        [{ allowedDomains: ["http://x.example.com"] }, /allowedDomains\[0\]/],
        [{ routeTables: [] }, /routeTables: \[\] is not allowed/],
        [{ routeTables: [{ routeTableId: "rtb-1", zone: 1, subnetCidrs: [] }] }, /routeTables\[0\].zone: 1 is not allowed/],
        [{ publicSubnetCidrs: [] }, /publicSubnetCidrs: 0 blocks is not allowed; expected one per availability zone/],
        [{ firewallSubnetCidrs: ["10.0.0.0/29"] }, /firewallSubnetCidrs\[0\]: "10.0.0.0\/29" is not allowed/],
    ])("refuses %j", (change, error) => {
        const args = {
            availabilityZones: ["eu-west-1a"], firewallSubnetCidrs: ["10.0.255.240/28"], publicSubnetCidrs: ["10.0.255.224/28"],
            routeTables: [{ routeTableId: "rtb-1", zone: 0, subnetCidrs: ["10.0.0.0/20"] }], allowedDomains: ["api.github.com"], ...change,
        };
        expect(() => checkEgressFirewallArgs("egress", args)).toThrow(error);
    });
});

describe("SecurityZone with a server that declares egress (security-zone-prod)", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthesizedStack("security-zone-prod");
    });

    it("passes only the declared domains, by SNI and Host, in strict order with drop and alert by default", () => {
        const group = one(graph, "aws:networkfirewall/ruleGroup:RuleGroup");
        expect(group.inputs).toMatchObject({
            type: "STATEFUL",
            ruleGroup: {
                // The declared domains only: the guards get their issuer's keys from the deploy, not from Cognito's host.
                rulesSource: { rulesSourceList: { generatedRulesType: "ALLOWLIST", targetTypes: ["TLS_SNI", "HTTP_HOST"], targets: [".atlassian.net", "api.atlassian.com"] } },
                statefulRuleOptions: { ruleOrder: "STRICT_ORDER" },
            },
        });
        const policy = one(graph, "aws:networkfirewall/firewallPolicy:FirewallPolicy").inputs.firewallPolicy as Record<string, unknown>;
        expect(policy).toMatchObject({
            statelessDefaultActions: ["aws:forward_to_sfe"],
            statelessFragmentDefaultActions: ["aws:forward_to_sfe"],
            statefulEngineOptions: { ruleOrder: "STRICT_ORDER", streamExceptionPolicy: "DROP" },
            statefulDefaultActions: EGRESS_STATEFUL_DEFAULT_ACTIONS,
            statefulRuleGroupReferences: [{ priority: 100, resourceArn: group.outputs.arn }],
        });
        expect(policy.statelessRuleGroupReferences).toBeUndefined();
        expect(EGRESS_STATEFUL_DEFAULT_ACTIONS.some((a) => a.startsWith("aws:drop_"))).toBe(true);
        expect(EGRESS_STATEFUL_DEFAULT_ACTIONS.some((a) => a.startsWith("aws:alert_"))).toBe(true);
        const firewall = one(graph, "aws:networkfirewall/firewall:Firewall");
        expect(firewall.inputs).toMatchObject({ deleteProtection: true, firewallPolicyArn: one(graph, "aws:networkfirewall/firewallPolicy:FirewallPolicy").outputs.arn });
    });

    it("logs ALERT and FLOW records to log groups under the zone key", () => {
        const key = one(graph, "aws:kms/key:Key").outputs.arn;
        const logging = one(graph, "aws:networkfirewall/loggingConfiguration:LoggingConfiguration");
        const configs = (logging.inputs.loggingConfiguration as { logDestinationConfigs: { logType: string; logDestinationType: string; logDestination: { logGroup: string } }[] }).logDestinationConfigs;
        expect(configs.map((c) => c.logType).sort()).toEqual(["ALERT", "FLOW"]);
        for (const c of configs) {
            const group = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.outputs.name === c.logDestination.logGroup)!;
            expect(group.inputs).toMatchObject({ kmsKeyId: key, retentionInDays: 731 });
        }
    });

    it("routes the workloads' way out only to the firewall endpoint, and the firewall's through NAT to the internet gateway and back", () => {
        const firewall = one(graph, "aws:networkfirewall/firewall:Firewall");
        const statuses = firewall.outputs.firewallStatuses as { syncStates: { attachments: { subnetId: string; endpointId: string }[] }[] }[];
        const endpoints = statuses.flatMap((s) => s.syncStates.flatMap((x) => x.attachments.map((a) => a.endpointId)));
        expect(endpoints).toHaveLength(1);
        const igw = one(graph, "aws:ec2/internetGateway:InternetGateway").id;
        const nat = one(graph, "aws:ec2/natGateway:NatGateway").id;

        const [privateTable] = tablesOf(graph, "private");
        const out = routesIn(graph, privateTable!).filter((r) => r.inputs.destinationCidrBlock === "0.0.0.0/0");
        expect(out.map((r) => r.inputs.vpcEndpointId)).toEqual(endpoints);
        expect(routesIn(graph, privateTable!).some((r) => r.inputs.gatewayId === igw || r.inputs.natGatewayId !== undefined)).toBe(false);

        const [firewallTable] = tablesOf(graph, "firewall");
        expect(routesIn(graph, firewallTable!).map((r) => [r.inputs.destinationCidrBlock, r.inputs.natGatewayId])).toEqual([["0.0.0.0/0", nat]]);

        const [publicTable] = tablesOf(graph, "public");
        const publicRoutes = routesIn(graph, publicTable!);
        expect(publicRoutes.filter((r) => r.inputs.destinationCidrBlock === "0.0.0.0/0").map((r) => r.inputs.gatewayId)).toEqual([igw]);
        // Replies to every private subnet cross the same endpoint: the stateful engine sees both directions.
        expect(publicRoutes.filter((r) => r.inputs.vpcEndpointId !== undefined).map((r) => [r.inputs.destinationCidrBlock, r.inputs.vpcEndpointId]))
            .toEqual(privateSubnetCidrs("10.41.0.0/16", 3).map((c) => [c, endpoints[0]]));
    });

    it("lets out HTTPS beyond the endpoints only from the server that declares egress (a guard fetches no JWKS)", () => {
        const open = ofType(graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0");
        expect(open.map((r) => [r.name.replace(/^mcp-prod-/, ""), r.inputs.description]).sort()).toEqual([
            ["tickets-to-egress", "HTTPS to the declared egress domains, through the egress firewall"],
        ]);
        for (const rule of open) {
            expect(rule.inputs).toMatchObject({ ipProtocol: "tcp", fromPort: 443, toPort: 443 });
        }
    });

    it("resolves the declared domains in DNS and nothing else beyond the zone's own", () => {
        const domains = ofType(graph, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList").flatMap((l) => l.inputs.domains as string[]);
        expect(domains).toEqual(expect.arrayContaining(["api.atlassian.com", "*.atlassian.net", "*"]));
        expect(domains.filter((d) => !/amazonaws\.com$|\.internal$|in-addr\.arpa$|^\*$/.test(d)).sort()).toEqual(["*.atlassian.net", "api.atlassian.com"]);
    });
});

describe("SecurityZone without declared egress (security-zone-dev)", () => {
    it("with guards: no internet gateway, NAT, firewall or route out; each guard gets its issuer's keys in its environment, and offline synthesis fetches nothing", async () => {
        const fetchSpy = vi.spyOn(globalThis, "fetch");
        let graph: ResourceGraph;
        try {
            // Synthesized here (not read from the run's cache): the spy must see this synthesis.
            graph = await synthesize({ project, stack: "security-zone-dev" });
            expect(fetchSpy).not.toHaveBeenCalled();
        } finally {
            fetchSpy.mockRestore();
        }
        for (const type of ["aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:networkfirewall/firewall:Firewall", "aws:networkfirewall/ruleGroup:RuleGroup"]) {
            expect(ofType(graph, type), type).toHaveLength(0);
        }
        expect(ofType(graph, ROUTE).filter((r) => r.inputs.destinationCidrBlock === "0.0.0.0/0")).toEqual([]);
        expect(ofType(graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0")).toEqual([]);
        const guards = ofType(graph, "aws:ecs/taskDefinition:TaskDefinition").map((t) => (JSON.parse(String(t.inputs.containerDefinitions)) as { name: string; environment: { name: string; value: string }[] }[]).find((c) => c.name === "mcp-guard")!);
        expect(guards.length).toBeGreaterThan(0);
        for (const g of guards) {
            const env = Object.fromEntries(g.environment.map((e) => [e.name, e.value]));
            expect(env.GUARD_JWKS).toBe(OFFLINE_JWKS);
            expect(env.GUARD_JWKS_URL).toBeUndefined();
        }
        const domains = ofType(graph, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList").flatMap((l) => l.inputs.domains as string[]);
        expect(domains.some((d) => d.startsWith("cognito-idp."))).toBe(false);
        expect(domains).toContain("ssm.eu-west-1.amazonaws.com");
    });

    it("unguarded (mcpsec:guard.allowUnguarded): has no internet gateway, NAT, firewall or route out at all", async () => {
        const dev = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.security-zone-dev.yaml"), "utf8");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-egress-")), "Pulumi.security-zone-dev.yaml");
        fs.writeFileSync(file, dev.replace(/ {2}mcpsec:guard:\n {4}image: [^\n]+\n/, "  mcpsec:guard:\n    allowUnguarded: true\n"));
        const graph = await synthesizedStack("security-zone-dev", file);
        expect(ofType(graph, "aws:ecs/taskDefinition:TaskDefinition").every((t) => !String(t.inputs.containerDefinitions).includes("mcp-guard"))).toBe(true);
        for (const type of ["aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "aws:networkfirewall/firewall:Firewall"]) {
            expect(ofType(graph, type), type).toHaveLength(0);
        }
        const outward = ofType(graph, ROUTE).filter((r) => r.inputs.destinationCidrBlock === "0.0.0.0/0" || r.inputs.gatewayId !== undefined || r.inputs.natGatewayId !== undefined || r.inputs.vpcEndpointId !== undefined);
        expect(outward).toEqual([]);
        for (const table of ofType(graph, "aws:ec2/routeTable:RouteTable")) {
            expect(table.inputs.routes ?? []).toEqual([]);
        }
        expect(ofType(graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0")).toEqual([]);
        // The DNS firewall is there all the same.
        expect(one(graph, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig").inputs.firewallFailOpen).toBe("DISABLED");
    });
});
