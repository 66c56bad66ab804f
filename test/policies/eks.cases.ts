import { fluentBitConfig } from "../../components/eks/containerLogs";
import { Props } from "../../policies/lib/rule";
import { FixtureResource } from "./harness";
import type { RuleCases } from "./aws.cases";

// EKS fixtures: a cluster as EksCluster makes it, a node group on a launch template as EksNodes makes it.
const CLUSTER = "aws:eks/cluster:Cluster";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0b2c4d6e-8f0a-4b1c-9d2e-3f4a5b6c7d8e";
const cluster = (props: Props = {}, vpc: Props = {}): Props => ({
    name: "mcp-dev-eks", version: "1.35", roleArn: "arn:aws:iam::123456789012:role/cluster",
    vpcConfig: { subnetIds: ["subnet-0a", "subnet-0b"], endpointPrivateAccess: true, endpointPublicAccess: false, ...vpc },
    encryptionConfig: { provider: { keyArn: KEY }, resources: ["secrets"] },
    enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
    ...props,
});
const clusterRes = (props: Props = {}): FixtureResource => ({ type: CLUSTER, name: "eks", props: cluster(props) });
const template = (props: Props = {}, md: Props = {}): FixtureResource => ({
    type: "aws:ec2/launchTemplate:LaunchTemplate", name: "nodes-lt",
    props: {
        id: "lt-0nodes",
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, ...md },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: KEY, volumeSize: 4 } }, { deviceName: "/dev/xvdb", ebs: { encrypted: "true", kmsKeyId: KEY, volumeSize: 50 } }],
        ...props,
    },
});
const subnet = (props: Props = {}): FixtureResource => ({ type: "aws:ec2/subnet:Subnet", name: "private-0", props: { id: "subnet-0a", vpcId: "vpc-1", cidrBlock: "10.41.0.0/20", mapPublicIpOnLaunch: false, ...props } });
const nodeGroup = (props: Props = {}): FixtureResource => ({
    type: "aws:eks/nodeGroup:NodeGroup", name: "nodes",
    props: { clusterName: "mcp-dev-eks", nodeRoleArn: "arn:aws:iam::123456789012:role/node", subnetIds: ["subnet-0a"], amiType: "BOTTLEROCKET_x86_64", scalingConfig: { desiredSize: 2, minSize: 2, maxSize: 4 }, launchTemplate: { id: "lt-0nodes", version: "1" }, ...props },
});
const nodes = (lt: FixtureResource = template(), group: FixtureResource = nodeGroup(), sn: FixtureResource = subnet()): FixtureResource[] => [clusterRes(), sn, lt, group];
const cni = (values: Props | null = { enableNetworkPolicy: "true" }): FixtureResource => ({
    type: "aws:eks/addon:Addon", name: "vpc-cni", props: { clusterName: "mcp-dev-eks", addonName: "vpc-cni", ...(values ? { configurationValues: JSON.stringify(values) } : {}) },
});

const ROLE = "aws:iam/role:Role";
const ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/BCBE36FD00624BF214C62134E9E5ECFC";
const irsaRole = (condition: Props | undefined): Props => ({
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${ISSUER}` }, Action: "sts:AssumeRoleWithWebIdentity", ...(condition ? { Condition: condition } : {}) }],
    }),
});
const IRSA_OK = { StringEquals: { [`${ISSUER}:sub`]: "system:serviceaccount:mcp-docs-search:docs-search-secret-store", [`${ISSUER}:aud`]: "sts.amazonaws.com" } };
const CLUSTER_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/mcp-dev-cluster-eks";
const podRole = (condition: Props | undefined): Props => ({
    assumeRolePolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"], ...(condition ? { Condition: condition } : {}) }] },
});
const POD_OK = { StringEquals: { "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN, "aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "aws-node" } };

const nodeSg: FixtureResource = { type: "aws:ec2/securityGroup:SecurityGroup", name: "nodes-sg", props: { id: "sg-0nodes", vpcId: "vpc-1" } };
const sgRule = (name: string, props: Props): FixtureResource => ({ type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, props: { securityGroupId: "sg-0nodes", ipProtocol: "tcp", ...props } });
const withNodeSg = (...extra: FixtureResource[]): FixtureResource[] => [...nodes(template({ vpcSecurityGroupIds: ["sg-0cluster", "sg-0nodes"] })), nodeSg, ...extra];
const FROM_ALB = { referencedSecurityGroupId: "sg-0alb" };

// A guarded MCP workload and the node log path EksContainerLogs builds for it: a Fluent Bit DaemonSet started from a
// ConfigMap, the guard's log group, metric filters on its two events and alarms with actions.
const GUARD_GROUP = "/mcpsec/mcp-dev/docs/mcp-guard";
const guardedWorkload = (ns = "mcp-docs"): FixtureResource => ({
    type: "kubernetes:apps/v1:Deployment", name: "docs",
    props: {
        metadata: { name: "docs", namespace: ns },
        spec: { template: { spec: { containers: [
            { name: "docs", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:" + "f".repeat(64) },
            { name: "mcp-guard", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:" + "9".repeat(64), env: [
                { name: "GUARD_SERVER_NAME", value: "docs" }, { name: "GUARD_UPSTREAM_URL", value: "http://127.0.0.1:8080/mcp" }, { name: "GUARD_LISTEN_PORT", value: "8443" },
            ] },
        ] } } },
    },
});
const shipperConfig = (edit: (lines: string[]) => string[] = (l) => l): string => edit(fluentBitConfig([{ server: "docs", namespace: "mcp-docs", container: "mcp-guard", logGroupName: GUARD_GROUP }], "eu-west-1").split("\n")).join("\n");
const shipper = (command = ["/fluent-bit/bin/fluent-bit", "-c", "/fluent-bit/config/fluent-bit.conf"], pod: Props = {}): FixtureResource => ({
    type: "kubernetes:apps/v1:DaemonSet", name: "fluent-bit",
    props: {
        metadata: { name: "fluent-bit", namespace: "mcpsec-logging" },
        spec: { template: { metadata: { labels: { "app.kubernetes.io/name": "fluent-bit" } }, spec: {
            serviceAccountName: "fluent-bit", tolerations: [{ operator: "Exists", effect: "NoSchedule" }], ...pod,
            containers: [{ name: "fluent-bit", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/aws-for-fluent-bit@sha256:" + "8".repeat(64), command,
                volumeMounts: [{ name: "varlog", mountPath: "/var/log", readOnly: true }, { name: "config", mountPath: "/fluent-bit/config", readOnly: true }] }],
            volumes: [{ name: "varlog", hostPath: { path: "/var/log" } }, { name: "config", configMap: { name: "fluent-bit" } }],
        } } },
    },
});
const shipperCm = (text = shipperConfig()): FixtureResource => ({ type: "kubernetes:core/v1:ConfigMap", name: "fluent-bit-config", props: { metadata: { name: "fluent-bit", namespace: "mcpsec-logging" }, data: { "fluent-bit.conf": text } } });
const guardGroup = (): FixtureResource => ({ type: "aws:cloudwatch/logGroup:LogGroup", name: "guard-group", props: { name: GUARD_GROUP, kmsKeyId: KEY, retentionInDays: 365 } });
const eventFilter = (event: string, metric: string): FixtureResource => ({
    type: "aws:cloudwatch/logMetricFilter:LogMetricFilter", name: `filter-${event}`,
    props: { logGroupName: GUARD_GROUP, pattern: `{ $.event = "${event}" }`, metricTransformation: { name: metric, namespace: "MCPSec", value: "1", defaultValue: "0" } },
});
const metricAlarm = (metric: string, actions = ["arn:aws:sns:eu-west-1:123456789012:alerts"], props: Props = {}): FixtureResource => ({
    type: "aws:cloudwatch/metricAlarm:MetricAlarm", name: `alarm-${metric}`,
    props: { metricName: metric, namespace: "MCPSec", threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", evaluationPeriods: 1, period: 300, statistic: "Sum", alarmActions: actions, ...props },
});
const filterWith = (f: FixtureResource, transformation: Props): FixtureResource => ({ ...f, props: { ...f.props, metricTransformation: { ...f.props.metricTransformation, ...transformation } } });
// McpAlerts' heartbeat pair: each guard_heartbeat line counted, and an alarm when none arrives (missing data breaching).
const heartbeat = (alarm: Props = {}): FixtureResource[] => [
    { type: "aws:cloudwatch/logMetricFilter:LogMetricFilter", name: "filter-heartbeat", props: { logGroupName: GUARD_GROUP, pattern: '{ $.event = "guard_heartbeat" }', metricTransformation: { name: "GuardHeartbeats-docs", namespace: "MCPSec", value: "1" } } },
    metricAlarm("GuardHeartbeats-docs", undefined, { comparisonOperator: "LessThanThreshold", evaluationPeriods: 2, treatMissingData: "breaching", ...alarm }),
];
const SHIPPER_ROLE = "arn:aws:iam::123456789012:role/mcpsec/irsa/shipper-0a1b2c3";
const shipperSa = (annotations: Props = { "eks.amazonaws.com/role-arn": SHIPPER_ROLE }): FixtureResource => ({
    type: "kubernetes:core/v1:ServiceAccount", name: "fluent-bit-sa", props: { metadata: { name: "fluent-bit", namespace: "mcpsec-logging", annotations }, automountServiceAccountToken: false },
});
const shipperPolicy = (resource = `arn:aws:logs:eu-west-1:123456789012:log-group:${GUARD_GROUP}:log-stream:*`, action = ["logs:CreateLogStream", "logs:PutLogEvents"]): FixtureResource => ({
    type: "aws:iam/rolePolicy:RolePolicy", name: "shipper-policy",
    props: { role: "shipper-0a1b2c3", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: [resource] }] }) },
});
const shipperNetpol = (egress: Props[]): FixtureResource => ({
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "fluent-bit-egress",
    props: { metadata: { name: "fluent-bit-egress", namespace: "mcpsec-logging" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress } },
});
const DNS_EGRESS = { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }], ports: [{ protocol: "UDP", port: 53 }] };
const alarmed = (over: { cm?: FixtureResource; ds?: FixtureResource; changed?: FixtureResource[]; denied?: FixtureResource[]; heartbeat?: FixtureResource[]; identity?: FixtureResource[]; extra?: FixtureResource[] } = {}): FixtureResource[] => [
    clusterRes(), guardedWorkload(), over.ds ?? shipper(), over.cm ?? shipperCm(), guardGroup(),
    ...(over.identity ?? [shipperSa(), shipperPolicy()]),
    ...(over.denied ?? [eventFilter("tool_call_denied", "DeniedToolCalls"), metricAlarm("DeniedToolCalls")]),
    ...(over.changed ?? [eventFilter("tool_changed", "ChangedTools"), metricAlarm("ChangedTools")]),
    ...(over.heartbeat ?? heartbeat()),
    ...(over.extra ?? []),
];
const denied = eventFilter("tool_call_denied", "DeniedToolCalls");
const withConf = (edit: (lines: string[]) => string[]) => alarmed({ cm: shipperCm(shipperConfig(edit)) });

export const eksCases: Record<string, RuleCases> = {
    "aws-eks-guard-logs-alarmed": {
        pass: [
            { label: "EksContainerLogs' path: the guard's file tailed with cri, log_key log to its group, both events filtered and alarmed", resources: alarmed() },
            { label: "a layer-only stack (no EKS cluster) is not judged", resources: [guardedWorkload()] },
            { label: "a NetworkPolicy admitting DNS and HTTPS to the VPC (EksContainerLogs')", resources: alarmed({ extra: [shipperNetpol([DNS_EGRESS, { to: [{ ipBlock: { cidr: "10.41.0.0/16" } }], ports: [{ protocol: "TCP", port: 443 }] }])] }) },
            { label: "a node group taint the shipper tolerates", resources: alarmed({ extra: [nodeGroup({ taints: [{ key: "dedicated", value: "mcp", effect: "NO_SCHEDULE" }] })] }) },
            { label: "heartbeat alarm at or below zero (LessThanOrEqualToThreshold 0)", resources: alarmed({ heartbeat: heartbeat({ comparisonOperator: "LessThanOrEqualToThreshold", threshold: 0 }) }) },
        ],
        fail: [
            { label: "no log shipper", resources: [clusterRes(), guardedWorkload(), guardGroup()], expect: /guard of MCP server docs \(Deployment mcp-docs\/docs \(container mcp-guard\)\) ships its audit lines to no CloudWatch log group: no DaemonSet ships node container logs/ },
            { label: "the shipper started from another file than the ConfigMap's", resources: alarmed({ ds: shipper(["/fluent-bit/bin/fluent-bit", "-c", "/etc/other.conf"]) }), expect: /no DaemonSet ships node container logs/ },
            { label: "the tail path reads another namespace", resources: alarmed({ cm: shipperCm(shipperConfig((l) => l.map((x) => x.replace("_mcp-docs_", "_mcp-other_")))) }), expect: /no tail input reads \/var\/log\/containers\/pod-0_mcp-docs_mcp-guard-/ },
            { label: "no CRI parser", resources: alarmed({ cm: shipperCm(shipperConfig((l) => l.filter((x) => !x.includes("multiline.parser")))) }), expect: /without the CRI parser/ },
            { label: "the whole record sent (no log_key log)", resources: alarmed({ cm: shipperCm(shipperConfig((l) => l.filter((x) => !x.includes("log_key")))) }), expect: /sends the whole record \(no log_key log\)/ },
            { label: "a grep filter on the guard's tag", resources: alarmed({ cm: shipperCm(shipperConfig((l) => [...l, "[FILTER]", "    Name grep", "    Match mcp.*", "    Exclude log tool_call_denied"])) }), expect: /filter grep matches tag mcp\.docs\.mcp-guard/ },
            { label: "no tool_changed filter", resources: alarmed({ changed: [] }), expect: /ships to \/mcpsec\/mcp-dev\/docs\/mcp-guard, where no metric filter and alarm with actions counts tool_changed/ },
            { label: "denied calls alarmed without actions", resources: alarmed({ denied: [eventFilter("tool_call_denied", "DeniedToolCalls"), metricAlarm("DeniedToolCalls", [])] }), expect: /counts tool_call_denied \(alarm alarm-DeniedToolCalls has no actions\)\./ },
            // Passed before (review ekslogs finding 1): each stops the lines arriving or the alarm firing.
            { label: "a grep filter matched by Match_Regex", resources: withConf((l) => [...l, "[FILTER]", "    Name grep", "    Match_Regex ^mcp\\..*", "    Exclude log tool_call_denied"]), expect: /filter grep matches tag mcp\.docs\.mcp-guard/ },
            { label: "an @INCLUDE of a file the stack does not hold", resources: withConf((l) => ["@INCLUDE /fluent-bit/etc/extra.conf", ...l]), expect: /@INCLUDE \/fluent-bit\/etc\/extra\.conf loads a file the stack does not hold/ },
            { label: "a YAML configuration (not classic)", resources: alarmed({ cm: shipperCm("service:\n  flush: 1\npipeline:\n  inputs:\n    - name: tail\n") }), expect: /not in Fluent Bit's classic format/ },
            { label: "the shipper pinned to Windows nodes", resources: alarmed({ ds: shipper(undefined, { nodeSelector: { "kubernetes.io/os": "windows" } }) }), expect: /nodeSelector kubernetes\.io\/os=windows is not the guard pod's/ },
            { label: "the shipper under a required node affinity", resources: alarmed({ ds: shipper(undefined, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["logs"] }] }] } } } }) }), expect: /required node affinity is not the guard pod's/ },
            { label: "a NoExecute node taint the shipper does not tolerate", resources: alarmed({ extra: [nodeGroup({ taints: [{ key: "dedicated", value: "mcp", effect: "NO_EXECUTE" }] })] }), expect: /does not tolerate dedicated=mcp:NoExecute, which a node group is tainted with/ },
            { label: "no role policy (the IRSA role may write nothing)", resources: alarmed({ identity: [shipperSa()] }), expect: /role arn:aws:iam::123456789012:role\/mcpsec\/irsa\/shipper-0a1b2c3 is not granted logs:PutLogEvents on the streams of \/mcpsec\/mcp-dev\/docs\/mcp-guard/ },
            { label: "a policy on another group", resources: alarmed({ identity: [shipperSa(), shipperPolicy("arn:aws:logs:eu-west-1:123456789012:log-group:/other:log-stream:*")] }), expect: /is not granted logs:PutLogEvents/ },
            { label: "CreateLogStream only", resources: alarmed({ identity: [shipperSa(), shipperPolicy(undefined, ["logs:CreateLogStream"])] }), expect: /is not granted logs:PutLogEvents/ },
            { label: "a service account without a role", resources: alarmed({ identity: [shipperSa({}), shipperPolicy()] }), expect: /service account mcpsec-logging\/fluent-bit has no IAM role/ },
            { label: "the NetworkPolicy admits DNS only", resources: alarmed({ extra: [shipperNetpol([DNS_EGRESS])] }), expect: /no NetworkPolicy of namespace mcpsec-logging admits the shipper's egress to TCP 443/ },
            { label: "denied-calls alarm threshold 1e9", resources: alarmed({ denied: [denied, metricAlarm("DeniedToolCalls", undefined, { threshold: 1e9 })] }), expect: /alarm alarm-DeniedToolCalls \(GreaterThanOrEqualToThreshold 1000000000\) does not fire/ },
            { label: "denied-calls alarm LessThanThreshold 0", resources: alarmed({ denied: [denied, metricAlarm("DeniedToolCalls", undefined, { comparisonOperator: "LessThanThreshold", threshold: 0 })] }), expect: /\(LessThanThreshold 0\) does not fire on a few events/ },
            { label: "denied-calls filter value 0", resources: alarmed({ denied: [filterWith(denied, { value: "0" }), metricAlarm("DeniedToolCalls")] }), expect: /metric filter filter-tool_call_denied adds "0" per line, not 1/ },
            { label: "denied-calls filter split by server", resources: alarmed({ denied: [filterWith(denied, { dimensions: { server: "$.server" } }), metricAlarm("DeniedToolCalls")] }), expect: /splits DeniedToolCalls by dimensions server/ },
            { label: "denied-calls alarm on the Average", resources: alarmed({ denied: [denied, metricAlarm("DeniedToolCalls", undefined, { statistic: "Average" })] }), expect: /statistic Average, not Sum or SampleCount/ },
            // Review ekslogs finding 2: a broken shipper or a dead guard must alarm.
            { label: "no heartbeat alarm", resources: alarmed({ heartbeat: [] }), expect: /counts the absence of guard_heartbeat \(treatMissingData breaching\)/ },
            { label: "heartbeat alarm treating missing data as not breaching", resources: alarmed({ heartbeat: heartbeat({ treatMissingData: "notBreaching" }) }), expect: /treats missing data as notBreaching, not breaching/ },
            { label: "heartbeat alarm on GreaterThan (fires on heartbeats, not on their absence)", resources: alarmed({ heartbeat: heartbeat({ comparisonOperator: "GreaterThanOrEqualToThreshold" }) }), expect: /does not fire on missing lines/ },
            { label: "a filter on a narrower pattern than the event", resources: alarmed({ denied: [{ ...eventFilter("tool_call_denied", "DeniedToolCalls"), props: { ...eventFilter("tool_call_denied", "DeniedToolCalls").props, pattern: '{ $.event = "tool_call_denied" && $.tool = "x" }' } }, metricAlarm("DeniedToolCalls")] }), expect: /counts tool_call_denied\./ },
        ],
    },
    "aws-eks-cluster-endpoint-private": {
        pass: [
            { label: "private endpoint only", type: CLUSTER, props: cluster() },
            { label: "public too, limited to an operator network (opt-out)", type: CLUSTER, props: cluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }) },
            { label: "public too, from a /16", type: CLUSTER, props: cluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["198.51.0.0/16"] }) },
        ],
        fail: [
            { label: "public endpoint unset (AWS default on, 0.0.0.0/0)", type: CLUSTER, props: cluster({}, { endpointPublicAccess: undefined }), expect: /public endpoint is on .*admits 0\.0\.0\.0\/0/ },
            { label: "public from 0.0.0.0/0 explicitly", type: CLUSTER, props: cluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }), expect: /admits 0\.0\.0\.0\/0/ },
            { label: "no private endpoint", type: CLUSTER, props: cluster({}, { endpointPrivateAccess: undefined }), expect: /endpointPrivateAccess is unset/ },
            // Passed before: 0.0.0.0/0 split into two halves.
            { label: "public from 0.0.0.0/1 + 128.0.0.0/1", type: CLUSTER, props: cluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), expect: /admits 0\.0\.0\.0\/1 holds 2147483648 addresses.*128\.0\.0\.0\/1 holds .*\/16 or narrower/ },
            { label: "public from a /8", type: CLUSTER, props: cluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24", "3.0.0.0/8"] }), expect: /3\.0\.0\.0\/8 holds 16777216 addresses/ },
        ],
    },
    "aws-eks-cluster-endpoint-not-public": {
        pass: [{ label: "private endpoint only", type: CLUSTER, props: cluster() }],
        fail: [{ label: "public endpoint limited to a network", type: CLUSTER, props: cluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }), expect: /public endpoint, reachable from 203\.0\.113\.0\/24/ }],
    },
    "aws-eks-cluster-secrets-encrypted": {
        pass: [{ label: "secrets under a customer key", type: CLUSTER, props: cluster() }],
        fail: [
            { label: "no encryption config", type: CLUSTER, props: cluster({ encryptionConfig: undefined }), expect: /does not cover secrets/ },
            { label: "AWS managed key alias", type: CLUSTER, props: cluster({ encryptionConfig: { provider: { keyArn: "arn:aws:kms:eu-west-1:123456789012:alias/aws/eks" }, resources: ["secrets"] } }), expect: /AWS managed key alias/ },
        ],
    },
    "aws-eks-cluster-all-log-types": {
        pass: [{ label: "all five types", type: CLUSTER, props: cluster() }],
        fail: [
            { label: "audit only", type: CLUSTER, props: cluster({ enabledClusterLogTypes: ["audit"] }), expect: /lacks api, authenticator, controllerManager, scheduler/ },
            { label: "none", type: CLUSTER, props: cluster({ enabledClusterLogTypes: undefined }), expect: /lacks api, audit/ },
        ],
    },
    "aws-eks-cluster-access-entries": {
        pass: [{ label: "API mode, no creator admin", type: CLUSTER, props: cluster() }],
        fail: [
            { label: "unset (CONFIG_MAP)", type: CLUSTER, props: cluster({ accessConfig: undefined }), expect: /unset \(CONFIG_MAP\)/ },
            { label: "API and ConfigMap", type: CLUSTER, props: cluster({ accessConfig: { authenticationMode: "API_AND_CONFIG_MAP", bootstrapClusterCreatorAdminPermissions: false } }), expect: /API_AND_CONFIG_MAP: the aws-auth ConfigMap/ },
            { label: "creator keeps implicit admin", type: CLUSTER, props: cluster({ accessConfig: { authenticationMode: "API" } }), expect: /bootstrapClusterCreatorAdminPermissions is not false/ },
        ],
    },
    "aws-eks-node-group-imdsv2-hop-limit-1": {
        pass: [
            { label: "tokens required, hop limit 1", resources: nodes() },
            { label: "metadata endpoint disabled", resources: nodes(template({}, { httpEndpoint: "disabled", httpTokens: undefined, httpPutResponseHopLimit: undefined })) },
        ],
        fail: [
            { label: "hop limit 2 (pods reach the node's credentials)", resources: nodes(template({}, { httpPutResponseHopLimit: 2 })), expect: /httpPutResponseHopLimit is 2, not 1/ },
            { label: "IMDSv1 allowed", resources: nodes(template({}, { httpTokens: "optional" })), expect: /httpTokens is optional/ },
            { label: "no launch template (EKS default)", resources: nodes(template(), nodeGroup({ launchTemplate: undefined })), expect: /has no launch template: EKS's default accepts IMDSv1/ },
            // No launch template anywhere in the stack: the rule is scoped to node groups, not to launch templates.
            { label: "no launch template in the stack at all", resources: [clusterRes(), subnet(), nodeGroup({ launchTemplate: undefined })], expect: /has no launch template: EKS's default accepts IMDSv1/ },
        ],
    },
    "aws-eks-node-group-no-remote-access": {
        pass: [
            { label: "no SSH", resources: nodes() },
            { label: "Bottlerocket user data with the admin container off", resources: nodes(template({ userData: Buffer.from("[settings.host-containers.admin]\nenabled = false\n").toString("base64") })) },
        ],
        fail: [
            { label: "remoteAccess with a key", resources: nodes(template(), nodeGroup({ remoteAccess: { ec2SshKey: "ops" } })), expect: /sets remoteAccess/ },
            { label: "key pair in the launch template", resources: nodes(template({ keyName: "ops" })), expect: /names key pair ops/ },
            // Passed before (review m3): SSH through Bottlerocket's admin container, turned on in user data.
            { label: "Bottlerocket user data enabling the admin container", resources: nodes(template({ userData: Buffer.from("[settings.host-containers.admin]\nenabled = true\nsuperpowered = true\n").toString("base64") })), expect: /turns on Bottlerocket's admin host container/ },
        ],
    },
    "aws-eks-node-group-no-public-ip": {
        pass: [{ label: "private subnet, no public address", resources: nodes() }],
        fail: [
            { label: "subnet maps public IPs", resources: nodes(template(), nodeGroup(), subnet({ mapPublicIpOnLaunch: true })), expect: /maps public IP addresses on launch/ },
            { label: "launch template asks for one", resources: nodes(template({ networkInterfaces: [{ associatePublicIpAddress: "true" }] })), expect: /asks for a public IP address/ },
        ],
    },
    "aws-eks-node-group-volumes-encrypted": {
        pass: [{ label: "both Bottlerocket volumes under the zone key", resources: nodes() }],
        fail: [
            { label: "data volume unencrypted", resources: nodes(template({ blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: KEY } }, { deviceName: "/dev/xvdb", ebs: { encrypted: "false" } }] })), expect: /\/dev\/xvdb is not encrypted/ },
            { label: "no block device mappings", resources: nodes(template({ blockDeviceMappings: undefined })), expect: /maps no block device/ },
            { label: "no launch template in the stack at all", resources: [clusterRes(), subnet(), nodeGroup({ launchTemplate: undefined })], expect: /has no launch template: its volumes' encryption is left to the account default/ },
        ],
    },
    "aws-eks-workload-role-trust-scoped": {
        pass: [
            { label: "IRSA: one service account, audience STS (ServerSecretRoles)", type: ROLE, props: irsaRole(IRSA_OK) },
            { label: "Pod Identity: this cluster's kube-system/aws-node (EksNodes' VPC CNI role)", type: ROLE, props: podRole(POD_OK) },
            { label: "a role no pod assumes", type: ROLE, props: { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }) } },
        ],
        // Each passed every pack before (the reviewer's probe): the trust named no service account.
        fail: [
            { label: "IRSA without a condition (any service account of the cluster)", type: ROLE, props: irsaRole(undefined), expect: /without a StringEquals on <issuer>:sub: every service account/ },
            { label: "IRSA sub wildcard", type: ROLE, props: irsaRole({ StringLike: { [`${ISSUER}:sub`]: "system:serviceaccount:*", [`${ISSUER}:aud`]: "sts.amazonaws.com" } }), expect: /sub condition \(system:serviceaccount:\*\) does not name exactly one service account/ },
            { label: "IRSA sub pinned, audience not", type: ROLE, props: irsaRole({ StringEquals: { [`${ISSUER}:sub`]: "system:serviceaccount:mcp-a:a" } }), expect: /does not pin <issuer>:aud to sts.amazonaws.com/ },
            { label: "IRSA sub only under StringEqualsIfExists (passes without the key)", type: ROLE, props: irsaRole({ StringEqualsIfExists: { [`${ISSUER}:sub`]: "system:serviceaccount:mcp-a:a" }, StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com" } }), expect: /without a StringEquals on <issuer>:sub/ },
            { label: "Pod Identity without conditions (any association of the account)", type: ROLE, props: podRole(undefined), expect: /without one exact aws:RequestTag\/eks-cluster-arn, aws:RequestTag\/kubernetes-namespace, aws:RequestTag\/kubernetes-service-account/ },
            { label: "Pod Identity pinned to the cluster only", type: ROLE, props: podRole({ StringEquals: { "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN } }), expect: /aws:RequestTag\/kubernetes-namespace, aws:RequestTag\/kubernetes-service-account/ },
        ],
    },
    "aws-eks-node-security-group-scoped": {
        pass: [
            { label: "the ingress and status NodePorts from the ALB's security group (eksZone)", resources: withNodeSg(sgRule("https", { ...FROM_ALB, fromPort: 30443, toPort: 30443 }), sgRule("health", { ...FROM_ALB, fromPort: 30021, toPort: 30021 })) },
            { label: "an address-block rule on a security group no node group uses", resources: [...nodes(), nodeSg, sgRule("other", { cidrIpv4: "10.0.0.0/8", fromPort: 0, toPort: 65535 })] },
        ],
        // Passed every pack before (review m4).
        fail: [
            { label: "all TCP from 10.0.0.0/8 (kubelet and every NodePort)", resources: withNodeSg(sgRule("wide", { cidrIpv4: "10.0.0.0/8", fromPort: 0, toPort: 65535 })), expect: /rule wide admits an address block \(ports all\)/ },
            { label: "the kubelet port from another security group", resources: withNodeSg(sgRule("kubelet", { ...FROM_ALB, fromPort: 10250, toPort: 10250 })), expect: /ports 10250-10250, the kubelet's 10250 included/ },
            { label: "every protocol from the ALB's group", resources: withNodeSg(sgRule("any", { ...FROM_ALB, ipProtocol: "-1" })), expect: /admits every port/ },
        ],
    },
    "aws-eks-cluster-network-policy-enforced": {
        pass: [{ label: "vpc-cni with enableNetworkPolicy", resources: [clusterRes(), cni()] }],
        fail: [
            { label: "vpc-cni without it", resources: [clusterRes(), cni(null)], expect: /without enableNetworkPolicy/ },
            { label: "no vpc-cni add-on", resources: [clusterRes()], expect: /no vpc-cni add-on in the stack/ },
        ],
    },
};
