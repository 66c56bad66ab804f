import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";

/** The account the offline synthesis pretends to deploy into (AWS's documentation example account). */
export const MOCK_ACCOUNT_ID = "123456789012";

const AZ_COUNT: Record<string, number> = { "us-east-1": 6, "us-west-2": 4, "ap-northeast-1": 3 };

function hex(seed: string, length: number): string {
    return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function uuid(seed: string): string {
    const h = hex(seed, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface MockState {
    id: string;
    state: Record<string, unknown>;
}

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Ctx {
    name: string;
    seed: string;
    inputs: Inputs;
    region: string;
    account: string;
    partition: string;
}

/** Physical name as the provider's auto-naming would pick it: logical name plus a random suffix. */
function autoName(c: Ctx, key = "name"): string {
    return c.inputs[key] ?? (c.inputs[`${key}Prefix`] ? `${c.inputs[`${key}Prefix`]}${hex(c.seed, 26)}` : `${c.name}-${hex(c.seed, 7)}`);
}

/** EC2-style id, e.g. `vpc-0a1b2c3d4e5f67890`. */
function ec2Id(prefix: string, c: Ctx): string {
    return `${prefix}-0${hex(c.seed, 16)}`;
}

function ec2Arn(c: Ctx, kind: string, id: string): string {
    return `arn:${c.partition}:ec2:${c.region}:${c.account}:${kind}/${id}`;
}

/** Per-type computed outputs in each service's real formats. Types not listed get an id only. */
const RESOURCE_MOCKS: Record<string, (c: Ctx) => MockState> = {
    "aws:ec2/vpc:Vpc": (c) => {
        const id = ec2Id("vpc", c);
        return {
            id,
            state: {
                arn: ec2Arn(c, "vpc", id),
                ownerId: c.account,
                defaultNetworkAclId: ec2Id("acl", { ...c, seed: `${c.seed}/acl` }),
                defaultRouteTableId: ec2Id("rtb", { ...c, seed: `${c.seed}/rtb` }),
                defaultSecurityGroupId: ec2Id("sg", { ...c, seed: `${c.seed}/sg` }),
                mainRouteTableId: ec2Id("rtb", { ...c, seed: `${c.seed}/rtb` }),
                instanceTenancy: c.inputs.instanceTenancy ?? "default",
            },
        };
    },
    "aws:ec2/subnet:Subnet": (c) => {
        const id = ec2Id("subnet", c);
        return { id, state: { arn: ec2Arn(c, "subnet", id), ownerId: c.account, mapPublicIpOnLaunch: c.inputs.mapPublicIpOnLaunch ?? false } };
    },
    "aws:ec2/securityGroup:SecurityGroup": (c) => {
        const id = ec2Id("sg", c);
        return { id, state: { arn: ec2Arn(c, "security-group", id), ownerId: c.account, name: autoName(c) } };
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (c) => {
        const id = ec2Id("sg", c);
        return { id, state: { arn: ec2Arn(c, "security-group", id), ownerId: c.account, name: "default" } };
    },
    "aws:ec2/networkAcl:NetworkAcl": (c) => {
        const id = ec2Id("acl", c);
        return { id, state: { arn: ec2Arn(c, "network-acl", id), ownerId: c.account } };
    },
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": (c) => {
        const id = c.inputs.defaultNetworkAclId ?? ec2Id("acl", c);
        return { id, state: { arn: ec2Arn(c, "network-acl", id), ownerId: c.account, ingress: c.inputs.ingress ?? [], egress: c.inputs.egress ?? [] } };
    },
    "aws:ec2/routeTable:RouteTable": (c) => {
        const id = ec2Id("rtb", c);
        return { id, state: { arn: ec2Arn(c, "route-table", id), ownerId: c.account } };
    },
    "aws:ec2/defaultRouteTable:DefaultRouteTable": (c) => {
        const id = c.inputs.defaultRouteTableId ?? ec2Id("rtb", c);
        return { id, state: { arn: ec2Arn(c, "route-table", id), ownerId: c.account } };
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (c) => ({ id: ec2Id("rtbassoc", c), state: {} }),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (c) => {
        const id = ec2Id("vpce", c);
        const dns = `${id}-${hex(c.seed, 8)}.${String(c.inputs.serviceName ?? "").split(".").slice(3).join(".")}.${c.region}.vpce.amazonaws.com`;
        return {
            id,
            state: {
                arn: ec2Arn(c, "vpc-endpoint", id),
                ownerId: c.account,
                state: "available",
                dnsEntries: c.inputs.vpcEndpointType === "Interface" ? [{ dnsName: dns, hostedZoneId: "Z7HUB22UULQXV" }] : [],
                prefixListId: c.inputs.vpcEndpointType === "Gateway" ? `pl-${hex(c.seed, 8)}` : undefined,
            },
        };
    },
    "aws:ec2/flowLog:FlowLog": (c) => {
        const id = ec2Id("fl", c);
        return { id, state: { arn: ec2Arn(c, "vpc-flow-log", id) } };
    },
    "aws:kms/key:Key": (c) => {
        const id = uuid(c.seed);
        return { id, state: { arn: `arn:${c.partition}:kms:${c.region}:${c.account}:key/${id}`, keyId: id, keyUsage: c.inputs.keyUsage ?? "ENCRYPT_DECRYPT" } };
    },
    "aws:kms/alias:Alias": (c) => {
        const name = c.inputs.name ?? `alias/${c.name}-${hex(c.seed, 7)}`;
        return { id: name, state: { name, arn: `arn:${c.partition}:kms:${c.region}:${c.account}:${name}` } };
    },
    "aws:cloudwatch/logGroup:LogGroup": (c) => {
        const name = autoName(c);
        return { id: name, state: { name, arn: `arn:${c.partition}:logs:${c.region}:${c.account}:log-group:${name}` } };
    },
    "aws:iam/role:Role": (c) => {
        const name = autoName(c);
        const path = c.inputs.path ?? "/";
        return { id: name, state: { name, path, arn: `arn:${c.partition}:iam::${c.account}:role${path}${name}`, uniqueId: `AROA${hex(c.seed, 17).toUpperCase()}` } };
    },
    "aws:iam/rolePolicy:RolePolicy": (c) => {
        const name = autoName(c);
        return { id: `${c.inputs.role}:${name}`, state: { name } };
    },
};

/**
 * Answers the mock engine's calls with outputs in the providers' real formats, so that references between
 * resources (ARNs in policies, ids in associations) resolve as they would in a deployment.
 */
export class BlueprintMocks implements pulumi.runtime.Mocks {
    private readonly partition = "aws";

    constructor(
        private readonly region: string,
        private readonly account: string = MOCK_ACCOUNT_ID,
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        if (args.type.startsWith("pulumi:providers:")) {
            return { id: uuid(`provider/${args.name}`), state: args.inputs };
        }
        const ctx: Ctx = { name: args.name, seed: `${args.type}/${args.name}`, inputs: args.inputs, region: this.region, account: this.account, partition: this.partition };
        const mock = RESOURCE_MOCKS[args.type];
        const { id, state } = mock ? mock(ctx) : { id: `${args.name}-${hex(ctx.seed, 8)}`, state: {} };
        const outputs: Record<string, unknown> = { ...args.inputs, ...state };
        if (args.type.startsWith("aws:") && args.inputs.tags) {
            outputs.tagsAll = args.inputs.tags;
        }
        if (args.type.startsWith("aws:") && outputs.region === undefined) {
            outputs.region = this.region;
        }
        return { id, state: outputs };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const region = this.region;
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: this.account, arn: `arn:${this.partition}:iam::${this.account}:user/offline-check`, id: this.account, userId: `AIDA${hex("user", 17).toUpperCase()}` };
            case "aws:index/getRegion:getRegion":
                return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
            case "aws:index/getPartition:getPartition":
                return { id: this.partition, partition: this.partition, dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
            case "aws:index/getAvailabilityZones:getAvailabilityZones": {
                const letters = "abcdef".slice(0, AZ_COUNT[region] ?? 3).split("");
                return {
                    id: region,
                    names: letters.map((l) => `${region}${l}`),
                    zoneIds: letters.map((_, i) => `${region.split("-").map((p) => p[0]).join("")}${region.slice(-1)}-az${i + 1}`),
                    groupNames: letters.map(() => region),
                };
            }
            default:
                throw new Error(`offline synthesis has no answer for the data source ${args.token}; add it to cli/mocks.ts`);
        }
    }
}
