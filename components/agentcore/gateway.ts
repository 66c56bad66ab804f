import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { policyJson, PolicyStatement } from "../common/iam";
import { hardenedFunction } from "../common/lambda";
import { componentTags } from "../common/tags";
import type { ApprovalSettings } from "../mcp/approval";
import type { ResolvedMcpServerSpec } from "../mcp/spec";
import { agentcoreCedarPolicies, agentcoreCedarSchema, CedarTarget, validateAgentcorePolicies } from "./cedar";
import { INTERCEPTOR_HANDLER, INTERCEPTOR_RUNTIME, interceptorArchive, interceptorTarget } from "./interceptor";

/** One MCP server behind the gateway: a gateway target of its own. */
export interface AgentcoreServer {
    /** The server's description; its name is the target's name, so its tools are `<name>___<tool>` at the gateway. */
    spec: ResolvedMcpServerSpec;
    /** The server's URL at the zone's entry point (`https://<server>.<edge domain><path>`, its OAuth resource identifier); https only. */
    url: string;
    /** The client-credentials app client the gateway calls the server's guard with (its token carries the server's scopes). */
    clientId: pulumi.Input<string>;
    clientSecret: pulumi.Input<string>;
}

export interface McpAgentcoreGatewayArgs {
    /** The servers behind the gateway, one target each (at least one). */
    servers: AgentcoreServer[];
    /** OpenID discovery URL of the zone's user pool (`<issuer>/.well-known/openid-configuration`); the only issuer the gateway accepts. */
    discoveryUrl: pulumi.Input<string>;
    /** App client ids whose tokens the gateway accepts (the people client and the declared agents; at least one). */
    allowedClients: pulumi.Input<string>[];
    /** The zone key: the gateway, the policy engine, the log groups and the interceptors' environment are encrypted with it. */
    kmsKeyArn: pulumi.Input<string>;
    /** The zone's VPC and private subnets: the managed VPC Lattice resource gateway of every target is placed there. */
    vpcId: pulumi.Input<string>;
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security group of the Lattice resource gateway: the one the zone's entry point admits. */
    latticeSecurityGroupId: pulumi.Input<string>;
    /** DNS name of the zone's internal load balancer: the routing domain the targets' host names are sent to. */
    routingDomain: pulumi.Input<string>;
    /** The regional web ACL associated with the gateway (AWS WAF supports AgentCore gateways since June 2026). */
    webAclArn: pulumi.Input<string>;
    /** MCP session lifetime in seconds from initialize, 900-28800. Default 3600 (AWS's default). */
    sessionTimeoutSeconds?: number;
    /** MCP protocol versions the gateway announces. Default 2025-06-18 and 2025-11-25. */
    mcpVersions?: string[];
    /** Reviewer keys the interceptors verify the manifests' signed approvals against. */
    approvals: ApprovalSettings;
    /** What the RESPONSE interceptor does with a credential or PII class in a result (the guard's settings). Default redact, no PII classes. */
    dlp?: { mode: "redact" | "block" | "log"; pii: ("email" | "credit_card" | "us_ssn" | "iban")[] };
    /** Retention of the gateway's and the interceptors' log groups (days). Default 365. */
    logRetentionDays?: number;
    /**
     * What must answer before a target is created: with listing mode DEFAULT AgentCore lists the server's tools through
     * the target when it creates it, so the servers (their ECS services) and the entry point (its listener rules) come
     * first. Components here are waited on with all their children.
     */
    targetsDependOn?: pulumi.Input<pulumi.Resource>[];
    /** Concurrent executions reserved for each interceptor (a cap: a flood cannot take the account's pool). Default 100. */
    interceptorConcurrency?: number;
    tags?: Record<string, string>;
}

/** The MCP versions pinned when none are given (see AGENTCORE_MCP_VERSIONS in components/config/schema.ts). */
export const DEFAULT_AGENTCORE_MCP_VERSIONS = ["2025-06-18", "2025-11-25"];

/** AgentCore names: letters and digits, single hyphens between them (gateway and target names). */
const AGENTCORE_NAME = /^([0-9a-zA-Z][-]?){1,100}$/;

/** The checks a gateway's arguments must pass before anything is created; throws a ConfigError naming the argument. Pure. */
export function checkAgentcoreGatewayArgs(name: string, args: McpAgentcoreGatewayArgs): void {
    if (args.servers.length === 0) {
        throw new ConfigError(`McpAgentcoreGateway "${name}".servers`, "is empty; expected at least one MCP server");
    }
    if (!AGENTCORE_NAME.test(`${name}-gw`)) {
        throw new ConfigError(`McpAgentcoreGateway "${name}"`, "is not a valid AgentCore gateway name; expected letters and digits with single hyphens");
    }
    // Names derived from it: the log delivery source and destination (CloudWatch Logs: at most 60 characters) and
    // the interceptor functions (Lambda: at most 64).
    for (const [derived, max, what] of [[`${name}-gw-logs`, 60, "log delivery source"], [`${name}-response-interceptor`, 64, "interceptor function"]] as const) {
        if (derived.length > max) {
            throw new ConfigError(`McpAgentcoreGateway "${name}"`, `is too long: its ${what} name ${derived} has ${derived.length} characters, AWS allows ${max}; use a shorter name (mcpsec:environment)`);
        }
    }
    args.servers.forEach((s, i) => {
        if (!AGENTCORE_NAME.test(s.spec.name) || s.spec.name.endsWith("-")) {
            throw new ConfigError(`McpAgentcoreGateway "${name}".servers[${i}].spec.name`, `${JSON.stringify(s.spec.name)} is not allowed; an AgentCore target name has letters and digits with single hyphens between them`);
        }
        if (new URL(s.url).protocol !== "https:") {
            throw new ConfigError(`McpAgentcoreGateway "${name}".servers[${i}].url`, `${JSON.stringify(s.url)} is not allowed; the gateway reaches targets over https only`);
        }
    });
    const timeout = args.sessionTimeoutSeconds ?? 3600;
    if (!Number.isInteger(timeout) || timeout < 900 || timeout > 28800) {
        throw new ConfigError(`McpAgentcoreGateway "${name}".sessionTimeoutSeconds`, `${timeout} is not allowed; expected an integer from 900 to 28800 seconds`);
    }
}

/**
 * An Amazon Bedrock AgentCore Gateway (MCP) in front of the zone's guarded servers:
 * - inbound: CUSTOM_JWT against the zone's own user pool (discovery URL, allowed clients), session lifetime and MCP
 *   versions pinned, encrypted with the zone key, exception detail never DEBUG, the zone's regional web ACL associated;
 * - per tool: a policy engine in ENFORCE mode with one Cedar permit per approved tool for tokens holding one of its
 *   scopes (default deny), each created with FAIL_ON_ANY_FINDINGS;
 * - REQUEST and RESPONSE interceptor Lambdas running the guard's core (arguments against the approved schema,
 *   tools/list pinned to the manifest, DLP on results);
 * - outbound: one target per server at the zone's internal entry point through a managed VPC Lattice resource
 *   gateway (private, https), with a client-credentials token of the server (AWS offers no token passthrough for MCP
 *   server targets), so the server's guard still authenticates every call;
 * - the gateway's application logs delivered to an encrypted log group.
 */
export class McpAgentcoreGateway extends pulumi.ComponentResource {
    public readonly gatewayArn: pulumi.Output<string>;
    public readonly gatewayId: pulumi.Output<string>;
    /** The MCP endpoint clients use (`https://<id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp`). */
    public readonly gatewayUrl: pulumi.Output<string>;
    public readonly policyEngineArn: pulumi.Output<string>;
    /** Log groups of the gateway and the interceptors (for the SIEM export). */
    public readonly logGroupNames: pulumi.Output<string>[];
    /** Log groups of the two interceptors: the guard's decision lines (tool_call_denied, tool_changed, guard_error). */
    public readonly interceptorLogGroupNames: pulumi.Output<string>[];

    constructor(name: string, args: McpAgentcoreGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        checkAgentcoreGatewayArgs(name, args);
        super("mcpsec:agentcore:McpAgentcoreGateway", name, {}, opts);
        const parent = { parent: this };
        const tags = componentTags("agentcore", name, args.tags);
        const retention = args.logRetentionDays ?? 365;
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;
        const gatewayName = `${name}-gw`;

        const built = (["request", "response"] as const).map((point) => this.interceptor(name, point, args, tags, retention));
        const interceptors = built.map((b) => b.fn);
        const [request, response] = interceptors;

        const engine = new aws.bedrock.AgentcorePolicyEngine(`${name}-policies`, {
            name: `${name.replace(/[^A-Za-z0-9]/g, "_")}_tools`.replace(/^[^A-Za-z]/, "p").slice(0, 48),
            description: `Cedar policies of the MCP tools behind ${gatewayName}: one permit per approved tool, default deny`,
            encryptionKeyArn: args.kmsKeyArn,
            tags,
        }, parent);
        this.policyEngineArn = engine.policyEngineArn;

        // One client-credentials provider per server: the gateway fetches the server's token from the zone's pool.
        const providers = args.servers.map((s) => new aws.bedrock.AgentcoreOauth2CredentialProvider(`${name}-${s.spec.name}-oauth`, {
            name: `${name}-${s.spec.name}`,
            credentialProviderVendor: "CustomOauth2",
            oauth2ProviderConfig: {
                customOauth2ProviderConfig: {
                    clientId: s.clientId,
                    clientSecret: pulumi.secret(s.clientSecret),
                    oauthDiscovery: { discoveryUrl: args.discoveryUrl },
                },
            },
            tags,
        }, parent));

        const role = new aws.iam.Role(`${name}-gw`, {
            description: `AgentCore gateway ${gatewayName}: its interceptors, its policy engine, its targets' tokens`,
            assumeRolePolicy: policyJson({
                Effect: "Allow", Principal: { Service: "bedrock-agentcore.amazonaws.com" }, Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": account },
                    ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:bedrock-agentcore:${region}:${account}:gateway/${gatewayName}-*` },
                },
            }),
            tags,
        }, parent);
        // The gateway's id is its name and a generated suffix, unknown until it exists while CreateGateway checks these
        // permissions: the gateway ARN is named by its prefix.
        const ownGateway = pulumi.interpolate`arn:${partition}:bedrock-agentcore:${region}:${account}:gateway/${gatewayName}-*`;
        const workloadDirectory = pulumi.interpolate`arn:${partition}:bedrock-agentcore:${region}:${account}:workload-identity-directory/default`;
        const statements: PolicyStatement[] = [
            { Sid: "InvokeOwnInterceptors", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: interceptors.map((f) => f.arn) },
            { Sid: "ReadOwnPolicyEngine", Effect: "Allow", Action: "bedrock-agentcore:GetPolicyEngine", Resource: engine.policyEngineArn },
            { Sid: "EvaluateOwnPolicies", Effect: "Allow", Action: ["bedrock-agentcore:AuthorizeAction", "bedrock-agentcore:PartiallyAuthorizeActions"], Resource: [engine.policyEngineArn, ownGateway] },
            { Sid: "TargetTokens", Effect: "Allow", Action: ["bedrock-agentcore:GetWorkloadAccessToken", "bedrock-agentcore:GetResourceOauth2Token"], Resource: [workloadDirectory, pulumi.interpolate`${workloadDirectory}/workload-identity/${gatewayName}-*`, ...providers.map((p) => p.credentialProviderArn), pulumi.interpolate`arn:${partition}:bedrock-agentcore:${region}:${account}:token-vault/default`] },
            // The token vault's secrets of exactly these providers (AgentCore creates and names them); none known is a
            // statement IAM refuses at deploy, never a guessed pattern.
            { Sid: "TargetClientSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: pulumi.all(providers.map((p) => p.clientSecretArns)).apply((all) => all.flat().map((a) => a.secretArn)) as unknown as pulumi.Input<string>[] },
            // The zone key encrypts the gateway. AWS lists kms:CreateGrant, kms:DescribeKey, kms:Decrypt and
            // kms:GenerateDataKey for the gateway service role (devguide "Encrypt your AgentCore gateway with a
            // customer-managed KMS key"); the zone key policy delegates to IAM, so this policy is what grants them.
            // The grant is limited as AWS's example limits it: through AgentCore in this Region, for Decrypt and
            // GenerateDataKey only, constrained to an encryption context. The data-key operations stay on the key
            // ARN without the example's ViaService/encryption-context conditions: AWS's own MDAA blueprint reports,
            // deploy-tested, that AgentCore calls KMS directly with this role when it encrypts targets, where neither
            // is present, and denies CreateGateway otherwise (README, "Unknowns").
            { Sid: "UseZoneKey", Effect: "Allow", Action: ["kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"], Resource: args.kmsKeyArn },
            {
                Sid: "GrantZoneKeyToGateway", Effect: "Allow", Action: "kms:CreateGrant", Resource: args.kmsKeyArn,
                Condition: {
                    StringEquals: { "kms:ViaService": pulumi.interpolate`bedrock-agentcore.${region}.amazonaws.com`, "kms:GrantConstraintType": "EncryptionContextSubset" },
                    "ForAllValues:StringEquals": { "kms:GrantOperations": ["Decrypt", "GenerateDataKey"] },
                },
            },
        ];
        const rolePolicy = new aws.iam.RolePolicy(`${name}-gw`, { role: role.id, policy: policyJson(...statements) }, parent);

        const gateway = new aws.bedrock.AgentcoreGateway(`${name}-gw`, {
            name: gatewayName,
            description: "MCP gateway of the security zone: Cognito JWT, Cedar tool policies (ENFORCE), guard interceptors",
            roleArn: role.arn,
            protocolType: "MCP",
            protocolConfiguration: {
                mcp: {
                    supportedVersions: args.mcpVersions ?? DEFAULT_AGENTCORE_MCP_VERSIONS,
                    sessionConfiguration: { sessionTimeoutInSeconds: args.sessionTimeoutSeconds ?? 3600 },
                },
            },
            authorizerType: "CUSTOM_JWT",
            authorizerConfiguration: { customJwtAuthorizer: { discoveryUrl: args.discoveryUrl, allowedClients: args.allowedClients } },
            kmsKeyArn: args.kmsKeyArn,
            // exceptionLevel stays unset: DEBUG returns internal error detail to callers.
            interceptorConfigurations: [
                { interceptor: { lambda: { arn: request.arn } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: false } },
                { interceptor: { lambda: { arn: response.arn } }, interceptionPoints: ["RESPONSE"], inputConfiguration: { passRequestHeaders: false } },
            ],
            policyEngineConfiguration: { arn: engine.policyEngineArn, mode: "ENFORCE" },
            tags,
        }, { parent: this, dependsOn: [rolePolicy] });
        this.gatewayArn = gateway.gatewayArn;
        this.gatewayId = gateway.gatewayId;
        this.gatewayUrl = gateway.gatewayUrl;

        // Cedar: a permit per approved tool for principals holding one of its scopes; anything else is denied. The set is
        // validated here against the schema of the tools (what FAIL_ON_ANY_FINDINGS does at CreatePolicy); names do not
        // depend on the gateway's ARN, so one resource per statement is declared now and its text computed once the ARN is known.
        const cedarTargets: CedarTarget[] = args.servers.map((s) => ({ target: s.spec.name, resource: s.url, tools: s.spec.tools.map((t) => ({ name: t.name, scopes: t.scopes, inputSchema: t.inputSchema })) }));
        const options = { namePrefix: name };
        const declared = agentcoreCedarPolicies(cedarTargets, `arn:aws:bedrock-agentcore:us-east-1:000000000000:gateway/${gatewayName}-0000000000`, options);
        validateAgentcorePolicies(declared, agentcoreCedarSchema(cedarTargets));
        const cedarStatements = gateway.gatewayArn.apply((arn) => agentcoreCedarPolicies(cedarTargets, arn, options).map((p) => p.statement));
        const targets = args.servers.map((s, i) => {
            return new aws.bedrock.AgentcoreGatewayTarget(`${name}-${s.spec.name}`, {
                gatewayIdentifier: gateway.gatewayId,
                name: s.spec.name,
                description: `MCP server ${s.spec.name} at the zone's entry point, through its guard`,
                targetConfiguration: { mcp: { mcpServer: { endpoint: s.url, listingMode: "DEFAULT" } } },
                privateEndpoint: {
                    managedVpcResource: {
                        vpcIdentifier: args.vpcId,
                        subnetIds: args.subnetIds,
                        securityGroupIds: [args.latticeSecurityGroupId],
                        endpointIpAddressType: "IPV4",
                        routingDomain: args.routingDomain,
                        tags,
                    },
                },
                credentialProviderConfiguration: { oauth: { providerArn: providers[i].credentialProviderArn, scopes: [...new Set(s.spec.tools.flatMap((t) => t.scopes))].map((scope) => `${s.url}/${scope}`), grantType: "CLIENT_CREDENTIALS" } },
            }, { parent: this, dependsOn: args.targetsDependOn ?? [] });
        });

        // AWS checks every policy against a schema built from the gateway's tools ("Schema checks always run
        // regardless of the validation mode", devguide "Policy create and update"), and those exist once the targets
        // have synced their tools: each policy waits for every target.
        declared.forEach((p, i) => {
            new aws.bedrock.AgentcorePolicy(`${name}-${p.name}`, {
                name: p.name,
                description: p.description,
                policyEngineId: engine.policyEngineId,
                definition: { cedar: { statement: cedarStatements.apply((all) => all[i]) } },
                validationMode: "FAIL_ON_ANY_FINDINGS",
            }, { parent: this, dependsOn: targets });
        });

        new aws.wafv2.WebAclAssociation(`${name}-waf`, { resourceArn: gateway.gatewayArn, webAclArn: args.webAclArn }, parent);

        // Application logs (requests, decisions, errors) delivered by CloudWatch Logs to a group encrypted with the zone key.
        const gatewayLogs = new aws.cloudwatch.LogGroup(`${name}-gw-logs`, {
            name: `/aws/vendedlogs/bedrock-agentcore/gateway/APPLICATION_LOGS/${gatewayName}`,
            retentionInDays: retention,
            kmsKeyId: args.kmsKeyArn,
            tags,
        }, parent);
        const source = new aws.cloudwatch.LogDeliverySource(`${name}-gw-logs`, { name: `${gatewayName}-logs`, logType: "APPLICATION_LOGS", resourceArn: gateway.gatewayArn, tags }, parent);
        const destination = new aws.cloudwatch.LogDeliveryDestination(`${name}-gw-logs`, {
            name: `${gatewayName}-logs`, deliveryDestinationType: "CWL", deliveryDestinationConfiguration: { destinationResourceArn: gatewayLogs.arn }, tags,
        }, parent);
        new aws.cloudwatch.LogDelivery(`${name}-gw-logs`, { deliverySourceName: source.name, deliveryDestinationArn: destination.arn, tags }, parent);

        this.interceptorLogGroupNames = built.map((b) => b.logGroupName);
        this.logGroupNames = [gatewayLogs.name, ...this.interceptorLogGroupNames];
        this.registerOutputs({ gatewayArn: this.gatewayArn, gatewayUrl: this.gatewayUrl, policyEngineArn: this.policyEngineArn });
    }

    /**
     * One interceptor Lambda: its own role (its log group, X-Ray, nothing else), an encrypted log group with retention,
     * active tracing, reserved concurrency, no VPC (it calls nothing: the manifests are in its code). The gateway
     * invokes it synchronously, so a dead-letter queue would never receive anything (Lambda sends only asynchronous
     * invocations there): none is created. What the gateway does when the function errors, times out or is throttled
     * is not documented (README, "Unknowns"); the function itself never throws.
     */
    private interceptor(name: string, point: "request" | "response", args: McpAgentcoreGatewayArgs, tags: Record<string, string>, retention: number): { fn: aws.lambda.Function; logGroupName: pulumi.Output<string> } {
        const { fn, logGroup } = hardenedFunction(this, `${name}-${point}-interceptor`, {
            roleDescription: `AgentCore ${point} interceptor of ${name}: the guard's checks on MCP ${point}s`,
            logRetentionDays: retention,
            logKmsKeyArn: args.kmsKeyArn,
            extraStatements: [{ Sid: "UseZoneKey", Effect: "Allow", Action: "kms:Decrypt", Resource: args.kmsKeyArn }],
            function: {
                description: `AgentCore gateway ${point} interceptor: the MCP guard's core`,
                runtime: INTERCEPTOR_RUNTIME,
                handler: INTERCEPTOR_HANDLER,
                timeout: 10,
                memorySize: 256,
                code: interceptorArchive(point, { targets: args.servers.map((s) => interceptorTarget(s.spec.name, s.spec, s.url)), approvals: args.approvals, ...(args.dlp ? { dlp: args.dlp } : {}) }),
                kmsKeyArn: args.kmsKeyArn,
                reservedConcurrentExecutions: args.interceptorConcurrency ?? 100,
            },
        }, tags);
        return { fn, logGroupName: logGroup.name };
    }
}
