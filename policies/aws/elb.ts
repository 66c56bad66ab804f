import type { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";

const LB = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const LISTENER = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";
const LISTENER_RULE = ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"];
const TARGET_GROUP = ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"];

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

/** The target group references of an action list (targetGroupArn and weighted forward.targetGroups). */
const targetGroupRefs = (actions: Props[]): unknown[] => actions.flatMap((a) => [
    ...(a.targetGroupArn !== undefined ? [a.targetGroupArn] : []),
    ...((a.forward?.targetGroups ?? []) as Props[]).map((t) => t.arn),
]);

/** The target groups an action list forwards to: by recorded dependency or by ARN. */
function forwardedTargetGroups(from: PolicyResource, property: string, actions: Props[], groups: PolicyResource[]): PolicyResource[] {
    const arns = targetGroupRefs(actions).filter((v) => typeof v === "string");
    const deps = new Set((from.propertyDependencies[property] ?? []).map((d) => d.urn));
    return groups.filter((g) => deps.has(g.urn) || arns.includes(g.props.arn) || arns.includes(g.props.id));
}

/**
 * The target group references of an action list that name no target group of the stack: an ARN string that no
 * group has, or a reference that is not an ARN (unknown) while the property depends on no target group.
 */
function unresolvedTargetGroups(from: PolicyResource, property: string, actions: Props[], groups: PolicyResource[]): string[] {
    const dependsOnGroup = (from.propertyDependencies[property] ?? []).some((d) => TARGET_GROUP.includes(d.type));
    return targetGroupRefs(actions).filter((ref) => {
        if (groups.some((g) => ref === g.props.arn || ref === g.props.id)) {
            return false;
        }
        return typeof ref === "string" && ref.startsWith("arn:") ? true : !dependsOnGroup;
    }).map((ref) => (typeof ref === "string" ? ref : "(unknown)"));
}

/** True when a redirect keeps the request's host (host unset, or exactly #{host}). */
const keepsHost = (redirect: Props | undefined) => redirect?.host === undefined || redirect.host === null || redirect.host === "" || redirect.host === "#{host}";

export const listenerActionsSafe = stackRule({
    name: "aws-elb-listener-rules-safe",
    description: "Every listener rule, and every listener's default actions, must keep traffic on the protected path. A rule of a plain-HTTP listener may only redirect to HTTPS (the listener TLS rule judges default actions). No action may redirect to HTTP or to another host (a redirect keeps #{host}). An action that forwards must forward to target groups that check their targets' health (a target group with the health check disabled keeps sending requests to a failed or contained task), through an Application Load Balancer: a listener of another load balancer (a Network or Gateway Load Balancer, or one not in the stack) that forwards straight to a server's target group, or to a target group not in the stack (its type cannot be shown), is a path around the WAF. A target group of type alb (the PrivateLink hop to the ALB) is the exception, since the ALB behind it inspects; an ALB without a web ACL is reported by aws-elb-alb-has-web-acl.",
    severity: "high",
    controls: ["S2", "H5", "C5"],
    nist: ["SC-7", "SC-8", "AC-4"],
    maestro: ["L4"],
    threats: ["T4", "T5", "T2"],
    remediation: "Use the InternalAlb component (HTTPS listener, host rules forwarding to health-checked target groups, web ACL required) and reach it from outside only through PrivateLinkNlb (an alb-type target group); keep healthCheck.enabled unset or true and redirect only to HTTPS.",
}, (resources, _args, report) => {
    const lbs = resources.filter((r) => LB.includes(r.type));
    const listeners = resources.filter((r) => LISTENER.includes(r.type));
    const groups = resources.filter((r) => TARGET_GROUP.includes(r.type));
    const check = (owner: PolicyResource, what: string, listener: PolicyResource | undefined, property: string, actions: Props[], isRule: boolean) => {
        const protocol = String(listener?.props.protocol ?? "").toUpperCase();
        for (const a of actions) {
            const type = String(a.type ?? "");
            if (isRule && protocol === "HTTP" && !(type === "redirect" && String(a.redirect?.protocol).toUpperCase() === "HTTPS")) {
                report(`${what} of plain-HTTP listener ${listener?.name} does ${type || "something"} instead of redirecting to HTTPS.`, owner.urn);
            }
            if (type === "redirect" && String(a.redirect?.protocol ?? "").toUpperCase() === "HTTP") {
                report(`${what} redirects to HTTP.`, owner.urn);
            }
            if (type === "redirect" && !keepsHost(a.redirect)) {
                report(`${what} redirects to another host (${String(a.redirect.host)}): an open path off the protected entry point; redirect only within #{host}.`, owner.urn);
            }
        }
        const lb = listener && lbs.find((l) => refersTo(listener, "loadBalancerArn", l));
        // An ALB's own web ACL association is judged by aws-elb-alb-has-web-acl; here, only other load balancers.
        const inspected = lb !== undefined && isApplication(lb.props);
        if (!inspected) {
            for (const ref of unresolvedTargetGroups(owner, property, actions, groups)) {
                report(`${what} forwards to target group ${ref}, which is not in this stack, through ${lb ? `${String(lb.props.loadBalancerType)} load balancer ${lb.name}` : "a load balancer not in this stack"}: nothing shows it is the PrivateLink hop to the ALB (a target group of type alb), so it may be a path around the WAF.`, owner.urn);
            }
        }
        for (const tg of forwardedTargetGroups(owner, property, actions, groups)) {
            if (tg.props.healthCheck?.enabled === false) {
                report(`${what} forwards to target group ${tg.name}, whose health check is disabled.`, owner.urn);
            }
            if (!inspected && tg.props.targetType !== "alb") {
                report(`${what} forwards to target group ${tg.name} through ${lb ? `${String(lb.props.loadBalancerType)} load balancer ${lb.name}, which no web ACL can inspect` : "a load balancer not in this stack"}: a path around the WAF.`, owner.urn);
            }
        }
    };
    for (const listener of listeners) {
        check(listener, `Listener ${listener.name}`, listener, "defaultActions", (listener.props.defaultActions ?? []) as Props[], false);
    }
    for (const rule of resources.filter((r) => LISTENER_RULE.includes(r.type))) {
        const listener = listeners.find((l) => refersTo(rule, "listenerArn", l));
        check(rule, `Listener rule ${rule.name}`, listener, "actions", (rule.props.actions ?? []) as Props[], true);
    }
});

export const targetGroupHttps = resourceRule({
    name: "aws-elb-target-group-https",
    description: "Target groups of Application Load Balancers that send to tasks or instances must use HTTPS, for requests and for health checks, so that the hop from the load balancer to the MCP server's guard is encrypted too: bearer tokens, tool arguments and results never cross the zone in clear text. An Application Load Balancer does not validate its targets' certificates, so the guard's certificate made at its start serves (the hop is encrypted, not authenticated). A health check on another port than the traffic port (a status port) carries no request data and may be plain HTTP. Target groups of type alb (the PrivateLink hop, TCP to the ALB's HTTPS listener) and lambda are not judged.",
    severity: "high",
    controls: ["H5"],
    nist: ["SC-8", "SC-8(1)"],
    maestro: ["L4"],
    threats: ["T2", "T4"],
    remediation: "Use InternalAlb routes without plaintextTarget (HTTPS to each server's guard on mcpsec:guard.port); leave mcpsec:guard.allowUnguarded unset; on your own target group set protocol and healthCheck.protocol to HTTPS.",
}, TARGET_GROUP, (props, _args, report) => {
    const type = String(props.targetType ?? "instance");
    if (type === "alb" || type === "lambda") {
        return;
    }
    const protocol = String(props.protocol ?? "").toUpperCase();
    if (protocol === "HTTP") {
        report(`protocol is HTTP: requests reach the targets in clear text (tokens, tool arguments and results).`);
    }
    // A health check on another port than the traffic's (a status port) sends only the check itself, no request
    // data: plain HTTP there leaks nothing. On the traffic port it must be HTTPS like the traffic.
    const checkPort = String(props.healthCheck?.port ?? "traffic-port");
    const onTrafficPort = checkPort === "traffic-port" || props.port === undefined || checkPort === String(props.port);
    if (protocol === "HTTPS" && onTrafficPort && String(props.healthCheck?.protocol ?? "HTTP").toUpperCase() === "HTTP") {
        report(`healthCheck.protocol is ${props.healthCheck?.protocol === undefined ? "unset (HTTP)" : "HTTP"} while the targets serve HTTPS.`);
    }
});

export const elbRules = [albHasWebAcl, listenerTls, albDropInvalidHeaders, lbAccessLogs, lbDeletionProtection, listenerActionsSafe, targetGroupHttps];
