import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cidrSubtract } from "../common/cidr";
import { ConfigError } from "../common/errors";
import { componentTags } from "../common/tags";
import { LogBucket } from "./logBucket";
import { METADATA_PATH_PATTERNS } from "./webAcl";

/** TLS policies that allow TLS 1.2 and 1.3 only, with forward secrecy. */
export const TLS_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
] as const;

/** One MCP server behind the load balancer, routed by host name. */
export interface AlbRoute {
    /** Server name; names the target group. */
    name: string;
    /** Host name clients use (`<server>.<domain>`). */
    host: string;
    /** The targets' port: the MCP guard's HTTPS port beside the server (the server's own only when unguarded). */
    port: number;
    /** Health check path on the targets (the guard's `/health`). */
    healthCheckPath: string;
    /**
     * Opt-out: plain HTTP to the targets and their health checks, for a server without its guard. Default false:
     * HTTPS to the guard, so the hop from the load balancer to the task is encrypted too (the load balancer does
     * not validate the target's certificate, so the guard's certificate made at start serves; the hop is encrypted,
     * not authenticated). Reported by aws-elb-target-group-https.
     */
    plaintextTarget?: boolean;
    /**
     * What the target group names: `ip` (default: Fargate tasks) or `instance` (nodes of an EKS node group, which the
     * caller attaches through their Auto Scaling group, e.g. on the mesh ingress gateway's NodePort).
     */
    targetType?: "ip" | "instance";
    /** HTTP codes of a healthy target. Default "200-399". */
    healthCheckMatcher?: string;
    /**
     * Health checks on this port over plain HTTP instead of the traffic port (the mesh ingress gateway's status
     * NodePort, whose readiness reflects the gateway's, not just its TLS listener). The check carries no request data;
     * the traffic port stays HTTPS. Default: the traffic port, same protocol as the traffic.
     */
    healthCheckPort?: number;
    /**
     * The server's RFC 9728 protected resource metadata (JSON), served by the load balancer itself at
     * `/.well-known/oauth-protected-resource...` on the server's host (at most 1024 bytes, the ALB's limit).
     */
    metadataDocument?: pulumi.Input<string>;
    /**
     * Paths a front may send in place of the server's path `to`, rewritten to it before the request reaches the
     * targets (a listener rule `url-rewrite` transform; a request that already names `to`, or any other path, goes
     * unchanged): pattern 2's API Gateway, whose private integrations may put the stage in front of the integration's
     * path. Exact paths only, the query string kept. Default none.
     */
    pathRewrite?: { from: string[]; to: string };
}

/**
 * The regex and replacement of a URL rewrite that maps each of `from` (exactly, query string kept) to `to`. ALB
 * transform regexes have no lookarounds or backreferences (Elastic Load Balancing, "Transforms for listener rules"):
 * plain escaped literals in one anchored group, the query string in a second. Pure.
 */
export function pathRewriteRule(rewrite: { from: string[]; to: string }): { regex: string; replace: string } {
    const literal = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return { regex: `^(${rewrite.from.map(literal).join("|")})(\\?.*)?$`, replace: `${rewrite.to}$2` };
}

export interface InternalAlbArgs {
    vpcId: pulumi.Input<string>;
    subnetIds: pulumi.Input<string>[];
    /** The zone's block: the load balancer sends traffic only to it. */
    vpcCidrBlock: string;
    /**
     * Blocks where the zone's workloads (the MCP servers' tasks) run; they are taken out of `allowedCidrs`, so that a
     * server, which may send HTTPS inside the zone, cannot call another server through the entry point.
     * Default: `vpcCidrBlock`, the whole zone.
     */
    workloadCidrs?: string[];
    /**
     * Networks allowed to reach the load balancer (peered networks, VPN), minus `workloadCidrs` (a block around the
     * zone, such as 10.0.0.0/8, admits everything but the servers' subnets).
     */
    allowedCidrs: string[];
    /**
     * Security groups inside the zone whose members may open HTTPS to the load balancer: the PrivateLink network
     * load balancer in front of it (its nodes connect, and send their health checks, from their private addresses in
     * the zone). Default none.
     */
    sourceSecurityGroupIds?: pulumi.Input<string>[];
    /** ACM certificate for the HTTPS listener. */
    certificateArn: pulumi.Input<string>;
    /** The web ACL associated with the load balancer. Required: no MCP entry point without WAF. */
    webAclArn: pulumi.Input<string>;
    /** TLS policy. Default ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.2 and 1.3). */
    sslPolicy?: (typeof TLS_POLICIES)[number];
    routes: AlbRoute[];
    /** Seconds a connection may stay idle; Streamable HTTP keeps SSE streams open. Default 300. */
    idleTimeout?: number;
    /** Days access logs are kept. Default 365. */
    accessLogRetentionDays?: number;
    /** Name of the terminal access-log bucket that receives the access-log bucket's own S3 server access logs (the pack reports the bucket without it). */
    serverAccessLogBucket?: pulumi.Input<string>;
    /** Opt-out for tests and throw-away stacks: allow deleting the load balancer. Default false. */
    allowDeletion?: boolean;
    tags?: Record<string, string>;
}

/**
 * The internal Application Load Balancer of an MCP zone (controls S2, H5): HTTPS only with a TLS 1.2/1.3 policy
 * (no plain-HTTP listener at all), invalid headers dropped, strictest desync mitigation, access logs to a private TLS-only bucket,
 * deletion protection, the web ACL always associated, and one target group per server routed by host name, over
 * HTTPS to each server's guard (the load balancer does not validate target certificates: the hop is encrypted).
 */
export class InternalAlb extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;
    public readonly dnsName: pulumi.Output<string>;
    /** The CloudWatch metric dimension of the load balancer. */
    public readonly arnSuffix: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly targetGroupArns: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: InternalAlbArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const sslPolicy = args.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06";
        if (!TLS_POLICIES.includes(sslPolicy)) {
            throw new ConfigError(`InternalAlb "${name}".sslPolicy`, `${JSON.stringify(sslPolicy)} is not allowed; expected one of ${TLS_POLICIES.join(", ")}`);
        }
        // No network at all only behind a front whose security group is the one source (pattern 2's VPC link).
        const noSources = args.allowedCidrs.length === 0 && (args.sourceSecurityGroupIds ?? []).length === 0;
        if (noSources || args.allowedCidrs.some((c) => c === "0.0.0.0/0" || !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c))) {
            throw new ConfigError(`InternalAlb "${name}".allowedCidrs`, `${JSON.stringify(args.allowedCidrs)} is not allowed; expected 1 or more IPv4 CIDR blocks, not 0.0.0.0/0 (none only with sourceSecurityGroupIds)`);
        }
        // Everything the allowed networks cover except where the servers run (their tasks may send HTTPS in the zone).
        const workloads = args.workloadCidrs ?? [args.vpcCidrBlock];
        const clientCidrs = cidrSubtract(args.allowedCidrs, workloads);
        const sourceGroups = args.sourceSecurityGroupIds ?? [];
        if (clientCidrs.length === 0 && sourceGroups.length === 0) {
            throw new ConfigError(`InternalAlb "${name}".allowedCidrs`, `${JSON.stringify(args.allowedCidrs)} is not allowed; every block lies inside the servers' subnets ${workloads.join(", ")}, which may not call the entry point; expected the blocks of the client networks`);
        }
        // Two listener rules per route (metadata and forward) against the default 100 rules per load balancer.
        if (args.routes.length > 50) {
            throw new ConfigError(`InternalAlb "${name}".routes`, `${args.routes.length} routes is not allowed; expected at most 50 (two listener rules each; an Application Load Balancer holds 100 rules by default)`);
        }
        super("mcpsec:edge:InternalAlb", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("edge", `${name}-${suffix}`, args.tags);
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const elbAccount = aws.elb.getServiceAccountOutput({}, parent).arn;

        const sg = new aws.ec2.SecurityGroup(`${name}-alb`, {
            vpcId: args.vpcId,
            description: `MCP entry point ${name}: HTTPS from allowed networks`,
            // HTTPS only: MCP clients use https URLs, and a plain-HTTP listener would invite a first request (bearer
            // token included) in clear text before any redirect. The zone's NACL admits only 443 as well.
            ingress: [
                ...(clientCidrs.length > 0 ? [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: clientCidrs, description: "HTTPS from allowed networks, not the servers' subnets" }] : []),
                ...(sourceGroups.length > 0 ? [{ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: sourceGroups, description: "HTTPS (and health checks) from the front security group: the PrivateLink load balancer or the API Gateway VPC link" }] : []),
            ],
            egress: [{ protocol: "tcp", fromPort: 1024, toPort: 65535, cidrBlocks: [args.vpcCidrBlock], description: "to MCP servers in the zone" }],
            tags: tags("alb-sg"),
        }, parent);
        this.securityGroupId = sg.id;

        const logs = new LogBucket(`${name}-access-logs`, {
            retentionDays: args.accessLogRetentionDays,
            accessLogs: args.serverAccessLogBucket === undefined ? undefined : { bucket: args.serverAccessLogBucket, prefix: "s3/alb-access-logs/" },
            tags: tags("access-logs"),
            deliveryStatements: (bucketArn) => [{
                Sid: "ElbLogDelivery", Effect: "Allow", Principal: { AWS: elbAccount }, Action: "s3:PutObject",
                Resource: pulumi.interpolate`${bucketArn}/alb/AWSLogs/${account}/*`,
            }],
        }, parent);

        const lb = new aws.lb.LoadBalancer(`${name}-alb`, {
            loadBalancerType: "application",
            internal: true,
            subnets: args.subnetIds,
            securityGroups: [sg.id],
            dropInvalidHeaderFields: true,
            desyncMitigationMode: "strictest",
            enableDeletionProtection: !(args.allowDeletion ?? false),
            idleTimeout: args.idleTimeout ?? 300,
            accessLogs: { bucket: logs.bucket, prefix: "alb", enabled: true },
            tags: tags("alb"),
        }, { parent: this, dependsOn: [logs] });
        this.arn = lb.arn;
        this.dnsName = lb.dnsName;
        this.arnSuffix = lb.arnSuffix;

        new aws.wafv2.WebAclAssociation(`${name}-waf`, { resourceArn: lb.arn, webAclArn: args.webAclArn }, parent);

        const https = new aws.lb.Listener(`${name}-https`, {
            loadBalancerArn: lb.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy,
            certificateArn: args.certificateArn,
            defaultActions: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "no MCP server at this host" } }],
            tags: tags("https"),
        }, parent);

        this.targetGroupArns = {};
        args.routes.forEach((route, i) => {
            if (route.metadataDocument !== undefined) {
                new aws.lb.ListenerRule(`${name}-${route.name}-metadata`, {
                    listenerArn: https.arn,
                    priority: 1000 + i,
                    conditions: [
                        { hostHeader: { values: [route.host] } },
                        // The web ACL admits GET of exactly these paths (allow-resource-metadata); keep the two in step.
                        { pathPattern: { values: METADATA_PATH_PATTERNS } },
                    ],
                    actions: [{
                        type: "fixed-response",
                        fixedResponse: {
                            contentType: "application/json",
                            statusCode: "200",
                            messageBody: pulumi.output(route.metadataDocument).apply((doc) => {
                                if (Buffer.byteLength(doc, "utf8") > 1024) {
                                    throw new pulumi.RunError(`InternalAlb "${name}": the protected resource metadata of ${route.name} is ${Buffer.byteLength(doc, "utf8")} bytes; a load balancer fixed response holds at most 1024 (use fewer or shorter scopes)`);
                                }
                                return doc;
                            }),
                        },
                    }],
                    tags: tags(`metadata-${route.name}`),
                }, parent);
            }
            const targetProtocol = route.plaintextTarget === true ? "HTTP" : "HTTPS";
            const tg = new aws.lb.TargetGroup(`${name}-${route.name}`, {
                vpcId: args.vpcId,
                targetType: route.targetType ?? "ip",
                port: route.port,
                protocol: targetProtocol,
                // HTTP/1.1 to the guard (Streamable HTTP, SSE); HTTP2 and gRPC are other target protocol versions.
                protocolVersion: "HTTP1",
                deregistrationDelay: 30,
                healthCheck: { enabled: true, path: route.healthCheckPath, protocol: route.healthCheckPort === undefined ? targetProtocol : "HTTP", port: route.healthCheckPort === undefined ? "traffic-port" : String(route.healthCheckPort), matcher: route.healthCheckMatcher ?? "200-399", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
                tags: { ...tags(`tg-${route.name}`), "mcpsec:server": route.name },
            }, parent);
            new aws.lb.ListenerRule(`${name}-${route.name}`, {
                listenerArn: https.arn,
                priority: 2000 + i,
                conditions: [{ hostHeader: { values: [route.host] } }],
                actions: [{ type: "forward", targetGroupArn: tg.arn }],
                // One URL rewrite per rule (Elastic Load Balancing, "Transforms for listener rules"): the front's
                // forms of the path in one anchored alternation, the query string kept; any other path goes unchanged.
                ...(route.pathRewrite && route.pathRewrite.from.length > 0 ? {
                    transforms: [{ type: "url-rewrite", urlRewriteConfig: { rewrite: pathRewriteRule(route.pathRewrite) } }],
                } : {}),
                tags: tags(`rule-${route.name}`),
            }, parent);
            this.targetGroupArns[route.name] = tg.arn;
        });
        this.registerOutputs({ arn: this.arn, dnsName: this.dnsName, securityGroupId: this.securityGroupId });
    }
}
