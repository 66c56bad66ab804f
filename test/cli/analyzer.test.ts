import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { CheckReport, effectiveConfig, runCheck } from "../../cli/check";
import { UsageError } from "../../cli/errors";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { awsRules } from "../../policies/aws/rules";
import { cloneGraph, project, ROOT } from "../helpers";
import { synthesizedStack } from "../runCache";

const AWS_PACK = path.join(ROOT, "policies", "aws");
/** The first test to await a pack run shared by several tests waits for all of its stacks. */
const SHARED_RUN_TIMEOUT = 120_000;

/** A copy of the graph with one change, named as the stack so that results can be told apart. */
function broken(graph: ResourceGraph, stack: string, change: (g: ResourceGraph) => void): ResourceGraph {
    const g = cloneGraph(graph);
    g.stack = stack;
    change(g);
    return g;
}
const first = (g: ResourceGraph, type: string): GraphResource => g.resources.find((r) => r.type === type)!;

/** Copies of the default stack, each with one control broken, with the rule that must catch it and the resource type. */
function brokenCases(graph: ResourceGraph): [ResourceGraph, string, string][] {
    return [
        [broken(graph, "public-subnet", (g) => (first(g, "aws:ec2/subnet:Subnet").inputs.mapPublicIpOnLaunch = true)), "aws-ec2-subnet-no-public-ip", "aws:ec2/subnet:Subnet"],
        [broken(graph, "no-flow-log", (g) => (g.resources = g.resources.filter((r) => r.type !== "aws:ec2/flowLog:FlowLog"))), "aws-ec2-vpc-flow-logs-enabled", "aws:ec2/vpc:Vpc"],
        [broken(graph, "open-default-sg", (g) => (first(g, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").outputs.ingress = [{ protocol: "-1", self: true, fromPort: 0, toPort: 0 }])), "aws-ec2-default-security-group-closed", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"],
        [broken(graph, "unencrypted-logs", (g) => delete first(g, "aws:cloudwatch/logGroup:LogGroup").inputs.kmsKeyId), "aws-cloudwatch-log-group-encrypted", "aws:cloudwatch/logGroup:LogGroup"],
        [broken(graph, "short-retention", (g) => (first(g, "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays = 30)), "aws-cloudwatch-log-group-retention", "aws:cloudwatch/logGroup:LogGroup"],
        [broken(graph, "no-rotation", (g) => (first(g, "aws:kms/key:Key").inputs.enableKeyRotation = false)), "aws-kms-key-rotation-enabled", "aws:kms/key:Key"],
        [broken(graph, "no-waf", (g) => (g.resources = g.resources.filter((r) => r.type !== "aws:wafv2/webAclAssociation:WebAclAssociation"))), "aws-elb-alb-has-web-acl", "aws:lb/loadBalancer:LoadBalancer"],
        [broken(graph, "privileged", (g) => {
            const task = first(g, "aws:ecs/taskDefinition:TaskDefinition");
            task.inputs.containerDefinitions = JSON.stringify(JSON.parse(task.inputs.containerDefinitions as string).map((c: Record<string, unknown>) => ({ ...c, privileged: true })));
        }), "aws-ecs-task-not-privileged", "aws:ecs/taskDefinition:TaskDefinition"],
        // The secret detector (secretlint, an ES module, asynchronous) runs inside the pack process.
        [broken(graph, "token-in-env", (g) => {
            const task = first(g, "aws:ecs/taskDefinition:TaskDefinition");
            const token = ["ghp", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"].join("_");
            task.inputs.containerDefinitions = JSON.stringify(JSON.parse(task.inputs.containerDefinitions as string).map((c: Record<string, unknown>) => ({ ...c, environment: [...(c.environment as unknown[]), { name: "UPSTREAM", value: token }] })));
        }), "aws-ecs-task-no-secrets-in-environment", "aws:ecs/taskDefinition:TaskDefinition"],
        // Issue 10: the target group reaches the server's own container and port, past its guard.
        [broken(graph, "target-group-to-server-port", (g) => {
            const service = first(g, "aws:ecs/service:Service");
            const servers = JSON.parse(g.config["mcpsec:servers"]) as { name: string; port: number }[];
            const server = servers.find((x) => service.name.endsWith(`-${x.name}-service`))!;
            service.inputs.loadBalancers = service.outputs.loadBalancers = (service.inputs.loadBalancers as Record<string, unknown>[]).map((b) => ({ ...b, containerName: server.name, containerPort: server.port }));
        }), "aws-ecs-service-reachable-only-through-guard", "aws:ecs/service:Service"],
        [broken(graph, "wildcard-role", (g) => {
            const policy = g.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.endsWith("-execution"))!;
            policy.inputs.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }] });
        }), "aws-iam-no-wildcard-actions", "aws:iam/rolePolicy:RolePolicy"],
        [broken(graph, "tls10", (g) => (g.resources.find((r) => r.type === "aws:lb/listener:Listener" && r.inputs.protocol === "HTTPS")!.inputs.sslPolicy = "ELBSecurityPolicy-2016-08")), "aws-elb-listener-tls", "aws:lb/listener:Listener"],
        [broken(graph, "open-sg", (g) => {
            const sg = g.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name.endsWith("-alb"))!;
            sg.inputs.ingress = sg.outputs.ingress = [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }];
        }), "aws-ec2-security-group-no-internet-rule", "aws:ec2/securityGroup:SecurityGroup"],
        [broken(graph, "nat-route", (g) => {
            const table = g.resources.find((r) => r.type === "aws:ec2/routeTable:RouteTable" && r.name.endsWith("-private-rt"))!;
            const props = { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: "nat-0123456789abcdef0" };
            g.resources.push({ ...table, type: "aws:ec2/route:Route", name: "nat-out", urn: table.urn.replace(/aws:ec2\/routeTable:RouteTable::.*$/, "aws:ec2/route:Route::nat-out"), id: "r-nat", inputs: props, outputs: { ...props, id: "r-nat" }, dependencies: [table.urn], propertyDependencies: { routeTableId: [table.urn] } });
        }), "aws-ec2-workload-subnet-no-internet-route", "aws:ec2/route:Route"],
        [broken(graph, "endpoint-without-policy", (g) => {
            const endpoint = first(g, "aws:ec2/vpcEndpoint:VpcEndpoint");
            delete endpoint.inputs.policy;
            delete endpoint.outputs.policy;
        }), "aws-ec2-vpc-endpoint-policy-restricted", "aws:ec2/vpcEndpoint:VpcEndpoint"],
        [broken(graph, "open-nacl", (g) => (first(g, "aws:ec2/networkAcl:NetworkAcl").inputs.ingress = [{ ruleNo: 1, action: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 }])), "aws-ec2-network-acl-no-admin-ingress-from-internet", "aws:ec2/networkAcl:NetworkAcl"],
    ];
}

describe("policy packs through the Analyzer service (run-policy-pack + gRPC)", () => {
    let graph: ResourceGraph;
    let cases: [ResourceGraph, string, string][];
    /** One pack run for the default stack and every broken copy (one aws pack process instead of one per test). */
    let report: Promise<CheckReport>;
    beforeAll(async () => {
        graph = await synthesizedStack("security-zone-dev");
        cases = brokenCases(graph);
        report = runCheck({ project, targets: [{ graph }, ...cases.map(([g]) => ({ graph: g }))], packs: [AWS_PACK] });
        report.catch(() => undefined);
    });

    it("finds no mandatory violation on the default stack and reports each policy's metadata", async () => {
        const all = await report;
        expect(all.stacks[0].stack).toBe("security-zone-dev");
        expect(all.stacks[0].ok).toBe(true);
        expect(all.stacks[0].violations).toEqual([]);
        expect(all.packs[0].name).toBe("mcpsec-aws");
        const byName = new Map(all.packs[0].policies.map((p) => [p.name, p]));
        for (const rule of awsRules) {
            const info = byName.get(rule.meta.name)!;
            expect(info, rule.meta.name).toBeDefined();
            expect(info.severity).toBe(rule.meta.severity);
            expect(info.enforcementLevel).toBe(rule.meta.enforcementLevel ?? "mandatory");
            expect(info.remediation).toBe(rule.meta.remediation);
            expect(info.tags).toEqual(expect.arrayContaining(rule.meta.nist.map((n) => `nist:${n}`)));
            expect(info.framework?.reference).toBe(rule.meta.nist.join(", "));
        }
        expect(byName.get("aws-ec2-vpc-flow-logs-enabled")!.kind).toBe("stack");
        expect(byName.get("aws-ec2-subnet-no-public-ip")!.kind).toBe("resource");
    }, SHARED_RUN_TIMEOUT);

    it("catches each broken property, naming the rule and the resource", async () => {
        const all = await report;
        expect(all.ok).toBe(false);
        cases.forEach(([g, policy, type], i) => {
            const s = all.stacks[i + 1];
            expect(s.stack).toBe(g.stack);
            expect(s.ok).toBe(false);
            expect(new Set(s.violations.map((v) => v.policy)), g.stack).toEqual(new Set([policy]));
            const v = s.violations[0];
            expect(v.enforcementLevel).toBe("mandatory");
            expect(v.resourceType).toBe(type);
            expect(g.resources.filter((r) => r.type === type).map((r) => r.urn)).toContain(v.urn);
            expect(v.message.length).toBeGreaterThan(5);
            expect(v.remediation).not.toBe("");
        });
    }, SHARED_RUN_TIMEOUT);

    it("honours pack config: enforcement levels, 'all', and policy properties", async () => {
        const publicSubnet = broken(graph, "public-subnet", (g) => (first(g, "aws:ec2/subnet:Subnet").inputs.mapPublicIpOnLaunch = true));
        const [advisory, disabled, raised] = await Promise.all([
            runCheck({ project, targets: [{ graph: publicSubnet }], packs: [AWS_PACK], packConfigs: [{ all: "advisory" }] }),
            runCheck({ project, targets: [{ graph: publicSubnet }], packs: [AWS_PACK], packConfigs: [{ "aws-ec2-subnet-no-public-ip": "disabled" }] }),
            runCheck({ project, targets: [{ graph }], packs: [AWS_PACK], packConfigs: [{ "aws-cloudwatch-log-group-retention": { minimumRetentionDays: 400 } }] }),
        ]);
        expect(advisory.ok).toBe(true);
        expect(advisory.stacks[0].counts).toEqual({ mandatory: 0, advisory: 1 });
        expect(advisory.stacks[0].violations[0].enforcementLevel).toBe("advisory");
        expect(disabled.stacks[0].violations).toEqual([]);
        expect(raised.ok).toBe(false);
        const groups = graph.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup");
        expect(groups.length).toBeGreaterThan(1);
        expect(raised.stacks[0].violations.map((v) => [v.policy, v.message, v.urn])).toEqual(
            groups.map((g) => ["aws-cloudwatch-log-group-retention", "retentionInDays is 365; the minimum is 400.", g.urn]).sort((a, b) => a[2].localeCompare(b[2])));
    });

    it("fails clearly when a pack cannot start", async () => {
        await expect(runCheck({ project, targets: [{ graph }], packs: [path.join(ROOT, "components")] })).rejects.toThrow(/is not a policy pack: it has no PulumiPolicy.yaml/);
    });
});

describe("effectiveConfig", () => {
    const policies = [
        { name: "a", description: "", kind: "resource" as const, enforcementLevel: "mandatory" as const, severity: "high" as const, tags: [], remediation: "", configSchema: { properties: { min: { type: "integer", default: 5 } }, required: [] } },
        { name: "b", description: "", kind: "stack" as const, enforcementLevel: "advisory" as const, severity: "low" as const, tags: [], remediation: "" },
    ];

    it("applies defaults, 'all', and per-policy overrides in that order", () => {
        expect(effectiveConfig("p", policies, {}, {})).toEqual({ a: { enforcementLevel: "mandatory", properties: { min: 5 } }, b: { enforcementLevel: "advisory", properties: {} } });
        expect(effectiveConfig("p", policies, {}, { all: "disabled", a: { enforcementLevel: "advisory", min: 9 } })).toEqual({
            a: { enforcementLevel: "advisory", properties: { min: 9 } }, b: { enforcementLevel: "disabled", properties: {} },
        });
    });

    it.each([
        [{ c: "advisory" }, /"c" is not a policy of the pack; allowed: all, a, b/],
        [{ a: "sometimes" }, /a.enforcementLevel is "sometimes"; allowed: advisory, mandatory, remediate, disabled/],
        [{ a: { min: "five" } }, /a.min: must be integer/],
        [{ a: { mni: 3 } }, /a.mni: must NOT have additional properties/],
        [{ b: { x: 1 } }, /b takes no properties; got x/],
        [{ a: 7 }, /a is 7; allowed: an enforcement level or an object/],
    ])("rejects %j", (user, error) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        expect(() => effectiveConfig("p", policies, {}, user as any)).toThrow(UsageError);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        expect(() => effectiveConfig("p", policies, {}, user as any)).toThrow(error);
    });
});

describe("the kubernetes pack through the Analyzer service", () => {
    const K8S_PACK = path.join(ROOT, "policies", "kubernetes");
    /** The in-cluster layer and its broken copies, judged in one run of the kubernetes pack. */
    let report: Promise<CheckReport>;
    beforeAll(async () => {
        const layer = await synthesizedStack("microservices-dev");
        const privileged = broken(layer, "privileged-pod", (g) => {
            const d = first(g, "kubernetes:apps/v1:Deployment");
            const spec = d.inputs.spec as { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } };
            spec.template.spec.containers[0].securityContext.privileged = true;
        });
        const noMtls = broken(layer, "no-mtls", (g) => (g.resources = g.resources.filter((r) => r.type !== "kubernetes:security.istio.io/v1:PeerAuthentication")));
        const direct = broken(layer, "service-to-server", (g) => {
            // Stack rules read outputs (what the engine sends to AnalyzeStack), resource rules inputs: change both.
            const svc = first(g, "kubernetes:core/v1:Service");
            for (const props of [svc.inputs, svc.outputs]) {
                (props.spec as { ports: unknown[] }).ports = [{ name: "http-mcp", port: 8080, targetPort: 8080, protocol: "TCP" }];
            }
        });
        report = runCheck({ project, targets: [layer, privileged, noMtls, direct].map((graph) => ({ graph })), packs: [K8S_PACK] });
        report.catch(() => undefined);
    });
    const stack = async (name: string) => (await report).stacks.find((s) => s.stack === name)!;

    it("passes the in-cluster layer and catches a privileged pod and a missing mesh-wide mTLS", async () => {
        expect((await report).packs[0].name).toBe("mcpsec-kubernetes");
        expect((await stack("microservices-dev")).violations).toEqual([]);
        expect((await stack("privileged-pod")).violations.map((v) => [v.policy, v.resourceType])).toEqual([["kubernetes-pss-privileged", "kubernetes:apps/v1:Deployment"]]);
        expect((await stack("no-mtls")).violations.map((v) => v.policy)).toEqual(["kubernetes-istio-mtls-strict"]);
    }, SHARED_RUN_TIMEOUT);

    it("fails a stack whose Kubernetes Service reaches the MCP server's port directly, past the guard", async () => {
        const direct = await stack("service-to-server");
        expect(direct.violations.map((v) => [v.policy, v.resourceType, v.enforcementLevel])).toEqual([["kubernetes-mcp-reachable-only-through-guard", "kubernetes:core/v1:Service", "mandatory"]]);
        expect(direct.violations[0].message).toContain("targets the MCP server's port 8080");
    }, SHARED_RUN_TIMEOUT);
});
