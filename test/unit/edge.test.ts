import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { InternalAlb, MANAGED_RULE_GROUPS, McpWebAcl, mcpWebAclRules, PrivateLinkNlb, resolveWebAclArgs } from "../../components/edge";
import { MCP_CLIENT_METHODS } from "../../components/mcp";
import { ofType, one, synthComponent } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";

describe("McpWebAcl", () => {
    let graph: ResourceGraph;
    let rules: Json[];
    beforeAll(async () => {
        graph = await synthComponent(() => new McpWebAcl("zone", { logKmsKeyArn: KEY }));
        rules = JSON.parse(one(graph, "aws:wafv2/webAcl:WebAcl").inputs.ruleJson as string);
    });

    it("starts with the AWS managed rule groups, counted not overridden", () => {
        const managed = rules.filter((r) => r.Statement.ManagedRuleGroupStatement);
        expect(managed.map((r) => r.Statement.ManagedRuleGroupStatement.Name)).toEqual([...MANAGED_RULE_GROUPS]);
        for (const r of managed) {
            expect(r.OverrideAction).toEqual({ None: {} });
        }
    });

    it("rate-limits per IP and per bearer token, and blocks bodies it cannot inspect", () => {
        const byName = Object.fromEntries(rules.map((r) => [r.Name, r]));
        expect(byName["rate-per-ip"].Statement.RateBasedStatement).toMatchObject({ Limit: 1000, AggregateKeyType: "IP" });
        expect(byName["rate-per-token"].Statement.RateBasedStatement).toMatchObject({ Limit: 600, AggregateKeyType: "CUSTOM_KEYS", CustomKeys: [{ Header: { Name: "authorization" } }] });
        expect(byName["body-size-limit"].Statement.SizeConstraintStatement).toMatchObject({ ComparisonOperator: "GT", Size: 8192, FieldToMatch: { Body: { OversizeHandling: "MATCH" } } });
        for (const name of ["rate-per-ip", "rate-per-token", "body-size-limit", "jsonrpc-2-only", "mcp-method-allowlist"]) {
            expect(byName[name].Action, name).toEqual({ Block: {} });
        }
    });

    it("admits only JSON-RPC 2.0 POST bodies, and only allowlisted MCP methods", () => {
        const byName = Object.fromEntries(rules.map((r) => [r.Name, r]));
        const [post, notVersion] = byName["jsonrpc-2-only"].Statement.AndStatement.Statements;
        expect(post.ByteMatchStatement).toMatchObject({ SearchString: "POST", FieldToMatch: { Method: {} } });
        expect(notVersion.NotStatement.Statement.ByteMatchStatement).toMatchObject({
            SearchString: "2.0", PositionalConstraint: "EXACTLY",
            FieldToMatch: { JsonBody: { MatchPattern: { IncludedPaths: ["/jsonrpc"] }, MatchScope: "VALUE", InvalidFallbackBehavior: "NO_MATCH" } },
        });
        const [, hasMethod, notAllowed] = byName["mcp-method-allowlist"].Statement.AndStatement.Statements;
        expect(hasMethod.ByteMatchStatement).toMatchObject({ SearchString: "method", FieldToMatch: { JsonBody: { MatchScope: "KEY" } } });
        const allowed = notAllowed.NotStatement.Statement.OrStatement.Statements.map((s: Json) => s.ByteMatchStatement.SearchString);
        expect(allowed).toEqual([...MCP_CLIENT_METHODS]);
        expect(allowed).toContain("tools/call");
        expect(allowed).not.toContain("sampling/createMessage");
    });

    it("gives every rule a unique priority and metric", () => {
        expect(new Set(rules.map((r) => r.Priority)).size).toBe(rules.length);
        expect(new Set(rules.map((r) => r.VisibilityConfig.MetricName)).size).toBe(rules.length);
    });

    it("logs to an encrypted aws-waf-logs- group with the Authorization header redacted", () => {
        const group = one(graph, "aws:cloudwatch/logGroup:LogGroup");
        expect(group.inputs).toMatchObject({ name: "aws-waf-logs-zone", kmsKeyId: KEY, retentionInDays: 365 });
        const logging = one(graph, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
        expect(logging.inputs.logDestinationConfigs).toEqual([group.outputs.arn]);
        expect(logging.inputs.redactedFields).toContainEqual({ singleHeader: { name: "authorization" } });
        expect(logging.inputs.resourceArn).toBe(one(graph, "aws:wafv2/webAcl:WebAcl").outputs.arn);
    });

    it("uses a single match when only one method is allowed", () => {
        const one_ = mcpWebAclRules({ allowedMethods: ["tools/call"], rateLimitPerIp: 100, rateLimitPerToken: 100, maxBodyBytes: 100 });
        const rule = one_.find((r) => r.Name === "mcp-method-allowlist") as Json;
        expect(rule.Statement.AndStatement.Statements[2].NotStatement.Statement.ByteMatchStatement.SearchString).toBe("tools/call");
    });

    it.each([
        [{ maxBodyBytes: 9000 }, /maxBodyBytes: 9000 is not allowed; expected 1 to 8192/],
        [{ rateLimitPerIp: 5 }, /rateLimitPerIp: 5 is not allowed/],
        [{ allowedMethods: [] }, /allowedMethods/],
        [{ allowedMethods: ["tools/call; DROP"] }, /allowedMethods/],
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
    routes: [{ name: "docs", host: "docs.mcp.example.com", port: 8080, healthCheckPath: "/health" }, { name: "tickets", host: "tickets.mcp.example.com", port: 9000, healthCheckPath: "/healthz" }],
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
        expect(groups.map((g) => [g.inputs.port, g.inputs.targetType, (g.inputs.healthCheck as Json).path])).toEqual([[8080, "ip", "/health"], [9000, "ip", "/healthz"]]);
        const rules = ofType(graph, "aws:lb/listenerRule:ListenerRule");
        expect(rules.map((r) => [r.inputs.priority, (r.inputs.conditions as Json[])[0].hostHeader.values[0], (r.inputs.actions as Json[])[0].targetGroupArn])).toEqual([
            [2000, "docs.mcp.example.com", groups[0].outputs.arn], [2001, "tickets.mcp.example.com", groups[1].outputs.arn],
        ]);
    });

    it("admits only the allowed networks and sends only into the zone", () => {
        const sg = one(graph, "aws:ec2/securityGroup:SecurityGroup");
        expect(sg.inputs.ingress).toEqual([expect.objectContaining({ protocol: "tcp", cidrBlocks: ["10.0.0.0/8"], fromPort: 443, toPort: 443 })]);
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

    it.each([
        [{ allowedPrincipals: ["*"] }, /allowedPrincipals: \["\*"\] is not allowed/],
        [{ allowedPrincipals: [] }, /allowedPrincipals/],
        [{ allowedCidrs: ["0.0.0.0/0"] }, /allowedCidrs/],
    ])("rejects %j", async (change, error) => {
        await expect(synthComponent(() => new PrivateLinkNlb("pl", { ...args, ...change }))).rejects.toThrow(error);
    });
});
