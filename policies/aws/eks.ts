import type { PolicyResource } from "@pulumi/policy";
import { eksGuardLogsAlarmed } from "./guardAlarms";
import { parse as parseToml } from "smol-toml";
import { publicEndpointBlockProblem, PUBLIC_ENDPOINT_MIN_PREFIX } from "../../components/eks/endpoint";
import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";
import { statementsOf } from "./iam";

const CLUSTER = "aws:eks/cluster:Cluster";
const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const SUBNET = "aws:ec2/subnet:Subnet";
const ADDON = "aws:eks/addon:Addon";

/** Every control-plane log type of Amazon EKS. */
const LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** A block that covers every address (0.0.0.0/0, ::/0). */
const everywhere = (cidr: unknown) => typeof cidr === "string" && /\/0$/.test(cidr.trim());

export const eksEndpointPrivate = resourceRule({
    name: "aws-eks-cluster-endpoint-private",
    description: "The Kubernetes API of an EKS cluster must be reachable through its private endpoint (endpointPrivateAccess true; AWS's default is false, which sends nodes and operators over the internet), and a public endpoint, if any, only from listed networks, never 0.0.0.0/0 nor a split of it: every block /16 or narrower. AWS turns the public endpoint on when endpointPublicAccess is unset and admits 0.0.0.0/0 when publicAccessCidrs is unset: whoever holds a leaked credential or finds an API server flaw can then reach the control plane of every MCP server from anywhere.",
    severity: "critical",
    controls: ["S1", "P3"],
    nist: ["SC-7", "AC-17", "AC-3"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Use the EksCluster component (components/eks), private endpoint only; if operators must reach it from outside the zone, list their networks in mcpsec:eks.apiAllowedCidrs (private endpoint) or, as an opt-out, mcpsec:eks.allowPublicEndpointFrom (blocks of /16 or narrower, never 0.0.0.0/0).",
}, [CLUSTER], (props, _args, report) => {
    const vpc = (props.vpcConfig ?? {}) as Props;
    if (vpc.endpointPrivateAccess !== true) {
        report(`vpcConfig.endpointPrivateAccess is ${vpc.endpointPrivateAccess === undefined ? "unset (false)" : String(vpc.endpointPrivateAccess)}: nodes and operators reach the API over its public endpoint.`);
    }
    if (vpc.endpointPublicAccess !== false) {
        const cidrs = [vpc.publicAccessCidrs ?? []].flat();
        if (cidrs.length === 0 || cidrs.some(everywhere)) {
            report(`the public endpoint is on (endpointPublicAccess ${vpc.endpointPublicAccess === undefined ? "unset, AWS's default true" : "true"}) and admits ${cidrs.length === 0 ? "0.0.0.0/0 (publicAccessCidrs unset)" : cidrs.filter(everywhere).join(", ")}.`);
            return;
        }
        // 0.0.0.0/0 split into 0.0.0.0/1 + 128.0.0.0/1 (or any wide block) admits as much of the internet.
        const wide = cidrs.map((c) => (typeof c === "string" ? publicEndpointBlockProblem(c) : undefined)).filter((p): p is string => p !== undefined);
        if (wide.length > 0) {
            report(`the public endpoint admits ${wide.join("; ")}: each block must be /${PUBLIC_ENDPOINT_MIN_PREFIX} or narrower.`);
        }
    }
});

export const eksEndpointNotPublic = resourceRule({
    name: "aws-eks-cluster-endpoint-not-public",
    description: "Reports an EKS cluster whose API also has a public endpoint, even one limited to listed networks: an opt-out of the private-only default that reviewers should see on every check.",
    severity: "medium",
    enforcementLevel: "advisory",
    controls: ["S1", "P3"],
    nist: ["SC-7", "AC-17"],
    maestro: ["L4"],
    threats: ["T3"],
    remediation: "Remove mcpsec:eks.allowPublicEndpointFrom and reach the private endpoint from the zone or the networks of mcpsec:eks.apiAllowedCidrs (VPN, Transit Gateway).",
}, [CLUSTER], (props, _args, report) => {
    const vpc = (props.vpcConfig ?? {}) as Props;
    if (vpc.endpointPublicAccess !== false) {
        report(`the API has a public endpoint, reachable from ${[vpc.publicAccessCidrs ?? ["0.0.0.0/0"]].flat().join(", ")}.`);
    }
});

export const eksSecretsEncrypted = resourceRule({
    name: "aws-eks-cluster-secrets-encrypted",
    description: "Kubernetes secrets of an EKS cluster must be envelope-encrypted with a customer managed KMS key (encryptionConfig with resources [secrets] and provider.keyArn naming a key, not an alias of an AWS managed key): the key's policy and CloudTrail then decide and record who can decrypt the MCP servers' credentials, and disabling the key makes a stolen etcd copy useless.",
    severity: "high",
    controls: ["S5", "P3"],
    nist: ["SC-28", "SC-28(1)", "SC-12"],
    maestro: ["L6"],
    threats: ["T2", "T4"],
    remediation: "Use the EksCluster component (components/eks), which encrypts secrets with the zone key (kmsKeyArn); on your own cluster set encryptionConfig { provider: { keyArn: <customer key ARN> }, resources: [\"secrets\"] }.",
}, [CLUSTER], (props, _args, report) => {
    const configs = [props.encryptionConfig ?? []].flat() as Props[];
    const forSecrets = configs.filter((c) => [c.resources ?? []].flat().includes("secrets"));
    if (forSecrets.length === 0) {
        report("encryptionConfig does not cover secrets: they are stored without envelope encryption under a key of yours.");
        return;
    }
    for (const c of forSecrets) {
        const key = c.provider?.keyArn;
        if (typeof key !== "string" || key === "") {
            report("encryptionConfig names no provider.keyArn.");
        } else if (/:alias\/aws\//.test(key)) {
            report(`provider.keyArn ${key} is an AWS managed key alias, whose policy you cannot control: use a customer managed key.`);
        }
    }
});

export const eksAllLogTypes = resourceRule({
    name: "aws-eks-cluster-all-log-types",
    description: "An EKS cluster must send every control-plane log type (api, audit, authenticator, controllerManager, scheduler) to CloudWatch Logs: the audit log shows who read or changed which MCP server's objects and secrets, the authenticator log which IAM identity became which Kubernetes user; without them an intrusion through the API leaves no trace.",
    severity: "high",
    controls: ["O1", "P3"],
    nist: ["AU-2", "AU-12", "AU-3"],
    maestro: ["L5"],
    threats: ["T2", "T6"],
    remediation: "Use the EksCluster component (components/eks); on your own cluster set enabledClusterLogTypes to all five types.",
}, [CLUSTER], (props, _args, report) => {
    const enabled = new Set([props.enabledClusterLogTypes ?? []].flat());
    const missing = LOG_TYPES.filter((t) => !enabled.has(t));
    if (missing.length > 0) {
        report(`enabledClusterLogTypes lacks ${missing.join(", ")}.`);
    }
});

export const eksAccessEntries = resourceRule({
    name: "aws-eks-cluster-access-entries",
    description: "An EKS cluster must authenticate through access entries only (accessConfig.authenticationMode API): with CONFIG_MAP (AWS's default when unset) or API_AND_CONFIG_MAP, anyone who can edit the aws-auth ConfigMap in kube-system grants cluster admin to any IAM identity, outside IAM and EKS APIs and their CloudTrail records. The creator's implicit admin (bootstrapClusterCreatorAdminPermissions, default true) is refused too: admins come from explicit access entries.",
    severity: "high",
    controls: ["C1", "P3"],
    nist: ["AC-2", "AC-3", "AC-6"],
    maestro: ["L4", "L6"],
    threats: ["T2", "T5"],
    remediation: "Use the EksCluster component (components/eks), authentication mode API with an access entry for mcpsec:eks.adminRoleArn; on your own cluster set accessConfig { authenticationMode: \"API\", bootstrapClusterCreatorAdminPermissions: false }.",
}, [CLUSTER], (props, _args, report) => {
    const access = (props.accessConfig ?? {}) as Props;
    const mode = access.authenticationMode ?? "CONFIG_MAP";
    if (mode !== "API") {
        report(`accessConfig.authenticationMode is ${access.authenticationMode === undefined ? "unset (CONFIG_MAP)" : mode}: the aws-auth ConfigMap grants cluster access.`);
    }
    if (access.bootstrapClusterCreatorAdminPermissions !== false) {
        report("bootstrapClusterCreatorAdminPermissions is not false: whoever created the cluster holds cluster admin without an access entry of its own.");
    }
});

/** The launch template a node group names (by recorded dependency or by id/name), when it is in the stack. */
function templateOf(group: PolicyResource, templates: PolicyResource[]): PolicyResource | undefined {
    const lt = (group.props.launchTemplate ?? undefined) as Props | undefined;
    if (lt === undefined) {
        return undefined;
    }
    const deps = new Set((group.propertyDependencies.launchTemplate ?? []).map((d) => d.urn));
    return templates.find((t) => deps.has(t.urn) || (lt.id !== undefined && lt.id === t.props.id) || (lt.name !== undefined && lt.name === t.props.name));
}

/**
 * True when a launch template's user data (base64, as EC2 takes it, or plain) is Bottlerocket TOML that turns on the
 * admin host container (SSH into the host): `settings.host-containers.admin.enabled = true`. Not TOML: false.
 */
export function bottlerocketAdminEnabled(userData: unknown): boolean {
    if (typeof userData !== "string" || userData.trim() === "") {
        return false;
    }
    const decoded = /^[A-Za-z0-9+/=\s]+$/.test(userData) ? Buffer.from(userData, "base64").toString("utf8") : userData;
    for (const text of [decoded, userData]) {
        try {
            const doc = parseToml(text) as Props;
            return doc.settings?.["host-containers"]?.admin?.enabled === true;
        } catch {
            // Try the next form.
        }
    }
    return false;
}

/** Node groups with the launch template each uses (undefined: none, or one outside the stack). */
function nodeGroups(resources: PolicyResource[]): { group: PolicyResource; template?: PolicyResource }[] {
    const templates = ofType(resources, LAUNCH_TEMPLATE);
    return ofType(resources, NODE_GROUP).map((group) => ({ group, template: templateOf(group, templates) }));
}

export const eksNodesImdsv2 = stackRule({
    name: "aws-eks-node-group-imdsv2-hop-limit-1",
    description: "Every EKS managed node group must launch from a launch template that requires IMDSv2 session tokens (metadataOptions.httpTokens required) with a response hop limit of 1 (or the metadata endpoint disabled): a pod in its own network namespace is one hop further and cannot read the node role's credentials. A node group without a launch template gets EKS's own, which accepts IMDSv1 and a hop limit of 2.",
    severity: "high",
    controls: ["H1", "P3"],
    nist: ["AC-6", "SC-4", "SC-39"],
    maestro: ["L4"],
    threats: ["T2", "T5"],
    remediation: "Use the EksNodes component (components/eks), whose launch template sets httpTokens required and httpPutResponseHopLimit 1; on your own node group give it such a launch template.",
}, (resources, _args, report) => {
    for (const { group, template } of nodeGroups(resources)) {
        if (group.props.launchTemplate === undefined) {
            report(`node group ${group.name} has no launch template: EKS's default accepts IMDSv1 with a hop limit of 2.`, group.urn);
            continue;
        }
        if (template === undefined) {
            continue; // A template made outside this stack: not judged here.
        }
        const md = (template.props.metadataOptions ?? {}) as Props;
        if (md.httpEndpoint === "disabled") {
            continue;
        }
        if (md.httpTokens !== "required") {
            report(`launch template ${template.name} of node group ${group.name}: metadataOptions.httpTokens is ${md.httpTokens ?? "unset (optional)"}, so IMDSv1 answers without a token.`, group.urn);
        }
        if (md.httpPutResponseHopLimit !== 1) {
            report(`launch template ${template.name} of node group ${group.name}: metadataOptions.httpPutResponseHopLimit is ${md.httpPutResponseHopLimit ?? "unset"}, not 1, so pods reach the node's credentials.`, group.urn);
        }
    }
}, { onlyWith: NODE_GROUP });

export const eksNodesNoRemoteAccess = stackRule({
    name: "aws-eks-node-group-no-remote-access",
    description: "EKS nodes must offer no SSH: no remoteAccess on the node group (which opens port 22 to the listed sources or the whole internet), no key pair in its launch template, and no Bottlerocket user data that turns on the admin host container (settings.host-containers.admin.enabled). Administration goes through the Kubernetes API and SSM, both audited.",
    severity: "high",
    controls: ["H2", "P3"],
    nist: ["AC-17", "CM-7"],
    maestro: ["L4"],
    threats: ["T3"],
    remediation: "Use the EksNodes component (components/eks); on your own node group remove remoteAccess, the launch template's keyName and any settings.host-containers.admin in its Bottlerocket user data.",
}, (resources, _args, report) => {
    for (const { group, template } of nodeGroups(resources)) {
        const remote = group.props.remoteAccess as Props | undefined;
        if (remote !== undefined && remote !== null && (remote.ec2SshKey !== undefined || remote.sourceSecurityGroupIds !== undefined)) {
            report(`node group ${group.name} sets remoteAccess: SSH to the nodes is open.`, group.urn);
        }
        if (template !== undefined && typeof template.props.keyName === "string" && template.props.keyName !== "") {
            report(`launch template ${template.name} of node group ${group.name} names key pair ${template.props.keyName}.`, group.urn);
        }
        if (template !== undefined && bottlerocketAdminEnabled(template.props.userData)) {
            report(`launch template ${template.name} of node group ${group.name} turns on Bottlerocket's admin host container (settings.host-containers.admin.enabled): SSH into the host.`, group.urn);
        }
    }
}, { onlyWith: NODE_GROUP });

export const eksNodesNoPublicIp = stackRule({
    name: "aws-eks-node-group-no-public-ip",
    description: "EKS nodes must run without public IP addresses: their subnets must not map public addresses on launch and their launch template must not ask for one. A node with a public address is one security group rule away from the internet, with every MCP pod behind it.",
    severity: "high",
    controls: ["S1", "P3"],
    nist: ["SC-7", "SC-7(5)"],
    maestro: ["L4"],
    threats: ["T3"],
    remediation: "Use the EksNodes component in the zone's private subnets (components/eks, SegmentedVpc with mcpsec:network.allowPublicIpOnLaunch unset); remove associatePublicIpAddress from your launch template.",
}, (resources, _args, report) => {
    const subnets = ofType(resources, SUBNET);
    for (const { group, template } of nodeGroups(resources)) {
        const deps = new Set((group.propertyDependencies.subnetIds ?? []).map((d) => d.urn));
        const ids = new Set([group.props.subnetIds ?? []].flat());
        for (const s of subnets.filter((s) => deps.has(s.urn) || ids.has(s.props.id))) {
            if (s.props.mapPublicIpOnLaunch === true) {
                report(`node group ${group.name} launches into subnet ${s.name}, which maps public IP addresses on launch.`, group.urn);
            }
        }
        for (const ni of [template?.props.networkInterfaces ?? []].flat() as Props[]) {
            if (String(ni.associatePublicIpAddress) === "true") {
                report(`launch template ${template!.name} of node group ${group.name} asks for a public IP address.`, group.urn);
            }
        }
    }
}, { onlyWith: NODE_GROUP });

export const eksNodeVolumesEncrypted = stackRule({
    name: "aws-eks-node-group-volumes-encrypted",
    description: "The volumes of EKS nodes (images, pod logs, emptyDir, secrets written to disk) must be encrypted with a customer managed KMS key: every block device of the node group's launch template encrypted with kmsKeyId set. Without a launch template, or without block device mappings, the AMI's defaults apply and encryption depends on an account setting outside the stack.",
    severity: "high",
    controls: ["S5", "P3"],
    nist: ["SC-28", "SC-28(1)"],
    maestro: ["L6"],
    threats: ["T2", "T4"],
    remediation: "Use the EksNodes component (components/eks), which encrypts every volume with the zone key; on your own launch template set ebs.encrypted \"true\" and ebs.kmsKeyId on each block device mapping.",
}, (resources, _args, report) => {
    for (const { group, template } of nodeGroups(resources)) {
        if (group.props.launchTemplate === undefined) {
            report(`node group ${group.name} has no launch template: its volumes' encryption is left to the account default.`, group.urn);
            continue;
        }
        if (template === undefined) {
            continue;
        }
        const mappings = [template.props.blockDeviceMappings ?? []].flat() as Props[];
        if (mappings.length === 0) {
            report(`launch template ${template.name} of node group ${group.name} maps no block device: the AMI's volumes are encrypted only if the account default says so.`, group.urn);
        }
        for (const m of mappings) {
            if (String(m.ebs?.encrypted) !== "true" || typeof m.ebs?.kmsKeyId !== "string" || m.ebs.kmsKeyId === "") {
                report(`launch template ${template.name}: ${m.deviceName ?? "a block device"} is not encrypted with a customer key (ebs.encrypted "true" and ebs.kmsKeyId).`, group.urn);
            }
        }
    }
}, { onlyWith: NODE_GROUP });

export const eksNetworkPolicyEnforced = stackRule({
    name: "aws-eks-cluster-network-policy-enforced",
    description: "Every EKS cluster of the stack must run the VPC CNI add-on with network policy enforcement on (configurationValues enableNetworkPolicy \"true\"). Without an enforcing network plugin, Kubernetes stores NetworkPolicies and applies none: the default-deny and per-server policies of the MCP namespaces would be paper only.",
    severity: "high",
    controls: ["S1", "H3", "P3"],
    nist: ["SC-7", "AC-4"],
    maestro: ["L4"],
    threats: ["T3", "T7"],
    remediation: "Use the EksNodes component (components/eks), which installs the vpc-cni add-on with enableNetworkPolicy; on your own cluster add an aws.eks.Addon vpc-cni with configurationValues {\"enableNetworkPolicy\": \"true\"} (or run another enforcing CNI and waive this rule).",
}, (resources, _args, report) => {
    const addons = ofType(resources, ADDON).filter((a) => a.props.addonName === "vpc-cni");
    for (const cluster of ofType(resources, CLUSTER)) {
        const mine = addons.filter((a) => (a.propertyDependencies.clusterName ?? []).some((d) => d.urn === cluster.urn) || a.props.clusterName === cluster.props.name);
        const enforcing = mine.some((a) => {
            try {
                const values = JSON.parse(String(a.props.configurationValues ?? "{}")) as Props;
                return String(values.enableNetworkPolicy) === "true";
            } catch {
                return false;
            }
        });
        if (!enforcing) {
            report(`cluster ${cluster.name} has ${mine.length === 0 ? "no vpc-cni add-on in the stack" : "a vpc-cni add-on without enableNetworkPolicy \"true\""}: NetworkPolicies are not enforced.`, cluster.urn);
        }
    }
}, { onlyWith: CLUSTER });

/** The values a statement's condition gives `key` (case-insensitive key match) under exact-match operators. */
function exactValues(condition: Props | undefined, key: (k: string) => boolean): { values: string[]; wildcard: boolean }[] {
    const found: { values: string[]; wildcard: boolean }[] = [];
    for (const [op, block] of Object.entries(condition ?? {})) {
        // Only plain operators narrow a single-valued key; IfExists passes when the key is missing, ForAnyValue/ForAllValues are for multi-valued keys.
        if (!["StringEquals", "StringLike", "ArnEquals", "ArnLike"].includes(op)) {
            continue;
        }
        for (const [k, v] of Object.entries((block ?? {}) as Props)) {
            if (key(k.toLowerCase())) {
                const values = [v].flat().map(String);
                found.push({ values, wildcard: op.endsWith("Like") && values.some((x) => /[*?]/.test(x)) });
            }
        }
    }
    return found;
}

const actionsOf = (st: Props): string[] => [st.Action ?? []].flat().map((a) => String(a).toLowerCase());
const grants = (st: Props, action: string) => actionsOf(st).some((a) => a === "*" || a === "sts:*" || a === action.toLowerCase());

/** Pod Identity session tags a pods.eks.amazonaws.com trust must pin (Amazon EKS user guide, "Create IAM role with trust policy required by EKS Pod Identity"). */
const POD_IDENTITY_TAGS = ["kubernetes-namespace", "kubernetes-service-account"];

export const eksWorkloadTrustScoped = resourceRule({
    name: "aws-eks-workload-role-trust-scoped",
    description: "An IAM role that pods of an EKS cluster assume must name the one service account it is for. IRSA (a Federated principal of an EKS OIDC provider, oidc-provider/oidc.eks.*): StringEquals on <issuer>:sub with exactly one system:serviceaccount:<namespace>:<name> (no wildcard) and on <issuer>:aud with sts.amazonaws.com; without them every service account of the cluster, in any namespace, can assume the role. EKS Pod Identity (Service pods.eks.amazonaws.com, which every Pod Identity association of the account uses): StringEquals on the session tags aws:RequestTag/eks-cluster-arn (or eks-cluster-name), kubernetes-namespace and kubernetes-service-account; without them any association in any cluster of the account gets the role. Judged on the effective trust: only plain exact-match operators count, and a StringLike with a wildcard does not.",
    severity: "high",
    controls: ["C1", "S5", "P3"],
    nist: ["AC-6", "AC-3", "IA-9"],
    maestro: ["L4", "L6"],
    threats: ["T2", "T5"],
    remediation: "Use ServerSecretRoles (components/eks; one role per server, sub = that server's secret-store service account, aud sts.amazonaws.com) and EksNodes (the VPC CNI role pinned to this cluster's kube-system/aws-node); on your own role add those conditions to its trust policy.",
}, ["aws:iam/role:Role"], (props, _args, report) => {
    for (const st of statementsOf(props.assumeRolePolicy) as Props[]) {
        if (st.Effect !== "Allow") {
            continue;
        }
        const principal = (st.Principal ?? {}) as Props;
        const federated = [principal.Federated ?? []].flat().map(String);
        if (federated.some((f) => /oidc-provider\/oidc\.eks\./.test(f)) && grants(st, "sts:AssumeRoleWithWebIdentity")) {
            const sub = exactValues(st.Condition, (k) => /^oidc\.eks\..*:sub$/.test(k));
            const aud = exactValues(st.Condition, (k) => /^oidc\.eks\..*:aud$/.test(k));
            const oneAccount = sub.some((c) => !c.wildcard && c.values.length === 1 && /^system:serviceaccount:[^:*?]+:[^:*?]+$/.test(c.values[0]));
            if (!oneAccount) {
                report(sub.length === 0
                    ? "its trust admits web identities of an EKS OIDC provider without a StringEquals on <issuer>:sub: every service account of the cluster can assume it."
                    : `its trust's <issuer>:sub condition (${sub.flatMap((c) => c.values).join(", ")}) does not name exactly one service account without wildcards.`);
            }
            if (!aud.some((c) => !c.wildcard && c.values.length === 1 && c.values[0] === "sts.amazonaws.com")) {
                report("its trust does not pin <issuer>:aud to sts.amazonaws.com: a token minted for another audience is accepted.");
            }
        }
        const services = [principal.Service ?? []].flat().map(String);
        if (services.includes("pods.eks.amazonaws.com") && grants(st, "sts:AssumeRole")) {
            const pinned = (tag: string) => exactValues(st.Condition, (k) => k === `aws:requesttag/${tag}`).some((c) => !c.wildcard && c.values.length === 1);
            const missing = [...(pinned("eks-cluster-arn") || pinned("eks-cluster-name") ? [] : ["eks-cluster-arn"]), ...POD_IDENTITY_TAGS.filter((t) => !pinned(t))];
            if (missing.length > 0) {
                report(`its trust admits EKS Pod Identity (pods.eks.amazonaws.com) without one exact aws:RequestTag/${missing.join(", aws:RequestTag/")}: any Pod Identity association of the account can get it.`);
            }
        }
    }
});

/** The kubelet's port: a node security group that admits it from outside the cluster exposes the node's API. */
const KUBELET_PORT = 10250;

export const eksNodeSecurityGroupScoped = stackRule({
    name: "aws-eks-node-security-group-scoped",
    description: "The security groups an EKS node group's launch template gives its nodes (besides the cluster security group EKS manages) must admit only named load balancer ports from other security groups: no source given as an address block (every host of that block, pods and other workloads included, would reach the NodePorts), no rule covering all ports or the kubelet's port 10250 (the node's API: logs, exec, port-forward). Cluster traffic between nodes and the control plane goes through the cluster security group.",
    severity: "high",
    controls: ["S1", "P3"],
    nist: ["SC-7", "AC-4", "CM-7"],
    maestro: ["L4"],
    threats: ["T3", "T7"],
    remediation: "Use the EksNodes component (components/eks) and open its nodeSecurityGroupId only for the ingress NodePorts from the load balancer's security group (as components/patterns/eksZone.ts does for 30443 and 30021); remove address-block and all-port rules from your node security group.",
}, (resources, _args, report) => {
    const groups = ofType(resources, "aws:ec2/securityGroup:SecurityGroup");
    const rules = ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    const legacy = ofType(resources, "aws:ec2/securityGroupRule:SecurityGroupRule").filter((r) => r.props.type === "ingress");
    const nodeSgs = new Set<PolicyResource>();
    for (const { template } of nodeGroups(resources)) {
        for (const g of groups.filter((g) => template !== undefined && ((template.propertyDependencies.vpcSecurityGroupIds ?? []).some((d) => d.urn === g.urn) || [template.props.vpcSecurityGroupIds ?? []].flat().includes(g.props.id)))) {
            nodeSgs.add(g);
        }
    }
    for (const g of nodeSgs) {
        const entries: { label: string; from: number; to: number; protocol: string; cidr: boolean }[] = [];
        for (const r of [g.props.ingress ?? []].flat() as Props[]) {
            entries.push({ label: `inline ingress of ${g.name}`, from: Number(r.fromPort ?? 0), to: Number(r.toPort ?? 0), protocol: String(r.protocol ?? ""), cidr: [r.cidrBlocks ?? [], r.ipv6CidrBlocks ?? [], r.prefixListIds ?? []].flat().length > 0 });
        }
        for (const r of rules.filter((r) => refersTo(r, "securityGroupId", g))) {
            entries.push({ label: `rule ${r.name}`, from: Number(r.props.fromPort ?? 0), to: Number(r.props.toPort ?? 0), protocol: String(r.props.ipProtocol ?? ""), cidr: [r.props.cidrIpv4, r.props.cidrIpv6, r.props.prefixListId].some((v) => typeof v === "string" && v !== "") });
        }
        for (const r of legacy.filter((r) => refersTo(r, "securityGroupId", g))) {
            entries.push({ label: `rule ${r.name}`, from: Number(r.props.fromPort ?? 0), to: Number(r.props.toPort ?? 0), protocol: String(r.props.protocol ?? ""), cidr: [r.props.cidrBlocks ?? [], r.props.ipv6CidrBlocks ?? [], r.props.prefixListIds ?? []].flat().length > 0 });
        }
        for (const e of entries) {
            const allPorts = e.protocol === "-1" || e.protocol === "all" || (e.from <= 0 && e.to >= 65535);
            if (e.cidr) {
                report(`node security group ${g.name}: ${e.label} admits an address block (ports ${allPorts ? "all" : `${e.from}-${e.to}`}); admit only the load balancer's security group.`, g.urn);
            }
            if (allPorts || (e.from <= KUBELET_PORT && e.to >= KUBELET_PORT)) {
                report(`node security group ${g.name}: ${e.label} admits ${allPorts ? "every port" : `ports ${e.from}-${e.to}`}, the kubelet's ${KUBELET_PORT} included.`, g.urn);
            }
        }
    }
}, { onlyWith: NODE_GROUP });

export const eksRules = [eksGuardLogsAlarmed, eksEndpointPrivate, eksEndpointNotPublic, eksSecretsEncrypted, eksAllLogTypes, eksAccessEntries, eksNodesImdsv2, eksNodesNoRemoteAccess, eksNodesNoPublicIp, eksNodeVolumesEncrypted, eksNetworkPolicyEnforced, eksWorkloadTrustScoped, eksNodeSecurityGroupScoped];
