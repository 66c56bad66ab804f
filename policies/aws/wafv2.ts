import { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";

const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
const LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration";

/** Rules of a web ACL, from `ruleJson` (the WAF API's form) or the typed `rules`, as {name, managedGroup, rateBased}. */
export function webAclRules(props: Props): { name: string; managedGroup?: string; rateBased: boolean }[] {
    if (typeof props.ruleJson === "string") {
        try {
            const rules = JSON.parse(props.ruleJson) as Props[];
            return rules.map((r) => ({ name: r.Name, managedGroup: r.Statement?.ManagedRuleGroupStatement?.Name, rateBased: r.Statement?.RateBasedStatement !== undefined }));
        } catch {
            return [];
        }
    }
    return ((props.rules ?? []) as Props[]).map((r) => ({ name: r.name, managedGroup: r.statement?.managedRuleGroupStatement?.name, rateBased: r.statement?.rateBasedStatement !== undefined }));
}

export const REQUIRED_MANAGED_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"];

export const webAclLogging = stackRule({
    name: "aws-wafv2-web-acl-logging",
    description: "Every web ACL must log to a destination, with the Authorization header redacted. WAF logs show blocked attacks on MCP endpoints; bearer tokens must not end up in them.",
    severity: "high",
    controls: ["O1", "S2"],
    nist: ["AU-2", "AU-12", "AU-9"],
    maestro: ["L5"],
    threats: ["T1", "T4", "T5"],
    remediation: "Use the McpWebAcl component, which logs to an encrypted aws-waf-logs-* log group and redacts authorization and cookie; or add an aws.wafv2.WebAclLoggingConfiguration with redactedFields [{ singleHeader: { name: \"authorization\" } }].",
}, (resources, _args, report) => {
    const logging = ofType(resources, LOGGING);
    for (const acl of ofType(resources, WEB_ACL)) {
        const configs = logging.filter((l: PolicyResource) => refersTo(l, "resourceArn", acl));
        if (configs.length === 0) {
            report(`Web ACL ${acl.name} has no logging configuration.`, acl.urn);
            continue;
        }
        const redacts = configs.some((c) => ((c.props.redactedFields ?? []) as Props[]).some((f) => String(f.singleHeader?.name ?? "").toLowerCase() === "authorization"));
        if (!redacts) {
            report(`Web ACL ${acl.name} logs the Authorization header in clear.`, acl.urn);
        }
    }
});

export const webAclBaseline = resourceRule({
    name: "aws-wafv2-web-acl-baseline-rules",
    description: "Web ACLs must include the AWS managed common, known-bad-inputs and IP-reputation rule groups and at least one rate-based rule. These are the baseline of the paper's gateway control: threat detection and rate limiting.",
    severity: "medium",
    controls: ["S2"],
    nist: ["SI-4", "SC-5", "SC-7"],
    maestro: ["L4"],
    threats: ["T5", "T4"],
    remediation: "Use the McpWebAcl component, which adds the managed groups, rate limits per IP and per token, a body size limit and the JSON-RPC allowlist.",
}, [WEB_ACL], (props, _args, report) => {
    const rules = webAclRules(props);
    const missing = REQUIRED_MANAGED_GROUPS.filter((g) => !rules.some((r) => r.managedGroup === g));
    if (missing.length > 0) {
        report(`missing managed rule groups: ${missing.join(", ")}.`);
    }
    if (!rules.some((r) => r.rateBased)) {
        report("no rate-based rule.");
    }
});

export const wafRules = [webAclLogging, webAclBaseline];
