import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { ecrRepositoryOf, GUARD_CONTAINER, McpCluster, McpService, secretArnOf } from "../../components/compute";
import { guardDutyAgentRepositoryArn } from "../../components/detection";
import { McpServerSpec, toolDigest } from "../../components/mcp";
import { ofType, one, synthComponent } from "../helpers";

const tool = { name: "get_page", description: "Returns one page.", inputSchema: { type: "object", properties: { path: { type: "string" } } }, scopes: ["docs:read"] };
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/docs@sha256:${"d".repeat(64)}`;
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:docs/api-AbCdEf";
const spec: McpServerSpec = {
    name: "docs", image: IMAGE, port: 8080, cpu: 512, memory: 1024,
    environment: { LOG_LEVEL: "info" }, secrets: { API_TOKEN: `${SECRET}:token::` },
    tools: [{ ...tool, sha256: toolDigest(tool) }],
};
const GUARD_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}`;
const MANIFEST = "arn:aws:ssm:eu-west-1:123456789012:parameter/mcpsec/dev/docs/tools-manifest";
const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI";
const guard = {
    image: GUARD_IMAGE, issuer: ISSUER, resource: "https://docs.mcp.example.com/mcp", clientIds: ["people-client", "agent-client"],
    manifestParameterArn: MANIFEST, manifestKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", piiClasses: ["email"],
};
const base = {
    vpcId: "vpc-0123", subnetIds: ["subnet-a", "subnet-b"], entrySecurityGroupId: "sg-entry", endpointSecurityGroupId: "sg-endpoints",
    s3PrefixListId: "pl-6da54004", kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/docs/0123",
    guard,
};
type Container = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** The task's containers by name (the server's, and the guard's as mcp-guard). */
const containersOf = (g: ResourceGraph): Record<string, Container> => Object.fromEntries((JSON.parse(one(g, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions as string) as Container[]).map((c) => [c.name, c]));
/** The server's log group and the guard's (by name). */
const logGroup = (g: ResourceGraph, which: "server" | "guard") => ofType(g, "aws:cloudwatch/logGroup:LogGroup").find((r) => r.name === (which === "guard" ? "docs-guard-logs" : "docs-logs"))!;
const statements = (json: unknown) => (JSON.parse(json as string) as { Statement: { Sid?: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> }[] }).Statement;

describe("McpService", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthComponent(() => {
            const cluster = new McpCluster("zone");
            new McpService("docs", { ...base, server: spec, clusterArn: cluster.arn });
        });
    });

    it("runs the server read-only, non-root, unprivileged, with every capability dropped and an init process, and no port mapping", () => {
        const task = one(graph, "aws:ecs/taskDefinition:TaskDefinition");
        expect(task.inputs).toMatchObject({ cpu: "512", memory: "1024", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"] });
        const { docs: c } = containersOf(graph);
        expect(c).toMatchObject({
            image: IMAGE, user: "65532:65532", readonlyRootFilesystem: true, privileged: false, essential: true,
            linuxParameters: { capabilities: { add: [], drop: ["ALL"] }, initProcessEnabled: true },
        });
        // Behind the guard: reached on 127.0.0.1 inside the task only, nothing mapped for the load balancer.
        expect(c.portMappings).toEqual([]);
        expect(c.mountPoints).toEqual([{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }]);
        expect(c.logConfiguration.options["awslogs-group"]).toBe(logGroup(graph, "server").outputs.name);
        expect(c.logConfiguration.options["awslogs-stream-prefix"]).toBe("mcp");
    });

    it("runs the guard beside it as hardened as the server: pinned image, HTTPS on its port, its own log stream, a health check", () => {
        const { docs: server, [GUARD_CONTAINER]: g } = containersOf(graph);
        expect(g).toMatchObject({
            image: GUARD_IMAGE, essential: true, user: "65532:65532", readonlyRootFilesystem: true, privileged: false,
            linuxParameters: { capabilities: { add: [], drop: ["ALL"] }, initProcessEnabled: true },
            portMappings: [{ containerPort: 8443, protocol: "tcp" }],
            logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/mcpsec/docs/guard", "awslogs-stream-prefix": "guard" } },
        });
        // Its own group, not the server's: the server cannot write forged audit lines where McpAlerts counts them.
        expect(server.logConfiguration.options["awslogs-group"]).toBe("/mcpsec/docs");
        expect(logGroup(graph, "guard").inputs).toMatchObject({ name: "/mcpsec/docs/guard", kmsKeyId: base.kmsKeyArn, retentionInDays: 365 });
        expect(g.healthCheck.command.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
        expect(g.healthCheck.command[3]).toContain("port:8443,path:\"/health\"");
        // The task's size is shared: the two containers' limits add up to it.
        expect(g.cpu + server.cpu).toBe(512);
        expect(g.memory + server.memory).toBe(1024);
    });

    it("gives the guard its settings from the stack and the approved manifest from the SSM SecureString, and tells the server to bind loopback", () => {
        const { docs: server, [GUARD_CONTAINER]: g } = containersOf(graph);
        const env = Object.fromEntries((g.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]));
        expect(env).toEqual({
            GUARD_SERVER_NAME: "docs",
            GUARD_RESOURCE: "https://docs.mcp.example.com/mcp",
            GUARD_RESOURCE_METADATA_URL: "https://docs.mcp.example.com/.well-known/oauth-protected-resource/mcp",
            GUARD_ISSUER: ISSUER,
            GUARD_JWKS_URL: `${ISSUER}/.well-known/jwks.json`,
            GUARD_CLIENT_IDS: "people-client,agent-client",
            GUARD_UPSTREAM_URL: "http://127.0.0.1:8080/mcp",
            GUARD_LISTEN_PORT: "8443",
            GUARD_HEALTH_PATH: "/health",
            GUARD_TLS: "self-signed",
            GUARD_ALLOWED_HOSTS: "docs.mcp.example.com",
            GUARD_DLP_MODE: "redact",
            GUARD_DLP_PII: "email",
            // No mcpsec:approvals given: nothing required, and no key trusted (a signed manifest is refused too).
            GUARD_APPROVALS_REQUIRED: "false",
        });
        expect(g.secrets).toEqual([{ name: "GUARD_MANIFEST", valueFrom: MANIFEST }]);
        expect(server.environment).toContainEqual({ name: "HOST", value: "127.0.0.1" });
    });

    it("injects secrets from Secrets Manager and keeps plain environment free of them", () => {
        const { docs: c } = containersOf(graph);
        expect(c.secrets).toEqual([{ name: "API_TOKEN", valueFrom: `${SECRET}:token::` }]);
        expect(c.environment).toEqual([{ name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" }, { name: "HOST", value: "127.0.0.1" }, { name: "LOG_LEVEL", value: "info" }]);
    });

    it("points AWS SDKs at the regional STS endpoint (the zone's interface endpoint), unless the server sets the variable; HOST likewise", async () => {
        const own = await synthComponent(() => new McpService("docs", { ...base, server: { ...spec, environment: { AWS_STS_REGIONAL_ENDPOINTS: "legacy", HOST: "::1" } }, clusterArn: "c" }));
        expect(containersOf(own).docs.environment).toEqual([{ name: "AWS_STS_REGIONAL_ENDPOINTS", value: "legacy" }, { name: "HOST", value: "::1" }]);
    });

    it("gives the execution role named actions on this server's repository, log group and secrets only", () => {
        const role = ofType(graph, "aws:iam/role:Role").find((r) => r.name === "docs-execution")!;
        const policy = ofType(graph, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "docs-execution")!;
        expect(policy.propertyDependencies.role).toEqual([role.urn]);
        const byId = Object.fromEntries(statements(policy.inputs.policy).map((s) => [s.Sid, s]));
        expect(byId.EcrLogin).toMatchObject({ Action: "ecr:GetAuthorizationToken", Resource: "*" });
        expect(byId.PullImage.Resource).toEqual(["arn:aws:ecr:eu-west-1:123456789012:repository/mirror/docs", "arn:aws:ecr:eu-west-1:123456789012:repository/mcpsec/guard"]);
        expect(byId.WriteLogs.Resource).toEqual([`${logGroup(graph, "server").outputs.arn}:log-stream:*`, `${logGroup(graph, "guard").outputs.arn}:log-stream:*`]);
        expect(byId.ReadSecrets).toMatchObject({ Action: "secretsmanager:GetSecretValue", Resource: [SECRET] });
        // The guard's manifest: this one parameter, its key only through SSM.
        expect(byId.ReadGuardManifest).toEqual({ Sid: "ReadGuardManifest", Effect: "Allow", Action: "ssm:GetParameters", Resource: MANIFEST });
        expect(byId.DecryptGuardManifest).toEqual({
            Sid: "DecryptGuardManifest", Effect: "Allow", Action: "kms:Decrypt", Resource: guard.manifestKmsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" } },
        });
    });

    it("gives the task role no permission by default, and trusts only ECS tasks of this account", () => {
        expect(ofType(graph, "aws:iam/rolePolicy:RolePolicy").map((p) => p.name)).toEqual(["docs-execution"]);
        for (const role of ofType(graph, "aws:iam/role:Role")) {
            const [trust] = statements(role.inputs.assumeRolePolicy);
            expect(trust.Condition?.StringEquals?.["aws:SourceAccount"]).toBe("123456789012");
            expect(trust.Condition?.ArnLike?.["aws:SourceArn"]).toBe("arn:aws:ecs:eu-west-1:123456789012:*");
        }
    });

    it("admits only the entry point, on the guard's port only, and lets out only HTTPS to the endpoints, S3, and the issuer's JWKS through the firewall", () => {
        const sg = one(graph, "aws:ec2/securityGroup:SecurityGroup");
        // Rule resources only: inline rules beside them would make the provider overwrite one set with the other.
        expect(sg.inputs.egress).toBeUndefined();
        expect(sg.inputs.ingress).toBeUndefined();
        const ingress = ofType(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        // The guard's port, never the server's (8080): in awsvpc mode both share the task's interface.
        expect(ingress.map((r) => r.inputs)).toEqual([expect.objectContaining({ referencedSecurityGroupId: "sg-entry", ipProtocol: "tcp", fromPort: 8443, toPort: 8443 })]);
        const egress = ofType(graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.inputs);
        expect(egress).toHaveLength(4);
        expect(egress).toEqual(expect.arrayContaining([
            expect.objectContaining({ referencedSecurityGroupId: "sg-endpoints", fromPort: 443, toPort: 443 }),
            // GuardDuty's own guardduty-data endpoint: its security group admits the VPC block (looked up from vpcId).
            expect.objectContaining({ cidrIpv4: "10.0.0.0/16", fromPort: 443, toPort: 443 }),
            expect.objectContaining({ prefixListId: "pl-6da54004", fromPort: 443, toPort: 443 }),
            // Cognito serves the JWKS only on its public host: the zone routes it through the egress firewall.
            expect.objectContaining({ cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443, description: "HTTPS to the token issuer's JWKS, through the egress firewall" }),
        ]));
        for (const rule of [...ingress.map((r) => r.inputs), ...egress.filter((r) => !/guardduty-data|JWKS/.test(r.description as string))]) {
            expect(rule.cidrIpv4, "no other CIDR-wide rule").toBeUndefined();
        }
    });

    it("runs in private subnets without public IP or ECS Exec, and rolls back failed deployments", () => {
        const service = one(graph, "aws:ecs/service:Service");
        expect(service.inputs).toMatchObject({
            launchType: "FARGATE", desiredCount: 2, enableExecuteCommand: false,
            networkConfiguration: { subnets: ["subnet-a", "subnet-b"], assignPublicIp: false },
            deploymentCircuitBreaker: { enable: true, rollback: true },
            loadBalancers: [{ targetGroupArn: base.targetGroupArn, containerName: GUARD_CONTAINER, containerPort: 8443 }],
        });
    });

    it("opens one HTTPS egress rule when the server declares egress and its guard fetches the JWKS, and a narrower one for a JWKS inside the VPC", async () => {
        const both = await synthComponent(() => new McpService("docs", { ...base, server: { ...spec, egress: ["api.example.com"] }, clusterArn: "c" }));
        expect(ofType(both, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0")).toHaveLength(1);
        const inside = await synthComponent(() => new McpService("docs", { ...base, guard: { ...guard, jwksEgressCidr: "10.0.9.0/24" }, server: spec, clusterArn: "c" }));
        const rules = ofType(inside, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.inputs);
        expect(rules.filter((r) => r.cidrIpv4 === "0.0.0.0/0")).toEqual([]);
        expect(rules).toContainEqual(expect.objectContaining({ cidrIpv4: "10.0.9.0/24", fromPort: 443, toPort: 443 }));
    });

    it("with the issuer's keys given (guard.jwks): GUARD_JWKS instead of a URL, and no route out for the guard; never with jwksUrl", async () => {
        const jwks = JSON.stringify({ keys: [{ kty: "RSA", kid: "k1", n: Buffer.alloc(256, 0xc5).toString("base64url"), e: "AQAB" }] });
        const g = await synthComponent(() => new McpService("docs", { ...base, guard: { ...guard, jwks }, server: spec, clusterArn: "c" }));
        const env = Object.fromEntries((containersOf(g)[GUARD_CONTAINER].environment as { name: string; value: string }[]).map((e) => [e.name, e.value]));
        expect(env.GUARD_JWKS).toBe(jwks);
        expect(env.GUARD_JWKS_URL).toBeUndefined();
        const rules = ofType(g, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.inputs);
        expect(rules.filter((r) => r.cidrIpv4 === "0.0.0.0/0" || /JWKS/.test(String(r.description)))).toEqual([]);
        expect(() => new McpService("docs2", { ...base, guard: { ...guard, jwks, jwksUrl: "https://issuer.example.com/jwks" }, server: spec, clusterArn: "c" }))
            .toThrow(/McpService "docs2".guard.jwksUrl: is not allowed together with guard.jwks/);
    });

    it.each([
        ["a 1024-bit RSA key", { kty: "RSA", kid: "k1", n: Buffer.alloc(128, 0xc5).toString("base64url"), e: "AQAB" }, /1024-bit modulus; expected at least 2048 bits/],
        ["key_ops without verify", { kty: "RSA", kid: "k1", n: Buffer.alloc(256, 0xc5).toString("base64url"), e: "AQAB", key_ops: ["encrypt"] }, /key_ops \["encrypt"\]; .* must allow "verify"/],
        ["a private member", { kty: "RSA", kid: "k1", n: Buffer.alloc(256, 0xc5).toString("base64url"), e: "AQAB", d: "AQAB" }, /private or symmetric member "d"/],
    ])("refuses guard.jwks with %s at deploy, naming the key", async (_label, key, message) => {
        const jwks = JSON.stringify({ keys: [key] });
        await expect(synthComponent(() => new McpService("docs", { ...base, guard: { ...guard, jwks }, server: spec, clusterArn: "c" })))
            .rejects.toThrow(new RegExp(`McpService "docs".guard.jwks: is not allowed: .*${message.source}`));
    });

    it("exposes the server's own port only when explicitly unguarded", async () => {
        const g = await synthComponent(() => new McpService("docs", { ...base, guard: undefined, unguarded: true, server: spec, clusterArn: "c" }));
        expect(Object.keys(containersOf(g))).toEqual(["docs"]);
        // Unguarded: no guard group; the server's group holds its audit lines.
        expect(ofType(g, "aws:cloudwatch/logGroup:LogGroup").map((r) => r.name)).toEqual(["docs-logs"]);
        expect(containersOf(g).docs.portMappings).toEqual([{ containerPort: 8080, protocol: "tcp", name: "mcp", appProtocol: "http" }]);
        expect(containersOf(g).docs.environment.map((e: { name: string }) => e.name)).not.toContain("HOST");
        expect(one(g, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs).toMatchObject({ fromPort: 8080, toPort: 8080 });
        expect(one(g, "aws:ecs/service:Service").inputs.loadBalancers).toEqual([{ targetGroupArn: base.targetGroupArn, containerName: "docs", containerPort: 8080 }]);
    });

    it("references the image's repository instead of creating one, and logs to an encrypted group", () => {
        expect(ofType(graph, "aws:ecr/repository:Repository")).toEqual([]);
        expect(logGroup(graph, "server").inputs).toMatchObject({ kmsKeyId: base.kmsKeyArn, retentionInDays: 365 });
        expect(one(graph, "aws:ecs/cluster:Cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);
    });

    it("creates an immutable, scanned, KMS-encrypted repository only when asked, without colliding with the image's", async () => {
        // The image already lives in mcp/docs of this account: referencing it creates nothing (a second
        // `mcp/docs` would fail with RepositoryAlreadyExistsException); asking for a repository creates exactly one.
        const inOwn = { ...spec, image: IMAGE.replace("mirror/docs", "mcp/docs") };
        const GUARD_REPO = "arn:aws:ecr:eu-west-1:123456789012:repository/mcpsec/guard";
        // The guard's repository is pulled from as well; only the server's are of interest here.
        const pullOf = (g: ResourceGraph, n: string) => [statements(ofType(g, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === `${n}-execution`)!.inputs.policy).find((st) => st.Sid === "PullImage")?.Resource ?? []].flat().filter((r) => r !== GUARD_REPO);
        const referenced = await synthComponent(() => new McpService("docs", { ...base, server: inOwn, clusterArn: "c" }));
        expect(ofType(referenced, "aws:ecr/repository:Repository")).toEqual([]);
        expect(pullOf(referenced, "docs")).toEqual(["arn:aws:ecr:eu-west-1:123456789012:repository/mcp/docs"]);
        const created = await synthComponent(() => new McpService("docs", { ...base, server: inOwn, clusterArn: "c", createRepository: true }));
        expect(one(created, "aws:ecr/repository:Repository").inputs).toMatchObject({
            name: "mcp/docs", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: base.kmsKeyArn }],
        });
        expect(pullOf(created, "docs")).toEqual(["arn:aws:ecr:eu-west-1:123456789012:repository/mcp/docs"]);
        const mirrored = await synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c", createRepository: true }));
        expect(pullOf(mirrored, "docs")).toEqual([
            "arn:aws:ecr:eu-west-1:123456789012:repository/mcp/docs",
            "arn:aws:ecr:eu-west-1:123456789012:repository/mirror/docs",
        ]);
        const outside = await synthComponent(() => new McpService("docs", { ...base, server: { ...spec, image: `ghcr.io/acme/docs@sha256:${"e".repeat(64)}` }, clusterArn: "c" }));
        expect(pullOf(outside, "docs")).toEqual([]);
    });

    it("refuses a credential in plain environment by value, naming the variable but never the value", async () => {
        const token = ["ghp", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"].join("_");
        const run = synthComponent(() => new McpService("docs", { ...base, server: { ...spec, environment: { UPSTREAM: token } }, clusterArn: "c" }));
        await expect(run).rejects.toThrow(/McpService "docs".server.environment.UPSTREAM: holds a GitHub token/);
        await expect(run).rejects.not.toThrow(token);
    });

    it("isolates servers from each other: no shared role, group, repository or log group", async () => {
        const other = { ...spec, name: "tickets", secrets: {}, image: IMAGE.replace("mirror/docs", "mcp/tickets") };
        const g = await synthComponent(() => {
            new McpService("docs", { ...base, server: spec, clusterArn: "c" });
            new McpService("tickets", { ...base, guard: { ...guard, resource: "https://tickets.mcp.example.com/mcp", manifestParameterArn: MANIFEST.replace("/docs/", "/tickets/") }, server: other, clusterArn: "c" });
        });
        for (const type of ["aws:iam/role:Role", "aws:ec2/securityGroup:SecurityGroup", "aws:ecr/repository:Repository", "aws:cloudwatch/logGroup:LogGroup"]) {
            const ids = ofType(g, type).map((r) => r.id);
            expect(new Set(ids).size, type).toBe(ids.length);
        }
        const ticketsPolicy = ofType(g, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "tickets-execution")!;
        expect(ticketsPolicy.inputs.policy).not.toContain("docs");
    });

    it.each([
        [{ taskRoleStatements: [{ Effect: "Allow" as const, Action: "s3:*", Resource: "*" }] }, /taskRoleStatements\[0\].Action: "s3:\*" is not allowed/],
        [{ taskRoleStatements: [{ Effect: "Allow" as const, Action: ["s3:GetObject", "*"], Resource: "*" }] }, /"\*" is not allowed/],
        // Accepted before (issue 17 review, finding 8): named data actions on every resource, PassRole on any role.
        [{ taskRoleStatements: [{ Effect: "Allow" as const, Action: ["secretsmanager:GetSecretValue", "s3:PutObject"], Resource: "*" }] }, /taskRoleStatements\[0\].Resource: "\*" is not allowed for secretsmanager:GetSecretValue, s3:PutObject/],
        [{ taskRoleStatements: [{ Effect: "Allow" as const, Action: "s3:GetObject", Resource: "arn:aws:s3:::*/*" }] }, /Resource: "arn:aws:s3:::\*\/\*" is not allowed for s3:GetObject/],
        [{ taskRoleStatements: [{ Effect: "Allow" as const, Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:*" }] }, /Resource: "arn:aws:iam::123456789012:\*" is not allowed for iam:PassRole/],
        [{ server: { ...spec, image: "docs:latest" } }, /McpService "docs".server.image: "docs:latest" is not allowed/],
        [{ guard: undefined }, /McpService "docs".guard: is required but missing; .*unguarded: true/],
        [{ unguarded: true }, /McpService "docs".unguarded: true is not allowed together with guard/],
        [{ guard: { ...guard, image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard:1.0" } }, /guard.image: ".*guard:1.0" is not allowed; expected the guard image pinned by digest/],
        [{ guard: { ...guard, port: 8080 } }, /guard.port: 8080 is not allowed; expected a port from 1024 to 65535 other than the server's own \(8080\)/],
        [{ guard: { ...guard, resource: "http://docs.mcp.example.com/mcp" } }, /guard.resource: "http:\/\/docs.mcp.example.com\/mcp" is not allowed/],
        [{ guard: { ...guard, clientIds: [] } }, /guard.clientIds: \[\] is not allowed/],
    ])("refuses %j before creating anything", async (change, error) => {
        await expect(synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c", ...change }))).rejects.toThrow(error);
    });

    it("accepts named data actions on named resources and wildcard-only actions on \"*\" in taskRoleStatements", async () => {
        const statements = [
            { Effect: "Allow" as const, Action: ["secretsmanager:GetSecretValue"], Resource: SECRET },
            { Effect: "Allow" as const, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-corpus/*" },
            { Effect: "Allow" as const, Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
        ];
        const g = await synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c", taskRoleStatements: statements }));
        expect(JSON.parse(ofType(g, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "docs-task")!.inputs.policy as string).Statement).toEqual(statements);
    });

    it("parses image and secret references", () => {
        expect(ecrRepositoryOf(IMAGE)).toEqual({ account: "123456789012", region: "eu-west-1", repository: "mirror/docs", url: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/docs" });
        expect(ecrRepositoryOf("ghcr.io/acme/docs@sha256:" + "a".repeat(64))).toBeUndefined();
        expect(secretArnOf(`${SECRET}:token:AWSCURRENT:`)).toBe(SECRET);
        expect(secretArnOf(SECRET)).toBe(SECRET);
    });
});

describe("McpService and GuardDuty Runtime Monitoring, secrets under a customer key", () => {
    const secretsOf = (g: ResourceGraph) => Object.fromEntries(statements(ofType(g, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "docs-execution")!.inputs.policy).map((s) => [s.Sid, s]));

    it("lets the execution role pull the region's GuardDuty agent and the task reach GuardDuty's endpoint in the VPC", async () => {
        const g = await synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c", vpcCidrBlock: "10.40.0.0/16" }));
        const byId = secretsOf(g);
        expect(byId.PullGuardDutyAgent).toMatchObject({
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            Resource: "arn:aws:ecr:eu-west-1:694911143906:repository/aws-guardduty-agent-fargate",
        });
        const egress = ofType(g, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").find((r) => r.name === "docs-to-guardduty")!;
        expect(egress.inputs).toMatchObject({ cidrIpv4: "10.40.0.0/16", ipProtocol: "tcp", fromPort: 443, toPort: 443 });
    });

    it("uses the GovCloud partition and repository there, and grants nothing for the agent when opted out", async () => {
        expect(guardDutyAgentRepositoryArn("us-gov-west-1")).toBe("arn:aws-us-gov:ecr:us-gov-west-1:383110348953:repository/aws-guardduty-agent-fargate");
        expect(guardDutyAgentRepositoryArn("us-east-1", "aws")).toBe("arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate");
        expect(guardDutyAgentRepositoryArn("xx-nowhere-1")).toBeUndefined();
        const off = await synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c", disableGuardDutyAgent: true }));
        expect(secretsOf(off).PullGuardDutyAgent).toBeUndefined();
        expect(ofType(off, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.name)).not.toContain("docs-to-guardduty");
    });

    it("lets the execution role decrypt its secrets with their key, only through Secrets Manager", async () => {
        const g = await synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c" }));
        expect(secretsOf(g).DecryptSecrets).toEqual({
            Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: [base.kmsKeyArn],
            Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
        });
        const other = "arn:aws:kms:eu-west-1:123456789012:key/secrets";
        const g2 = await synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c", secretsKmsKeyArns: [other] }));
        expect(secretsOf(g2).DecryptSecrets.Resource).toEqual([other]);
        const none = await synthComponent(() => new McpService("docs", { ...base, server: { ...spec, secrets: {} }, clusterArn: "c" }));
        expect(secretsOf(none).DecryptSecrets).toBeUndefined();
    });
});
