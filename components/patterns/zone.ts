import * as pulumi from "@pulumi/pulumi";
import { BlueprintConfig } from "../config";
import { ThreatDetection } from "../detection";
import { LogBucket } from "../edge";
import { awsServiceDomains, dnsFirewallDomain, DnsFirewall, EgressFirewall, egressSubnetCidrs, privateSubnetCidrs, SegmentedVpc, vpcInternalDomains } from "../network";
import { ArchiveBucket, AuditTrail, McpAlerts, SiemExport, trailArnOf } from "../observability";
import { KeyUser, ZoneKey } from "../secrets";

/**
 * The zone both AWS patterns stand in (security-zone, microservices on EKS): the zone key, the segmented network with
 * its endpoints, the DNS Firewall and, only when something declares egress, the egress firewall; then the
 * operations around the workloads (archive, trail, alarms, SIEM export, detection). Functions, not a component: the
 * resources keep the caller's component as parent and the caller's names, so stacks built before keep their URNs.
 */

export interface ZoneNetworkArgs {
    config: BlueprintConfig;
    tags: Record<string, string>;
    /** AWS services besides this account's IAM that may use the zone key. */
    keyUsers: KeyUser[];
    interfaceEndpoints: string[];
    /** Domains the workloads reach on the internet (HTTPS, through the egress firewall); none: no route out at all. */
    egressDomains: string[];
    /** Networks admitted on 443 by the zone's NACL (the entry point's clients). */
    allowedCidrs: string[];
    /** ECR repositories of the images, admitted by the ECR endpoint policies (another account's, repository by repository). */
    imageRepositories: { account: string; repository: string }[];
    /** Names the DNS Firewall lets resolve besides the endpoints', the VPC's own and the egress domains. Default none. */
    extraDnsDomains?: string[];
    /** Lets AssumeRoleWithWebIdentity to this account's roles through the sts endpoint (IRSA). Default false. */
    allowWebIdentity?: boolean;
}

export interface ZoneNetwork {
    zoneKey: ZoneKey;
    network: SegmentedVpc;
    dns: DnsFirewall;
    egress?: EgressFirewall;
}

/** Zone key, network, DNS Firewall and egress firewall, children of `parent`, named `${name}-...`. */
export function buildZoneNetwork(parent: pulumi.ComponentResource, name: string, a: ZoneNetworkArgs): ZoneNetwork {
    const { config, tags } = a;
    const opts = { parent };
    const zoneKey = new ZoneKey(`${name}-key`, { users: a.keyUsers, tags }, opts);
    // The egress subnets are planned (and a zone too small for them refused) before anything is created.
    const egressCidrs = a.egressDomains.length > 0
        ? egressSubnetCidrs(config.network.cidrBlock, privateSubnetCidrs(config.network.cidrBlock, config.network.availabilityZoneCount), 1)
        : undefined;
    const network = new SegmentedVpc(`${name}-net`, {
        logKmsKeyArn: zoneKey.arn,
        cidrBlock: config.network.cidrBlock,
        availabilityZoneCount: config.network.availabilityZoneCount,
        interfaceEndpoints: a.interfaceEndpoints,
        flowLogRetentionDays: config.network.flowLogRetentionDays,
        allowPublicIpOnLaunch: config.network.allowPublicIpOnLaunch,
        allowedCidrs: a.allowedCidrs,
        imageRepositories: a.imageRepositories,
        transitGateway: config.network.transitGateway,
        ...(a.allowWebIdentity ? { allowWebIdentity: true } : {}),
        tags,
    }, opts);
    // DNS: the AWS service names of the zone's endpoints, the VPC's own names and the declared egress domains
    // resolve; every other query is blocked and every query logged (DnsFirewall).
    const dns = new DnsFirewall(`${name}-dns`, {
        vpcId: network.vpcId,
        allowedDomains: [
            ...awsServiceDomains(config.region, a.interfaceEndpoints, ["s3"]),
            ...vpcInternalDomains(config.region, network.cidrBlock),
            ...(a.extraDnsDomains ?? []),
            ...a.egressDomains.map(dnsFirewallDomain),
        ],
        logKmsKeyArn: zoneKey.arn,
        logRetentionDays: config.network.flowLogRetentionDays,
        tags,
    }, opts);
    // Egress: only when something declares domains, and only through Network Firewall. SegmentedVpc has one private
    // route table (one target per destination), so its default route goes to the firewall endpoint and NAT of the
    // first zone: both directions cross the same endpoint; internet egress (not MCP traffic or AWS endpoints)
    // then depends on that zone, and endpoints in other zones would cost hours with no route using them.
    const egress = egressCidrs ? new EgressFirewall(`${name}-egress`, {
        vpcId: network.vpcId,
        vpcCidrBlock: network.cidrBlock,
        availabilityZones: [network.privateSubnetZones[0]],
        firewallSubnetCidrs: egressCidrs.firewall,
        publicSubnetCidrs: egressCidrs.public,
        routeTables: [{ routeTableId: network.privateRouteTableId, zone: 0, subnetCidrs: network.privateSubnetCidrs }],
        allowedDomains: a.egressDomains,
        logKmsKeyArn: zoneKey.arn,
        logRetentionDays: config.network.flowLogRetentionDays,
        tags,
    }, opts) : undefined;
    return { zoneKey, network, dns, egress };
}

/** The log groups of the zone network that the SIEM receives (flow logs, DNS queries, egress alerts and flows). */
export function zoneNetworkLogGroups(z: ZoneNetwork): pulumi.Output<string>[] {
    return [z.network.flowLogGroupName, z.dns.queryLogGroupName, ...(z.egress ? [z.egress.alertLogGroupName, z.egress.flowLogGroupName] : [])];
}

export interface ZoneOperationsArgs {
    config: BlueprintConfig;
    tags: Record<string, string>;
    zoneKeyArn: pulumi.Input<string>;
    /** The terminal access-log bucket of the zone (the archive's server access logs go there). */
    accessLogs: LogBucket;
    /** Log groups exported to the SIEM (the trail's is added here). */
    siemLogGroupNames: pulumi.Input<string>[];
    /** Log groups of the workloads watched by the alarms. */
    serverLogGroupNames: pulumi.Input<string>[];
    /** The guards' own log groups by server: an alarm fires when their guard_heartbeat lines stop (McpAlerts). */
    guardLogGroups?: { server: string; logGroupName: pulumi.Input<string> }[];
    loadBalancerArnSuffix: pulumi.Input<string>;
    webAclName: pulumi.Input<string>;
    /** Target groups containment may take a compromised task out of. */
    targetGroupArns: pulumi.Input<string>[];
    /** ECS cluster whose tasks containment may stop. */
    clusterArn: pulumi.Input<string>;
    /** GuardDuty EKS audit-log monitoring (the zone runs an EKS cluster). Default false. */
    eksAuditLogs?: boolean;
}

/** Archive, audit trail, alarms, SIEM export and threat detection of a zone, children of `parent`. Returns the alert topic. */
export function buildZoneOperations(parent: pulumi.ComponentResource, name: string, a: ZoneOperationsArgs): { alertTopicArn: pulumi.Output<string> } {
    const { config, tags } = a;
    const ops = config.operations;
    const opts = { parent };
    const trailName = `${name}-audit-trail`;
    const archive = new ArchiveBucket(`${name}-archive`, {
        kmsKeyArn: a.zoneKeyArn,
        retentionDays: ops.retentionDays,
        trailArn: ops.accountServices.cloudTrail === "create" ? trailArnOf(trailName, opts) : undefined,
        allowConfig: ops.accountServices.config === "create",
        lockMode: ops.archiveLockMode === "compliance" ? "COMPLIANCE" : "GOVERNANCE",
        accessLogs: { bucket: a.accessLogs.bucket, prefix: "s3/archive/" },
        tags,
    }, opts);
    const trail = ops.accountServices.cloudTrail === "create"
        ? new AuditTrail(`${name}-audit`, { kmsKeyArn: a.zoneKeyArn, archiveBucket: archive.bucket, trailName, retentionDays: ops.retentionDays, tags }, { parent, dependsOn: [archive] })
        : undefined;
    const alerts = new McpAlerts(`${name}-alerts`, {
        kmsKeyArn: a.zoneKeyArn,
        emails: ops.alertEmails,
        trailLogGroupName: trail?.logGroupName,
        serverLogGroupNames: a.serverLogGroupNames,
        guardLogGroups: a.guardLogGroups,
        loadBalancerArnSuffix: a.loadBalancerArnSuffix,
        webAclName: a.webAclName,
        tags,
    }, opts);
    if (ops.siem) {
        new SiemExport(`${name}-siem`, {
            destination: ops.siem,
            logGroupNames: [...a.siemLogGroupNames, ...(trail ? [trail.logGroupName] : [])],
            kmsKeyArn: a.zoneKeyArn,
            backupBucketArn: archive.arn,
            tags,
        }, opts);
    }
    new ThreatDetection(`${name}-detect`, {
        services: { guardDuty: ops.accountServices.guardDuty, securityHub: ops.accountServices.securityHub, inspector: ops.accountServices.inspector, config: ops.accountServices.config },
        alertTopicArn: alerts.topicArn,
        archiveBucket: archive.bucket,
        kmsKeyArn: a.zoneKeyArn,
        targetGroupArns: a.targetGroupArns,
        clusterArn: a.clusterArn,
        ...(a.eksAuditLogs ? { eksAuditLogs: true } : {}),
        tags,
    }, { parent, dependsOn: [archive] });
    return { alertTopicArn: alerts.topicArn };
}
