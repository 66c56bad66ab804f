/**
 * Pattern 2 with AgentCore Gateway (api-gateway-agentcore-dev) over the graph synthesized under mocks: what makes the
 * AgentCore door secure. One synthesis shared by every test.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { checkAgentcoreGatewayArgs, type McpAgentcoreGatewayArgs } from "../../components/agentcore";
import { validateBlueprintConfig } from "../../components/config";
import { toolDigest } from "../../components/mcp";
import { AGENTCORE_CLIENT_NAME, checkApiGatewayCentricConfig } from "../../components/patterns";
import { ofType, one } from "../helpers";
import { synthesizedStack } from "../runCache";

const GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway";
const ZONE_URL = "https://docs-search.zone.acdev.mcp.example.com/mcp";

let graph: ResourceGraph;
const named = (type: string, suffix: string) => ofType(graph, type).find((r) => r.name.endsWith(suffix))!;
const doc = (r: GraphResource) => JSON.parse(String(r.inputs.policy ?? r.inputs.assumeRolePolicy)) as { Statement: { Sid?: string; Action: string | string[]; Resource?: unknown; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> }[] };

beforeAll(async () => {
    graph = await synthesizedStack("api-gateway-agentcore-dev");
});

describe("pattern 2 on AgentCore Gateway (api-gateway-agentcore-dev)", () => {
    it("validates tokens itself: CUSTOM_JWT on the zone's own pool, the people client only, MCP versions and session pinned, no DEBUG detail, zone key", () => {
        const gw = one(graph, GATEWAY);
        const pool = one(graph, "aws:cognito/userPool:UserPool");
        const people = named("aws:cognito/userPoolClient:UserPoolClient", "-people");
        expect(gw.inputs.protocolType).toBe("MCP");
        expect(gw.inputs.authorizerType).toBe("CUSTOM_JWT");
        const jwt = (gw.inputs.authorizerConfiguration as { customJwtAuthorizer: { discoveryUrl: string; allowedClients: string[] } }).customJwtAuthorizer;
        expect(jwt.discoveryUrl).toBe(`https://cognito-idp.eu-west-1.amazonaws.com/${pool.id}/.well-known/openid-configuration`);
        expect(jwt.allowedClients).toEqual([people.id]);
        expect(gw.inputs.protocolConfiguration).toEqual({ mcp: { supportedVersions: ["2025-06-18", "2025-11-25"], sessionConfiguration: { sessionTimeoutInSeconds: 3600 } } });
        expect(gw.inputs.exceptionLevel).toBeUndefined();
        expect(gw.inputs.kmsKeyArn).toBe(one(graph, "aws:kms/key:Key").outputs.arn);
        expect(graph.outputs.agentcoreGatewayUrl).toBe(gw.outputs.gatewayUrl);
    });

    it("enforces the Cedar policies: engine in ENFORCE mode, one FAIL_ON_ANY_FINDINGS permit per tool naming this gateway", () => {
        const gw = one(graph, GATEWAY);
        const engine = one(graph, "aws:bedrock/agentcorePolicyEngine:AgentcorePolicyEngine");
        expect(gw.inputs.policyEngineConfiguration).toEqual({ arn: engine.outputs.policyEngineArn, mode: "ENFORCE" });
        const policies = ofType(graph, "aws:bedrock/agentcorePolicy:AgentcorePolicy");
        expect(policies.map((p) => /AgentCore::Action::"([^"]+)"/.exec(String((p.inputs.definition as { cedar: { statement: string } }).cedar.statement))?.[1]).sort()).toEqual(["docs-search___get_page", "docs-search___search_docs"]);
        for (const p of policies) {
            const statement = (p.inputs.definition as { cedar: { statement: string } }).cedar.statement;
            expect(p.inputs.validationMode).toBe("FAIL_ON_ANY_FINDINGS");
            expect(p.inputs.policyEngineId).toBe(engine.outputs.policyEngineId);
            expect(statement).toMatch(/^permit \(/);
            expect(statement).toContain(String(gw.outputs.gatewayArn));
            expect(statement).toContain(`${ZONE_URL}/docs:read`);
        }
    });

    it("runs both interceptors, Lambdas of this stack outside the VPC, traced, capped, logging to encrypted groups", () => {
        const gw = one(graph, GATEWAY);
        const fns = ofType(graph, "aws:lambda/function:Function").filter((f) => f.name.includes("interceptor"));
        expect(fns).toHaveLength(2);
        const points = (gw.inputs.interceptorConfigurations as { interceptor: { lambda: { arn: string } }; interceptionPoints: string[] }[])
            .map((c) => [c.interceptionPoints.join(), fns.find((f) => f.outputs.arn === c.interceptor.lambda.arn)?.name]);
        expect(points).toEqual([["REQUEST", expect.stringContaining("request-interceptor")], ["RESPONSE", expect.stringContaining("response-interceptor")]]);
        for (const f of fns) {
            expect(f.inputs.vpcConfig).toBeUndefined();
            expect(f.inputs.tracingConfig).toEqual({ mode: "Active" });
            expect(f.inputs.reservedConcurrentExecutions).toBe(100);
            const group = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.outputs.name === (f.inputs.loggingConfig as { logGroup: string }).logGroup)!;
            expect(group.inputs.kmsKeyId).toBeTruthy();
            expect(group.inputs.retentionInDays).toBe(365);
            const policy = ofType(graph, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === f.name)!;
            expect(doc(policy).Statement.flatMap((s) => [s.Action].flat()).sort()).toEqual(["kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        }
    });

    it("gives the gateway a role of its own: trusted by AgentCore for this account's gateway only, no write action of AgentCore", () => {
        const gw = one(graph, GATEWAY);
        const role = ofType(graph, "aws:iam/role:Role").find((r) => r.outputs.arn === gw.inputs.roleArn)!;
        const trust = doc(role).Statement[0];
        expect(trust.Principal).toEqual({ Service: "bedrock-agentcore.amazonaws.com" });
        expect(trust.Condition?.StringEquals?.["aws:SourceAccount"]).toMatch(/^\d{12}$/);
        expect(trust.Condition?.ArnLike?.["aws:SourceArn"]).toMatch(/:gateway\/mcp-acdev-agentcore-gw-\*$/);
        const actions = doc(ofType(graph, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.id)!).Statement.flatMap((s) => [s.Action].flat());
        expect(actions.filter((a) => a.startsWith("bedrock-agentcore:")).sort()).toEqual(["bedrock-agentcore:AuthorizeAction", "bedrock-agentcore:GetPolicyEngine", "bedrock-agentcore:GetResourceOauth2Token", "bedrock-agentcore:GetWorkloadAccessToken", "bedrock-agentcore:PartiallyAuthorizeActions"]);
        expect(actions.every((a) => !a.includes("*"))).toBe(true);
        const provider = one(graph, "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider");
        const secrets = doc(ofType(graph, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.id)!).Statement.find((s) => s.Sid === "TargetClientSecrets")!;
        expect(secrets.Resource).toEqual((provider.outputs.clientSecretArns as { secretArn: string }[]).map((a) => a.secretArn));
    });

    it("reaches each server privately at the zone's entry point: https, managed Lattice resource in the private subnets, the server's client-credentials token", () => {
        const target = one(graph, "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget");
        const alb = one(graph, "aws:lb/loadBalancer:LoadBalancer");
        const lattice = named("aws:ec2/securityGroup:SecurityGroup", "-lattice");
        expect(target.inputs.targetConfiguration).toEqual({ mcp: { mcpServer: { endpoint: ZONE_URL, listingMode: "DEFAULT" } } });
        const managed = (target.inputs.privateEndpoint as { managedVpcResource: Record<string, unknown> }).managedVpcResource;
        expect(managed).toMatchObject({ endpointIpAddressType: "IPV4", securityGroupIds: [lattice.id], routingDomain: alb.outputs.dnsName });
        expect(managed.subnetIds).toEqual(graph.outputs.privateSubnetIds);
        const oauth = (target.inputs.credentialProviderConfiguration as { oauth: { grantType: string; scopes: string[]; providerArn: string } }).oauth;
        expect(oauth).toMatchObject({ grantType: "CLIENT_CREDENTIALS", scopes: [`${ZONE_URL}/docs:read`] });
        // The provider holds the gateway's own client of the server, which the server's guard accepts.
        const client = named("aws:cognito/userPoolClient:UserPoolClient", `-agent-${AGENTCORE_CLIENT_NAME}-docs-search`);
        expect(client.inputs.allowedOauthFlows).toEqual(["client_credentials"]);
        const provider = one(graph, "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider");
        expect(provider.outputs.credentialProviderArn).toBe(oauth.providerArn);
        const task = JSON.parse(String(one(graph, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions)) as { name: string; environment: { name: string; value: string }[] }[];
        const guardEnv = task.find((c) => c.name === "mcp-guard")!.environment;
        expect(guardEnv.find((e) => e.name === "GUARD_CLIENT_IDS")?.value.split(",")).toContain(client.id);
    });

    it("orders a fresh deploy: each target after the servers and the listener rules it lists tools through, each Cedar policy after every target", () => {
        const targets = ofType(graph, "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget");
        const services = ofType(graph, "aws:ecs/service:Service");
        const rules = ofType(graph, "aws:lb/listenerRule:ListenerRule");
        expect(services.length).toBeGreaterThan(0);
        expect(rules.length).toBeGreaterThan(0);
        for (const t of targets) {
            expect(t.dependencies).toEqual(expect.arrayContaining([...services, ...rules].map((r) => r.urn)));
        }
        const policies = ofType(graph, "aws:bedrock/agentcorePolicy:AgentcorePolicy");
        expect(policies.length).toBeGreaterThan(0);
        for (const p of policies) {
            expect(p.dependencies).toEqual(expect.arrayContaining(targets.map((t) => t.urn)));
        }
    });

    it("lets the gateway role use the zone key as AWS documents for a customer managed key: describe, data keys, and grants only through AgentCore for Decrypt/GenerateDataKey", () => {
        const gw = one(graph, GATEWAY);
        const role = ofType(graph, "aws:iam/role:Role").find((r) => r.outputs.arn === gw.inputs.roleArn)!;
        const statements = doc(ofType(graph, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.id)!).Statement;
        const key = one(graph, "aws:kms/key:Key").outputs.arn;
        const kms = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith("kms:")));
        expect(kms.every((st) => st.Resource === key)).toBe(true);
        expect(kms.flatMap((st) => [st.Action].flat()).sort()).toEqual(["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]);
        const grant = kms.find((st) => [st.Action].flat().includes("kms:CreateGrant"))!;
        expect([grant.Action].flat()).toEqual(["kms:CreateGrant"]);
        expect(grant.Condition).toEqual({
            StringEquals: { "kms:ViaService": "bedrock-agentcore.eu-west-1.amazonaws.com", "kms:GrantConstraintType": "EncryptionContextSubset" },
            "ForAllValues:StringEquals": { "kms:GrantOperations": ["Decrypt", "GenerateDataKey"] },
        });
    });

    it("admits only the Lattice resource gateway at the entry point: its group opens 443 to the private subnets and accepts nothing", () => {
        const lattice = named("aws:ec2/securityGroup:SecurityGroup", "-lattice");
        expect(lattice.inputs.ingress).toEqual([]);
        expect(lattice.inputs.egress).toEqual([expect.objectContaining({ protocol: "tcp", fromPort: 443, toPort: 443 })]);
        const albSg = ofType(graph, "aws:ec2/securityGroup:SecurityGroup").find((g) => (one(graph, "aws:lb/loadBalancer:LoadBalancer").inputs.securityGroups as string[]).includes(g.id!))!;
        expect(albSg.inputs.ingress).toEqual([expect.objectContaining({ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: [lattice.id] })]);
        expect((albSg.inputs.ingress as { cidrBlocks?: string[] }[])[0].cidrBlocks).toBeUndefined();
    });

    it("limits per user where users are seen (the gateway's web ACL) and per server, all users together, at the entry point, which sees only the gateway's token", () => {
        const gw = one(graph, GATEWAY);
        const acls = ofType(graph, "aws:wafv2/webAcl:WebAcl");
        const rules = (acl: GraphResource) => JSON.parse(String(acl.inputs.ruleJson)) as { Name: string; Statement: { RateBasedStatement?: { Limit: number; AggregateKeyType: string; CustomKeys?: { Header?: { Name: string } }[]; ScopeDownStatement?: unknown } } }[];
        const rateKeys = (acl: GraphResource) => rules(acl).filter((r) => r.Statement.RateBasedStatement).map((r) => [r.Name, r.Statement.RateBasedStatement!.AggregateKeyType, r.Statement.RateBasedStatement!.CustomKeys?.[0]?.Header?.Name ?? null, r.Statement.RateBasedStatement!.Limit]);
        const assocArn = ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation").find((a) => a.inputs.resourceArn === gw.outputs.gatewayArn)!.inputs.webAclArn;
        const gatewayAcl = acls.find((a) => a.outputs.arn === assocArn)!;
        expect(rateKeys(gatewayAcl)).toEqual([["rate-per-ip", "IP", null, 1000], ["rate-per-token", "CUSTOM_KEYS", "authorization", 600]]);
        const albArn = one(graph, "aws:lb/loadBalancer:LoadBalancer").outputs.arn;
        const entryArn = ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation").find((a) => a.inputs.resourceArn === albArn)!.inputs.webAclArn;
        const entryAcl = acls.find((a) => a.outputs.arn === entryArn)!;
        expect(entryAcl).not.toBe(gatewayAcl);
        // No rule keyed on the (shared) token or on the resource gateway's addresses: one ceiling per server.
        expect(rateKeys(entryAcl)).toEqual([["rate-per-host", "CUSTOM_KEYS", "host", 30000]]);
        expect(rules(entryAcl).find((r) => r.Name === "rate-per-host")!.Statement.RateBasedStatement!.ScopeDownStatement).toBeUndefined();
    });

    it("alarms on the interceptors' decision lines as on the guards': denied calls (a cold-start refusal included) and changed tools", () => {
        const groups = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").filter((g) => /^\/aws\/lambda\/.*-(request|response)-interceptor$/.test(String(g.inputs.name)));
        expect(groups).toHaveLength(2);
        const filters = ofType(graph, "aws:cloudwatch/logMetricFilter:LogMetricFilter");
        for (const g of groups) {
            const on = filters.filter((f) => f.inputs.logGroupName === g.outputs.name).map((f) => [f.inputs.pattern, (f.inputs.metricTransformation as { name: string }).name]);
            expect(on).toEqual(expect.arrayContaining([["{ $.event = \"tool_call_denied\" }", "DeniedToolCalls"], ["{ $.event = \"tool_changed\" }", "ChangedTools"]]));
        }
        const alarms = ofType(graph, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.metricName);
        expect(alarms).toEqual(expect.arrayContaining(["DeniedToolCalls", "ChangedTools"]));
    });

    it("associates the zone's regional web ACL with the gateway and delivers its application logs to an encrypted group", () => {
        const gw = one(graph, GATEWAY);
        const assoc = ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation").find((a) => a.inputs.resourceArn === gw.outputs.gatewayArn)!;
        expect(String(assoc.inputs.webAclArn)).toMatch(/:regional\/webacl\//);
        const source = one(graph, "aws:cloudwatch/logDeliverySource:LogDeliverySource");
        expect(source.inputs).toMatchObject({ logType: "APPLICATION_LOGS", resourceArn: gw.outputs.gatewayArn });
        const destination = one(graph, "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination");
        const group = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.outputs.arn === (destination.inputs.deliveryDestinationConfiguration as { destinationResourceArn: string }).destinationResourceArn)!;
        expect(group.inputs.kmsKeyId).toBeTruthy();
        expect(one(graph, "aws:cloudwatch/logDelivery:LogDelivery").inputs).toMatchObject({ deliverySourceName: source.outputs.name, deliveryDestinationArn: destination.outputs.arn });
    });
});

describe("mcpsec:apiGateway.kind", () => {
    const tool = { name: "t", description: "A tool.", inputSchema: { type: "object" }, scopes: ["s:read"] };
    const server = { name: "docs", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"e".repeat(64)}`, port: 8080, tools: [{ ...tool, sha256: toolDigest(tool) }] };
    const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e";
    const base = { pattern: "api-gateway", environment: "dev", servers: [server], edge: { domainName: "zone.mcp.example.com", certificateArn: cert }, identity: { callbackUrls: ["http://localhost:1/cb"] }, guard: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}` } };
    const check = (apiGateway: Record<string, unknown>, change: Record<string, unknown> = {}) => checkApiGatewayCentricConfig(validateBlueprintConfig({ ...base, apiGateway, ...change }, "eu-west-1"));

    it.each<[string, Record<string, unknown>, Record<string, unknown>, RegExp]>([
        ["a rest key with agentcore", { kind: "agentcore", domainName: "api.mcp.example.com" }, {}, /mcpsec:apiGateway.domainName: "api.mcp.example.com" is not allowed with kind agentcore; it is a setting of kind rest only/],
        ["an agentcore key with rest", { domainName: "api.mcp.example.com", certificateArn: cert, sessionTimeoutSeconds: 3600 }, {}, /mcpsec:apiGateway.sessionTimeoutSeconds: 3600 is not allowed with kind rest/],
        ["rest without its domain", { kind: "rest", certificateArn: cert }, {}, /mcpsec:apiGateway.domainName: is required but missing for kind rest/],
        ["a session shorter than AWS allows", { kind: "agentcore", sessionTimeoutSeconds: 600 }, {}, /mcpsec:apiGateway.sessionTimeoutSeconds/],
        ["an MCP version the guard does not speak", { kind: "agentcore", mcpVersions: ["2025-03-26"] }, {}, /mcpsec:apiGateway.mcpVersions/],
        ["an unknown kind", { kind: "http" }, {}, /mcpsec:apiGateway.kind/],
        ["an aggregate rate WAF cannot enforce", { kind: "agentcore", rateLimitPerServer: 5 }, {}, /mcpsec:apiGateway.rateLimitPerServer/],
        ["an agentcore rate key with rest", { domainName: "api.mcp.example.com", certificateArn: cert, rateLimitPerServer: 1000 }, {}, /mcpsec:apiGateway.rateLimitPerServer: 1000 is not allowed with kind rest/],
        ["no interceptor concurrency", { kind: "agentcore", interceptorConcurrency: 0 }, {}, /mcpsec:apiGateway.interceptorConcurrency/],
        ["an agent named like the gateway's client", { kind: "agentcore" }, { identity: { callbackUrls: ["http://localhost:1/cb"], agents: [{ name: AGENTCORE_CLIENT_NAME, server: "docs", scopes: ["s:read"] }] } }, /mcpsec:identity.agents\[0\].name: "agentcore-gateway" is not allowed with mcpsec:apiGateway.kind agentcore/],
        ["a multi-tenant server (the target never sees the caller's token)", { kind: "agentcore" }, { servers: [{ ...server, tenantClaim: "custom:tenant" }] }, /mcpsec:servers\[0\].tenantClaim: "custom:tenant" is not allowed with mcpsec:apiGateway.kind agentcore/],
    ])("refuses %s, naming the key", (_label, apiGateway, change, error) => {
        expect(() => check(apiGateway, change)).toThrow(error);
    });

    it("refuses a gateway name whose derived AWS names would be too long (log delivery source 60, Lambda 64)", () => {
        const args = { servers: [{ spec: { name: "docs", tools: [] }, url: "https://docs.zone.mcp.example.com/mcp" }], sessionTimeoutSeconds: 3600 } as unknown as McpAgentcoreGatewayArgs;
        expect(() => checkAgentcoreGatewayArgs("mcp-dev-agentcore", args)).not.toThrow();
        expect(() => checkAgentcoreGatewayArgs(`mcp-${"e".repeat(45)}-agentcore`, args)).toThrow(/log delivery source name .* has 67 characters, AWS allows 60/);
    });

    it("fills the agentcore defaults and keeps rest the default kind", () => {
        expect(check({ kind: "agentcore" }).apiGateway).toEqual({ kind: "agentcore", sessionTimeoutSeconds: 3600, mcpVersions: ["2025-06-18", "2025-11-25"], rateLimitPerServer: 30000, interceptorConcurrency: 100 });
        expect(check({ domainName: "api.mcp.example.com", certificateArn: cert }).apiGateway).toMatchObject({ kind: "rest", stageName: "mcp" });
    });
});
