import type { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, stackRule } from "../lib/rule";

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

const META_DNS = {
    controls: ["S1" as const, "O1" as const],
    maestro: ["L4" as const, "L5" as const],
    threats: ["T2" as const, "T3" as const],
};

export const dnsFirewallBlocksByDefault = stackRule({
    name: "aws-route53-resolver-dns-firewall-block-by-default",
    description: "Every VPC that runs MCP workloads must have Route 53 Resolver DNS Firewall associated, whose rules, in the order DNS Firewall applies them, BLOCK every name (`*`, all query types) that no earlier ALLOW rule lists, and that does not fail open. DNS is the exfiltration and command-and-control channel left open by a VPC without internet routes: any name an attacker's server is authoritative for carries data out through the VPC resolver.",
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
        for (const rule of ordered) {
            const list = lists.find((l) => refersTo(rule, "firewallDomainListId", l));
            if (!((list?.props.domains ?? []) as string[]).includes("*")) {
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

export const networkFirewallStrictAllowlist = stackRule({
    name: "aws-networkfirewall-policy-strict-allowlist",
    description: "A Network Firewall policy must evaluate in strict order, drop by default what no rule passes, send every packet to the stateful engine (no stateless pass, no stateless rule group that passes), and pass traffic only through stateful domain allowlists (TLS SNI / HTTP Host) of named domains. MCP servers may reach their declared domains and nothing else; a pass rule, a deny list or an alert-only default turns the egress filter into an open door.",
    severity: "high",
    controls: ["S1", "C5"],
    nist: ["SC-7", "SC-7(5)", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Use the EgressFirewall component (components/network), built by SecurityZone from mcpsec:servers[].egress: STRICT_ORDER, statefulDefaultActions aws:drop_established_app_layer + aws:alert_established_app_layer, stateless default aws:forward_to_sfe, one ALLOWLIST domain rule group.",
}, (resources, _args, report) => {
    const groups = ofType(resources, NFW_GROUP);
    for (const policy of ofType(resources, NFW_POLICY)) {
        const fp = (policy.props.firewallPolicy ?? {}) as Props;
        const say = (m: string) => report(`Firewall policy ${policy.name}: ${m}`, policy.urn);
        if (fp.statefulEngineOptions?.ruleOrder !== "STRICT_ORDER") {
            say(`rule order is ${fp.statefulEngineOptions?.ruleOrder ?? "DEFAULT_ACTION_ORDER (unset)"}, not STRICT_ORDER: pass rules win over drops and there is no default drop.`);
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
                    const broad = ((list.targets ?? []) as string[]).filter((t) => t.replace(/^\./, "").split(".").length < 2);
                    if (broad.length > 0) {
                        say(`rule group ${g.name} allows whole top-level domains ${JSON.stringify(broad)}.`);
                    }
                }
            }
        }
    }
});

// Routes from workload subnets to the internet other than through the firewall: aws-ec2-workload-subnet-no-internet-route (ec2.ts).
export const networkRules = [dnsFirewallBlocksByDefault, resolverQueryLogging, networkFirewallStrictAllowlist];
