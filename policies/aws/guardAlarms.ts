import { PolicyResource } from "@pulumi/policy";
import { taskContainersOf } from "../lib/ecs";
import { guardContainer } from "../lib/guard";
import { ofType, Props, stackRule } from "../lib/rule";
import { containersOf, namespaceOf, POD_TYPES, podSpecOf } from "../kubernetes/pods";
import { selects } from "../kubernetes/scope";
import { attachedIdentityPolicies, statementsGranting } from "./iam";

/**
 * Where each MCP guard's audit lines (one JSON object per line on stdout, guard/src/audit.ts) end up, and whether the
 * `tool_call_denied` and `tool_changed` events among them are counted and alarmed there, and the guard's periodic
 * `guard_heartbeat` too (an alarm that fires when it stops arriving): the path an operator's pager depends on,
 * followed through what the stack deploys and judged on what each step DOES.
 * - ECS: the guard container's awslogs driver names its log group.
 * - Kubernetes: a Fluent Bit DaemonSet that mounts the node's /var/log and starts from a ConfigMap's classic
 *   configuration; a tail input whose Path matches the guard's log file (`/var/log/containers/<pod>_<namespace>_
 *   <container>-<id>.log`) with the CRI parser, no filter on its tag (Match or Match_Regex), no included file, and a
 *   cloudwatch_logs output of that tag sending `log_key log` (the line itself, so that `$.event` is the guard's field)
 *   to a fixed log_group_name. The DaemonSet can run where the guard runs (node selector, node affinity, tolerations
 *   of the node groups' taints and of the guard's), its service account's IRSA role is granted logs:PutLogEvents on
 *   that group's streams, and the NetworkPolicies of its namespace admit its HTTPS egress.
 * Then, in that group: a metric filter matching exactly the event and counting each line as 1 without dimensions,
 * and an alarm on its metric that can fire (Sum or SampleCount, a GreaterThan(OrEqualTo) threshold of at most
 * {@link MAX_EVENT_ALARM_THRESHOLD}, no dimensions) with actions.
 */

const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const EKS_CLUSTER = "aws:eks/cluster:Cluster";
const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation";

/** The guard events that must page someone. */
export const ALARMED_GUARD_EVENTS = ["tool_call_denied", "tool_changed"] as const;
export type AlarmedGuardEvent = (typeof ALARMED_GUARD_EVENTS)[number];
/** The line a running guard writes periodically (guard/src/main.ts, GUARD_HEARTBEAT_SECONDS): its absence alarms. */
export const GUARD_HEARTBEAT_EVENT = "guard_heartbeat";
/** The largest threshold an event alarm may have and still be taken as paging on the event (per evaluation period). */
export const MAX_EVENT_ALARM_THRESHOLD = 100;
/** AWS managed policies that grant logs:PutLogEvents on every group (judged by name: their documents are not in the stack). */
const LOG_WRITER_MANAGED_POLICIES = ["CloudWatchAgentServerPolicy", "CloudWatchLogsFullAccess"];

/** What the stack does with one guard container's audit lines. */
export interface GuardAlarmPath {
    server: string;
    /** `ECS task definition <name>` or `<Kind> <namespace>/<name>`. */
    workload: string;
    kind: "ecs" | "kubernetes";
    /** The log groups its lines reach (empty: none). */
    logGroups: string[];
    /** Event -> alarms (names) that count it in one of those groups, can fire and have actions. */
    alarms: Record<AlarmedGuardEvent, string[]>;
    /** Alarms that fire (missing data breaching) when no guard_heartbeat line reaches one of those groups. */
    heartbeat: string[];
    /** Why a part of the path is missing or cannot work, for messages. */
    problems: string[];
}

type R = Pick<PolicyResource, "type" | "props" | "name"> & Partial<Pick<PolicyResource, "urn" | "propertyDependencies">>;

/**
 * One section of a Fluent Bit classic configuration: its kind and its properties (keys lower-cased). A directive
 * line (`@INCLUDE file`, `@SET k=v`) is a section of kind `@INCLUDE`/`@SET` with the rest in `props.value`; a
 * `Key Value` line before any section is one of kind `?`.
 */
export interface FluentBitSection { kind: string; props: Record<string, string> }

/** The sections of a Fluent Bit classic-format configuration (`[INPUT]` ... then `Key Value` lines). Pure. */
export function parseFluentBitClassic(text: string): FluentBitSection[] {
    const sections: FluentBitSection[] = [];
    let current: FluentBitSection | undefined;
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) {
            continue;
        }
        const directive = /^(@[A-Za-z_]+)\s*(.*)$/.exec(line);
        if (directive) {
            sections.push({ kind: directive[1].toUpperCase(), props: { value: directive[2].trim() } });
            continue;
        }
        const header = /^\[([A-Za-z_]+)\]$/.exec(line);
        if (header) {
            current = { kind: header[1].toUpperCase(), props: {} };
            sections.push(current);
            continue;
        }
        const kv = /^(\S+)\s+(.*)$/.exec(line);
        if (current && kv) {
            current.props[kv[1].toLowerCase()] = kv[2].trim();
        } else {
            sections.push({ kind: "?", props: { value: line } });
        }
    }
    return sections;
}

const KNOWN_SECTIONS = new Set(["SERVICE", "INPUT", "FILTER", "OUTPUT", "PARSER", "MULTILINE_PARSER", "PLUGINS"]);

/** What in a configuration the rule cannot follow (included files, unknown directives or sections), or a non-classic file. Pure. */
export function fluentBitConfigProblems(sections: FluentBitSection[]): string[] {
    if (!sections.some((s) => s.kind === "INPUT" || s.kind === "OUTPUT")) {
        return ["the configuration is not in Fluent Bit's classic format (no [INPUT] or [OUTPUT] section): a YAML configuration is not judged"];
    }
    const problems: string[] = [];
    for (const s of sections) {
        if (s.kind === "@INCLUDE") {
            problems.push(`@INCLUDE ${s.props.value} loads a file the stack does not hold: what it adds (a filter, another output) cannot be judged`);
        } else if (s.kind === "?") {
            problems.push(`line "${s.props.value}" is outside any section`);
        } else if (s.kind.startsWith("@") ? s.kind !== "@SET" : !KNOWN_SECTIONS.has(s.kind)) {
            problems.push(`unknown ${s.kind.startsWith("@") ? "directive" : "section"} ${s.kind.startsWith("@") ? s.kind : `[${s.kind}]`}`);
        }
    }
    return problems;
}

/** A Fluent Bit pattern (`*` any run, `?` one character) as an anchored regular expression; `slash`: `*` stops at `/`. */
function globRegex(glob: string, slash: boolean): RegExp {
    const any = slash ? "[^/]*" : ".*";
    return new RegExp(`^${glob.split("").map((ch) => (ch === "*" ? any : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`);
}

/** Whether a FILTER or OUTPUT section applies to a tag: its Match pattern or its Match_Regex (an invalid one counts as matching). */
function matchesTag(s: FluentBitSection, tag: string): boolean {
    if (s.props.match !== undefined && globRegex(s.props.match, false).test(tag)) {
        return true;
    }
    if (s.props.match_regex !== undefined) {
        try {
            return new RegExp(s.props.match_regex).test(tag);
        } catch {
            return true;
        }
    }
    return false;
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
        if (input.props.key !== undefined && input.props.key !== "log") {
            problems.push(`tail input ${input.props.tag ?? "(no tag)"} puts the line under key ${input.props.key}, not log`);
            continue;
        }
        const tagPattern = input.props.tag ?? `tail.${file.replace(/\//g, ".")}`;
        const tag = tagPattern.replace("*", file.replace(/\//g, "."));
        const filters = sections.filter((s) => s.kind === "FILTER" && matchesTag(s, tag));
        if (filters.length > 0) {
            problems.push(`filter ${filters.map((f) => f.props.name).join(", ")} matches tag ${tag}: it could drop or rewrite the guard's lines`);
            continue;
        }
        for (const out of sections.filter((s) => s.kind === "OUTPUT" && matchesTag(s, tag))) {
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
    if (groups.length === 0 && problems.length === 0) {
        problems.push(`no tail input reads ${file}`);
    }
    return { groups, problems: [...fluentBitConfigProblems(sections), ...problems] };
}

/** A node log DaemonSet of the stack with the Fluent Bit configuration its container runs. */
interface NodeLogShipper { ds: R; ns: string; pod: Props; sections: FluentBitSection[] }

/** The Fluent Bit configurations the stack's node log DaemonSets run with (sections of each file). */
function nodeLogShippers(resources: R[]): NodeLogShipper[] {
    const shippers: NodeLogShipper[] = [];
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
                    shippers.push({ ds, ns, pod, sections: parseFluentBitClassic(text) });
                }
            }
        }
    }
    return shippers;
}

interface Toleration { key?: string; operator?: string; value?: string; effect?: string }

/** Whether toleration `t` tolerates everything `need` stands for (a taint, or a toleration of the guard's pod). */
function covers(t: Toleration, need: Toleration): boolean {
    if ((t.effect ?? "") !== "" && t.effect !== need.effect) {
        return false;
    }
    if ((t.key ?? "") === "") {
        return t.operator === "Exists";
    }
    return t.key === need.key && (t.operator === "Exists" || (need.operator !== "Exists" && (t.value ?? "") === (need.value ?? "")));
}

const TAINT_EFFECTS: Record<string, string> = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute" };

/** Why the shipper's pods may not run on every node the guard's pod may run on. */
function schedulingProblems(resources: R[], s: NodeLogShipper, guardPod: Props): string[] {
    const problems: string[] = [];
    const mine = (s.pod.nodeSelector ?? {}) as Record<string, string>;
    const guards = (guardPod.nodeSelector ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(mine)) {
        if (guards[k] !== v && !(k === "kubernetes.io/os" && v === "linux")) {
            problems.push(`the shipper's nodeSelector ${k}=${v} is not the guard pod's: it may run on none of the guard's nodes`);
        }
    }
    const required = s.pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required !== undefined && JSON.stringify(required) !== JSON.stringify(guardPod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution)) {
        problems.push("the shipper's required node affinity is not the guard pod's: it may run on none of the guard's nodes");
    }
    const tolerations = (s.pod.tolerations ?? []) as Toleration[];
    const taints: Toleration[] = resources.filter((r) => r.type === NODE_GROUP).flatMap((g) => ((g.props.taints ?? []) as Props[])
        .filter((t) => TAINT_EFFECTS[t.effect] !== undefined).map((t) => ({ key: t.key, value: t.value, effect: TAINT_EFFECTS[t.effect], operator: "Equal" })));
    for (const need of [...taints, ...((guardPod.tolerations ?? []) as Toleration[])]) {
        if (!tolerations.some((t) => covers(t, need))) {
            problems.push(`the shipper does not tolerate ${need.key ?? "every taint"}${need.value ? `=${need.value}` : ""}${need.effect ? `:${need.effect}` : ""}, which ${taints.includes(need) ? "a node group is tainted with" : "the guard's pod tolerates"}`);
        }
    }
    return problems;
}

/** Whether an IAM resource pattern covers a log stream of the named group (any Region and account it leaves open). */
function coversGroupStreams(pattern: string, group: string): boolean {
    if (pattern === "*") {
        return true;
    }
    const f = pattern.split(":");
    const fixed = (i: number, fallback: string) => (f[i] !== undefined && !/[*?]/.test(f[i]) && f[i] !== "" ? f[i] : fallback);
    const stream = `arn:aws:logs:${fixed(3, "eu-west-1")}:${fixed(4, "123456789012")}:log-group:${group}:log-stream:node-0.mcp.server.mcp-guard`;
    const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${re}$`).test(stream);
}

/** Why the shipper's pods cannot write the groups: no IRSA or Pod Identity role, a role not granted PutLogEvents on them, or egress to HTTPS refused. */
function deliveryProblems(resources: R[], s: NodeLogShipper, groups: string[]): string[] {
    const problems: string[] = [];
    const saName = String(s.pod.serviceAccountName ?? s.pod.serviceAccount ?? "default");
    const sa = resources.find((r) => r.type === SERVICE_ACCOUNT && r.props.metadata?.name === saName && (namespaceOf(r.props) ?? "default") === s.ns);
    const association = resources.find((r) => r.type === POD_IDENTITY && r.props.namespace === s.ns && r.props.serviceAccount === saName);
    const roleArn = sa?.props.metadata?.annotations?.["eks.amazonaws.com/role-arn"] ?? association?.props.roleArn;
    if (typeof roleArn !== "string" || roleArn === "") {
        problems.push(`the shipper's service account ${s.ns}/${saName} has no IAM role (no eks.amazonaws.com/role-arn annotation or Pod Identity association): it cannot call PutLogEvents`);
    } else {
        const roleName = roleArn.split("/").pop()!;
        const role = resources.find((r) => r.type === ROLE && (r.props.arn === roleArn || r.props.name === roleName));
        const full = resources.map((r) => ({ ...r, urn: r.urn ?? `${r.type}::${r.name}`, propertyDependencies: r.propertyDependencies ?? {} })) as PolicyResource[];
        const attached = role ? attachedIdentityPolicies(full).filter((a) => a.who.split(", ").includes(`role ${role.name}`)) : [];
        const docs = [...attached.map((a) => a.doc), ...resources.filter((r) => r.type === ROLE_POLICY && r.props.role === roleName).map((r) => r.props.policy)].filter((d) => d !== undefined);
        const managed = attached.some((a) => a.awsName !== undefined && LOG_WRITER_MANAGED_POLICIES.includes(a.awsName));
        for (const group of groups) {
            if (!managed && !docs.some((d) => statementsGranting(d, "logs:PutLogEvents", (res) => coversGroupStreams(res, group)).length > 0)) {
                problems.push(`the shipper's role ${roleArn} is not granted logs:PutLogEvents on the streams of ${group}`);
            }
        }
    }
    const podLabels = (s.ds.props.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
    const isolating = resources.filter((r) => r.type === NETWORK_POLICY && (namespaceOf(r.props) ?? "default") === s.ns && selects(r.props.spec?.podSelector, podLabels)
        && (((r.props.spec?.policyTypes ?? []) as string[]).includes("Egress") || (r.props.spec?.policyTypes === undefined && r.props.spec?.egress !== undefined)));
    const admits443 = (rule: Props) => {
        const ports = (rule.ports ?? []) as Props[];
        return ports.length === 0 || ports.some((p) => (p.protocol ?? "TCP") === "TCP" && (p.port === undefined || p.port === 443 || p.port === "443" || p.port === "https"
            || (typeof p.port === "number" && typeof p.endPort === "number" && p.port <= 443 && 443 <= p.endPort)));
    };
    if (isolating.length > 0 && !isolating.some((np) => ((np.props.spec?.egress ?? []) as Props[]).some(admits443))) {
        problems.push(`no NetworkPolicy of namespace ${s.ns} admits the shipper's egress to TCP 443: it cannot reach CloudWatch Logs or STS`);
    }
    return problems;
}

/** Every guard container of the stack with where its audit lines go and which alarms count its events. */
export function guardAlarmPaths(resources: R[]): GuardAlarmPath[] {
    const paths: GuardAlarmPath[] = [];
    const shippers = nodeLogShippers(resources);
    for (const r of resources) {
        if (r.type === TASK_DEFINITION) {
            for (const c of taskContainersOf(r.props) ?? []) {
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
                const found = shippers.map((s) => {
                    const f = fluentBitGroupsFor(s.sections, ns, c.name);
                    return f.groups.length === 0 ? f : { groups: f.groups, problems: [...f.problems, ...schedulingProblems(resources, s, pod!), ...deliveryProblems(resources, s, f.groups)] };
                });
                const logGroups = [...new Set(found.flatMap((f) => f.groups))];
                const problems = shippers.length === 0
                    ? ["no DaemonSet ships node container logs (a Fluent Bit DaemonSet mounting /var/log and started from a ConfigMap)"]
                    : [...new Set(found.flatMap((f) => f.problems))];
                paths.push(withAlarms(resources, { server: g.server, workload: `${r.type.split(":").pop()} ${ns}/${r.props.metadata?.name ?? r.name} (container ${c.name})`, kind: "kubernetes", logGroups, problems }));
            }
        }
    }
    return paths;
}

/** Why a metric filter does not count each matching line as one on a metric an undimensioned alarm sees (undefined: it does). */
function filterCountProblem(f: R): string | undefined {
    const t = (f.props.metricTransformation ?? {}) as Props;
    if (String(t.value ?? "").trim() !== "1") {
        return `metric filter ${f.name} adds ${JSON.stringify(t.value)} per line, not 1`;
    }
    if (t.dimensions !== undefined && Object.keys(t.dimensions as Props).length > 0) {
        return `metric filter ${f.name} splits ${t.name} by dimensions ${Object.keys(t.dimensions as Props).join(", ")}: an alarm on the metric without them sees no data`;
    }
    return undefined;
}

/** Why an alarm on a filter's metric cannot page (undefined: it can). `heartbeat`: it must fire on the absence of lines. */
function alarmProblem(a: R, heartbeat: boolean): string | undefined {
    const p = a.props;
    const threshold = Number(p.threshold);
    if (p.actionsEnabled === false || ((p.alarmActions ?? []) as unknown[]).length === 0) {
        return `alarm ${a.name} has no actions`;
    }
    if (p.dimensions !== undefined && Object.keys(p.dimensions as Props).length > 0) {
        return `alarm ${a.name} selects dimensions the filter's metric does not have`;
    }
    if (!["Sum", "SampleCount"].includes(String(p.statistic))) {
        return `alarm ${a.name} uses statistic ${p.statistic ?? "(none)"}, not Sum or SampleCount`;
    }
    const op = String(p.comparisonOperator);
    const fires = heartbeat
        ? (op === "LessThanThreshold" && threshold > 0 && threshold <= MAX_EVENT_ALARM_THRESHOLD) || (op === "LessThanOrEqualToThreshold" && threshold >= 0 && threshold < MAX_EVENT_ALARM_THRESHOLD)
        : (op === "GreaterThanOrEqualToThreshold" && threshold > 0 && threshold <= MAX_EVENT_ALARM_THRESHOLD) || (op === "GreaterThanThreshold" && threshold >= 0 && threshold < MAX_EVENT_ALARM_THRESHOLD);
    if (!fires) {
        return `alarm ${a.name} (${op} ${p.threshold}) does not fire on ${heartbeat ? "missing lines" : "a few events"}: expected ${heartbeat ? "LessThan(OrEqualTo)Threshold" : "GreaterThan(OrEqualTo)Threshold"} with a threshold of at most ${MAX_EVENT_ALARM_THRESHOLD}`;
    }
    if (heartbeat && p.treatMissingData !== "breaching") {
        return `alarm ${a.name} treats missing data as ${p.treatMissingData ?? "missing"}, not breaching: a shipper or guard that stopped writing leaves it quiet`;
    }
    return undefined;
}

/** The alarms that page on `event` lines in `group` (a filter counting each line, an alarm that can fire), and why others do not. */
function alarmsOn(resources: R[], group: string, event: string, heartbeat: boolean): { alarms: string[]; why: string[] } {
    const alarms: string[] = [];
    const why: string[] = [];
    for (const f of resources.filter((r) => r.type === METRIC_FILTER && r.props.logGroupName === group && EVENT_PATTERN(event).test(String(r.props.pattern ?? "").trim()))) {
        const t = (f.props.metricTransformation ?? {}) as Props;
        const bad = filterCountProblem(f);
        for (const a of resources.filter((x) => x.type === ALARM && x.props.metricName === t.name && x.props.namespace === t.namespace)) {
            const problem = bad ?? alarmProblem(a, heartbeat);
            if (problem === undefined) {
                alarms.push(a.name);
            } else {
                why.push(problem);
            }
        }
    }
    return { alarms, why };
}

function withAlarms(resources: R[], p: Omit<GuardAlarmPath, "alarms" | "heartbeat">): GuardAlarmPath {
    const alarms = { tool_call_denied: [] as string[], tool_changed: [] as string[] };
    const heartbeat: string[] = [];
    const problems = [...p.problems];
    const why: Record<string, string[]> = {};
    for (const group of p.logGroups) {
        const lg = resources.find((r) => r.type === LOG_GROUP && r.props.name === group);
        if (lg && !lg.props.kmsKeyId) {
            problems.push(`log group ${group} is not encrypted with a KMS key`);
        }
        for (const event of [...ALARMED_GUARD_EVENTS, GUARD_HEARTBEAT_EVENT]) {
            const found = alarmsOn(resources, group, event, event === GUARD_HEARTBEAT_EVENT);
            (event === GUARD_HEARTBEAT_EVENT ? heartbeat : alarms[event as AlarmedGuardEvent]).push(...found.alarms);
            (why[event] ??= []).push(...found.why);
        }
    }
    // A reason an alarm was not taken is worth saying only when no other alarm pages on that event.
    problems.push(...ALARMED_GUARD_EVENTS.filter((e) => alarms[e].length === 0).flatMap((e) => why[e] ?? []));
    if (heartbeat.length === 0) {
        problems.push(...(why[GUARD_HEARTBEAT_EVENT] ?? []));
    }
    return { ...p, alarms: { tool_call_denied: [...new Set(alarms.tool_call_denied)], tool_changed: [...new Set(alarms.tool_changed)] }, heartbeat: [...new Set(heartbeat)], problems: [...new Set(problems)] };
}

export const eksGuardLogsAlarmed = stackRule({
    name: "aws-eks-guard-logs-alarmed",
    description: "In a stack with an EKS cluster, every MCP guard container of a Kubernetes workload must have its audit lines shipped to CloudWatch Logs, its tool_call_denied and tool_changed events alarmed, and the absence of its guard_heartbeat lines alarmed too. Judged on what the path does: a Fluent Bit DaemonSet that mounts the node's /var/log, may run wherever the guard's pod runs (no other node selector or required node affinity, tolerating the node groups' taints and the guard's tolerations), and runs a ConfigMap classic configuration with no included file, whose tail input reads the guard container's log file with the CRI parser, with no filter on that tag (Match or Match_Regex), and a cloudwatch_logs output sending the line itself (log_key log) to a fixed log group; its service account's IAM role granted logs:PutLogEvents on that group's streams and its namespace's NetworkPolicies admitting HTTPS egress. In that group: metric filters counting each event line as 1 without dimensions, alarms with actions on their metrics that can fire (Sum or SampleCount, GreaterThan(OrEqualTo)Threshold at most 100), and an alarm on the heartbeat metric with LessThan(OrEqualTo)Threshold that treats missing data as breaching. Without that path a denied call or a changed tool (a rug pull) is written to a node file nobody reads, and a broken shipper stays silent.",
    severity: "high",
    controls: ["O1", "O2", "H4", "P3"],
    nist: ["AU-5", "AU-6", "AU-12", "SI-4", "IR-4"],
    maestro: ["L5"],
    threats: ["T1", "T4", "T6"],
    remediation: "Deploy the microservices pattern with mcpsec:kubernetes.cluster: eks and mcpsec:eks.logShipperImage set (EksContainerLogs in components/eks ships each guard's log to its own group, which McpAlerts watches with the DeniedToolCalls, ChangedTools and GuardHeartbeats-<server> alarms); with your own shipper, tail /var/log/containers/*_<namespace>_mcp-guard-*.log with multiline.parser cri and no filter, send log_key log to a group with metric filters { $.event = \"tool_call_denied\" }, { $.event = \"tool_changed\" } and { $.event = \"guard_heartbeat\" } (value 1, no dimensions), alarms with alarmActions, the heartbeat one LessThanThreshold 1 with treatMissingData breaching; grant its role logs:PutLogEvents on <group arn>:log-stream:* and admit its egress to TCP 443.",
}, (resources, _args, report) => {
    if (ofType(resources, EKS_CLUSTER).length === 0) {
        return;
    }
    for (const p of guardAlarmPaths(resources).filter((x) => x.kind === "kubernetes")) {
        const missing: string[] = [...ALARMED_GUARD_EVENTS.filter((e) => p.alarms[e].length === 0), ...(p.heartbeat.length === 0 ? [`the absence of ${GUARD_HEARTBEAT_EVENT} (treatMissingData breaching)`] : [])];
        if (p.logGroups.length === 0) {
            report(`the guard of MCP server ${p.server} (${p.workload}) ships its audit lines to no CloudWatch log group: ${p.problems.join("; ")}.`);
        } else if (missing.length > 0 || p.problems.length > 0) {
            report(`the guard of MCP server ${p.server} (${p.workload}) ships to ${p.logGroups.join(", ")}, where ${missing.length > 0 ? `no metric filter and alarm with actions counts ${missing.join(" or ")}` : "the path is incomplete"}${p.problems.length > 0 ? ` (${p.problems.join("; ")})` : ""}.`);
        }
    }
}, { onlyWith: EKS_CLUSTER });
