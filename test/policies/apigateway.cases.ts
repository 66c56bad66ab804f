import { ACCESS_LOG_FORMAT } from "../../components/apigateway";
import { Props } from "../../policies/lib/rule";
import { FixtureResource } from "./harness";
import type { RuleCases } from "./aws.cases";

// API Gateway fixtures: one REST API with a Cognito-authorized POST and the metadata GET answered by a mock.
const METHOD = "aws:apigateway/method:Method";
const DOMAIN = "aws:apigateway/domainName:DomainName";
const REST_API = "aws:apigateway/restApi:RestApi";
const api = (props: Props = {}): FixtureResource => ({ type: REST_API, name: "api", props: { id: "a1b2c3d4e5", endpointConfiguration: { types: "REGIONAL" }, disableExecuteApiEndpoint: true, ...props } });
const method = (name: string, props: Props = {}): FixtureResource => ({
    type: METHOD, name, props: { restApi: "a1b2c3d4e5", resourceId: `res-${name}`, httpMethod: "POST", authorization: "COGNITO_USER_POOLS", authorizerId: "auth1", authorizationScopes: ["https://api.example.com/docs/mcp/docs:read"], ...props },
});
const integration = (name: string, props: Props = {}): FixtureResource => ({
    type: "aws:apigateway/integration:Integration", name, props: { restApi: "a1b2c3d4e5", resourceId: `res-${name}`, httpMethod: "POST", type: "HTTP_PROXY", connectionType: "VPC_LINK", ...props },
});
const metadata = (methodProps: Props = {}, integrationProps: Props = {}): FixtureResource[] => [
    method("meta", { httpMethod: "GET", authorization: "NONE", authorizerId: undefined, authorizationScopes: undefined, ...methodProps }),
    integration("meta", { httpMethod: "GET", type: "MOCK", connectionType: undefined, ...integrationProps }),
];
const stage = (props: Props = {}): FixtureResource => ({
    type: "aws:apigateway/stage:Stage", name: "mcp", props: { restApi: "a1b2c3d4e5", stageName: "mcp", xrayTracingEnabled: true, accessLogSettings: { destinationArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/x/access", format: ACCESS_LOG_FORMAT }, ...props },
});
const settings = (settingsProps: Props = {}, props: Props = {}): FixtureResource => ({
    type: "aws:apigateway/methodSettings:MethodSettings", name: "all", props: { restApi: "a1b2c3d4e5", stageName: "mcp", methodPath: "*/*", settings: { loggingLevel: "ERROR", dataTraceEnabled: false, metricsEnabled: true, throttlingRateLimit: 20, throttlingBurstLimit: 40, ...settingsProps }, ...props },
});
const VPCE = "vpce-0123456789abcdef0";
const privatePolicy = JSON.stringify({ Version: "2012-10-17", Statement: [
    { Sid: "Invoke", Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" },
    { Sid: "DenyOthers", Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*", Condition: { StringNotEquals: { "aws:SourceVpce": [VPCE] } } },
] });
const privateApi = (props: Props = {}) => api({ endpointConfiguration: { types: "PRIVATE", vpcEndpointIds: [VPCE] }, disableExecuteApiEndpoint: false, policy: privatePolicy, ...props });

const POOL_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Zone";
const pool: FixtureResource = { type: "aws:cognito/userPool:UserPool", name: "pool", props: { arn: POOL_ARN, id: "eu-west-1_Zone" } };
const resourceServer: FixtureResource = { type: "aws:cognito/resourceServer:ResourceServer", name: "docs", props: { identifier: "https://api.example.com/docs/mcp", scopes: [{ scopeName: "docs:read", scopeDescription: "read" }] } };
const authorizer = (props: Props = {}): FixtureResource => ({ type: "aws:apigateway/authorizer:Authorizer", name: "cognito", props: { restApi: "a1b2c3d4e5", type: "COGNITO_USER_POOLS", providerArns: [POOL_ARN], identitySource: "method.request.header.Authorization", ...props } });
const openApiBody = JSON.stringify({ openapi: "3.0.1", info: { title: "x", version: "1" }, paths: { "/{proxy+}": { "x-amazon-apigateway-any-method": { "x-amazon-apigateway-integration": { type: "http_proxy", httpMethod: "ANY", uri: "https://backend.example.com/{proxy}" } } } } });
const policyWith = (deny: Props) => JSON.stringify({ Version: "2012-10-17", Statement: [JSON.parse(privatePolicy).Statement[0], { ...JSON.parse(privatePolicy).Statement[1], ...deny }] });

/** Pass and fail fixtures of the API Gateway rules (policies/aws/apigateway.ts). */
export const apiGatewayCases: Record<string, RuleCases> = {
    "aws-apigateway-method-authorized": {
        pass: [
            { label: "Cognito with scopes, metadata as a mock", resources: [api(), method("mcp"), integration("mcp"), ...metadata()] },
            { label: "Lambda (JWT) authorizer", resources: [api(), method("mcp", { authorization: "CUSTOM", authorizationScopes: undefined }), integration("mcp")] },
            { label: "scope of the stack's resource server", resources: [api(), resourceServer, method("mcp"), integration("mcp")] },
        ],
        fail: [
            { label: "MCP method without an authorizer", resources: [api(), method("mcp", { authorization: "NONE" }), integration("mcp")], expect: /Method mcp \(POST\) has authorization NONE and a HTTP_PROXY integration/ },
            { label: "Cognito without scopes", resources: [api(), method("mcp", { authorizationScopes: [] }), integration("mcp")], expect: /without authorizationScopes/ },
            { label: "unauthenticated GET that reaches a backend", resources: [api(), ...metadata({}, { type: "HTTP_PROXY" })], expect: /Method meta \(GET\) has authorization NONE and a HTTP_PROXY integration/ },
            { label: "unauthenticated POST to a mock", resources: [api(), ...metadata({ httpMethod: "POST" }, { httpMethod: "POST" })], expect: /Method meta \(POST\)/ },
            { label: "unauthenticated method with its integration elsewhere", resources: [api(), method("mcp", { authorization: "NONE", httpMethod: "GET" })], expect: /no integration in the stack/ },
            { label: "openid as the method's scope (every signed-in user)", resources: [api(), method("mcp", { authorizationScopes: ["openid"] }), integration("mcp")], expect: /built-in scope\(s\) openid/ },
            { label: "a scope no resource server of the stack defines", resources: [api(), resourceServer, method("mcp", { authorizationScopes: ["https://api.example.com/other/mcp/admin"] }), integration("mcp")], expect: /no resource server of the stack defines/ },
            { label: "API defined by an OpenAPI body (no Method resources to judge)", resources: [api({ body: openApiBody })], expect: /defined by an OpenAPI body/ },
            { label: "OpenAPI document put on an API", resources: [api(), { type: "aws:apigateway/restApiPut:RestApiPut", name: "put", props: { restApiId: "a1b2c3d4e5", body: openApiBody } }], expect: /REST API put is defined by an OpenAPI body/ },
        ],
    },
    "aws-apigateway-no-api-key-authentication": {
        pass: [
            { label: "API key with a Cognito authorizer", type: METHOD, props: method("mcp", { apiKeyRequired: true }).props },
            { label: "no API key", type: METHOD, props: method("mcp").props },
        ],
        fail: [
            { label: "API key as the only credential", type: METHOD, props: method("mcp", { apiKeyRequired: true, authorization: "NONE" }).props, expect: /the key alone authenticates the caller/ },
        ],
    },
    "aws-apigateway-stage-logging": {
        pass: [{ label: "JSON access logs, X-Ray, ERROR execution logs without bodies", resources: [stage(), settings()] }],
        fail: [
            { label: "no access logs", resources: [stage({ accessLogSettings: undefined }), settings()], expect: /no access log destination/ },
            { label: "CLF format without the WAF verdict", resources: [stage({ accessLogSettings: { destinationArn: "arn:aws:logs:eu-west-1:123456789012:log-group:x", format: "$context.requestId $context.identity.sourceIp $context.status" } }), settings()], expect: /is not JSON and lacks \$context.authorizer.claims.sub, \$context.waf.status/ },
            { label: "X-Ray off", resources: [stage({ xrayTracingEnabled: false }), settings()], expect: /X-Ray tracing off/ },
            { label: "execution logging off", resources: [stage(), settings({ loggingLevel: "OFF" })], expect: /no execution logging for all methods/ },
            { label: "bodies in the execution logs", resources: [stage(), settings({ dataTraceEnabled: true })], expect: /dataTraceEnabled/ },
            { label: "settings of another stage", resources: [stage(), settings({}, { stageName: "other" })], expect: /no execution logging/ },
            { label: "a POST override with logging off", resources: [stage(), settings(), { ...settings({ loggingLevel: "OFF", metricsEnabled: false }, { methodPath: "mcp/POST" }), name: "post" }], expect: /MethodSettings post \(mcp\/POST\) sets loggingLevel OFF/ },
        ],
    },
    "aws-apigateway-stage-throttled": {
        pass: [
            { label: "rate and burst on */*", resources: [stage(), settings()] },
            { label: "a tighter override for POST", resources: [stage(), settings(), { ...settings({ throttlingRateLimit: 5, throttlingBurstLimit: 10 }, { methodPath: "mcp/POST" }), name: "post" }] },
        ],
        fail: [
            { label: "no method settings", resources: [stage()], expect: /Stage mcp has no throttling of its own/ },
            { label: "a POST override far above */*", resources: [stage(), settings(), { ...settings({ throttlingRateLimit: 10000, throttlingBurstLimit: 5000 }, { methodPath: "mcp/POST" }), name: "post" }], expect: /MethodSettings post \(mcp\/POST\) throttles its methods at rate 10000, burst 5000/ },
            { label: "a POST override without limits (-1)", resources: [stage(), settings(), { ...settings({ throttlingRateLimit: undefined, throttlingBurstLimit: undefined }, { methodPath: "mcp/POST" }), name: "post" }], expect: /rate -1, burst -1/ },
            { label: "unlimited burst (-1)", resources: [stage(), settings({ throttlingBurstLimit: -1 })], expect: /throttlingBurstLimit -1/ },
        ],
    },
    "aws-apigateway-domain-tls": {
        pass: [
            { label: "TLS_1_2 with mutual TLS", type: DOMAIN, props: { domainName: "api.example.com", securityPolicy: "TLS_1_2", mutualTlsAuthentication: { truststoreUri: "s3://trust/ca.pem" } } },
            { label: "enhanced TLS 1.3 policy, strict", type: DOMAIN, props: { domainName: "api.example.com", securityPolicy: "SecurityPolicy_TLS13_1_3_2025_09", endpointAccessMode: "STRICT" } },
        ],
        fail: [
            { label: "TLS 1.0", type: DOMAIN, props: { domainName: "api.example.com", securityPolicy: "TLS_1_0" }, expect: /securityPolicy is TLS_1_0/ },
            { label: "left to the default", type: DOMAIN, props: { domainName: "api.example.com" }, expect: /unset \(the service default\)/ },
            { label: "enhanced policy in basic access mode", type: DOMAIN, props: { domainName: "api.example.com", securityPolicy: "SecurityPolicy_TLS13_1_3_2025_09", endpointAccessMode: "BASIC" }, expect: /expected STRICT/ },
        ],
    },
    "aws-apigateway-private-endpoint-policy": {
        pass: [
            { label: "private API limited to its endpoint", resources: [privateApi()] },
            { label: "Deny for AWS \"*\" over every resource", resources: [privateApi({ policy: policyWith({ Principal: { AWS: "*" }, Resource: "*" }) })] },
            { label: "Allow conditioned on the endpoint", resources: [privateApi({ policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*", Condition: { StringEquals: { "aws:SourceVpce": VPCE } } }] }) })] },
            { label: "regional API needs none", resources: [api()] },
        ],
        fail: [
            { label: "private API open to any endpoint", resources: [privateApi({ policy: JSON.stringify({ Statement: [JSON.parse(privatePolicy).Statement[0]] }) })], expect: /Private REST API api has an Allow of execute-api:Invoke \(Invoke\) not limited/ },
            { label: "private API without a policy", resources: [privateApi({ policy: undefined })], expect: /no resource policy/ },
            { label: "Deny narrowed to one path", resources: [privateApi({ policy: policyWith({ Resource: "execute-api:/*/GET/nothing" }) })], expect: /no Deny of other endpoints for every principal over all it allows/ },
            { label: "Deny of one principal only", resources: [privateApi({ policy: policyWith({ Principal: { AWS: "arn:aws:iam::111111111111:root" } }) })], expect: /no Deny of other endpoints/ },
            { label: "private domain open to any endpoint", resources: [privateApi(), { type: DOMAIN, name: "domain", props: { domainName: "api.example.com", endpointConfiguration: { types: "PRIVATE" }, policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" }] }) } }], expect: /Private custom domain domain has an Allow/ },
        ],
    },
    "aws-apigateway-default-endpoint-disabled": {
        pass: [
            { label: "regional, custom domain only", type: REST_API, props: api().props },
            { label: "private (reached through its endpoints)", type: REST_API, props: privateApi().props },
        ],
        fail: [{ label: "regional with its execute-api endpoint", type: REST_API, props: api({ disableExecuteApiEndpoint: false }).props, expect: /The REGIONAL REST API keeps its default execute-api endpoint/ }],
    },
    "aws-apigateway-authorizer-user-pool": {
        pass: [{ label: "the stack's user pool", resources: [pool, authorizer()] }],
        fail: [
            { label: "another account's pool", resources: [pool, authorizer({ providerArns: ["arn:aws:cognito-idp:eu-west-1:999999999999:userpool/eu-west-1_Attacker"] })], expect: /trusts user pool\(s\) arn:aws:cognito-idp:eu-west-1:999999999999:userpool\/eu-west-1_Attacker/ },
            { label: "no user pool in the stack", resources: [authorizer()], expect: /not user pools of this stack/ },
        ],
    },
    "aws-apigateway-integration-tls": {
        pass: [
            { label: "https private integration", type: "aws:apigateway/integration:Integration", props: integration("mcp", { uri: "https://docs.zone.example.com/docs/mcp" }).props },
            { label: "mock", type: "aws:apigateway/integration:Integration", props: integration("meta", { type: "MOCK" }).props },
        ],
        fail: [
            { label: "http:// private integration", type: "aws:apigateway/integration:Integration", props: integration("mcp", { uri: "http://docs.zone.example.com/docs/mcp" }).props, expect: /is not https:\/\// },
            { label: "certificate verification skipped", type: "aws:apigateway/integration:Integration", props: integration("mcp", { uri: "https://docs.zone.example.com/docs/mcp", tlsConfig: { insecureSkipVerification: true } }).props, expect: /skips certificate verification/ },
        ],
    },
};
