import type { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";

const METHOD = "aws:apigateway/method:Method";
const INTEGRATION = "aws:apigateway/integration:Integration";
const STAGE = "aws:apigateway/stage:Stage";
const METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings";
const REST_API = "aws:apigateway/restApi:RestApi";
const REST_API_POLICY = "aws:apigateway/restApiPolicy:RestApiPolicy";
const DOMAIN = "aws:apigateway/domainName:DomainName";
const AUTHORIZER = "aws:apigateway/authorizer:Authorizer";
const REST_API_PUT = "aws:apigateway/restApiPut:RestApiPut";
const USER_POOL = "aws:cognito/userPool:UserPool";
const RESOURCE_SERVER = "aws:cognito/resourceServer:ResourceServer";

/**
 * Scopes every signed-in user of a Cognito pool can get (OpenID Connect and Cognito's own): as a method's scope,
 * they admit any user's access token, not a token meant for the API.
 */
export const BUILT_IN_SCOPES = ["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"];

/** Authorization types that identify the caller: Cognito user pools, a Lambda (JWT) authorizer, IAM signatures. */
const AUTHORIZING = ["COGNITO_USER_POOLS", "CUSTOM", "AWS_IAM"];

/** Does `a` point at `b` through `property`, by reference or by the same id string? */
const same = (a: PolicyResource, property: string, b: PolicyResource, bProperty = "id"): boolean =>
    refersTo(a, property, b) || (typeof a.props[property] === "string" && a.props[property] === b.props[bProperty]);

/** Two resources name the same thing through `property`: the same recorded dependency, or the same string. */
function sameTarget(a: PolicyResource, b: PolicyResource, property: string): boolean {
    const deps = (r: PolicyResource) => (r.propertyDependencies[property] ?? []).map((d) => d.urn).sort().join(",");
    if (deps(a) !== "" || deps(b) !== "") {
        return deps(a) === deps(b);
    }
    return typeof a.props[property] === "string" && a.props[property] === b.props[property];
}

/** The integration of a method: same API, resource and HTTP method. */
function integrationOf(resources: PolicyResource[], method: PolicyResource): PolicyResource | undefined {
    return ofType(resources, INTEGRATION).find((i) => sameTarget(i, method, "restApi") && sameTarget(i, method, "resourceId")
        && String(i.props.httpMethod).toUpperCase() === String(method.props.httpMethod).toUpperCase());
}

export const methodAuthorized = stackRule({
    name: "aws-apigateway-method-authorized",
    description: "Every API Gateway method must identify its caller with an authorizer (Cognito user pool with authorization scopes, a Lambda JWT authorizer, or IAM), except a GET answered by a mock integration, which reaches no backend (the RFC 9728 protected resource metadata). An MCP endpoint without an authorizer lets anyone reach the server's guard and tools.",
    severity: "critical",
    controls: ["S5", "P2", "C1"],
    nist: ["AC-3", "IA-2", "IA-9"],
    maestro: ["L3", "L4"],
    threats: ["T4", "T6"],
    remediation: "Use the McpApiGateway component (components/apigateway), which puts every MCP method behind a COGNITO_USER_POOLS authorizer with the server's scopes (mcpsec:servers[].tools[].scopes) and serves only the metadata as a mock; for a method of your own, set authorization, authorizerId and authorizationScopes.",
}, (resources, _args, report) => {
    // Scopes the stack's resource servers define (`<identifier>/<scope>`): with any, a method's scope must be one.
    const defined = new Set(ofType(resources, RESOURCE_SERVER).flatMap((rs) => ([rs.props.scopes ?? []].flat() as Props[]).map((sc) => `${rs.props.identifier}/${sc.scopeName}`)));
    for (const api of [...ofType(resources, REST_API).filter((a) => typeof a.props.body === "string" && a.props.body !== ""), ...ofType(resources, REST_API_PUT)]) {
        report(`REST API ${api.name} is defined by an OpenAPI body: its methods, authorizers and integrations are not resources of the stack, so none of them can be judged here. Define them as resources (the McpApiGateway component does).`, api.urn);
    }
    for (const method of ofType(resources, METHOD)) {
        const auth = String(method.props.authorization ?? "NONE").toUpperCase();
        if (AUTHORIZING.includes(auth)) {
            const scopes = method.props.authorizationScopes;
            if (auth === "COGNITO_USER_POOLS" && (!Array.isArray(scopes) || scopes.length === 0)) {
                report(`Method ${method.name} (${method.props.httpMethod}) uses a Cognito authorizer without authorizationScopes: any token of the user pool passes, including ID tokens and tokens of other servers.`, method.urn);
            } else if (auth === "COGNITO_USER_POOLS") {
                const builtIn = (scopes as unknown[]).map(String).filter((sc) => BUILT_IN_SCOPES.includes(sc.toLowerCase()));
                const foreign = defined.size > 0 ? (scopes as unknown[]).map(String).filter((sc) => !BUILT_IN_SCOPES.includes(sc.toLowerCase()) && !defined.has(sc)) : [];
                if (builtIn.length > 0) {
                    report(`Method ${method.name} (${method.props.httpMethod}) accepts the built-in scope(s) ${builtIn.join(", ")}: every signed-in user's access token carries them, so any user of the pool passes; expected the API's own resource server scopes.`, method.urn);
                }
                if (foreign.length > 0) {
                    report(`Method ${method.name} (${method.props.httpMethod}) accepts scope(s) ${foreign.join(", ")} that no resource server of the stack defines (defined: ${[...defined].join(", ")}).`, method.urn);
                }
            }
            continue;
        }
        const integration = integrationOf(resources, method);
        const staticAnswer = String(method.props.httpMethod).toUpperCase() === "GET" && integration?.props.type === "MOCK";
        if (!staticAnswer) {
            report(`Method ${method.name} (${method.props.httpMethod}) has authorization ${auth} and ${integration ? `a ${integration.props.type} integration` : "no integration in the stack"}: only a GET answered by a MOCK integration may go without an authorizer.`, method.urn);
        }
    }
});

export const noApiKeyAuthentication = resourceRule({
    name: "aws-apigateway-no-api-key-authentication",
    description: "An API key must never be the only credential of a method: API keys are long-lived shared strings sent in a header, meant to identify a client for a usage plan, not to authenticate it. A method that requires an API key must also have an authorizer.",
    severity: "high",
    controls: ["S5", "P2"],
    nist: ["IA-2", "IA-5", "AC-3"],
    maestro: ["L3"],
    threats: ["T4"],
    remediation: "Keep apiKeyRequired only together with an authorizer (the McpApiGateway component requires the client's key from mcpsec:apiGateway.clients besides the Cognito token); otherwise set authorization to COGNITO_USER_POOLS or CUSTOM.",
}, [METHOD], (props, _args, report) => {
    if (props.apiKeyRequired === true && !AUTHORIZING.includes(String(props.authorization ?? "NONE").toUpperCase())) {
        report(`The method requires an API key and has authorization ${props.authorization ?? "NONE"}: the key alone authenticates the caller.`);
    }
});

/** The context variables an access log line must carry: request, caller, outcome, the WAF verdict. */
export const REQUIRED_ACCESS_LOG_VARIABLES = ["$context.requestId", "$context.identity.sourceIp", "$context.status", "$context.authorizer.claims.sub", "$context.waf.status"];

export const stageLogging = stackRule({
    name: "aws-apigateway-stage-logging",
    description: "Every API Gateway stage must write JSON access logs naming the request, the caller (source IP and token subject), the status and the WAF verdict, trace with X-Ray, and log execution for all methods without request or response bodies (data tracing would copy bearer tokens and tool arguments into CloudWatch).",
    severity: "high",
    controls: ["O1", "P2"],
    nist: ["AU-2", "AU-3", "AU-12"],
    maestro: ["L5"],
    threats: ["T2", "T4"],
    remediation: "Use the McpApiGateway component (access log format ACCESS_LOG_FORMAT, X-Ray, MethodSettings */* with loggingLevel from mcpsec:apiGateway.executionLogLevel and dataTraceEnabled false); for a stage of your own set accessLogSettings, xrayTracingEnabled and a MethodSettings resource.",
}, (resources, _args, report) => {
    const settings = ofType(resources, METHOD_SETTINGS);
    for (const stage of ofType(resources, STAGE)) {
        const format = String(stage.props.accessLogSettings?.format ?? "");
        if (!stage.props.accessLogSettings?.destinationArn) {
            report(`Stage ${stage.name} has no access log destination.`, stage.urn);
        } else {
            const missing = REQUIRED_ACCESS_LOG_VARIABLES.filter((v) => !format.includes(v));
            let json = true;
            try {
                JSON.parse(format);
            } catch {
                json = false;
            }
            if (!json || missing.length > 0) {
                report(`Stage ${stage.name} access log format ${json ? "" : "is not JSON and "}${missing.length > 0 ? `lacks ${missing.join(", ")}` : ""}.`.replace(" .", "."), stage.urn);
            }
        }
        if (stage.props.xrayTracingEnabled !== true) {
            report(`Stage ${stage.name} has X-Ray tracing off.`, stage.urn);
        }
        const mine = settings.filter((s) => same(s, "restApi", stage, "restApi") && (refersTo(s, "stageName", stage) || s.props.stageName === stage.props.stageName));
        const all = mine.find((s) => s.props.methodPath === "*/*");
        const level = String(all?.props.settings?.loggingLevel ?? "OFF").toUpperCase();
        if (!all || !["ERROR", "INFO"].includes(level)) {
            report(`Stage ${stage.name} has no execution logging for all methods (MethodSettings */* loggingLevel ERROR or INFO).`, stage.urn);
        }
        for (const s of mine.filter((m) => m.props.settings?.dataTraceEnabled === true)) {
            report(`MethodSettings ${s.name} (${s.props.methodPath}) logs full requests and responses (dataTraceEnabled): bearer tokens and tool arguments land in CloudWatch.`, s.urn);
        }
        // A per-method override replaces */* for its methods: it must keep execution logging too.
        for (const s of mine.filter((m) => m !== all && !["ERROR", "INFO"].includes(String(m.props.settings?.loggingLevel ?? "OFF").toUpperCase()))) {
            report(`MethodSettings ${s.name} (${s.props.methodPath}) sets loggingLevel ${s.props.settings?.loggingLevel ?? "unset (OFF)"} for its methods, overriding */*: expected ERROR or INFO.`, s.urn);
        }
    }
}, { onlyWith: STAGE });

export const stageThrottled = stackRule({
    name: "aws-apigateway-stage-throttled",
    description: "Every API Gateway stage must throttle all its methods with an explicit steady rate and burst, so that one client or a flood cannot take the MCP servers (and the model budgets behind their tools) down; the account-wide default of 10,000 requests per second is far above what an MCP server takes.",
    severity: "medium",
    controls: ["C5", "P2"],
    nist: ["SC-5", "SC-6"],
    maestro: ["L4"],
    threats: ["T5"],
    remediation: "Set mcpsec:apiGateway.throttle (rateLimit, burstLimit) and per-client limits in mcpsec:apiGateway.clients; the McpApiGateway component writes them to MethodSettings */* and the usage plans.",
}, (resources, _args, report) => {
    const settings = ofType(resources, METHOD_SETTINGS);
    for (const stage of ofType(resources, STAGE)) {
        const mine = settings.filter((s) => same(s, "restApi", stage, "restApi") && (refersTo(s, "stageName", stage) || s.props.stageName === stage.props.stageName));
        const all = mine.find((s) => s.props.methodPath === "*/*");
        const rate = Number(all?.props.settings?.throttlingRateLimit ?? -1);
        const burst = Number(all?.props.settings?.throttlingBurstLimit ?? -1);
        if (!(rate > 0) || !(burst > 0)) {
            report(`Stage ${stage.name} has no throttling of its own for all methods (throttlingRateLimit ${rate}, throttlingBurstLimit ${burst}).`, stage.urn);
            continue;
        }
        // An override replaces */* for its methods; unset limits there mean -1, no throttling.
        for (const s of mine.filter((m) => m !== all)) {
            const r = Number(s.props.settings?.throttlingRateLimit ?? -1);
            const b = Number(s.props.settings?.throttlingBurstLimit ?? -1);
            if (!(r > 0 && r <= rate) || !(b > 0 && b <= burst)) {
                report(`MethodSettings ${s.name} (${s.props.methodPath}) throttles its methods at rate ${r}, burst ${b}, overriding */* (${rate}, ${burst}): expected positive limits no higher than */*.`, s.urn);
            }
        }
    }
}, { onlyWith: STAGE });

/** Custom domain security policies of TLS 1.2 or later: the legacy TLS_1_2 and every enhanced TLS 1.3/1.2 policy. */
const tlsPolicyOk = (policy: string) => policy === "TLS_1_2" || policy.startsWith("SecurityPolicy_TLS13_");

export const domainTls = resourceRule({
    name: "aws-apigateway-domain-tls",
    description: "API Gateway custom domains must name a TLS 1.2+ security policy (never TLS_1_0, never left to the default), and an enhanced policy needs STRICT endpoint access, so a request reaches the API only with a matching SNI through its own endpoint type.",
    severity: "high",
    controls: ["H5", "P2"],
    nist: ["SC-8", "SC-13"],
    maestro: ["L4"],
    threats: ["T2", "T4"],
    remediation: "Set mcpsec:apiGateway.securityPolicy (TLS_1_2, or SecurityPolicy_TLS13_1_3_2025_09); the McpApiGateway component sets STRICT endpoint access with an enhanced policy.",
}, [DOMAIN], (props, _args, report) => {
    const policy = props.securityPolicy;
    if (typeof policy !== "string" || !tlsPolicyOk(policy)) {
        report(`securityPolicy is ${policy ?? "unset (the service default)"}; allowed: TLS_1_2 or an enhanced SecurityPolicy_TLS13_* policy.`);
        return;
    }
    if (policy.startsWith("SecurityPolicy_") && props.endpointAccessMode !== "STRICT") {
        report(`securityPolicy ${policy} with endpointAccessMode ${props.endpointAccessMode ?? "unset"}: expected STRICT.`);
    }
});

/** A statement admits calls only from named VPC endpoints or VPCs (its condition names aws:SourceVpce or aws:SourceVpc). */
function conditionedOnVpce(statement: Props, effect: "Allow" | "Deny"): boolean {
    const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
    const operators = effect === "Allow" ? ["StringEquals", "ForAnyValue:StringEquals"] : ["StringNotEquals", "ForAllValues:StringNotEquals"];
    return operators.some((op) => Object.keys(condition?.[op] ?? {}).some((k) => ["aws:sourcevpce", "aws:sourcevpc"].includes(k.toLowerCase())));
}

const actions = (s: Props): string[] => [s.Action ?? []].flat().map(String);
const invokes = (s: Props) => actions(s).some((a) => ["*", "execute-api:*", "execute-api:invoke"].includes(a.toLowerCase()));

const resourcesOf = (s: Props): string[] => [s.Resource ?? []].flat().map(String);
const everyone = (p: unknown) => p === "*" || (typeof p === "object" && p !== null && [(p as Props).AWS ?? []].flat().includes("*"));
/** Does the IAM pattern `pattern` (`*` any run, `?` one character) match all of `resource`, read literally? */
function globCovers(pattern: string, resource: string): boolean {
    const re = new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`);
    return re.test(resource);
}

/** Does this policy document admit execute-api:Invoke from anything but named VPC endpoints? */
export function privateApiPolicyProblem(text: unknown): string | undefined {
    if (typeof text !== "string" || text.trim() === "") {
        return "no resource policy: a private API without one denies everything, and one added later by hand is not reviewed here";
    }
    let doc: { Statement?: Props | Props[] };
    try {
        doc = JSON.parse(text);
    } catch {
        return "a policy that is not JSON";
    }
    const statements = [doc.Statement ?? []].flat();
    const open = statements.filter((s) => s.Effect === "Allow" && invokes(s) && !conditionedOnVpce(s, "Allow"));
    // A Deny covers an open Allow only for every caller (Principal "*") and every resource the Allow names.
    const denies = statements.filter((s) => s.Effect === "Deny" && invokes(s) && conditionedOnVpce(s, "Deny") && !s.NotResource && !s.NotPrincipal && everyone(s.Principal));
    const uncovered = open.filter((a) => !resourcesOf(a).every((r) => denies.some((d) => resourcesOf(d).some((pattern) => globCovers(pattern, r)))));
    if (uncovered.length > 0) {
        return `an Allow of execute-api:Invoke (${uncovered.map((s) => s.Sid ?? "no Sid").join(", ")}) not limited to named VPC endpoints, and no Deny of other endpoints for every principal over all it allows`;
    }
    return undefined;
}

export const privateEndpointPolicy = stackRule({
    name: "aws-apigateway-private-endpoint-policy",
    description: "A private REST API, and a private custom domain, must carry a resource policy that admits execute-api:Invoke only through named VPC endpoints (or VPCs): the endpoint type alone lets any execute-api interface endpoint of any account reach the API.",
    severity: "high",
    controls: ["S1", "P2"],
    nist: ["AC-3", "AC-4", "SC-7"],
    maestro: ["L4"],
    threats: ["T4", "T6"],
    remediation: "Set mcpsec:apiGateway.endpointType PRIVATE with mcpsec:apiGateway.vpcEndpointIds; the McpApiGateway component writes the Allow and the Deny of other endpoints (aws:SourceVpce) on each API and the private domain.",
}, (resources, _args, report) => {
    const separate = ofType(resources, REST_API_POLICY);
    const isPrivate = (r: PolicyResource) => JSON.stringify(r.props.endpointConfiguration?.types ?? "").includes("PRIVATE");
    for (const api of ofType(resources, REST_API).filter(isPrivate)) {
        const attached = separate.find((p) => refersTo(p, "restApiId", api));
        const problem = privateApiPolicyProblem(attached?.props.policy ?? api.props.policy);
        if (problem) {
            report(`Private REST API ${api.name} has ${problem}.`, api.urn);
        }
    }
    for (const domain of ofType(resources, DOMAIN).filter(isPrivate)) {
        const problem = privateApiPolicyProblem(domain.props.policy);
        if (problem) {
            report(`Private custom domain ${domain.name} has ${problem}.`, domain.urn);
        }
    }
});

export const defaultEndpointDisabled = resourceRule({
    name: "aws-apigateway-default-endpoint-disabled",
    description: "A regional or edge-optimized REST API must disable its default execute-api endpoint and be reached only through its custom domain, whose TLS policy and mutual TLS the default endpoint would bypass (it also sends requests past a web ACL that matches the custom domain's paths).",
    severity: "medium",
    controls: ["H5", "P2"],
    nist: ["SC-7", "SC-8"],
    maestro: ["L4"],
    threats: ["T4", "T6"],
    remediation: "Set disableExecuteApiEndpoint: true and serve the API on a custom domain (mcpsec:apiGateway.domainName); the McpApiGateway component does so for REGIONAL APIs.",
}, [REST_API], (props, _args, report) => {
    const types = JSON.stringify(props.endpointConfiguration?.types ?? "EDGE");
    if (!types.includes("PRIVATE") && props.disableExecuteApiEndpoint !== true) {
        report(`The ${types.replace(/[[\]"]/g, "")} REST API keeps its default execute-api endpoint.`);
    }
});

export const authorizerUserPool = stackRule({
    name: "aws-apigateway-authorizer-user-pool",
    description: "A Cognito user pool authorizer must trust only user pools of the stack: a pool named by a bare ARN may belong to another account, where anyone may be able to sign up and mint tokens with any scope its resource servers define, and nothing here can judge its sign-up, clients or scopes.",
    severity: "critical",
    controls: ["S5", "P2"],
    nist: ["IA-2", "IA-5", "AC-3"],
    maestro: ["L3"],
    threats: ["T4", "T6"],
    remediation: "Pass the zone's user pool (components/identity AuthorizationServer) as the authorizer's providerArns; the McpApiGateway component takes it as userPoolArn. A pool managed elsewhere must be brought into the stack (or the rule's finding accepted in review).",
}, (resources, _args, report) => {
    const pools = ofType(resources, USER_POOL);
    for (const authorizer of ofType(resources, AUTHORIZER).filter((a) => String(a.props.type ?? "").toUpperCase() === "COGNITO_USER_POOLS")) {
        const deps = new Set((authorizer.propertyDependencies.providerArns ?? []).map((d) => d.urn));
        const arns = [authorizer.props.providerArns ?? []].flat().map(String);
        // Every ARN a reference to a pool of the stack (as the engine records it), or equal to such a pool's ARN.
        const allReferences = deps.size >= arns.length && [...deps].every((urn) => pools.some((p) => p.urn === urn));
        const foreign = arns.filter((arn) => !pools.some((p) => p.props.arn === arn));
        if (arns.length === 0 || (!allReferences && foreign.length > 0)) {
            report(`Authorizer ${authorizer.name} trusts user pool(s) ${foreign.join(", ") || "none"} that are not user pools of this stack.`, authorizer.urn);
        }
    }
}, { onlyWith: AUTHORIZER });

export const integrationTls = resourceRule({
    name: "aws-apigateway-integration-tls",
    description: "An API Gateway HTTP or HTTP_PROXY integration must use an https:// URI with certificate verification on: a private integration sends plain HTTP unless its URI is https, and insecureSkipVerification lets any certificate stand in for the backend, so bearer tokens and tool arguments would cross the VPC in clear text or to an unverified peer.",
    severity: "high",
    controls: ["H5", "P2"],
    nist: ["SC-8", "SC-23"],
    maestro: ["L4"],
    threats: ["T2", "T4"],
    remediation: "Give the integration an https:// uri naming a host its certificate covers (the McpApiGateway component uses https://<server>.<mcpsec:edge.domainName>/... against the load balancer's certificate mcpsec:edge.certificateArn) and leave tlsConfig.insecureSkipVerification unset.",
}, [INTEGRATION], (props, _args, report) => {
    const type = String(props.type ?? "").toUpperCase();
    if (type !== "HTTP" && type !== "HTTP_PROXY") {
        return;
    }
    if (typeof props.uri !== "string" || !props.uri.toLowerCase().startsWith("https://")) {
        report(`The ${type} integration's uri ${JSON.stringify(props.uri ?? null)} is not https://: requests reach the backend in clear text.`);
    }
    if (props.tlsConfig?.insecureSkipVerification === true) {
        report(`The ${type} integration skips certificate verification (tlsConfig.insecureSkipVerification): any certificate is taken for the backend's.`);
    }
});

export const apiGatewayRules = [methodAuthorized, noApiKeyAuthentication, stageLogging, stageThrottled, domainTls, privateEndpointPolicy, defaultEndpointDisabled, authorizerUserPool, integrationTls];
