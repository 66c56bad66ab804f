import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { ecrRepositoryOf, GUARD_HEALTH_PATH, McpCluster, McpService } from "../compute";
import { BlueprintConfig, EdgeConfig, IdentityConfig } from "../config";
import { InternalAlb, LogBucket, McpWebAcl, PrivateLinkNlb, privateLinkSecurityGroup } from "../edge";
import { AuthorizationServer, userPoolJwks } from "../identity";
import * as aws from "@pulumi/aws";
import { approvedManifest, McpServer, serverUrl } from "../mcp";
import { MAX_ALLOWED_CIDRS, naclSourceCidrs, SegmentedVpc } from "../network";
import { checkZoneQuotas } from "./quotas";
import { buildZoneNetwork, buildZoneOperations, zoneNetworkLogGroups } from "./zone";

export interface SecurityZoneArgs {
    /** The validated blueprint configuration. */
    config: BlueprintConfig;
    /** Pattern 2: what stands in front of the entry point instead of the enterprise networks. Default none (pattern 1). */
    front?: ZoneFront;
}

/**
 * A front door of the zone (pattern 2's API Gateway): the servers' URLs are its, and the entry point admits only the
 * front's security group, no network (the zone's NACL admits no outside network either).
 */
export interface ZoneFront {
    /** Server name -> URL (its OAuth resource identifier), in place of `https://<server>.<edge.domainName><path>`. */
    serverUrls: Record<string, string>;
    /** Creates the security group whose members alone may reach the entry point, once the zone's network exists. */
    entrySecurityGroup: (network: SegmentedVpc, parent: pulumi.Resource) => aws.ec2.SecurityGroup;
    /**
     * Builds the front once the zone's entry point, web ACL, identity and key exist, before its operations; returns
     * the front's log groups, which the zone exports to the SIEM (mcpsec:operations.siem) with its own, and those
     * among them that carry guard decision lines (`auditLogGroupNames`: the AgentCore interceptors), which get the
     * servers' denied-call and changed-tool metric filters and alarms.
     */
    attach?: (zone: SecurityZone) => pulumi.Input<string>[] | { logGroupNames: pulumi.Input<string>[]; auditLogGroupNames: pulumi.Input<string>[] };
    /**
     * Server name -> the other paths the front may send for the server's path (API Gateway's private integrations
     * may put the stage in front of it): the entry point's own web ACL admits them too, and its listener rule
     * rewrites them to the server's path, so the guard always sees the path it serves. Default none.
     */
    forwardedPathAliases?: Record<string, string[]>;
    /**
     * When every request the front forwards carries one shared token (the AgentCore gateway's own client-credentials
     * token): the entry point's web ACL limits requests per server (Host) to this many per 5 minutes instead of per
     * token, which would be one limit for all users together. Default none (per token).
     */
    entryRateLimitPerHost?: number;
}

/**
 * Regions introduced from 23 December 2023 on, where Fargate tasks without an internet route also need the
 * `ecs-agent`, `ecs-telemetry` and `ecs` interface endpoints (Amazon ECS developer guide, "Amazon ECS interface VPC
 * endpoints", considerations for Regions introduced starting on December 23, 2023; ca-west-1 is its example).
 */
export const REGIONS_NEEDING_ECS_ENDPOINTS = ["ca-west-1", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-east-2", "mx-central-1"];

/**
 * The networks the zone's NACL admits on 443: the enterprise networks of `edge.allowedCidrs` and the PrivateLink
 * consumers of `edge.privateLink.allowedCidrs` (the provider side sees the client's address). Pure.
 */
export function zoneClientCidrs(edge: EdgeConfig): string[] {
    return [...new Set([...edge.allowedCidrs, ...(edge.privateLink?.allowedCidrs ?? [])])];
}

/**
 * What the security zone needs beyond the schema: an entry point, a region whose Fargate tasks need no endpoint the
 * zone lacks, client networks within the NACL's quota, and images it can pull without an internet route (ECR in the
 * stack's region, this account's or another's). Throws a ConfigError naming the key. Pure.
 */
export function checkSecurityZoneConfig(config: BlueprintConfig): { edge: EdgeConfig; identity: IdentityConfig; notes: string[] } {
    if (!config.edge) {
        throw new ConfigError("mcpsec:edge", "is required but missing for the security-zone pattern; expected domainName and certificateArn of the zone's HTTPS entry point");
    }
    if (!config.identity) {
        throw new ConfigError("mcpsec:identity", "is required but missing for the security-zone pattern; expected callbackUrls of the MCP clients (every server requires OAuth)");
    }
    if (REGIONS_NEEDING_ECS_ENDPOINTS.includes(config.region)) {
        throw new ConfigError("aws:region", `${JSON.stringify(config.region)} is not allowed for the security-zone pattern; Fargate tasks in Regions introduced from 23 December 2023 on also need the ecs-agent, ecs-telemetry and ecs interface endpoints, which the zone does not create (their endpoint policies for Fargate's own agent are not verified); expected a Region introduced before that date, not ${REGIONS_NEEDING_ECS_ENDPOINTS.join(", ")}`);
    }
    const clients = naclSourceCidrs(config.network.cidrBlock, zoneClientCidrs(config.edge));
    if (clients.length > MAX_ALLOWED_CIDRS) {
        throw new ConfigError(config.edge.privateLink ? "mcpsec:edge.privateLink.allowedCidrs" : "mcpsec:edge.allowedCidrs", `${clients.length} separate networks (edge.allowedCidrs and edge.privateLink.allowedCidrs together) is not allowed; expected at most ${MAX_ALLOWED_CIDRS}, each taking one rule per direction of the zone's network ACL (20 by default); aggregate them into wider blocks`);
    }
    const guardRepo = config.guard.image !== undefined && !config.guard.allowUnguarded ? ecrRepositoryOf(config.guard.image) : undefined;
    if (config.guard.image !== undefined && !config.guard.allowUnguarded && (!guardRepo || guardRepo.region !== config.region)) {
        throw new ConfigError("mcpsec:guard.image", `${JSON.stringify(config.guard.image)} is not allowed; the security zone pulls images only from ECR in ${config.region} (<account>.dkr.ecr.${config.region}.amazonaws.com/<repository>@sha256:<64 hex>); push the guard image there (README "The MCP guard")`);
    }
    config.servers.forEach((server, i) => {
        const repo = ecrRepositoryOf(server.image);
        if (!repo || repo.region !== config.region) {
            // No pull-through cache advice: its first pull imports the upstream image with ecr:BatchImportUpstreamImage
            // (and ecr:CreateRepository), which the execution role does not have, so an image must already be in ECR.
            throw new ConfigError(`mcpsec:servers[${i}].image`, `${JSON.stringify(server.image)} is not allowed; the security zone has no internet route, so images must come from ECR in ${config.region}, already there (<account>.dkr.ecr.${config.region}.amazonaws.com/<repository>, this account's or a central registry account's); push or replicate the image there (an image of a pull-through cache repository must be pulled once beforehand: the execution role does not import upstream images)`);
        }
    });
    return { edge: config.edge, identity: config.identity, notes: checkZoneQuotas(config) };
}

/**
 * Pattern 1, the dedicated security zone (P1): MCP servers in their own isolated, segmented network zone with no
 * route to the internet, reaching AWS services only through VPC endpoints, reachable only through one internal
 * HTTPS entry point with a web ACL, each server a hardened Fargate service of its own.
 */
export class SecurityZone extends pulumi.ComponentResource {
    public readonly network: SegmentedVpc;
    public readonly entryPoint: InternalAlb;
    public readonly servers: McpServer[];
    public readonly privateLinkServiceName?: pulumi.Output<string>;
    public readonly authorizationServer: AuthorizationServer;
    /** Server name -> URL (plain strings, known at synthesis). */
    public readonly serverUrls: Record<string, string>;
    public readonly alertTopicArn: pulumi.Output<string>;
    public readonly zoneKeyArn: pulumi.Output<string>;
    /** The zone's regional web ACL: the entry point's, or behind a front the front's (pattern 2's stages; the entry point then has its own). */
    public readonly webAclArn: pulumi.Output<string>;
    /** What the deployer should know before `pulumi up` (quotas that may need raising). */
    public readonly notes: string[];

    constructor(name: string, args: SecurityZoneArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const { config } = args;
        const { edge, identity, notes } = checkSecurityZoneConfig(config);
        super("mcpsec:patterns:SecurityZone", name, {}, opts);
        this.notes = notes;
        const parent = { parent: this };
        const tags = { ...config.tags, "mcpsec:environment": config.environment, "mcpsec:pattern": config.pattern };
        const ops = config.operations;
        // Each server's guard (unless the stack opts out): the approved manifest comes from SSM (the ssm endpoint), the
        // issuer's signing keys from the deploy (userPoolJwks: fetched by `pulumi up`, in the task environment). The
        // guard fetches nothing: Cognito serves a pool's JWKS only on its public host (the cognito-idp interface
        // endpoint does not carry a pool with a domain), which would otherwise need NAT and the egress firewall.
        const guarded = !config.guard.allowUnguarded;
        const interfaceEndpoints = guarded && !config.network.interfaceEndpoints.includes("ssm") ? [...config.network.interfaceEndpoints, "ssm"] : config.network.interfaceEndpoints;
        // Declared egress of all servers; with none, the zone gets no internet gateway, NAT, firewall or route out at all.
        const egressDomains = [...new Set(config.servers.flatMap((s) => s.egress))].sort();
        const zone = buildZoneNetwork(this, name, {
            config, tags, keyUsers: ["logs", "cloudtrail", "alarms"], interfaceEndpoints, egressDomains,
            // The enterprise networks and PrivateLink consumers reach the entry point on 443 through the NACL too.
            allowedCidrs: args.front ? [] : zoneClientCidrs(edge),
            // Images of a central registry account: the ECR endpoints admit pulls of exactly those repositories.
            imageRepositories: [...config.servers.map((s) => s.image), ...(guarded ? [config.guard.image!] : [])].map((i) => ecrRepositoryOf(i)!).map((r) => ({ account: r.account, repository: r.repository })),
        });
        const zoneKey = zone.zoneKey;
        this.zoneKeyArn = zoneKey.arn;
        this.network = zone.network;
        const net = this.network;
        const cluster = new McpCluster(`${name}-ecs`, { tags }, parent);
        const urls = args.front?.serverUrls ?? Object.fromEntries(config.servers.map((s) => [s.name, serverUrl(s, edge.domainName)]));
        const webAcl = new McpWebAcl(`${name}-waf`, {
            scope: "REGIONAL",
            allowedMethods: edge.allowedMethods,
            // The paths clients use (each server's URL path; behind a front, the path the front forwards too).
            mcpPaths: [...new Set(config.servers.map((s) => new URL(urls[s.name]).pathname))],
            rateLimitPerIp: edge.rateLimitPerIp,
            rateLimitPerToken: edge.rateLimitPerToken,
            maxBodyBytes: edge.maxRequestBodyBytes,
            logKmsKeyArn: net.logKmsKeyArn,
            tags,
        }, parent);
        this.webAclArn = webAcl.arn;
        // Behind a front the entry point has a web ACL of its own: the front's forms of the paths (aliases the
        // listener rewrites), and no per-IP rate limit (every request comes from the front's few addresses there;
        // the front's web ACL keeps it, seeing the clients). A rate-based rule counts per web ACL, so no request is
        // counted twice either.
        const aliases = (s: { name: string }) => args.front?.forwardedPathAliases?.[s.name] ?? [];
        const entryAcl = args.front ? new McpWebAcl(`${name}-entry-acl`, {
            scope: "REGIONAL",
            allowedMethods: edge.allowedMethods,
            mcpPaths: [...new Set(config.servers.flatMap((s) => [new URL(urls[s.name]).pathname, ...aliases(s)]))],
            withoutIpRateLimit: true,
            rateLimitPerIp: edge.rateLimitPerIp,
            rateLimitPerToken: edge.rateLimitPerToken,
            ...(args.front.entryRateLimitPerHost !== undefined ? { rateLimitPerHost: args.front.entryRateLimitPerHost } : {}),
            maxBodyBytes: edge.maxRequestBodyBytes,
            logKmsKeyArn: net.logKmsKeyArn,
            tags,
        }, parent) : webAcl;
        this.serverUrls = urls;
        this.authorizationServer = new AuthorizationServer(`${name}-oauth`, {
            resources: config.servers.map((s) => ({ name: s.name, url: urls[s.name], scopes: [...new Set(s.tools.flatMap((t) => t.scopes))] })),
            callbackUrls: identity.callbackUrls,
            agents: identity.agents,
            accessTokenMinutes: identity.accessTokenMinutes,
            refreshTokenHours: identity.refreshTokenHours,
            logKmsKeyArn: zoneKey.arn,
            logRetentionDays: ops.retentionDays,
            tags,
        }, parent);
        // The terminal access-log bucket: every other bucket of the zone sends its S3 server access logs here; it is
        // not logged itself (tagged mcpsec:access-log-exemption, where Security Hub S3.9 / cdk-nag AwsSolutions-S1 flag it).
        const accessLogs = new LogBucket(`${name}-s3-access-logs`, {
            retentionDays: ops.retentionDays, terminalAccessLogBucket: true, deliveryStatements: () => [], tags,
        }, parent);
        // The PrivateLink load balancer's security group comes first: the entry point's admits it by reference (its
        // nodes connect and send health checks from their private addresses in the zone, which the ALB does not admit).
        const privateLinkSg = edge.privateLink ? privateLinkSecurityGroup(`${name}-privatelink`, {
            vpcId: net.vpcId, vpcCidrBlock: net.cidrBlock, workloadCidrs: net.privateSubnetCidrs, allowedCidrs: edge.privateLink.allowedCidrs, tags,
        }, parent) : undefined;
        const frontSg = args.front?.entrySecurityGroup(net, this);
        this.entryPoint = new InternalAlb(`${name}-entry`, {
            sourceSecurityGroupIds: privateLinkSg || frontSg ? [...(privateLinkSg ? [privateLinkSg.id] : []), ...(frontSg ? [frontSg.id] : [])] : undefined,
            serverAccessLogBucket: accessLogs.bucket,
            vpcId: net.vpcId,
            subnetIds: net.privateSubnetIds,
            vpcCidrBlock: net.cidrBlock,
            // The servers' subnets are taken out: a server's tasks (HTTPS inside the zone, for GuardDuty's endpoint)
            // cannot call another server through the entry point.
            workloadCidrs: net.privateSubnetCidrs,
            // Behind a front, no network reaches the entry point: only the front's security group.
            allowedCidrs: args.front ? [] : edge.allowedCidrs,
            certificateArn: edge.certificateArn,
            sslPolicy: edge.sslPolicy,
            webAclArn: entryAcl.arn,
            // Each server's target group names its guard's HTTPS port and health path; only an unguarded server's
            // names its own port, over plain HTTP (reported).
            routes: config.servers.map((s) => ({
                name: s.name, host: `${s.name}.${edge.domainName}`,
                ...(guarded ? { port: config.guard.port, healthCheckPath: GUARD_HEALTH_PATH } : { port: s.port, healthCheckPath: s.healthCheckPath, plaintextTarget: true }),
                metadataDocument: this.authorizationServer.metadataDocuments[s.name],
                ...(aliases(s).length > 0 ? { pathRewrite: { from: aliases(s), to: new URL(urls[s.name]).pathname } } : {}),
            })),
            tags,
        }, parent);
        // The pool's signing keys for the guards, fetched once the pool exists (never under the offline mock engine).
        const jwks = guarded ? userPoolJwks(this.authorizationServer.issuer) : undefined;
        const services: McpService[] = [];
        this.servers = config.servers.map((spec) => {
            const server = new McpServer(`${name}-${spec.name}`, { spec, url: urls[spec.name], approvals: config.approvals }, parent);
            // The approved manifest, where a gateway or client can verify tools at run time (SecureString, zone key).
            const manifest = approvedManifest(spec, urls[spec.name]);
            const bytes = Buffer.byteLength(manifest, "utf8");
            if (bytes > 8192) {
                throw new ConfigError(`mcpsec:servers[${config.servers.indexOf(spec)}].tools`, `the approved manifest of ${spec.name} is ${bytes} bytes; an SSM parameter holds at most 8192 (fewer tools per server)`);
            }
            const manifestParameter = new aws.ssm.Parameter(`${name}-${spec.name}-manifest`, {
                name: `/mcpsec/${config.environment}/${spec.name}/tools-manifest`,
                description: `Approved tools manifest of MCP server ${spec.name}`,
                type: "SecureString",
                keyId: zoneKey.arn,
                tier: bytes > 4096 ? "Advanced" : "Standard",
                value: manifest,
                tags,
            }, { parent: server });
            services.push(new McpService(`${name}-${spec.name}`, {
                server: spec,
                clusterArn: cluster.arn,
                vpcId: net.vpcId,
                subnetIds: net.privateSubnetIds,
                entrySecurityGroupId: this.entryPoint.securityGroupId,
                endpointSecurityGroupId: net.endpointSecurityGroupId,
                s3PrefixListId: net.s3PrefixListId,
                vpcCidrBlock: net.cidrBlock,
                kmsKeyArn: net.logKmsKeyArn,
                targetGroupArn: this.entryPoint.targetGroupArns[spec.name],
                logRetentionDays: ops.retentionDays,
                ...(guarded ? {
                    guard: {
                        image: config.guard.image!,
                        port: config.guard.port,
                        issuer: this.authorizationServer.issuer,
                        jwks: jwks!,
                        resource: urls[spec.name],
                        // Behind a front the requests name the entry point's host for the server, not the URL's.
                        ...(new URL(urls[spec.name]).host !== `${spec.name}.${edge.domainName}` ? { allowedHosts: [`${spec.name}.${edge.domainName}`] } : {}),
                        // People (the one people client) and the agents declared for this server.
                        clientIds: [this.authorizationServer.peopleClientId, ...(identity.agents ?? []).filter((a) => a.server === spec.name).map((a) => this.authorizationServer.agentClientIds[`${a.name}/${a.server}`])],
                        manifestParameterArn: manifestParameter.arn,
                        manifestKmsKeyArn: zoneKey.arn,
                        dlpMode: config.guard.dlpMode,
                        piiClasses: config.guard.piiClasses,
                        // The reviewers' keys the guard checks the manifest's signature against (not the manifest's own).
                        approvals: config.approvals,
                    },
                } : { unguarded: true }),
                tags,
            }, { parent: server }));
            return server;
        });

        // Operations: immutable archive, audit trail, alarms, SIEM export, detection and containment (containment takes
        // a task out of the entry point's target groups, then stops it: ECS tasks of this cluster).
        const attached = args.front?.attach?.(this) ?? [];
        const frontLogGroups = Array.isArray(attached) ? attached : attached.logGroupNames;
        const frontAuditGroups = Array.isArray(attached) ? [] : attached.auditLogGroupNames;
        this.alertTopicArn = buildZoneOperations(this, name, {
            config, tags, zoneKeyArn: zoneKey.arn, accessLogs,
            siemLogGroupNames: [...zoneNetworkLogGroups(zone), webAcl.logGroupName, ...(entryAcl !== webAcl ? [entryAcl.logGroupName] : []), ...services.map((s) => s.logGroupName), ...services.flatMap((s) => (s.auditLogGroupName === s.logGroupName ? [] : [s.auditLogGroupName])), ...frontLogGroups],
            serverLogGroupNames: [...services.map((s) => s.auditLogGroupName), ...frontAuditGroups],
            guardLogGroups: guarded ? config.servers.map((s, i) => ({ server: s.name, logGroupName: services[i].auditLogGroupName })) : [],
            loadBalancerArnSuffix: this.entryPoint.arnSuffix,
            webAclName: webAcl.name,
            targetGroupArns: config.servers.map((s) => this.entryPoint.targetGroupArns[s.name]),
            clusterArn: cluster.arn,
        }).alertTopicArn;
        if (edge.privateLink) {
            const nlb = new PrivateLinkNlb(`${name}-privatelink`, {
                vpcId: net.vpcId,
                vpcCidrBlock: net.cidrBlock,
                subnetIds: net.privateSubnetIds,
                albArn: this.entryPoint.arn,
                allowedCidrs: edge.privateLink.allowedCidrs,
                allowedPrincipals: edge.privateLink.allowedPrincipals,
                securityGroupId: privateLinkSg!.id,
                tags,
            }, parent);
            this.privateLinkServiceName = nlb.endpointServiceName;
        }
        this.registerOutputs({ vpcId: net.vpcId, entryPoint: this.entryPoint.dnsName });
    }
}
