import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, PolicyStatement } from "../common/iam";
import { componentTags } from "../common/tags";
import { CONTAINMENT_HANDLER } from "./containment";

/** Account-wide services: create them here, or use those the organization already runs. */
export type Ownership = "create" | "existing";

export interface AccountServices {
    guardDuty: Ownership;
    securityHub: Ownership;
    inspector: Ownership;
    config: Ownership;
}

/** AWS Config managed rules that detect drift from this blueprint's controls. */
export const DRIFT_RULES: Record<string, string> = {
    "vpc-flow-logs-enabled": "VPC_FLOW_LOGS_ENABLED",
    "vpc-default-security-group-closed": "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    "ecs-containers-readonly-access": "ECS_CONTAINERS_READONLY_ACCESS",
    "ecs-containers-nonprivileged": "ECS_CONTAINERS_NONPRIVILEGED",
    "ecs-task-definition-linux-user-non-root": "ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT",
    "ecs-no-environment-secrets": "ECS_NO_ENVIRONMENT_SECRETS",
    "ecr-private-image-scanning-enabled": "ECR_PRIVATE_IMAGE_SCANNING_ENABLED",
    "ecr-private-tag-immutability-enabled": "ECR_PRIVATE_TAG_IMMUTABILITY_ENABLED",
    "alb-waf-enabled": "ALB_WAF_ENABLED",
    "alb-http-drop-invalid-header-enabled": "ALB_HTTP_DROP_INVALID_HEADER_ENABLED",
    "multi-region-cloudtrail-enabled": "MULTI_REGION_CLOUD_TRAIL_ENABLED",
    "cloud-trail-log-file-validation-enabled": "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "cmk-backing-key-rotation-enabled": "CMK_BACKING_KEY_ROTATION_ENABLED",
    "cw-loggroup-retention-period-check": "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
    "s3-bucket-ssl-requests-only": "S3_BUCKET_SSL_REQUESTS_ONLY",
    "guardduty-enabled-centralized": "GUARDDUTY_ENABLED_CENTRALIZED",
};

export interface ThreatDetectionArgs {
    services: AccountServices;
    /** Alert topic that receives high-severity findings. */
    alertTopicArn: pulumi.Input<string>;
    /** Archive bucket (name) AWS Config delivers to; its policy must admit Config (ArchiveBucket's allowConfig). */
    archiveBucket: pulumi.Input<string>;
    /** Zone key: the containment logs, its dead-letter queue and its environment are encrypted with it. */
    kmsKeyArn: pulumi.Input<string>;
    /**
     * Target groups of the zone's entry point: containment may take a task out of these (and no others) before it
     * stops the task. Default none: containment then stops the task without deregistering it first.
     */
    targetGroupArns?: pulumi.Input<string>[];
    /** ECS cluster of the MCP servers: containment may stop and tag only its tasks. Default: any cluster of the account. */
    clusterArn?: pulumi.Input<string>;
    /**
     * GuardDuty EKS audit-log monitoring (EKS_AUDIT_LOGS: findings from the clusters' Kubernetes audit logs), for a zone
     * that runs an EKS cluster. Runtime monitoring of EKS nodes is on with GuardDuty either way (EKS_ADDON_MANAGEMENT).
     * Default false.
     */
    eksAuditLogs?: boolean;
    /** Lowest GuardDuty severity routed to alerts and containment (1-8.9). Default 7 (high). */
    minimumSeverity?: number;
    tags?: Record<string, string>;
}

/**
 * Threat detection and automated response (controls S4, O2, O3, O5, O6, H4): GuardDuty with runtime monitoring of
 * ECS Fargate and EKS; Security Hub with the NIST SP 800-53 Rev. 5 and AWS Foundational Security Best Practices
 * standards; Inspector scanning ECR images; AWS Config recording with managed rules that detect drift from the
 * blueprint; EventBridge rules that send high-severity findings to the alert topic and to a containment Lambda
 * that logs the compromised task's description as evidence, takes it out of the entry point's target groups and
 * stops it (a dead-letter queue keeps events it could not handle; an alarm reports its errors). Each account-wide
 * service can be left to an existing organization-level setup ("existing").
 */
export class ThreatDetection extends pulumi.ComponentResource {
    public readonly containmentFunctionArn: pulumi.Output<string>;
    /** Dead-letter queue of containment: events it failed to handle after its retries. */
    public readonly containmentDeadLetterQueueArn: pulumi.Output<string>;

    constructor(name: string, args: ThreatDetectionArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:detection:ThreatDetection", name, { services: args.services }, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("detection", `${name}-${suffix}`, args.tags);
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;
        const s = args.services;

        if (s.guardDuty === "create") {
            const detector = new aws.guardduty.Detector(`${name}-guardduty`, { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES", tags: tags("guardduty") }, parent);
            new aws.guardduty.DetectorFeature(`${name}-runtime`, {
                detectorId: detector.id,
                name: "RUNTIME_MONITORING",
                status: "ENABLED",
                additionalConfigurations: [
                    { name: "ECS_FARGATE_AGENT_MANAGEMENT", status: "ENABLED" },
                    { name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" },
                ],
            }, parent);
            if (args.eksAuditLogs) {
                new aws.guardduty.DetectorFeature(`${name}-eks-audit`, { detectorId: detector.id, name: "EKS_AUDIT_LOGS", status: "ENABLED" }, parent);
            }
        }
        if (s.securityHub === "create") {
            const hub = new aws.securityhub.Account(`${name}-securityhub`, { enableDefaultStandards: false, controlFindingGenerator: "SECURITY_CONTROL", autoEnableControls: true }, parent);
            for (const [suffix, standard] of [["nist-800-53", "nist-800-53/v/5.0.0"], ["fsbp", "aws-foundational-security-best-practices/v/1.0.0"]]) {
                new aws.securityhub.StandardsSubscription(`${name}-${suffix}`, {
                    standardsArn: pulumi.interpolate`arn:${partition}:securityhub:${region}::standards/${standard}`,
                }, { parent: this, dependsOn: [hub] });
            }
        }
        if (s.inspector === "create") {
            new aws.inspector2.Enabler(`${name}-inspector`, { accountIds: [account], resourceTypes: ["ECR"] }, parent);
        }
        if (s.config === "create") {
            const role = new aws.iam.Role(`${name}-config`, {
                description: "AWS Config records the configuration of MCP resources",
                assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "config.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": account } } }),
                tags: tags("config-role"),
            }, parent);
            new aws.iam.RolePolicyAttachment(`${name}-config`, { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AWS_ConfigRole` }, parent);
            // Delivery to the archive: its prefix only, encrypted with the zone key (the managed policy grants neither).
            new aws.iam.RolePolicy(`${name}-config-delivery`, {
                role: role.id,
                policy: policyJson(
                    { Sid: "CheckArchiveAcl", Effect: "Allow", Action: "s3:GetBucketAcl", Resource: pulumi.interpolate`arn:${partition}:s3:::${args.archiveBucket}` },
                    { Sid: "WriteArchive", Effect: "Allow", Action: "s3:PutObject", Resource: pulumi.interpolate`arn:${partition}:s3:::${args.archiveBucket}/config/AWSLogs/${account}/*` },
                    { Sid: "EncryptWithZoneKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
                ),
            }, parent);
            const recorder = new aws.cfg.Recorder(`${name}-recorder`, {
                roleArn: role.arn,
                recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
            }, parent);
            const channel = new aws.cfg.DeliveryChannel(`${name}-delivery`, { s3BucketName: args.archiveBucket, s3KeyPrefix: "config", s3KmsKeyArn: args.kmsKeyArn }, { parent: this, dependsOn: [recorder] });
            const status = new aws.cfg.RecorderStatus(`${name}-recorder`, { name: recorder.name, isEnabled: true }, { parent: this, dependsOn: [channel] });
            for (const [ruleName, identifier] of Object.entries(DRIFT_RULES)) {
                new aws.cfg.Rule(`${name}-${ruleName}`, {
                    name: `mcpsec-${ruleName}`,
                    source: { owner: "AWS", sourceIdentifier: identifier },
                    tags: tags(ruleName),
                }, { parent: this, dependsOn: [status] });
            }
        }

        const fnName = `${name}-containment`;
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-containment-logs`, { name: `/aws/lambda/${fnName}`, retentionInDays: 365, kmsKeyId: args.kmsKeyArn, tags: tags("containment-logs") }, parent);
        // Events containment could not handle (after EventBridge's and Lambda's retries) wait here for a responder.
        const dlq = new aws.sqs.Queue(`${name}-containment-dlq`, {
            messageRetentionSeconds: 1209600,
            kmsMasterKeyId: args.kmsKeyArn,
            kmsDataKeyReusePeriodSeconds: 300,
            tags: tags("containment-dlq"),
        }, parent);
        this.containmentDeadLetterQueueArn = dlq.arn;
        const role = new aws.iam.Role(`${name}-containment`, {
            description: "Containment: takes compromised MCP tasks out of service and stops them",
            assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": account } } }),
            tags: tags("containment-role"),
        }, parent);
        const clusterName = args.clusterArn === undefined ? undefined : pulumi.output(args.clusterArn).apply((arn) => arn.split("/").pop()!);
        const tasks = clusterName === undefined
            ? pulumi.interpolate`arn:${partition}:ecs:${region}:${account}:task/*`
            : pulumi.interpolate`arn:${partition}:ecs:${region}:${account}:task/${clusterName}/*`;
        const services = clusterName === undefined
            ? pulumi.interpolate`arn:${partition}:ecs:${region}:${account}:service/*`
            : pulumi.interpolate`arn:${partition}:ecs:${region}:${account}:service/${clusterName}/*`;
        const statements: PolicyStatement[] = [
            { Sid: "ReadTasksAndServices", Effect: "Allow", Action: ["ecs:DescribeTasks", "ecs:DescribeServices"], Resource: [tasks, services] },
            { Sid: "TagAndStopTasks", Effect: "Allow", Action: ["ecs:TagResource", "ecs:StopTask"], Resource: tasks },
            { Sid: "ReadTargetHealth", Effect: "Allow", Action: "elasticloadbalancing:DescribeTargetHealth", Resource: "*" },
        ];
        if ((args.targetGroupArns ?? []).length > 0) {
            statements.push({ Sid: "DeregisterFromZoneTargetGroups", Effect: "Allow", Action: "elasticloadbalancing:DeregisterTargets", Resource: args.targetGroupArns! });
        }
        statements.push(
            { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logGroup.arn}:log-stream:*` },
            // Active tracing: CreateFunction refuses a role without these (InvalidParameterValueException).
            { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
            // The function's dead-letter queue is encrypted with the zone key: sending needs a data key.
            { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: dlq.arn },
            // The zone key encrypts the environment (decrypted with this role at start) and the dead-letter queue.
            { Sid: "UseZoneKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: args.kmsKeyArn },
        );
        const rolePolicy = new aws.iam.RolePolicy(`${name}-containment`, { role: role.id, policy: policyJson(...statements) }, parent);
        const fn = new aws.lambda.Function(`${name}-containment`, {
            name: fnName,
            description: "Takes ECS tasks named in high-severity GuardDuty findings out of service and stops them",
            runtime: "nodejs20.x",
            handler: "index.handler",
            role: role.arn,
            timeout: 60,
            memorySize: 256,
            code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(CONTAINMENT_HANDLER) }),
            kmsKeyArn: args.kmsKeyArn,
            tracingConfig: { mode: "Active" },
            deadLetterConfig: { targetArn: dlq.arn },
            loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
            tags: tags("containment"),
        }, { parent: this, dependsOn: [rolePolicy, logGroup] });
        this.containmentFunctionArn = fn.arn;
        new aws.lambda.FunctionEventInvokeConfig(`${name}-containment`, { functionName: fn.name, maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 }, parent);
        new aws.cloudwatch.MetricAlarm(`${name}-containment-errors`, {
            alarmDescription: "The containment Lambda failed: a compromised task may still be serving (see its logs and dead-letter queue)",
            namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: fn.name },
            statistic: "Sum", period: 60, evaluationPeriods: 1, threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [args.alertTopicArn], okActions: [args.alertTopicArn],
            tags: tags("containment-errors"),
        }, parent);
        new aws.cloudwatch.MetricAlarm(`${name}-containment-dlq`, {
            alarmDescription: "Findings wait in the containment dead-letter queue: handle them by hand",
            namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: dlq.name },
            statistic: "Maximum", period: 300, evaluationPeriods: 1, threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [args.alertTopicArn],
            tags: tags("containment-dlq"),
        }, parent);

        const minimum = args.minimumSeverity ?? 7;
        const guardDutyRule = new aws.cloudwatch.EventRule(`${name}-guardduty-findings`, {
            description: `GuardDuty findings of severity ${minimum} or more`,
            eventPattern: JSON.stringify({ source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { severity: [{ numeric: [">=", minimum] }] } }),
            tags: tags("guardduty-findings"),
        }, parent);
        new aws.cloudwatch.EventTarget(`${name}-guardduty-alert`, { rule: guardDutyRule.name, arn: args.alertTopicArn }, parent);
        new aws.cloudwatch.EventTarget(`${name}-guardduty-contain`, {
            rule: guardDutyRule.name, arn: fn.arn,
            retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 },
            deadLetterConfig: { arn: dlq.arn },
        }, parent);
        // EventBridge delivers events it could not hand to the Lambda into the queue (the zone key admits EventBridge).
        new aws.sqs.QueuePolicy(`${name}-containment-dlq`, {
            queueUrl: dlq.url,
            policy: policyJson({
                Sid: "FailedFindingEvents", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: dlq.arn,
                Condition: { ArnEquals: { "aws:SourceArn": guardDutyRule.arn } },
            }),
        }, parent);
        new aws.lambda.Permission(`${name}-guardduty-contain`, { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: guardDutyRule.arn }, parent);
        const hubRule = new aws.cloudwatch.EventRule(`${name}-securityhub-findings`, {
            description: "New Security Hub findings of HIGH or CRITICAL severity",
            eventPattern: JSON.stringify({
                source: ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"],
                detail: { findings: { Severity: { Label: ["HIGH", "CRITICAL"] }, Workflow: { Status: ["NEW"] } } },
            }),
            tags: tags("securityhub-findings"),
        }, parent);
        new aws.cloudwatch.EventTarget(`${name}-securityhub-alert`, { rule: hubRule.name, arn: args.alertTopicArn }, parent);
        // The services are outputs too: stack policies see components by their outputs.
        this.registerOutputs({ services: args.services, containmentFunctionArn: this.containmentFunctionArn, containmentDeadLetterQueueArn: this.containmentDeadLetterQueueArn });
    }
}
