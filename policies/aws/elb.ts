import { ofType, refersTo, resourceRule, stackRule } from "../lib/rule";

const LB = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const LISTENER = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";

/** TLS 1.2+ policies with forward secrecy: the default allowed set (pack config `allowedPolicies` replaces it). */
export const DEFAULT_TLS_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
];

const isApplication = (props: Record<string, unknown>) => (props.loadBalancerType ?? "application") === "application";

export const albHasWebAcl = stackRule({
    name: "aws-elb-alb-has-web-acl",
    description: "Every Application Load Balancer and every API Gateway REST stage must have a WAF web ACL associated. The web ACL is where MCP traffic is inspected: managed rules, rate limits and the JSON-RPC method allowlist.",
    severity: "high",
    controls: ["S2", "C5"],
    nist: ["SC-7", "SI-4", "SC-5"],
    maestro: ["L4", "L3"],
    threats: ["T5", "T1", "T4"],
    remediation: "Use the InternalAlb component (components/edge), which requires webAclArn and associates it; for your own load balancer, add an aws.wafv2.WebAclAssociation with resourceArn set to it.",
}, (resources, _args, report) => {
    const associations = ofType(resources, ASSOCIATION);
    const targets = [
        ...resources.filter((r) => LB.includes(r.type) && isApplication(r.props)),
        ...ofType(resources, "aws:apigateway/stage:Stage"),
    ];
    for (const target of targets) {
        const covered = associations.some((a) => refersTo(a, "resourceArn", target));
        if (!covered) {
            report(`${target.type.split(":").pop()} ${target.name} has no web ACL associated.`, target.urn);
        }
    }
});

export const listenerTls = resourceRule({
    name: "aws-elb-listener-tls",
    description: "Load balancer listeners must serve HTTPS or TLS with a TLS 1.2+ policy that has forward secrecy; plain HTTP listeners may only redirect to HTTPS. Tokens and tool arguments must never cross a network in clear text.",
    severity: "high",
    controls: ["H5", "S2"],
    nist: ["SC-8", "SC-13", "SC-23"],
    maestro: ["L4"],
    threats: ["T2", "T4"],
    remediation: "Use the InternalAlb component (HTTPS with ELBSecurityPolicy-TLS13-1-2-2021-06 and no plain-HTTP listener; a listener of your own on HTTP may only redirect to HTTPS), or set sslPolicy to an allowed policy (mcpsec:edge.sslPolicy).",
    configSchema: { properties: { allowedPolicies: { type: "array", items: { type: "string" }, minItems: 1, default: DEFAULT_TLS_POLICIES } } },
}, LISTENER, (props, args, report) => {
    const allowed = args.getConfig<{ allowedPolicies?: string[] }>().allowedPolicies ?? DEFAULT_TLS_POLICIES;
    const protocol = String(props.protocol ?? "HTTP").toUpperCase();
    if (protocol === "HTTPS" || protocol === "TLS") {
        if (!allowed.includes(props.sslPolicy)) {
            report(`sslPolicy is ${props.sslPolicy ?? "the load balancer default"}; allowed: ${allowed.join(", ")}.`);
        }
        return;
    }
    if (protocol === "HTTP") {
        const actions = (props.defaultActions ?? []) as { type?: string; redirect?: { protocol?: string } }[];
        const redirects = actions.length > 0 && actions.every((a) => a.type === "redirect" && String(a.redirect?.protocol).toUpperCase() === "HTTPS");
        if (!redirects) {
            report("an HTTP listener does something other than redirect to HTTPS.");
        }
    }
});

export const albDropInvalidHeaders = resourceRule({
    name: "aws-elb-alb-drop-invalid-headers",
    description: "Application Load Balancers must drop invalid HTTP header fields and use defensive or strictest desync mitigation, closing request-smuggling paths to the MCP servers behind them.",
    severity: "medium",
    controls: ["S2"],
    nist: ["SI-10", "SC-7"],
    maestro: ["L4"],
    threats: ["T4", "T6"],
    remediation: "Set dropInvalidHeaderFields: true and desyncMitigationMode \"strictest\", as InternalAlb does.",
}, LB, (props, _args, report) => {
    if (!isApplication(props)) {
        return;
    }
    if (props.dropInvalidHeaderFields !== true) {
        report("dropInvalidHeaderFields is not true.");
    }
    if (props.desyncMitigationMode === "monitor") {
        report("desyncMitigationMode is monitor.");
    }
});

export const lbAccessLogs = resourceRule({
    name: "aws-elb-access-logs-enabled",
    description: "Application Load Balancers must write access logs: every request to an MCP entry point, with client, status and timing, kept for investigation.",
    severity: "medium",
    controls: ["O1"],
    nist: ["AU-2", "AU-12"],
    maestro: ["L5"],
    threats: ["T4", "T5"],
    remediation: "Use InternalAlb, which logs to a private, TLS-only bucket; or set accessLogs { enabled: true, bucket }.",
}, LB, (props, _args, report) => {
    if (isApplication(props) && props.accessLogs?.enabled !== true) {
        report("accessLogs are not enabled.");
    }
});

export const lbDeletionProtection = resourceRule({
    name: "aws-elb-deletion-protection",
    description: "Load balancers that front MCP servers must have deletion protection, so that one mistaken change cannot take the entry point (and its WAF association) away.",
    severity: "low",
    controls: ["P1", "S2"],
    nist: ["CP-10", "CM-3"],
    maestro: ["L4"],
    threats: ["T5"],
    remediation: "Leave InternalAlb's allowDeletion unset; set enableDeletionProtection: true on your own load balancers.",
}, LB, (props, _args, report) => {
    if (props.enableDeletionProtection !== true) {
        report("enableDeletionProtection is not true.");
    }
});

export const elbRules = [albHasWebAcl, listenerTls, albDropInvalidHeaders, lbAccessLogs, lbDeletionProtection];
