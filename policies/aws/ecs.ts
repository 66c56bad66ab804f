import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { ofType, Props, refersTo, resourceRule, RuleMeta, stackRule } from "../lib/rule";
import { taskContainersOf } from "../lib/ecs";
import { guardContainer } from "../lib/guard";
import { findCredentials, findCredentialValues, loadCredentialDetector } from "../../components/common/credentials";

// The credential detector (secretlint, ESM) loads asynchronously on first use: start it as the pack loads, so that it
// is ready while the pack waits for its first request rather than costing the first task definition's analysis.
// A failure to load surfaces, as before, in the rules that use it.
loadCredentialDetector().catch(() => undefined);

const TASK_DEFINITION = ["aws:ecs/taskDefinition:TaskDefinition"];
const SERVICE = ["aws:ecs/service:Service"];

/** The violation a container rule reports when it cannot see the containers. */
export const UNKNOWN_CONTAINERS = "containerDefinitions is not known (unset, unknown until apply, or not a JSON array): its containers cannot be judged; run the check when the definitions are known (mcpsec check synthesizes them).";

/** A rule over every container of a task definition; `check` returns the problem, or undefined. */
function containerRule(meta: RuleMeta, check: (c: Props, task: Props) => string | undefined) {
    return resourceRule(meta, TASK_DEFINITION, (props, _args, report: ReportViolation) => {
        const containers = taskContainersOf(props);
        if (!containers) {
            report(UNKNOWN_CONTAINERS);
            return;
        }
        for (const c of containers) {
            const problem = check(c, props);
            if (problem) {
                report(`Container ${c.name ?? "?"}: ${problem}`);
            }
        }
    });
}

const hardening = { severity: "high" as const, controls: ["S3" as const, "H3" as const], maestro: ["L4" as const] };

export const readOnlyRootFilesystem = containerRule({
    ...hardening,
    name: "aws-ecs-task-read-only-root-filesystem",
    description: "Containers must run with a read-only root filesystem. A compromised MCP server then cannot modify its own code or drop tools on disk; writable paths are explicit volumes.",
    nist: ["CM-7", "SI-7"],
    threats: ["T1", "T7"],
    remediation: "Use the McpService component (components/compute), which sets readonlyRootFilesystem: true and mounts /tmp as the only writable path.",
}, (c) => (c.readonlyRootFilesystem === true ? undefined : "readonlyRootFilesystem is not true."));

export const nonRootUser = containerRule({
    ...hardening,
    name: "aws-ecs-task-non-root-user",
    description: "Containers must run as a numeric non-root user. Root inside the container widens every escape and file-permission bypass.",
    nist: ["AC-6", "CM-7"],
    threats: ["T4", "T6"],
    remediation: "Set the server's user (mcpsec:servers[].user, default 65532:65532) and build the image to run as that user.",
}, (c) => {
    const user = typeof c.user === "string" ? c.user.trim() : undefined;
    if (user === undefined || user === "") {
        return "no user is set, so the image's default (often root) applies.";
    }
    // A name ("app", or "toor", which may be uid 0) is resolved in the image's /etc/passwd, unseen here.
    const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
    if (!numeric) {
        return `user is ${JSON.stringify(c.user)}, not a numeric uid (uid or uid:gid): a name is resolved inside the image and may be root.`;
    }
    return Number(numeric[1]) === 0 ? `user is ${c.user} (root).` : undefined;
});

export const notPrivileged = containerRule({
    ...hardening,
    severity: "critical",
    name: "aws-ecs-task-not-privileged",
    description: "Containers must not run privileged. A privileged container holds every capability of the host's root user.",
    nist: ["AC-6", "CM-7"],
    threats: ["T4", "T6"],
    remediation: "Remove privileged: true; the McpService component never sets it.",
}, (c) => (c.privileged === true ? "privileged is true." : undefined));

export const dropAllCapabilities = containerRule({
    ...hardening,
    name: "aws-ecs-task-drop-all-capabilities",
    description: "Containers must drop every Linux capability and add none back. An MCP server needs no kernel privilege to answer JSON-RPC over HTTP.",
    nist: ["AC-6", "CM-7"],
    threats: ["T4", "T6"],
    remediation: "Set linuxParameters.capabilities to { drop: [\"ALL\"], add: [] }, as the McpService component does.",
}, (c) => {
    const caps = (c.linuxParameters?.capabilities ?? {}) as Props;
    const drop = (caps.drop ?? []) as string[];
    const add = (caps.add ?? []) as string[];
    if (!drop.includes("ALL")) {
        return "linuxParameters.capabilities.drop does not contain ALL.";
    }
    return add.length > 0 ? `capabilities are added back: ${add.join(", ")}.` : undefined;
});

export const noNewPrivileges = containerRule({
    ...hardening,
    severity: "medium",
    name: "aws-ecs-task-no-new-privileges",
    description: "Containers of task definitions that can run on EC2 must set no-new-privileges, so that setuid binaries cannot raise privileges. Fargate does not accept this option; there, dropping every capability is the control.",
    nist: ["AC-6", "CM-7"],
    threats: ["T4"],
    remediation: "Add \"no-new-privileges\" to dockerSecurityOptions of EC2 task definitions, or run on Fargate (requiresCompatibilities: [\"FARGATE\"]) as McpService does.",
}, (c, task) => {
    const compat = (task.requiresCompatibilities ?? ["EC2"]) as string[];
    if (!compat.includes("EC2") && !compat.includes("EXTERNAL")) {
        return undefined;
    }
    return ((c.dockerSecurityOptions ?? []) as string[]).includes("no-new-privileges") ? undefined : "dockerSecurityOptions lacks no-new-privileges on a task that can run on EC2.";
});

export const resourceLimits = resourceRule({
    name: "aws-ecs-task-resource-limits",
    description: "Task definitions must set CPU and memory for the task, and every container a memory limit. An unbounded MCP server can starve its neighbours (denial of service).",
    severity: "medium",
    controls: ["S3", "H3"],
    nist: ["SC-6", "SC-5"],
    maestro: ["L4"],
    threats: ["T5"],
    remediation: "Set mcpsec:servers[].cpu and memory (Fargate sizes); McpService sets task and container limits from them.",
}, TASK_DEFINITION, (props, _args, report) => {
    if (!props.cpu || !props.memory) {
        report(`The task sets ${!props.cpu ? "no cpu" : ""}${!props.cpu && !props.memory ? " and " : ""}${!props.memory ? "no memory" : ""}.`);
    }
    const containers = taskContainersOf(props);
    if (!containers) {
        report(UNKNOWN_CONTAINERS);
        return;
    }
    for (const c of containers) {
        if (!c.memory && !c.memoryReservation && !props.memory) {
            report(`Container ${c.name ?? "?"} has no memory limit.`);
        }
    }
});

export const logging = containerRule({
    name: "aws-ecs-task-logging-configured",
    description: "Every container must send its logs to a log driver. MCP servers' own logs (tool calls, errors) are evidence for detection and incident response.",
    severity: "medium",
    controls: ["O1"],
    nist: ["AU-2", "AU-12"],
    maestro: ["L5"],
    threats: ["T1", "T2"],
    remediation: "Use the McpService component, which sends logs to an encrypted log group with the awslogs driver.",
}, (c) => (c.logConfiguration?.logDriver ? undefined : "logConfiguration is not set."));

/** The plain values a container is given besides its environment: command, entry point and Docker labels. */
function plainValues(c: Props): { name: string; value: string }[] {
    const list = (key: string) => (Array.isArray(c[key]) ? (c[key] as unknown[]) : []).map((v, i) => ({ name: `${key}[${i}]`, value: typeof v === "string" ? v : "" }));
    const labels = c.dockerLabels && typeof c.dockerLabels === "object" ? Object.entries(c.dockerLabels as Props).map(([k, v]) => ({ name: `dockerLabels.${k}`, value: typeof v === "string" ? v : "" })) : [];
    return [...list("command"), ...list("entryPoint"), ...labels];
}

export const noSecretsInEnvironment = resourceRule({
    name: "aws-ecs-task-no-secrets-in-environment",
    description: "Containers must not receive credentials as plain values: environment variables, command, entry point and Docker labels show in the task definition to anyone who can describe it, and environment files (S3 objects) put variables in the environment unseen. Secrets come from Secrets Manager through the secrets field. An environment variable is refused by its name (secret, password, token, credential, names ending in KEY but PUBLIC_KEY, or in PASS, PWD, DSN, COOKIE; names ending in _ARN, _PATH, _FILE, _URL, _URI only point at one) and every plain value by its content: secretlint's recommended rules (GitHub, GitLab, Slack, npm, OpenAI, Anthropic, Stripe, SendGrid and Hugging Face tokens, AWS keys, private key blocks, passwords in http(s) URLs and database connection strings), secretlint's pattern rule (a password in a URL of any scheme, Password= and AccountKey= pairs, Google API keys, a private key header alone), JSON Web Tokens, and a bare AWS secret key under a name that says AWS. The message names the variable or field, never the value.",
    severity: "high",
    controls: ["S5", "C5"],
    nist: ["IA-5", "SC-28"],
    maestro: ["L4", "L6"],
    threats: ["T2", "T4"],
    remediation: "Move the value to Secrets Manager and reference it in mcpsec:servers[].secrets (McpService injects it with the task's secrets field); do not use environmentFiles, command arguments or labels for credentials.",
}, TASK_DEFINITION, async (props, _args, report) => {
    const containers = taskContainersOf(props);
    if (!containers) {
        report(UNKNOWN_CONTAINERS);
        return;
    }
    for (const c of containers) {
        const env = ((c.environment ?? []) as Props[]).map((e) => ({ name: String(e.name ?? ""), value: typeof e.value === "string" ? e.value : "" }));
        const found = [...await findCredentials(env), ...await findCredentialValues(plainValues(c))];
        if (found.length > 0) {
            report(`Container ${c.name ?? "?"}: plain values carry credentials: ${found.map((f) => `${f.name} (${f.kind})`).join(", ")}.`);
        }
        const files = Array.isArray(c.environmentFiles) ? c.environmentFiles as Props[] : [];
        if (files.length > 0) {
            report(`Container ${c.name ?? "?"}: environmentFiles (${files.map((f) => String(f.value ?? "?")).join(", ")}) put variables in the environment that this check cannot read; pass credentials through secrets.`);
        }
    }
});

export const imagePinnedByDigest = containerRule({
    name: "aws-ecs-task-image-pinned-by-digest",
    description: "Container images must be referenced by digest (repo@sha256:...). A tag can be moved to other content after review; a digest cannot, which closes the update-mechanism path of supply-chain attacks.",
    severity: "high",
    controls: ["C4", "S6"],
    nist: ["SR-4", "SI-7", "CM-14"],
    maestro: ["L4", "L7"],
    threats: ["T7", "T1"],
    remediation: "Give mcpsec:servers[].image as <repository>@sha256:<digest> and leave allowMutableImageTag unset.",
}, (c) => (typeof c.image === "string" && /@sha256:[a-f0-9]{64}$/.test(c.image) ? undefined : `image ${JSON.stringify(c.image)} is not pinned by digest.`));

export const serviceNoPublicIp = resourceRule({
    name: "aws-ecs-service-no-public-ip",
    description: "ECS services must not give their tasks public IP addresses. MCP servers are reached through the pattern's entry point only.",
    severity: "high",
    controls: ["S1", "H2"],
    nist: ["SC-7", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Set networkConfiguration.assignPublicIp: false and use private subnets, as McpService does.",
}, SERVICE, (props, _args, report) => {
    if (props.networkConfiguration?.assignPublicIp === true) {
        report("networkConfiguration.assignPublicIp is true.");
    }
});

export const serviceExecDisabled = resourceRule({
    name: "aws-ecs-service-execute-command-disabled",
    description: "ECS Exec must be off: it opens an interactive shell into MCP server tasks, a path around the entry point and its audit trail.",
    severity: "medium",
    controls: ["H2", "C2"],
    nist: ["AC-17", "CM-7"],
    maestro: ["L4", "L6"],
    threats: ["T4"],
    remediation: "Leave McpService's enableExecuteCommand unset (false); for a break-glass session, enable it for the session and expect this policy to report it.",
}, SERVICE, (props, _args, report) => {
    if (props.enableExecuteCommand === true) {
        report("enableExecuteCommand is true.");
    }
});

const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS_RULES = ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule"];
/**
 * A container that is an MCP guard, as the guard itself reads its settings (policies/lib/guard.ts): the port it
 * listens on and the loopback port of the server it forwards to. Undefined for any other container.
 */
export function guardOf(c: Props): { listenPort: number; upstreamPort: number } | undefined {
    return guardContainer(c);
}

/** True when an ingress entry admits TCP `port` (all traffic included). */
function admitsPort(e: Props, port: number): boolean {
    const protocol = String(e.ipProtocol ?? e.protocol ?? "");
    if (protocol === "-1" || protocol === "all") {
        return true;
    }
    return (protocol === "tcp" || protocol === "6") && Number(e.fromPort) <= port && port <= Number(e.toPort);
}

/** The ingress entries (inline and separate rule resources) of the security groups a service's tasks run in. */
function serviceIngress(service: PolicyResource, resources: PolicyResource[]): { entry: Props; where: string }[] {
    const ids = ((service.props.networkConfiguration?.securityGroups ?? []) as unknown[]).filter((v): v is string => typeof v === "string");
    const deps = new Set((service.propertyDependencies.networkConfiguration ?? []).map((d) => d.urn));
    const groups = resources.filter((r) => r.type === SECURITY_GROUP && (ids.includes(r.props.id) || deps.has(r.urn)));
    const entries: { entry: Props; where: string }[] = [];
    for (const g of groups) {
        for (const e of (g.props.ingress ?? []) as Props[]) {
            entries.push({ entry: e, where: `security group ${g.name}` });
        }
        for (const r of resources.filter((x) => INGRESS_RULES.includes(x.type) && (x.type !== INGRESS_RULES[1] || x.props.type === "ingress") && refersTo(x, "securityGroupId", g))) {
            entries.push({ entry: r.props, where: `ingress rule ${r.name} of ${g.name}` });
        }
    }
    return entries;
}

export const serviceReachableOnlyThroughGuard = stackRule({
    name: "aws-ecs-service-reachable-only-through-guard",
    description: "Every MCP server behind a load balancer must be reachable only through its MCP guard (the guard/ sidecar that checks the token, the scope of each tool, the pinned manifest, the arguments and the results). For each ECS service registered in a target group: every target group must be mapped to a guard container of the task (one whose GUARD_UPSTREAM_URL names a server on 127.0.0.1) on the port the guard listens on (GUARD_LISTEN_PORT, default 8443), never to the server's own container or port; no other container of the task may map a port (the server is reached on loopback inside the task); and the service's security groups may not admit the server's port (in awsvpc mode the guard and the server share the task's network interface, so the security group is what keeps the server's port closed). The guard's image must be pinned by digest (a moved tag could swap the guard for a pass-through).",
    severity: "critical",
    controls: ["S2", "S6", "C1", "C3", "C5", "H5"],
    nist: ["AC-3", "AC-4", "SC-7", "SI-10", "SI-4"],
    maestro: ["L3", "L4"],
    threats: ["T1", "T2", "T3", "T4"],
    remediation: "Set mcpsec:guard.image (digest-pinned; leave mcpsec:guard.allowUnguarded unset) so that SecurityZone runs McpService with its guard argument: the target group then names the mcp-guard container on mcpsec:guard.port, the server has no port mapping and its security group admits only the guard's port from the entry point.",
}, (resources, _args, report) => {
    const tasks = ofType(resources, TASK_DEFINITION[0]);
    for (const service of ofType(resources, SERVICE[0])) {
        const bindings = ((service.props.loadBalancers ?? []) as Props[]).filter((b) => b && (b.targetGroupArn !== undefined || b.elbName !== undefined));
        if (bindings.length === 0) {
            continue;
        }
        const task = tasks.find((t) => refersTo(service, "taskDefinition", t, ["arnWithoutRevision", "family"]));
        const containers = task ? taskContainersOf(task.props) : undefined;
        if (!containers) {
            report(`Service ${service.name} is registered in a target group, but its task definition ${task ? "has containers that cannot be judged" : "is not in this stack"}: nothing shows the target group reaches a guard.`, service.urn);
            continue;
        }
        const guards = containers.map((c) => ({ c, guard: guardOf(c) })).filter((x) => x.guard !== undefined);
        for (const b of bindings) {
            const target = containers.find((c) => c.name === b.containerName);
            const guard = target ? guardOf(target) : undefined;
            if (!guard) {
                report(`Service ${service.name}: its target group reaches container ${String(b.containerName)} on port ${String(b.containerPort)} directly, not through an MCP guard (no guard container there): every request reaches the server unchecked.`, service.urn);
            } else if (Number(b.containerPort) !== guard.listenPort) {
                report(`Service ${service.name}: its target group reaches the guard container ${String(b.containerName)} on port ${String(b.containerPort)}, not on the port the guard listens on (${guard.listenPort}).`, service.urn);
            }
        }
        for (const { c, guard } of guards) {
            if (typeof c.image !== "string" || !/@sha256:[a-f0-9]{64}$/.test(c.image)) {
                report(`Service ${service.name}: guard container ${String(c.name)} runs image ${JSON.stringify(c.image)}, not pinned by digest.`, service.urn);
            }
            for (const { entry, where } of serviceIngress(service, resources).filter((x) => admitsPort(x.entry, guard!.upstreamPort))) {
                report(`Service ${service.name}: ${where} admits the server's port ${guard!.upstreamPort} (${String(entry.ipProtocol ?? entry.protocol)} ${String(entry.fromPort ?? "")}-${String(entry.toPort ?? "")}): the server is reachable past its guard.`, service.urn);
            }
        }
        for (const c of containers.filter((x) => !guardOf(x))) {
            const mapped = ((c.portMappings ?? []) as Props[]).map((m) => m.containerPort).filter((p) => p !== undefined);
            if (mapped.length > 0 && guards.length > 0) {
                report(`Service ${service.name}: container ${String(c.name)} maps port ${mapped.join(", ")}; behind its guard the server is reached only on 127.0.0.1 inside the task and maps no port.`, service.urn);
            }
        }
    }
});

export const ecsRules = [
    readOnlyRootFilesystem, nonRootUser, notPrivileged, dropAllCapabilities, noNewPrivileges, resourceLimits, logging,
    noSecretsInEnvironment, imagePinnedByDigest, serviceNoPublicIp, serviceExecDisabled, serviceReachableOnlyThroughGuard,
];
