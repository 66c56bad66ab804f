import { PolicyConfigSchema, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { ControlId, MaestroLayer, Props, resourceRule, RuleMeta, ThreatId } from "../lib/rule";
import { containersOf, namespaceOf, podAnnotationsOf, POD_TYPES, podSpecOf } from "./pods";

/** Namespaces of the cluster's own control planes, exempt by default (pack config `exemptNamespaces`). */
export const DEFAULT_EXEMPT_NAMESPACES = ["kube-system", "istio-system"];
/**
 * Namespaces of node log shippers (pack config `nodeLogNamespaces`; EksContainerLogs runs in mcpsec-logging). There,
 * and only there, a pod may read node logs: hostPath volumes under /var/log mounted read-only by every container, one
 * under /var/fluent-bit for its read offsets, and root (the kubelet's log files are root-owned 0640). Every other
 * check of the profile still holds (no privilege, every capability dropped, no escalation, RuntimeDefault seccomp).
 */
export const DEFAULT_NODE_LOG_NAMESPACES = ["mcpsec-logging"];
const NODE_LOG_READ_PATH = "/var/log";
const NODE_LOG_STATE_PATH = "/var/fluent-bit";

const under = (path: unknown, root: string) => typeof path === "string" && !path.split("/").includes("..") && (path === root || path.startsWith(`${root}/`));

/** The hostPath volumes a node log shipper may have: /var/log read-only in every container that mounts it, or its offsets. Pure. */
export function nodeLogVolumes(pod: Props): Set<string> {
    const allowed = new Set<string>();
    for (const v of (pod.volumes ?? []) as Props[]) {
        if (!v.hostPath || Object.keys(v).some((k) => k !== "name" && k !== "hostPath")) {
            continue;
        }
        const mounts = [...containersOf(pod), ...((pod.initContainers ?? []) as Props[])].flatMap((c) => ((c.volumeMounts ?? []) as Props[]).filter((m) => m.name === v.name));
        if (under(v.hostPath.path, NODE_LOG_READ_PATH) && mounts.every((m) => m.readOnly === true)) {
            allowed.add(v.name);
        } else if (under(v.hostPath.path, NODE_LOG_STATE_PATH)) {
            allowed.add(v.name);
        }
    }
    return allowed;
}

/** Whether the pod is a node log reader in a node log namespace: it mounts /var/log read-only and no other host path. */
function nodeLogReader(pod: Props, ns: string | undefined, nodeLogNamespaces: string[]): Set<string> | undefined {
    if (ns === undefined || !nodeLogNamespaces.includes(ns)) {
        return undefined;
    }
    const hostPaths = ((pod.volumes ?? []) as Props[]).filter((v) => v.hostPath);
    const allowed = nodeLogVolumes(pod);
    const readsLogs = hostPaths.some((v) => allowed.has(v.name) && under(v.hostPath.path, NODE_LOG_READ_PATH));
    return readsLogs && hostPaths.every((v) => allowed.has(v.name)) ? allowed : undefined;
}

const pssBase = {
    controls: ["S3", "H1", "H3"] as ControlId[],
    maestro: ["L4"] as MaestroLayer[],
    threats: ["T4", "T6"] as ThreatId[],
    configSchema: {
        properties: {
            exemptNamespaces: { type: "array", items: { type: "string" }, default: DEFAULT_EXEMPT_NAMESPACES },
            nodeLogNamespaces: { type: "array", items: { type: "string" }, default: DEFAULT_NODE_LOG_NAMESPACES },
        },
    } as PolicyConfigSchema,
};

/** `nodeLogVolumes`: the host paths a node log shipper in a node log namespace may mount (undefined: none, not one). */
type PodCheck = (pod: Props, args: ResourceValidationArgs & { annotations: Record<string, string>; nodeLogVolumes?: Set<string> }, report: (message: string) => void) => void;

/** A Pod Security Standards check over every workload's pod template, outside the exempt namespaces. */
function podRule(meta: Omit<RuleMeta, "controls" | "maestro" | "threats"> & Partial<RuleMeta>, check: PodCheck) {
    return resourceRule({ ...pssBase, ...meta }, POD_TYPES, (props, args, report: ReportViolation) => {
        const exempt = args.getConfig<{ exemptNamespaces?: string[] }>().exemptNamespaces ?? DEFAULT_EXEMPT_NAMESPACES;
        const ns = namespaceOf(props);
        if (ns !== undefined && exempt.includes(ns)) {
            return;
        }
        const pod = podSpecOf(args.type, props);
        if (pod) {
            const nodeLogs = nodeLogReader(pod, ns, args.getConfig<{ nodeLogNamespaces?: string[] }>().nodeLogNamespaces ?? DEFAULT_NODE_LOG_NAMESPACES);
            check(pod, { ...args, annotations: podAnnotationsOf(args.type, props), nodeLogVolumes: nodeLogs }, (m) => report(m));
        }
    });
}

const remediation = "Use the McpWorkload component (components/kubernetes), whose pods meet the restricted profile; in your own manifests, set the field as the message says.";

export const hostNamespaces = podRule({
    name: "kubernetes-pss-host-namespaces",
    description: "Pods must not share the node's network, process or IPC namespaces, nor run as Windows host processes (Pod Security Standards, baseline). An MCP server that shares them can observe or reach everything on its node.",
    severity: "critical", nist: ["SC-39", "AC-6"], remediation,
}, (pod, _args, report) => {
    for (const key of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (pod[key] === true) {
            report(`${key} is true.`);
        }
    }
    if (pod.securityContext?.windowsOptions?.hostProcess === true || containersOf(pod).some((c) => c.securityContext?.windowsOptions?.hostProcess === true)) {
        report("windowsOptions.hostProcess is true.");
    }
});

export const privileged = podRule({
    name: "kubernetes-pss-privileged",
    description: "Containers must not be privileged (Pod Security Standards, baseline).",
    severity: "critical", nist: ["AC-6", "CM-7"], remediation,
}, (pod, _args, report) => {
    for (const c of containersOf(pod)) {
        if (c.securityContext?.privileged === true) {
            report(`container ${c.name}: privileged is true.`);
        }
    }
});

const RESTRICTED_ADD = ["NET_BIND_SERVICE"];

export const capabilities = podRule({
    name: "kubernetes-pss-capabilities",
    description: "Containers must drop ALL capabilities and may add back only NET_BIND_SERVICE (Pod Security Standards, restricted).",
    severity: "high", nist: ["AC-6", "CM-7"], remediation,
}, (pod, _args, report) => {
    for (const c of containersOf(pod)) {
        const caps = c.securityContext?.capabilities ?? {};
        if (!((caps.drop ?? []) as string[]).includes("ALL")) {
            report(`container ${c.name}: capabilities.drop does not contain ALL.`);
        }
        const added = ((caps.add ?? []) as string[]).filter((a) => !RESTRICTED_ADD.includes(a));
        if (added.length > 0) {
            report(`container ${c.name}: capabilities.add has ${added.join(", ")}.`);
        }
    }
});

export const hostPath = podRule({
    name: "kubernetes-pss-host-path-volumes",
    description: "Pods must not mount hostPath volumes (Pod Security Standards, baseline): a host path gives a container the node's files. The one exception is a node log shipper in a node log namespace (pack config nodeLogNamespaces, default mcpsec-logging) that mounts /var/log read-only in every container and at most its offsets under /var/fluent-bit, and no other host path.",
    severity: "critical", nist: ["AC-6", "SC-39"], remediation,
}, (pod, args, report) => {
    for (const v of (pod.volumes ?? []) as Props[]) {
        if (v.hostPath && !args.nodeLogVolumes?.has(v.name)) {
            report(`volume ${v.name} is a hostPath (${v.hostPath.path}).`);
        }
    }
});

export const hostPorts = podRule({
    name: "kubernetes-pss-host-ports",
    description: "Containers must not bind host ports (Pod Security Standards, baseline): traffic must go through services and the mesh.",
    severity: "high", nist: ["SC-7", "CM-7"], remediation,
}, (pod, _args, report) => {
    for (const c of containersOf(pod)) {
        for (const p of (c.ports ?? []) as Props[]) {
            if (p.hostPort !== undefined && p.hostPort !== 0) {
                report(`container ${c.name}: hostPort ${p.hostPort}.`);
            }
        }
    }
});

export const appArmor = podRule({
    name: "kubernetes-pss-apparmor",
    description: "AppArmor profiles may only be the runtime default or a local profile, never unconfined (Pod Security Standards, baseline).",
    severity: "medium", nist: ["AC-6", "SI-7"], remediation,
}, (pod, args, report) => {
    const bad = (t: unknown) => t !== undefined && t !== "RuntimeDefault" && t !== "Localhost";
    if (bad(pod.securityContext?.appArmorProfile?.type)) {
        report(`pod appArmorProfile is ${pod.securityContext.appArmorProfile.type}.`);
    }
    for (const c of containersOf(pod)) {
        if (bad(c.securityContext?.appArmorProfile?.type)) {
            report(`container ${c.name}: appArmorProfile is ${c.securityContext.appArmorProfile.type}.`);
        }
    }
    for (const [k, v] of Object.entries(args.annotations)) {
        if (k.startsWith("container.apparmor.security.beta.kubernetes.io/") && v !== "runtime/default" && !v.startsWith("localhost/")) {
            report(`annotation ${k} is ${v}.`);
        }
    }
});

const SELINUX_TYPES = ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

export const seLinux = podRule({
    name: "kubernetes-pss-selinux",
    description: "SELinux options may only set an allowed container type, and never a custom user or role (Pod Security Standards, baseline).",
    severity: "medium", nist: ["AC-6", "AC-3(3)"], remediation,
}, (pod, _args, report) => {
    const check = (where: string, o: Props | undefined) => {
        if (!o) {
            return;
        }
        if (o.type !== undefined && o.type !== "" && !SELINUX_TYPES.includes(o.type)) {
            report(`${where}: seLinuxOptions.type is ${o.type}.`);
        }
        if (o.user || o.role) {
            report(`${where}: seLinuxOptions sets user or role.`);
        }
    };
    check("pod", pod.securityContext?.seLinuxOptions);
    containersOf(pod).forEach((c) => check(`container ${c.name}`, c.securityContext?.seLinuxOptions));
});

export const procMount = podRule({
    name: "kubernetes-pss-proc-mount",
    description: "Containers must use the default /proc mount, which masks sensitive kernel paths (Pod Security Standards, baseline).",
    severity: "medium", nist: ["AC-6", "SC-39"], remediation,
}, (pod, _args, report) => {
    for (const c of containersOf(pod)) {
        if (c.securityContext?.procMount !== undefined && c.securityContext.procMount !== "Default") {
            report(`container ${c.name}: procMount is ${c.securityContext.procMount}.`);
        }
    }
});

export const seccomp = podRule({
    name: "kubernetes-pss-seccomp",
    description: "Every container must run under a seccomp profile, RuntimeDefault or Localhost, set on the pod or the container, never Unconfined (Pod Security Standards, restricted).",
    severity: "high", nist: ["AC-6", "SC-39", "CM-7"], remediation,
}, (pod, _args, report) => {
    const ok = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
    const podType = pod.securityContext?.seccompProfile?.type;
    if (podType !== undefined && !ok(podType)) {
        report(`pod seccompProfile is ${podType}.`);
    }
    for (const c of containersOf(pod)) {
        const t = c.securityContext?.seccompProfile?.type;
        if (t !== undefined ? !ok(t) : !ok(podType)) {
            report(`container ${c.name}: no RuntimeDefault or Localhost seccomp profile.`);
        }
    }
});

const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
];

export const sysctls = podRule({
    name: "kubernetes-pss-sysctls",
    description: "Pods may set only the namespaced, safe sysctls (Pod Security Standards, baseline).",
    severity: "medium", nist: ["CM-7", "SC-39"], remediation,
}, (pod, _args, report) => {
    for (const s of (pod.securityContext?.sysctls ?? []) as Props[]) {
        if (!SAFE_SYSCTLS.includes(s.name)) {
            report(`sysctl ${s.name} is not in the safe set.`);
        }
    }
});

const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

export const volumeTypes = podRule({
    name: "kubernetes-pss-volume-types",
    description: "Pods may only use the volume types of the restricted profile: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret.",
    severity: "medium", nist: ["CM-7", "AC-6"], remediation,
}, (pod, args, report) => {
    for (const v of (pod.volumes ?? []) as Props[]) {
        if (args.nodeLogVolumes?.has(v.name)) {
            continue; // A node log shipper's host paths (kubernetes-pss-host-path-volumes judges them).
        }
        const kinds = Object.keys(v).filter((k) => k !== "name");
        const bad = kinds.filter((k) => !RESTRICTED_VOLUMES.includes(k));
        if (bad.length > 0) {
            report(`volume ${v.name} is of type ${bad.join(", ")}.`);
        }
    }
});

export const privilegeEscalation = podRule({
    name: "kubernetes-pss-privilege-escalation",
    description: "Every container must set allowPrivilegeEscalation: false (Pod Security Standards, restricted), so setuid binaries cannot gain privileges.",
    severity: "high", nist: ["AC-6"], remediation,
}, (pod, _args, report) => {
    for (const c of containersOf(pod)) {
        if (c.securityContext?.allowPrivilegeEscalation !== false) {
            report(`container ${c.name}: allowPrivilegeEscalation is not false.`);
        }
    }
});

export const runAsNonRoot = podRule({
    name: "kubernetes-pss-run-as-non-root",
    description: "Containers must run as non-root: runAsNonRoot true on the pod or every container, and no runAsUser 0 (Pod Security Standards, restricted). In a node log shipper pod of a node log namespace (see kubernetes-pss-host-path-volumes), its one container that mounts /var/log read-only may run as root (the kubelet's log files are root-owned, mode 0640); any other container of that pod may not, and with two such containers neither is exempt.",
    severity: "high", nist: ["AC-6", "CM-7"], remediation,
}, (pod, args, report) => {
    const volumes = (pod.volumes ?? []) as Props[];
    const readsNodeLogs = (c: Props) => args.nodeLogVolumes !== undefined && ((c.volumeMounts ?? []) as Props[])
        .some((m) => m.readOnly === true && args.nodeLogVolumes!.has(m.name) && under(volumes.find((v) => v.name === m.name)?.hostPath?.path, NODE_LOG_READ_PATH));
    const all = containersOf(pod);
    const readers = all.filter(readsNodeLogs);
    const judged = readers.length === 1 ? all.filter((c) => c !== readers[0]) : all;
    const podNonRoot = pod.securityContext?.runAsNonRoot;
    if (pod.securityContext?.runAsUser === 0 && judged.length > 0) {
        report("pod runAsUser is 0.");
    }
    for (const c of judged) {
        const own = c.securityContext?.runAsNonRoot;
        if (own === false || (own === undefined && podNonRoot !== true)) {
            report(`container ${c.name}: runAsNonRoot is not true.`);
        }
        if (c.securityContext?.runAsUser === 0) {
            report(`container ${c.name}: runAsUser is 0.`);
        }
    }
});

export const pssRules = [hostNamespaces, privileged, capabilities, hostPath, hostPorts, appArmor, seLinux, procMount, seccomp, sysctls, volumeTypes, privilegeEscalation, runAsNonRoot];
