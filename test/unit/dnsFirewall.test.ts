import { beforeAll, describe, expect, it } from "vitest";
import { awsServiceDomains, checkAllowedDomains, DnsFirewall, DnsFirewallArgs, vpcInternalDomains } from "../../components/network";
import { DEFAULT_VPC_INTERFACE_ENDPOINTS } from "../../components/network/segmentedVpc";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { ofType, one, synthComponent } from "../helpers";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e";

/** Does a DNS Firewall domain specification match a query name (`*.` = any subdomain, `*` = everything)? */
function specMatches(spec: string, name: string): boolean {
    if (spec === "*") {
        return true;
    }
    return spec.startsWith("*.") ? name.endsWith(spec.slice(1)) : name === spec;
}

/** What the VPC's DNS Firewall does with a query: the first rule by priority whose domain list matches decides. */
function verdict(graph: ResourceGraph, name: string): string {
    const lists = new Map(ofType(graph, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList").map((l) => [l.id, l.inputs.domains as string[]]));
    const rules = ofType(graph, "aws:route53/resolverFirewallRule:ResolverFirewallRule").sort((a, b) => Number(a.inputs.priority) - Number(b.inputs.priority));
    const rule = rules.find((r) => (lists.get(String(r.inputs.firewallDomainListId)) ?? []).some((d) => specMatches(d, name)));
    return rule ? String(rule.inputs.action) : "NO MATCH (resolved)";
}

describe("the names a zone resolves", () => {
    it("derives the private DNS names of the default endpoints, the ECR layer bucket's S3 names and GuardDuty's endpoint", () => {
        const names = awsServiceDomains("eu-west-1", DEFAULT_VPC_INTERFACE_ENDPOINTS, ["s3"]);
        expect(names).toEqual(expect.arrayContaining([
            "api.ecr.eu-west-1.amazonaws.com", "*.dkr.ecr.eu-west-1.amazonaws.com",
            "logs.eu-west-1.amazonaws.com", "secretsmanager.eu-west-1.amazonaws.com", "kms.eu-west-1.amazonaws.com", "sts.eu-west-1.amazonaws.com",
            "*.s3.eu-west-1.amazonaws.com", "guardduty-data.eu-west-1.amazonaws.com",
        ]));
        // Neither the endpoint-less legacy names nor the other region's.
        expect(names).not.toContain("ecr.api.eu-west-1.amazonaws.com");
        expect(names).not.toContain("*.s3.amazonaws.com");
        expect(names.some((n) => n.includes("us-east-1"))).toBe(false);
        expect(awsServiceDomains("us-east-1", [], ["s3"])).toEqual(expect.arrayContaining(["*.s3.amazonaws.com", "*.s3.us-east-1.amazonaws.com"]));
    });

    it("keeps the task host names and the zone's own reverse lookups resolvable, per region", () => {
        expect(vpcInternalDomains("eu-west-1", "10.40.0.0/16")).toEqual(["*.eu-west-1.compute.internal", "*.40.10.in-addr.arpa"]);
        expect(vpcInternalDomains("us-east-1", "10.41.0.0/16")).toEqual(["*.ec2.internal", "*.41.10.in-addr.arpa"]);
        expect(vpcInternalDomains("eu-west-1", "172.16.16.0/20")).toEqual(["*.eu-west-1.compute.internal", "*.16.172.in-addr.arpa"]);
        expect(vpcInternalDomains("eu-west-1", "192.168.7.0/24")).toEqual(["*.eu-west-1.compute.internal", "*.7.168.192.in-addr.arpa"]);
    });

    it.each([
        [[], /allowedDomains: \[\] is not allowed/],
        [["*"], /allowedDomains\[0\]: "\*" is not allowed/],
        [["api.example.com", "bad_name.example.com"], /allowedDomains\[1\]: "bad_name.example.com" is not allowed/],
        [["*.*.example.com"], /allowedDomains\[0\]/],
    ])("refuses the domain list %j", (domains, error) => {
        expect(() => checkAllowedDomains("dns", domains)).toThrow(error);
    });
});

describe("DnsFirewall", () => {
    const build = (extra: Partial<DnsFirewallArgs> = {}) => synthComponent(() => new DnsFirewall("dns", {
        vpcId: "vpc-0123456789abcdef0",
        allowedDomains: [...awsServiceDomains("eu-west-1", DEFAULT_VPC_INTERFACE_ENDPOINTS), "api.github.com", "*.atlassian.net"],
        logKmsKeyArn: KEY,
        logRetentionDays: 731,
        ...extra,
    }));
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await build();
    });

    it("resolves the AWS endpoints and the declared domains, and blocks every other name", () => {
        expect(verdict(graph, "api.ecr.eu-west-1.amazonaws.com")).toBe("ALLOW");
        expect(verdict(graph, "123456789012.dkr.ecr.eu-west-1.amazonaws.com")).toBe("ALLOW");
        expect(verdict(graph, "api.github.com")).toBe("ALLOW");
        expect(verdict(graph, "acme.atlassian.net")).toBe("ALLOW");
        for (const name of ["github.com", "evil.example", "aGVsbG8.tunnel.attacker.example", "ecr.us-east-1.amazonaws.com", "atlassian.net"]) {
            expect(verdict(graph, name), name).toBe("BLOCK");
        }
        const block = ofType(graph, "aws:route53/resolverFirewallRule:ResolverFirewallRule").find((r) => r.inputs.action === "BLOCK")!;
        expect(block.inputs.blockResponse).toBe("NXDOMAIN");
    });

    it("associates the rule group with the VPC, protected, and fails closed", () => {
        const group = one(graph, "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup");
        const assoc = one(graph, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation");
        expect(assoc.inputs).toMatchObject({ vpcId: "vpc-0123456789abcdef0", firewallRuleGroupId: group.id, mutationProtection: "ENABLED" });
        expect(Number(assoc.inputs.priority)).toBeGreaterThanOrEqual(100);
        expect(Number(assoc.inputs.priority)).toBeLessThanOrEqual(9900);
        for (const rule of ofType(graph, "aws:route53/resolverFirewallRule:ResolverFirewallRule")) {
            expect(rule.inputs.firewallRuleGroupId).toBe(group.id);
        }
        expect(one(graph, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig").inputs).toMatchObject({ resourceId: "vpc-0123456789abcdef0", firewallFailOpen: "DISABLED" });
    });

    it("logs every query of the VPC to an encrypted log group with the configured retention", () => {
        const group = one(graph, "aws:cloudwatch/logGroup:LogGroup");
        expect(group.inputs).toMatchObject({ kmsKeyId: KEY, retentionInDays: 731 });
        const config = one(graph, "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig");
        expect(config.inputs.destinationArn).toBe(group.outputs.arn);
        expect(one(graph, "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation").inputs)
            .toMatchObject({ resolverQueryLogConfigId: config.id, resourceId: "vpc-0123456789abcdef0" });
    });

    it("fails open and drops mutation protection only when asked by name", async () => {
        const open = await build({ allowFailOpen: true, allowAssociationMutation: true });
        expect(one(open, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig").inputs.firewallFailOpen).toBe("ENABLED");
        expect((one(open, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation") as GraphResource).inputs.mutationProtection).toBe("DISABLED");
    });

    it("refuses a retention CloudWatch Logs does not offer", () => {
        expect(() => new DnsFirewall("dns", { vpcId: "vpc-1", allowedDomains: ["api.github.com"], logKmsKeyArn: KEY, logRetentionDays: 100 }))
            .toThrow(/DnsFirewall "dns".logRetentionDays: 100 is not allowed/);
    });
});
