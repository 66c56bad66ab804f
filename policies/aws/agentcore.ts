import type * as CedarWasm from "@cedar-policy/cedar-wasm/nodejs";
import type { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";
import { actionMatches, attachedIdentityPolicies, statementsGranting } from "./iam";

// Rules of Amazon Bedrock AgentCore Gateway (pattern 2, mcpsec:apiGateway.kind agentcore; components/agentcore).

const GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway";
const TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget";
const POLICY = "aws:bedrock/agentcorePolicy:AgentcorePolicy";

/** The first element of a value the provider may give as an object or a one-element list. */
function one(value: unknown): Props | undefined {
    const v = Array.isArray(value) ? value[0] : value;
    return v !== null && typeof v === "object" ? (v as Props) : undefined;
}

function gatewayLabel(r: PolicyResource): string {
    return `gateway ${r.props.name ?? r.name}`;
}

export const agentcoreGatewayPolicyEnforced = resourceRule({
    name: "aws-agentcore-gateway-policy-enforced",
    description: "An AgentCore gateway must have a policy engine attached in ENFORCE mode. Without one, or in LOG_ONLY mode, every tool of every target is callable by any token the authorizer accepts: the per-tool Cedar decisions generated from the approved manifests are only logged.",
    severity: "critical",
    controls: ["C3", "P2"],
    nist: ["AC-3", "AC-6"],
    maestro: ["L3"],
    threats: ["T4"],
    remediation: "Deploy the gateway with the McpAgentcoreGateway component (mcpsec:apiGateway.kind agentcore), which attaches its policy engine with mode ENFORCE; for a gateway of your own set policyEngineConfiguration {arn, mode: ENFORCE}.",
}, [GATEWAY], (props, _args, report) => {
    const engine = one(props.policyEngineConfiguration);
    if (!engine || typeof engine.arn !== "string" || engine.arn === "") {
        report("The gateway has no policy engine: every tool is callable by any accepted token.");
    } else if (engine.mode !== "ENFORCE") {
        report(`The gateway's policy engine is in mode ${engine.mode ?? "(unset)"}; its decisions are only logged: expected ENFORCE.`);
    }
});

export const agentcorePolicyFailOnFindings = resourceRule({
    name: "aws-agentcore-policy-fail-on-findings",
    description: "AgentCore Cedar policies must be created with validationMode FAIL_ON_ANY_FINDINGS, so a policy that does not validate against the gateway's schema (an unknown tool, a wrong attribute, an always-true condition) is refused rather than stored. IGNORE_ALL_FINDINGS lets a policy that permits more, or nothing, go live unnoticed.",
    severity: "high",
    controls: ["C3", "P2"],
    nist: ["CM-3", "AC-3"],
    maestro: ["L3"],
    threats: ["T4"],
    remediation: "Leave validationMode unset or set FAIL_ON_ANY_FINDINGS (the McpAgentcoreGateway component sets it on every generated policy).",
}, [POLICY], (props, _args, report) => {
    if (props.validationMode !== undefined && props.validationMode !== "FAIL_ON_ANY_FINDINGS") {
        report(`The policy ${props.name ?? "?"} is created with validationMode ${props.validationMode}: expected FAIL_ON_ANY_FINDINGS.`);
    }
});

let cedarLib: typeof CedarWasm | undefined;

/**
 * The Cedar library, loaded when a stack has an AgentCore policy: a plain require call, which the pack build
 * (scripts/buildPacks.ts) sees and makes a dependency of the bundled pack.
 */
function cedarLibrary(): typeof CedarWasm {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cedarLib ??= require("@cedar-policy/cedar-wasm/nodejs") as typeof CedarWasm;
    return cedarLib;
}

/** Scope claims of tokens that hold no scope of any tool: what a permit must refuse. */
const UNRELATED_SCOPES: (string | undefined)[] = [undefined, "", "openid email profile phone aws.cognito.signin.user.admin"];

/**
 * What a Cedar statement of an AgentCore policy does, judged with the Cedar library: a `permit` must name exactly one
 * action (`action == AgentCore::Action::"<target>___<tool>"`), and must refuse tokens that hold no scope at all or only
 * sign-in scopes (evaluated by Cedar's authorizer on that action and resource). `forbid` only narrows: not judged.
 */
export function cedarPermitProblems(statement: string): string[] {
    const lib = cedarLibrary();
    const parsed = lib.policyToJson(statement);
    if (parsed.type === "failure") {
        return [`does not parse as one Cedar policy (${parsed.errors[0]?.message ?? "?"})`];
    }
    const p = parsed.json;
    if (p.effect !== "permit") {
        return [];
    }
    const problems: string[] = [];
    if (p.action.op !== "==") {
        problems.push(`permits ${p.action.op === "All" ? "every action" : "a set of actions"}: expected action == AgentCore::Action::"<target>___<tool>"`);
    }
    if (p.resource.op !== "==") {
        problems.push("permits on any gateway: expected resource == AgentCore::Gateway::\"<this gateway's ARN>\"");
    }
    const action = p.action.op === "==" && "entity" in p.action ? p.action.entity : { type: "AgentCore::Action", id: "probe___tool" };
    const resource = p.resource.op === "==" && "entity" in p.resource ? p.resource.entity : { type: "AgentCore::Gateway", id: "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/probe" };
    const principal = { type: "AgentCore::OAuthUser", id: "probe" };
    for (const scope of UNRELATED_SCOPES) {
        const answer = lib.isAuthorized({
            principal, action, resource, context: {},
            policies: { staticPolicies: { p: statement } },
            entities: [{ uid: principal, attrs: {}, parents: [], tags: scope === undefined ? {} : { scope } }],
        } as Parameters<typeof lib.isAuthorized>[0]);
        if (answer.type === "success" && answer.response.decision === "allow") {
            problems.push(`permits a token ${scope === undefined ? "without a scope claim" : `whose scope claim is ${JSON.stringify(scope)}`}: expected a when clause requiring one of the tool's scopes`);
            break;
        }
    }
    return problems;
}

export const agentcorePolicyScopedPermit = resourceRule({
    name: "aws-agentcore-policy-scoped-permit",
    description: "Every AgentCore Cedar permit must name one tool (action == AgentCore::Action::\"<target>___<tool>\"), one gateway, and refuse tokens holding none of the tool's scopes: Cedar is the only per-user, per-tool decision behind the gateway (the targets get the gateway's own all-scope token), so a permit on every action, or one whose condition a token without the tool's scope satisfies, opens every tool to every signed-in caller. Judged by the Cedar library: the statement parsed, and Cedar's authorizer asked whether it permits a token with no scope claim, an empty one, or only sign-in scopes.",
    severity: "critical",
    controls: ["C3", "P2"],
    nist: ["AC-3", "AC-6"],
    maestro: ["L3"],
    threats: ["T4"],
    remediation: "Let the McpAgentcoreGateway component generate the policies from the approved manifests (mcpsec:servers[].tools[].scopes): one permit per tool, principal is AgentCore::OAuthUser, action == the tool, resource == the gateway, when the scope claim holds one of the tool's scopes.",
}, [POLICY], (props, _args, report) => {
    const statement = one(one(props.definition)?.cedar)?.statement;
    if (typeof statement !== "string") {
        return;
    }
    for (const problem of cedarPermitProblems(statement)) {
        report(`The policy ${props.name ?? "?"} ${problem}.`);
    }
});

export const agentcoreGatewayDebugExceptions = resourceRule({
    name: "aws-agentcore-gateway-no-debug-exceptions",
    description: "An AgentCore gateway must not return DEBUG exception detail: with exceptionLevel DEBUG the gateway sends internal error detail (target errors, stack details) to any caller, which tells an attacker how the targets behind it fail.",
    severity: "medium",
    controls: ["S2", "P2"],
    nist: ["SI-11"],
    maestro: ["L4"],
    threats: ["T7"],
    remediation: "Leave exceptionLevel unset (the McpAgentcoreGateway component never sets it); read the detail in the gateway's application logs instead.",
}, [GATEWAY], (props, _args, report) => {
    if (typeof props.exceptionLevel === "string" && props.exceptionLevel.toUpperCase() === "DEBUG") {
        report("The gateway returns DEBUG exception detail to callers: expected exceptionLevel unset.");
    }
});

/** The pool id in a Cognito discovery URL (`https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/openid-configuration`). */
export function cognitoPoolOfDiscoveryUrl(url: unknown): string | undefined {
    const m = typeof url === "string" ? /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([A-Za-z0-9-]+_[A-Za-z0-9]+)\/\.well-known\/openid-configuration$/.exec(url) : null;
    return m ? m[1] : undefined;
}

export const agentcoreGatewayCustomJwt = stackRule({
    name: "aws-agentcore-gateway-custom-jwt",
    description: "An AgentCore gateway must validate bearer tokens itself: authorizerType CUSTOM_JWT (never NONE, AUTHENTICATE_ONLY or AWS_IAM for MCP clients), with the discovery URL of a Cognito user pool of this stack and a list of allowed clients. NONE accepts anyone, and a discovery URL of another issuer lets that issuer's tokens call the tools.",
    severity: "critical",
    controls: ["S5", "C1", "P2"],
    nist: ["IA-2", "IA-5", "AC-3"],
    maestro: ["L3", "L4"],
    threats: ["T3", "T4"],
    remediation: "Deploy with mcpsec:apiGateway.kind agentcore: the McpAgentcoreGateway component sets CUSTOM_JWT with the zone's pool (<issuer>/.well-known/openid-configuration) and its clients (mcpsec:identity.agents and the people client).",
}, (resources, _args, report) => {
    const pools = ofType(resources, "aws:cognito/userPool:UserPool");
    for (const g of ofType(resources, GATEWAY)) {
        if (g.props.authorizerType !== "CUSTOM_JWT") {
            report(`${gatewayLabel(g)} uses authorizerType ${g.props.authorizerType ?? "(unset)"}: expected CUSTOM_JWT.`, g.urn);
            continue;
        }
        const jwt = one(one(g.props.authorizerConfiguration)?.customJwtAuthorizer);
        const poolId = cognitoPoolOfDiscoveryUrl(jwt?.discoveryUrl);
        const ownPool = pools.some((p) => (poolId !== undefined && (p.props.id === poolId || (typeof p.props.arn === "string" && p.props.arn.endsWith(`/${poolId}`))))
            || (jwt?.discoveryUrl === undefined && refersTo(g, "authorizerConfiguration", p)));
        if (!ownPool) {
            report(`${gatewayLabel(g)} accepts tokens of ${JSON.stringify(jwt?.discoveryUrl ?? "(no discovery URL)")}: expected the discovery URL of a user pool of this stack.`, g.urn);
        }
        if ([jwt?.allowedClients ?? []].flat().length === 0) {
            report(`${gatewayLabel(g)} names no allowed clients: any client of the issuer gets in.`, g.urn);
        }
    }
}, { onlyWith: GATEWAY });

/** Whether a web ACL association protects a gateway (by ARN or dependency), and with a regional web ACL. */
function protects(assoc: PolicyResource, gateway: PolicyResource): boolean {
    return refersTo(assoc, "resourceArn", gateway, ["gatewayArn"]);
}

export const agentcoreGatewayWafAssociated = stackRule({
    name: "aws-agentcore-gateway-waf-associated",
    description: "Every AgentCore gateway must have a regional AWS WAF web ACL associated (supported since June 2026): the gateway is a public HTTPS endpoint, and the web ACL is where JSON-RPC shape, body size and per-client rate limits are enforced before any token is checked.",
    severity: "high",
    controls: ["S2", "P2"],
    nist: ["SC-7", "SC-5", "SI-10"],
    maestro: ["L4"],
    threats: ["T5", "T3"],
    remediation: "Deploy with mcpsec:apiGateway.kind agentcore: the McpAgentcoreGateway component associates the zone's regional web ACL (aws.wafv2.WebAclAssociation with the gateway's ARN).",
}, (resources, _args, report) => {
    const associations = ofType(resources, "aws:wafv2/webAclAssociation:WebAclAssociation");
    for (const g of ofType(resources, GATEWAY)) {
        if (!associations.some((a) => protects(a, g))) {
            report(`${gatewayLabel(g)} has no web ACL associated.`, g.urn);
        }
    }
}, { onlyWith: GATEWAY });

export const agentcoreGatewayInterceptors = stackRule({
    name: "aws-agentcore-gateway-interceptors-attached",
    description: "Every AgentCore gateway must run REQUEST and RESPONSE interceptors that are Lambda functions of this stack (the guard's core: methods limited to what the gateway authorizes per user, arguments checked against the approved schema, tools/list pinned to the approved manifest, DLP on results), without the request headers (passRequestHeaders true hands every caller's bearer token to the function). Without them a changed tool reaches clients and secrets in results leave unredacted; a Lambda of another stack is code this review never saw.",
    severity: "high",
    controls: ["S6", "C5", "P2"],
    nist: ["SI-10", "SI-7", "SC-7"],
    maestro: ["L3", "L2"],
    threats: ["T1", "T2", "T6"],
    remediation: "Deploy with mcpsec:apiGateway.kind agentcore: the McpAgentcoreGateway component attaches its own request and response interceptor functions (components/agentcore/interceptor.ts) with inputConfiguration.passRequestHeaders false.",
}, (resources, _args, report) => {
    const functions = ofType(resources, "aws:lambda/function:Function");
    for (const g of ofType(resources, GATEWAY)) {
        const configs = [g.props.interceptorConfigurations ?? []].flat() as Props[];
        for (const point of ["REQUEST", "RESPONSE"]) {
            const at = configs.filter((c) => [c.interceptionPoints ?? []].flat().includes(point));
            if (at.length === 0) {
                report(`${gatewayLabel(g)} has no ${point} interceptor.`, g.urn);
                continue;
            }
            for (const c of at) {
                if (one(c.inputConfiguration)?.passRequestHeaders === true) {
                    report(`${gatewayLabel(g)}'s ${point} interceptor receives the request headers (passRequestHeaders true): the callers' bearer tokens reach its code and logs; expected false.`, g.urn);
                }
                const arn = one(one(c.interceptor)?.lambda)?.arn;
                const own = functions.some((f) => typeof arn === "string" && (f.props.arn === arn || f.props.qualifiedArn === arn || (typeof f.props.arn === "string" && arn.startsWith(`${f.props.arn}:`))))
                    || (arn === undefined && functions.some((f) => refersTo(g, "interceptorConfigurations", f)));
                if (!own) {
                    report(`${gatewayLabel(g)}'s ${point} interceptor ${JSON.stringify(arn ?? "(no Lambda)")} is not a Lambda function of this stack.`, g.urn);
                }
            }
        }
    }
}, { onlyWith: GATEWAY });

export const agentcoreTargetPrivate = resourceRule({
    name: "aws-agentcore-target-private-https",
    description: "An AgentCore gateway target that is an MCP server must be reached over https through a private endpoint (a VPC Lattice resource gateway, managed or self-managed): a public endpoint puts the server on the internet beside the gateway, reachable without the gateway's authorizer, Cedar policies and interceptors.",
    severity: "critical",
    controls: ["S1", "P2"],
    nist: ["SC-7", "SC-8"],
    maestro: ["L4"],
    threats: ["T5"],
    remediation: "Deploy with mcpsec:apiGateway.kind agentcore: each target of the McpAgentcoreGateway component is https://<server>.<mcpsec:edge.domainName><path> through privateEndpoint.managedVpcResource in the zone's private subnets.",
}, [TARGET], (props, _args, report) => {
    const server = one(one(one(props.targetConfiguration)?.mcp)?.mcpServer);
    if (!server) {
        return;
    }
    if (typeof server.endpoint !== "string" || !server.endpoint.startsWith("https://")) {
        report(`The MCP server target ${props.name ?? "?"} is reached at ${JSON.stringify(server.endpoint)}: expected an https URL.`);
    }
    const priv = one(props.privateEndpoint);
    if (!one(priv?.managedVpcResource) && !one(priv?.selfManagedLatticeResource)) {
        report(`The MCP server target ${props.name ?? "?"} has no private endpoint: the gateway reaches it over the internet.`);
    }
});

/**
 * Actions that can switch a gateway's enforcement off: its policy engine mode, authorizer and interceptors, its
 * policies, its web ACL (a new association replaces the current one: "associate a new web ACL. The new association
 * replaces the existing", devguide "Protecting your gateway with AWS WAF"), its targets (an outside endpoint, or no
 * private endpoint, receives every call's arguments and the gateway's token of that server).
 */
export const ENFORCEMENT_ACTIONS = [
    "bedrock-agentcore:UpdateGateway",
    "bedrock-agentcore:UpdatePolicyEngine",
    "bedrock-agentcore:CreatePolicy",
    "bedrock-agentcore:UpdatePolicy",
    "bedrock-agentcore:DeletePolicy",
    "bedrock-agentcore:GatewayDisassociateWebACL",
    "bedrock-agentcore:GatewayAssociateWebACL",
    "bedrock-agentcore:CreateGatewayTarget",
    "bedrock-agentcore:UpdateGatewayTarget",
];

/** Actions that replace what an interceptor function runs (its code, or its handler, layers and environment). */
export const INTERCEPTOR_CHANGE_ACTIONS = ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"];

/** Actions that empty or replace the regional web ACL in front of a gateway, on the WAF side. */
export const WEB_ACL_CHANGE_ACTIONS = ["wafv2:UpdateWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"];

/** AWS managed policies that allow every action (or every action but IAM and Organizations). */
export const EVERY_ACTION_MANAGED_POLICIES = ["AdministratorAccess", "PowerUserAccess"];

/** Whether an IAM resource pattern could name an AgentCore gateway or policy engine (or anything: "*"). */
function couldNameAgentcore(resource: string): boolean {
    const samples = [
        "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/mcp-gw-a1b2c3d4e5",
        "arn:aws:bedrock-agentcore:eu-west-1:123456789012:policy-engine/mcp_tools-a1b2c3d4e5",
        "arn:aws:bedrock-agentcore:eu-west-1:123456789012:policy-engine/mcp_tools-a1b2c3d4e5/policy/p-a1b2c3d4e5",
    ];
    return /^arn:[^:]*:bedrock-agentcore:/.test(resource) || samples.some((s) => actionMatches(resource, s));
}

/** The interceptor functions of the stack's gateways: their ARNs when known, and a sample ARN of their names. */
function interceptorFunctionArns(resources: PolicyResource[]): string[] {
    const functions = ofType(resources, "aws:lambda/function:Function");
    const arns = new Set<string>();
    for (const g of ofType(resources, GATEWAY)) {
        for (const c of [g.props.interceptorConfigurations ?? []].flat() as Props[]) {
            const arn = one(one(c.interceptor)?.lambda)?.arn;
            if (typeof arn === "string") {
                arns.add(arn);
            }
            // Named by the function's name too, in an ARN of any Region and account (a preview may not know the ARN yet).
            const named = functions.filter((f) => typeof arn === "string" ? f.props.arn === arn || arn.startsWith(`${f.props.arn}:`) : refersTo(g, "interceptorConfigurations", f));
            for (const f of named.filter((x) => typeof x.props.name === "string")) {
                arns.add(`arn:aws:lambda:eu-west-1:123456789012:function:${f.props.name as string}`);
            }
        }
    }
    return [...arns];
}

/** Whether an IAM resource pattern could name a regional web ACL (or anything). */
function couldNameWebAcl(resource: string): boolean {
    return actionMatches(resource, "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/mcp-entry-acl/a1b2c3d4-5678-90ab-cdef-1234567890ab")
        || actionMatches(resource, "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/mcp-gw-a1b2c3d4e5");
}

export const agentcoreEnforcementChangeRestricted = stackRule({
    name: "aws-agentcore-enforcement-change-restricted",
    description: "No identity policy of the stack may grant the actions that switch a gateway's enforcement off: bedrock-agentcore:UpdateGateway (which can set the policy engine to LOG_ONLY, drop the interceptors or the authorizer), UpdatePolicyEngine, CreatePolicy, UpdatePolicy, DeletePolicy, GatewayDisassociateWebACL and GatewayAssociateWebACL (a new web ACL replaces the zone's), CreateGatewayTarget and UpdateGatewayTarget (a target pointed elsewhere receives the calls and the gateway's token); lambda:UpdateFunctionCode or UpdateFunctionConfiguration on an interceptor function (its checks replaced); wafv2:UpdateWebACL, AssociateWebACL or DisassociateWebACL on a regional web ACL (the gateway's protection emptied or swapped). Judged on effective permissions: named actions, wildcards (bedrock-agentcore:*, Update*, *), NotAction, on any resource that can name the object, in inline, customer managed and AWS managed policies. Only the deploy role, outside the stack, changes the gateway.",
    severity: "critical",
    controls: ["C2", "P2"],
    nist: ["AC-6", "AC-5", "CM-5"],
    maestro: ["L6", "L3"],
    threats: ["T4"],
    remediation: "Grant no bedrock-agentcore write action to roles of the stack (the McpAgentcoreGateway component's roles hold only InvokeFunction, GetPolicyEngine, AuthorizeAction, PartiallyAuthorizeActions and the token actions); change the gateway with `pulumi up` under the deploy role.",
}, (resources, _args, report) => {
    const interceptors = interceptorFunctionArns(resources);
    const couldNameInterceptor = (resource: string) => interceptors.some((arn) => actionMatches(resource, arn));
    for (const p of attachedIdentityPolicies(resources)) {
        if (p.kind === "aws-managed") {
            // AWS managed policies are judged by name (their documents are not in the stack): the ones granting every
            // action, and AgentCore's or Bedrock's own; S3FullAccess and the like grant no AgentCore action.
            if (EVERY_ACTION_MANAGED_POLICIES.includes(p.awsName!) || /AgentCore|Bedrock/i.test(p.awsName!)) {
                report(`${p.who}: the AWS managed policy ${p.awsName} is attached; it can grant ${ENFORCEMENT_ACTIONS[0]}.`);
            }
            continue;
        }
        for (const action of ENFORCEMENT_ACTIONS) {
            for (const s of statementsGranting(p.doc, action, couldNameAgentcore)) {
                report(`${p.who}: ${p.what} statement ${s.Sid ?? "?"} grants ${action}.`);
            }
        }
        if (interceptors.length > 0) {
            for (const action of INTERCEPTOR_CHANGE_ACTIONS) {
                for (const s of statementsGranting(p.doc, action, couldNameInterceptor)) {
                    report(`${p.who}: ${p.what} statement ${s.Sid ?? "?"} grants ${action} on an AgentCore interceptor function.`);
                }
            }
            for (const action of WEB_ACL_CHANGE_ACTIONS) {
                for (const s of statementsGranting(p.doc, action, couldNameWebAcl)) {
                    report(`${p.who}: ${p.what} statement ${s.Sid ?? "?"} grants ${action} on a web ACL in front of an AgentCore gateway.`);
                }
            }
        }
    }
});

export const agentcoreRules = [
    agentcoreGatewayPolicyEnforced, agentcorePolicyFailOnFindings, agentcoreGatewayDebugExceptions, agentcoreGatewayCustomJwt,
    agentcoreGatewayWafAssociated, agentcoreGatewayInterceptors, agentcoreTargetPrivate, agentcoreEnforcementChangeRestricted,
    agentcorePolicyScopedPermit,
];
