import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { metadataUrl } from "../identity/protectedResource";
import { approvalGuardEnv, ApprovalSettings } from "../mcp/approval";
import { ResolvedMcpServerSpec } from "../mcp/spec";

/** The guard container's name in every guarded pod (the pack finds the guard by its settings, not by this name). */
export const GUARD_CONTAINER = "mcp-guard";
/** Where the guard reads the approved manifest (the layer's `mcp-tools-manifest` ConfigMap, mounted read-only). */
export const GUARD_MANIFEST_DIR = "/etc/mcp-guard";
/** The guard's uid and gid (the image's USER). */
export const GUARD_USER = 65532;
/** Requests = limits of the guard container (measured: the guard idles under 60 MiB; DLP and JSON parsing need headroom). */
export const GUARD_RESOURCES = { cpu: "250m", memory: "256Mi" } as const;
/**
 * Resources of the Istio sidecar of each MCP pod, set through Istio's injection annotations so that the namespace's
 * ResourceQuota can count them (without them the sidecar takes the chart's defaults, a limit of 2 CPUs).
 */
export const PROXY_RESOURCES = { cpu: "100m", cpuLimit: "500m", memory: "128Mi", memoryLimit: "256Mi" } as const;

/** The MCP guard as the second container of the pod: what the stack tells it. */
export interface McpGuardSidecarArgs {
    /** Guard image pinned by digest (`mcpsec:guard.image`). */
    image: string;
    /** Port the guard listens on; the Service targets it (`mcpsec:guard.port`). */
    port: number;
    dlpMode: "redact" | "block" | "log";
    piiClasses: string[];
    /** The server's URL, its OAuth resource identifier (`https://<server>.<domain><path>`). */
    resource: string;
    /** The OAuth issuer and its JWKS URI (`mcpsec:kubernetes.oauthIssuer`, `.jwksUri`). */
    issuer: string;
    jwksUri: string;
    /** OAuth client ids that may call the server (`mcpsec:kubernetes.clientIds`). */
    clientIds: string[];
    /** Name of the ConfigMap holding the approved manifest under `manifest.json`. */
    manifestConfigMap: pulumi.Input<string>;
    /** The manifest's text: its digest goes on the pod template, so a changed manifest rolls the pods (the guard reads it at start). */
    manifest: string;
    /**
     * The stack's approval settings (`mcpsec:approvals`): the reviewer keys the guard checks the manifest's signature
     * against and whether it refuses an unsigned one, as env of the pod template (not in the ConfigMap it checks).
     * Default: no keys, not required.
     */
    approvals?: ApprovalSettings;
}

export interface McpWorkloadArgs {
    server: ResolvedMcpServerSpec;
    namespace: pulumi.Input<string>;
    /** Name of the Kubernetes Secret (synced by an ExternalSecret) that holds the server's secrets, if any. */
    secretName?: pulumi.Input<string>;
    /** Opt-out: mount a service account token (only if the server calls the Kubernetes API). Default false. */
    automountServiceAccountToken?: boolean;
    /**
     * The MCP guard in front of the server, in the same pod. Unset only with `mcpsec:guard.allowUnguarded`: then the
     * Service reaches the server directly, and the kubernetes pack reports it.
     */
    guard?: McpGuardSidecarArgs;
}

/** Millicores and MiB of a Kubernetes quantity the layer writes (`250m`, `1`, `512Mi`, `1Gi`). */
function millis(q: string): number {
    return q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
}
function mebibytes(q: string): number {
    return q.endsWith("Gi") ? Number(q.slice(0, -2)) * 1024 : Number(q.replace(/Mi$/, ""));
}

/**
 * The limits one pod of a server counts against its namespace's ResourceQuota (limits are at least the requests):
 * the server, the guard when there is one, and the mesh sidecar. Pure.
 */
export function podLimits(server: Pick<ResolvedMcpServerSpec, "cpu" | "memory">, guarded: boolean): { cpuMillis: number; memoryMi: number } {
    return {
        cpuMillis: millis(cpuQuantity(server.cpu)) + (guarded ? millis(GUARD_RESOURCES.cpu) : 0) + millis(PROXY_RESOURCES.cpuLimit),
        memoryMi: server.memory + (guarded ? mebibytes(GUARD_RESOURCES.memory) : 0) + mebibytes(PROXY_RESOURCES.memoryLimit),
    };
}

/** CPU units (Fargate style, 1024 = 1 vCPU) to a Kubernetes quantity. */
export function cpuQuantity(units: number): string {
    return `${Math.round((units / 1024) * 1000)}m`;
}

/**
 * One MCP server in the cluster (controls S3, H1, H3, C4; with the guard also S2, S6, C1, C3, C5): its own
 * ServiceAccount (no token mounted), a Deployment with the restricted security context (non-root, seccomp
 * RuntimeDefault, every capability dropped, read-only root filesystem, no privilege escalation), images by digest,
 * requests and limits, spread across zones and nodes, a PodDisruptionBudget and a ClusterIP Service.
 *
 * With `guard` (the default shape of the layer), the pod runs the MCP guard beside the server: the server listens on
 * 127.0.0.1 only (`HOST=127.0.0.1`) and declares no port; the Service and the mesh route target the guard's port,
 * which checks the token, the scope per tool, the pinned tools and arguments, and scans results, then forwards to
 * the server on loopback. Inside the mesh the guard serves plain HTTP (`GUARD_TLS=off`): the hop from the ingress
 * gateway is Istio mutual TLS (STRICT) to the pod's sidecar, which hands the request to the guard inside the pod's
 * network namespace. An HTTPS guard port would make Istio treat the port as opaque TLS: its AuthorizationPolicy
 * (paths, token claims) could no longer match and would deny everything, and the gateway would need a DestinationRule
 * with `tls.mode: SIMPLE`, which replaces the mesh's mutual TLS (and its workload identity) on that hop.
 */
export class McpWorkload extends pulumi.ComponentResource {
    public readonly serviceName: pulumi.Output<string>;
    /** The port the Service exposes and the mesh routes to: the guard's, or the server's when unguarded. */
    public readonly servicePort: number;

    constructor(name: string, args: McpWorkloadArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:McpWorkload", name, {}, opts);
        const parent = { parent: this };
        const s = args.server;
        const g = args.guard;
        const labels = { app: s.name, "app.kubernetes.io/name": s.name, "app.kubernetes.io/part-of": "mcp-secure-blueprints" };
        const [uid, gid] = s.user.split(":").map(Number);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: s.name, namespace: args.namespace, labels },
            automountServiceAccountToken: args.automountServiceAccountToken ?? false,
        }, parent);
        const env = [
            ...Object.entries(s.environment).filter(([k]) => !(g && k === "HOST")).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ({ name: k, value: v })),
            // Guarded: the server binds loopback only, so nothing but the guard beside it reaches its port.
            ...(g ? [{ name: "HOST", value: "127.0.0.1" }] : []),
            ...(args.secretName !== undefined
                ? Object.keys(s.secrets).sort().map((k) => ({ name: k, valueFrom: { secretKeyRef: { name: args.secretName!, key: k } } }))
                : []),
        ];
        const resources = { requests: { cpu: cpuQuantity(s.cpu), memory: `${s.memory}Mi` }, limits: { cpu: cpuQuantity(s.cpu), memory: `${s.memory}Mi` } };
        const hardened = {
            allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
            capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
        };
        const server = {
            name: s.name,
            image: s.image,
            imagePullPolicy: "IfNotPresent",
            env,
            resources,
            securityContext: hardened,
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            // Guarded, the server listens on 127.0.0.1, where kubelet probes (sent to the pod IP, also when Istio
            // rewrites them) cannot reach: the guard's probes stand for the pod, and a server that exits is restarted.
            ...(g ? {} : {
                ports: [{ name: "http-mcp", containerPort: s.port, protocol: "TCP" }],
                readinessProbe: { httpGet: { path: s.healthCheckPath, port: s.port }, periodSeconds: 10, failureThreshold: 3 },
                livenessProbe: { httpGet: { path: s.healthCheckPath, port: s.port }, periodSeconds: 20, failureThreshold: 3, initialDelaySeconds: 10 },
            }),
        };
        const guard = g && {
            name: GUARD_CONTAINER,
            image: g.image,
            imagePullPolicy: "IfNotPresent",
            ports: [{ name: "http-guard", containerPort: g.port, protocol: "TCP" }],
            env: [
                { name: "GUARD_SERVER_NAME", value: s.name },
                { name: "GUARD_RESOURCE", value: g.resource },
                { name: "GUARD_RESOURCE_METADATA_URL", value: metadataUrl(g.resource) },
                { name: "GUARD_ISSUER", value: g.issuer },
                { name: "GUARD_JWKS_URL", value: g.jwksUri },
                { name: "GUARD_CLIENT_IDS", value: g.clientIds.join(",") },
                { name: "GUARD_UPSTREAM_URL", value: `http://127.0.0.1:${s.port}${s.path}` },
                { name: "GUARD_LISTEN_HOST", value: "0.0.0.0" },
                { name: "GUARD_LISTEN_PORT", value: String(g.port) },
                { name: "GUARD_TLS", value: "off" },
                { name: "GUARD_MCP_PATH", value: s.path },
                { name: "GUARD_ALLOWED_HOSTS", value: new URL(g.resource).host },
                { name: "GUARD_DLP_MODE", value: g.dlpMode },
                ...(g.piiClasses.length > 0 ? [{ name: "GUARD_DLP_PII", value: g.piiClasses.join(",") }] : []),
                { name: "GUARD_MANIFEST_FILE", value: `${GUARD_MANIFEST_DIR}/manifest.json` },
                ...Object.entries(approvalGuardEnv(g.approvals)).map(([name, value]) => ({ name, value })),
                ...(s.allowUndeclaredArguments.length > 0 ? [{ name: "GUARD_ALLOW_UNDECLARED_ARGUMENTS", value: s.allowUndeclaredArguments.join(",") }] : []),
                ...(s.tenantClaim !== undefined ? [{ name: "GUARD_TENANT_CLAIM", value: s.tenantClaim }] : []),
            ],
            resources: { requests: { ...GUARD_RESOURCES }, limits: { ...GUARD_RESOURCES } },
            securityContext: { ...hardened, runAsUser: GUARD_USER, runAsGroup: GUARD_USER },
            readinessProbe: { httpGet: { path: "/health", port: g.port }, periodSeconds: 10, failureThreshold: 3 },
            livenessProbe: { httpGet: { path: "/health", port: g.port }, periodSeconds: 20, failureThreshold: 3, initialDelaySeconds: 10 },
            volumeMounts: [{ name: "tools-manifest", mountPath: GUARD_MANIFEST_DIR, readOnly: true }, { name: "guard-tmp", mountPath: "/tmp" }],
        };
        const annotations = {
            "sidecar.istio.io/proxyCPU": PROXY_RESOURCES.cpu, "sidecar.istio.io/proxyCPULimit": PROXY_RESOURCES.cpuLimit,
            "sidecar.istio.io/proxyMemory": PROXY_RESOURCES.memory, "sidecar.istio.io/proxyMemoryLimit": PROXY_RESOURCES.memoryLimit,
            ...(g ? { "mcpsec/tools-manifest-sha256": createHash("sha256").update(g.manifest).digest("hex") } : {}),
        };
        new k8s.apps.v1.Deployment(`${name}-deploy`, {
            metadata: { name: s.name, namespace: args.namespace, labels },
            spec: {
                replicas: s.desiredCount,
                selector: { matchLabels: { app: s.name } },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                template: {
                    metadata: { labels, annotations },
                    spec: {
                        serviceAccountName: sa.metadata.name,
                        automountServiceAccountToken: args.automountServiceAccountToken ?? false,
                        securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid ?? uid, fsGroup: gid ?? uid, seccompProfile: { type: "RuntimeDefault" } },
                        containers: guard ? [server, guard] : [server],
                        volumes: [
                            { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                            ...(g ? [
                                { name: "tools-manifest", configMap: { name: g.manifestConfigMap, items: [{ key: "manifest.json", path: "manifest.json" }], defaultMode: 0o444 } },
                                { name: "guard-tmp", emptyDir: { sizeLimit: "16Mi" } },
                            ] : []),
                        ],
                        topologySpreadConstraints: [
                            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: s.name } } },
                            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: s.name } } },
                        ],
                    },
                },
            },
        }, parent);
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: { name: s.name, namespace: args.namespace, labels },
            spec: { minAvailable: 1, selector: { matchLabels: { app: s.name } } },
        }, parent);
        this.servicePort = g ? g.port : s.port;
        // Istio picks the protocol from appProtocol (and the port name): plain HTTP, so the sidecar applies the
        // token and path rules; the hop to the pod is mutual TLS all the same.
        const port = g
            ? { name: "http-guard", appProtocol: "http", port: g.port, targetPort: g.port, protocol: "TCP" }
            : { name: "http-mcp", port: s.port, targetPort: s.port, protocol: "TCP" };
        const svc = new k8s.core.v1.Service(`${name}-svc`, {
            metadata: { name: s.name, namespace: args.namespace, labels },
            spec: { type: "ClusterIP", selector: { app: s.name }, ports: [port] },
        }, parent);
        this.serviceName = svc.metadata.name;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
