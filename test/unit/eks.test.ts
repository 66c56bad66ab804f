import { beforeAll, describe, expect, it } from "vitest";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { loadStackConfig } from "../../cli/project";
import { synthesizeProgram } from "../../cli/synth";
import { validateBlueprintConfig } from "../../components/config";
import { checkEksClusterArgs, EKS_LOG_TYPES, eksKubeconfig } from "../../components/eks";
import { INGRESS_GATEWAY_HEALTH_PATH, INGRESS_GATEWAY_HTTPS_NODE_PORT, INGRESS_GATEWAY_STATUS_NODE_PORT, secretStoreServiceAccount, serverNamespace } from "../../components/kubernetes/names";
import { checkMicroservicesConfig } from "../../components/patterns";
import { checkEksZoneConfig, DOCKER_HUB_PULL_HOSTS, GUARDDUTY_EKS_AGENT_ACCOUNTS } from "../../components/patterns/eksZone";
import { fluentBitConfig, LOG_SHIPPER_NAMESPACE, LOG_SHIPPER_STATE_DIR, shipperMemoryMiB } from "../../components/eks";
import { main as blueprintProgram } from "../../program";
import { fluentBitGroupsFor, guardAlarmPaths, parseFluentBitClassic } from "../../policies/aws/guardAlarms";
import { ofType, project } from "../helpers";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** microservices-dev with a second server that has a secret of its own, so that role sharing would show. */
function stackConfig(): Record<string, string> {
    const { config } = loadStackConfig(project, "microservices-dev");
    const servers = JSON.parse(config["mcpsec:servers"]) as Props[];
    const second = { ...structuredClone(servers[0]), name: "tickets", egress: [], secrets: { JIRA_TOKEN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp/jira-QwErTy" } };
    return { ...config, "mcpsec:servers": JSON.stringify([...servers, second]) };
}

const byName = (graph: ResourceGraph, type: string, name: string): GraphResource => {
    const found = ofType(graph, type).filter((r) => r.name === name);
    expect(found, `${type} ${name}`).toHaveLength(1);
    return found[0];
};
const policyOf = (r: GraphResource, key: string): Props => JSON.parse(String(r.inputs[key] ?? r.outputs[key]));

describe("EKS zone (microservices-dev, cluster: eks)", () => {
    let graph: ResourceGraph;
    let zoneKeyArn: string;
    beforeAll(async () => {
        graph = await synthesizeProgram({ project: project.name, stack: "microservices-dev", config: stackConfig(), program: blueprintProgram });
        zoneKeyArn = String(byName(graph, "aws:kms/key:Key", "mcp-dev-key-key").outputs.arn);
    }, 60_000);

    it("has a private API endpoint only, secrets encrypted with the zone key, every log type, access entries only", () => {
        const [cluster] = ofType(graph, "aws:eks/cluster:Cluster");
        const vpc = cluster.inputs.vpcConfig as Props;
        expect(vpc.endpointPrivateAccess).toBe(true);
        expect(vpc.endpointPublicAccess).toBe(false);
        expect(vpc.publicAccessCidrs).toBeUndefined();
        expect(cluster.inputs.encryptionConfig).toEqual({ provider: { keyArn: zoneKeyArn }, resources: ["secrets"] });
        expect([...(cluster.inputs.enabledClusterLogTypes as string[])].sort()).toEqual([...EKS_LOG_TYPES].sort());
        expect(cluster.inputs.accessConfig).toEqual({ authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
        const [entry] = ofType(graph, "aws:eks/accessEntry:AccessEntry");
        expect(entry.inputs.principalArn).toBe("arn:aws:iam::123456789012:role/platform-eks-admin");
        const logGroup = byName(graph, "aws:cloudwatch/logGroup:LogGroup", "mcp-dev-cluster-control-plane");
        expect(logGroup.inputs).toMatchObject({ name: `/aws/eks/${cluster.outputs.name}/cluster`, kmsKeyId: zoneKeyArn });
    });

    it("launches nodes with IMDSv2 and hop limit 1, encrypted volumes, no SSH, in the private subnets without public IPs", () => {
        const [group] = ofType(graph, "aws:eks/nodeGroup:NodeGroup");
        const [template] = ofType(graph, "aws:ec2/launchTemplate:LaunchTemplate");
        expect((group.inputs.launchTemplate as Props).id).toBe(template.id);
        expect(group.inputs.remoteAccess).toBeUndefined();
        expect(template.inputs.keyName).toBeUndefined();
        expect(template.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
        const devices = template.inputs.blockDeviceMappings as Props[];
        expect(devices.length).toBeGreaterThan(0);
        for (const d of devices) {
            expect(d.ebs).toMatchObject({ encrypted: "true", kmsKeyId: zoneKeyArn });
        }
        const subnets = ofType(graph, "aws:ec2/subnet:Subnet").filter((s) => s.inputs.tags && (s.inputs.tags as Props)["mcpsec:tier"] === "private");
        expect([...(group.inputs.subnetIds as string[])].sort()).toEqual(subnets.map((s) => s.id).sort());
        expect(subnets.every((s) => s.inputs.mapPublicIpOnLaunch === false)).toBe(true);
        expect(template.inputs.networkInterfaces).toBeUndefined();
    });

    it("gives the node role only the two managed policies nodes need; the VPC CNI gets its own Pod Identity role, and enforces network policies", () => {
        const nodeRole = byName(graph, "aws:iam/role:Role", "mcp-dev-nodes-node");
        const attached = ofType(graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === nodeRole.outputs.name).map((a) => String(a.inputs.policyArn).split("/").pop());
        expect(attached.sort()).toEqual(["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy"]);
        expect(ofType(graph, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === nodeRole.outputs.name)).toHaveLength(0);
        const cni = ofType(graph, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "vpc-cni")!;
        expect(JSON.parse(String(cni.inputs.configurationValues))).toEqual({ enableNetworkPolicy: "true" });
        const cniRole = byName(graph, "aws:iam/role:Role", "mcp-dev-nodes-vpc-cni");
        expect(cni.inputs.podIdentityAssociations).toEqual([{ serviceAccount: "aws-node", roleArn: cniRole.outputs.arn }]);
        const [cniTrust] = policyOf(cniRole, "assumeRolePolicy").Statement;
        expect(cniTrust.Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
        // Pinned by the session tags EKS Pod Identity sets: this cluster's kube-system/aws-node only.
        const [cluster] = ofType(graph, "aws:eks/cluster:Cluster");
        expect(cniTrust.Condition).toEqual({ StringEquals: { "aws:RequestTag/eks-cluster-arn": cluster.outputs.arn, "aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "aws-node" } });
    });

    it("gives each server a role of its own, assumable only by that server's secret-store service account, reading only its secrets", () => {
        const [oidc] = ofType(graph, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
        const issuerHost = String(oidc.inputs.url).replace("https://", "");
        const roles = ofType(graph, "aws:iam/role:Role").filter((r) => r.name.startsWith("mcp-dev-secrets-"));
        expect(roles.map((r) => r.name).sort()).toEqual(["mcp-dev-secrets-docs-search", "mcp-dev-secrets-tickets"]);
        const secretOf: Record<string, string> = {
            "docs-search": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp/github-AbCdEf",
            tickets: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp/jira-QwErTy",
        };
        for (const role of roles) {
            const server = role.name.replace("mcp-dev-secrets-", "");
            const [st] = policyOf(role, "assumeRolePolicy").Statement;
            expect(st.Principal).toEqual({ Federated: oidc.outputs.arn });
            expect(st.Action).toBe("sts:AssumeRoleWithWebIdentity");
            expect(st.Condition).toEqual({ StringEquals: { [`${issuerHost}:sub`]: `system:serviceaccount:${serverNamespace(server)}:${secretStoreServiceAccount(server)}`, [`${issuerHost}:aud`]: "sts.amazonaws.com" } });
            const inline = ofType(graph, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
            expect(inline).toHaveLength(1);
            expect(policyOf(inline[0], "policy").Statement.flatMap((s: Props) => [s.Resource].flat())).toEqual([secretOf[server]]);
        }
        // The layer's secret stores are annotated with these roles, each with its own.
        const accounts = ofType(graph, "kubernetes:core/v1:ServiceAccount").filter((s) => String((s.inputs.metadata as Props).name).endsWith("-secret-store"));
        expect(accounts.map((s) => [(s.inputs.metadata as Props).namespace, (s.inputs.metadata as Props).annotations["eks.amazonaws.com/role-arn"]]).sort())
            .toEqual(roles.map((r) => [serverNamespace(r.name.replace("mcp-dev-secrets-", "")), r.outputs.arn]).sort());
    });

    it("puts the mesh ingress behind an internal ALB with the zone's web ACL, source ranges from mcpsec:edge.allowedCidrs, HTTPS with TLS 1.2+", () => {
        const [lb] = ofType(graph, "aws:lb/loadBalancer:LoadBalancer");
        expect(lb.inputs).toMatchObject({ internal: true, loadBalancerType: "application" });
        const [acl] = ofType(graph, "aws:wafv2/webAcl:WebAcl");
        const [assoc] = ofType(graph, "aws:wafv2/webAclAssociation:WebAclAssociation");
        expect(assoc.inputs).toMatchObject({ resourceArn: lb.outputs.arn, webAclArn: acl.outputs.arn });
        const listeners = ofType(graph, "aws:lb/listener:Listener");
        expect(listeners.map((l) => [l.inputs.protocol, l.inputs.sslPolicy])).toEqual([["HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06"]]);
        const albSg = byName(graph, "aws:ec2/securityGroup:SecurityGroup", "mcp-dev-entry-alb");
        const sources = (albSg.inputs.ingress as Props[]).flatMap((r) => r.cidrBlocks ?? []);
        // 10.0.0.0/8 minus the zone's private (pod and node) subnets of 10.41.0.0/16.
        expect(sources.length).toBeGreaterThan(0);
        expect(sources.every((c: string) => c.startsWith("10.") && !c.startsWith("10.41.0.") && c !== "0.0.0.0/0")).toBe(true);
        // Instance targets on the gateway's HTTPS NodePort, every node of the group attached; nodes admit it from the ALB only.
        const groups = ofType(graph, "aws:lb/targetGroup:TargetGroup");
        expect(groups.map((g) => [g.inputs.targetType, g.inputs.port, g.inputs.protocol])).toEqual(groups.map(() => ["instance", INGRESS_GATEWAY_HTTPS_NODE_PORT, "HTTPS"]));
        const asg = ofType(graph, "aws:eks/nodeGroup:NodeGroup")[0].outputs.resources as Props[];
        const attachments = ofType(graph, "aws:autoscaling/attachment:Attachment");
        expect(attachments.map((a) => a.inputs.lbTargetGroupArn).sort()).toEqual(groups.map((g) => g.outputs.arn).sort());
        expect(attachments.every((a) => a.inputs.autoscalingGroupName === asg[0].autoscalingGroups[0].name)).toBe(true);
        const nodeSg = byName(graph, "aws:ec2/securityGroup:SecurityGroup", "mcp-dev-nodes-nodes");
        const rules = ofType(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === nodeSg.id);
        expect(rules.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]).sort()).toEqual([
            [albSg.id, INGRESS_GATEWAY_STATUS_NODE_PORT, INGRESS_GATEWAY_STATUS_NODE_PORT, undefined],
            [albSg.id, INGRESS_GATEWAY_HTTPS_NODE_PORT, INGRESS_GATEWAY_HTTPS_NODE_PORT, undefined],
        ]);
        expect(nodeSg.inputs.ingress).toBeUndefined();
        // Health checks: the gateway's readiness on its status NodePort (plain HTTP, no request data), 200 only.
        for (const g of groups) {
            expect(g.inputs.healthCheck).toMatchObject({ protocol: "HTTP", port: String(INGRESS_GATEWAY_STATUS_NODE_PORT), path: INGRESS_GATEWAY_HEALTH_PATH, matcher: "200" });
        }
    });

    it("turns on GuardDuty EKS audit-log monitoring besides runtime monitoring, and lets the nodes pull the runtime agent from either registry", () => {
        const features = ofType(graph, "aws:guardduty/detectorFeature:DetectorFeature").map((f) => f.inputs.name);
        expect(features).toEqual(expect.arrayContaining(["RUNTIME_MONITORING", "EKS_AUDIT_LOGS"]));
        expect(GUARDDUTY_EKS_AGENT_ACCOUNTS["eu-west-1"]).toBe("673884943994");
        const ecr = ofType(graph, "aws:ec2/vpcEndpoint:VpcEndpoint").filter((e) => /\.ecr\.(api|dkr)$/.test(String(e.inputs.serviceName)));
        expect(ecr).toHaveLength(2);
        for (const e of ecr) {
            const pulls = policyOf(e, "policy").Statement.filter((st: Props) => st.Sid === "ImagesOfOtherAccounts").flatMap((st: Props) => [st.Resource].flat());
            expect(pulls).toEqual(expect.arrayContaining(["arn:aws:ecr:eu-west-1:673884943994:repository/aws-guardduty-agent", "arn:aws:ecr:eu-west-1:602401143452:repository/*"]));
        }
    });

    it("lets Docker Hub's documented pull hosts (registry, auth, both CDNs, the R2 bucket of anonymous pulls) through the egress firewall", () => {
        const lists = ofType(graph, "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList").flatMap((l) => (l.inputs.domains ?? []) as string[]);
        for (const host of DOCKER_HUB_PULL_HOSTS) {
            expect(lists.some((d) => d === host || d === `${host}.`)).toBe(true);
        }
        expect(DOCKER_HUB_PULL_HOSTS).toContain("docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com");
    });

    it("ships each guard's audit lines to a KMS-encrypted group of its own, whose denials and changed tools are alarmed to the topic", () => {
        const paths = guardAlarmPaths(graph.resources.map((r) => ({ type: r.type, props: r.inputs, name: r.name })));
        expect(paths.map((p) => p.server).sort()).toEqual(["docs-search", "tickets"]);
        for (const p of paths) {
            expect(p.kind).toBe("kubernetes");
            expect(p.problems).toEqual([]);
            expect(p.logGroups).toEqual([`/mcpsec/mcp-dev/${p.server}/mcp-guard`]);
            expect(p.alarms.tool_call_denied.length).toBeGreaterThan(0);
            expect(p.alarms.tool_changed.length).toBeGreaterThan(0);
            // A shipper that stops delivering (or a dead guard) alarms: no guard_heartbeat for two periods, missing data breaching.
            expect(p.heartbeat).toEqual([`mcp-dev-alerts-heartbeat-${p.server}`]);
            const group = ofType(graph, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === p.logGroups[0])!;
            expect(group.inputs).toMatchObject({ kmsKeyId: zoneKeyArn, retentionInDays: 365 });
        }
        const topic = ofType(graph, "aws:sns/topic:Topic").find((t) => t.name.endsWith("-alerts"))!;
        for (const alarm of ofType(graph, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => ["DeniedToolCalls", "ChangedTools"].includes(String(a.inputs.metricName)))) {
            expect(alarm.inputs.alarmActions).toEqual([topic.outputs.arn]);
        }
    });

    it("runs the log shipper outside the MCP namespaces with the least it needs: /var/log read-only, no API token, no capability, an IRSA role that may only write the guards' groups", () => {
        const [ds] = ofType(graph, "kubernetes:apps/v1:DaemonSet");
        expect((ds.inputs.metadata as Props).namespace).toBe(LOG_SHIPPER_NAMESPACE);
        const pod = (ds.inputs.spec as Props).template.spec as Props;
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.hostNetwork).toBeUndefined();
        const [c] = pod.containers as Props[];
        expect(c.image).toBe(JSON.parse(loadStackConfig(project, "microservices-dev").config["mcpsec:eks"]).logShipperImage);
        expect(c.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
        const hostPaths = (pod.volumes as Props[]).filter((v) => v.hostPath).map((v) => [v.hostPath.path, (c.volumeMounts as Props[]).find((m) => m.name === v.name)!.readOnly === true]);
        expect(hostPaths).toEqual([["/var/log", true], ["/var/fluent-bit/state", false]]);
        const ns = ofType(graph, "kubernetes:core/v1:Namespace").find((n) => (n.inputs.metadata as Props).name === LOG_SHIPPER_NAMESPACE)!;
        expect((ns.inputs.metadata as Props).labels["istio-injection"]).toBeUndefined();
        const netpol = ofType(graph, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((n) => (n.inputs.metadata as Props).namespace === LOG_SHIPPER_NAMESPACE)!;
        expect((netpol.inputs.spec as Props).policyTypes).toEqual(["Ingress", "Egress"]);
        expect((netpol.inputs.spec as Props).ingress).toBeUndefined();
        expect((netpol.inputs.spec as Props).egress[1]).toEqual({ to: [{ ipBlock: { cidr: "10.41.0.0/16" } }], ports: [{ protocol: "TCP", port: 443 }] });

        const role = byName(graph, "aws:iam/role:Role", "mcp-dev-container-logs-shipper");
        const trust = policyOf(role, "assumeRolePolicy").Statement[0];
        expect(Object.entries(trust.Condition.StringEquals)).toEqual([
            [expect.stringMatching(/:sub$/), `system:serviceaccount:${LOG_SHIPPER_NAMESPACE}:fluent-bit`], [expect.stringMatching(/:aud$/), "sts.amazonaws.com"],
        ]);
        const policy = policyOf(byName(graph, "aws:iam/rolePolicy:RolePolicy", "mcp-dev-container-logs-shipper"), "policy");
        expect(policy.Statement).toHaveLength(1);
        expect(policy.Statement[0].Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
        expect(policy.Statement[0].Resource).toEqual(["docs-search", "tickets"].map((s) => `arn:aws:logs:eu-west-1:123456789012:log-group:/mcpsec/mcp-dev/${s}/mcp-guard:log-stream:*`));
    });

    it("deploys the in-cluster layer through a Kubernetes provider built from the cluster's outputs", () => {
        const [provider] = ofType(graph, "pulumi:providers:kubernetes");
        const [cluster] = ofType(graph, "aws:eks/cluster:Cluster");
        const kubeconfig = JSON.parse(String(provider.inputs.kubeconfig)) as Props;
        expect(kubeconfig.clusters[0].cluster.server).toBe(cluster.outputs.endpoint);
        expect(kubeconfig.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", cluster.outputs.name, "--region", "eu-west-1", "--output", "json"]);
        // The provider acts as the admin role: it waits for that role's access policy, not only for the nodes.
        const [adminAccess] = ofType(graph, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
        expect(provider.dependencies).toContain(adminAccess.urn);
        const k8sResources = graph.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        expect(k8sResources.length).toBeGreaterThan(0);
        expect(k8sResources.every((r) => String(r.provider).startsWith(provider.urn))).toBe(true);
    });
});

describe("EKS guard log shipping configuration (fluentBitConfig)", () => {
    const conf = (servers: string[]) => parseFluentBitClassic(fluentBitConfig(servers.map((s) => ({ server: s, namespace: serverNamespace(s), container: "mcp-guard", logGroupName: `/mcpsec/z/${s}/mcp-guard` })), "eu-west-1"));

    // Review ekslogs finding 3: the guard's glob also matched a server container named mcp-guard-<x> in its namespace.
    it("ships a server container named like the guard to no group, and the guard's own file to the guard's group", () => {
        const sections = conf(["mcp-guard-tools"]);
        const ns = serverNamespace("mcp-guard-tools");
        expect(fluentBitGroupsFor(sections, ns, "mcp-guard-tools").groups).toEqual([]);
        expect(fluentBitGroupsFor(sections, ns, "mcp-guard")).toEqual({ groups: ["/mcpsec/z/mcp-guard-tools/mcp-guard"], problems: [] });
    });

    it("reads new files from their start, buffers chunks on the node's disk with a bounded queue, and sizes memory to the outputs", () => {
        const sections = conf(["a", "b"]);
        const service = sections.find((s) => s.kind === "SERVICE")!;
        expect(service.props).toMatchObject({ "storage.path": `${LOG_SHIPPER_STATE_DIR}/buffer`, "storage.max_chunks_up": "16" });
        for (const input of sections.filter((s) => s.kind === "INPUT")) {
            expect(input.props).toMatchObject({ read_from_head: "On", "storage.type": "filesystem" });
            expect(input.props.db.startsWith(`${LOG_SHIPPER_STATE_DIR}/`)).toBe(true);
        }
        for (const output of sections.filter((s) => s.kind === "OUTPUT")) {
            expect(output.props["storage.total_limit_size"]).toBe("64M");
        }
        // 16 chunks of about 2 MB up, 8 MB backlog, and about 2.2 MB of PutLogEvents buffers per output, with room.
        expect(shipperMemoryMiB(50)).toBeGreaterThanOrEqual(16 * 2 + 8 + 50 * 2.2 + 32);
    });
});

describe("EKS config checks", () => {
    const raw = () => {
        const { config } = loadStackConfig(project, "microservices-dev");
        const ns = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("mcpsec:")).map(([k, v]) => [k.slice(7), JSON.parse(v.startsWith("{") || v.startsWith("[") ? v : JSON.stringify(v))]));
        return ns as Props;
    };
    const validated = (change: Props = {}) => validateBlueprintConfig({ ...raw(), ...change }, "eu-west-1");

    it("needs mcpsec:eks and mcpsec:edge with cluster: eks, and the same domain as the mesh", () => {
        const c = validated();
        expect(() => checkEksZoneConfig({ ...c, eks: undefined }, c.kubernetes!)).toThrow(/mcpsec:eks: is required but missing with mcpsec:kubernetes.cluster: eks/);
        expect(() => checkEksZoneConfig({ ...c, edge: undefined }, c.kubernetes!)).toThrow(/mcpsec:edge: is required but missing/);
        expect(() => checkEksZoneConfig({ ...c, edge: { ...c.edge!, domainName: "other.example.com" } }, c.kubernetes!)).toThrow(/mcpsec:edge.domainName: "other.example.com" is not allowed; it must equal mcpsec:kubernetes.domainName/);
        expect(() => checkEksZoneConfig({ ...c, region: "ap-east-1" }, c.kubernetes!)).toThrow(/aws:region: "ap-east-1" is not allowed with mcpsec:kubernetes.cluster: eks/);
        expect(() => checkEksZoneConfig({ ...c, eks: { ...c.eks!, logShipperImage: undefined } }, c.kubernetes!)).toThrow(/mcpsec:eks.logShipperImage: is required but missing with mcpsec:kubernetes.cluster: eks; expected the AWS for Fluent Bit image/);
        expect(() => checkEksZoneConfig({ ...c, eks: { ...c.eks!, logShipperImage: `123456789012.dkr.ecr.us-east-1.amazonaws.com/fb@sha256:${"8".repeat(64)}` } }, c.kubernetes!)).toThrow(/mcpsec:eks.logShipperImage: ".*" is not allowed; the zone's nodes pull these images only from ECR in eu-west-1/);
        // An operator network the zone's NACLs and Transit Gateway routes do not admit would never reach the API.
        expect(() => checkEksZoneConfig({ ...c, eks: { ...c.eks!, apiAllowedCidrs: ["10.10.0.0/16", "192.168.0.0/16"] } }, c.kubernetes!)).toThrow(/mcpsec:eks.apiAllowedCidrs\[1\]: "192.168.0.0\/16" is not allowed; it must lie inside one block of mcpsec:edge.allowedCidrs \(10.0.0.0\/8\)/);
        expect(checkEksZoneConfig({ ...c, eks: { ...c.eks!, apiAllowedCidrs: ["10.10.0.0/16"] } }, c.kubernetes!).eks.apiAllowedCidrs).toEqual(["10.10.0.0/16"]);
    });

    it("refuses a shared-role key and EKS settings without cluster: eks", () => {
        const c = validated();
        expect(() => checkMicroservicesConfig({ ...c, kubernetes: { ...c.kubernetes!, secretsRoleArns: { "docs-search": "arn:aws:iam::123456789012:role/x" } } })).toThrow(/mcpsec:kubernetes.secretsRoleArns: is not allowed with mcpsec:kubernetes.cluster: eks/);
        expect(() => checkMicroservicesConfig({ ...c, kubernetes: { ...c.kubernetes!, cluster: "existing" } })).toThrow(/mcpsec:eks: is not allowed without mcpsec:kubernetes.cluster: eks/);
    });

    it("allows only standard-support versions and never a public endpoint open to the internet", () => {
        expect(() => validated({ eks: { ...raw().eks, version: "1.29" } })).toThrow(/mcpsec:eks.version.*1\.34, 1\.35, 1\.36/);
        expect(() => validated({ eks: { ...raw().eks, allowPublicEndpointFrom: ["0.0.0.0/0"] } })).toThrow(/mcpsec:eks.allowPublicEndpointFrom\[0\]: "0.0.0.0\/0" is not allowed/);
        expect(validated({ eks: { ...raw().eks, allowPublicEndpointFrom: ["203.0.113.0/24"] } }).eks!.allowPublicEndpointFrom).toEqual(["203.0.113.0/24"]);
        expect(() => validated({ eks: { ...raw().eks, nodes: { minSize: 3, desiredSize: 2 } } })).toThrow(/mcpsec:eks.nodes: minSize 3, desiredSize 2/);
        expect(() => checkEksClusterArgs("c", { version: "1.30" })).toThrow(/EksCluster "c".version: "1.30" is not allowed/);
        expect(() => checkEksClusterArgs("c", { publicEndpointCidrs: ["0.0.0.0/0"] })).toThrow(/never the whole internet/);
        // 0.0.0.0/0 split in two halves, or any block wider than a /16, is as open.
        expect(() => validated({ eks: { ...raw().eks, allowPublicEndpointFrom: ["0.0.0.0/1", "128.0.0.0/1"] } })).toThrow(/mcpsec:eks.allowPublicEndpointFrom\[0\]: "0.0.0.0\/1" is not allowed \(0.0.0.0\/1 holds 2147483648 addresses/);
        expect(() => checkEksClusterArgs("c", { publicEndpointCidrs: ["203.0.113.0/24", "128.0.0.0/1"] })).toThrow(/EksCluster "c".publicEndpointCidrs: "128.0.0.0\/1" is not allowed.*\/16 or narrower/);
        expect(checkEksClusterArgs("c", { publicEndpointCidrs: ["198.51.0.0/16"] })).toBe("1.35");
    });

    it("writes a kubeconfig that gets a fresh token from aws eks get-token", () => {
        const k = JSON.parse(eksKubeconfig("c1", "https://x.gr7.eu-west-1.eks.amazonaws.com", "Q0E=", "eu-west-1")) as Props;
        expect(k.users[0].user.exec).toMatchObject({ command: "aws", args: ["eks", "get-token", "--cluster-name", "c1", "--region", "eu-west-1", "--output", "json"] });
        expect(JSON.stringify(k)).not.toMatch(/token"\s*:/);
    });
});
