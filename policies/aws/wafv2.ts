import { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";

const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
const LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration";

/** Provider (typed) keys whose API spelling is not the key with its first letter in upper case. */
const API_KEYS: Record<string, string> = { arn: "ARN" };

/** A value of the provider's typed form in the WAF API's JSON form (keys capitalised, recursively). */
function toApi(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(toApi);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [API_KEYS[k] ?? k.charAt(0).toUpperCase() + k.slice(1), toApi(v)]));
    }
    return value;
}

/** The rules of a web ACL in the API's JSON form, from `ruleJson` or the typed `rules`; undefined when `ruleJson` is not JSON. */
export function webAclApiRules(props: Props): Props[] | undefined {
    if (typeof props.ruleJson === "string") {
        try {
            const rules = JSON.parse(props.ruleJson) as unknown;
            return Array.isArray(rules) ? (rules as Props[]) : undefined;
        } catch {
            return undefined;
        }
    }
    return toApi(props.rules ?? []) as Props[];
}

/** Rules of a web ACL as {name, managedGroup, rateBased}. */
export function webAclRules(props: Props): { name: string; managedGroup?: string; rateBased: boolean }[] {
    return (webAclApiRules(props) ?? []).map((r) => ({ name: r.Name, managedGroup: r.Statement?.ManagedRuleGroupStatement?.Name, rateBased: r.Statement?.RateBasedStatement !== undefined }));
}

export const REQUIRED_MANAGED_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"];

/** The name of the action set in an action object ({ Block: {} } -> "block"), lower case. */
const actionOf = (a: Props | undefined) => (a ? Object.keys(a).find((k) => a[k] !== undefined && a[k] !== null)?.toLowerCase() : undefined);

/** Whether a logging filter can drop a request that the web ACL blocked, and which part of the filter does. */
function dropsBlocked(filter: Props): string | undefined {
    const conditions = (c: Props) => ((c.conditions ?? []) as Props[]);
    // A condition a blocked request meets for sure (action BLOCK), and one it may meet (BLOCK, or any label: rules label what they block).
    const surely = (c: Props) => String(c.actionCondition?.action ?? "").toUpperCase() === "BLOCK";
    const maybe = (c: Props) => surely(c) || c.labelNameCondition !== undefined;
    const filters = (filter.filters ?? []) as Props[];
    for (const [i, f] of filters.entries()) {
        const all = String(f.requirement ?? "MEETS_ALL").toUpperCase() === "MEETS_ALL";
        const cs = conditions(f);
        const mayMatch = cs.length > 0 && (all ? cs.every(maybe) : cs.some(maybe));
        const mustMatch = cs.length > 0 && (all ? cs.every(surely) : cs.some(surely));
        if (String(f.behavior).toUpperCase() === "DROP" && mayMatch) {
            return `filter ${i + 1}, DROP`;
        }
        if (String(f.behavior).toUpperCase() === "KEEP" && mustMatch) {
            return undefined;
        }
    }
    return String(filter.defaultBehavior ?? "KEEP").toUpperCase() === "DROP" ? "logging filter default DROP" : undefined;
}

/** Why the web ACL's data protection does not hide the Authorization header everywhere, or undefined when it does. */
function authorizationExposure(acl: PolicyResource): string | undefined {
    const protections = ((acl.props.dataProtectionConfig?.dataProtections ?? []) as Props[]).filter((p) =>
        String(p.field?.fieldType ?? "").toUpperCase() === "SINGLE_HEADER"
        && ((p.field?.fieldKeys ?? []) as string[]).some((k) => String(k).toLowerCase() === "authorization")
        && ["SUBSTITUTION", "HASH"].includes(String(p.action ?? "").toUpperCase()));
    if (protections.length === 0) {
        return "no data protection of the authorization header (dataProtectionConfig, SINGLE_HEADER authorization)";
    }
    if (protections.every((p) => p.excludeRuleMatchDetails === true)) {
        return "its data protection of the authorization header excludes rule match details";
    }
    if (protections.every((p) => p.excludeRateBasedDetails === true)) {
        return "its data protection of the authorization header excludes rate-based details (the per-token key)";
    }
    return undefined;
}

export const webAclLogging = stackRule({
    name: "aws-wafv2-web-acl-logging",
    description: "Every web ACL must log to a destination, keep blocked requests in its logs (a logging filter may drop other requests, never those the web ACL blocked), and never show the Authorization header: web ACL data protection of the authorization header (SUBSTITUTION or HASH, not excluding rule match or rate-based details), which covers sampled requests as well as logs; redacting it in the logging configuration alone leaves it in sampled requests. WAF logs show blocked attacks on MCP endpoints; bearer tokens must not end up in them.",
    severity: "high",
    controls: ["O1", "S2"],
    nist: ["AU-2", "AU-12", "AU-9"],
    maestro: ["L5"],
    threats: ["T1", "T4", "T5"],
    remediation: "Use the McpWebAcl component, which logs every request to an encrypted aws-waf-logs-* log group, protects authorization and cookie with web ACL data protection and redacts them in the log configuration; or set the web ACL's dataProtectionConfig { dataProtections: [{ action: \"SUBSTITUTION\", field: { fieldType: \"SINGLE_HEADER\", fieldKeys: [\"authorization\"] } }] } and an aws.wafv2.WebAclLoggingConfiguration whose loggingFilter keeps BLOCK.",
}, (resources, _args, report) => {
    const logging = ofType(resources, LOGGING);
    for (const acl of ofType(resources, WEB_ACL)) {
        const exposure = authorizationExposure(acl);
        if (exposure !== undefined) {
            report(`Web ACL ${acl.name} shows the Authorization header in sampled requests: ${exposure}.`, acl.urn);
        }
        const configs = logging.filter((l: PolicyResource) => refersTo(l, "resourceArn", acl));
        if (configs.length === 0) {
            report(`Web ACL ${acl.name} has no logging configuration.`, acl.urn);
            continue;
        }
        const redacts = configs.some((c) => ((c.props.redactedFields ?? []) as Props[]).some((f) => String(f.singleHeader?.name ?? "").toLowerCase() === "authorization"));
        if (!redacts && exposure !== undefined) {
            report(`Web ACL ${acl.name} logs the Authorization header in clear.`, acl.urn);
        }
        for (const c of configs) {
            const drop = c.props.loggingFilter ? dropsBlocked(c.props.loggingFilter as Props) : undefined;
            if (drop !== undefined) {
                report(`Web ACL ${acl.name} drops blocked requests from its logs (${drop}).`, acl.urn);
            }
        }
    }
});

export const webAclBaseline = resourceRule({
    name: "aws-wafv2-web-acl-baseline-rules",
    description: "Web ACLs must include the AWS managed common, known-bad-inputs and IP-reputation rule groups, each inspecting every request (no scope-down statement), and a rate-based rule that blocks every client over its limit (no scope-down statement). These are the baseline of the paper's gateway control: threat detection and rate limiting. A group or rate limit scoped down to requests that never come is present but does nothing.",
    severity: "medium",
    controls: ["S2"],
    nist: ["SI-4", "SC-5", "SC-7"],
    maestro: ["L4"],
    threats: ["T5", "T4"],
    remediation: "Use the McpWebAcl component, which adds the managed groups unscoped, rate limits per IP and per token, a body size limit and the JSON-RPC allowlist; remove ScopeDownStatement from the required groups and from one rate-based rule.",
}, [WEB_ACL], (props, _args, report) => {
    const rules = webAclApiRules(props) ?? [];
    const groups = rules.map((r) => r.Statement?.ManagedRuleGroupStatement as Props | undefined).filter((g): g is Props => g !== undefined);
    const missing = REQUIRED_MANAGED_GROUPS.filter((g) => !groups.some((s) => s.Name === g));
    if (missing.length > 0) {
        report(`missing managed rule groups: ${missing.join(", ")}.`);
    }
    for (const g of groups.filter((s) => REQUIRED_MANAGED_GROUPS.includes(s.Name) && s.ScopeDownStatement)) {
        report(`rule group ${g.Name} inspects only what its scope-down statement selects; the baseline groups must inspect every request.`);
    }
    const rate = rules.filter((r) => r.Statement?.RateBasedStatement);
    if (rate.length === 0) {
        report("no rate-based rule.");
    } else if (!rate.some((r) => actionOf(r.Action) === "block" && !r.Statement.RateBasedStatement.ScopeDownStatement)) {
        report("no rate-based rule that blocks every client over its limit (each is scoped down or does not block).");
    }
});

/** One rule of a web ACL with what it does. */
interface RuleEffect { name: string; priority: number; action?: string; override?: string; managed?: string; rateBased: boolean; overrides: { rule: string; action: string }[]; excluded: string[]; statement: Props }

/** What each rule of a web ACL does; undefined when `ruleJson` cannot be parsed. */
export function webAclRuleEffects(props: Props): RuleEffect[] | undefined {
    return webAclApiRules(props)?.map((r) => {
        const st = (r.Statement ?? {}) as Props;
        const group = (st.ManagedRuleGroupStatement ?? st.RuleGroupReferenceStatement) as Props | undefined;
        return {
            name: String(r.Name ?? "?"),
            priority: Number(r.Priority ?? 0),
            action: actionOf(r.Action),
            override: actionOf(r.OverrideAction),
            managed: group ? String(group.Name ?? group.ARN ?? "?") : undefined,
            rateBased: st.RateBasedStatement !== undefined,
            overrides: ((group?.RuleActionOverrides ?? []) as Props[]).map((o) => ({ rule: String(o.Name), action: actionOf(o.ActionToUse) ?? "unset" })),
            excluded: ((group?.ExcludedRules ?? []) as Props[]).map((e) => String(e.Name)),
            statement: st,
        };
    });
}

const byteMatch = (st: Props, field: string): Props | undefined => (st.ByteMatchStatement?.FieldToMatch?.[field] !== undefined ? st.ByteMatchStatement : undefined);
const statementsOf = (st: Props, kind: "AndStatement" | "OrStatement"): Props[] | undefined => st[kind]?.Statements as Props[] | undefined;
/** A statement that matches only named HTTP methods: an exact method match, or an OR of them. */
const namesMethods = (st: Props): boolean => {
    const or = statementsOf(st, "OrStatement");
    return or ? or.length > 0 && or.every(namesMethods) : String(byteMatch(st, "Method")?.PositionalConstraint) === "EXACTLY";
};
/** A statement that matches only named paths: an exact path, a prefix ending in "/" below the root, or an OR of them. */
const namesPaths = (st: Props): boolean => {
    const or = statementsOf(st, "OrStatement");
    if (or) {
        return or.length > 0 && or.every(namesPaths);
    }
    const b = byteMatch(st, "UriPath");
    const search = String(b?.SearchString ?? "");
    return b !== undefined && (b.PositionalConstraint === "EXACTLY" || (b.PositionalConstraint === "STARTS_WITH" && search.length > 1 && search.endsWith("/")));
};

/** Override actions of a rule group's rules that still stop the request. */
const STOPPING_OVERRIDES = ["block", "captcha"];

export const webAclRulesBlock = resourceRule({
    name: "aws-wafv2-web-acl-rules-block",
    description: "A web ACL must block what its rules find, block by default, and admit only named requests, after every inspection. Count only records a match: a custom or rate-based rule whose action is Count, a rule group whose override action is Count, rules excluded from a group (counted), or rule action overrides other than Block or CAPTCHA (Count, Allow, Challenge) let requests through as if the rule were absent. The default action must be Block, so that only what an Allow rule admits (the MCP allow model) reaches a server. Every rule group, rate-based rule and blocking rule must be evaluated before every Allow rule (an Allow ends evaluation, so a group after it never sees what it admits), and every Allow rule must name the HTTP methods and the paths it admits (an AND of an exact method match and exact paths or prefixes ending in \"/\"). Both forms are judged: ruleJson (API JSON) and the typed rules.",
    severity: "high",
    controls: ["S2", "C5"],
    nist: ["SC-7", "SI-4", "SI-10"],
    maestro: ["L4", "L3"],
    threats: ["T1", "T4", "T5"],
    remediation: "Use the McpWebAcl component (default action Block, OverrideAction None, inspections first, Allow rules for the MCP paths and methods only); remove Count actions, Count override actions, excluded rules and rule action overrides other than Block or CAPTCHA; give Allow rules a priority after every other rule and an AND of method and path matches; test new rules in a separate non-production web ACL.",
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
    const allows = effects.filter((e) => e.action === "allow").sort((a, b) => a.priority - b.priority);
    for (const e of allows) {
        const and = statementsOf(e.statement, "AndStatement") ?? [e.statement];
        if (!and.some(namesMethods)) {
            report(`Allow rule ${e.name} admits any HTTP method: it must AND an exact match of the methods it admits.`);
        }
        if (!and.some(namesPaths)) {
            report(`Allow rule ${e.name} admits paths beyond named ones: it must AND exact paths or prefixes ending in "/".`);
        }
    }
    for (const e of effects) {
        if (e.action === "count") {
            report(`rule ${e.name} only counts (action Count).`);
        }
        if (e.managed !== undefined && e.override === "count") {
            report(`rule group ${e.managed} (rule ${e.name}) only counts (override action Count).`);
        }
        for (const action of [...new Set(e.overrides.map((o) => o.action))].filter((a) => !STOPPING_OVERRIDES.includes(a))) {
            const label = action.charAt(0).toUpperCase() + action.slice(1);
            report(`rule group ${e.managed} (rule ${e.name}) sets ${label} on its rules ${e.overrides.filter((o) => o.action === action).map((o) => o.rule).join(", ")}.`);
        }
        if (e.excluded.length > 0) {
            report(`rule group ${e.managed} (rule ${e.name}) excludes its rules ${e.excluded.join(", ")} (they only count).`);
        }
        const inspects = e.managed !== undefined || e.rateBased || (e.action !== undefined && e.action !== "allow" && e.action !== "count");
        const first = allows[0];
        if (inspects && first !== undefined && e.priority > first.priority) {
            report(`${e.managed !== undefined ? "rule group" : "rule"} ${e.managed ?? e.name} (priority ${e.priority}) comes after Allow rule ${first.name} (priority ${first.priority}): requests that rule admits never reach it.`);
        }
    }
});

export const wafRules = [webAclLogging, webAclBaseline, webAclRulesBlock];
