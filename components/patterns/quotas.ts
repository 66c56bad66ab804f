import { ConfigError } from "../common/errors";
import type { BlueprintConfig } from "../config";

/**
 * The AWS service quotas a security zone meets as it grows with its servers. Values are the documented defaults of
 * a new account (Service Quotas codes where AWS publishes one); an account that raised a quota declares it under
 * `mcpsec:quotas` so the check counts against the raised value.
 */
export const ZONE_QUOTAS = {
    /** Amazon Cognito, "Resource servers per user pool": each MCP server is one resource server of the zone's pool. */
    cognitoResourceServersPerPool: { code: "L-7CDAF993", default: 25, max: 300, adjustable: true },
    /** Amazon Cognito, "Scopes per app client" (not adjustable). */
    cognitoScopesPerAppClient: { default: 50, adjustable: false },
    /** Elastic Load Balancing, "Rules per Application Load Balancer" (default rules not counted). */
    albRulesPerLoadBalancer: { default: 100, adjustable: true },
    /** Elastic Load Balancing, "Target Groups per Application Load Balancer" (not adjustable). */
    albTargetGroupsPerLoadBalancer: { default: 100, adjustable: false },
    /** AWS Fargate, "Fargate On-Demand vCPU resource count" per region (new accounts may start lower). */
    fargateOnDemandVcpu: { code: "L-3032A538", default: 6, adjustable: true },
} as const;

/** Listener rules the entry point spends on one server: its RFC 9728 metadata response and its forward rule. */
export const ALB_RULES_PER_SERVER = 2;

/** Scopes the people client holds besides the servers' own (OpenID Connect). */
export const PEOPLE_CLIENT_STANDARD_SCOPES = ["openid", "email"] as const;

/** What a zone spends of each quota, for the report and for `mcpsec check`'s notes. */
export interface ZoneCapacity {
    cognitoResourceServers: number;
    /** Scopes of the client people sign in with (standard + every server's full scope names). */
    peopleClientScopes: number;
    albRules: number;
    albTargetGroups: number;
    /** vCPU the servers hold at steady state, and during a rolling deployment of every service at once. */
    fargateVcpu: { steady: number; duringDeployment: number };
}

/** Largest share of tasks a service may run during a deployment (McpService's deploymentMaximumPercent). */
const DEPLOYMENT_MAXIMUM_PERCENT = 200;

/** Counts what the security zone built from this config uses of each quota. Pure. */
export function zoneCapacity(config: BlueprintConfig): ZoneCapacity {
    const servers = config.servers;
    // Scope names are qualified by each server's resource identifier, so two servers' "read" are two scopes.
    const scopes = servers.reduce((sum, s) => sum + new Set(s.tools.flatMap((t) => t.scopes)).size, 0);
    const steady = servers.reduce((sum, s) => sum + (s.desiredCount * s.cpu) / 1024, 0);
    return {
        cognitoResourceServers: servers.length,
        peopleClientScopes: PEOPLE_CLIENT_STANDARD_SCOPES.length + scopes,
        albRules: servers.length * ALB_RULES_PER_SERVER,
        albTargetGroups: servers.length,
        fargateVcpu: { steady, duringDeployment: (steady * DEPLOYMENT_MAXIMUM_PERCENT) / 100 },
    };
}

/**
 * Refuses a security-zone config that `pulumi up` could not finish within the account's quotas (the defaults, or
 * what `mcpsec:quotas` declares raised), naming the key and the quota; returns notes for quotas that only slow a
 * deployment down or need a request first (Fargate vCPU). Pure.
 */
export function checkZoneQuotas(config: BlueprintConfig): string[] {
    const use = zoneCapacity(config);
    const resourceServers = config.quotas.cognitoResourceServersPerPool;
    if (use.cognitoResourceServers > resourceServers) {
        const raised = resourceServers !== ZONE_QUOTAS.cognitoResourceServersPerPool.default;
        throw new ConfigError("mcpsec:servers", `${use.cognitoResourceServers} servers is not allowed; each is a resource server of the zone's Cognito user pool, which holds ${resourceServers}${raised ? " (mcpsec:quotas.cognitoResourceServersPerPool)" : " by default"}; expected at most ${resourceServers} servers, or raise quota ${ZONE_QUOTAS.cognitoResourceServersPerPool.code} (up to ${ZONE_QUOTAS.cognitoResourceServersPerPool.max}) and declare it in mcpsec:quotas.cognitoResourceServersPerPool`);
    }
    if (use.peopleClientScopes > ZONE_QUOTAS.cognitoScopesPerAppClient.default) {
        throw new ConfigError("mcpsec:servers", `the servers' tools use ${use.peopleClientScopes - PEOPLE_CLIENT_STANDARD_SCOPES.length} scopes (each server's own, qualified by its URL); the people client holds them all plus ${PEOPLE_CLIENT_STANDARD_SCOPES.join(" and ")}, and a Cognito app client holds at most ${ZONE_QUOTAS.cognitoScopesPerAppClient.default} scopes (not adjustable); expected at most ${ZONE_QUOTAS.cognitoScopesPerAppClient.default - PEOPLE_CLIENT_STANDARD_SCOPES.length} scopes over all servers (let tools of a server share scopes, or split the servers over two stacks)`);
    }
    // Rules and target groups: 2 and 1 per server, so the schema's 50 servers fit exactly; kept as checks so a change
    // in the rules per server cannot silently overrun them.
    if (use.albRules > ZONE_QUOTAS.albRulesPerLoadBalancer.default) {
        throw new ConfigError("mcpsec:servers", `${config.servers.length} servers need ${use.albRules} listener rules; an Application Load Balancer holds ${ZONE_QUOTAS.albRulesPerLoadBalancer.default} by default; expected at most ${Math.floor(ZONE_QUOTAS.albRulesPerLoadBalancer.default / ALB_RULES_PER_SERVER)} servers`);
    }
    if (use.albTargetGroups > ZONE_QUOTAS.albTargetGroupsPerLoadBalancer.default) {
        throw new ConfigError("mcpsec:servers", `${config.servers.length} servers need ${use.albTargetGroups} target groups; an Application Load Balancer holds ${ZONE_QUOTAS.albTargetGroupsPerLoadBalancer.default} (not adjustable)`);
    }
    const notes: string[] = [];
    if (use.fargateVcpu.duringDeployment > ZONE_QUOTAS.fargateOnDemandVcpu.default) {
        notes.push(`Fargate capacity: the servers hold ${use.fargateVcpu.steady} vCPU and up to ${use.fargateVcpu.duringDeployment} vCPU while every service rolls out at once; the default "Fargate On-Demand vCPU resource count" (${ZONE_QUOTAS.fargateOnDemandVcpu.code}) is ${ZONE_QUOTAS.fargateOnDemandVcpu.default} per region: check the account's value in Service Quotas before \`pulumi up\``);
    }
    return notes;
}
