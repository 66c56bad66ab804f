import { PolicyResource } from "@pulumi/policy";
import { guardContainer } from "../lib/guard";
import { ofType, Props, stackRule } from "../lib/rule";
import { containersOf, namespaceOf, POD_TYPES, podSpecOf } from "../kubernetes/pods";

/**
 * Where each MCP guard's audit lines (one JSON object per line on stdout, guard/src/audit.ts) end up, and whether the
 * `tool_call_denied` and `tool_changed` events among them are counted and alarmed there: the path an operator's
 * pager depends on, followed through what the stack deploys.
 * - ECS: the guard container's awslogs driver names its log group.
 * - Kubernetes: a Fluent Bit DaemonSet that mounts the node's /var/log and starts from a ConfigMap's classic
 *   configuration; a tail input whose Path matches the guard's log file (`/var/log/containers/<pod>_<namespace>_
 *   <container>-<id>.log`) with the CRI parser, no filter on its tag, and a cloudwatch_logs output of that tag sending
 *   `log_key log` (the line itself, so that `$.event` is the guard's field) to a fixed log_group_name.
 * Then, in that group: a metric filter matching exactly the event, and an alarm on its metric with actions.
 */

const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const EKS_CLUSTER = "aws:eks/cluster:Cluster";

/** The guard events that must page someone. */
export const ALARMED_GUARD_EVENTS = ["tool_call_denied", "tool_changed"] as const;
export type AlarmedGuardEvent = (typeof ALARMED_GUARD_EVENTS)[number];

/** What the stack does with one guard container's audit lines. */
export interface GuardAlarmPath {
    server: string;
    /** `ECS task definition <name>` or `<Kind> <namespace>/<name>`. */
    workload: string;
    kind: "ecs" | "kubernetes";
    /** The log groups its lines reach (empty: none). */
    logGroups: string[];
    /** Event -> alarms (names) that count it in one of those groups and have actions. */
    alarms: Record<AlarmedGuardEvent, string[]>;
    /** Why a part of the path is missing, for messages. */
    problems: string[];
}

type R = Pick<PolicyResource, "type" | "props" | "name">;

function containerDefinitions(props: Props): Props[] {
    try {
        const raw = props.containerDefinitions;
        const parsed = typeof raw === "string" ? JSON.parse(raw) as unknown : raw;
        return Array.isArray(parsed) ? parsed as Props[] : [];
    } catch {
        return [];
    }
}

/** One section of a Fluent Bit classic configuration: its kind and its properties (keys lower-cased). */
export interface FluentBitSection { kind: string; props: Record<string, string> }

/** The sections of a Fluent Bit classic-format configuration (`[INPUT]` ... then `Key Value` lines). Pure. */
export function parseFluentBitClassic(text: string): FluentBitSection[] {
    const sections: FluentBitSection[] = [];
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) {
            continue;
        }
        const header = /^\[([A-Za-z_]+)\]$/.exec(line);
        if (header) {
            sections.push({ kind: header[1].toUpperCase(), props: {} });
            continue;
        }
        const kv = /^(\S+)\s+(.*)$/.exec(line);
        if (kv && sections.length > 0) {
            sections[sections.length - 1].props[kv[1].toLowerCase()] = kv[2].trim();
        }
    }
    return sections;
}

/** A Fluent Bit pattern (`*` any run, `?` one character) as an anchored regular expression; `slash`: `*` stops at `/`. */
function globRegex(glob: string, slash: boolean): RegExp {
    const any = slash ? "[^/]*" : ".*";
    return new RegExp(`^${glob.split("").map((ch) => (ch === "*" ? any : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`);
}

/** A file name the kubelet gives one container's log under /var/log/containers (pod name and id are placeholders). */
export function kubeletLogFile(namespace: string, container: string): string {
    return `/var/log/containers/pod-0_${namespace}_${container}-${"0".repeat(64)}.log`;
}

const EVENT_PATTERN = (event: string) => new RegExp(`^\\{\\s*\\$\\.event\\s*=\\s*"?${event}"?\\s*\\}$`);

/**
 * The log groups a Fluent Bit configuration sends one container's lines to, with the reasons others are not. Pure
 * over the parsed sections.
 */
export function fluentBitGroupsFor(sections: FluentBitSection[], namespace: string, container: string): { groups: string[]; problems: string[] } {
    const file = kubeletLogFile(namespace, container);
    const groups: string[] = [];
    const problems: string[] = [];
    const inputs = sections.filter((s) => s.kind === "INPUT" && (s.props.name ?? "").toLowerCase() === "tail");
    for (const input of inputs) {
        const paths = (input.props.path ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
        const excluded = (input.props.exclude_path ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
        if (!paths.some((p) => globRegex(p, true).test(file)) || excluded.some((p) => globRegex(p, true).test(file))) {
            continue;
        }
        const parsers = (input.props["multiline.parser"] ?? "").split(",").map((p) => p.trim().toLowerCase());
        if (!parsers.includes("cri")) {
            problems.push(`tail input ${input.props.tag ?? "(no tag)"} reads ${container} in ${namespace} without the CRI parser (multiline.parser cri): its records are the runtime's wrapped lines, not the guard's JSON`);
            continue;
        }
        const tagPattern = input.props.tag ?? `tail.${file.replace(/\//g, ".")}`;
        const tag = tagPattern.replace("*", file.replace(/\//g, "."));
        const filters = sections.filter((s) => s.kind === "FILTER" && globRegex(s.props.match ?? "", false).test(tag));
        if (filters.length > 0) {
            problems.push(`filter ${filters.map((f) => f.props.name).join(", ")} matches tag ${tag}: it could drop or rewrite the guard's lines`);
            continue;
        }
        for (const out of sections.filter((s) => s.kind === "OUTPUT" && globRegex(s.props.match ?? "", false).test(tag))) {
            if ((out.props.name ?? "").toLowerCase() !== "cloudwatch_logs") {
                continue;
            }
            const group = out.props.log_group_name;
            if (group === undefined || group.includes("$")) {
                problems.push(`cloudwatch_logs output of tag ${tag} has no fixed log_group_name`);
            } else if (out.props.log_key !== "log") {
                problems.push(`cloudwatch_logs output of tag ${tag} to ${group} sends the whole record (no log_key log): the guard's fields are nested under "log", where the event filters do not look`);
            } else {
                groups.push(group);
            }
        }
    }
    if (inputs.length > 0 && groups.length === 0 && problems.length === 0) {
        problems.push(`no tail input reads ${file}`);
    }
    return { groups, problems };
}

/** The Fluent Bit configurations the stack's node log DaemonSets run with, by namespace (sections of each file). */
function nodeLogConfigs(resources: R[]): FluentBitSection[][] {
    const configs: FluentBitSection[][] = [];
    for (const ds of resources.filter((r) => r.type === DAEMON_SET)) {
        const pod = podSpecOf(ds.type, ds.props);
        if (!pod) continue;
        const ns = namespaceOf(ds.props) ?? "default";
        const volumes = (pod.volumes ?? []) as Props[];
        for (const c of containersOf(pod)) {
            const mounts = (c.volumeMounts ?? []) as Props[];
            // The node's log files, at the path the kubelet's symlinks name (/var/log/containers -> /var/log/pods).
            const seesLogs = mounts.some((m) => m.mountPath === "/var/log" && volumes.some((v) => v.name === m.name && v.hostPath?.path === "/var/log"));
            if (!seesLogs) continue;
            const argv = [...((c.command ?? []) as string[]), ...((c.args ?? []) as string[])];
            const at = argv.findIndex((a) => a === "-c" || a === "--config");
            const file = at >= 0 ? argv[at + 1] : "/fluent-bit/etc/fluent-bit.conf";
            for (const m of mounts) {
                const v = volumes.find((x) => x.name === m.name && x.configMap);
                if (!v || typeof file !== "string" || !file.startsWith(`${m.mountPath}/`)) continue;
                const rel = file.slice(m.mountPath.length + 1);
                const items = (v.configMap.items ?? []) as Props[];
                const key = items.length > 0 ? items.find((i) => i.path === rel)?.key : rel;
                const cm = resources.find((r) => r.type === CONFIG_MAP && r.props.metadata?.name === v.configMap.name && (namespaceOf(r.props) ?? "default") === ns);
                const text = key !== undefined ? cm?.props.data?.[key] : undefined;
                if (typeof text === "string") {
                    configs.push(parseFluentBitClassic(text));
                }
            }
        }
    }
    return configs;
}

/** Every guard container of the stack with where its audit lines go and which alarms count its events. */
export function guardAlarmPaths(resources: R[]): GuardAlarmPath[] {
    const paths: GuardAlarmPath[] = [];
    const shippers = nodeLogConfigs(resources);
    for (const r of resources) {
        if (r.type === TASK_DEFINITION) {
            for (const c of containerDefinitions(r.props)) {
                const g = guardContainer(c);
                if (!g) continue;
                const lc = (c.logConfiguration ?? {}) as Props;
                const group = lc.logDriver === "awslogs" ? lc.options?.["awslogs-group"] : undefined;
                paths.push(withAlarms(resources, { server: g.server, workload: `ECS task definition ${r.name}`, kind: "ecs", logGroups: typeof group === "string" ? [group] : [], problems: typeof group === "string" ? [] : ["its container has no awslogs log driver"] }));
            }
        } else if (POD_TYPES.includes(r.type)) {
            const pod = podSpecOf(r.type, r.props);
            const ns = namespaceOf(r.props) ?? "default";
            for (const c of pod ? containersOf(pod) : []) {
                const g = guardContainer(c);
                if (!g) continue;
                const found = shippers.map((s) => fluentBitGroupsFor(s, ns, c.name));
                const logGroups = [...new Set(found.flatMap((f) => f.groups))];
                const problems = shippers.length === 0
                    ? ["no DaemonSet ships node container logs (a Fluent Bit DaemonSet mounting /var/log and started from a ConfigMap)"]
                    : found.flatMap((f) => f.problems);
                paths.push(withAlarms(resources, { server: g.server, workload: `${r.type.split(":").pop()} ${ns}/${r.props.metadata?.name ?? r.name} (container ${c.name})`, kind: "kubernetes", logGroups, problems }));
            }
        }
    }
    return paths;
}

function withAlarms(resources: R[], p: Omit<GuardAlarmPath, "alarms">): GuardAlarmPath {
    const alarms = { tool_call_denied: [] as string[], tool_changed: [] as string[] };
    const problems = [...p.problems];
    for (const group of p.logGroups) {
        const lg = resources.find((r) => r.type === LOG_GROUP && r.props.name === group);
        if (lg && !lg.props.kmsKeyId) {
            problems.push(`log group ${group} is not encrypted with a KMS key`);
        }
        for (const event of ALARMED_GUARD_EVENTS) {
            const filters = resources.filter((r) => r.type === METRIC_FILTER && r.props.logGroupName === group && EVENT_PATTERN(event).test(String(r.props.pattern ?? "").trim()));
            for (const f of filters) {
                const t = (f.props.metricTransformation ?? {}) as Props;
                const hits = resources.filter((a) => a.type === ALARM && a.props.metricName === t.name && a.props.namespace === t.namespace
                    && a.props.actionsEnabled !== false && ((a.props.alarmActions ?? []) as unknown[]).length > 0 && (a.props.dimensions === undefined || Object.keys(a.props.dimensions as Props).length === 0));
                alarms[event].push(...hits.map((a) => a.name));
            }
        }
    }
    return { ...p, alarms: { tool_call_denied: [...new Set(alarms.tool_call_denied)], tool_changed: [...new Set(alarms.tool_changed)] }, problems };
}

export const eksGuardLogsAlarmed = stackRule({
    name: "aws-eks-guard-logs-alarmed",
    description: "In a stack with an EKS cluster, every MCP guard container of a Kubernetes workload must have its audit lines shipped to CloudWatch Logs and its tool_call_denied and tool_changed events alarmed: a Fluent Bit DaemonSet that mounts the node's /var/log and runs a ConfigMap configuration whose tail input reads the guard container's log file with the CRI parser, no filter on that tag, and a cloudwatch_logs output sending the line itself (log_key log) to a fixed log group; in that group, metric filters on each event and alarms on their metrics with actions. Without that path a denied call or a changed tool (a rug pull) is written to a node file nobody reads, while the ECS patterns page the operators.",
    severity: "high",
    controls: ["O1", "O2", "H4", "P3"],
    nist: ["AU-6", "AU-12", "SI-4", "IR-4"],
    maestro: ["L5"],
    threats: ["T1", "T4", "T6"],
    remediation: "Deploy the microservices pattern with mcpsec:kubernetes.cluster: eks and mcpsec:eks.logShipperImage set (EksContainerLogs in components/eks ships each guard's log to its own group, which McpAlerts watches); with your own shipper, tail /var/log/containers/*_<namespace>_mcp-guard-*.log with multiline.parser cri and send log_key log to a group with metric filters { $.event = \"tool_call_denied\" } and { $.event = \"tool_changed\" } and alarms with alarmActions.",
}, (resources, _args, report) => {
    if (ofType(resources, EKS_CLUSTER).length === 0) {
        return;
    }
    for (const p of guardAlarmPaths(resources).filter((x) => x.kind === "kubernetes")) {
        const missing = ALARMED_GUARD_EVENTS.filter((e) => p.alarms[e].length === 0);
        if (p.logGroups.length === 0) {
            report(`the guard of MCP server ${p.server} (${p.workload}) ships its audit lines to no CloudWatch log group: ${p.problems.join("; ")}.`);
        } else if (missing.length > 0 || p.problems.length > 0) {
            report(`the guard of MCP server ${p.server} (${p.workload}) ships to ${p.logGroups.join(", ")}, where ${missing.length > 0 ? `no metric filter and alarm with actions counts ${missing.join(" or ")}` : "the path is incomplete"}${p.problems.length > 0 ? ` (${p.problems.join("; ")})` : ""}.`);
        }
    }
});
