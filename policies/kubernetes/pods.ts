import { Props } from "../lib/rule";

/** Kubernetes types that carry a pod template, and where. */
const TEMPLATE_PATHS: Record<string, string[]> = {
    "kubernetes:core/v1:Pod": ["spec"],
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

export const POD_TYPES = Object.keys(TEMPLATE_PATHS);

/** The pod spec inside a workload's inputs, or undefined. */
export function podSpecOf(type: string, props: Props): Props | undefined {
    const path = TEMPLATE_PATHS[type];
    let cur: unknown = props;
    for (const key of path ?? []) {
        cur = (cur as Props | undefined)?.[key];
    }
    return path && cur && typeof cur === "object" ? (cur as Props) : undefined;
}

/** Pod annotations of a workload (AppArmor profiles live there in older clusters). */
export function podAnnotationsOf(type: string, props: Props): Record<string, string> {
    if (type === "kubernetes:core/v1:Pod") {
        return props.metadata?.annotations ?? {};
    }
    const template = type === "kubernetes:batch/v1:CronJob" ? props.spec?.jobTemplate?.spec?.template : props.spec?.template;
    return template?.metadata?.annotations ?? {};
}

/** Every container of a pod: init, regular and ephemeral. */
export function containersOf(pod: Props): Props[] {
    return [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])] as Props[];
}

/** The namespace of a workload, from its metadata. */
export function namespaceOf(props: Props): string | undefined {
    return props.metadata?.namespace;
}
