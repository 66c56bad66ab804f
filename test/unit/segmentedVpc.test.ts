import { beforeAll, describe, expect, it } from "vitest";
import { MAX_ALLOWED_CIDRS, naclSourceCidrs, resolveSegmentedVpcArgs, SegmentedVpc } from "../../components/network";
import { endpointPolicy } from "../../components/network/endpointPolicies";
import { guardDutyAgentRepositoryArn } from "../../components/detection/guardDutyAgent";
import { validateBlueprintConfig } from "../../components/config";
import { toolDigest } from "../../components/mcp";
import { parseCidr } from "../../components/common/cidr";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { ofType, one, synthComponent } from "../helpers";

interface NaclEntry { ruleNo: number; action: string; protocol: string; cidrBlock: string; fromPort: number; toPort: number }

/** What a stateless NACL does with one TCP packet: the lowest-numbered matching entry decides; none matching denies. */
function naclAdmits(entries: NaclEntry[], peer: string, port: number): boolean {
    const ip = parseCidr(`${peer}/32`).base;
    const inBlock = (cidr: string) => {
        const { base, prefix } = parseCidr(cidr);
        return Math.floor(ip / 2 ** (32 - prefix)) === Math.floor(base / 2 ** (32 - prefix));
    };
    const match = [...entries].sort((a, b) => a.ruleNo - b.ruleNo)
        .find((e) => ["tcp", "6", "-1", "all"].includes(e.protocol) && inBlock(e.cidrBlock) && e.fromPort <= port && port <= e.toPort);
    return match?.action === "allow";
}

/** A TCP connection from `client` to port 443 inside the zone and its replies to the client's ephemeral port. */
function httpsRoundTrip(nacl: GraphResource, client: string, clientPort = 50123): { request: boolean; reply: boolean } {
    return {
        request: naclAdmits(nacl.inputs.ingress as NaclEntry[], client, 443),
        reply: naclAdmits(nacl.inputs.egress as NaclEntry[], client, clientPort),
    };
}

interface Statement {
    Effect: string;
    Principal?: { AWS?: string; Service?: string };
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string>>;
}

const policyOf = (json: unknown): Statement[] => (JSON.parse(json as string) as { Statement: Statement[] }).Statement;

describe("SegmentedVpc", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthComponent(() => new SegmentedVpc("zone", { cidrBlock: "10.8.0.0/16", tags: { owner: "sec" } }));
    });

    it("is one component whose children all have it as parent", () => {
        const component = one(graph, "mcpsec:network:SegmentedVpc");
        const children = graph.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
        expect(children.length).toBeGreaterThan(10);
        for (const r of children) {
            expect(r.parent, r.urn).toBe(component.urn);
            expect(r.name.startsWith("zone-"), r.name).toBe(true);
        }
    });

    it("creates private subnets only, one per zone, carved from the VPC block, with no public IPs", () => {
        const subnets = ofType(graph, "aws:ec2/subnet:Subnet");
        expect(subnets.map((s) => s.inputs.cidrBlock)).toEqual(["10.8.0.0/20", "10.8.16.0/20", "10.8.32.0/20"]);
        expect(new Set(subnets.map((s) => s.inputs.availabilityZone))).toEqual(new Set(["eu-west-1a", "eu-west-1b", "eu-west-1c"]));
        for (const s of subnets) {
            expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
        }
    });

    it("has no route to the internet", () => {
        for (const type of ["aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/route:Route", "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"]) {
            expect(ofType(graph, type), type).toHaveLength(0);
        }
        expect(one(graph, "aws:ec2/routeTable:RouteTable").inputs.routes ?? []).toEqual([]);
        expect(one(graph, "aws:ec2/defaultRouteTable:DefaultRouteTable").inputs.routes).toEqual([]);
    });

    it("strips the default security group and default NACL of all rules", () => {
        const sg = one(graph, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
        expect(sg.inputs.ingress).toEqual([]);
        expect(sg.inputs.egress).toEqual([]);
        const vpc = one(graph, "aws:ec2/vpc:Vpc");
        expect(sg.propertyDependencies.vpcId).toEqual([vpc.urn]);
        const nacl = one(graph, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl");
        expect(nacl.inputs.ingress ?? []).toEqual([]);
        expect(nacl.inputs.egress ?? []).toEqual([]);
        expect(nacl.inputs.defaultNetworkAclId).toBe(vpc.outputs.defaultNetworkAclId);
    });

    it("attaches a NACL to every subnet that opens no administrative port to the internet", () => {
        const nacl = one(graph, "aws:ec2/networkAcl:NetworkAcl");
        const subnetIds = ofType(graph, "aws:ec2/subnet:Subnet").map((s) => s.id);
        expect(nacl.inputs.subnetIds).toEqual(subnetIds);
        const open = (nacl.inputs.ingress as { cidrBlock: string; fromPort: number; toPort: number; protocol: string }[])
            .filter((r) => r.cidrBlock === "0.0.0.0/0");
        for (const rule of open) {
            expect(rule.protocol).toBe("tcp");
            for (const port of [22, 3389]) {
                expect(rule.fromPort <= port && port <= rule.toPort, `${port} in ${rule.fromPort}-${rule.toPort}`).toBe(false);
            }
        }
        for (const rule of nacl.inputs.ingress as { cidrBlock: string }[]) {
            expect(["10.8.0.0/16", "0.0.0.0/0"]).toContain(rule.cidrBlock);
        }
        // Without allowed networks, nothing outside the zone may open a connection to it.
        expect(httpsRoundTrip(nacl, "172.16.5.10").request).toBe(false);
    });

    it("admits HTTPS from each allowed enterprise network, and the replies to it, and nothing else from there", async () => {
        const g = await synthComponent(() => new SegmentedVpc("zone", { cidrBlock: "10.8.0.0/16", allowedCidrs: ["172.16.0.0/12", "192.168.10.0/24"] }));
        const nacl = one(g, "aws:ec2/networkAcl:NetworkAcl");
        for (const client of ["172.16.5.10", "172.31.255.1", "192.168.10.200"]) {
            expect(httpsRoundTrip(nacl, client, 50123), client).toEqual({ request: true, reply: true });
            expect(httpsRoundTrip(nacl, client, 1024), client).toEqual({ request: true, reply: true });
            // Below the ephemeral range only 443 is open to them (1024 and up is return traffic from anywhere, as before).
            for (const port of [22, 80, 3389]) {
                expect(naclAdmits(nacl.inputs.ingress as NaclEntry[], client, port), `${client}:${port}`).toBe(false);
            }
        }
        // A network that is not listed still cannot open a connection.
        expect(httpsRoundTrip(nacl, "192.168.11.1").request).toBe(false);
        expect(httpsRoundTrip(nacl, "203.0.113.9").request).toBe(false);
    });

    it("keeps the NACL within AWS's default 20 rules per direction and says how many networks fit", async () => {
        const allowed = Array.from({ length: MAX_ALLOWED_CIDRS }, (_, i) => `172.${16 + i}.0.0/16`);
        const g = await synthComponent(() => new SegmentedVpc("zone", { allowedCidrs: allowed }));
        const nacl = one(g, "aws:ec2/networkAcl:NetworkAcl");
        for (const direction of ["ingress", "egress"]) {
            const entries = nacl.inputs[direction] as NaclEntry[];
            expect(entries.length, direction).toBeLessThanOrEqual(20);
            expect(new Set(entries.map((e) => e.ruleNo)).size, direction).toBe(entries.length);
        }
        expect(() => resolveSegmentedVpcArgs({ allowedCidrs: [...allowed, "192.168.0.0/16"] })).toThrow(/allowedCidrs: 17 separate networks is not allowed; allowed: at most 16 \(a network ACL holds 20 rules per direction by default/);
    });

    it("gives no NACL entry to networks inside the zone or inside another listed network", () => {
        expect(naclSourceCidrs("10.40.0.0/16", ["10.40.0.0/16", "10.40.8.0/24", "172.16.0.0/12", "172.20.0.0/16", "10.0.0.0/8"])).toEqual(["172.16.0.0/12", "10.0.0.0/8"]);
    });

    it("attaches the private subnets to a Transit Gateway and routes each enterprise network to it", async () => {
        const g = await synthComponent(() => new SegmentedVpc("zone", { cidrBlock: "10.8.0.0/16", transitGateway: { id: "tgw-0123456789abcdef0", routes: ["172.16.0.0/12", "192.168.0.0/16"] } }));
        const attachment = one(g, "aws:ec2transitgateway/vpcAttachment:VpcAttachment");
        expect(attachment.inputs).toMatchObject({
            transitGatewayId: "tgw-0123456789abcdef0", vpcId: one(g, "aws:ec2/vpc:Vpc").id, dnsSupport: "enable", applianceModeSupport: "disable",
            subnetIds: ofType(g, "aws:ec2/subnet:Subnet").map((s) => s.id),
        });
        const table = one(g, "aws:ec2/routeTable:RouteTable");
        const routes = ofType(g, "aws:ec2/route:Route");
        expect(routes.map((r) => [r.inputs.routeTableId, r.inputs.destinationCidrBlock, r.inputs.transitGatewayId])).toEqual([
            [table.id, "172.16.0.0/12", "tgw-0123456789abcdef0"], [table.id, "192.168.0.0/16", "tgw-0123456789abcdef0"],
        ]);
        for (const r of routes) {
            expect(r.dependencies).toContain(attachment.urn);
        }
    });

    it("limits every endpoint to this account's principals and resources, plus the AWS-owned resources a task needs", () => {
        const endpoints = ofType(graph, "aws:ec2/vpcEndpoint:VpcEndpoint");
        expect(endpoints.length).toBe(7);
        for (const e of endpoints) {
            const doc = JSON.parse(e.inputs.policy as string) as { Statement: Statement[] };
            const svc = String(e.inputs.serviceName).split(".").slice(3).join(".");
            for (const st of doc.Statement) {
                expect(st.Effect, `${svc} ${JSON.stringify(st)}`).toBe("Allow");
                const conditions = st.Condition?.StringEquals ?? {};
                if (conditions["aws:PrincipalAccount"] === undefined) {
                    // Only the ECR layer bucket is read without a principal condition (pre-signed by ECR).
                    expect([svc, st.Action, st.Resource]).toEqual(["s3", "s3:GetObject", "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"]);
                } else {
                    expect(conditions["aws:PrincipalAccount"]).toBe("123456789012");
                    if (st.Resource === "*" && st.Action === "*") {
                        expect(conditions["aws:ResourceAccount"], svc).toBe("123456789012");
                    }
                }
            }
            if (svc === "ecr.api" || svc === "ecr.dkr") {
                const agent = doc.Statement.find((st) => st.Resource === "arn:aws:ecr:eu-west-1:694911143906:repository/aws-guardduty-agent-fargate");
                expect(agent?.Action, svc).toEqual(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]);
            }
        }
    });

    it("admits the agent repository it is given, and none where AWS documents none", async () => {
        const ecrPolicies = (g: ResourceGraph) => ofType(g, "aws:ec2/vpcEndpoint:VpcEndpoint").filter((e) => /\.ecr\.(api|dkr)$/.test(String(e.inputs.serviceName))).map((e) => String(e.inputs.policy));
        const none = await synthComponent(() => new SegmentedVpc("zone"), "xx-nowhere-1");
        expect(ecrPolicies(none)).toHaveLength(2);
        for (const policy of ecrPolicies(none)) {
            expect(policy).not.toContain("GuardDutyAgentImage");
        }
        const arn = "arn:aws:ecr:xx-nowhere-1:111122223333:repository/aws-guardduty-agent-fargate";
        const given = await synthComponent(() => new SegmentedVpc("zone", { guardDutyAgentRepositoryArn: arn }), "xx-nowhere-1");
        for (const policy of ecrPolicies(given)) {
            expect(policy).toContain(arn);
        }
    });

    it("reaches AWS services through endpoints admitted only from inside the zone", () => {
        const endpoints = ofType(graph, "aws:ec2/vpcEndpoint:VpcEndpoint");
        const services = endpoints.map((e) => e.inputs.serviceName).sort();
        expect(services).toEqual(["ecr.api", "ecr.dkr", "kms", "logs", "s3", "secretsmanager", "sts"].map((s) => `com.amazonaws.eu-west-1.${s}`).sort());
        const sg = one(graph, "aws:ec2/securityGroup:SecurityGroup");
        expect(sg.inputs.ingress).toEqual([expect.objectContaining({ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.8.0.0/16"] })]);
        expect(sg.inputs.egress).toEqual([]);
        for (const e of endpoints.filter((x) => x.inputs.vpcEndpointType === "Interface")) {
            expect(e.inputs.privateDnsEnabled).toBe(true);
            expect(e.inputs.securityGroupIds).toEqual([sg.id]);
        }
    });

    it("logs ALL traffic to a KMS-encrypted log group with retention, through a role scoped to that group", () => {
        const vpc = one(graph, "aws:ec2/vpc:Vpc");
        const flowLog = one(graph, "aws:ec2/flowLog:FlowLog");
        const group = one(graph, "aws:cloudwatch/logGroup:LogGroup");
        const key = one(graph, "aws:kms/key:Key");
        const role = one(graph, "aws:iam/role:Role");
        expect(flowLog.inputs).toMatchObject({ trafficType: "ALL", vpcId: vpc.id, logDestination: group.outputs.arn, iamRoleArn: role.outputs.arn, logDestinationType: "cloud-watch-logs" });
        expect(group.inputs).toMatchObject({ retentionInDays: 365, kmsKeyId: key.outputs.arn });

        const trust = policyOf(role.inputs.assumeRolePolicy);
        expect(trust).toHaveLength(1);
        expect(trust[0].Principal).toEqual({ Service: "vpc-flow-logs.amazonaws.com" });
        expect(trust[0].Condition?.StringEquals?.["aws:SourceAccount"]).toBe("123456789012");

        const perms = policyOf(one(graph, "aws:iam/rolePolicy:RolePolicy").inputs.policy);
        expect(perms).toHaveLength(1);
        expect(perms[0].Resource).toEqual([group.outputs.arn, `${group.outputs.arn}:*`]);
        for (const action of [perms[0].Action].flat()) {
            expect(action).not.toContain("*");
        }
    });

    it("creates a rotating key that only this account and its CloudWatch Logs may use", () => {
        const key = one(graph, "aws:kms/key:Key");
        expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
        const statements = policyOf(key.inputs.policy);
        expect(statements.map((s) => s.Principal)).toEqual([
            { AWS: "arn:aws:iam::123456789012:root" },
            { Service: "logs.eu-west-1.amazonaws.com" },
        ]);
        expect(statements[1].Condition?.ArnLike?.["kms:EncryptionContext:aws:logs:arn"]).toBe("arn:aws:logs:eu-west-1:123456789012:log-group:*");
    });

    it("tags every taggable resource", () => {
        for (const r of graph.resources.filter((x) => x.custom && x.inputs.tags !== undefined)) {
            expect(r.inputs.tags, r.name).toMatchObject({ owner: "sec", "mcpsec:component": "network" });
        }
        expect(one(graph, "aws:ec2/vpc:Vpc").inputs.tags).toMatchObject({ Name: "zone-vpc" });
    });

    it("uses a key it is given instead of creating one", async () => {
        const keyArn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555";
        const g = await synthComponent(() => new SegmentedVpc("zone", { logKmsKeyArn: keyArn, interfaceEndpoints: [], gatewayEndpoints: [] }));
        expect(ofType(g, "aws:kms/key:Key")).toHaveLength(0);
        expect(ofType(g, "aws:ec2/vpcEndpoint:VpcEndpoint")).toHaveLength(0);
        expect(one(g, "aws:cloudwatch/logGroup:LogGroup").inputs.kmsKeyId).toBe(keyArn);
    });

    it("puts a public-IP opt-out on every subnet when asked, and nowhere else", async () => {
        const g = await synthComponent(() => new SegmentedVpc("zone", { allowPublicIpOnLaunch: true, availabilityZoneCount: 2 }));
        expect(ofType(g, "aws:ec2/subnet:Subnet").map((s) => s.inputs.mapPublicIpOnLaunch)).toEqual([true, true]);
    });

    it("creates nothing when its arguments are invalid", async () => {
        await expect(synthComponent(() => new SegmentedVpc("zone", { cidrBlock: "10.0.0.0/8" }))).rejects.toThrow(/SegmentedVpc "zone": cidrBlock: "10.0.0.0\/8" has prefix \/8; allowed: \/16 to \/24/);
    });

    it("fails, naming the argument, when the region has fewer zones than asked for", async () => {
        await expect(synthComponent(() => new SegmentedVpc("zone", { availabilityZoneCount: 5 }), "eu-west-1")).rejects.toThrow(/availabilityZoneCount is 5 but the region offers 3 zones/);
    });
});

describe("resolveSegmentedVpcArgs", () => {
    it.each([
        [{ allowedCidrs: ["0.0.0.0/0"] }, /allowedCidrs: "0.0.0.0\/0" is not allowed; allowed: the blocks of specific networks/],
        [{ allowedCidrs: ["172.16.0.1/12"] }, /allowedCidrs: .*boundary/],
        [{ transitGateway: { id: "tgw-xyz", routes: ["172.16.0.0/12"] } }, /transitGateway.id: "tgw-xyz" is not allowed/],
        [{ transitGateway: { id: "tgw-0123456789abcdef0", routes: [] } }, /transitGateway.routes: \[\] is not allowed/],
        [{ transitGateway: { id: "tgw-0123456789abcdef0", routes: ["0.0.0.0/0"] } }, /transitGateway.routes: "0.0.0.0\/0" is not allowed/],
        [{ transitGateway: { id: "tgw-0123456789abcdef0", routes: ["10.40.16.0/20"] } }, /transitGateway.routes: "10.40.16.0\/20" is not allowed; it lies inside the zone's 10.40.0.0\/16/],
        [{ cidrBlock: "10.0.0.0/25" }, /has prefix \/25/],
        [{ cidrBlock: "10.0.0.1/16" }, /boundary/],
        [{ availabilityZoneCount: 7 }, /availabilityZoneCount: 7 is not allowed; allowed: an integer from 2 to 6/],
        [{ availabilityZoneCount: 2.5 }, /availabilityZoneCount: 2.5/],
        [{ flowLogRetentionDays: 10 }, /flowLogRetentionDays: 10 is not allowed; allowed: 1, 3, 5/],
        [{ interfaceEndpoints: ["Bad Name"] }, /interfaceEndpoints: "Bad Name" is not allowed/],
        [{ interfaceEndpoints: ["logs", "logs"] }, /repeats a service/],
    ])("rejects %j", (args, error) => {
        expect(() => resolveSegmentedVpcArgs(args)).toThrow(error);
    });

    it("fills in secure defaults without touching the caller's object", () => {
        const args = { tags: { a: "b" } };
        const resolved = resolveSegmentedVpcArgs(args);
        expect(resolved).toMatchObject({ cidrBlock: "10.40.0.0/16", availabilityZoneCount: 3, flowLogRetentionDays: 365, allowPublicIpOnLaunch: false, gatewayEndpoints: ["s3"] });
        resolved.tags.c = "d";
        expect(args.tags).toEqual({ a: "b" });
    });
});

describe("network config", () => {
    const edge = { domainName: "mcp.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e", allowedCidrs: ["172.16.0.0/12"] };
    const tool = { name: "t", description: "A tool.", inputSchema: { type: "object" }, scopes: ["s:read"] };
    const server = { name: "docs", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"e".repeat(64)}`, port: 8080, tools: [{ ...tool, sha256: toolDigest(tool) }] };
    const validate = (network: unknown, e: unknown = edge) => validateBlueprintConfig({ pattern: "security-zone", environment: "dev", servers: [server], edge: e, network, guard: { image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}` } }, "eu-west-1");

    it("routes the allowed networks to the Transit Gateway unless told otherwise", () => {
        expect(validate({ transitGateway: { id: "tgw-0123456789abcdef0" } }).network.transitGateway).toEqual({ id: "tgw-0123456789abcdef0", routes: ["172.16.0.0/12"] });
        expect(validate({ transitGateway: { id: "tgw-01234567", routes: ["192.168.0.0/16"] } }).network.transitGateway).toEqual({ id: "tgw-01234567", routes: ["192.168.0.0/16"] });
        // A block around the zone is the usual enterprise route; blocks inside the zone get no route.
        expect(validate({ transitGateway: { id: "tgw-01234567" } }, { ...edge, allowedCidrs: ["10.0.0.0/8", "10.40.3.0/24"] }).network.transitGateway?.routes).toEqual(["10.0.0.0/8"]);
    });

    it.each([
        [{ transitGateway: { id: "tgw-1" } }, edge, /mcpsec:network.transitGateway.id: .*Transit Gateway id/],
        [{ transitGateway: { id: "tgw-0123456789abcdef0", routes: ["0.0.0.0/0"] } }, edge, /mcpsec:network.transitGateway.routes\[0\]: "0.0.0.0\/0" is not allowed; a default route/],
        [{ transitGateway: { id: "tgw-0123456789abcdef0", routes: ["10.40.128.0/17"] } }, edge, /routes\[0\]: "10.40.128.0\/17" is not allowed; it lies inside the zone's 10.40.0.0\/16/],
        [{ transitGateway: { id: "tgw-0123456789abcdef0", routes: ["300.1.0.0/16"] } }, edge, /routes\[0\]: "300.1.0.0\/16" is not allowed/],
        [{ transitGateway: { id: "tgw-0123456789abcdef0" } }, { ...edge, allowedCidrs: ["10.40.0.0/16"] }, /mcpsec:network.transitGateway.routes: is required here/],
        [{}, { ...edge, allowedCidrs: ["172.16.0.1/12"] }, /mcpsec:edge.allowedCidrs\[0\]: "172.16.0.1\/12" is not allowed/],
        [{}, { ...edge, allowedCidrs: Array.from({ length: 17 }, (_, i) => `172.${16 + i}.0.0/16`) }, /mcpsec:edge.allowedCidrs: .*1-16 CIDR blocks .* network ACL, which holds 20 per direction/],
    ])("refuses %j with %j", (network, e, error) => {
        expect(() => validate(network, e)).toThrow(error);
    });
});

describe("endpointPolicy and the GuardDuty agent repository", () => {
    it("knows the documented agent repository of a region and nothing for an unknown one", () => {
        expect(guardDutyAgentRepositoryArn("us-east-1")).toBe("arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate");
        expect(guardDutyAgentRepositoryArn("us-gov-west-1", "aws-us-gov")).toBe("arn:aws-us-gov:ecr:us-gov-west-1:383110348953:repository/aws-guardduty-agent-fargate");
        expect(guardDutyAgentRepositoryArn("xx-nowhere-1")).toBeUndefined();
    });

    it("admits pulls of images in a central registry account, repository by repository, by this account's principals only", () => {
        const ctx = { account: "123456789012", region: "eu-west-1", partition: "aws", imageRepositories: [{ account: "210987654321", repository: "shared/handbook" }, { account: "123456789012", repository: "mcp/docs" }] };
        for (const svc of ["ecr.api", "ecr.dkr"]) {
            const foreign = endpointPolicy(svc, ctx).Statement.filter((st) => st.Sid === "ImagesOfOtherAccounts");
            expect(foreign).toEqual([{
                Sid: "ImagesOfOtherAccounts", Effect: "Allow", Principal: { AWS: "*" },
                Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                Resource: ["arn:aws:ecr:eu-west-1:210987654321:repository/shared/handbook"],
                Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } },
            }]);
        }
        // Images of this account need no statement of their own; other endpoints get none.
        expect(endpointPolicy("ecr.dkr", { ...ctx, imageRepositories: [ctx.imageRepositories[1]] }).Statement.map((st) => st.Sid)).not.toContain("ImagesOfOtherAccounts");
        expect(JSON.stringify(endpointPolicy("secretsmanager", ctx))).not.toContain("210987654321");
        expect(JSON.stringify(endpointPolicy("s3", ctx))).not.toContain("210987654321");
    });

    it("limits the GuardDuty data endpoint to this account's principals, as GuardDuty documents", () => {
        const doc = endpointPolicy("guardduty-data", { account: "123456789012", region: "eu-west-1", partition: "aws" });
        expect(doc.Statement).toEqual([expect.objectContaining({ Effect: "Allow", Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } } })]);
    });
});
