import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { McpAgentcoreGateway } from "../agentcore";
import { ApiGatewayServer, DEFAULT_STAGE_NAME, McpApiGateway } from "../apigateway";
import { ConfigError } from "../common/errors";
import { AgentcoreGatewayConfig, ApiGatewayConfig, BlueprintConfig, RestApiGatewayConfig } from "../config";
import { serverUrl } from "../mcp";
import { checkSecurityZoneConfig, SecurityZone } from "./securityZone";

export interface ApiGatewayCentricArgs {
    /** The validated blueprint configuration. */
    config: BlueprintConfig;
}

/** A server's URL in pattern 2: `https://<apiGateway.domainName>/<server><path>` (its OAuth resource identifier). */
export function apiServerUrl(server: { name: string; path: string }, apiDomain: string): string {
    return `https://${apiDomain}/${server.name}${server.path}`;
}

/** The path a private integration may send for a server: the stage, then the integration's path (the URL's). */
export function stagedBackendPath(stageName: string | undefined, url: string): string {
    return `/${stageName ?? DEFAULT_STAGE_NAME}${new URL(url).pathname}`;
}

/**
 * What pattern 2 needs beyond the schema: the security zone's own requirements (entry point, identity, images,
 * Region), the API Gateway settings, and no second way into the zone (the PrivateLink endpoint service would bypass
 * the API). Throws a ConfigError naming the key. Pure.
 */
export function checkApiGatewayCentricConfig(config: BlueprintConfig): { apiGateway: ApiGatewayConfig; notes: string[] } {
    if (!config.apiGateway) {
        throw new ConfigError("mcpsec:apiGateway", "is required but missing for the api-gateway pattern; expected domainName and certificateArn of the API's custom domain");
    }
    const { edge, notes } = checkSecurityZoneConfig(config);
    if (edge.privateLink) {
        throw new ConfigError("mcpsec:edge.privateLink", "is not allowed in the api-gateway pattern; the MCP servers are reachable only through the API's VPC link, and a PrivateLink endpoint service would be a second way in that skips the API's authorizer, validation and throttling");
    }
    if (config.apiGateway.kind === "agentcore") {
        const taken = (config.identity?.agents ?? []).findIndex((a) => a.name === AGENTCORE_CLIENT_NAME);
        if (taken >= 0) {
            throw new ConfigError(`mcpsec:identity.agents[${taken}].name`, `${JSON.stringify(AGENTCORE_CLIENT_NAME)} is not allowed with mcpsec:apiGateway.kind agentcore; it is the name of the gateway's own client of each server: expected another name`);
        }
        const tenant = config.servers.findIndex((s) => s.tenantClaim !== undefined);
        if (tenant >= 0) {
            throw new ConfigError(`mcpsec:servers[${tenant}].tenantClaim`, `${JSON.stringify(config.servers[tenant].tenantClaim)} is not allowed with mcpsec:apiGateway.kind agentcore; AgentCore passes no caller token to MCP server targets (they get the gateway's own client-credentials token), so neither the guard nor the server would see the tenant: serve multi-tenant servers with kind rest`);
        }
        return { apiGateway: config.apiGateway, notes };
    }
    const apiDomain = config.apiGateway.domainName;
    if (apiDomain === edge.domainName || apiDomain.endsWith(`.${edge.domainName}`)) {
        throw new ConfigError("mcpsec:apiGateway.domainName", `${JSON.stringify(apiDomain)} is not allowed; it lies in mcpsec:edge.domainName ${JSON.stringify(edge.domainName)}, the zone's internal names (the VPC link's Host headers): expected a name outside it`);
    }
    return { apiGateway: config.apiGateway, notes };
}

/** The name of the client-credentials app client the AgentCore gateway calls each server's guard with (an agent of that server). */
export const AGENTCORE_CLIENT_NAME = "agentcore-gateway";

/**
 * Pattern 2, API-gateway-centric (P2): the security zone of pattern 1 (network, guarded Fargate servers, Cognito,
 * keys, logs, detection, the web ACL) with Amazon API Gateway as its only door: one REST API per server on a custom
 * domain, a Cognito authorizer with the server's scopes on every MCP method, a JSON-RPC request model, streaming
 * HTTP_PROXY integrations over a VPC link v2 to the zone's internal load balancer, which admits the VPC link's
 * security group and nothing else. Per-tool decisions stay with the guard behind it: every MCP call is `POST
 * /<server>/mcp`, and an authorizer cannot see the tool name.
 */
export class ApiGatewayCentric extends pulumi.ComponentResource {
    public readonly zone: SecurityZone;
    /** Kind rest: the REST APIs. */
    public readonly api?: McpApiGateway;
    /** Kind agentcore: the AgentCore gateway. */
    public readonly agentcore?: McpAgentcoreGateway;
    public readonly serverUrls: Record<string, string>;
    public readonly notes: string[];

    constructor(name: string, args: ApiGatewayCentricArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const { config } = args;
        const { apiGateway, notes } = checkApiGatewayCentricConfig(config);
        super("mcpsec:patterns:ApiGatewayCentric", name, {}, opts);
        this.notes = notes;
        if (apiGateway.kind === "agentcore") {
            const built = this.agentcoreFront(name, config, apiGateway);
            this.zone = built.zone;
            this.agentcore = built.gateway;
            this.serverUrls = built.serverUrls;
            this.registerOutputs({ gatewayUrl: this.agentcore.gatewayUrl });
            return;
        }
        const edge = config.edge!;
        const tags = { ...config.tags, "mcpsec:environment": config.environment, "mcpsec:pattern": config.pattern };
        this.serverUrls = Object.fromEntries(config.servers.map((s) => [s.name, apiServerUrl(s, apiGateway.domainName)]));
        let vpcLinkSg: aws.ec2.SecurityGroup | undefined;
        let api: McpApiGateway | undefined;
        this.zone = new SecurityZone(name, {
            config,
            front: {
                serverUrls: this.serverUrls,
                // API Gateway's developer guide ("Private integrations for REST APIs") says a private integration
                // includes the stage in the path it sends to the backend; the integration's uri names the server's
                // path. Both forms reach the guard as the server's path: the entry point rewrites the staged one.
                forwardedPathAliases: Object.fromEntries(config.servers.map((s) => [s.name, [stagedBackendPath(apiGateway.stageName, this.serverUrls[s.name])]])),
                // The VPC link's interfaces sit in the zone's private subnets; they open HTTPS to the entry point and
                // accept nothing.
                entrySecurityGroup: (net, parent) => (vpcLinkSg = new aws.ec2.SecurityGroup(`${name}-vpc-link`, {
                    vpcId: net.vpcId,
                    description: `API Gateway VPC link of ${name}: HTTPS to the zone's entry point only`,
                    ingress: [],
                    egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: net.privateSubnetCidrs, description: "HTTPS to the entry point in the private subnets" }],
                    tags: { ...tags, Name: `${name}-vpc-link`, "mcpsec:component": "apigateway" },
                }, { parent })),
                // The API, once the zone's entry point, web ACL, user pool and key exist; its logs go to the SIEM too.
                attach: (zone) => {
                    const servers: ApiGatewayServer[] = config.servers.map((s) => ({
                        name: s.name,
                        url: this.serverUrls[s.name],
                        backendUrl: `https://${s.name}.${edge.domainName}${new URL(this.serverUrls[s.name]).pathname}`,
                        scopes: [...new Set(s.tools.flatMap((t) => t.scopes))].map((scope) => `${this.serverUrls[s.name]}/${scope}`),
                        metadataDocument: zone.authorizationServer.metadataDocuments[s.name],
                    }));
                    api = new McpApiGateway(`${name}-api`, {
                        endpointType: apiGateway.endpointType,
                        domainName: apiGateway.domainName,
                        certificateArn: apiGateway.certificateArn,
                        securityPolicy: apiGateway.securityPolicy,
                        mutualTls: apiGateway.mutualTls,
                        vpcEndpointIds: apiGateway.vpcEndpointIds,
                        userPoolArn: zone.authorizationServer.userPoolArn,
                        servers,
                        vpcLinkSubnetIds: zone.network.privateSubnetIds,
                        vpcLinkSecurityGroupId: vpcLinkSg!.id,
                        loadBalancerArn: zone.entryPoint.arn,
                        webAclArn: zone.webAclArn,
                        allowedMethods: edge.allowedMethods,
                        stageName: apiGateway.stageName,
                        throttle: apiGateway.throttle,
                        clients: apiGateway.clients,
                        executionLogLevel: apiGateway.executionLogLevel,
                        accountCloudWatchRole: apiGateway.accountCloudWatchRole,
                        logKmsKeyArn: zone.zoneKeyArn,
                        logRetentionDays: config.operations.retentionDays,
                        tags,
                    }, { parent: this });
                    return api.logGroupNames;
                },
            },
        }, { parent: this });
        this.api = api!;
        this.registerOutputs({ domainTarget: this.api.domainTarget });
    }

    /**
     * Kind agentcore: the same zone, its servers at their own URLs (`https://<server>.<edge domain><path>`, their OAuth
     * resource identifiers), with an AgentCore gateway as the only door: its VPC Lattice resource gateway's security
     * group is the one the entry point admits. Each server gets one more client-credentials client (an agent of that
     * server, named AGENTCORE_CLIENT_NAME) that the gateway calls the guard with.
     */
    private agentcoreFront(name: string, config: BlueprintConfig, settings: AgentcoreGatewayConfig): { zone: SecurityZone; gateway: McpAgentcoreGateway; serverUrls: Record<string, string> } {
        const edge = config.edge!;
        const identity = config.identity!;
        const tags = { ...config.tags, "mcpsec:environment": config.environment, "mcpsec:pattern": config.pattern };
        const serverUrls = Object.fromEntries(config.servers.map((s) => [s.name, serverUrl(s, edge.domainName)]));
        const gatewayAgents = config.servers.map((s) => ({ name: AGENTCORE_CLIENT_NAME, server: s.name, scopes: [...new Set(s.tools.flatMap((t) => t.scopes))] }));
        const zoneConfig: BlueprintConfig = { ...config, identity: { ...identity, agents: [...(identity.agents ?? []), ...gatewayAgents] } };
        let latticeSg: aws.ec2.SecurityGroup | undefined;
        let gateway: McpAgentcoreGateway | undefined;
        const zone = new SecurityZone(name, {
            config: zoneConfig,
            front: {
                serverUrls,
                // Every call reaches the entry point with the gateway's one token per server: a ceiling per server
                // there, the per-user limits on the gateway's own web ACL (it sees the users' tokens).
                entryRateLimitPerHost: settings.rateLimitPerServer,
                // The managed Lattice resource gateway's interfaces sit in the zone's private subnets; they open HTTPS
                // to the entry point and accept nothing.
                entrySecurityGroup: (net, parent) => (latticeSg = new aws.ec2.SecurityGroup(`${name}-lattice`, {
                    vpcId: net.vpcId,
                    description: `AgentCore gateway resource gateway of ${name}: HTTPS to the zone's entry point only`,
                    ingress: [],
                    egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: net.privateSubnetCidrs, description: "HTTPS to the entry point in the private subnets" }],
                    tags: { ...tags, Name: `${name}-lattice`, "mcpsec:component": "agentcore" },
                }, { parent })),
                attach: (z) => {
                    const auth = z.authorizationServer;
                    gateway = new McpAgentcoreGateway(`${name}-agentcore`, {
                        servers: config.servers.map((s) => ({
                            spec: s,
                            url: serverUrls[s.name],
                            clientId: auth.agentClientIds[`${AGENTCORE_CLIENT_NAME}/${s.name}`],
                            clientSecret: auth.agentClientSecrets[`${AGENTCORE_CLIENT_NAME}/${s.name}`],
                        })),
                        discoveryUrl: pulumi.interpolate`${auth.issuer}/.well-known/openid-configuration`,
                        // People and the declared agents; never the gateway's own clients.
                        allowedClients: [auth.peopleClientId, ...(identity.agents ?? []).map((a) => auth.agentClientIds[`${a.name}/${a.server}`])],
                        kmsKeyArn: z.zoneKeyArn,
                        vpcId: z.network.vpcId,
                        subnetIds: z.network.privateSubnetIds,
                        latticeSecurityGroupId: latticeSg!.id,
                        routingDomain: z.entryPoint.dnsName,
                        // A DEFAULT-listing target lists the server's tools when it is created: the servers (ECS
                        // services, guards) and the entry point's listener rules first.
                        targetsDependOn: [...z.servers, z.entryPoint],
                        webAclArn: z.webAclArn,
                        sessionTimeoutSeconds: settings.sessionTimeoutSeconds,
                        mcpVersions: settings.mcpVersions,
                        interceptorConcurrency: settings.interceptorConcurrency,
                        approvals: config.approvals,
                        dlp: { mode: config.guard.dlpMode, pii: config.guard.piiClasses },
                        logRetentionDays: config.operations.retentionDays,
                        tags,
                    }, { parent: this });
                    // The interceptors log the guard's decision lines: the zone's denied and changed-tool alarms watch them
                    // too (an interceptor refusing at cold start answers every call with tool_call_denied).
                    return { logGroupNames: gateway.logGroupNames, auditLogGroupNames: gateway.interceptorLogGroupNames };
                },
            },
        }, { parent: this });
        return { zone, gateway: gateway!, serverUrls };
    }
}

/** Narrows the gateway settings to kind rest. */
export function restSettings(config: BlueprintConfig): RestApiGatewayConfig | undefined {
    return config.apiGateway?.kind === "rest" ? config.apiGateway : undefined;
}
