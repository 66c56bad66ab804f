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

/** One rule of a web ACL with what it does, from `ruleJson` (API form) or the typed `rules` (provider form). */
interface RuleEffect { name: string; action?: string; override?: string; managed?: string; countedRules: string[] }

const actionOf = (a: Props | undefined) => (a ? Object.keys(a).find((k) => a[k] !== undefined && a[k] !== null)?.toLowerCase() : undefined);

/** What each rule of a web ACL does; undefined when `ruleJson` cannot be parsed. */
export function webAclRuleEffects(props: Props): RuleEffect[] | undefined {
    const api = typeof props.ruleJson === "string";
    let rules: Props[];
    try {
        rules = api ? (JSON.parse(props.ruleJson) as Props[]) : ((props.rules ?? []) as Props[]);
    } catch {
        return undefined;
    }
    return rules.map((r) => {
        const st = (api ? r.Statement : r.statement) ?? {};
        const group = api ? (st.ManagedRuleGroupStatement ?? st.RuleGroupReferenceStatement) : (st.managedRuleGroupStatement ?? st.ruleGroupReferenceStatement);
        const overrides = ((api ? group?.RuleActionOverrides : group?.ruleActionOverrides) ?? []) as Props[];
        return {
            name: String((api ? r.Name : r.name) ?? "?"),
            action: actionOf(api ? r.Action : r.action),
            override: actionOf(api ? r.OverrideAction : r.overrideAction),
            managed: group ? String((api ? group.Name ?? group.ARN : group.name ?? group.arn) ?? "?") : undefined,
            countedRules: overrides.filter((o) => actionOf(api ? o.ActionToUse : o.actionToUse) === "count").map((o) => String(api ? o.Name : o.name)),
        };
    });
}

export const webAclRulesBlock = resourceRule({
    name: "aws-wafv2-web-acl-rules-block",
    description: "A web ACL must block what its rules find and block by default. Count only records a match: a custom or rate-based rule whose action is Count, a rule group whose override action is Count, or a rule group with rule action overrides that set Count on its rules lets those requests through as if the rule were absent. The default action must be Block, so that only what an Allow rule admits (the MCP allow model) reaches a server. Both forms are judged: ruleJson (API JSON) and the typed rules.",
    severity: "high",
    controls: ["S2", "C5"],
    nist: ["SC-7", "SI-4", "SI-10"],
    maestro: ["L4", "L3"],
    threats: ["T1", "T4", "T5"],
    remediation: "Use the McpWebAcl component (default action Block, OverrideAction None, Block actions); remove Count actions, Count override actions and Count rule action overrides, or test new rules in a separate non-production web ACL.",
}, [WEB_ACL], (props, _args, report) => {
    const defaultAction = actionOf(props.defaultAction);
    if (defaultAction !== "block") {
        report(`the default action is ${defaultAction ?? "unset"}: requests no rule blocks are admitted; expected block with Allow rules for what MCP uses.`);
    }
    const effects = webAclRuleEffects(props);
    if (effects === undefined) {
        report("ruleJson is not valid JSON, so its rules cannot be judged.");
        return;
    }
    for (const e of effects) {
        if (e.action === "count") {
            report(`rule ${e.name} only counts (action Count).`);
        }
        if (e.managed !== undefined && e.override === "count") {
            report(`rule group ${e.managed} (rule ${e.name}) only counts (override action Count).`);
        }
        if (e.countedRules.length > 0) {
            report(`rule group ${e.managed} (rule ${e.name}) sets Count on its rules ${e.countedRules.join(", ")}.`);
        }
    }
});

export const wafRules = [webAclLogging, webAclBaseline, webAclRulesBlock];
