import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { InternalAlb, MANAGED_RULE_GROUPS, McpWebAcl, mcpWebAclRules, PrivateLinkNlb, resolveWebAclArgs, webAclCapacity } from "../../components/edge";
import { cidrContains, cidrsOverlap, cidrSubtract } from "../../components/common/cidr";
import { MCP_CLIENT_METHODS } from "../../components/mcp";
import { ofType, one, synthComponent } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";

/** A request as WAF sees it, for the evaluator below. */
interface Req { method: string; path: string; body?: string }

/**
 * Evaluates the custom rules of a web ACL (API JSON form) against a request, as WAF does: by priority, the first
 * matching rule with Allow or Block decides, else the default action. Managed groups and rate limits are not
 * modelled (they see no match here). Covers the statements McpWebAcl uses, and of JSON body inspection only what the
 * AWS WAF API reference documents (JsonBody, JsonMatchPattern): VALUE scope at a JSON Pointer inspects the string
 * there (nothing there: no match), KEY scope with All inspects every key at any depth. Anything else - KEY scope
 * with IncludedPaths, VALUE scope on a number, object or array - throws, so no test can rest on a guess.
 */
function decide(rules: Json[], defaultAction: "ALLOW" | "BLOCK", req: Req): string {
    const body = req.body ?? "";
    let parsed: unknown;
    let valid = true;
    try {
        parsed = JSON.parse(body);
    } catch {
        valid = false;
    }
    const at = (pointer: string) => pointer.split("/").slice(1).reduce<unknown>((v, k) => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json)[k] : undefined), parsed);
    const matches = (st: Json): boolean => {
        if (st.AndStatement) return st.AndStatement.Statements.every(matches);
        if (st.OrStatement) return st.OrStatement.Statements.some(matches);
        if (st.NotStatement) return !matches(st.NotStatement.Statement);
        if (st.SizeConstraintStatement) return Buffer.byteLength(body) > st.SizeConstraintStatement.Size;
        if (st.RateBasedStatement || st.ManagedRuleGroupStatement) return false;
        const b = st.ByteMatchStatement ?? st.RegexMatchStatement;
        const f = b.FieldToMatch;
        const test = (v: string) => (st.RegexMatchStatement ? new RegExp(b.RegexString).test(v)
            : b.PositionalConstraint === "EXACTLY" ? v === b.SearchString : b.PositionalConstraint === "STARTS_WITH" ? v.startsWith(b.SearchString) : unmodelled(`positional constraint ${b.PositionalConstraint}`));
        if (f.Method) return test(req.method);
        if (f.UriPath) return test(req.path);
        const jb = f.JsonBody;
        if (Buffer.byteLength(body) > 8192) return jb.OversizeHandling === "MATCH";
        if (!valid) return jb.InvalidFallbackBehavior === "MATCH";
        if (jb.MatchScope === "KEY" && jb.MatchPattern.All) return keysOf(parsed).some(test);
        if (jb.MatchScope === "VALUE" && jb.MatchPattern.IncludedPaths) {
            return (jb.MatchPattern.IncludedPaths as string[]).some((pointer) => {
                const v = at(pointer);
                if (v === undefined) return false;
                return typeof v === "string" ? test(v) : unmodelled(`VALUE scope on ${JSON.stringify(v)} at ${pointer}`);
            });
        }
        return unmodelled(`JsonBody ${jb.MatchScope} scope with ${Object.keys(jb.MatchPattern).join(", ")}`);
    };
    for (const r of [...rules].sort((a, b) => a.Priority - b.Priority)) {
        if (r.Action && matches(r.Statement)) {
            return r.Action.Allow ? `ALLOW by ${r.Name}` : `BLOCK by ${r.Name}`;
        }
    }
    return defaultAction;
}

const unmodelled = (what: string): never => {
    throw new Error(`the evaluator does not model ${what}: AWS does not document it`);
};
/** Every key of a JSON document, at any depth. */
const keysOf = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(keysOf)
    : v !== null && typeof v === "object" ? Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)]) : []);

/** Whether an ALB path pattern (case-sensitive; * any characters, ? one) matches a path. */
const albPathMatches = (pattern: string, p: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(p);

const rpc = (msg: Json) => JSON.stringify({ jsonrpc: "2.0", ...msg });

describe("McpWebAcl", () => {
    let graph: ResourceGraph;
    let acl: Json;
    let rules: Json[];
    beforeAll(async () => {
        graph = await synthComponent(() => new McpWebAcl("zone", { logKmsKeyArn: KEY }));
        acl = one(graph, "aws:wafv2/webAcl:WebAcl").inputs;
        rules = JSON.parse(acl.ruleJson as string);
    });

    it("starts with the AWS managed rule groups, not overridden to count", () => {
        const managed = rules.filter((r) => r.Statement.ManagedRuleGroupStatement);
        expect(managed.map((r) => r.Statement.ManagedRuleGroupStatement.Name)).toEqual([...MANAGED_RULE_GROUPS]);
        for (const r of managed) {
            expect(r.OverrideAction).toEqual({ None: {} });
            expect(r.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
        }
    });

    it("rate-limits per IP and per bearer token (case and spacing normalised), and blocks bodies it cannot inspect", () => {
        const byName = Object.fromEntries(rules.map((r) => [r.Name, r]));
        expect(byName["rate-per-ip"].Statement.RateBasedStatement).toMatchObject({ Limit: 1000, AggregateKeyType: "IP" });
        expect(byName["rate-per-token"].Statement.RateBasedStatement).toMatchObject({
            Limit: 600, AggregateKeyType: "CUSTOM_KEYS",
            CustomKeys: [{ Header: { Name: "authorization", TextTransformations: [{ Priority: 0, Type: "LOWERCASE" }, { Priority: 1, Type: "COMPRESS_WHITE_SPACE" }] } }],
        });
        expect(byName["body-size-limit"].Statement.SizeConstraintStatement).toMatchObject({ ComparisonOperator: "GT", Size: 8192, FieldToMatch: { Body: { OversizeHandling: "MATCH" } } });
        for (const name of ["rate-per-ip", "rate-per-token", "body-size-limit"]) {
            expect(byName[name].Action, name).toEqual({ Block: {} });
        }
    });

    it("blocks by default and admits only what MCP uses (allow model)", () => {
        expect(acl.defaultAction).toEqual({ block: {} });
        const allows = rules.filter((r) => r.Action?.Allow).map((r) => r.Name);
        expect(allows).toEqual(["allow-resource-metadata", "allow-mcp-stream", "allow-mcp-message"]);
        const message = rules.find((r) => r.Name === "allow-mcp-message")!;
        const methods = message.Statement.AndStatement.Statements[2].AndStatement.Statements[1].OrStatement.Statements
            .filter((st: Json) => st.ByteMatchStatement?.PositionalConstraint === "EXACTLY").map((st: Json) => st.ByteMatchStatement.SearchString);
        expect(methods).toEqual([...MCP_CLIENT_METHODS]);
        expect(methods).not.toContain("sampling/createMessage");
        const blocks = rules.filter((r) => r.Action?.Block || r.OverrideAction);
        expect(Math.max(...blocks.map((r) => r.Priority))).toBeLessThan(Math.min(...rules.filter((r) => r.Action?.Allow).map((r) => r.Priority)));
    });

    it.each<[string, Req, RegExp]>([
        ["a tools/call request", { method: "POST", path: "/mcp", body: rpc({ id: 1, method: "tools/call", params: { name: "get_page" } }) }, /^ALLOW by allow-mcp-message/],
        ["initialize", { method: "POST", path: "/mcp", body: rpc({ id: 0, method: "initialize", params: {} }) }, /^ALLOW/],
        ["any client notification", { method: "POST", path: "/mcp", body: rpc({ method: "notifications/roots/list_changed" }) }, /^ALLOW/],
        ["a response to a server request (result)", { method: "POST", path: "/mcp", body: rpc({ id: "s-1", result: { roots: [] } }) }, /^ALLOW/],
        ["an error response to a server request", { method: "POST", path: "/mcp", body: rpc({ id: 7, error: { code: -32601, message: "no" } }) }, /^ALLOW/],
        // Responses to sampling, elicitation and roots requests: admitted on documented inspection only (review finding 9).
        ["a sampling response (numeric id)", { method: "POST", path: "/mcp", body: rpc({ id: 3, result: { role: "assistant", content: { type: "text", text: "hi" }, model: "m" } }) }, /^ALLOW by allow-mcp-message/],
        ["an elicitation response", { method: "POST", path: "/mcp", body: rpc({ id: "e-1", result: { action: "accept", content: { name: "x" } } }) }, /^ALLOW by allow-mcp-message/],
        ["a ping response (empty result)", { method: "POST", path: "/mcp", body: rpc({ id: "p", result: {} }) }, /^ALLOW by allow-mcp-message/],
        ["GET of the SSE stream", { method: "GET", path: "/mcp" }, /^ALLOW by allow-mcp-stream/],
        ["DELETE of the session", { method: "DELETE", path: "/mcp" }, /^ALLOW by allow-mcp-stream/],
        ["the protected resource metadata", { method: "GET", path: "/.well-known/oauth-protected-resource/mcp" }, /^ALLOW by allow-resource-metadata/],
        // Everything below met no block rule before: the old checks only blocked bad POST bodies.
        ["a method off the allowlist", { method: "POST", path: "/mcp", body: rpc({ id: 1, method: "sampling/createMessage" }) }, /^BLOCK$/],
        ["a message with neither method nor result (old rule: no method key, so it passed)", { method: "POST", path: "/mcp", body: rpc({ id: 1, params: {} }) }, /^BLOCK$/],
        ["a response that also names a method", { method: "POST", path: "/mcp", body: rpc({ id: 1, result: {}, method: "x/y" }) }, /^BLOCK$/],
        ["a JSON-RPC batch", { method: "POST", path: "/mcp", body: JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "ping" }]) }, /^BLOCK$/],
        ["JSON-RPC 1.0", { method: "POST", path: "/mcp", body: JSON.stringify({ jsonrpc: "1.0", id: 1, method: "ping" }) }, /^BLOCK$/],
        ["invalid JSON", { method: "POST", path: "/mcp", body: "{method: tools/call" }, /^BLOCK$/],
        ["PUT on the MCP path", { method: "PUT", path: "/mcp", body: rpc({ id: 1, method: "ping" }) }, /^BLOCK$/],
        ["OPTIONS on the MCP path", { method: "OPTIONS", path: "/mcp" }, /^BLOCK$/],
        ["a GET on another path of the server", { method: "GET", path: "/admin" }, /^BLOCK$/],
        ["a valid message to another path", { method: "POST", path: "/debug", body: rpc({ id: 1, method: "tools/call" }) }, /^BLOCK$/],
        ["a POST to the metadata path", { method: "POST", path: "/.well-known/oauth-protected-resource", body: "{}" }, /^BLOCK$/],
        ["the metadata path itself", { method: "GET", path: "/.well-known/oauth-protected-resource" }, /^ALLOW by allow-resource-metadata/],
        // Admitted before (STARTS_WITH the path): the load balancer routes it to the server (review finding 10).
        ["a GET of a sibling of the metadata path", { method: "GET", path: "/.well-known/oauth-protected-resource-admin" }, /^BLOCK$/],
        ["a body larger than WAF inspects", { method: "POST", path: "/mcp", body: rpc({ id: 1, method: "tools/call", params: { q: "x".repeat(9000) } }) }, /^BLOCK by body-size-limit/],
    ])("decides %s", (_label, req, expected) => {
        expect(decide(rules, acl.defaultAction.block ? "BLOCK" : "ALLOW", req)).toMatch(expected);
    });

    it("admits GET of metadata paths exactly where the load balancer answers them itself", async () => {
        const g = await synthComponent(() => new InternalAlb("entry", { ...albArgs, routes: [{ ...albArgs.routes[0], metadataDocument: "{}" }] }));
        const metadataRule = ofType(g, "aws:lb/listenerRule:ListenerRule").find((r) => (r.inputs.actions as Json[])[0].type === "fixed-response")!;
        const patterns = (metadataRule.inputs.conditions as Json[]).find((c) => c.pathPattern)!.pathPattern.values as string[];
        const base = "/.well-known/oauth-protected-resource";
        for (const p of [base, `${base}/`, `${base}/mcp`, `${base}/v2/mcp`, `${base}-admin`, `${base}x`, `${base.toUpperCase()}`, "/.well-known/oauth-protected-resourc", "/mcp"]) {
            const waf = decide(rules, "BLOCK", { method: "GET", path: p }) === "ALLOW by allow-resource-metadata";
            expect(waf, p).toBe(patterns.some((pattern) => albPathMatches(pattern, p)));
        }
    });

    it("admits the paths of every server it protects", () => {
        const custom = mcpWebAclRules({ ...resolveWebAclArgs("zone", { logKmsKeyArn: KEY, mcpPaths: ["/mcp", "/v2/mcp"] }) });
        expect(decide(custom, "BLOCK", { method: "GET", path: "/v2/mcp" })).toMatch(/^ALLOW/);
        expect(decide(custom, "BLOCK", { method: "POST", path: "/v2/mcp", body: rpc({ id: 1, method: "tools/list" }) })).toMatch(/^ALLOW/);
        expect(decide(custom, "BLOCK", { method: "GET", path: "/v3/mcp" })).toBe("BLOCK");
    });

    it("gives every rule a unique priority and metric", () => {
        expect(new Set(rules.map((r) => r.Priority)).size).toBe(rules.length);
        expect(new Set(rules.map((r) => r.VisibilityConfig.MetricName)).size).toBe(rules.length);
    });

    it("fits the web ACL capacity: 1140 WCUs by the published costs, under the 1500 included and the 5000 maximum", () => {
        expect(webAclCapacity(rules)).toBe(1140);
        const many = Array.from({ length: 1000 }, (_, i) => `x/m${i}`);
        expect(() => new McpWebAcl("big", { logKmsKeyArn: KEY, allowedMethods: many })).toThrow(/McpWebAcl "big".allowedMethods: 1000 methods and 1 paths need \d+ WCUs; a web ACL holds at most 5000/);
    });

    it("never shows the Authorization header: data protection for sampled requests and logs, and log redaction", () => {
        expect(acl.dataProtectionConfig).toEqual({
            dataProtections: [{ action: "SUBSTITUTION", field: { fieldType: "SINGLE_HEADER", fieldKeys: ["authorization", "cookie"] }, excludeRateBasedDetails: false, excludeRuleMatchDetails: false }],
        });
        const group = one(graph, "aws:cloudwatch/logGroup:LogGroup");
        expect(group.inputs).toMatchObject({ name: "aws-waf-logs-zone", kmsKeyId: KEY, retentionInDays: 365 });
        const logging = one(graph, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
        expect(logging.inputs.logDestinationConfigs).toEqual([group.outputs.arn]);
        expect(logging.inputs.redactedFields).toContainEqual({ singleHeader: { name: "authorization" } });
        expect(logging.inputs.resourceArn).toBe(one(graph, "aws:wafv2/webAcl:WebAcl").outputs.arn);
    });

    it("uses a single match when only one method is allowed", () => {
        const one_ = mcpWebAclRules({ allowedMethods: ["tools/call"], rateLimitPerIp: 100, rateLimitPerToken: 100, maxBodyBytes: 100, mcpPaths: ["/mcp"] });
        const rule = one_.find((r) => r.Name === "allow-mcp-message") as Json;
        const anyOf = rule.Statement.AndStatement.Statements[2].AndStatement.Statements[1].OrStatement.Statements;
        expect(anyOf[0].ByteMatchStatement.SearchString).toBe("tools/call");
        expect(decide(one_, "BLOCK", { method: "POST", path: "/mcp", body: rpc({ id: 1, method: "tools/list" }) })).toBe("BLOCK");
    });

    it.each([
        [{ maxBodyBytes: 9000 }, /maxBodyBytes: 9000 is not allowed; expected 1 to 8192/],
        [{ rateLimitPerIp: 5 }, /rateLimitPerIp: 5 is not allowed/],
        [{ allowedMethods: [] }, /allowedMethods/],
        [{ allowedMethods: ["tools/call; DROP"] }, /allowedMethods/],
        [{ mcpPaths: [] }, /mcpPaths: \[\] is not allowed/],
        [{ mcpPaths: ["/.well-known/oauth-protected-resource/x"] }, /mcpPaths/],
    ])("rejects %j", (args, error) => {
        expect(() => resolveWebAclArgs("zone", { logKmsKeyArn: KEY, ...args })).toThrow(error);
    });

    it("lets a CloudFront web ACL inspect up to 64 KB", () => {
        expect(resolveWebAclArgs("zone", { logKmsKeyArn: KEY, scope: "CLOUDFRONT", maxBodyBytes: 65536 }).maxBodyBytes).toBe(65536);
    });
});

const albArgs = {
    vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"], vpcCidrBlock: "10.40.0.0/16", allowedCidrs: ["10.0.0.0/8"],
    certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e",
    webAclArn: "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/zone/id",
    routes: [{ name: "docs", host: "docs.mcp.example.com", port: 8443, healthCheckPath: "/health" }, { name: "tickets", host: "tickets.mcp.example.com", port: 9443, healthCheckPath: "/healthz" }],
};

describe("InternalAlb", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthComponent(() => new InternalAlb("entry", albArgs));
    });

    it("is internal, drops invalid headers, mitigates desync, logs access, resists deletion", () => {
        const lb = one(graph, "aws:lb/loadBalancer:LoadBalancer");
        const bucket = one(graph, "aws:s3/bucket:Bucket");
        expect(lb.inputs).toMatchObject({
            loadBalancerType: "application", internal: true, dropInvalidHeaderFields: true, desyncMitigationMode: "strictest",
            enableDeletionProtection: true, accessLogs: { enabled: true, bucket: bucket.outputs.bucket, prefix: "alb" },
        });
    });

    it("serves HTTPS with a TLS 1.2/1.3 policy and has no plain-HTTP listener", () => {
        const https = one(graph, "aws:lb/listener:Listener");
        expect(https.inputs).toMatchObject({ port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificateArn: albArgs.certificateArn });
        expect(https.inputs.defaultActions).toEqual([expect.objectContaining({ type: "fixed-response" })]);
    });

    it("is always associated with the web ACL", () => {
        const assoc = one(graph, "aws:wafv2/webAclAssociation:WebAclAssociation");
        expect(assoc.inputs).toEqual({ resourceArn: one(graph, "aws:lb/loadBalancer:LoadBalancer").outputs.arn, webAclArn: albArgs.webAclArn });
    });

    it("routes each server by host name to a target group of its own", () => {
        const groups = ofType(graph, "aws:lb/targetGroup:TargetGroup");
        expect(groups.map((g) => [g.inputs.port, g.inputs.targetType, (g.inputs.healthCheck as Json).path])).toEqual([[8443, "ip", "/health"], [9443, "ip", "/healthz"]]);
        const rules = ofType(graph, "aws:lb/listenerRule:ListenerRule");
        expect(rules.map((r) => [r.inputs.priority, (r.inputs.conditions as Json[])[0].hostHeader.values[0], (r.inputs.actions as Json[])[0].targetGroupArn])).toEqual([
            [2000, "docs.mcp.example.com", groups[0].outputs.arn], [2001, "tickets.mcp.example.com", groups[1].outputs.arn],
        ]);
    });

    it("sends requests and health checks to the targets (each server's guard) over HTTPS, plain HTTP only when a route opts out", async () => {
        for (const g of ofType(graph, "aws:lb/targetGroup:TargetGroup")) {
            expect(g.inputs).toMatchObject({ protocol: "HTTPS", protocolVersion: "HTTP1", healthCheck: { enabled: true, protocol: "HTTPS", port: "traffic-port" } });
        }
        const plain = await synthComponent(() => new InternalAlb("entry", { ...albArgs, routes: [{ ...albArgs.routes[0], port: 8080, plaintextTarget: true }] }));
        expect(one(plain, "aws:lb/targetGroup:TargetGroup").inputs).toMatchObject({ port: 8080, protocol: "HTTP", healthCheck: { protocol: "HTTP" } });
    });

    it("admits only the allowed networks, never the zone (whose tasks may send HTTPS inside it), and sends only into the zone", () => {
        const sg = one(graph, "aws:ec2/securityGroup:SecurityGroup");
        // 10.0.0.0/8 without the zone's 10.40.0.0/16 (workloadCidrs defaults to the zone's block).
        expect(sg.inputs.ingress).toEqual([expect.objectContaining({ protocol: "tcp", cidrBlocks: cidrSubtract(["10.0.0.0/8"], "10.40.0.0/16"), fromPort: 443, toPort: 443 })]);
        const admitted = (sg.inputs.ingress as { cidrBlocks: string[] }[])[0].cidrBlocks;
        expect(admitted).toHaveLength(8);
        expect(admitted.some((c) => cidrsOverlap(c, "10.40.0.0/16"))).toBe(false);
        expect(sg.inputs.egress).toEqual([expect.objectContaining({ cidrBlocks: ["10.40.0.0/16"], fromPort: 1024, toPort: 65535 })]);
    });

    it("keeps access logs in a private, versioned, encrypted, TLS-only bucket that only ELB log delivery may write to", () => {
        const pab = one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
        expect(pab.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        expect(one(graph, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
        expect(one(graph, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
        expect((one(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as Json[])[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
        const policy = JSON.parse(one(graph, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy as string);
        const bucketArn = one(graph, "aws:s3/bucket:Bucket").outputs.arn;
        expect(policy.Statement).toEqual([
            expect.objectContaining({ Effect: "Deny", Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            expect.objectContaining({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::156460612806:root" }, Action: "s3:PutObject", Resource: `${bucketArn}/alb/AWSLogs/123456789012/*` }),
        ]);
    });

    it.each([
        [{ allowedCidrs: ["0.0.0.0/0"] }, /allowedCidrs: \["0.0.0.0\/0"\] is not allowed/],
        [{ allowedCidrs: [] }, /allowedCidrs/],
        [{ sslPolicy: "ELBSecurityPolicy-2016-08" as never }, /sslPolicy: "ELBSecurityPolicy-2016-08" is not allowed/],
    ])("rejects %j before creating anything", async (change, error) => {
        await expect(synthComponent(() => new InternalAlb("entry", { ...albArgs, ...change }))).rejects.toThrow(error);
    });
});

describe("PrivateLinkNlb", () => {
    const args = { vpcId: "vpc-1", vpcCidrBlock: "10.40.0.0/16", subnetIds: ["subnet-a"], albArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/entry/1", allowedCidrs: ["10.50.0.0/16"], allowedPrincipals: ["arn:aws:iam::210987654321:root"] };

    it("publishes the ALB as an endpoint service that needs acceptance and names its consumers", async () => {
        const g = await synthComponent(() => new PrivateLinkNlb("pl", args));
        expect(one(g, "aws:lb/loadBalancer:LoadBalancer").inputs).toMatchObject({ loadBalancerType: "network", internal: true, enableDeletionProtection: true, enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: "on" });
        expect(one(g, "aws:ec2/vpcEndpointService:VpcEndpointService").inputs).toMatchObject({ acceptanceRequired: true, allowedPrincipals: args.allowedPrincipals });
        expect(one(g, "aws:lb/targetGroup:TargetGroup").inputs).toMatchObject({ targetType: "alb", port: 443, protocol: "TCP" });
        expect(one(g, "aws:lb/targetGroupAttachment:TargetGroupAttachment").inputs.targetId).toBe(args.albArn);
        expect(one(g, "aws:ec2/securityGroup:SecurityGroup").inputs.ingress).toEqual([expect.objectContaining({ cidrBlocks: ["10.50.0.0/16"], fromPort: 443 })]);
    });

    it("takes the servers' subnets out of the consumers' blocks, and uses a security group made beforehand when given", async () => {
        const g = await synthComponent(() => new PrivateLinkNlb("pl", { ...args, allowedCidrs: ["10.0.0.0/8"], workloadCidrs: ["10.40.0.0/20"] }));
        const admitted = (one(g, "aws:ec2/securityGroup:SecurityGroup").inputs.ingress as { cidrBlocks: string[] }[])[0].cidrBlocks;
        expect(admitted.some((c) => cidrsOverlap(c, "10.40.0.0/20"))).toBe(false);
        expect(admitted.some((c) => cidrContains(c, "10.40.16.0/20"))).toBe(true);
        const given = await synthComponent(() => new PrivateLinkNlb("pl", { ...args, securityGroupId: "sg-0given" }));
        expect(ofType(given, "aws:ec2/securityGroup:SecurityGroup")).toEqual([]);
        expect(one(given, "aws:lb/loadBalancer:LoadBalancer").inputs.securityGroups).toEqual(["sg-0given"]);
    });

    it.each([
        [{ allowedPrincipals: ["*"] }, /allowedPrincipals: \["\*"\] is not allowed/],
        [{ allowedPrincipals: [] }, /allowedPrincipals/],
        [{ allowedCidrs: ["0.0.0.0/0"] }, /allowedCidrs/],
        [{ allowedCidrs: ["10.40.0.0/16"] }, /allowedCidrs: \["10.40.0.0\/16"\] is not allowed; every block lies inside the servers' subnets/],
    ])("rejects %j", async (change, error) => {
        await expect(synthComponent(() => new PrivateLinkNlb("pl", { ...args, ...change }))).rejects.toThrow(error);
    });
});
