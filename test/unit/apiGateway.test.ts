/**
 * Pattern 2 (api-gateway-dev) over the graph synthesized under mocks: what makes the API Gateway door secure.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { ACCESS_LOG_FORMAT, CHALLENGE_RESPONSES, mcpRequestModel, PLAIN_RESPONSES, STREAM_TIMEOUT_MS } from "../../components/apigateway";
import { validateBlueprintConfig } from "../../components/config";
import { toolDigest } from "../../components/mcp";
import { checkApiGatewayCentricConfig } from "../../components/patterns";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { privateApiPolicyProblem } from "../../policies/aws/apigateway";
import { FIXTURE_STACKS, ofType, one, ROOT } from "../helpers";
import { synthesizedStack } from "../runCache";

const API = "https://api.dev.mcp.example.com/docs-search/mcp";
const METADATA = "https://api.dev.mcp.example.com/.well-known/oauth-protected-resource/docs-search/mcp";

let graph: ResourceGraph;
const byId = (type: string, id: unknown) => ofType(graph, type).find((r) => r.id === id || r.outputs.id === id);
/** The REST API a child of the pattern belongs to (by the id it names). */
const apiOf = (r: GraphResource) => ofType(graph, "aws:apigateway/restApi:RestApi").find((a) => a.id === (r.inputs.restApi ?? r.inputs.restApiId))!;
/** A resource's full path inside its API, walking parentId up to the root. */
function pathOf(resourceId: unknown): string {
    const parts: string[] = [];
    let current = byId("aws:apigateway/resource:Resource", resourceId);
    while (current) {
        parts.unshift(String(current.inputs.pathPart));
        current = byId("aws:apigateway/resource:Resource", current.inputs.parentId);
    }
    return `/${parts.join("/")}`;
}
/** The base path a REST API is mapped at on the custom domain. */
const basePathOf = (api: GraphResource) => ofType(graph, "aws:apigateway/basePathMapping:BasePathMapping").find((m) => m.inputs.restApi === api.id)!.inputs.basePath as string;
/** The URL path a client calls for a method. */
const clientPath = (m: GraphResource) => `/${basePathOf(apiOf(m))}${pathOf(m.inputs.resourceId)}`;
const integrationOf = (m: GraphResource) => ofType(graph, "aws:apigateway/integration:Integration").find((i) => i.inputs.restApi === m.inputs.restApi && i.inputs.resourceId === m.inputs.resourceId && i.inputs.httpMethod === m.inputs.httpMethod)!;

beforeAll(async () => {
    graph = await synthesizedStack("api-gateway-dev");
});

describe("pattern 2 on API Gateway (api-gateway-dev)", () => {
    it("serves each server at https://<api domain>/<server>/mcp and its metadata at the RFC 9728 path", () => {
        expect(graph.outputs.serverUrls).toEqual({ "docs-search": API });
        expect(graph.outputs.protectedResourceMetadataUrls).toEqual({ "docs-search": METADATA });
        const paths = ofType(graph, "aws:apigateway/method:Method").map((m) => `${m.inputs.httpMethod} ${clientPath(m)}`).sort();
        expect(paths).toEqual(["DELETE /docs-search/mcp", "GET /.well-known/oauth-protected-resource/docs-search/mcp", "GET /docs-search/mcp", "POST /docs-search/mcp"]);
    });

    it("puts every method except the metadata behind the Cognito authorizer with the server's scopes; the metadata is a mock", () => {
        const pool = one(graph, "aws:cognito/userPool:UserPool");
        for (const m of ofType(graph, "aws:apigateway/method:Method")) {
            if (clientPath(m).startsWith("/.well-known/")) {
                expect(m.inputs.authorization).toBe("NONE");
                expect(m.inputs.httpMethod).toBe("GET");
                expect(integrationOf(m).inputs.type).toBe("MOCK");
                continue;
            }
            expect(m.inputs.authorization, clientPath(m)).toBe("COGNITO_USER_POOLS");
            expect(m.inputs.authorizationScopes).toEqual([`${API}/docs:read`]);
            const authorizer = byId("aws:apigateway/authorizer:Authorizer", m.inputs.authorizerId)!;
            expect(authorizer.inputs).toMatchObject({ type: "COGNITO_USER_POOLS", providerArns: [pool.outputs.arn], identitySource: "method.request.header.Authorization" });
            // The stack declares a client: its API key is required besides the token, never instead of it.
            expect(m.inputs.apiKeyRequired).toBe(true);
        }
    });

    it("validates the body of POST on the MCP path against the JSON-RPC model", () => {
        const post = ofType(graph, "aws:apigateway/method:Method").find((m) => m.inputs.httpMethod === "POST")!;
        const validator = byId("aws:apigateway/requestValidator:RequestValidator", post.inputs.requestValidatorId)!;
        expect(validator.inputs).toMatchObject({ validateRequestBody: true, validateRequestParameters: true });
        const models = post.inputs.requestModels as Record<string, string>;
        const model = ofType(graph, "aws:apigateway/model:Model").find((x) => x.inputs.name === models["application/json"] && x.inputs.restApi === post.inputs.restApi)!;
        expect(JSON.parse(model.inputs.schema as string)).toEqual(mcpRequestModel());
    });

    it("answers 401 and 403 with WWW-Authenticate: Bearer resource_metadata pointing at the server's metadata", () => {
        const responses = ofType(graph, "aws:apigateway/response:Response").filter((r) => r.inputs.restApiId === apiOf(ofType(graph, "aws:apigateway/method:Method").find((m) => m.inputs.httpMethod === "POST")!).id);
        expect(responses.map((r) => r.inputs.responseType).sort()).toEqual([...CHALLENGE_RESPONSES, ...Object.keys(PLAIN_RESPONSES)].sort());
        const unauthorized = responses.find((r) => r.inputs.responseType === "UNAUTHORIZED")!;
        expect(unauthorized.inputs.statusCode).toBe("401");
        for (const r of responses.filter((x) => (CHALLENGE_RESPONSES as readonly string[]).includes(x.inputs.responseType as string))) {
            expect((r.inputs.responseParameters as Record<string, string>)["gatewayresponse.header.WWW-Authenticate"]).toBe(`'Bearer resource_metadata="${METADATA}"'`);
        }
    });

    it("answers an unknown path or method with a JSON-RPC 404 and a missing API key with a 403 naming x-api-key, neither with a challenge", () => {
        const responses = ofType(graph, "aws:apigateway/response:Response");
        const of = (type: string) => responses.filter((r) => r.inputs.responseType === type);
        expect(of("MISSING_AUTHENTICATION_TOKEN").length).toBeGreaterThan(0);
        for (const r of of("MISSING_AUTHENTICATION_TOKEN")) {
            expect(r.inputs.statusCode).toBe("404");
            expect(r.inputs.responseParameters ?? {}).not.toHaveProperty("gatewayresponse.header.WWW-Authenticate");
            expect(JSON.parse((r.inputs.responseTemplates as Record<string, string>)["application/json"])).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
        }
        for (const r of of("INVALID_API_KEY")) {
            expect(r.inputs.statusCode).toBe("403");
            expect(r.inputs.responseParameters ?? {}).not.toHaveProperty("gatewayresponse.header.WWW-Authenticate");
            expect((r.inputs.responseTemplates as Record<string, string>)["application/json"]).toContain("x-api-key");
        }
        // Usage plans meter keyed requests only: no keyless plan pretending to limit everyone (the stage throttle does).
        for (const plan of ofType(graph, "aws:apigateway/usagePlan:UsagePlan")) {
            expect(ofType(graph, "aws:apigateway/usagePlanKey:UsagePlanKey").some((k) => k.inputs.usagePlanId === plan.id || k.inputs.usagePlanId === plan.outputs.id), plan.name).toBe(true);
        }
        for (const api of ofType(graph, "aws:apigateway/restApi:RestApi")) {
            expect(api.inputs.securityPolicy).toBe("TLS_1_2");
        }
    });

    it("serves the metadata document itself from the mock, naming the resource and the issuer", () => {
        const response = one(graph, "aws:apigateway/integrationResponse:IntegrationResponse");
        const doc = JSON.parse((response.inputs.responseTemplates as Record<string, string>)["application/json"]);
        expect(doc).toMatchObject({ resource: API, authorization_servers: [graph.outputs.oauthIssuer], scopes_supported: [`${API}/docs:read`], bearer_methods_supported: ["header"] });
    });

    it("streams every MCP method over the VPC link to the zone's load balancer, with the 900 s timeout and the guard's host and path", () => {
        const link = one(graph, "aws:apigatewayv2/vpcLink:VpcLink");
        const alb = ofType(graph, "aws:lb/loadBalancer:LoadBalancer");
        expect(alb).toHaveLength(1);
        const mcp = ofType(graph, "aws:apigateway/integration:Integration").filter((i) => i.inputs.type !== "MOCK");
        expect(mcp).toHaveLength(3);
        for (const i of mcp) {
            expect(i.inputs).toMatchObject({
                type: "HTTP_PROXY", connectionType: "VPC_LINK", connectionId: link.id, integrationTarget: alb[0].outputs.arn,
                responseTransferMode: "STREAM", timeoutMilliseconds: STREAM_TIMEOUT_MS, uri: "https://docs-search.zone.dev.mcp.example.com/docs-search/mcp",
            });
            expect(i.inputs.integrationHttpMethod).toBe(i.inputs.httpMethod);
        }
        // The guard accepts that host and serves that path; its resource is the API URL.
        const task = ofType(graph, "aws:ecs/taskDefinition:TaskDefinition")[0];
        const env = Object.fromEntries((JSON.parse(task.inputs.containerDefinitions as string) as { name: string; environment: { name: string; value: string }[] }[]).find((c) => c.name === "mcp-guard")!.environment.map((e) => [e.name, e.value]));
        expect(env.GUARD_RESOURCE).toBe(API);
        expect(env.GUARD_ALLOWED_HOSTS.split(",")).toContain("docs-search.zone.dev.mcp.example.com");
    });

    it("throttles every stage and every client, and logs every request as JSON (WAF verdict included) without bodies, with X-Ray", () => {
        const stages = ofType(graph, "aws:apigateway/stage:Stage");
        expect(stages).toHaveLength(2);
        const access = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === "/aws/apigateway/mcp-dev-api/access")!;
        const key = one(graph, "aws:kms/key:Key");
        expect(access.inputs.kmsKeyId).toBe(key.outputs.arn);
        for (const stage of stages) {
            expect(stage.inputs.xrayTracingEnabled).toBe(true);
            expect(stage.inputs.accessLogSettings).toEqual({ destinationArn: access.outputs.arn, format: ACCESS_LOG_FORMAT });
            const settings = ofType(graph, "aws:apigateway/methodSettings:MethodSettings").find((s) => s.inputs.restApi === stage.inputs.restApi)!;
            expect(settings.inputs).toMatchObject({ methodPath: "*/*", settings: { loggingLevel: "ERROR", dataTraceEnabled: false, throttlingRateLimit: 20, throttlingBurstLimit: 40 } });
            const execution = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === `API-Gateway-Execution-Logs_${stage.inputs.restApi}/mcp`)!;
            expect(execution.inputs).toMatchObject({ kmsKeyId: key.outputs.arn, retentionInDays: 365 });
        }
        const format = JSON.parse(ACCESS_LOG_FORMAT) as Record<string, string>;
        expect(format).toMatchObject({ requestId: "$context.requestId", sourceIp: "$context.identity.sourceIp", subject: "$context.authorizer.claims.sub", status: "$context.status", wafStatus: "$context.waf.status", wafResponseCode: "$context.wafResponseCode" });
        const plans = ofType(graph, "aws:apigateway/usagePlan:UsagePlan");
        expect(plans.map((p) => [p.inputs.name, p.inputs.throttleSettings]).sort()).toEqual([["mcp-dev-api-ide-agents", { rateLimit: 5, burstLimit: 10 }]]);
        expect(one(graph, "aws:apigateway/usagePlanKey:UsagePlanKey").inputs.keyType).toBe("API_KEY");
        expect(one(graph, "aws:apigateway/account:Account").inputs.cloudwatchRoleArn).toBe(ofType(graph, "aws:iam/role:Role").find((r) => r.name === "mcp-dev-api-cloudwatch")!.outputs.arn);
    });

    it("associates the zone's web ACL with every stage, and serves only the custom domain (TLS 1.2+, default endpoint off)", () => {
        const associations = ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation");
        const stageAcls = new Set(ofType(graph, "aws:apigateway/stage:Stage").map((stage) => associations.find((a) => a.inputs.resourceArn === stage.outputs.arn)!.inputs.webAclArn));
        expect(stageAcls.size).toBe(1);
        const acl = ofType(graph, "aws:wafv2/webAcl:WebAcl").find((a) => stageAcls.has(a.outputs.arn))!;
        // The stage's allow model names the client's path only.
        const paths = (a: GraphResource) => [...new Set([...JSON.stringify(JSON.parse(a.inputs.ruleJson as string)).matchAll(/"SearchString":"(\/[^"]*)"/g)].map((m) => m[1]).filter((p) => !p.startsWith("/.well-known")))].sort();
        expect(paths(acl)).toEqual(["/docs-search/mcp"]);
        for (const api of ofType(graph, "aws:apigateway/restApi:RestApi")) {
            expect(api.inputs).toMatchObject({ endpointConfiguration: { types: "REGIONAL" }, disableExecuteApiEndpoint: true });
        }
        expect(one(graph, "aws:apigateway/domainName:DomainName").inputs).toMatchObject({ domainName: "api.dev.mcp.example.com", securityPolicy: "TLS_1_2", endpointConfiguration: { types: "REGIONAL" } });
        expect(ofType(graph, "aws:apigateway/basePathMapping:BasePathMapping").map((m) => m.inputs.basePath).sort()).toEqual([".well-known", "docs-search"]);
    });

    it("delivers /docs-search/mcp to the guard whether or not API Gateway puts the stage in front of the integration's path", () => {
        // AWS: "In a private integration, API Gateway includes the stage portion of the API endpoint in the request
        // to your backend" (private-integration.html). The ALB's web ACL admits both forms and nothing else; the
        // listener rule rewrites the staged form to the guard's path.
        const alb = one(graph, "aws:lb/loadBalancer:LoadBalancer");
        const associations = ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation");
        const albAcl = ofType(graph, "aws:wafv2/webAcl:WebAcl").find((a) => a.outputs.arn === associations.find((x) => x.inputs.resourceArn === alb.outputs.arn)!.inputs.webAclArn)!;
        const rules = JSON.parse(albAcl.inputs.ruleJson as string) as { Name: string; Statement: unknown }[];
        const searched = [...JSON.stringify(rules).matchAll(/"SearchString":"(\/[^"]*)"/g)].map((m) => m[1]).filter((p) => !p.startsWith("/.well-known"));
        expect([...new Set(searched)].sort()).toEqual(["/docs-search/mcp", "/mcp/docs-search/mcp"]);
        const rule = ofType(graph, "aws:lb/listenerRule:ListenerRule").find((r) => JSON.stringify(r.inputs.conditions).includes("docs-search.zone.dev.mcp.example.com") && !JSON.stringify(r.inputs.conditions).includes("pathPattern"))!;
        const transforms = rule.inputs.transforms as { type: string; urlRewriteConfig: { rewrite: { regex: string; replace: string } } }[];
        expect(transforms).toHaveLength(1);
        expect(transforms[0].type).toBe("url-rewrite");
        const { regex, replace } = transforms[0].urlRewriteConfig.rewrite;
        const rewrite = (url: string) => url.replace(new RegExp(regex), replace.replace(/\$(\d)/g, "$$$1"));
        expect(rewrite("/mcp/docs-search/mcp")).toBe("/docs-search/mcp");
        expect(rewrite("/mcp/docs-search/mcp?x=1")).toBe("/docs-search/mcp?x=1");
        expect(rewrite("/docs-search/mcp")).toBe("/docs-search/mcp");
        // Nothing else becomes the guard's path.
        for (const other of ["/mcp/docs-search/mcpx", "/x/mcp/docs-search/mcp", "/mcp/other/mcp", "/mcp"]) {
            expect(rewrite(other)).toBe(other);
        }
        // The guard serves the API URL's path.
        const task = ofType(graph, "aws:ecs/taskDefinition:TaskDefinition")[0];
        const env = Object.fromEntries((JSON.parse(task.inputs.containerDefinitions as string) as { name: string; environment: { name: string; value: string }[] }[]).find((c) => c.name === "mcp-guard")!.environment.map((e) => [e.name, e.value]));
        expect(new URL(env.GUARD_RESOURCE).pathname).toBe("/docs-search/mcp");
    });

    it("redeploys a server's stage when the VPC link, the load balancer, the user pool or any method is replaced", () => {
        const urnOf = (type: string, pick: (r: GraphResource) => boolean = () => true) => ofType(graph, type).find(pick)!.urn;
        const needed = [
            urnOf("aws:apigatewayv2/vpcLink:VpcLink"),
            urnOf("aws:lb/loadBalancer:LoadBalancer"),
            urnOf("aws:cognito/userPool:UserPool"),
            urnOf("aws:apigateway/authorizer:Authorizer"),
            ...ofType(graph, "aws:apigateway/integration:Integration").filter((i) => i.inputs.type !== "MOCK").map((i) => i.urn),
        ];
        const deployment = ofType(graph, "aws:apigateway/deployment:Deployment").find((d) => d.name === "mcp-dev-api-docs-search")!;
        expect(deployment.propertyDependencies.triggers ?? []).toEqual(expect.arrayContaining(needed));
    });

    it("sets the account's CloudWatch role only after the role's policy, with the trust policy AWS documents", () => {
        const role = ofType(graph, "aws:iam/role:Role").find((r) => r.name === "mcp-dev-api-cloudwatch")!;
        const policy = ofType(graph, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "mcp-dev-api-cloudwatch")!;
        expect(one(graph, "aws:apigateway/account:Account").dependencies).toContain(policy.urn);
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string) as { Statement: Record<string, unknown>[] };
        expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    });

    it("keeps the per-IP rate limit at the stages, where WAF sees the clients, and leaves it off the ALB, where every request comes from the VPC link", () => {
        const alb = one(graph, "aws:lb/loadBalancer:LoadBalancer");
        const associations = ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation");
        const aclOf = (arn: unknown) => ofType(graph, "aws:wafv2/webAcl:WebAcl").find((a) => a.outputs.arn === associations.find((x) => x.inputs.resourceArn === arn)!.inputs.webAclArn)!;
        const rateKeys = (acl: GraphResource) => (JSON.parse(acl.inputs.ruleJson as string) as { Statement: { RateBasedStatement?: { AggregateKeyType: string } } }[])
            .flatMap((r) => (r.Statement.RateBasedStatement ? [r.Statement.RateBasedStatement.AggregateKeyType] : [])).sort();
        const albAcl = aclOf(alb.outputs.arn);
        expect(rateKeys(albAcl)).toEqual(["CUSTOM_KEYS"]);
        for (const stage of ofType(graph, "aws:apigateway/stage:Stage")) {
            const acl = aclOf(stage.outputs.arn);
            expect(acl.id).not.toBe(albAcl.id);
            expect(rateKeys(acl)).toEqual(["CUSTOM_KEYS", "IP"]);
        }
    });

    it("admits nothing into the entry point but the VPC link's security group, which admits nothing itself", () => {
        const link = one(graph, "aws:apigatewayv2/vpcLink:VpcLink");
        const linkSg = ofType(graph, "aws:ec2/securityGroup:SecurityGroup").find((s) => (link.inputs.securityGroupIds as string[]).includes(s.id!))!;
        expect(linkSg.inputs.ingress).toEqual([]);
        const albSg = ofType(graph, "aws:ec2/securityGroup:SecurityGroup").find((s) => s.name.endsWith("-alb"))!;
        expect(albSg.inputs.ingress).toEqual([expect.objectContaining({ fromPort: 443, toPort: 443, securityGroups: [linkSg.id] })]);
        expect(JSON.stringify(albSg.inputs.ingress)).not.toContain("cidrBlocks");
        // The zone's NACL admits no outside network on 443 (no client blocks: only the VPC link reaches the zone).
        const vpc = one(graph, "aws:ec2/vpc:Vpc").inputs.cidrBlock as string;
        for (const nacl of ofType(graph, "aws:ec2/networkAcl:NetworkAcl")) {
            for (const rule of nacl.inputs.ingress as { action: string; cidrBlock: string; fromPort: number; toPort: number }[]) {
                if (rule.action === "allow" && rule.fromPort <= 443 && rule.toPort >= 443) {
                    expect(rule.cidrBlock, `${nacl.name} admits 443 from outside the zone`).toBe(vpc);
                }
            }
        }
        expect(ofType(graph, "aws:lb/listener:Listener").map((l) => [l.inputs.port, l.inputs.protocol])).toEqual([[443, "HTTPS"]]);
    });
});

describe("pattern 2 with a PRIVATE API (fixture api-gateway-private)", () => {
    let g: ResourceGraph;
    beforeAll(async () => {
        g = await synthesizedStack("api-gateway-private", path.join(FIXTURE_STACKS, "Pulumi.api-gateway-private.yaml"));
    });
    const endpoints = ["vpce-0123456789abcdef0", "vpce-0fedcba9876543210"];

    it("admits execute-api:Invoke on every API and on the private domain only through the named endpoints", () => {
        const apis = ofType(g, "aws:apigateway/restApi:RestApi");
        expect(apis).toHaveLength(2);
        for (const api of apis) {
            expect(api.inputs.endpointConfiguration).toEqual({ types: "PRIVATE", vpcEndpointIds: endpoints });
            expect(privateApiPolicyProblem(api.inputs.policy)).toBeUndefined();
            const deny = JSON.parse(api.inputs.policy as string).Statement.find((st: { Effect: string }) => st.Effect === "Deny");
            expect(deny.Condition).toEqual({ StringNotEquals: { "aws:SourceVpce": endpoints } });
        }
        const domain = one(g, "aws:apigateway/domainName:DomainName");
        expect(domain.inputs).toMatchObject({ endpointConfiguration: { types: "PRIVATE" }, securityPolicy: "TLS_1_2" });
        expect(privateApiPolicyProblem(domain.inputs.policy)).toBeUndefined();
        expect(ofType(g, "aws:apigateway/domainNameAccessAssociation:DomainNameAccessAssociation").map((a) => a.inputs.accessAssociationSource).sort()).toEqual(endpoints);
        for (const m of ofType(g, "aws:apigateway/basePathMapping:BasePathMapping")) {
            expect(m.inputs.domainNameId).toBe(domain.outputs.domainNameId);
        }
        // The organization keeps the region's CloudWatch role: the stack sets none.
        expect(ofType(g, "aws:apigateway/account:Account")).toHaveLength(0);
    });

    it("the proof's policy check catches an Allow to any endpoint", () => {
        const open = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" }] });
        expect(privateApiPolicyProblem(open)).toMatch(/not limited to named VPC endpoints/);
    });
});

describe("pattern 2 with mutual TLS for agent clients", () => {
    it("configures the regional domain's truststore", async () => {
        const dev = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.api-gateway-dev.yaml"), "utf8");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-mtls-")), "Pulumi.api-gateway-mtls.yaml");
        fs.writeFileSync(file, dev.replace("    securityPolicy: TLS_1_2\n", "    securityPolicy: TLS_1_2\n    mutualTls: { truststoreUri: s3://mcp-trust/agents-ca.pem, truststoreVersion: v3 }\n"));
        const g = await synthesizedStack("api-gateway-mtls", file);
        expect(one(g, "aws:apigateway/domainName:DomainName").inputs.mutualTlsAuthentication).toEqual({ truststoreUri: "s3://mcp-trust/agents-ca.pem", truststoreVersion: "v3" });
    });
});

describe("pattern 2 with a SIEM", () => {
    it("exports the API's access and execution logs with the zone's", async () => {
        const dev = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.api-gateway-dev.yaml"), "utf8");
        const siem = "    siem: { type: http, url: \"https://siem.example.com/ingest\", credentialsSecretArn: \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:siem-AbCdEf\" }\n";
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-siem-")), "Pulumi.api-gateway-siem.yaml");
        const text = dev.replace("    retentionDays: 365\n", `    retentionDays: 365\n${siem}`);
        expect(text).not.toBe(dev);
        fs.writeFileSync(file, text);
        const g = await synthesizedStack("api-gateway-siem", file);
        const subscribed = ofType(g, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter").map((f) => f.inputs.logGroup);
        const apiGroups = ofType(g, "aws:cloudwatch/logGroup:LogGroup").filter((lg) => /^\/aws\/apigateway\/|^API-Gateway-Execution-Logs_/.test(String(lg.inputs.name)));
        expect(apiGroups).toHaveLength(3);
        for (const lg of apiGroups) {
            expect(subscribed, String(lg.inputs.name)).toContain(lg.outputs.name);
        }
    });
});

describe("pattern 2 configuration checks", () => {
    const tool = { name: "t", description: "A tool.", inputSchema: { type: "object" }, scopes: ["s:read"] };
    const server = { name: "docs", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"e".repeat(64)}`, port: 8080, tools: [{ ...tool, sha256: toolDigest(tool) }] };
    const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e";
    const base = { pattern: "api-gateway", environment: "dev", servers: [server], edge: { domainName: "zone.mcp.example.com", certificateArn: cert }, identity: { callbackUrls: ["http://localhost:1/cb"] }, guard: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}` }, apiGateway: { domainName: "api.mcp.example.com", certificateArn: cert } };
    const check = (change: Record<string, unknown>) => checkApiGatewayCentricConfig(validateBlueprintConfig({ ...base, ...change }, "eu-west-1"));

    it.each<[string, Record<string, unknown>, RegExp]>([
        ["no apiGateway", { apiGateway: undefined }, /mcpsec:apiGateway: is required but missing for the api-gateway pattern/],
        ["PRIVATE without endpoints", { apiGateway: { ...base.apiGateway, endpointType: "PRIVATE" } }, /mcpsec:apiGateway.vpcEndpointIds: is required but missing for endpointType PRIVATE/],
        ["endpoints on a REGIONAL API", { apiGateway: { ...base.apiGateway, vpcEndpointIds: ["vpce-0123456789abcdef0"] } }, /mcpsec:apiGateway.vpcEndpointIds: \["vpce-0123456789abcdef0"\] is not allowed with endpointType REGIONAL/],
        ["mutual TLS with TLS 1.3 only", { apiGateway: { ...base.apiGateway, securityPolicy: "SecurityPolicy_TLS13_1_3_2025_09", mutualTls: { truststoreUri: "s3://trust-bucket/ca.pem" } } }, /mcpsec:apiGateway.mutualTls: is not allowed with endpointType REGIONAL and securityPolicy SecurityPolicy_TLS13_1_3_2025_09/],
        ["a TLS 1.0 policy", { apiGateway: { ...base.apiGateway, securityPolicy: "TLS_1_0" } }, /mcpsec:apiGateway.securityPolicy/],
        ["a PrivateLink second way in", { edge: { ...base.edge, privateLink: { allowedPrincipals: ["arn:aws:iam::111122223333:root"], allowedCidrs: ["172.16.0.0/12"] } } }, /mcpsec:edge.privateLink: is not allowed in the api-gateway pattern/],
        ["the API inside the zone's names", { apiGateway: { ...base.apiGateway, domainName: "api.zone.mcp.example.com" } }, /mcpsec:apiGateway.domainName: "api.zone.mcp.example.com" is not allowed; it lies in mcpsec:edge.domainName/],
    ])("refuses %s, naming the key", (_label, change, error) => {
        expect(() => check(change)).toThrow(error);
    });

    it("accepts a PRIVATE API with its endpoints", () => {
        expect(check({ apiGateway: { ...base.apiGateway, endpointType: "PRIVATE", vpcEndpointIds: ["vpce-0123456789abcdef0"] } }).apiGateway).toMatchObject({ endpointType: "PRIVATE", stageName: "mcp", throttle: { rateLimit: 50, burstLimit: 100 } });
    });
});
