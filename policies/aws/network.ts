import type { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, stackRule } from "../lib/rule";
import { wildcardTooBroad } from "../../components/common/domains";

const VPC = "aws:ec2/vpc:Vpc";
const SUBNET = "aws:ec2/subnet:Subnet";
const ECS_SERVICE = "aws:ecs/service:Service";
const EKS_CLUSTER = "aws:eks/cluster:Cluster";
const DNS_ASSOC = "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation";
const DNS_GROUP = "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup";
const DNS_RULE = "aws:route53/resolverFirewallRule:ResolverFirewallRule";
const DNS_LIST = "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList";
const DNS_CONFIG = "aws:route53/resolverFirewallConfig:ResolverFirewallConfig";
const QUERY_LOG = "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig";
const QUERY_LOG_ASSOC = "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation";
const NFW_POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy";
const NFW_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup";
const NFW_FIREWALL = "aws:networkfirewall/firewall:Firewall";

/** True when `holder` names `target` in the list property `property` (by dependency, id or ARN). */
function listRefers(holder: PolicyResource, property: string, values: unknown, target: PolicyResource): boolean {
    if ((holder.propertyDependencies[property] ?? []).some((d) => d.urn === target.urn)) {
        return true;
    }
    const ids = [target.props.id, target.props.arn].filter((v) => typeof v === "string" && v !== "");
    return Array.isArray(values) && values.some((v) => ids.includes(v));
}

/** Subnets that run MCP workloads: the subnets of ECS services and EKS clusters. */
function workloadSubnets(resources: PolicyResource[]): PolicyResource[] {
    const subnets = ofType(resources, SUBNET);
    const services = ofType(resources, ECS_SERVICE);
    const clusters = ofType(resources, EKS_CLUSTER);
    return subnets.filter((s) =>
        services.some((svc) => listRefers(svc, "networkConfiguration", svc.props.networkConfiguration?.subnets, s))
        || clusters.some((c) => listRefers(c, "vpcConfig", c.props.vpcConfig?.subnetIds, s)));
}

/** VPCs that hold a workload subnet. */
function workloadVpcs(resources: PolicyResource[]): PolicyResource[] {
    const subnets = workloadSubnets(resources);
    return ofType(resources, VPC).filter((v) => subnets.some((s) => refersTo(s, "vpcId", v)));
}

/**
 * Names the VPC's own endpoints answer: `<service labels reversed>.<region>.amazonaws.com` for each endpoint
 * `com.amazonaws.<region>.<service>` in the VPC (dkr.ecr... for ecr.dkr, s3... for the S3 gateway, s3.amazonaws.com
 * too in us-east-1). Their wildcards reach only what the endpoint's policy admits.
 */
function endpointNames(resources: PolicyResource[], vpc: PolicyResource): Set<string> {
    const names = new Set<string>();
    for (const e of ofType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint").filter((x) => refersTo(x, "vpcId", vpc))) {
        const m = /^com\.amazonaws\.([a-z0-9-]+)\.(.+)$/.exec(String(e.props.serviceName ?? ""));
        if (m) {
            const labels = m[2].split(".").reverse().join(".");
            names.add(`${labels}.${m[1]}.amazonaws.com`);
            if (m[2] === "s3" && m[1] === "us-east-1") {
                names.add("s3.amazonaws.com");
            }
        }
    }
    return names;
}

const META_DNS = {
    controls: ["S1" as const, "O1" as const],
    maestro: ["L4" as const, "L5" as const],
    threats: ["T2" as const, "T3" as const],
};

export const dnsFirewallBlocksByDefault = stackRule({
    name: "aws-route53-resolver-dns-firewall-block-by-default",
    description: "Every VPC that runs MCP workloads must have Route 53 Resolver DNS Firewall associated, whose rules, in the order DNS Firewall applies them, BLOCK every name (`*`, all query types) that no earlier ALLOW rule lists, and that does not fail open; no ALLOW rule ahead of the block may let every name under a public suffix resolve (`*.com`, `*.co.uk`, `*.ngrok.io`, the Public Suffix List's ICANN and private sections, or every customer's hosts under a hosting domain such as amazonaws.com), except the names of the VPC's own AWS endpoints. DNS is the exfiltration and command-and-control channel left open by a VPC without internet routes: any name an attacker's server is authoritative for carries data out through the VPC resolver.",
    severity: "high",
    ...META_DNS,
    nist: ["SC-7", "SC-7(5)", "AC-4", "SI-4"],
    remediation: "Build the zone with the SecurityZone pattern or add a DnsFirewall component (components/network) for the VPC: it allows the endpoints' AWS names, the VPC's own names and the servers' declared egress (mcpsec:servers[].egress), then blocks `*`; leave allowFailOpen unset.",
}, (resources, _args, report) => {
    const lists = ofType(resources, DNS_LIST);
    const rules = ofType(resources, DNS_RULE);
    for (const vpc of workloadVpcs(resources)) {
        const assocs = ofType(resources, DNS_ASSOC).filter((a) => refersTo(a, "vpcId", vpc)).sort((a, b) => Number(a.props.priority) - Number(b.props.priority));
        if (assocs.length === 0) {
            report(`VPC ${vpc.name} runs MCP workloads but has no DNS Firewall rule group associated: every name resolves.`, vpc.urn);
            continue;
        }
        // Walk every rule as DNS Firewall does (association priority, then rule priority) for a name nobody listed.
        const ordered = assocs.flatMap((a) => {
            const groups = ofType(resources, DNS_GROUP).filter((g) => refersTo(a, "firewallRuleGroupId", g));
            return rules.filter((r) => groups.some((g) => refersTo(r, "firewallRuleGroupId", g)))
                .sort((x, y) => Number(x.props.priority) - Number(y.props.priority));
        });
        let verdict: string | undefined;
        const served = endpointNames(resources, vpc);
        for (const rule of ordered) {
            const list = lists.find((l) => refersTo(rule, "firewallDomainListId", l));
            const domains = (list?.props.domains ?? []) as string[];
            if (!domains.includes("*")) {
                // An allowlist entry that lets every name under a public suffix resolve is no allowlist.
                const action = String(rule.props.action ?? "");
                const broad = action === "BLOCK" ? [] : domains.filter((d) => d.startsWith("*.") && !served.has(d.slice(2).toLowerCase()) && wildcardTooBroad(d.slice(2)) !== undefined);
                if (broad.length > 0) {
                    report(`VPC ${vpc.name}: rule ${rule.name} ${action}s ${broad.join(", ")}: ${wildcardTooBroad(broad[0].slice(2))}${broad.length > 1 ? " (and the others alike)" : ""}, so names an attacker controls resolve (their name servers see the queries).`, rule.urn);
                }
                continue;
            }
            const action = String(rule.props.action ?? "");
            if (action !== "BLOCK") {
                verdict = `rule ${rule.name} applies ${action || "no action"} to every name${rule.props.qType ? ` of type ${rule.props.qType}` : ""} before any BLOCK`;
                break;
            }
            if (!rule.props.qType) {
                verdict = "blocked";
                break;
            }
        }
        if (verdict === undefined) {
            report(`VPC ${vpc.name}: no DNS Firewall rule blocks every name (\`*\`, all query types), so names outside the allowlist resolve.`, vpc.urn);
        } else if (verdict !== "blocked") {
            report(`VPC ${vpc.name}: ${verdict}, so names outside the allowlist resolve.`, vpc.urn);
        }
        for (const config of ofType(resources, DNS_CONFIG).filter((c) => refersTo(c, "resourceId", vpc))) {
            if (config.props.firewallFailOpen === "ENABLED") {
                report(`VPC ${vpc.name}: DNS Firewall fails open (firewallFailOpen ENABLED): queries it cannot evaluate resolve.`, config.urn);
            }
        }
    }
});

export const resolverQueryLogging = stackRule({
    name: "aws-route53-resolver-query-logging",
    description: "Every VPC that runs MCP workloads must log its DNS queries with Route 53 Resolver query logging. The query log is the record of which names a compromised server tried to resolve (blocked or not), which flow logs, holding addresses only, cannot show.",
    severity: "medium",
    ...META_DNS,
    nist: ["AU-2", "AU-12", "SI-4"],
    remediation: "Use the DnsFirewall component (components/network), which associates a Resolver query log configuration with the VPC and sends it to an encrypted log group (retention mcpsec:network.flowLogRetentionDays in the security zone).",
}, (resources, _args, report) => {
    const configs = ofType(resources, QUERY_LOG).filter((c) => typeof c.props.destinationArn === "string" || (c.propertyDependencies.destinationArn ?? []).length > 0);
    for (const vpc of workloadVpcs(resources)) {
        const logged = ofType(resources, QUERY_LOG_ASSOC).some((a) => refersTo(a, "resourceId", vpc) && configs.some((c) => refersTo(a, "resolverQueryLogConfigId", c)));
        if (!logged) {
            report(`VPC ${vpc.name} runs MCP workloads but its DNS queries are not logged (no Resolver query log association).`, vpc.urn);
        }
    }
});

const DROP_DEFAULTS = new Set(["aws:drop_strict", "aws:drop_established", "aws:drop_established_app_layer", "aws:drop_established_app_layer_to_server"]);

/** The rule groups of the stack a policy's reference points at (by ARN, else by the policy's dependencies). */
function referenced(policy: PolicyResource, groups: PolicyResource[], arn: unknown): PolicyResource[] {
    if (typeof arn === "string" && arn !== "") {
        return groups.filter((g) => g.props.arn === arn);
    }
    const deps = new Set((policy.propertyDependencies.firewallPolicy ?? []).map((d) => d.urn));
    return groups.filter((g) => deps.has(g.urn));
}

/**
 * What is wrong with a Network Firewall policy as an egress filter (empty when it is a strict domain allowlist that
 * drops by default). `groups` are the stack's rule groups.
 */
export function firewallPolicyProblems(policy: PolicyResource, groups: PolicyResource[]): string[] {
    const fp = (policy.props.firewallPolicy ?? {}) as Props;
    const problems: string[] = [];
    const say = (m: string) => problems.push(m);
    if (fp.statefulEngineOptions?.ruleOrder !== "STRICT_ORDER") {
        say(`rule order is ${fp.statefulEngineOptions?.ruleOrder ?? "DEFAULT_ACTION_ORDER (unset)"}, not STRICT_ORDER: pass rules win over drops and there is no default drop.`);
    }
    const streams = fp.statefulEngineOptions?.streamExceptionPolicy;
    if (streams !== undefined && streams !== "DROP" && streams !== "REJECT") {
        say(`streamExceptionPolicy ${streams}: a connection that breaks midstream goes on without the context that identified its domain, so the allowlist no longer applies; use DROP (the default) or REJECT.`);
    }
    const defaults = (fp.statefulDefaultActions ?? []) as string[];
    if (!defaults.some((a) => DROP_DEFAULTS.has(a))) {
        say(`stateful default actions ${JSON.stringify(defaults)} drop nothing: traffic no rule matches passes.`);
    }
    for (const key of ["statelessDefaultActions", "statelessFragmentDefaultActions"]) {
        if (((fp[key] ?? []) as string[]).includes("aws:pass")) {
            say(`${key} is aws:pass: packets bypass the stateful domain allowlist.`);
        }
    }
    for (const ref of (fp.statelessRuleGroupReferences ?? []) as Props[]) {
        const found = referenced(policy, groups.filter((g) => g.props.type === "STATELESS"), ref.resourceArn);
        const passes = found.length === 0 || found.some((g) => JSON.stringify(g.props.ruleGroup ?? {}).includes("aws:pass"));
        if (passes) {
            say(`stateless rule group ${ref.resourceArn ?? "(unknown)"} ${found.length === 0 ? "is not in the stack and cannot be judged" : "passes packets around the stateful engine"}.`);
        }
    }
    for (const ref of (fp.statefulRuleGroupReferences ?? []) as Props[]) {
        const found = referenced(policy, groups.filter((g) => g.props.type !== "STATELESS"), ref.resourceArn);
        if (found.length === 0) {
            say(`stateful rule group ${ref.resourceArn ?? "(unknown)"} is not in the stack (a managed or shared group) and cannot be judged a domain allowlist.`);
        }
        for (const g of found) {
            const source = (g.props.ruleGroup?.rulesSource ?? {}) as Props;
            const list = source.rulesSourceList as Props | undefined;
            if (g.props.rules || source.rulesString || source.statefulRules || !list) {
                say(`rule group ${g.name} is not a domain list: only domain allowlists may pass traffic.`);
            } else if (list.generatedRulesType !== "ALLOWLIST") {
                say(`rule group ${g.name} is a ${list.generatedRulesType} domain list, not an ALLOWLIST.`);
            } else {
                // A target with a leading dot covers the name and every subdomain (Network Firewall domain list syntax).
                const broad = ((list.targets ?? []) as string[]).filter((t) => t.startsWith(".") && wildcardTooBroad(t) !== undefined);
                if (broad.length > 0) {
                    say(`rule group ${g.name} allows every name under ${broad.join(", ")}: ${broad.map((t) => wildcardTooBroad(t)).join("; ")}; anyone can host a name there.`);
                }
            }
        }
    }
    return problems;
}

/** The firewall policy of the stack a Network Firewall uses (by dependency or ARN), or undefined when it is not in the stack. */
export function policyOfFirewall(firewall: PolicyResource, resources: PolicyResource[]): PolicyResource | undefined {
    return ofType(resources, NFW_POLICY).find((p) => refersTo(firewall, "firewallPolicyArn", p));
}

/** Why traffic through this Network Firewall is not filtered by domain (undefined when its policy is a strict allowlist). */
export function firewallNotFiltering(firewall: PolicyResource, resources: PolicyResource[]): string | undefined {
    const policy = policyOfFirewall(firewall, resources);
    if (!policy) {
        return `whose policy ${firewall.props.firewallPolicyArn ?? "(unknown)"} is not in the stack`;
    }
    return firewallPolicyProblems(policy, ofType(resources, NFW_GROUP)).length > 0 ? `whose policy ${policy.name} does not filter by domain (aws-networkfirewall-policy-strict-allowlist)` : undefined;
}

export const networkFirewallStrictAllowlist = stackRule({
    name: "aws-networkfirewall-policy-strict-allowlist",
    description: "A Network Firewall policy must evaluate in strict order, drop by default what no rule passes, send every packet to the stateful engine (no stateless pass, no stateless rule group that passes), fail closed when a stream breaks (streamExceptionPolicy DROP or REJECT, not CONTINUE), and pass traffic only through stateful domain allowlists (TLS SNI / HTTP Host) of named domains, none of which covers a public suffix or a hosting domain where anyone can get a name (.com, .cloudfront.net, .ngrok.io, .amazonaws.com; Public Suffix List via tldts). A Network Firewall whose policy is not in the stack cannot be judged and is reported; routes through it are not trusted as filtered. MCP servers may reach their declared domains and nothing else; a pass rule, a deny list or an alert-only default turns the egress filter into an open door.",
    severity: "high",
    controls: ["S1", "C5"],
    nist: ["SC-7", "SC-7(5)", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Use the EgressFirewall component (components/network), built by SecurityZone from mcpsec:servers[].egress (name each host, or one registrable domain with its subdomains, never a public suffix or a cloud hosting domain): STRICT_ORDER, streamExceptionPolicy DROP, statefulDefaultActions aws:drop_established_app_layer + aws:alert_established_app_layer, stateless default aws:forward_to_sfe, one ALLOWLIST domain rule group.",
}, (resources, _args, report) => {
    const groups = ofType(resources, NFW_GROUP);
    for (const policy of ofType(resources, NFW_POLICY)) {
        for (const m of firewallPolicyProblems(policy, groups)) {
            report(`Firewall policy ${policy.name}: ${m}`, policy.urn);
        }
    }
    for (const firewall of ofType(resources, NFW_FIREWALL).filter((f) => !policyOfFirewall(f, resources))) {
        report(`Firewall ${firewall.name} uses firewall policy ${firewall.props.firewallPolicyArn ?? "(unknown)"}, which is not in the stack: it cannot be judged, so routes through this firewall are not trusted as filtered.`, firewall.urn);
    }
});

// Routes from workload subnets to the internet other than through the firewall: aws-ec2-workload-subnet-no-internet-route (ec2.ts).
export const networkRules = [dnsFirewallBlocksByDefault, resolverQueryLogging, networkFirewallStrictAllowlist];
