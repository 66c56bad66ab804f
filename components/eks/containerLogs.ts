import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";
import { IRSA_ROLE_PATH } from "../network/endpointPolicies";
import { irsaTrust } from "./serverRoles";

/** Namespace of the node log shipper: not an MCP namespace (the kubernetes pack lists it among the system ones). */
export const LOG_SHIPPER_NAMESPACE = "mcpsec-logging";
/** Service account, DaemonSet and ConfigMap name of the log shipper. */
export const LOG_SHIPPER_NAME = "fluent-bit";
/** Where the ConfigMap is mounted and the file Fluent Bit is started with. */
export const LOG_SHIPPER_CONFIG_DIR = "/fluent-bit/config";
export const LOG_SHIPPER_CONFIG_FILE = "fluent-bit.conf";
/**
 * Where the shipper keeps, on the node, the tail inputs' read offsets and (under `buffer/`) the chunks read but not yet
 * delivered: the offsets record what was read into the engine, not what CloudWatch accepted, so the chunks are kept
 * on disk too (filesystem buffering) and a restarted, OOM-killed or evicted pod delivers them instead of losing them.
 */
export const LOG_SHIPPER_STATE_DIR = "/var/fluent-bit/state";
/** Chunks (about 2 MB each) held in memory at once, all inputs together; the rest wait on disk. */
export const LOG_SHIPPER_MAX_CHUNKS_UP = 16;
/** Disk a group's queue may take on the node while CloudWatch is unreachable; the oldest chunks go beyond it. */
export const LOG_SHIPPER_QUEUE_LIMIT = "64M";

/**
 * The shipper's memory, requests equal to limits: a base for the engine and the chunks up in memory
 * ({@link LOG_SHIPPER_MAX_CHUNKS_UP} x 2 MB, 8 MB of backlog), plus 4 MiB per shipped container for its
 * cloudwatch_logs output (each flush allocates two 1 MiB PutLogEvents payload buffers and room for 10,000 events). Pure.
 */
export function shipperMemoryMiB(containers: number): number {
    return 96 + 4 * containers;
}

/** One container whose stdout goes to one log group. */
export interface ShippedContainer {
    /** The MCP server it belongs to (a DNS label). */
    server: string;
    /** Namespace and container name of the pods (the kubelet names the file `<pod>_<namespace>_<container>-<id>.log`). */
    namespace: string;
    container: string;
    /** The CloudWatch log group its lines go to. */
    logGroupName: string;
}

export interface EksContainerLogsArgs {
    /** Containers to ship, each to its own log group (made here). */
    containers: { server: string; namespace: string; container: string }[];
    /** Name prefix of the log groups: `<prefix>/<server>/<container>`. */
    logGroupPrefix: string;
    /** The zone key: the log groups are encrypted with it. */
    kmsKeyArn: pulumi.Input<string>;
    /** Days the log groups keep records (the zone's operations retention). */
    retentionDays: number;
    /** The cluster's IAM OIDC provider and issuer URL: the shipper's IRSA role trusts its service account only. */
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuerUrl: pulumi.Input<string>;
    /** The AWS Region (CloudWatch Logs and STS regional endpoints, reached through the zone's interface endpoints). */
    region: string;
    /**
     * The AWS for Fluent Bit image (public.ecr.aws/aws-observability/aws-for-fluent-bit, 3.x), copied to this
     * account's ECR and pinned by digest: the zone's nodes pull from ECR in the Region only.
     */
    image: string;
    /** The zone's block: the shipper may open HTTPS to it (the logs and sts interface endpoints) and nothing else. */
    vpcCidrBlock: string;
    /** Provider of the cluster the DaemonSet runs in. */
    provider: k8s.Provider;
    tags?: Record<string, string>;
}

/** A Fluent Bit tail path glob that matches the log files of one container name in one namespace. Pure. */
export function containerLogPath(namespace: string, container: string): string {
    return `/var/log/containers/*_${namespace}_${container}-*.log`;
}

/**
 * The files {@link containerLogPath} also matches but which belong to other containers: those whose name extends this
 * one (`mcp-guard-tools` next to `mcp-guard`). The kubelet names a file `<container>-<64 hex id>.log` and the id has no
 * `-`, so any further `-` after the container's name means another container, whose lines must not reach this
 * container's group (a server named like the guard would forge its guard's lines). Pure.
 */
export function containerLogExcludePath(namespace: string, container: string): string {
    return `/var/log/containers/*_${namespace}_${container}-*-*.log`;
}

/**
 * The Fluent Bit configuration (classic format): for each container, a tail input of its log files with the CRI
 * parser (so the record's `log` is the line the container wrote) tagged `mcp.<server>.<container>`, and a
 * cloudwatch_logs output sending only that line (`log_key log`, so the guard's JSON line is the CloudWatch event its
 * metric filters read) to the container's own group, one stream per node, never creating groups. No filter stage:
 * nothing between the file and the group can drop or rewrite a line. Files are read from their start when first seen
 * (a guard that started before the shipper, or before its server's input existed, loses no line; the offsets DB
 * prevents reading twice), and chunks are buffered on the node's disk until delivered. Pure.
 */
export function fluentBitConfig(containers: ShippedContainer[], region: string): string {
    const lines = [
        "[SERVICE]",
        "    Flush 1",
        "    Log_Level info",
        "    Daemon off",
        "    HTTP_Server Off",
        `    storage.path ${LOG_SHIPPER_STATE_DIR}/buffer`,
        "    storage.sync normal",
        `    storage.max_chunks_up ${LOG_SHIPPER_MAX_CHUNKS_UP}`,
        "    storage.backlog.mem_limit 8M",
        "",
    ];
    for (const c of containers) {
        const tag = `mcp.${c.server}.${c.container}`;
        lines.push(
            "[INPUT]",
            "    Name tail",
            `    Tag ${tag}`,
            `    Path ${containerLogPath(c.namespace, c.container)}`,
            `    Exclude_Path ${containerLogExcludePath(c.namespace, c.container)}`,
            "    multiline.parser cri",
            `    DB ${LOG_SHIPPER_STATE_DIR}/${c.server}-${c.container}.db`,
            "    Read_from_Head On",
            "    storage.type filesystem",
            "    Skip_Long_Lines On",
            "    Refresh_Interval 5",
            "",
            "[OUTPUT]",
            "    Name cloudwatch_logs",
            `    Match ${tag}`,
            `    region ${region}`,
            `    log_group_name ${c.logGroupName}`,
            "    log_stream_prefix ${NODE_NAME}.",
            "    log_key log",
            "    auto_create_group false",
            `    sts_endpoint https://sts.${region}.amazonaws.com`,
            "    Retry_Limit no_limits",
            `    storage.total_limit_size ${LOG_SHIPPER_QUEUE_LIMIT}`,
            "",
        );
    }
    return lines.join("\n");
}

/**
 * Container logs of the MCP namespaces to CloudWatch Logs on EKS (controls O1, O2): AWS for Fluent Bit as a
 * DaemonSet in a namespace of its own, tailing on each node only the listed containers' log files (the guard's, so
 * its tool_call_denied and tool_changed lines reach a group the guarded server cannot write to) and sending each to
 * its own log group, encrypted with the zone key and kept for the operations retention. It authenticates with an
 * IRSA role trusted by its service account only, allowed CreateLogStream and PutLogEvents on those groups and
 * nothing else, and reaches CloudWatch Logs and STS through the zone's interface endpoints (a NetworkPolicy admits
 * DNS, and HTTPS to addresses inside the VPC only: the endpoints' addresses are not known to the cluster).
 *
 * Reading node log files needs hostPath volumes (which baseline and restricted refuse) and root (which restricted
 * refuses; the kubelet writes them root-owned, mode 0640), so the namespace enforces `privileged` and runs this one
 * DaemonSet; the pod itself drops every capability, forbids privilege escalation, uses RuntimeDefault seccomp and a
 * read-only root filesystem, mounts /var/log read-only and writes only its offsets and buffer under
 * /var/fluent-bit/state. No MCP workload runs in that namespace, and the shipper has no Kubernetes API access (no
 * token mounted).
 */
export class EksContainerLogs extends pulumi.ComponentResource {
    /** Server name -> the log group its shipped container writes to (the guard's, when guarded). */
    public readonly logGroupNames: Record<string, pulumi.Output<string>> = {};
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: EksContainerLogsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        if (!/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9][a-z0-9._/-]*@sha256:[a-f0-9]{64}$/.test(args.image)) {
            throw new ConfigError(`EksContainerLogs "${name}".image`, `${JSON.stringify(args.image)} is not allowed; expected the AWS for Fluent Bit image in this account's ECR pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>)`);
        }
        super("mcpsec:eks:EksContainerLogs", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("eks", `${name}-${suffix}`, args.tags);
        const shipped: ShippedContainer[] = [];
        const groups: aws.cloudwatch.LogGroup[] = [];
        for (const c of args.containers) {
            const logGroupName = `${args.logGroupPrefix}/${c.server}/${c.container}`;
            const group = new aws.cloudwatch.LogGroup(`${name}-${c.server}`, {
                name: logGroupName, kmsKeyId: args.kmsKeyArn, retentionInDays: args.retentionDays, tags: tags(c.server),
            }, parent);
            groups.push(group);
            shipped.push({ ...c, logGroupName });
            this.logGroupNames[c.server] = group.name;
        }

        const issuerHost = pulumi.output(args.oidcIssuerUrl).apply((u) => u.replace(/^https:\/\//, ""));
        const role = new aws.iam.Role(`${name}-shipper`, {
            // The zone's sts endpoint admits web-identity assumption of roles under this path only.
            path: IRSA_ROLE_PATH,
            description: `Container log shipper (IRSA: ${LOG_SHIPPER_NAMESPACE}/${LOG_SHIPPER_NAME} only)`,
            assumeRolePolicy: issuerHost.apply((host) => policyJson({
                Effect: "Allow", Principal: { Federated: args.oidcProviderArn }, Action: "sts:AssumeRoleWithWebIdentity",
                Condition: irsaTrust(host, LOG_SHIPPER_NAMESPACE, LOG_SHIPPER_NAME),
            })),
            tags: tags("shipper"),
        }, parent);
        const policy = groups.length > 0 ? new aws.iam.RolePolicy(`${name}-shipper`, {
            role: role.id,
            policy: policyJson({ Sid: "WriteShippedLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: groups.map((g) => pulumi.interpolate`${g.arn}:log-stream:*`) }),
        }, parent) : undefined;
        this.roleArn = role.arn;

        const k = { parent: this, provider: args.provider };
        const labels = { "app.kubernetes.io/name": LOG_SHIPPER_NAME, "app.kubernetes.io/part-of": "mcpsec-logging" };
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: {
                name: LOG_SHIPPER_NAMESPACE,
                labels: {
                    // hostPath is refused by baseline and restricted, root by restricted; see the class comment.
                    "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/warn-version": "latest",
                    "pod-security.kubernetes.io/audit": "baseline", "pod-security.kubernetes.io/audit-version": "latest",
                },
            },
        }, k);
        const inNs = { ...k, dependsOn: [ns] };
        const meta = (n: string) => ({ name: n, namespace: LOG_SHIPPER_NAMESPACE, labels });
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, {
            metadata: meta(`${LOG_SHIPPER_NAME}-egress`),
            spec: {
                podSelector: {},
                policyTypes: ["Ingress", "Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
                    },
                    // CloudWatch Logs and STS through the zone's interface endpoints (HTTPS to the VPC: see the class comment).
                    { to: [{ ipBlock: { cidr: args.vpcCidrBlock } }], ports: [{ protocol: "TCP", port: 443 }] },
                ],
            },
        }, inNs);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { ...meta(LOG_SHIPPER_NAME), annotations: { "eks.amazonaws.com/role-arn": role.arn, "eks.amazonaws.com/sts-regional-endpoints": "true" } },
            automountServiceAccountToken: false,
        }, inNs);
        const configText = fluentBitConfig(shipped, args.region);
        const memory = `${shipperMemoryMiB(shipped.length)}Mi`;
        const config = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: meta(LOG_SHIPPER_NAME),
            data: { [LOG_SHIPPER_CONFIG_FILE]: configText },
        }, inNs);
        new k8s.apps.v1.DaemonSet(`${name}-ds`, {
            metadata: meta(LOG_SHIPPER_NAME),
            spec: {
                selector: { matchLabels: labels },
                updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                template: {
                    metadata: { labels, annotations: { "mcpsec/fluent-bit-config-sha256": createHash("sha256").update(configText).digest("hex") } },
                    spec: {
                        serviceAccountName: sa.metadata.name,
                        automountServiceAccountToken: false,
                        priorityClassName: "system-node-critical",
                        terminationGracePeriodSeconds: 30,
                        securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                        tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
                        containers: [{
                            name: LOG_SHIPPER_NAME,
                            image: args.image,
                            imagePullPolicy: "IfNotPresent",
                            // The C cloudwatch_logs output only: no Go plugins loaded.
                            command: ["/fluent-bit/bin/fluent-bit", "-c", `${LOG_SHIPPER_CONFIG_DIR}/${LOG_SHIPPER_CONFIG_FILE}`],
                            env: [
                                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                                { name: "AWS_REGION", value: args.region },
                                { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
                            ],
                            resources: { requests: { cpu: "100m", memory }, limits: { cpu: "100m", memory } },
                            securityContext: {
                                // Node log files are root-owned 0640: root, but nothing else.
                                runAsUser: 0, runAsGroup: 0, runAsNonRoot: false,
                                privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
                            },
                            volumeMounts: [
                                { name: "varlog", mountPath: "/var/log", readOnly: true },
                                { name: "state", mountPath: LOG_SHIPPER_STATE_DIR },
                                { name: "config", mountPath: LOG_SHIPPER_CONFIG_DIR, readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        }],
                        volumes: [
                            { name: "varlog", hostPath: { path: "/var/log", type: "Directory" } },
                            { name: "state", hostPath: { path: LOG_SHIPPER_STATE_DIR, type: "DirectoryOrCreate" } },
                            { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
                            { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
                        ],
                    },
                },
            },
        }, { ...inNs, dependsOn: [ns, ...(policy ? [policy] : []), ...groups] });
        this.registerOutputs({ logGroupNames: this.logGroupNames, roleArn: this.roleArn });
    }
}

