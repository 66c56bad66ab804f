import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { validateBlueprintConfig } from "../../components/config";
import { toolDigest } from "../../components/mcp";
import { checkSecurityZoneConfig } from "../../components/patterns";
import * as path from "path";
import { notesOf } from "../../cli/check";
import { FIXTURE_STACKS, ofType } from "../helpers";
import { guardAlarmPaths } from "../../policies/aws/guardAlarms";
import { synthesizedStack } from "../runCache";

const tool = { name: "t", description: "A tool.", inputSchema: { type: "object" }, scopes: ["s:read"] };
const server = { name: "docs", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"e".repeat(64)}`, port: 8080, tools: [{ ...tool, sha256: toolDigest(tool) }] };
const edge = { domainName: "mcp.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e" };
const identity = { callbackUrls: ["http://localhost:33418/callback"] };
const config = (change: Record<string, unknown> = {}) => validateBlueprintConfig({ pattern: "security-zone", environment: "dev", servers: [server], edge, identity, guard: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}` }, ...change }, "eu-west-1");

describe("SecurityZone config checks", () => {
    it("needs an entry point", () => {
        expect(() => checkSecurityZoneConfig(config({ edge: undefined }))).toThrow(/mcpsec:edge: is required but missing for the security-zone pattern/);
    });

    it("needs an authorization server: no MCP server without OAuth", () => {
        expect(() => checkSecurityZoneConfig(config({ identity: undefined }))).toThrow(/mcpsec:identity: is required but missing for the security-zone pattern/);
    });

    it.each([
        [`ghcr.io/acme/docs@sha256:${"e".repeat(64)}`],
        [`123456789012.dkr.ecr.us-east-1.amazonaws.com/mcp/docs@sha256:${"e".repeat(64)}`],
    ])("refuses an image the zone cannot pull without internet: %s", (image) => {
        expect(() => checkSecurityZoneConfig(config({ servers: [{ ...server, image }] }))).toThrow(/mcpsec:servers\[0\].image: .* the security zone has no internet route, so images must come from ECR in eu-west-1/);
    });

    it("admits an image of a central registry account in the stack's region, and advises no pull-through cache pull at run time", () => {
        const image = `210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/docs@sha256:${"e".repeat(64)}`;
        expect(() => checkSecurityZoneConfig(config({ servers: [{ ...server, image }] }))).not.toThrow();
        expect(() => checkSecurityZoneConfig(config({ servers: [{ ...server, image: `ghcr.io/acme/docs@sha256:${"e".repeat(64)}` }] }))).toThrow(/must be pulled once beforehand: the execution role does not import upstream images/);
    });

    it("refuses a Region whose Fargate tasks need ECS endpoints the zone does not create", () => {
        const raw = config();
        expect(() => checkSecurityZoneConfig({ ...raw, region: "ca-west-1" })).toThrow(/aws:region: "ca-west-1" is not allowed for the security-zone pattern; Fargate tasks .* ecs-agent, ecs-telemetry and ecs interface endpoints/);
    });

    it("counts the PrivateLink consumers' blocks against the network ACL's rules, naming the key", () => {
        const raw = config();
        const many = Array.from({ length: 16 }, (_, i) => `172.${16 + i}.0.0/16`);
        const privateLink = { allowedPrincipals: ["arn:aws:iam::111122223333:root"], allowedCidrs: many };
        expect(() => checkSecurityZoneConfig({ ...raw, edge: { ...raw.edge!, allowedCidrs: ["192.168.0.0/16"], privateLink } })).toThrow(/mcpsec:edge.privateLink.allowedCidrs: 17 separate networks/);
        expect(() => checkSecurityZoneConfig({ ...raw, edge: { ...raw.edge!, allowedCidrs: ["10.0.0.0/8"], privateLink: { ...privateLink, allowedCidrs: ["172.16.0.0/12"] } } })).not.toThrow();
    });

    it("defaults the allowed networks to the zone and refuses the whole internet", () => {
        expect(config().edge?.allowedCidrs).toEqual(["10.40.0.0/16"]);
        expect(() => config({ edge: { ...edge, allowedCidrs: ["0.0.0.0/0"] } })).toThrow(/mcpsec:edge.allowedCidrs/);
    });
});

describe("SecurityZone on the example stack", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthesizedStack("security-zone-dev");
    });

    it("alarms on each guard's denials, changed tools and missing heartbeats in the guard's own awslogs group", () => {
        const paths = guardAlarmPaths(graph.resources.map((r) => ({ type: r.type, props: r.inputs, name: r.name })));
        expect(paths.length).toBeGreaterThan(0);
        for (const p of paths) {
            expect(p.kind).toBe("ecs");
            expect(p.problems).toEqual([]);
            expect(p.alarms.tool_call_denied.length).toBeGreaterThan(0);
            expect(p.alarms.tool_changed.length).toBeGreaterThan(0);
            expect(p.heartbeat).toEqual([`mcp-dev-alerts-heartbeat-${p.server}`]);
        }
    });

    it("lets the enterprise networks of mcpsec:edge.allowedCidrs through the zone's NACL on 443, and the replies back", () => {
        const [nacl] = ofType(graph, "aws:ec2/networkAcl:NetworkAcl");
        expect(nacl.inputs.ingress).toContainEqual(expect.objectContaining({ action: "allow", protocol: "tcp", cidrBlock: "10.0.0.0/8", fromPort: 443, toPort: 443 }));
        expect(nacl.inputs.egress).toContainEqual(expect.objectContaining({ action: "allow", protocol: "tcp", cidrBlock: "10.0.0.0/8", fromPort: 1024, toPort: 65535 }));
    });

    it("records each server's approved description, tools manifest included, as inputs policies can read", () => {
        const [desc] = ofType(graph, "mcpsec:mcp:McpServer");
        expect(desc.inputs.url).toBe("https://docs-search.dev.mcp.example.com/mcp");
        const spec = desc.inputs.spec as { name: string; tools: { name: string; sha256: string; scopes: string[] }[] };
        expect(spec.name).toBe("docs-search");
        expect(spec.tools.map((t) => [t.name, t.scopes])).toEqual([["search_docs", ["docs:read"]], ["get_page", ["docs:read"]]]);
        expect(spec.tools.every((t) => /^[a-f0-9]{64}$/.test(t.sha256))).toBe(true);
    });

    it("parents each server's running resources under its description", () => {
        const [desc] = ofType(graph, "mcpsec:mcp:McpServer");
        const [service] = ofType(graph, "mcpsec:compute:McpService");
        expect(service.parent).toBe(desc.urn);
    });

    it("encrypts every log group with the zone key and admits servers only from the entry point", () => {
        const key = ofType(graph, "aws:kms/key:Key");
        expect(key).toHaveLength(1);
        for (const g of ofType(graph, "aws:cloudwatch/logGroup:LogGroup")) {
            expect(g.inputs.kmsKeyId, g.name).toBe(key[0].outputs.arn);
        }
        const albSg = ofType(graph, "aws:ec2/securityGroup:SecurityGroup").find((s) => s.name.endsWith("-alb"))!;
        for (const rule of ofType(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
            expect(rule.inputs.referencedSecurityGroupId).toBe(albSg.id);
        }
    });

    it("counts denied calls and changed tools in the guard's own log group, never in the server's", () => {
        const filters = ofType(graph, "aws:cloudwatch/logMetricFilter:LogMetricFilter").filter((f) => /tool_call_denied|tool_changed/.test(String(f.inputs.pattern)));
        const groups = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").map((g) => String(g.outputs.name));
        const guardGroup = groups.find((g) => g.endsWith("/guard"))!;
        expect(guardGroup).toBeDefined();
        expect(filters.map((f) => [f.inputs.logGroupName, f.inputs.pattern]).sort()).toEqual([[guardGroup, "{ $.event = \"tool_call_denied\" }"], [guardGroup, "{ $.event = \"tool_changed\" }"]]);
        const task = JSON.parse(String(ofType(graph, "aws:ecs/taskDefinition:TaskDefinition")[0].inputs.containerDefinitions)) as { name: string; logConfiguration: { options: Record<string, string> } }[];
        expect(task.find((c) => c.name === "mcp-guard")!.logConfiguration.options["awslogs-group"]).toBe(guardGroup);
        expect(task.find((c) => c.name !== "mcp-guard")!.logConfiguration.options["awslogs-group"]).not.toBe(guardGroup);
    });

    it("publishes each server's approved manifest as an encrypted SSM parameter", () => {
        const [param] = ofType(graph, "aws:ssm/parameter:Parameter");
        expect(param.inputs).toMatchObject({ name: "/mcpsec/dev/docs-search/tools-manifest", type: "SecureString", keyId: ofType(graph, "aws:kms/key:Key")[0].outputs.arn, tier: "Standard" });
        const value = param.inputs.value as { [k: string]: unknown; value?: string } | string;
        const text = typeof value === "string" ? value : String(value.value);
        expect(text).toBe("[secret: not available offline]");
        expect(param.parent).toBe(ofType(graph, "mcpsec:mcp:McpServer")[0].urn);
    });

    it("publishes each server's URL and the entry point as stack outputs", () => {
        expect(graph.outputs.serverUrls).toEqual({ "docs-search": "https://docs-search.dev.mcp.example.com/mcp" });
        expect(graph.outputs.entryPointDnsName).toMatch(/^internal-.*\.eu-west-1\.elb\.amazonaws\.com$/);
    });
});

describe("SecurityZone with the organization's account services", () => {
    it("creates no trail, detector, hub, scanner or recorder, keeps alarms and containment, and says so", async () => {
        const graph = await synthesizedStack("existing-services", path.join(FIXTURE_STACKS, "Pulumi.existing-services.yaml"));
        for (const type of ["aws:cloudtrail/trail:Trail", "aws:guardduty/detector:Detector", "aws:securityhub/account:Account", "aws:inspector2/enabler:Enabler", "aws:cfg/recorder:Recorder"]) {
            expect(ofType(graph, type), type).toHaveLength(0);
        }
        expect(ofType(graph, "aws:lambda/function:Function").filter((f) => f.name.includes("containment"))).toHaveLength(1);
        const policy = JSON.parse(ofType(graph, "aws:s3/bucketPolicy:BucketPolicy").find((p) => p.name.includes("archive"))!.inputs.policy as string);
        expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["DenyInsecureTransport", "DenyGovernanceBypass"]);
        expect(notesOf(graph)).toEqual(["account services left to the organization (not created or checked here): cloudTrail, guardDuty, securityHub, inspector, config"]);
    });
});
