/**
 * Source of the containment Lambda (Node.js 20 runtime, AWS SDK v3 from the runtime). On a high-severity GuardDuty
 * finding about an ECS task, it moves the task's network interfaces into the quarantine security group (no rules:
 * the task can neither be reached nor reach anything), tags the task for investigation and leaves it running, so
 * memory and disk can still be examined. Findings about anything else are only logged.
 */
export const CONTAINMENT_HANDLER = `
import { ECSClient, DescribeTasksCommand, TagResourceCommand } from "@aws-sdk/client-ecs";
import { EC2Client, ModifyNetworkInterfaceAttributeCommand } from "@aws-sdk/client-ec2";

const ecs = new ECSClient({});
const ec2 = new EC2Client({});

export const handler = async (event) => {
    const finding = event.detail ?? {};
    const task = finding.resource?.ecsClusterDetails?.taskDetails;
    const cluster = finding.resource?.ecsClusterDetails?.arn;
    if (!task?.arn || !cluster) {
        console.log(JSON.stringify({ event: "containment_skipped", reason: "not an ECS task finding", findingId: finding.id, type: finding.type }));
        return { contained: false };
    }
    const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task.arn] }));
    const enis = (described.tasks ?? []).flatMap((t) => t.attachments ?? [])
        .flatMap((a) => a.details ?? []).filter((d) => d.name === "networkInterfaceId").map((d) => d.value);
    for (const eni of enis) {
        await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [process.env.QUARANTINE_SECURITY_GROUP_ID] }));
    }
    await ecs.send(new TagResourceCommand({ resourceArn: task.arn, tags: [{ key: "mcpsec:quarantined", value: finding.id ?? "unknown" }] }));
    console.log(JSON.stringify({ event: "task_quarantined", task: task.arn, networkInterfaces: enis, findingId: finding.id, type: finding.type, severity: finding.severity }));
    return { contained: true, networkInterfaces: enis };
};
`;
