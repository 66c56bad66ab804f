import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { componentTags } from "../common/tags";
import { MCP_CLIENT_METHODS } from "../mcp/spec";

/** AWS managed rule groups every MCP web ACL starts with. */
export const MANAGED_RULE_GROUPS = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
] as const;

export interface McpWebAclArgs {
    /** `REGIONAL` (ALB, API Gateway REST) or `CLOUDFRONT` (created in us-east-1). Default REGIONAL. */
    scope?: "REGIONAL" | "CLOUDFRONT";
    /** JSON-RPC methods admitted in POST bodies. Default: the MCP client methods (initialize, tools/call ...). */
    allowedMethods?: string[];
    /**
     * HTTP paths of the MCP endpoints behind the web ACL (each server's `path`). Default `["/mcp"]`. Only these
     * paths and the RFC 9728 metadata path are admitted; everything else meets the default action, Block.
     */
    mcpPaths?: string[];
    /**
     * Requests per client IP per 5 minutes before blocking. Default 1000. Behind the PrivateLink NLB the load balancer
     * sees the NLB's addresses, not the clients': this then limits all clients together (see the edge README).
     */
    rateLimitPerIp?: number;
    /**
     * Opt-out of `rate-per-ip`, for a web ACL that sees only a front's addresses (pattern 2's load balancer behind the
     * API Gateway VPC link): there every client shares the VPC link's few interface addresses, so a per-IP limit is
     * one limit for all clients, and one busy client would block the rest. The client's own address is only in
     * X-Forwarded-For, whose first address (the one WAF's forwarded-IP keys read) the client writes itself. The
     * per-IP limit stays on the front's own web ACL. Default false.
     */
    withoutIpRateLimit?: boolean;
    /**
     * Requests per Authorization header (per token, scheme case and spacing normalised) per 5 minutes before
     * blocking. Default 600.
     */
    rateLimitPerToken?: number;
    /**
     * For a web ACL whose requests all carry one shared token (the entry point behind the AgentCore gateway: every
     * call to a server carries the gateway's client-credentials token of that server): `rate-per-token` would be one
     * limit for all users together, so it is replaced by `rate-per-host`, this many requests per Host (per server)
     * per 5 minutes, a ceiling sized for the gateway's aggregate load. The per-user limits stay on the front's own
     * web ACL, which sees the users' tokens. Default none (per-token).
     */
    rateLimitPerHost?: number;
    /**
     * Largest request body admitted, in bytes. Default 8192: a regional web ACL inspects only the first 8 KB of a
     * body, so anything longer could not be checked for JSON-RPC.
     */
    maxBodyBytes?: number;
    /** KMS key of the WAF log group. */
    logKmsKeyArn: pulumi.Input<string>;
    /** Days the WAF logs are kept. Default 365. */
    logRetentionDays?: number;
    tags?: Record<string, string>;
}

type Json = Record<string, unknown>;
const NONE = [{ Priority: 0, Type: "NONE" }];
// Bearer tokens differ in case and spacing only in their scheme ("Bearer", "bearer  "): normalised, one token is one key.
const TOKEN_KEY_TRANSFORMS = [{ Priority: 0, Type: "LOWERCASE" }, { Priority: 1, Type: "COMPRESS_WHITE_SPACE" }];
const visibility = (metric: string) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: metric });

/** Path of RFC 9728 protected resource metadata, which the load balancer serves itself (GET only). */
export const METADATA_PATH = "/.well-known/oauth-protected-resource";

/** Load balancer path patterns of the metadata: the path itself and everything below it (what the web ACL admits). */
export const METADATA_PATH_PATTERNS = [METADATA_PATH, `${METADATA_PATH}/*`];

/** HTTP methods of Streamable HTTP (MCP 2025-06-18 transports): POST messages, GET an SSE stream, DELETE a session. */
export const MCP_HTTP_METHODS = ["POST", "GET", "DELETE"] as const;

const method = (m: string): Json => ({ ByteMatchStatement: { SearchString: m, FieldToMatch: { Method: {} }, PositionalConstraint: "EXACTLY", TextTransformations: NONE } });
const path = (p: string, how: "EXACTLY" | "STARTS_WITH" = "EXACTLY"): Json => ({ ByteMatchStatement: { SearchString: p, FieldToMatch: { UriPath: {} }, PositionalConstraint: how, TextTransformations: NONE } });
const or = (statements: Json[]): Json => (statements.length === 1 ? statements[0] : { OrStatement: { Statements: statements } });
const and = (statements: Json[]): Json => ({ AndStatement: { Statements: statements } });
const not = (statement: Json): Json => ({ NotStatement: { Statement: statement } });

/**
 * JSON body inspection. Invalid JSON never matches, and neither does a body larger than WAF inspects (8 KB
 * regional): these statements admit requests, so anything they cannot read is not admitted (the size rule blocks it
 * first). Only documented combinations are used: VALUE scope at a JSON Pointer to a string member, and KEY scope over
 * all elements (every key of the document, at any depth).
 */
const jsonBody = (pattern: Json, scope: "VALUE" | "KEY"): Json => ({ JsonBody: { MatchPattern: pattern, MatchScope: scope, InvalidFallbackBehavior: "NO_MATCH", OversizeHandling: "NO_MATCH" } });

/** The string at `pointer` equals (or starts with) `value`. */
function jsonValue(pointer: string, value: string, how: "EXACTLY" | "STARTS_WITH" = "EXACTLY"): Json {
    return { ByteMatchStatement: { SearchString: value, FieldToMatch: jsonBody({ IncludedPaths: [pointer] }, "VALUE"), PositionalConstraint: how, TextTransformations: NONE } };
}

/** There is a string at `pointer` (any string, the empty one too). */
function jsonHasValue(pointer: string): Json {
    return { RegexMatchStatement: { RegexString: ".*", FieldToMatch: jsonBody({ IncludedPaths: [pointer] }, "VALUE"), TextTransformations: NONE } };
}

/** Some key of the document, at any depth, is `key`. */
function jsonAnyKey(key: string): Json {
    return { ByteMatchStatement: { SearchString: key, FieldToMatch: jsonBody({ All: {} }, "KEY"), PositionalConstraint: "EXACTLY", TextTransformations: NONE } };
}

/**
 * What a client may POST to an MCP endpoint: one JSON-RPC 2.0 message (no batch) that is a request or notification
 * whose method is on the allowlist, any `notifications/...` message, or a response to a server request: no `method`
 * string, and the keys `id` and `result` or `error` (anywhere in the document: WAF documents key inspection over all
 * elements, not key presence at a path; see the edge README for what that admits).
 */
export function mcpMessageStatement(allowedMethods: string[]): Json {
    return and([
        jsonValue("/jsonrpc", "2.0"),
        or([
            ...allowedMethods.map((m) => jsonValue("/method", m)),
            jsonValue("/method", "notifications/", "STARTS_WITH"),
            and([jsonAnyKey("id"), not(jsonHasValue("/method")), or([jsonAnyKey("result"), jsonAnyKey("error")])]),
        ]),
    ]);
}

/**
 * The web ACL rules, in the WAFv2 API's JSON form (`ruleJson`: the allow rules nest deeper than the provider's
 * typed `rules` allow). Pure, so tests and policies can read it. Block rules come first (managed groups, rate limits,
 * body size); then three Allow rules admit what MCP uses; the web ACL's default action blocks everything else.
 */
export function mcpWebAclRules(opts: { allowedMethods: string[]; rateLimitPerIp: number; rateLimitPerToken: number; maxBodyBytes: number; mcpPaths: string[]; withoutIpRateLimit?: boolean; rateLimitPerHost?: number }): Json[] {
    const managed = MANAGED_RULE_GROUPS.map((group, i) => ({
        Name: group,
        Priority: i,
        Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: group } },
        OverrideAction: { None: {} },
        VisibilityConfig: visibility(group),
    }));
    const n = managed.length;
    const onMcpPath = or(opts.mcpPaths.map((p) => path(p)));
    return [
        ...managed,
        ...(opts.withoutIpRateLimit ? [] : [{
            // Behind PrivateLink every request comes from an NLB address (see the edge README): then this limits the
            // zone as a whole, and the per-token rule is the per-client limit.
            Name: "rate-per-ip", Priority: n, Action: { Block: {} }, VisibilityConfig: visibility("rate-per-ip"),
            Statement: { RateBasedStatement: { Limit: opts.rateLimitPerIp, EvaluationWindowSec: 300, AggregateKeyType: "IP" } },
        }]),
        opts.rateLimitPerHost === undefined ? {
            Name: "rate-per-token", Priority: n + 1, Action: { Block: {} }, VisibilityConfig: visibility("rate-per-token"),
            Statement: { RateBasedStatement: { Limit: opts.rateLimitPerToken, EvaluationWindowSec: 300, AggregateKeyType: "CUSTOM_KEYS", CustomKeys: [{ Header: { Name: "authorization", TextTransformations: TOKEN_KEY_TRANSFORMS } }] } },
        } : {
            // One shared token behind the front: one ceiling per server (Host), never one user's limit for all.
            Name: "rate-per-host", Priority: n + 1, Action: { Block: {} }, VisibilityConfig: visibility("rate-per-host"),
            Statement: { RateBasedStatement: { Limit: opts.rateLimitPerHost, EvaluationWindowSec: 300, AggregateKeyType: "CUSTOM_KEYS", CustomKeys: [{ Header: { Name: "host", TextTransformations: [{ Priority: 0, Type: "LOWERCASE" }] } }] } },
        },
        {
            Name: "body-size-limit", Priority: n + 2, Action: { Block: {} }, VisibilityConfig: visibility("body-size-limit"),
            Statement: { SizeConstraintStatement: { FieldToMatch: { Body: { OversizeHandling: "MATCH" } }, ComparisonOperator: "GT", Size: opts.maxBodyBytes, TextTransformations: NONE } },
        },
        {
            // RFC 9728 metadata, answered by the load balancer: read-only, no body.
            Name: "allow-resource-metadata", Priority: n + 3, Action: { Allow: {} }, VisibilityConfig: visibility("allow-resource-metadata"),
            // Exactly the path or below it (the load balancer's metadata rule matches the same two patterns), never a
            // sibling such as ...-resource-admin, which the load balancer would route to the server.
            Statement: and([method("GET"), or([path(METADATA_PATH), path(`${METADATA_PATH}/`, "STARTS_WITH")])]),
        },
        {
            // Streamable HTTP: GET opens the server-to-client SSE stream, DELETE ends a session.
            Name: "allow-mcp-stream", Priority: n + 4, Action: { Allow: {} }, VisibilityConfig: visibility("allow-mcp-stream"),
            Statement: and([onMcpPath, or([method("GET"), method("DELETE")])]),
        },
        {
            Name: "allow-mcp-message", Priority: n + 5, Action: { Allow: {} }, VisibilityConfig: visibility("allow-mcp-message"),
            Statement: and([method("POST"), onMcpPath, mcpMessageStatement(opts.allowedMethods)]),
        },
    ];
}

/** The most web ACL capacity units a web ACL may use (AWS WAF quotas); above 1500 extra charges apply. */
export const MAX_WEB_ACL_WCU = 5000;

/** WCUs of AWS managed rule groups (AWS WAF developer guide, AWS Managed Rules list). */
export const MANAGED_GROUP_WCU: Record<string, number> = {
    AWSManagedRulesAmazonIpReputationList: 25,
    AWSManagedRulesAnonymousIpList: 50,
    AWSManagedRulesKnownBadInputsRuleSet: 200,
    AWSManagedRulesCommonRuleSet: 700,
};

/**
 * Web ACL capacity units of rules in the API's JSON form, by the AWS WAF developer guide: string match 2 (doubled for
 * a JSON body), regex match 3 (doubled for a JSON body), +10 per text transformation; size constraint 1; rate-based 2, +30 per custom key; logical statements
 * the sum of what they nest; managed groups their published capacity. A web ACL holds at most 5000 (1500 before
 * extra charges apply).
 */
export function webAclCapacity(rules: Json[]): number {
    const transforms = (t: unknown) => 10 * ((t as { Type: string }[] | undefined) ?? []).filter((x) => x.Type !== "NONE").length;
    const statement = (st: Record<string, any>): number => { // eslint-disable-line @typescript-eslint/no-explicit-any
        if (st.AndStatement || st.OrStatement) {
            return ((st.AndStatement ?? st.OrStatement).Statements as Json[]).reduce((sum, s) => sum + statement(s), 0);
        }
        if (st.NotStatement) {
            return statement(st.NotStatement.Statement);
        }
        if (st.ByteMatchStatement) {
            const b = st.ByteMatchStatement;
            const base = ["CONTAINS", "CONTAINS_WORD"].includes(b.PositionalConstraint) ? 10 : 2;
            return base * (b.FieldToMatch?.JsonBody ? 2 : 1) + transforms(b.TextTransformations);
        }
        if (st.RegexMatchStatement) {
            const r = st.RegexMatchStatement;
            return 3 * (r.FieldToMatch?.JsonBody ? 2 : 1) + transforms(r.TextTransformations);
        }
        if (st.SizeConstraintStatement) {
            return 1 + transforms(st.SizeConstraintStatement.TextTransformations);
        }
        if (st.RateBasedStatement) {
            const keys = (st.RateBasedStatement.CustomKeys ?? []) as Record<string, { TextTransformations?: unknown }>[];
            return 2 + keys.reduce((sum, k) => sum + 30 + transforms(Object.values(k)[0]?.TextTransformations), 0) + (st.RateBasedStatement.ScopeDownStatement ? statement(st.RateBasedStatement.ScopeDownStatement) : 0);
        }
        if (st.ManagedRuleGroupStatement) {
            const wcu = MANAGED_GROUP_WCU[st.ManagedRuleGroupStatement.Name];
            if (wcu === undefined) {
                throw new Error(`no known capacity for managed rule group ${st.ManagedRuleGroupStatement.Name}`);
            }
            return wcu;
        }
        throw new Error(`no capacity rule for statement ${Object.keys(st).join(", ")}`);
    };
    return rules.reduce((sum, r) => sum + statement(r.Statement as Json), 0);
}

/** Validates and fills in the arguments; throws a ConfigError naming the argument. Pure. */
export function resolveWebAclArgs(name: string, args: McpWebAclArgs) {
    const scope = args.scope ?? "REGIONAL";
    const rateLimitPerIp = args.rateLimitPerIp ?? 1000;
    const rateLimitPerToken = args.rateLimitPerToken ?? 600;
    const maxBodyBytes = args.maxBodyBytes ?? 8192;
    const allowedMethods = [...(args.allowedMethods ?? MCP_CLIENT_METHODS)];
    const mcpPaths = [...new Set(args.mcpPaths ?? ["/mcp"])];
    const key = (k: string) => `McpWebAcl "${name}".${k}`;
    for (const [k, v] of [["rateLimitPerIp", rateLimitPerIp], ["rateLimitPerToken", rateLimitPerToken], ...(args.rateLimitPerHost !== undefined ? [["rateLimitPerHost", args.rateLimitPerHost] as const] : [])] as const) {
        if (!Number.isInteger(v) || v < 10 || v > 2_000_000_000) {
            throw new ConfigError(key(k), `${v} is not allowed; expected an integer from 10 to 2000000000 (requests per 5 minutes)`);
        }
    }
    const maxInspectable = scope === "REGIONAL" ? 8192 : 65536;
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > maxInspectable) {
        throw new ConfigError(key("maxBodyBytes"), `${maxBodyBytes} is not allowed; expected 1 to ${maxInspectable} (what a ${scope} web ACL can inspect)`);
    }
    if (allowedMethods.length === 0 || allowedMethods.some((m) => !/^[a-z][A-Za-z0-9_/]{0,99}$/.test(m))) {
        throw new ConfigError(key("allowedMethods"), `${JSON.stringify(allowedMethods)} is not allowed; expected 1 or more JSON-RPC method names such as "tools/call"`);
    }
    if (mcpPaths.length === 0 || mcpPaths.length > 20 || mcpPaths.some((p) => !/^\/[A-Za-z0-9/_.-]{0,127}$/.test(p) || p.startsWith(METADATA_PATH))) {
        throw new ConfigError(key("mcpPaths"), `${JSON.stringify(mcpPaths)} is not allowed; expected 1 to 20 HTTP paths such as "/mcp" (not under ${METADATA_PATH})`);
    }
    return { scope, rateLimitPerIp, rateLimitPerToken, maxBodyBytes, allowedMethods, mcpPaths, withoutIpRateLimit: args.withoutIpRateLimit === true, ...(args.rateLimitPerHost !== undefined ? { rateLimitPerHost: args.rateLimitPerHost } : {}), logRetentionDays: args.logRetentionDays ?? 365 };
}

/**
 * A WAFv2 web ACL for MCP endpoints (controls S2, C5): AWS managed rule groups (IP reputation, anonymous IPs, known
 * bad inputs, common), rate limits per client IP and per bearer token, a body size limit, then an allow model: on
 * the MCP paths a POST of one JSON-RPC 2.0 message with an allowlisted method (or a notification, or a response to
 * the server), GET and DELETE (Streamable HTTP); GET of the RFC 9728 metadata; everything else blocked by default.
 * The Authorization header and cookies are replaced by `REDACTED` in everything WAF outputs (web ACL data
 * protection: sampled requests, logs, rule match details) and redacted again in the log configuration.
 */
export class McpWebAcl extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;
    public readonly logGroupArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    /** The web ACL's name (its CloudWatch metric dimension). */
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: McpWebAclArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const cfg = resolveWebAclArgs(name, args);
        const rules = mcpWebAclRules(cfg);
        const capacity = webAclCapacity(rules);
        if (capacity > MAX_WEB_ACL_WCU) {
            throw new ConfigError(`McpWebAcl "${name}".allowedMethods`, `${cfg.allowedMethods.length} methods and ${cfg.mcpPaths.length} paths need ${capacity} WCUs; a web ACL holds at most ${MAX_WEB_ACL_WCU} (allow fewer methods)`);
        }
        super("mcpsec:edge:McpWebAcl", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("edge", `${name}-${suffix}`, args.tags);
        const acl = new aws.wafv2.WebAcl(`${name}-acl`, {
            scope: cfg.scope,
            description: `MCP endpoints of ${name}: managed rules, rate limits, MCP allow model`,
            defaultAction: { block: {} },
            ruleJson: JSON.stringify(rules),
            // Web ACL level data protection applies to every output of WAF, sampled requests included (the log
            // configuration's redaction covers logs only).
            dataProtectionConfig: {
                dataProtections: [{
                    action: "SUBSTITUTION",
                    field: { fieldType: "SINGLE_HEADER", fieldKeys: ["authorization", "cookie"] },
                    excludeRateBasedDetails: false,
                    excludeRuleMatchDetails: false,
                }],
            },
            visibilityConfig: { sampledRequestsEnabled: true, cloudwatchMetricsEnabled: true, metricName: `${name}-acl` },
            tags: tags("acl"),
        }, parent);
        // WAF delivers only to log groups whose name starts with aws-waf-logs-.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-waf-logs`, {
            name: `aws-waf-logs-${name}`,
            retentionInDays: cfg.logRetentionDays,
            kmsKeyId: args.logKmsKeyArn,
            tags: tags("waf-logs"),
        }, parent);
        new aws.wafv2.WebAclLoggingConfiguration(`${name}-logging`, {
            resourceArn: acl.arn,
            logDestinationConfigs: [logGroup.arn],
            redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }],
        }, parent);
        this.arn = acl.arn;
        this.logGroupArn = logGroup.arn;
        this.logGroupName = logGroup.name;
        this.name = acl.name;
        this.registerOutputs({ arn: this.arn, logGroupArn: this.logGroupArn });
    }
}
