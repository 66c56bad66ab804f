import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedMcpServerSpec } from "../mcp/spec";

export interface McpWorkloadArgs {
    server: ResolvedMcpServerSpec;
    namespace: pulumi.Input<string>;
    /** Name of the Kubernetes Secret (synced by an ExternalSecret) that holds the server's secrets, if any. */
    secretName?: pulumi.Input<string>;
    /** Opt-out: mount a service account token (only if the server calls the Kubernetes API). Default false. */
    automountServiceAccountToken?: boolean;
}

/** CPU units (Fargate style, 1024 = 1 vCPU) to a Kubernetes quantity. */
export function cpuQuantity(units: number): string {
    return `${Math.round((units / 1024) * 1000)}m`;
}

/**
 * One MCP server in the cluster (controls S3, H1, H3, C4): its own ServiceAccount (no token mounted), a Deployment
 * with the restricted security context (non-root, seccomp RuntimeDefault, every capability dropped, read-only root
 * filesystem, no privilege escalation), the image by digest, requests and limits, probes, spread across zones and
 * nodes, a PodDisruptionBudget and a ClusterIP Service.
 */
export class McpWorkload extends pulumi.ComponentResource {
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: McpWorkloadArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:McpWorkload", name, {}, opts);
        const parent = { parent: this };
        const s = args.server;
        const labels = { app: s.name, "app.kubernetes.io/name": s.name, "app.kubernetes.io/part-of": "mcp-secure-blueprints" };
        const [uid, gid] = s.user.split(":").map(Number);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: s.name, namespace: args.namespace, labels },
            automountServiceAccountToken: args.automountServiceAccountToken ?? false,
        }, parent);
        const env = [
            ...Object.entries(s.environment).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ({ name: k, value: v })),
            ...(args.secretName !== undefined
                ? Object.keys(s.secrets).sort().map((k) => ({ name: k, valueFrom: { secretKeyRef: { name: args.secretName!, key: k } } }))
                : []),
        ];
        const resources = { requests: { cpu: cpuQuantity(s.cpu), memory: `${s.memory}Mi` }, limits: { cpu: cpuQuantity(s.cpu), memory: `${s.memory}Mi` } };
        new k8s.apps.v1.Deployment(`${name}-deploy`, {
            metadata: { name: s.name, namespace: args.namespace, labels },
            spec: {
                replicas: s.desiredCount,
                selector: { matchLabels: { app: s.name } },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: sa.metadata.name,
                        automountServiceAccountToken: args.automountServiceAccountToken ?? false,
                        securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid ?? uid, fsGroup: gid ?? uid, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [{
                            name: s.name,
                            image: s.image,
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ name: "http-mcp", containerPort: s.port, protocol: "TCP" }],
                            env,
                            resources,
                            securityContext: {
                                allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
                                capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
                            },
                            readinessProbe: { httpGet: { path: s.healthCheckPath, port: s.port }, periodSeconds: 10, failureThreshold: 3 },
                            livenessProbe: { httpGet: { path: s.healthCheckPath, port: s.port }, periodSeconds: 20, failureThreshold: 3, initialDelaySeconds: 10 },
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        }],
                        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
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
        const svc = new k8s.core.v1.Service(`${name}-svc`, {
            metadata: { name: s.name, namespace: args.namespace, labels },
            spec: { type: "ClusterIP", selector: { app: s.name }, ports: [{ name: "http-mcp", port: s.port, targetPort: s.port, protocol: "TCP" }] },
        }, parent);
        this.serviceName = svc.metadata.name;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
