import { Props } from "../../policies/lib/rule";
import { FixtureResource } from "./harness";
import type { RuleCases } from "./aws.cases";

// AgentCore fixtures: one gateway as McpAgentcoreGateway builds it (CUSTOM_JWT on the stack's pool, ENFORCE, both
// interceptors of the stack, the web ACL associated), one private https MCP server target.
const GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway";
const TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget";
const POLICY = "aws:bedrock/agentcorePolicy:AgentcorePolicy";
const GW_ARN = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/mcp-dev-gw-a1b2c3d4e5";
const POOL_ID = "eu-west-1_Zone1234";
const DISCOVERY = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL_ID}/.well-known/openid-configuration`;
const fnArn = (point: string) => `arn:aws:lambda:eu-west-1:123456789012:function:mcp-dev-${point}-interceptor`;

const pool = (): FixtureResource => ({ type: "aws:cognito/userPool:UserPool", name: "pool", props: { id: POOL_ID, arn: `arn:aws:cognito-idp:eu-west-1:123456789012:userpool/${POOL_ID}` } });
const fn = (point: string): FixtureResource => ({ type: "aws:lambda/function:Function", name: `${point}-interceptor`, props: { arn: fnArn(point) } });
const interceptor = (point: string, arn = fnArn(point)): Props => ({ interceptor: { lambda: { arn } }, interceptionPoints: [point], inputConfiguration: { passRequestHeaders: false } });
const gatewayProps = (props: Props = {}): Props => ({
    name: "mcp-dev-gw", gatewayArn: GW_ARN, protocolType: "MCP", authorizerType: "CUSTOM_JWT",
    authorizerConfiguration: { customJwtAuthorizer: { discoveryUrl: DISCOVERY, allowedClients: ["people-client-id"] } },
    policyEngineConfiguration: { arn: "arn:aws:bedrock-agentcore:eu-west-1:123456789012:policy-engine/mcp_dev_tools-a1b2c3d4e5", mode: "ENFORCE" },
    interceptorConfigurations: [interceptor("REQUEST"), interceptor("RESPONSE")],
    ...props,
});
const gateway = (props: Props = {}): FixtureResource => ({ type: GATEWAY, name: "gw", props: gatewayProps(props) });
const association = (props: Props = {}): FixtureResource => ({ type: "aws:wafv2/webAclAssociation:WebAclAssociation", name: "gw-waf", props: { resourceArn: GW_ARN, webAclArn: "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/mcp/1", ...props } });
const stack = (...extra: FixtureResource[]): FixtureResource[] => [pool(), fn("REQUEST"), fn("RESPONSE"), association(), ...extra];
const target = (props: Props = {}): Props => ({
    name: "docs-search", gatewayIdentifier: "mcp-dev-gw-a1b2c3d4e5",
    targetConfiguration: { mcp: { mcpServer: { endpoint: "https://docs-search.zone.dev.mcp.example.com/mcp", listingMode: "DEFAULT" } } },
    privateEndpoint: { managedVpcResource: { vpcIdentifier: "vpc-0zone", subnetIds: ["subnet-0a"], endpointIpAddressType: "IPV4", securityGroupIds: ["sg-lattice"] } },
    ...props,
});
const doc = (...statements: Props[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const role = (inline: Props[] = [], props: Props = {}): FixtureResource => ({ type: "aws:iam/role:Role", name: "ops", props: { name: "ops", arn: "arn:aws:iam::123456789012:role/ops", inlinePolicies: inline, ...props } });
const gatewayRolePolicy = (): FixtureResource => ({
    type: "aws:iam/rolePolicy:RolePolicy", name: "gw", props: { role: "ops", policy: doc(
        { Sid: "InvokeOwnInterceptors", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [fnArn("REQUEST"), fnArn("RESPONSE")] },
        { Sid: "EvaluateOwnPolicies", Effect: "Allow", Action: ["bedrock-agentcore:AuthorizeAction", "bedrock-agentcore:PartiallyAuthorizeActions", "bedrock-agentcore:GetPolicyEngine"], Resource: "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/mcp-dev-gw-*" },
    ) },
});

const SCOPE = "https://docs-search.zone.dev.mcp.example.com/mcp/docs:read";
/** A Cedar statement of the generated shape (components/agentcore/cedar.ts), with `when` and `action` replaceable. */
const cedar = (opts: { action?: string; when?: string; effect?: string } = {}) => [
    `${opts.effect ?? "permit"} (`,
    "  principal is AgentCore::OAuthUser,",
    `  ${opts.action ?? "action == AgentCore::Action::\"docs-search___search_docs\""},`,
    `  resource == AgentCore::Gateway::"${GW_ARN}"`,
    ")",
    ...(opts.when === "" ? [] : [`when { ${opts.when ?? `principal.hasTag("scope") && (principal.getTag("scope") == "${SCOPE}" || principal.getTag("scope") like "${SCOPE} *" || principal.getTag("scope") like "* ${SCOPE}" || principal.getTag("scope") like "* ${SCOPE} *")`} }`]),
    ";",
].join("\n");
const cedarPolicy = (statement: string): Props => ({ name: "docs_search", policyEngineId: "mcp_dev_tools-a1b2c3d4e5", validationMode: "FAIL_ON_ANY_FINDINGS", definition: { cedar: { statement } } });
const grant = (sid: string, action: string | string[], resource: string | string[]) => role([{ name: sid, policy: doc({ Sid: sid, Effect: "Allow", Action: action, Resource: resource }) }]);

/** Pass and fail fixtures of the AgentCore rules (policies/aws/agentcore.ts). */
export const agentcoreCases: Record<string, RuleCases> = {
    "aws-agentcore-gateway-policy-enforced": {
        pass: [{ label: "policy engine in ENFORCE mode", type: GATEWAY, props: gatewayProps() }],
        fail: [
            { label: "LOG_ONLY", type: GATEWAY, props: gatewayProps({ policyEngineConfiguration: { arn: "arn:aws:bedrock-agentcore:eu-west-1:123456789012:policy-engine/x", mode: "LOG_ONLY" } }), expect: /mode LOG_ONLY; its decisions are only logged/ },
            { label: "no policy engine", type: GATEWAY, props: gatewayProps({ policyEngineConfiguration: undefined }), expect: /has no policy engine/ },
        ],
    },
    "aws-agentcore-policy-fail-on-findings": {
        pass: [
            { label: "FAIL_ON_ANY_FINDINGS", type: POLICY, props: { name: "docs_get_page", validationMode: "FAIL_ON_ANY_FINDINGS" } },
            { label: "unset (the provider's default FAIL_ON_ANY_FINDINGS)", type: POLICY, props: { name: "docs_get_page" } },
        ],
        fail: [{ label: "IGNORE_ALL_FINDINGS", type: POLICY, props: { name: "docs_get_page", validationMode: "IGNORE_ALL_FINDINGS" }, expect: /validationMode IGNORE_ALL_FINDINGS/ }],
    },
    "aws-agentcore-gateway-no-debug-exceptions": {
        pass: [{ label: "exceptionLevel unset", type: GATEWAY, props: gatewayProps() }],
        fail: [{ label: "DEBUG", type: GATEWAY, props: gatewayProps({ exceptionLevel: "DEBUG" }), expect: /DEBUG exception detail/ }],
    },
    "aws-agentcore-gateway-custom-jwt": {
        pass: [{ label: "CUSTOM_JWT on the stack's pool with clients", resources: stack(gateway()) }],
        fail: [
            { label: "no authorizer", resources: stack(gateway({ authorizerType: "NONE", authorizerConfiguration: undefined })), expect: /authorizerType NONE: expected CUSTOM_JWT/ },
            { label: "AUTHENTICATE_ONLY", resources: stack(gateway({ authorizerType: "AUTHENTICATE_ONLY" })), expect: /authorizerType AUTHENTICATE_ONLY/ },
            { label: "another issuer", resources: stack(gateway({ authorizerConfiguration: { customJwtAuthorizer: { discoveryUrl: "https://accounts.google.com/.well-known/openid-configuration", allowedClients: ["c"] } } })), expect: /accepts tokens of "https:\/\/accounts.google.com/ },
            { label: "another account's pool", resources: stack(gateway({ authorizerConfiguration: { customJwtAuthorizer: { discoveryUrl: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other999/.well-known/openid-configuration", allowedClients: ["c"] } } })), expect: /expected the discovery URL of a user pool of this stack/ },
            { label: "no allowed clients", resources: stack(gateway({ authorizerConfiguration: { customJwtAuthorizer: { discoveryUrl: DISCOVERY } } })), expect: /names no allowed clients/ },
        ],
    },
    "aws-agentcore-gateway-waf-associated": {
        pass: [
            { label: "associated by ARN", resources: stack(gateway()) },
            { label: "associated by dependency (ARN unknown in preview)", resources: [pool(), { ...association({ resourceArn: undefined }), refs: { resourceArn: ["gw"] } }, gateway({ gatewayArn: undefined })] },
        ],
        fail: [{ label: "no association", resources: [pool(), gateway(), association({ resourceArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1" })], expect: /gateway mcp-dev-gw has no web ACL associated/ }],
    },
    "aws-agentcore-gateway-interceptors-attached": {
        pass: [{ label: "REQUEST and RESPONSE Lambdas of the stack", resources: stack(gateway()) }],
        fail: [
            { label: "no RESPONSE interceptor", resources: stack(gateway({ interceptorConfigurations: [interceptor("REQUEST")] })), expect: /has no RESPONSE interceptor/ },
            { label: "no interceptors", resources: stack(gateway({ interceptorConfigurations: undefined })), expect: /has no REQUEST interceptor/ },
            { label: "a Lambda of another account", resources: stack(gateway({ interceptorConfigurations: [interceptor("REQUEST"), interceptor("RESPONSE", "arn:aws:lambda:eu-west-1:999999999999:function:other")] })), expect: /RESPONSE interceptor "arn:aws:lambda:eu-west-1:999999999999:function:other" is not a Lambda function of this stack/ },
            { label: "the request headers (callers' tokens) passed to the function", resources: stack(gateway({ interceptorConfigurations: [{ ...interceptor("REQUEST"), inputConfiguration: { passRequestHeaders: true } }, interceptor("RESPONSE")] })), expect: /REQUEST interceptor receives the request headers \(passRequestHeaders true\)/ },
        ],
    },
    "aws-agentcore-target-private-https": {
        pass: [
            { label: "https through a managed Lattice resource", type: TARGET, props: target() },
            { label: "a Lambda target (no endpoint)", type: TARGET, props: target({ targetConfiguration: { mcp: { lambda: { lambdaArn: fnArn("tool") } } }, privateEndpoint: undefined }) },
        ],
        fail: [
            { label: "public endpoint", type: TARGET, props: target({ privateEndpoint: undefined }), expect: /has no private endpoint/ },
            { label: "plain http", type: TARGET, props: target({ targetConfiguration: { mcp: { mcpServer: { endpoint: "http://docs-search.zone.dev.mcp.example.com/mcp" } } } }), expect: /expected an https URL/ },
        ],
    },
    "aws-agentcore-enforcement-change-restricted": {
        pass: [
            { label: "the gateway role (invoke, evaluate)", resources: [role(), gatewayRolePolicy()] },
            { label: "UpdateGateway on a non-AgentCore resource only", resources: [role([{ name: "odd", policy: doc({ Sid: "S3", Effect: "Allow", Action: "bedrock-agentcore:UpdateGateway", Resource: "arn:aws:s3:::bucket" }) }])] },
            { label: "AmazonS3FullAccess attached (no AgentCore action)", resources: [role([], { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"] })] },
            { label: "a Deny of UpdateGateway", resources: [role([{ name: "deny", policy: doc({ Sid: "No", Effect: "Deny", Action: "bedrock-agentcore:*", Resource: "*" }) }])] },
            { label: "UpdateFunctionCode on a function that is no interceptor", resources: [...stack(gateway()), grant("Deploy", "lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:123456789012:function:mcp-dev-rotation")] },
        ],
        fail: [
            { label: "UpdateGateway by name", resources: [role([{ name: "ops", policy: doc({ Sid: "Update", Effect: "Allow", Action: "bedrock-agentcore:UpdateGateway", Resource: GW_ARN }) }])], expect: /role ops: inline policy ops statement Update grants bedrock-agentcore:UpdateGateway/ },
            { label: "bedrock-agentcore:Update*", resources: [role(), { type: "aws:iam/rolePolicy:RolePolicy", name: "upd", props: { role: "ops", policy: doc({ Sid: "Upd", Effect: "Allow", Action: "bedrock-agentcore:update*", Resource: "arn:aws:bedrock-agentcore:*:*:gateway/*" }) } }], expect: /statement Upd grants bedrock-agentcore:UpdateGateway/ },
            { label: "everything", resources: [role([{ name: "all", policy: doc({ Sid: "All", Effect: "Allow", Action: "*", Resource: "*" }) }])], expect: /statement All grants bedrock-agentcore:UpdateGateway/ },
            { label: "NotAction that leaves AgentCore in", resources: [role([{ name: "not", policy: doc({ Sid: "NotIam", Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }])], expect: /statement NotIam grants bedrock-agentcore:UpdateGateway/ },
            { label: "a customer managed policy attached", resources: [role(), { type: "aws:iam/policy:Policy", name: "pol", props: { arn: "arn:aws:iam::123456789012:policy/pol", policy: doc({ Sid: "Pe", Effect: "Allow", Action: "bedrock-agentcore:UpdatePolicyEngine", Resource: "*" }) } }, { type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "att", props: { role: "ops", policyArn: "arn:aws:iam::123456789012:policy/pol" } }], expect: /statement Pe grants bedrock-agentcore:UpdatePolicyEngine/ },
            { label: "PowerUserAccess attached", resources: [role([], { managedPolicyArns: ["arn:aws:iam::aws:policy/PowerUserAccess"] })], expect: /AWS managed policy PowerUserAccess is attached/ },
            { label: "the AWS managed BedrockAgentCoreFullAccess", resources: [role([], { managedPolicyArns: ["arn:aws:iam::aws:policy/BedrockAgentCoreFullAccess"] })], expect: /AWS managed policy BedrockAgentCoreFullAccess is attached/ },
            { label: "GatewayAssociateWebACL (a new web ACL replaces the zone's)", resources: [grant("Waf", ["bedrock-agentcore:GatewayAssociateWebACL", "wafv2:AssociateWebACL"], GW_ARN)], expect: /statement Waf grants bedrock-agentcore:GatewayAssociateWebACL/ },
            { label: "UpdateGatewayTarget (a target pointed elsewhere)", resources: [grant("Tgt", "bedrock-agentcore:UpdateGatewayTarget", "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/*")], expect: /statement Tgt grants bedrock-agentcore:UpdateGatewayTarget/ },
            { label: "UpdateFunctionCode on an interceptor by ARN", resources: [...stack(gateway()), grant("Code", "lambda:UpdateFunctionCode", fnArn("REQUEST"))], expect: /statement Code grants lambda:UpdateFunctionCode on an AgentCore interceptor function/ },
            { label: "UpdateFunctionConfiguration on every *-interceptor function", resources: [...stack(gateway()), grant("Cfg", "lambda:UpdateFunction*", "arn:aws:lambda:*:*:function:*-interceptor")], expect: /statement Cfg grants lambda:UpdateFunctionConfiguration on an AgentCore interceptor function/ },
            { label: "wafv2:UpdateWebACL on every web ACL (the gateway's emptied in place)", resources: [...stack(gateway()), grant("Acl", "wafv2:UpdateWebACL", "*")], expect: /statement Acl grants wafv2:UpdateWebACL on a web ACL in front of an AgentCore gateway/ },
        ],
    },
    "aws-agentcore-policy-scoped-permit": {
        pass: [
            { label: "the generated permit (one tool, this gateway, the tool's scope as a whole token)", type: POLICY, props: cedarPolicy(cedar()) },
            { label: "a forbid (only narrows)", type: POLICY, props: cedarPolicy(cedar({ effect: "forbid", action: "action", when: "" })) },
            { label: "statement unknown in preview", type: POLICY, props: { name: "docs_search", definition: { cedar: {} } } },
        ],
        fail: [
            { label: "permit everything", type: POLICY, props: cedarPolicy("permit(principal, action, resource);"), expect: /permits every action.*permits on any gateway.*permits a token without a scope claim/s },
            { label: "a scope condition any token with a scope claim meets", type: POLICY, props: cedarPolicy(cedar({ when: "principal.hasTag(\"scope\")" })), expect: /permits a token whose scope claim is ""/ },
            { label: "no condition on the tool's action", type: POLICY, props: cedarPolicy(cedar({ when: "" })), expect: /permits a token without a scope claim/ },
            { label: "a set of actions", type: POLICY, props: cedarPolicy(cedar({ action: "action in [AgentCore::Action::\"docs-search___search_docs\", AgentCore::Action::\"docs-search___get_page\"]" })), expect: /permits a set of actions/ },
            { label: "text that is not Cedar", type: POLICY, props: cedarPolicy("allow everyone;"), expect: /does not parse as one Cedar policy/ },
        ],
    },
};
