import { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { ofType, Props } from "../lib/rule";
import { containersOf, POD_TYPES, podSpecOf } from "./pods";

/**
 * Which namespaces the pack holds to the MCP bar, decided by what runs there rather than by a label a workload or
 * namespace declares about itself.
 *
 * A namespace is an MCP namespace when
 * - it holds any workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, or a resource of any
 *   other kind that embeds a pod template, such as an Argo Rollout or a Knative Service) or a Helm v3 Release (whose
 *   objects Helm installs out of the pack's sight), and is not one of the system and add-on namespaces below (pack
 *   config `systemNamespaces`); or
 * - a Helm v3 Release there names an MCP server's image in its values, system namespaces included; or
 * - it holds a workload that looks like an MCP server, wherever it is, system namespaces included: its pod template
 *   carries the layer's marker label, a container port named `http-mcp`, or a container runs the image (the same
 *   repository) of an MCP server the stack describes (an McpServer component); or
 * - its Namespace object carries `mcpsec/tenant` (the label McpNamespace sets; kept so a namespace prepared ahead of
 *   its workloads is held too).
 * Removing a label can therefore only move a workload from "looks like MCP" to "any workload", never out of scope.
 * Bare port numbers are not a marker: 8080 is served by half the cluster.
 */

/**
 * The cluster's own control planes and the layer's add-ons: no MCP workload runs there (McpClusterLayer puts none).
 * mcpsec-logging holds the EKS zone's node log shipper (EksContainerLogs), which needs hostPath reads as root.
 */
export const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "istio-system", "istio-ingress", "istio-egress", "external-secrets", "mcpsec-logging"];
/** Istio's root namespace: policies there apply to every namespace of the mesh. */
export const MESH_ROOT_NAMESPACE = "istio-system";
/** The namespace of a namespaced object with none given (the provider's default namespace). */
export const DEFAULT_NAMESPACE = "default";
export const TENANT_LABEL = "mcpsec/tenant";
/** The markers McpWorkload puts on every MCP server pod. */
export const MCP_MARKER_LABEL = { key: "app.kubernetes.io/part-of", value: "mcp-secure-blueprints" };
export const MCP_PORT_NAME = "http-mcp";

export const NAMESPACE_TYPES = ["kubernetes:core/v1:Namespace", "kubernetes:core/v1:NamespacePatch"];
const SERVER = "mcpsec:mcp:McpServer";

export const scopeConfigSchema: PolicyConfigSchema = {
    properties: { systemNamespaces: { type: "array", items: { type: "string" }, default: SYSTEM_NAMESPACES } },
};

export interface Workload {
    resource: PolicyResource;
    namespace: string;
    /** `<Kind> <namespace>/<name>`, for messages. */
    label: string;
    /** Labels of the pods it runs. */
    podLabels: Record<string, string>;
    /** Pod template annotations. */
    podAnnotations: Record<string, string>;
    /** Why it counts as an MCP server, if it looks like one. */
    mcpMarker?: string;
    /** The McpServer of the stack whose image it runs, if any. */
    server?: McpServerInfo;
    /** The pod spec it runs. */
    podSpec: Props;
}

/** What the pack knows of an MCP server the stack describes (an McpServer component). */
export interface McpServerInfo {
    name: string;
    /** The full scope strings of its tools (`<url>/<scope>`, as they appear in a token); undefined when the URL is unknown. */
    scopes?: string[];
    /** The port the server listens on, from its description. */
    port?: number;
}

export interface McpNamespace {
    name: string;
    /** Why the namespace is held to the MCP bar. */
    reason: string;
    workloads: Workload[];
    /** The Namespace (or NamespacePatch) objects of the stack that name it. */
    objects: PolicyResource[];
    /** Where to report a violation about the namespace. */
    urn: string;
}

/** A namespaced object's namespace (the default namespace when none is given). */
export function namespaceOfObject(r: PolicyResource): string {
    const ns = r.props.metadata?.namespace;
    return typeof ns === "string" && ns !== "" ? ns : DEFAULT_NAMESPACE;
}

/** Types whose objects Pulumi renders as resources of their own (the pack sees those), or that run nothing. */
const NOT_WORKLOADS = /^kubernetes:(helm\.sh\/v[34]:Chart|yaml(\/v2)?:|kustomize(\/v2)?:|core\/v1:PodTemplate$)/;
/** The Pulumi type of a Helm v3 release: Helm installs it, so the objects it renders never reach the pack. */
export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/**
 * The pod template of a kind the pack does not know that embeds one (Argo Rollouts, Knative Services, KEDA
 * ScaledJobs, ...): the first object under `spec`, a few levels down, whose own `spec` lists containers.
 */
function embeddedPodTemplate(props: Props): Props | undefined {
    const search = (node: unknown, depth: number): Props | undefined => {
        if (!node || typeof node !== "object" || Array.isArray(node) || depth > 4) {
            return undefined;
        }
        const o = node as Props;
        if (Array.isArray(o.spec?.containers)) {
            return o;
        }
        for (const child of Object.values(o)) {
            const found = search(child, depth + 1);
            if (found) {
                return found;
            }
        }
        return undefined;
    };
    return search(props.spec, 0);
}

/** The metadata and pod spec of a resource that runs pods: a built-in workload kind, or any kind that embeds a pod template. */
function podTemplateOf(r: PolicyResource): { meta: Props; spec: Props } | undefined {
    if (POD_TYPES.includes(r.type)) {
        const template = r.type === "kubernetes:core/v1:Pod" ? { metadata: r.props.metadata }
            : r.type === "kubernetes:batch/v1:CronJob" ? r.props.spec?.jobTemplate?.spec?.template : r.props.spec?.template;
        return { meta: template?.metadata ?? {}, spec: podSpecOf(r.type, r.props) ?? {} };
    }
    if (!r.type.startsWith("kubernetes:") || NOT_WORKLOADS.test(r.type) || r.type === HELM_RELEASE) {
        return undefined;
    }
    const template = embeddedPodTemplate(r.props);
    return template ? { meta: template.metadata ?? {}, spec: template.spec as Props } : undefined;
}

/** The repository of an image reference (no tag, no digest). */
export function imageRepository(image: string): string {
    const noDigest = image.split("@")[0];
    const slash = noDigest.lastIndexOf("/");
    const colon = noDigest.lastIndexOf(":");
    return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The MCP servers the stack describes, with their image repositories. */
export function mcpServersOf(resources: PolicyResource[]): (McpServerInfo & { repository?: string })[] {
    return ofType(resources, SERVER).map((s) => {
        const spec = (s.props.spec ?? {}) as Props;
        const url = s.props.url;
        const scopes = typeof url === "string"
            ? [...new Set(((spec.tools ?? []) as Props[]).flatMap((t) => (t.scopes ?? []) as string[]))].map((sc) => `${url}/${sc}`)
            : undefined;
        return {
            name: String(spec.name ?? s.name), scopes, repository: typeof spec.image === "string" ? imageRepository(spec.image) : undefined,
            port: typeof spec.port === "number" ? spec.port : undefined,
        };
    });
}

/** The MCP servers of the stack by image repository. */
function serverImages(resources: PolicyResource[]): Map<string, McpServerInfo> {
    const images = new Map<string, McpServerInfo>();
    for (const { repository, ...server } of mcpServersOf(resources)) {
        if (repository !== undefined) {
            images.set(repository, server);
        }
    }
    return images;
}

/** Every workload of the stack (built-in kinds and custom resources that embed a pod template), with what marks it as an MCP server. */
export function workloadsOf(resources: PolicyResource[]): Workload[] {
    const images = serverImages(resources);
    return resources.flatMap((r) => {
        const template = podTemplateOf(r);
        return template ? [{ r, ...template }] : [];
    }).map(({ r, meta, spec }) => {
        const podLabels = (meta.labels ?? {}) as Record<string, string>;
        const containers = containersOf(spec);
        const namespace = namespaceOfObject(r);
        let mcpMarker: string | undefined;
        let server: McpServerInfo | undefined;
        if (podLabels[MCP_MARKER_LABEL.key] === MCP_MARKER_LABEL.value) {
            mcpMarker = `its pods are labelled ${MCP_MARKER_LABEL.key}=${MCP_MARKER_LABEL.value}`;
        }
        for (const [i, c] of containers.entries()) {
            const found = typeof c.image === "string" ? images.get(imageRepository(c.image)) : undefined;
            if (found !== undefined) {
                server = found;
                mcpMarker = `container ${c.name ?? i} runs the image of MCP server ${found.name}`;
            } else if (((c.ports ?? []) as Props[]).some((p) => p.name === MCP_PORT_NAME)) {
                mcpMarker ??= `container ${c.name ?? i} serves a port named ${MCP_PORT_NAME}`;
            }
        }
        return {
            resource: r, namespace, podLabels, mcpMarker, server, podSpec: spec,
            podAnnotations: (meta.annotations ?? {}) as Record<string, string>,
            label: `${r.type.split(":").pop()} ${namespace}/${r.props.metadata?.name ?? r.name}`,
        };
    });
}

/** The namespaces held to the MCP bar, with the reason each is. */
export function mcpNamespaces(resources: PolicyResource[], systemNamespaces: string[] = SYSTEM_NAMESPACES): McpNamespace[] {
    const system = new Set(systemNamespaces);
    const objects = NAMESPACE_TYPES.flatMap((t) => ofType(resources, t));
    const found = new Map<string, McpNamespace>();
    const hold = (name: string, reason: string, urn: string) => {
        if (!found.has(name)) {
            const own = objects.filter((o) => o.props.metadata?.name === name);
            found.set(name, { name, reason, workloads: [], objects: own, urn: own[0]?.urn ?? urn });
        }
        return found.get(name)!;
    };
    const workloads = workloadsOf(resources);
    for (const w of workloads) {
        if (w.mcpMarker !== undefined) {
            hold(w.namespace, `runs ${w.label}, an MCP server (${w.mcpMarker})`, w.resource.urn);
        } else if (!system.has(w.namespace)) {
            hold(w.namespace, `runs ${w.label} and is not a system namespace`, w.resource.urn);
        }
    }
    // A Helm v3 release installs objects the pack never sees: its namespace is held as if it ran a workload, and
    // wherever it is when its values name an MCP server's image.
    const images = mcpServersOf(resources).filter((sv) => sv.repository !== undefined);
    for (const r of ofType(resources, HELM_RELEASE)) {
        const name = typeof r.props.namespace === "string" && r.props.namespace !== "" ? r.props.namespace : DEFAULT_NAMESPACE;
        const label = `Helm release ${r.props.name ?? r.name} (${HELM_RELEASE})`;
        const values = JSON.stringify(r.props.values ?? {});
        const server = images.find((sv) => values.includes(sv.repository!));
        if (server !== undefined) {
            hold(name, `installs ${label}, whose values name the image of MCP server ${server.name}`, r.urn);
        } else if (!system.has(name)) {
            hold(name, `installs ${label}, whose objects the pack cannot see`, r.urn);
        }
    }
    for (const o of objects) {
        const name = o.props.metadata?.name;
        if (typeof name === "string" && o.props.metadata?.labels?.[TENANT_LABEL] !== undefined) {
            hold(name, `is labelled ${TENANT_LABEL}`, o.urn);
        }
    }
    for (const ns of found.values()) {
        ns.workloads = workloads.filter((w) => w.namespace === ns.name);
    }
    return [...found.values()];
}

/** The `systemNamespaces` pack config of a scoped rule, or the default list. */
export function systemNamespacesOf(config: { systemNamespaces?: string[] } | undefined): string[] {
    return config?.systemNamespaces ?? SYSTEM_NAMESPACES;
}

/** True when a label selector (matchLabels and matchExpressions) selects every object. */
export function selectsAll(selector: Props | undefined): boolean {
    return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}

/** Kubernetes label selector semantics: matchLabels and every matchExpression must hold. */
export function selects(selector: Props | undefined, labels: Record<string, string>): boolean {
    const matchLabels = (selector?.matchLabels ?? {}) as Record<string, string>;
    if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) {
        return false;
    }
    return ((selector?.matchExpressions ?? []) as Props[]).every((e) => {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const values = (e.values ?? []) as string[];
        switch (e.operator) {
            case "In": return has && values.includes(labels[e.key]);
            case "NotIn": return !has || !values.includes(labels[e.key]);
            case "Exists": return has;
            case "DoesNotExist": return !has;
            default: return false;
        }
    });
}

/** Resources of a kind in an API group, in any version (v1, v1beta1, ...). */
export function ofKind(resources: PolicyResource[], group: string, kind: string): PolicyResource[] {
    return resources.filter((r) => r.type.startsWith(`kubernetes:${group}/`) && r.type.endsWith(`:${kind}`));
}

/**
 * Istio objects (AuthorizationPolicy, RequestAuthentication, PeerAuthentication) that apply to a workload: those in
 * its namespace, and those in the root namespace, whose selector (absent = every workload) matches its pods. Objects
 * bound by targetRef(s) apply to gateways and waypoints, not to sidecar workloads.
 */
export function appliesTo(policy: PolicyResource, namespace: string, podLabels: Record<string, string> | undefined): boolean {
    const spec = (policy.props.spec ?? {}) as Props;
    const ns = namespaceOfObject(policy);
    if ((ns !== namespace && ns !== MESH_ROOT_NAMESPACE) || spec.targetRef || (spec.targetRefs ?? []).length > 0) {
        return false;
    }
    if (selectsAll(spec.selector)) {
        return true;
    }
    return podLabels !== undefined && selects(spec.selector, podLabels);
}
