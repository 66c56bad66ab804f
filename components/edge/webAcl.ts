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
    /** Requests per client IP per 5 minutes before blocking. Default 1000. */
    rateLimitPerIp?: number;
    /** Requests per Authorization header (per token) per 5 minutes before blocking. Default 600. */
    rateLimitPerToken?: number;
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
const visibility = (metric: string) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: metric });
const isPost: Json = { ByteMatchStatement: { SearchString: "POST", FieldToMatch: { Method: {} }, PositionalConstraint: "EXACTLY", TextTransformations: NONE } };

function jsonBodyMatch(path: string, value: string, scope: "VALUE" | "KEY"): Json {
    return {
        ByteMatchStatement: {
            SearchString: value,
            FieldToMatch: { JsonBody: { MatchPattern: { IncludedPaths: [path] }, MatchScope: scope, InvalidFallbackBehavior: "NO_MATCH", OversizeHandling: "MATCH" } },
            PositionalConstraint: "EXACTLY",
            TextTransformations: NONE,
        },
    };
}

/**
 * The web ACL rules, in the WAFv2 API's JSON form (`ruleJson`: the JSON-RPC rules nest deeper than the provider's
 * typed `rules` allow). Pure, so tests and policies can read it.
 */
export function mcpWebAclRules(opts: { allowedMethods: string[]; rateLimitPerIp: number; rateLimitPerToken: number; maxBodyBytes: number }): Json[] {
    const methodMatches = opts.allowedMethods.map((m) => jsonBodyMatch("/method", m, "VALUE"));
    const anyAllowed = methodMatches.length === 1 ? methodMatches[0] : { OrStatement: { Statements: methodMatches } };
    const managed = MANAGED_RULE_GROUPS.map((group, i) => ({
        Name: group,
        Priority: i,
        Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: group } },
        OverrideAction: { None: {} },
        VisibilityConfig: visibility(group),
    }));
    const n = managed.length;
    return [
        ...managed,
        {
            Name: "rate-per-ip", Priority: n, Action: { Block: {} }, VisibilityConfig: visibility("rate-per-ip"),
            Statement: { RateBasedStatement: { Limit: opts.rateLimitPerIp, EvaluationWindowSec: 300, AggregateKeyType: "IP" } },
        },
        {
            Name: "rate-per-token", Priority: n + 1, Action: { Block: {} }, VisibilityConfig: visibility("rate-per-token"),
            Statement: { RateBasedStatement: { Limit: opts.rateLimitPerToken, EvaluationWindowSec: 300, AggregateKeyType: "CUSTOM_KEYS", CustomKeys: [{ Header: { Name: "authorization", TextTransformations: NONE } }] } },
        },
        {
            Name: "body-size-limit", Priority: n + 2, Action: { Block: {} }, VisibilityConfig: visibility("body-size-limit"),
            Statement: { SizeConstraintStatement: { FieldToMatch: { Body: { OversizeHandling: "MATCH" } }, ComparisonOperator: "GT", Size: opts.maxBodyBytes, TextTransformations: NONE } },
        },
        {
            // A POST body must be a JSON-RPC 2.0 object; anything else (invalid JSON, batches, other versions) is blocked.
            Name: "jsonrpc-2-only", Priority: n + 3, Action: { Block: {} }, VisibilityConfig: visibility("jsonrpc-2-only"),
            Statement: { AndStatement: { Statements: [isPost, { NotStatement: { Statement: jsonBodyMatch("/jsonrpc", "2.0", "VALUE") } }] } },
        },
        {
            // Requests name a method from the allowlist; responses to server requests (no "method" key) pass.
            Name: "mcp-method-allowlist", Priority: n + 4, Action: { Block: {} }, VisibilityConfig: visibility("mcp-method-allowlist"),
            Statement: { AndStatement: { Statements: [isPost, jsonBodyMatch("/method", "method", "KEY"), { NotStatement: { Statement: anyAllowed } }] } },
        },
    ];
}

/** Validates and fills in the arguments; throws a ConfigError naming the argument. Pure. */
export function resolveWebAclArgs(name: string, args: McpWebAclArgs) {
    const scope = args.scope ?? "REGIONAL";
    const rateLimitPerIp = args.rateLimitPerIp ?? 1000;
    const rateLimitPerToken = args.rateLimitPerToken ?? 600;
    const maxBodyBytes = args.maxBodyBytes ?? 8192;
    const allowedMethods = [...(args.allowedMethods ?? MCP_CLIENT_METHODS)];
    const key = (k: string) => `McpWebAcl "${name}".${k}`;
    for (const [k, v] of [["rateLimitPerIp", rateLimitPerIp], ["rateLimitPerToken", rateLimitPerToken]] as const) {
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
    return { scope, rateLimitPerIp, rateLimitPerToken, maxBodyBytes, allowedMethods, logRetentionDays: args.logRetentionDays ?? 365 };
}

/**
 * A WAFv2 web ACL for MCP endpoints (controls S2, C5): AWS managed rule groups (IP reputation, anonymous IPs, known
 * bad inputs, common), rate limits per client IP and per bearer token, a body size limit, and JSON-RPC inspection
 * that admits only JSON-RPC 2.0 with MCP methods from an allowlist. Logs go to an encrypted `aws-waf-logs-*`
 * log group with the Authorization header redacted.
 */
export class McpWebAcl extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;
    public readonly logGroupArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    /** The web ACL's name (its CloudWatch metric dimension). */
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: McpWebAclArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const cfg = resolveWebAclArgs(name, args);
        super("mcpsec:edge:McpWebAcl", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("edge", `${name}-${suffix}`, args.tags);
        const acl = new aws.wafv2.WebAcl(`${name}-acl`, {
            scope: cfg.scope,
            description: `MCP endpoints of ${name}: managed rules, rate limits, JSON-RPC allowlist`,
            defaultAction: { allow: {} },
            ruleJson: JSON.stringify(mcpWebAclRules(cfg)),
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
