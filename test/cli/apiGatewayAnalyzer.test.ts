/**
 * The API Gateway rules through the real analyzer path (run-policy-pack + gRPC, as `mcpsec check` and `pulumi
 * preview --policy-pack` run them), over the synthesized api-gateway-dev graph: clean as built, and each broken
 * property caught, naming the rule and the resource.
 */
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../cli/check";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { cloneGraph, project, ROOT } from "../helpers";
import { synthesizedStack } from "../runCache";

const AWS_PACK = path.join(ROOT, "policies", "aws");

/** Sets a property as the engine would report it: input and output alike. */
function set(r: GraphResource, key: string, value: unknown): void {
    r.inputs[key] = value;
    r.outputs[key] = value;
}

let graph: ResourceGraph;
beforeAll(async () => {
    // Only the API Gateway resources, the web ACL associations and the user pool with its resource servers: what these rules read (the whole stack is
    // checked by `mcpsec check --all` in cli.test.ts); a smaller graph keeps the pack's analysis fast.
    const full = await synthesizedStack("api-gateway-dev");
    graph = { ...full, resources: full.resources.filter((r) => /^aws:apigateway(v2)?\/|^aws:wafv2\/webAclAssociation:|^aws:cognito\/(userPool|resourceServer):|^pulumi:/.test(r.type)) };
    expect(graph.resources.length).toBeGreaterThan(30);
});

function broken(stack: string, change: (g: ResourceGraph) => void): ResourceGraph {
    const g = cloneGraph(graph);
    g.stack = stack;
    change(g);
    return g;
}
const all = (g: ResourceGraph, type: string) => g.resources.filter((r) => r.type === type);
const post = (g: ResourceGraph) => all(g, "aws:apigateway/method:Method").find((m) => m.inputs.httpMethod === "POST")!;
const mock = (g: ResourceGraph) => all(g, "aws:apigateway/integration:Integration").find((i) => i.inputs.type === "MOCK")!;

describe("API Gateway rules through the Analyzer service", () => {
    it("finds no violation of the aws pack on api-gateway-dev, and catches each broken property, naming the rule and the resource", async () => {
        const cases: [ResourceGraph, string[], string][] = [
            [broken("no-authorizer", (g) => { set(post(g), "authorization", "NONE"); set(post(g), "apiKeyRequired", false); }), ["aws-apigateway-method-authorized"], "aws:apigateway/method:Method"],
            [broken("api-key-only", (g) => set(post(g), "authorization", "NONE")), ["aws-apigateway-method-authorized", "aws-apigateway-no-api-key-authentication"], "aws:apigateway/method:Method"],
            [broken("no-scopes", (g) => set(post(g), "authorizationScopes", [])), ["aws-apigateway-method-authorized"], "aws:apigateway/method:Method"],
            [broken("metadata-to-backend", (g) => set(mock(g), "type", "HTTP_PROXY")), ["aws-apigateway-method-authorized", "aws-apigateway-integration-tls"], "aws:apigateway/method:Method"],
            [broken("no-waf-verdict", (g) => all(g, "aws:apigateway/stage:Stage").forEach((s) => set(s, "accessLogSettings", { ...(s.inputs.accessLogSettings as object), format: "$context.requestId $context.status" }))), ["aws-apigateway-stage-logging"], "aws:apigateway/stage:Stage"],
            [broken("bodies-logged", (g) => all(g, "aws:apigateway/methodSettings:MethodSettings").forEach((m) => set(m, "settings", { ...(m.inputs.settings as object), dataTraceEnabled: true }))), ["aws-apigateway-stage-logging"], "aws:apigateway/methodSettings:MethodSettings"],
            [broken("unthrottled", (g) => all(g, "aws:apigateway/methodSettings:MethodSettings").forEach((m) => set(m, "settings", { ...(m.inputs.settings as object), throttlingRateLimit: -1 }))), ["aws-apigateway-stage-throttled"], "aws:apigateway/stage:Stage"],
            [broken("tls10", (g) => set(all(g, "aws:apigateway/domainName:DomainName")[0], "securityPolicy", "TLS_1_0")), ["aws-apigateway-domain-tls"], "aws:apigateway/domainName:DomainName"],
            [broken("default-endpoint", (g) => set(all(g, "aws:apigateway/restApi:RestApi")[0], "disableExecuteApiEndpoint", false)), ["aws-apigateway-default-endpoint-disabled"], "aws:apigateway/restApi:RestApi"],
            [broken("private-open", (g) => {
                const api = all(g, "aws:apigateway/restApi:RestApi")[0];
                set(api, "endpointConfiguration", { types: "PRIVATE", vpcEndpointIds: ["vpce-0123456789abcdef0"] });
                set(api, "policy", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" }] }));
            }), ["aws-apigateway-private-endpoint-policy"], "aws:apigateway/restApi:RestApi"],
            // The reviewer's weakened configurations (review M6), each caught by what it does.
            [broken("scopes-openid", (g) => all(g, "aws:apigateway/method:Method").filter((m) => m.inputs.authorization === "COGNITO_USER_POOLS").forEach((m) => set(m, "authorizationScopes", ["openid"]))), ["aws-apigateway-method-authorized"], "aws:apigateway/method:Method"],
            [broken("scopes-other-server", (g) => all(g, "aws:apigateway/method:Method").filter((m) => m.inputs.authorization === "COGNITO_USER_POOLS").forEach((m) => set(m, "authorizationScopes", ["https://api.dev.mcp.example.com/other/mcp/admin"]))), ["aws-apigateway-method-authorized"], "aws:apigateway/method:Method"],
            [broken("authorizer-foreign-pool", (g) => all(g, "aws:apigateway/authorizer:Authorizer").forEach((a) => { set(a, "providerArns", ["arn:aws:cognito-idp:eu-west-1:999999999999:userpool/eu-west-1_Attacker"]); a.propertyDependencies = {}; })), ["aws-apigateway-authorizer-user-pool"], "aws:apigateway/authorizer:Authorizer"],
            [broken("openapi-body-api", (g) => set(all(g, "aws:apigateway/restApi:RestApi")[0], "body", JSON.stringify({ openapi: "3.0.1", info: { title: "x", version: "1" }, paths: { "/{proxy+}": { "x-amazon-apigateway-any-method": { "x-amazon-apigateway-integration": { type: "http_proxy", httpMethod: "ANY", uri: "https://docs-search.zone.dev.mcp.example.com/{proxy}" } } } } }))), ["aws-apigateway-method-authorized"], "aws:apigateway/restApi:RestApi"],
            [broken("post-override-unlogged-unthrottled", (g) => {
                const ms = all(g, "aws:apigateway/methodSettings:MethodSettings")[0];
                const copy = JSON.parse(JSON.stringify(ms)) as GraphResource;
                copy.urn = `${ms.urn}-post`;
                copy.name = `${ms.name}-post`;
                set(copy, "methodPath", "mcp/POST");
                set(copy, "settings", { loggingLevel: "OFF", metricsEnabled: false, dataTraceEnabled: false, throttlingRateLimit: 10000, throttlingBurstLimit: 5000 });
                g.resources.push(copy);
            }), ["aws-apigateway-stage-logging", "aws-apigateway-stage-throttled"], "aws:apigateway/methodSettings:MethodSettings"],
            [broken("integration-http-no-verify", (g) => all(g, "aws:apigateway/integration:Integration").filter((i) => i.inputs.type === "HTTP_PROXY").forEach((i) => { set(i, "uri", "http://docs-search.zone.dev.mcp.example.com/docs-search/mcp"); set(i, "tlsConfig", { insecureSkipVerification: true }); })), ["aws-apigateway-integration-tls"], "aws:apigateway/integration:Integration"],
            [broken("private-deny-narrow", (g) => {
                const api = all(g, "aws:apigateway/restApi:RestApi")[0];
                set(api, "endpointConfiguration", { types: "PRIVATE", vpcEndpointIds: ["vpce-0123456789abcdef0"] });
                set(api, "policy", JSON.stringify({ Version: "2012-10-17", Statement: [
                    { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" },
                    { Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/GET/nothing", Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } } },
                ] }));
            }), ["aws-apigateway-private-endpoint-policy"], "aws:apigateway/restApi:RestApi"],
            [broken("stage-without-waf", (g) => {
                const stage = all(g, "aws:apigateway/stage:Stage")[0];
                g.resources = g.resources.filter((r) => !(r.type === "aws:wafv2/webAclAssociation:WebAclAssociation" && r.inputs.resourceArn === stage.outputs.arn));
            }), ["aws-elb-alb-has-web-acl"], "aws:apigateway/stage:Stage"],
        ];
        // One pack process for all graphs: its start-up, not the analysis, is what costs.
        const report = await runCheck({ project, targets: [{ graph }, ...cases.map(([g]) => ({ graph: g }))], packs: [AWS_PACK] });
        expect(report.stacks[0].violations).toEqual([]);
        cases.forEach(([g, policies, type], i) => {
            const s = report.stacks[i + 1];
            expect(s.stack).toBe(g.stack);
            expect(new Set(s.violations.map((v) => v.policy)), g.stack).toEqual(new Set(policies));
            const v = s.violations.find((x) => x.policy === policies[0])!;
            expect(v.enforcementLevel).toBe("mandatory");
            expect(v.resourceType, g.stack).toBe(type);
            expect(g.resources.map((r) => r.urn)).toContain(v.urn);
        });
    });
});
