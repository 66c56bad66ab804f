import { Props } from "../../policies/lib/rule";
import { FixtureResource } from "./harness";
import type { RuleCases } from "./aws.cases";

// A VPC with one ECS service in one subnet, and the DNS Firewall pieces SegmentedVpc's zone gets (DnsFirewall).
const vpc: FixtureResource = { type: "aws:ec2/vpc:Vpc", name: "vpc", props: { id: "vpc-0a", cidrBlock: "10.40.0.0/16" } };
const subnet: FixtureResource = { type: "aws:ec2/subnet:Subnet", name: "private-0", props: { id: "subnet-0a", vpcId: "vpc-0a" }, refs: { vpcId: ["vpc"] } };
const service: FixtureResource = { type: "aws:ecs/service:Service", name: "docs", props: { networkConfiguration: { subnets: ["subnet-0a"], assignPublicIp: false } } };
/** The interface endpoint whose private DNS serves *.dkr.ecr.eu-west-1.amazonaws.com in the VPC. */
const endpoint = (svc: string, type = "Interface"): FixtureResource => ({ type: "aws:ec2/vpcEndpoint:VpcEndpoint", name: `ep-${svc}`, props: { vpcId: "vpc-0a", vpcEndpointType: type, serviceName: `com.amazonaws.eu-west-1.${svc}` }, refs: { vpcId: ["vpc"] } });
const workload = [vpc, subnet, service, endpoint("ecr.dkr")];

const list = (name: string, domains: string[]): FixtureResource => ({ type: "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList", name, props: { id: `rslvr-fdl-${name}`, domains } });
const group = (name = "rules"): FixtureResource => ({ type: "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup", name, props: { id: `rslvr-frg-${name}` } });
const rule = (name: string, listName: string, props: Props, groupName = "rules"): FixtureResource => ({
    type: "aws:route53/resolverFirewallRule:ResolverFirewallRule", name,
    props: { firewallRuleGroupId: `rslvr-frg-${groupName}`, firewallDomainListId: `rslvr-fdl-${listName}`, ...props },
});
const association = (props: Props = {}, groupName = "rules"): FixtureResource => ({
    type: "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation", name: `assoc-${groupName}`,
    props: { vpcId: "vpc-0a", firewallRuleGroupId: `rslvr-frg-${groupName}`, priority: 200, mutationProtection: "ENABLED", ...props },
});
const failMode = (value: string): FixtureResource => ({ type: "aws:route53/resolverFirewallConfig:ResolverFirewallConfig", name: "config", props: { resourceId: "vpc-0a", firewallFailOpen: value } });
const allowThenBlock = (block: Props = {}, allow: Props = {}): FixtureResource[] => [
    list("allowed", ["api.ecr.eu-west-1.amazonaws.com", "*.dkr.ecr.eu-west-1.amazonaws.com", "api.github.com"]), list("everything", ["*"]), group(),
    rule("allow", "allowed", { priority: 100, action: "ALLOW", ...allow }),
    rule("block-rest", "everything", { priority: 200, action: "BLOCK", blockResponse: "NXDOMAIN", ...block }),
    association(),
];

const queryLog: FixtureResource = { type: "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig", name: "queries", props: { id: "rslvr-qlc-1", destinationArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/mcpsec/dns" } };
const queryLogAssoc = (vpcId = "vpc-0a"): FixtureResource => ({ type: "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation", name: "queries-assoc", props: { resolverQueryLogConfigId: "rslvr-qlc-1", resourceId: vpcId } });

const GROUP_ARN = "arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/domains";
const domainGroup = (list: Props = {}, extra: Props = {}): FixtureResource => ({
    type: "aws:networkfirewall/ruleGroup:RuleGroup", name: "domains",
    props: {
        arn: GROUP_ARN, type: "STATEFUL", capacity: 100,
        ruleGroup: { rulesSource: { rulesSourceList: { generatedRulesType: "ALLOWLIST", targetTypes: ["TLS_SNI", "HTTP_HOST"], targets: ["api.atlassian.com", ".atlassian.net"], ...list } }, statefulRuleOptions: { ruleOrder: "STRICT_ORDER" } },
        ...extra,
    },
});
export const FIREWALL_POLICY_ARN = "arn:aws:network-firewall:eu-west-1:123456789012:firewall-policy/egress-policy";
const policy = (fp: Props = {}): FixtureResource => ({
    type: "aws:networkfirewall/firewallPolicy:FirewallPolicy", name: "egress-policy",
    props: {
        arn: FIREWALL_POLICY_ARN,
        firewallPolicy: {
            statelessDefaultActions: ["aws:forward_to_sfe"], statelessFragmentDefaultActions: ["aws:forward_to_sfe"],
            statefulEngineOptions: { ruleOrder: "STRICT_ORDER", streamExceptionPolicy: "DROP" },
            statefulDefaultActions: ["aws:drop_established_app_layer", "aws:alert_established_app_layer"],
            statefulRuleGroupReferences: [{ priority: 100, resourceArn: GROUP_ARN }],
            ...fp,
        },
    },
});

/** The EgressFirewall's policy and domain allowlist, for fixtures with a firewall whose policy is in the stack. */
export const egressPolicy = (fp: Props = {}): FixtureResource[] => [domainGroup(), policy(fp)];
/** A Network Firewall (endpoint vpce-0firewall) using the firewall policy `policyArn`. */
export const networkFirewall = (policyArn = FIREWALL_POLICY_ARN): FixtureResource => ({
    type: "aws:networkfirewall/firewall:Firewall", name: "egress-fw",
    props: { firewallPolicyArn: policyArn, firewallStatuses: [{ syncStates: [{ availabilityZone: "eu-west-1a", attachments: [{ subnetId: "subnet-0fw", endpointId: "vpce-0firewall", status: "READY" }] }] }] },
});
const OUTSIDE_POLICY = "arn:aws:network-firewall:eu-west-1:123456789012:firewall-policy/pass-everything";

/** Cases of policies/aws/network.ts (DNS Firewall, Resolver query logs, Network Firewall policies). */
export const networkCases: Record<string, RuleCases> = {
    "aws-route53-resolver-dns-firewall-block-by-default": {
        pass: [
            { label: "allowlist, then BLOCK * (NXDOMAIN), fail closed", resources: [...workload, ...allowThenBlock(), failMode("DISABLED")] },
            { label: "fail mode left at AWS's default (closed)", resources: [...workload, ...allowThenBlock()] },
            { label: "wildcards only under registrable domains and the VPC's own endpoints (S3 gateway, ECR)", resources: [...workload, endpoint("s3", "Gateway"), list("allowed", ["*.s3.eu-west-1.amazonaws.com", "*.dkr.ecr.eu-west-1.amazonaws.com", "*.atlassian.net", "*.eu-west-1.compute.internal", "*.40.10.in-addr.arpa"]), list("everything", ["*"]), group(), rule("allow", "allowed", { priority: 100, action: "ALLOW" }), rule("block-rest", "everything", { priority: 200, action: "BLOCK", blockResponse: "NXDOMAIN" }), association()] },
            { label: "a VPC without workloads needs none", resources: [vpc, { ...subnet, refs: { vpcId: ["vpc"] } }] },
        ],
        fail: [
            { label: "workload VPC without DNS Firewall", resources: workload, expect: /VPC vpc runs MCP workloads but has no DNS Firewall rule group associated/ },
            { label: "allowlist only, no BLOCK of the rest", resources: [...workload, ...allowThenBlock({ action: "ALERT" })], expect: /rule block-rest applies ALERT to every name before any BLOCK/ },
            { label: "an ALLOW of every name ahead of the BLOCK", resources: [...workload, ...allowThenBlock({}, { firewallDomainListId: "rslvr-fdl-everything" })], expect: /rule allow applies ALLOW to every name/ },
            { label: "BLOCK * for A records only (TXT tunnels out)", resources: [...workload, ...allowThenBlock({ qType: "A" })], expect: /no DNS Firewall rule blocks every name/ },
            { label: "fails open", resources: [...workload, ...allowThenBlock(), failMode("ENABLED")], expect: /fails open/ },
            // Weakened configurations the review found passing (issue 17, finding 6).
            { label: "ALLOW *.com, *.net, *.io ahead of the block", resources: [...workload, list("tlds", ["*.com", "*.net", "*.io"]), rule("allow-tlds", "tlds", { priority: 50, action: "ALLOW" }), ...allowThenBlock()], expect: /rule allow-tlds ALLOWs \*.com, \*.net, \*.io: every name under a public suffix/ },
            { label: "ALLOW every S3 bucket name without an S3 endpoint in the VPC", resources: [...workload, list("buckets", ["*.s3.eu-west-1.amazonaws.com"]), rule("allow-buckets", "buckets", { priority: 50, action: "ALLOW" }), ...allowThenBlock()], expect: /rule allow-buckets ALLOWs \*.s3.eu-west-1.amazonaws.com/ },
            { label: "rule group associated with another VPC", resources: [...workload, ...allowThenBlock().map((r) => (r.name === "assoc-rules" ? { ...r, props: { ...r.props, vpcId: "vpc-other" } } : r))], expect: /has no DNS Firewall rule group associated/ },
        ],
    },
    "aws-route53-resolver-query-logging": {
        pass: [{ label: "query log associated with the workload VPC", resources: [...workload, queryLog, queryLogAssoc()] }],
        fail: [
            { label: "no query logging", resources: workload, expect: /VPC vpc runs MCP workloads but its DNS queries are not logged/ },
            { label: "query logging of another VPC", resources: [...workload, queryLog, queryLogAssoc("vpc-other")], expect: /not logged/ },
        ],
    },
    "aws-networkfirewall-policy-strict-allowlist": {
        pass: [
            { label: "strict order, drop + alert by default, one domain allowlist", resources: [domainGroup(), policy()] },
            { label: "exact names on hosting suffixes, a registrable domain with its subdomains, stream exceptions left at DROP (the default)", resources: [domainGroup({ targets: ["mcp-data.s3.amazonaws.com", "tenant.ngrok.io", ".atlassian.net"] }), policy({ statefulEngineOptions: { ruleOrder: "STRICT_ORDER" } })] },
            { label: "drop_established (plain) as the drop default", resources: [domainGroup(), policy({ statefulDefaultActions: ["aws:drop_established", "aws:alert_established"] })] },
        ],
        fail: [
            { label: "action order (the default)", resources: [domainGroup(), policy({ statefulEngineOptions: undefined })], expect: /not STRICT_ORDER/ },
            { label: "alert only by default", resources: [domainGroup(), policy({ statefulDefaultActions: ["aws:alert_established_app_layer"] })], expect: /drop nothing/ },
            { label: "stateless default passes around the stateful engine", resources: [domainGroup(), policy({ statelessDefaultActions: ["aws:pass"] })], expect: /statelessDefaultActions is aws:pass/ },
            { label: "a deny list instead of an allowlist", resources: [domainGroup({ generatedRulesType: "DENYLIST" }), policy()], expect: /DENYLIST domain list, not an ALLOWLIST/ },
            { label: "a Suricata pass rule group", resources: [domainGroup({}, { ruleGroup: { rulesSource: { rulesString: "pass tcp any any -> any any (sid:1;)" } } }), policy()], expect: /is not a domain list/ },
            { label: "a whole top-level domain", resources: [domainGroup({ targets: [".com"] }), policy()], expect: /allows every name under \.com/ },
            // Weakened configurations the review found passing (issue 17, finding 6).
            { label: "attacker-hostable suffixes (.amazonaws.com, .cloudfront.net, .ngrok.io)", resources: [domainGroup({ targets: ["api.atlassian.com", ".amazonaws.com", ".cloudfront.net", ".ngrok.io"] }), policy()], expect: /allows every name under \.amazonaws.com, \.cloudfront.net, \.ngrok.io/ },
            { label: "broken streams continue without context (streamExceptionPolicy CONTINUE)", resources: [domainGroup(), policy({ statefulEngineOptions: { ruleOrder: "STRICT_ORDER", streamExceptionPolicy: "CONTINUE" } })], expect: /streamExceptionPolicy CONTINUE/ },
            { label: "a firewall whose policy is outside the stack (finding 5)", resources: [...egressPolicy(), networkFirewall(OUTSIDE_POLICY)], expect: /Firewall egress-fw uses firewall policy arn:aws:network-firewall:eu-west-1:123456789012:firewall-policy\/pass-everything, which is not in the stack: it cannot be judged/ },
            { label: "a managed group that cannot be judged", resources: [domainGroup(), policy({ statefulRuleGroupReferences: [{ priority: 1, resourceArn: "arn:aws:network-firewall:eu-west-1:aws-managed:stateful-rulegroup/ThreatSignaturesMalwareStrictOrder" }] })], expect: /is not in the stack/ },
        ],
    },
};
