import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { ecrRepositoryOf, McpCluster, McpService, secretArnOf } from "../../components/compute";
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
const base = {
    vpcId: "vpc-0123", subnetIds: ["subnet-a", "subnet-b"], entrySecurityGroupId: "sg-entry", endpointSecurityGroupId: "sg-endpoints",
    s3PrefixListId: "pl-6da54004", kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/docs/0123",
};
const statements = (json: unknown) => (JSON.parse(json as string) as { Statement: { Sid?: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> }[] }).Statement;

describe("McpService", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthComponent(() => {
            const cluster = new McpCluster("zone");
            new McpService("docs", { ...base, server: spec, clusterArn: cluster.arn });
        });
    });

    it("runs the container read-only, non-root, unprivileged, with every capability dropped and an init process", () => {
        const task = one(graph, "aws:ecs/taskDefinition:TaskDefinition");
        expect(task.inputs).toMatchObject({ cpu: "512", memory: "1024", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"] });
        const [c] = JSON.parse(task.inputs.containerDefinitions as string);
        expect(c).toMatchObject({
            image: IMAGE, user: "65532:65532", readonlyRootFilesystem: true, privileged: false, memory: 1024,
            linuxParameters: { capabilities: { add: [], drop: ["ALL"] }, initProcessEnabled: true },
            portMappings: [{ containerPort: 8080, protocol: "tcp" }],
        });
        expect(c.mountPoints).toEqual([{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }]);
        expect(c.logConfiguration.options["awslogs-group"]).toBe(one(graph, "aws:cloudwatch/logGroup:LogGroup").outputs.name);
    });

    it("injects secrets from Secrets Manager and keeps plain environment free of them", () => {
        const [c] = JSON.parse(one(graph, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions as string);
        expect(c.secrets).toEqual([{ name: "API_TOKEN", valueFrom: `${SECRET}:token::` }]);
        expect(c.environment).toEqual([{ name: "LOG_LEVEL", value: "info" }]);
    });

    it("gives the execution role named actions on this server's repository, log group and secrets only", () => {
        const role = ofType(graph, "aws:iam/role:Role").find((r) => r.name === "docs-execution")!;
        const policy = ofType(graph, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "docs-execution")!;
        expect(policy.propertyDependencies.role).toEqual([role.urn]);
        const byId = Object.fromEntries(statements(policy.inputs.policy).map((s) => [s.Sid, s]));
        expect(byId.EcrLogin).toMatchObject({ Action: "ecr:GetAuthorizationToken", Resource: "*" });
        expect(byId.PullImage.Resource).toEqual([
            "arn:aws:ecr:eu-west-1:123456789012:repository/mcp/docs",
            "arn:aws:ecr:eu-west-1:123456789012:repository/mirror/docs",
        ]);
        expect(byId.WriteLogs.Resource).toBe(`${one(graph, "aws:cloudwatch/logGroup:LogGroup").outputs.arn}:log-stream:*`);
        expect(byId.ReadSecrets).toMatchObject({ Action: "secretsmanager:GetSecretValue", Resource: [SECRET] });
    });

    it("gives the task role no permission by default, and trusts only ECS tasks of this account", () => {
        expect(ofType(graph, "aws:iam/rolePolicy:RolePolicy").map((p) => p.name)).toEqual(["docs-execution"]);
        for (const role of ofType(graph, "aws:iam/role:Role")) {
            const [trust] = statements(role.inputs.assumeRolePolicy);
            expect(trust.Condition?.StringEquals?.["aws:SourceAccount"]).toBe("123456789012");
            expect(trust.Condition?.ArnLike?.["aws:SourceArn"]).toBe("arn:aws:ecs:eu-west-1:123456789012:*");
        }
    });

    it("admits only the entry point and lets out only HTTPS to the endpoints and S3", () => {
        const sg = one(graph, "aws:ec2/securityGroup:SecurityGroup");
        expect(sg.inputs.egress).toEqual([]);
        expect(sg.inputs.ingress ?? []).toEqual([]);
        const ingress = ofType(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        expect(ingress.map((r) => r.inputs)).toEqual([expect.objectContaining({ referencedSecurityGroupId: "sg-entry", ipProtocol: "tcp", fromPort: 8080, toPort: 8080 })]);
        const egress = ofType(graph, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => r.inputs);
        expect(egress).toEqual([
            expect.objectContaining({ referencedSecurityGroupId: "sg-endpoints", fromPort: 443, toPort: 443 }),
            expect.objectContaining({ prefixListId: "pl-6da54004", fromPort: 443, toPort: 443 }),
        ]);
        for (const rule of [...ingress.map((r) => r.inputs), ...egress]) {
            expect(rule.cidrIpv4, "no CIDR-wide rule").toBeUndefined();
        }
    });

    it("runs in private subnets without public IP or ECS Exec, and rolls back failed deployments", () => {
        const service = one(graph, "aws:ecs/service:Service");
        expect(service.inputs).toMatchObject({
            launchType: "FARGATE", desiredCount: 2, enableExecuteCommand: false,
            networkConfiguration: { subnets: ["subnet-a", "subnet-b"], assignPublicIp: false },
            deploymentCircuitBreaker: { enable: true, rollback: true },
            loadBalancers: [{ targetGroupArn: base.targetGroupArn, containerName: "docs", containerPort: 8080 }],
        });
    });

    it("keeps images in an immutable, scanned, KMS-encrypted repository and logs to an encrypted group", () => {
        expect(one(graph, "aws:ecr/repository:Repository").inputs).toMatchObject({
            name: "mcp/docs", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: base.kmsKeyArn }],
        });
        expect(one(graph, "aws:cloudwatch/logGroup:LogGroup").inputs).toMatchObject({ kmsKeyId: base.kmsKeyArn, retentionInDays: 365 });
        expect(one(graph, "aws:ecs/cluster:Cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);
    });

    it("isolates servers from each other: no shared role, group, repository or log group", async () => {
        const other = { ...spec, name: "tickets", secrets: {}, image: IMAGE.replace("mirror/docs", "mcp/tickets") };
        const g = await synthComponent(() => {
            new McpService("docs", { ...base, server: spec, clusterArn: "c" });
            new McpService("tickets", { ...base, server: other, clusterArn: "c" });
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
        [{ server: { ...spec, image: "docs:latest" } }, /McpService "docs".server.image: "docs:latest" is not allowed/],
    ])("refuses %j before creating anything", async (change, error) => {
        await expect(synthComponent(() => new McpService("docs", { ...base, server: spec, clusterArn: "c", ...change }))).rejects.toThrow(error);
    });

    it("parses image and secret references", () => {
        expect(ecrRepositoryOf(IMAGE)).toEqual({ account: "123456789012", region: "eu-west-1", repository: "mirror/docs" });
        expect(ecrRepositoryOf("ghcr.io/acme/docs@sha256:" + "a".repeat(64))).toBeUndefined();
        expect(secretArnOf(`${SECRET}:token:AWSCURRENT:`)).toBe(SECRET);
        expect(secretArnOf(SECRET)).toBe(SECRET);
    });
});
