import { beforeAll, describe, expect, it } from "vitest";
import { resolveSegmentedVpcArgs, SegmentedVpc } from "../../components/network";
import { ResourceGraph } from "../../cli/graph";
import { ofType, one, synthComponent } from "../helpers";

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
