import * as pulumi from "@pulumi/pulumi";
import { BlueprintConfig, ConfigError, PatternName } from "../config";
import { metadataUrl } from "../identity";
import { ApiGatewayCentric, restSettings } from "./apiGatewayCentric";
import { Microservices } from "./microservices";
import { SecurityZone } from "./securityZone";

export * from "./apiGatewayCentric";
export * from "./microservices";
export * from "./quotas";
export * from "./securityZone";

/** Patterns this version can deploy. The others are accepted by the schema and refused here by name. */
export const BUILT_PATTERNS: readonly PatternName[] = ["security-zone", "api-gateway", "microservices"];

/** The stack outputs every pattern returns. */
export interface PatternOutputs {
    pattern: PatternName;
    environment: string;
    vpcId: pulumi.Output<string>;
    privateSubnetIds: pulumi.Output<string>[];
    flowLogGroupName: pulumi.Output<string>;
    /** DNS name of the zone's internal HTTPS entry point (point *.<domainName> at it). */
    entryPointDnsName: pulumi.Output<string>;
    /** Each server's URL: its identity as an OAuth resource. */
    serverUrls: Record<string, pulumi.Output<string>>;
    privateLinkServiceName?: pulumi.Output<string>;
    /** Pattern 2: where the API's custom domain points (CNAME/alias target; a private domain's id). */
    apiGatewayDomainTarget?: pulumi.Output<string>;
    /** Pattern 2, kind agentcore: the AgentCore gateway's MCP endpoint clients connect to. */
    agentcoreGatewayUrl?: pulumi.Output<string>;
    /** OAuth issuer (RFC 8414 metadata at <issuer>/.well-known/openid-configuration). */
    oauthIssuer: pulumi.Output<string>;
    oauthClientIdForPeople: pulumi.Output<string>;
    /** Server name -> URL of its RFC 9728 protected resource metadata. */
    protectedResourceMetadataUrls: Record<string, string>;
    /** Which account-wide services this stack manages ("create") and which it leaves to the organization ("existing"). */
    accountServices: Record<string, string>;
    alertTopicArn: pulumi.Output<string>;
    /** Notes for the deployer (quotas to check before `pulumi up`); `mcpsec check` prints them. */
    notes: string[];
}

/** The stack outputs of the microservices pattern. */
export interface MicroservicesOutputs {
    pattern: PatternName;
    environment: string;
    serverUrls: Record<string, string>;
}

/** The outputs both AWS zone patterns share; `serverUrls` are the URLs clients use (the front's, behind one). */
function zoneOutputs(config: BlueprintConfig, zone: SecurityZone, clientUrls: Record<string, string>, notes: string[]): PatternOutputs {
    return {
        pattern: config.pattern,
        environment: config.environment,
        vpcId: zone.network.vpcId,
        privateSubnetIds: zone.network.privateSubnetIds,
        flowLogGroupName: zone.network.flowLogGroupName,
        entryPointDnsName: zone.entryPoint.dnsName,
        serverUrls: Object.fromEntries(zone.servers.map((s) => [s.spec.name, s.url])),
        oauthIssuer: zone.authorizationServer.issuer,
        oauthClientIdForPeople: zone.authorizationServer.peopleClientId,
        accountServices: { ...config.operations.accountServices },
        alertTopicArn: zone.alertTopicArn,
        notes,
        protectedResourceMetadataUrls: Object.fromEntries(Object.entries(clientUrls).map(([n, url]) => [n, metadataUrl(url)])),
    };
}

/** Builds the pattern the configuration names and returns its stack outputs. */
export function buildPattern(config: BlueprintConfig): PatternOutputs | MicroservicesOutputs {
    switch (config.pattern) {
        case "security-zone": {
            const zone = new SecurityZone(`mcp-${config.environment}`, { config });
            return {
                ...zoneOutputs(config, zone, zone.serverUrls, zone.notes),
                ...(zone.privateLinkServiceName ? { privateLinkServiceName: zone.privateLinkServiceName } : {}),
            };
        }
        case "api-gateway": {
            const p2 = new ApiGatewayCentric(`mcp-${config.environment}`, { config });
            const outputs = zoneOutputs(config, p2.zone, p2.serverUrls, p2.notes);
            const rest = restSettings(config);
            return {
                ...outputs,
                ...(rest && p2.api ? { accountServices: { ...outputs.accountServices, apiGatewayCloudWatchRole: rest.accountCloudWatchRole }, apiGatewayDomainTarget: p2.api.domainTarget } : {}),
                ...(p2.agentcore ? { agentcoreGatewayUrl: p2.agentcore.gatewayUrl } : {}),
            };
        }
        case "microservices": {
            const layer = new Microservices(`mcp-${config.environment}`, { config });
            return { pattern: config.pattern, environment: config.environment, serverUrls: layer.serverUrls };
        }
        default:
            throw new ConfigError("mcpsec:pattern", `${JSON.stringify(config.pattern)} is not built yet in this version; available now: ${BUILT_PATTERNS.join(", ")}`);
    }
}
