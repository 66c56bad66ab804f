/**
 * Source of the containment Lambda (Node.js 20 runtime, AWS SDK v3 from the runtime). On a high-severity GuardDuty
 * finding about an ECS task it:
 *
 * 1. describes the task and logs that description as evidence (task definition, image digests, network interfaces,
 *    private IPs, the finding) before it changes anything;
 * 2. takes the task's IPs out of the load balancer target groups its service registers it in (only the zone's target
 *    groups: the role may deregister from no others), so no new MCP request reaches it;
 * 3. tags the task `mcpsec:quarantined` with the finding id and stops it; the service starts a clean task from the
 *    approved image digest.
 *
 * Why stop rather than isolate: a Fargate task's network interface is requester-managed (ECS owns it), and EC2 does
 * not let anyone else change its security groups (ModifyNetworkInterfaceAttribute is refused), so a running task
 * cannot be moved into a quarantine group; changing the service's security groups would only affect new tasks.
 * Fargate offers no memory or disk snapshot: what remains is the logged description, the task's own logs, its VPC
 * flow logs, CloudTrail and the finding itself. Findings about anything else are only logged.
 */
export const CONTAINMENT_HANDLER = `
import { ECSClient, DescribeTasksCommand, DescribeServicesCommand, TagResourceCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client, DescribeTargetHealthCommand, DeregisterTargetsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";

const ecs = new ECSClient({});
const elb = new ElasticLoadBalancingV2Client({});
const log = (record) => console.log(JSON.stringify(record));

export const handler = async (event) => {
    const finding = event.detail ?? {};
    const about = { findingId: finding.id, type: finding.type, severity: finding.severity };
    const taskArn = finding.resource?.ecsClusterDetails?.taskDetails?.arn;
    const cluster = finding.resource?.ecsClusterDetails?.arn;
    if (!taskArn || !cluster) {
        log({ event: "containment_skipped", reason: "not an ECS task finding", ...about });
        return { contained: false };
    }
    const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    const task = (described.tasks ?? [])[0];
    if (!task) {
        log({ event: "containment_skipped", reason: "task not found (already stopped?)", task: taskArn, failures: described.failures, ...about });
        return { contained: false };
    }
    const details = (task.attachments ?? []).filter((a) => a.type === "ElasticNetworkInterface").flatMap((a) => a.details ?? []);
    const ips = details.filter((d) => d.name === "privateIPv4Address").map((d) => d.value);
    log({
        event: "containment_evidence", task: taskArn, cluster, group: task.group, taskDefinition: task.taskDefinitionArn,
        startedAt: task.startedAt, lastStatus: task.lastStatus, availabilityZone: task.availabilityZone,
        containers: (task.containers ?? []).map((c) => ({ name: c.name, image: c.image, imageDigest: c.imageDigest, runtimeId: c.runtimeId, lastStatus: c.lastStatus })),
        networkInterfaces: details.filter((d) => d.name === "networkInterfaceId").map((d) => d.value), privateIps: ips, ...about,
    });

    const deregistered = [];
    if (task.group?.startsWith("service:") && ips.length > 0) {
        const services = await ecs.send(new DescribeServicesCommand({ cluster, services: [task.group.slice("service:".length)] }));
        const targetGroups = [...new Set((services.services ?? []).flatMap((s) => s.loadBalancers ?? []).map((l) => l.targetGroupArn).filter(Boolean))];
        for (const targetGroupArn of targetGroups) {
            const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
            const targets = (health.TargetHealthDescriptions ?? []).map((d) => d.Target).filter((t) => t && ips.includes(t.Id)).map((t) => ({ Id: t.Id, Port: t.Port }));
            if (targets.length > 0) {
                await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: targets }));
                deregistered.push({ targetGroupArn, targets });
            }
        }
    }
    await ecs.send(new TagResourceCommand({ resourceArn: taskArn, tags: [{ key: "mcpsec:quarantined", value: String(finding.id ?? "unknown").slice(0, 256) }] }));
    await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: ("mcpsec containment: GuardDuty finding " + (finding.id ?? "unknown")).slice(0, 255) }));
    log({ event: "task_contained", task: taskArn, deregistered, stopped: true, ...about });
    return { contained: true, deregistered };
};
`;
