import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";

export interface McpAlertsArgs {
    kmsKeyArn: pulumi.Input<string>;
    /** Email addresses subscribed to the alert topic (each confirms by mail). */
    emails?: string[];
    /** The trail's log group: root account use is detected there. */
    trailLogGroupName?: pulumi.Input<string>;
    /**
     * The MCP audit log groups: each guard's own group (McpService `auditLogGroupName`), or the server's for a server
     * deployed unguarded. Denied calls and changed tools are counted there (`{"event":"tool_call_denied"}` lines).
     * Never a guarded server's own group: the server could write forged lines into it.
     */
    serverLogGroupNames?: pulumi.Input<string>[];
    /**
     * The guards' own log groups, by server: each gets a metric filter counting the guard's periodic
     * `guard_heartbeat` lines (GuardHeartbeats-<server>) and an alarm when none arrives for two 5-minute periods,
     * missing data breaching: a dead guard, a broken log shipper or a lost write permission is noticed rather than
     * taken for a quiet time.
     */
    guardLogGroups?: { server: string; logGroupName: pulumi.Input<string> }[];
    /** The entry point's ALB (its `arn_suffix` dimension): spikes of 4XX (401/403) answers. */
    loadBalancerArnSuffix?: pulumi.Input<string>;
    /** The web ACL name and region-scoped metric dimension: spikes of blocked requests. */
    webAclName?: pulumi.Input<string>;
    /** Thresholds per 5 minutes. */
    thresholds?: { clientErrors?: number; wafBlocks?: number; deniedToolCalls?: number };
    tags?: Record<string, string>;
}

/**
 * The alert topic and the MCP incident alarms (controls O1, O2, H4): an SNS topic encrypted with the zone key that
 * only this account's alarms and EventBridge rules may publish to, and alarms on spikes of 4XX answers at the entry
 * point, WAF blocks, denied tool calls in server logs, any changed tool the guards dropped, and any use of the root
 * account.
 */
export class McpAlerts extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: McpAlertsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:observability:McpAlerts", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("observability", `${name}-${suffix}`, args.tags);
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const t = { clientErrors: 100, wafBlocks: 200, deniedToolCalls: 10, ...(args.thresholds ?? {}) };

        const topic = new aws.sns.Topic(`${name}-alerts`, { kmsMasterKeyId: args.kmsKeyArn, tags: tags("alerts") }, parent);
        new aws.sns.TopicPolicy(`${name}-alerts`, {
            arn: topic.arn,
            policy: policyJson(
                {
                    Sid: "AlarmsAndEventsOfThisAccountPublish", Effect: "Allow", Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
                    Action: "sns:Publish", Resource: topic.arn, Condition: { StringEquals: { "aws:SourceAccount": account } },
                },
                {
                    Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "sns:Publish", Resource: topic.arn,
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ),
        }, parent);
        (args.emails ?? []).forEach((email, i) => new aws.sns.TopicSubscription(`${name}-email-${i}`, { topic: topic.arn, protocol: "email", endpoint: email }, parent));
        this.topicArn = topic.arn;

        const alarm = (suffix: string, description: string, props: Partial<aws.cloudwatch.MetricAlarmArgs>) =>
            new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
                alarmDescription: description,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                evaluationPeriods: 1,
                period: 300,
                statistic: "Sum",
                treatMissingData: "notBreaching",
                alarmActions: [topic.arn],
                okActions: [topic.arn],
                tags: tags(suffix),
                ...props,
            } as aws.cloudwatch.MetricAlarmArgs, parent);

        if (args.trailLogGroupName !== undefined) {
            new aws.cloudwatch.LogMetricFilter(`${name}-root-use`, {
                logGroupName: args.trailLogGroupName,
                pattern: "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }",
                metricTransformation: { name: "RootAccountUse", namespace: "MCPSec", value: "1", defaultValue: "0" },
            }, parent);
            alarm("root-use", "The root account was used", { metricName: "RootAccountUse", namespace: "MCPSec", threshold: 1 });
        }
        (args.serverLogGroupNames ?? []).forEach((group, i) => {
            new aws.cloudwatch.LogMetricFilter(`${name}-denied-${i}`, {
                logGroupName: group,
                pattern: "{ $.event = \"tool_call_denied\" }",
                metricTransformation: { name: "DeniedToolCalls", namespace: "MCPSec", value: "1", defaultValue: "0" },
            }, parent);
        });
        // A tool the server announces differently from its approved manifest (the guard drops it and logs
        // tool_changed): a rug pull or an unreviewed update, worth a look at the first occurrence.
        (args.serverLogGroupNames ?? []).forEach((group, i) => {
            new aws.cloudwatch.LogMetricFilter(`${name}-tool-changed-${i}`, {
                logGroupName: group,
                pattern: "{ $.event = \"tool_changed\" }",
                metricTransformation: { name: "ChangedTools", namespace: "MCPSec", value: "1", defaultValue: "0" },
            }, parent);
        });
        if ((args.serverLogGroupNames ?? []).length > 0) {
            alarm("denied-tool-calls", "Spike of denied MCP tool calls", { metricName: "DeniedToolCalls", namespace: "MCPSec", threshold: t.deniedToolCalls });
            alarm("tool-changed", "An MCP server announced a tool that differs from its approved manifest (the guard dropped it)", { metricName: "ChangedTools", namespace: "MCPSec", threshold: 1 });
        }
        // Silence is not safety: a guard writes guard_heartbeat every GUARD_HEARTBEAT_SECONDS (at most 240), so a
        // 5-minute period without one in its group means the guard or the path of its lines is broken.
        for (const g of args.guardLogGroups ?? []) {
            const metricName = `GuardHeartbeats-${g.server}`;
            new aws.cloudwatch.LogMetricFilter(`${name}-heartbeat-${g.server}`, {
                logGroupName: g.logGroupName,
                pattern: "{ $.event = \"guard_heartbeat\" }",
                metricTransformation: { name: metricName, namespace: "MCPSec", value: "1" },
            }, parent);
            alarm(`heartbeat-${g.server}`, `No guard_heartbeat from the MCP guard of ${g.server} for 10 minutes: the guard is down or its audit lines no longer reach its log group (denials and changed tools would go unseen)`, {
                metricName, namespace: "MCPSec", comparisonOperator: "LessThanThreshold", threshold: 1, evaluationPeriods: 2, treatMissingData: "breaching",
            });
        }
        if (args.loadBalancerArnSuffix !== undefined) {
            alarm("client-errors", "Spike of 4XX (401/403) answers at the MCP entry point", {
                metricName: "HTTPCode_Target_4XX_Count", namespace: "AWS/ApplicationELB", threshold: t.clientErrors, dimensions: { LoadBalancer: args.loadBalancerArnSuffix },
            });
        }
        if (args.webAclName !== undefined) {
            alarm("waf-blocks", "Spike of requests blocked by the MCP web ACL", {
                metricName: "BlockedRequests", namespace: "AWS/WAFV2", threshold: t.wafBlocks, dimensions: { WebACL: args.webAclName, Rule: "ALL", Region: aws.getRegionOutput({}, parent).region },
            });
        }
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
