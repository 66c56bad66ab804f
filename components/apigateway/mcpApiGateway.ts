import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { ConfigError } from "../common/errors";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";
import { metadataUrl } from "../identity/protectedResource";
import { MCP_HTTP_METHODS } from "../edge/webAcl";
import { mcpRequestModel } from "./requestModel";

/** Custom domain security policies allowed: TLS 1.2+ only (legacy TLS_1_2, or the enhanced TLS 1.3-only policy). */
export const API_SECURITY_POLICIES = ["TLS_1_2", "SecurityPolicy_TLS13_1_3_2025_09"] as const;

/** The stage of every MCP server API unless `stageName` says otherwise. */
export const DEFAULT_STAGE_NAME = "mcp";

/** The longest an API Gateway integration may stream a response: 900 000 ms with `responseTransferMode: STREAM`. */
export const STREAM_TIMEOUT_MS = 900_000;

/**
 * Gateway responses an MCP client meets before the guard and which carry the RFC 9728 pointer: UNAUTHORIZED (no,
 * invalid or expired Cognito token, or one without the server's scopes), ACCESS_DENIED, EXPIRED_TOKEN (SigV4 expiry,
 * kept for completeness).
 */
export const CHALLENGE_RESPONSES = ["UNAUTHORIZED", "ACCESS_DENIED", "EXPIRED_TOKEN"] as const;

/**
 * Gateway responses that are not about the token, each a JSON-RPC error without a challenge (a challenge would send
 * the client into OAuth for nothing): MISSING_AUTHENTICATION_TOKEN is what a REST API answers for a path or HTTP
 * method it does not have (404, like the guard's unknown_path); INVALID_API_KEY a missing or unknown `x-api-key`
 * when `clients` are configured (403, saying which header).
 */
export const PLAIN_RESPONSES = {
    MISSING_AUTHENTICATION_TOKEN: { statusCode: "404", code: -32600, message: "Not found: this API serves POST, GET and DELETE on its MCP path only" },
    INVALID_API_KEY: { statusCode: "403", code: -32001, message: "Forbidden: this API requires the x-api-key header with your client's API key (ask the API's operator), besides the bearer token" },
} as const;

/**
 * What the access log records of every request, as JSON: request ids, caller (source IP, token subject and client,
 * API key id, VPC endpoint), method, path, status, latencies, the authorizer's verdict and the web ACL's (status,
 * response code, ACL), TLS version and the error type API Gateway answered with. No body, no header values.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
    requestId: "$context.requestId",
    extendedRequestId: "$context.extendedRequestId",
    requestTime: "$context.requestTimeEpoch",
    sourceIp: "$context.identity.sourceIp",
    userAgent: "$context.identity.userAgent",
    vpceId: "$context.identity.vpceId",
    apiKeyId: "$context.identity.apiKeyId",
    subject: "$context.authorizer.claims.sub",
    clientId: "$context.authorizer.claims.client_id",
    scope: "$context.authorizer.claims.scope",
    httpMethod: "$context.httpMethod",
    domainName: "$context.domainName",
    path: "$context.path",
    resourcePath: "$context.resourcePath",
    status: "$context.status",
    responseLatency: "$context.responseLatency",
    integrationStatus: "$context.integration.status",
    integrationLatency: "$context.integration.latency",
    authorizeStatus: "$context.authorize.status",
    authorizerError: "$context.authorizer.error",
    wafStatus: "$context.waf.status",
    wafResponseCode: "$context.wafResponseCode",
    wafError: "$context.waf.error",
    webaclArn: "$context.webaclArn",
    errorType: "$context.error.responseType",
    errorMessage: "$context.error.message",
    tlsVersion: "$context.tlsVersion",
    xrayTraceId: "$context.xrayTraceId",
});

/** One MCP server behind the API: its own REST API, mapped at `/<name>` of the custom domain. */
export interface ApiGatewayServer {
    /** The server's name: the base path of its API on the custom domain. */
    name: string;
    /** The server's URL `https://<domainName>/<name><path>`: its OAuth resource identifier. */
    url: string;
    /**
     * Where the VPC link integration sends requests: `https://<host><path>`, the host naming the zone's load balancer
     * route to this server's guard (it becomes the Host header; the path is the URL's path, the guard's MCP path).
     */
    backendUrl: string;
    /** The scopes a token must carry at least one of (full scope strings `<url>/<scope>`). */
    scopes: string[];
    /** The server's RFC 9728 metadata document (JSON), served at `metadataUrl(url)` without a backend. */
    metadataDocument: pulumi.Input<string>;
}

/** Per-client throttling: a usage plan and an API key per client (identification for throttling only, never authentication). */
export interface ApiGatewayClient {
    name: string;
    rateLimit: number;
    burstLimit: number;
    /** Requests per day, unlimited if absent. */
    quotaPerDay?: number;
}

export interface McpApiGatewayArgs {
    /** `REGIONAL` (public, custom domain only: the execute-api endpoint is disabled) or `PRIVATE` (only through `vpcEndpointIds`). */
    endpointType: "REGIONAL" | "PRIVATE";
    /** The API's custom domain; each server is `https://<domainName>/<server><path>`. */
    domainName: string;
    /** ACM certificate of `domainName`, in the stack's region. */
    certificateArn: string;
    /** TLS policy of the custom domain. Default TLS_1_2 (TLS 1.2 and 1.3; needed with mutual TLS). */
    securityPolicy?: (typeof API_SECURITY_POLICIES)[number];
    /** Mutual TLS for agent clients (REGIONAL only): the truststore of client CA certificates in S3. */
    mutualTls?: { truststoreUri: string; truststoreVersion?: string };
    /** The execute-api interface endpoints (`vpce-...`) a PRIVATE API admits; required and used only with PRIVATE. */
    vpcEndpointIds?: string[];
    /** The Cognito user pool whose access tokens the authorizer accepts. */
    userPoolArn: pulumi.Input<string>;
    servers: ApiGatewayServer[];
    /** Subnets of the VPC link's network interfaces (the zone's private subnets). */
    vpcLinkSubnetIds: pulumi.Input<string>[];
    /** The security group of the VPC link, the only source the zone's load balancer admits. */
    vpcLinkSecurityGroupId: pulumi.Input<string>;
    /** The zone's internal Application Load Balancer: the VPC link v2 integration target. */
    loadBalancerArn: pulumi.Input<string>;
    /** The regional web ACL associated with every stage. Required: no MCP entry without WAF. */
    webAclArn: pulumi.Input<string>;
    /** JSON-RPC methods the request model admits. Default the MCP client methods. */
    allowedMethods?: string[];
    /** Stage name. Default `mcp`. */
    stageName?: string;
    /** Stage throttling (all clients of one server together). */
    throttle: { rateLimit: number; burstLimit: number };
    /**
     * Per-client usage plans; with any, every MCP method requires an API key of one of them from every caller (the
     * key is not bound to the token's client: any caller holding a key gets that key's plan), and a request without
     * one gets 403 INVALID_API_KEY. For agents the operator hands keys to; MCP clients that cannot set headers
     * (hosted connectors) cannot call the API then. Default none.
     */
    clients?: ApiGatewayClient[];
    /** Execution logging level (never with request or response bodies). Default ERROR. */
    executionLogLevel?: "ERROR" | "INFO";
    /** Set the account's API Gateway CloudWatch role here ("create") or leave it to the organization ("existing"). Default create. */
    accountCloudWatchRole?: "create" | "existing";
    /** KMS key of the access and execution log groups. */
    logKmsKeyArn: pulumi.Input<string>;
    /** Days the logs are kept. Default 365. */
    logRetentionDays?: number;
    tags?: Record<string, string>;
}

/** What the arguments need beyond their types; throws a ConfigError naming the argument. Pure. */
export function checkMcpApiGatewayArgs(name: string, args: Pick<McpApiGatewayArgs, "endpointType" | "securityPolicy" | "mutualTls" | "vpcEndpointIds" | "servers" | "throttle">): void {
    const key = (k: string) => `McpApiGateway "${name}".${k}`;
    const policy = args.securityPolicy ?? "TLS_1_2";
    if (!API_SECURITY_POLICIES.includes(policy)) {
        throw new ConfigError(key("securityPolicy"), `${JSON.stringify(policy)} is not allowed; expected ${API_SECURITY_POLICIES.join(" or ")} (TLS 1.2 or later)`);
    }
    if (args.endpointType === "PRIVATE" && (args.vpcEndpointIds ?? []).length === 0) {
        throw new ConfigError(key("vpcEndpointIds"), "is required for a PRIVATE API; expected the execute-api interface endpoints (vpce-...) its clients call through");
    }
    if (args.mutualTls && (args.endpointType !== "REGIONAL" || policy !== "TLS_1_2")) {
        throw new ConfigError(key("mutualTls"), "is not allowed here; API Gateway offers mutual TLS on REGIONAL custom domains with the TLS_1_2 security policy only");
    }
    if (args.servers.length === 0) {
        throw new ConfigError(key("servers"), "[] is not allowed; expected at least one server");
    }
    if (args.throttle.burstLimit < 1 || args.throttle.rateLimit <= 0) {
        throw new ConfigError(key("throttle"), `${JSON.stringify(args.throttle)} is not allowed; expected a positive rateLimit and burstLimit`);
    }
}

/** The resource path parts of a URL path (`/docs/mcp` -> ["docs", "mcp"]). */
function pathParts(path: string): string[] {
    return path.split("/").filter((p) => p !== "");
}

const sha = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/**
 * Amazon API Gateway in front of the MCP servers of a zone (pattern 2, control S2/S5/C5/H5): one REST API per
 * server, mapped at `/<server>` of one custom domain (TLS 1.2+, optional mutual TLS), each method behind a Cognito
 * authorizer with the server's scopes, `POST` validated against a JSON-RPC model, `HTTP_PROXY` integrations over a
 * VPC link v2 to the zone's internal load balancer with response streaming (900 s), 401/403 responses carrying the
 * RFC 9728 pointer, stage throttling and per-client usage plans, JSON access logs and execution logs without bodies
 * to encrypted log groups, X-Ray, and the web ACL on every stage. The RFC 9728 metadata is a mock integration of a
 * separate API mapped at `/.well-known`.
 */
export class McpApiGateway extends pulumi.ComponentResource {
    /** Server name -> REST API id. */
    public readonly restApiIds: Record<string, pulumi.Output<string>>;
    /** The custom domain's target for DNS (regional domain name, or the private domain's id). */
    public readonly domainTarget: pulumi.Output<string>;
    public readonly accessLogGroupName: pulumi.Output<string>;
    /** Every log group of the API (access, and execution per stage): what a SIEM export should take. */
    public readonly logGroupNames: pulumi.Output<string>[];
    public readonly vpcLinkId: pulumi.Output<string>;

    constructor(name: string, args: McpApiGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        checkMcpApiGatewayArgs(name, args);
        super("mcpsec:apigateway:McpApiGateway", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("apigateway", `${name}-${suffix}`, args.tags);
        const stageName = args.stageName ?? DEFAULT_STAGE_NAME;
        const retention = args.logRetentionDays ?? 365;
        const isPrivate = args.endpointType === "PRIVATE";
        const securityPolicy = args.securityPolicy ?? "TLS_1_2";
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;

        // The account's CloudWatch role (region-wide: every API of the account in this region logs through it).
        const accountSettings = (args.accountCloudWatchRole ?? "create") === "create" ? this.accountRole(name, partition, region, account, tags) : undefined;

        const vpcLink = new aws.apigatewayv2.VpcLink(`${name}-vpc-link`, {
            securityGroupIds: [args.vpcLinkSecurityGroupId],
            subnetIds: args.vpcLinkSubnetIds,
            tags: tags("vpc-link"),
        }, parent);
        this.vpcLinkId = vpcLink.id;

        const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access`, {
            name: `/aws/apigateway/${name}/access`,
            retentionInDays: retention,
            kmsKeyId: args.logKmsKeyArn,
            tags: tags("access-logs"),
        }, parent);
        this.accessLogGroupName = accessLogs.name;
        this.logGroupNames = [accessLogs.name];

        // A private API answers only requests through the named execute-api endpoints (resource policy); its custom
        // domain only through the same endpoints (domain policy and access associations).
        const privatePolicy = (resource: pulumi.Input<string>) => policyJson(
            { Sid: "InvokeThroughTheNamedEndpoints", Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: resource },
            { Sid: "DenyOtherEndpoints", Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: resource, Condition: { StringNotEquals: { "aws:SourceVpce": args.vpcEndpointIds! } } },
        );
        const domain = new aws.apigateway.DomainName(`${name}-domain`, {
            domainName: args.domainName,
            endpointConfiguration: { types: isPrivate ? "PRIVATE" : "REGIONAL" },
            ...(isPrivate ? { certificateArn: args.certificateArn, policy: privatePolicy("execute-api:/*") } : { regionalCertificateArn: args.certificateArn }),
            securityPolicy,
            ...(securityPolicy.startsWith("SecurityPolicy_") ? { endpointAccessMode: "STRICT" } : {}),
            ...(args.mutualTls ? { mutualTlsAuthentication: { truststoreUri: args.mutualTls.truststoreUri, truststoreVersion: args.mutualTls.truststoreVersion } } : {}),
            tags: tags("domain"),
        }, parent);
        this.domainTarget = isPrivate ? domain.domainNameId : domain.regionalDomainName;
        if (isPrivate) {
            args.vpcEndpointIds!.forEach((vpce, i) => new aws.apigateway.DomainNameAccessAssociation(`${name}-domain-access-${i}`, {
                accessAssociationSource: vpce, accessAssociationSourceType: "VPCE", domainNameArn: domain.arn, tags: tags(`domain-access-${i}`),
            }, parent));
        }
        const restApiArgs = (title: string, description: string): aws.apigateway.RestApiArgs => ({
            name: title,
            description,
            endpointConfiguration: isPrivate ? { types: "PRIVATE", vpcEndpointIds: args.vpcEndpointIds } : { types: "REGIONAL" },
            // Regional: only the custom domain (its TLS policy, mutual TLS and WAF path) answers.
            disableExecuteApiEndpoint: !isPrivate,
            // The default endpoint's TLS policy, set so that the provider sees no drift (and TLS 1.2+ where it answers).
            securityPolicy: "TLS_1_2",
            ...(isPrivate ? { policy: privatePolicy("execute-api:/*") } : {}),
            tags: tags(title.slice(name.length + 1)),
        });
        const stageOf = (key: string, api: aws.apigateway.RestApi, deployment: aws.apigateway.Deployment) => {
            // Execution logs go to the group API Gateway names after the API and stage: made here first, so that they
            // are encrypted and expire.
            const executionLogs = new aws.cloudwatch.LogGroup(`${name}-${key}-execution`, {
                name: pulumi.interpolate`API-Gateway-Execution-Logs_${api.id}/${stageName}`,
                retentionInDays: retention,
                kmsKeyId: args.logKmsKeyArn,
                tags: tags(`${key}-execution-logs`),
            }, parent);
            this.logGroupNames.push(executionLogs.name);
            const stage = new aws.apigateway.Stage(`${name}-${key}`, {
                restApi: api.id,
                deployment: deployment.id,
                stageName,
                xrayTracingEnabled: true,
                accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
                tags: tags(`${key}-stage`),
            }, { parent: this, dependsOn: [executionLogs, ...(accountSettings ? [accountSettings] : [])] });
            new aws.apigateway.MethodSettings(`${name}-${key}`, {
                restApi: api.id,
                stageName: stage.stageName,
                methodPath: "*/*",
                settings: {
                    loggingLevel: args.executionLogLevel ?? "ERROR",
                    dataTraceEnabled: false,
                    metricsEnabled: true,
                    throttlingRateLimit: args.throttle.rateLimit,
                    throttlingBurstLimit: args.throttle.burstLimit,
                },
            }, parent);
            new aws.wafv2.WebAclAssociation(`${name}-${key}-waf`, { resourceArn: stage.arn, webAclArn: args.webAclArn }, parent);
            return stage;
        };

        const clients = args.clients ?? [];
        const keys = clients.map((c) => new aws.apigateway.ApiKey(`${name}-client-${c.name}`, {
            name: `${name}-${c.name}`, description: `MCP client ${c.name}: identifies the client for its usage plan (not authentication)`, enabled: true, tags: tags(`client-${c.name}`),
        }, parent));
        const stages: aws.apigateway.Stage[] = [];

        this.restApiIds = {};
        for (const server of args.servers) {
            const api = new aws.apigateway.RestApi(`${name}-${server.name}`, restApiArgs(`${name}-${server.name}`, `MCP server ${server.name} (${server.url})`), parent);
            this.restApiIds[server.name] = api.id;
            const p = { parent: api };
            const authorizer = new aws.apigateway.Authorizer(`${name}-${server.name}`, {
                restApi: api.id,
                name: "cognito",
                type: "COGNITO_USER_POOLS",
                providerArns: [args.userPoolArn],
                identitySource: "method.request.header.Authorization",
            }, p);
            const model = new aws.apigateway.Model(`${name}-${server.name}-message`, {
                restApi: api.id,
                name: "McpMessage",
                contentType: "application/json",
                description: "One JSON-RPC 2.0 MCP message with an allowlisted method (no batch)",
                schema: JSON.stringify(mcpRequestModel(args.allowedMethods)),
            }, p);
            const validator = new aws.apigateway.RequestValidator(`${name}-${server.name}`, {
                restApi: api.id, name: "body-and-parameters", validateRequestBody: true, validateRequestParameters: true,
            }, p);
            // The MCP path of the server inside its API: the URL's path after the base path `/<server>`.
            const backend = new URL(server.backendUrl);
            const parts = pathParts(new URL(server.url).pathname).slice(1);
            let parentId: pulumi.Input<string> = api.rootResourceId;
            let resource: aws.apigateway.Resource | undefined;
            parts.forEach((part, i) => {
                resource = new aws.apigateway.Resource(`${name}-${server.name}-r${i}`, { restApi: api.id, parentId, pathPart: part }, p);
                parentId = resource.id;
            });
            const resourceId = resource ? resource.id : api.rootResourceId;
            const methods: pulumi.CustomResource[] = [];
            for (const httpMethod of MCP_HTTP_METHODS) {
                const method = new aws.apigateway.Method(`${name}-${server.name}-${httpMethod.toLowerCase()}`, {
                    restApi: api.id,
                    resourceId,
                    httpMethod,
                    authorization: "COGNITO_USER_POOLS",
                    authorizerId: authorizer.id,
                    authorizationScopes: server.scopes,
                    apiKeyRequired: clients.length > 0,
                    requestParameters: { "method.request.header.Authorization": true },
                    requestValidatorId: validator.id,
                    ...(httpMethod === "POST" ? { requestModels: { "application/json": model.name } } : {}),
                }, p);
                const integration = new aws.apigateway.Integration(`${name}-${server.name}-${httpMethod.toLowerCase()}`, {
                    restApi: api.id,
                    resourceId,
                    httpMethod: method.httpMethod,
                    type: "HTTP_PROXY",
                    integrationHttpMethod: httpMethod,
                    connectionType: "VPC_LINK",
                    connectionId: vpcLink.id,
                    integrationTarget: args.loadBalancerArn,
                    uri: `${backend.origin}${backend.pathname}`,
                    responseTransferMode: "STREAM",
                    timeoutMilliseconds: STREAM_TIMEOUT_MS,
                }, p);
                methods.push(method, integration);
            }
            // 401 and 403 from API Gateway itself carry the pointer to the server's metadata (MCP authorization).
            const challenge = `'Bearer resource_metadata="${metadataUrl(server.url)}"'`;
            for (const responseType of CHALLENGE_RESPONSES) {
                methods.push(new aws.apigateway.Response(`${name}-${server.name}-${responseType.toLowerCase()}`, {
                    restApiId: api.id,
                    responseType,
                    statusCode: responseType === "ACCESS_DENIED" ? "403" : "401",
                    responseParameters: { "gatewayresponse.header.WWW-Authenticate": challenge },
                    responseTemplates: { "application/json": "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":$context.error.messageString}}" },
                }, p));
            }
            for (const [responseType, r] of Object.entries(PLAIN_RESPONSES)) {
                methods.push(new aws.apigateway.Response(`${name}-${server.name}-${responseType.toLowerCase()}`, {
                    restApiId: api.id,
                    responseType,
                    statusCode: r.statusCode,
                    responseTemplates: { "application/json": JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: r.code, message: r.message } }) },
                }, p));
            }
            // REST changes take effect only with a new deployment: its trigger covers everything the stage's snapshot
            // names, including what can be replaced underneath (the VPC link is immutable, the ALB and the user pool
            // replaceable: new ids), so a replacement redeploys instead of leaving the stage on a dead link or pool.
            const deployment = new aws.apigateway.Deployment(`${name}-${server.name}`, {
                restApi: api.id,
                description: `MCP server ${server.name}`,
                triggers: {
                    redeployment: pulumi.all([vpcLink.id, args.loadBalancerArn, args.userPoolArn, authorizer.id, model.id, validator.id, ...methods.map((m) => m.id)])
                        .apply(([link, alb, pool, ...ids]) => sha({ server: { ...server, metadataDocument: undefined }, methods: args.allowedMethods, clients: clients.length, link, alb, pool, ids, v: 2 })),
                },
            }, { parent: api, dependsOn: [...methods, model, validator, authorizer] });
            const stage = stageOf(server.name, api, deployment);
            stages.push(stage);
            new aws.apigateway.BasePathMapping(`${name}-${server.name}`, {
                domainName: domain.domainName,
                ...(isPrivate ? { domainNameId: domain.domainNameId } : {}),
                restApi: api.id,
                stageName: stage.stageName,
                basePath: server.name,
            }, p);
        }

        // RFC 9728 metadata: GET /.well-known/oauth-protected-resource/<server><path>, no authorizer, a mock integration.
        const meta = new aws.apigateway.RestApi(`${name}-metadata`, restApiArgs(`${name}-metadata`, "RFC 9728 protected resource metadata of the MCP servers"), parent);
        const mp = { parent: meta };
        const resources = new Map<string, aws.apigateway.Resource>();
        const metaMethods: pulumi.Resource[] = [];
        for (const server of args.servers) {
            const parts = pathParts(new URL(metadataUrl(server.url)).pathname).slice(1);
            let parentId: pulumi.Input<string> = meta.rootResourceId;
            let leaf: aws.apigateway.Resource | undefined;
            parts.forEach((part, i) => {
                const path = parts.slice(0, i + 1).join("/");
                leaf = resources.get(path) ?? new aws.apigateway.Resource(`${name}-metadata-${sha(path).slice(0, 10)}`, { restApi: meta.id, parentId, pathPart: part }, mp);
                resources.set(path, leaf);
                parentId = leaf.id;
            });
            const method = new aws.apigateway.Method(`${name}-metadata-${server.name}`, {
                restApi: meta.id, resourceId: leaf!.id, httpMethod: "GET", authorization: "NONE", apiKeyRequired: false,
            }, mp);
            const integration = new aws.apigateway.Integration(`${name}-metadata-${server.name}`, {
                restApi: meta.id, resourceId: leaf!.id, httpMethod: method.httpMethod, type: "MOCK",
                passthroughBehavior: "NEVER",
                requestTemplates: { "application/json": "{\"statusCode\": 200}" },
            }, mp);
            const methodResponse = new aws.apigateway.MethodResponse(`${name}-metadata-${server.name}`, {
                restApi: meta.id, resourceId: leaf!.id, httpMethod: method.httpMethod, statusCode: "200",
                responseParameters: { "method.response.header.Cache-Control": true },
            }, mp);
            const integrationResponse = new aws.apigateway.IntegrationResponse(`${name}-metadata-${server.name}`, {
                restApi: meta.id, resourceId: leaf!.id, httpMethod: method.httpMethod, statusCode: methodResponse.statusCode,
                responseParameters: { "method.response.header.Cache-Control": "'max-age=300'" },
                responseTemplates: { "application/json": server.metadataDocument },
            }, { parent: meta, dependsOn: [integration] });
            metaMethods.push(method, integration, methodResponse, integrationResponse);
        }
        const metaDeployment = new aws.apigateway.Deployment(`${name}-metadata`, {
            restApi: meta.id,
            description: "RFC 9728 metadata",
            triggers: { redeployment: pulumi.all(args.servers.map((s) => s.metadataDocument)).apply((docs) => sha({ urls: args.servers.map((s) => s.url), docs })) },
        }, { parent: meta, dependsOn: metaMethods });
        const metaStage = stageOf("metadata", meta, metaDeployment);
        stages.push(metaStage);
        new aws.apigateway.BasePathMapping(`${name}-metadata`, {
            domainName: domain.domainName,
            ...(isPrivate ? { domainNameId: domain.domainNameId } : {}),
            restApi: meta.id,
            stageName: metaStage.stageName,
            basePath: ".well-known",
        }, mp);

        // Usage plans: the stage limits for everyone, and one plan per client (its API key) with its own limits.
        const apiStages = args.servers.map((s, i) => ({ apiId: this.restApiIds[s.name], stage: stages[i].stageName }));
        clients.forEach((c, i) => {
            const plan = new aws.apigateway.UsagePlan(`${name}-client-${c.name}`, {
                name: `${name}-${c.name}`,
                description: `MCP client ${c.name}`,
                apiStages,
                throttleSettings: { rateLimit: c.rateLimit, burstLimit: c.burstLimit },
                ...(c.quotaPerDay ? { quotaSettings: { limit: c.quotaPerDay, period: "DAY" } } : {}),
                tags: tags(`client-${c.name}`),
            }, parent);
            new aws.apigateway.UsagePlanKey(`${name}-client-${c.name}`, { keyId: keys[i].id, keyType: "API_KEY", usagePlanId: plan.id }, parent);
        });
        // No keyless "default" plan: a usage plan meters only requests that carry one of its keys, so it would limit
        // nothing. The stage's MethodSettings */* throttle is the limit for everyone.
        this.registerOutputs({ restApiIds: this.restApiIds, domainTarget: this.domainTarget, vpcLinkId: this.vpcLinkId });
    }

    /**
     * The account-level role API Gateway writes CloudWatch logs with (one per account and region, for every API there),
     * limited to execution log groups and access log groups under `/aws/apigateway/`: an API of another team that
     * logs elsewhere needs `accountCloudWatchRole: existing` and the organization's role.
     */
    private accountRole(name: string, partition: pulumi.Output<string>, region: pulumi.Output<string>, account: pulumi.Output<string>, tags: (s: string) => Record<string, string>): aws.apigateway.Account {
        const role = new aws.iam.Role(`${name}-cloudwatch`, {
            description: "API Gateway writes execution and access logs of this account and region",
            // AWS's documented trust policy for this role has no condition, and API Gateway documents no
            // aws:SourceAccount/SourceArn context when it assumes it: a condition it does not send would fail the
            // account setting ("does not have required permissions") or logging. The role's permissions are narrow.
            assumeRolePolicy: policyJson({
                Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole",
            }),
            tags: tags("cloudwatch-role"),
        }, { parent: this });
        const rolePolicy = new aws.iam.RolePolicy(`${name}-cloudwatch`, {
            role: role.id,
            policy: policyJson({
                // DescribeLogGroups is authorized on "*" only (no resource type): it lists names, reads no log data.
                Sid: "ListLogGroups", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*",
            }, {
                Sid: "WriteLogsOfThisAccountAndRegion",
                Effect: "Allow",
                Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                // Execution logs (API-Gateway-Execution-Logs_<api>/<stage>) and access logs under /aws/apigateway/.
                Resource: ["API-Gateway-Execution-Logs_*", "/aws/apigateway/*"].flatMap((g) => [
                    pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:${g}`,
                    pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:${g}:log-stream:*`,
                ]),
            }),
        }, { parent: this });
        // API Gateway checks the role's trust and permissions when the setting is written: after the policy, never beside it.
        return new aws.apigateway.Account(`${name}-account`, { cloudwatchRoleArn: role.arn }, { parent: this, dependsOn: [rolePolicy] });
    }
}
