import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it, vi } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { SECRET_SIG, SPECIAL_SIG_KEY } from "../../cli/graph";
import { CONTAINMENT_HANDLER, DRIFT_RULES, ThreatDetection } from "../../components/detection";
import { ACCESS_LOG_EXEMPTION_TAG } from "../../components/common/bucket";
import { archiveLockModeFor, validateBlueprintConfig } from "../../components/config";
import { LogBucket } from "../../components/edge";
import { ArchiveBucket, AuditTrail, CLOUDWATCH_LOGS_PROCESSING, McpAlerts, SiemExport, SiemDestination } from "../../components/observability";
import { ManagedSecret, ZoneKey } from "../../components/secrets";
import { guardAlarmPaths } from "../../policies/aws/guardAlarms";
import { ofType, one, synthComponent } from "../helpers";
import { synthesizedStack } from "../runCache";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const statements = (json: unknown): Json[] => JSON.parse(json as string).Statement;

describe("ZoneKey", () => {
    it("rotates, waits 30 days before deletion, and lets each service use it only for this account", async () => {
        const g = await synthComponent(() => new ZoneKey("zone", { users: ["logs", "cloudtrail", "alarms"] }));
        const key = one(g, "aws:kms/key:Key");
        expect(key.inputs).toMatchObject({ enableKeyRotation: true, rotationPeriodInDays: 365, deletionWindowInDays: 30 });
        const bySid = Object.fromEntries(statements(key.inputs.policy).map((s) => [s.Sid, s]));
        expect(bySid.AccountAdministersThroughIam.Principal).toEqual({ AWS: "arn:aws:iam::123456789012:root" });
        expect(bySid.CloudWatchLogsOfThisAccount.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toBe("arn:aws:logs:eu-west-1:123456789012:log-group:*");
        expect(bySid.CloudTrailOfThisAccount.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" }, StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:123456789012:trail/*" } });
        expect(bySid.AlarmsAndEventsPublishToEncryptedTopics.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" } });
        expect(one(g, "aws:kms/alias:Alias").inputs.name).toBe("alias/mcpsec/zone");
    });

    it("grants no service it was not asked to", async () => {
        const g = await synthComponent(() => new ZoneKey("zone", { users: [] }));
        expect(statements(one(g, "aws:kms/key:Key").inputs.policy).map((s) => s.Sid)).toEqual(["AccountAdministersThroughIam"]);
    });

    it.each([[{ deletionWindowInDays: 3 }, /deletionWindowInDays: 3 is not allowed; expected 7 to 30/], [{ rotationPeriodInDays: 30 }, /rotationPeriodInDays: 30/]])("rejects %j", async (change, error) => {
        await expect(synthComponent(() => new ZoneKey("zone", { users: [], ...change }))).rejects.toThrow(error);
    });
});

describe("ManagedSecret", () => {
    it("encrypts with the key, rotates through the Lambda, and keeps a generated value secret", async () => {
        const g = await synthComponent(() => new ManagedSecret("api", { description: "API token", kmsKeyArn: KEY, generateLength: 40, rotationLambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:rotate" }));
        expect(one(g, "aws:secretsmanager/secret:Secret").inputs).toMatchObject({ kmsKeyId: KEY, recoveryWindowInDays: 30 });
        expect(one(g, "aws:secretsmanager/secretRotation:SecretRotation").inputs).toMatchObject({ rotationRules: { automaticallyAfterDays: 30 } });
        const version = one(g, "aws:secretsmanager/secretVersion:SecretVersion");
        expect(version.inputs.secretString).toEqual({ [SPECIAL_SIG_KEY]: SECRET_SIG, value: "[secret: not available offline]" });
    });

    it("needs a rotation Lambda unless manual rotation is chosen explicitly", async () => {
        await expect(synthComponent(() => new ManagedSecret("api", { description: "x", kmsKeyArn: KEY }))).rejects.toThrow(/rotationLambdaArn: is required but missing; give the rotation Lambda, or set manualRotation: true/);
        const g = await synthComponent(() => new ManagedSecret("api", { description: "x", kmsKeyArn: KEY, manualRotation: true }));
        expect(ofType(g, "aws:secretsmanager/secretRotation:SecretRotation")).toHaveLength(0);
    });
});

describe("ArchiveBucket and AuditTrail", () => {
    it("locks, versions, encrypts and closes the archive, and admits only this trail and this account's Config", async () => {
        const trailArn = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/zone-trail";
        const g = await synthComponent(() => new ArchiveBucket("archive", { kmsKeyArn: KEY, retentionDays: 731, trailArn, allowConfig: true, accessLogs: { bucket: "access-logs-abc", prefix: "s3/archive/" } }));
        expect(one(g, "aws:s3/bucket:Bucket").inputs.objectLockEnabled).toBe(true);
        expect(one(g, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 731 } });
        expect(one(g, "aws:s3/bucketLogging:BucketLogging").inputs).toMatchObject({ bucket: one(g, "aws:s3/bucket:Bucket").id, targetBucket: "access-logs-abc", targetPrefix: "s3/archive/" });
        expect(one(g, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
        expect((one(g, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as Json[])[0]).toMatchObject({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true });
        const bySid = Object.fromEntries(statements(one(g, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy).map((s) => [s.Sid, s]));
        expect(bySid.DenyInsecureTransport.Effect).toBe("Deny");
        // GOVERNANCE locks cannot be bypassed by anyone while the policy stands.
        expect(bySid.DenyGovernanceBypass).toEqual({ Sid: "DenyGovernanceBypass", Effect: "Deny", Principal: "*", Action: "s3:BypassGovernanceRetention", Resource: `${one(g, "aws:s3/bucket:Bucket").outputs.arn}/*` });
        expect(bySid.CloudTrailWrites.Condition.StringEquals["aws:SourceArn"]).toBe(trailArn);
        expect(bySid.ConfigWrites.Condition.StringEquals["aws:SourceAccount"]).toBe("123456789012");
    });

    it("locks in COMPLIANCE mode when asked (no bypass to deny), and refuses an unknown mode", async () => {
        const g = await synthComponent(() => new ArchiveBucket("archive", { kmsKeyArn: KEY, lockMode: "COMPLIANCE", accessLogs: { bucket: "logs", prefix: "s3/archive/" } }));
        expect(one(g, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 365 } });
        expect(statements(one(g, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy).map((x) => x.Sid)).toEqual(["DenyInsecureTransport"]);
        await expect(synthComponent(() => new ArchiveBucket("archive", { kmsKeyArn: KEY, lockMode: "LEGAL" as "COMPLIANCE", accessLogs: { bucket: "logs", prefix: "a/" } })))
            .rejects.toThrow(/ArchiveBucket "archive".lockMode: "LEGAL" is not allowed; expected COMPLIANCE or GOVERNANCE/);
    });

    it("records every region's management events with validation, KMS and CloudWatch delivery", async () => {
        const g = await synthComponent(() => new AuditTrail("audit", { kmsKeyArn: KEY, archiveBucket: "archive-abc", trailName: "zone-trail" }));
        const trail = one(g, "aws:cloudtrail/trail:Trail");
        expect(trail.inputs).toMatchObject({ name: "zone-trail", s3BucketName: "archive-abc", isMultiRegionTrail: true, includeGlobalServiceEvents: true, enableLogFileValidation: true, kmsKeyId: KEY, eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }] });
        const group = one(g, "aws:cloudwatch/logGroup:LogGroup");
        expect(trail.inputs.cloudWatchLogsGroupArn).toBe(`${group.outputs.arn}:*`);
        expect(statements(one(g, "aws:iam/rolePolicy:RolePolicy").inputs.policy)[0].Resource).toBe(`${group.outputs.arn}:log-stream:*`);
    });
});

describe("LogBucket and S3 server access logging", () => {
    it("the terminal access-log bucket admits S3 log delivery of this account, states its exemption, and is not logged itself", async () => {
        const g = await synthComponent(() => new LogBucket("s3-access-logs", { terminalAccessLogBucket: true, deliveryStatements: () => [], tags: {} }));
        const bucket = one(g, "aws:s3/bucket:Bucket");
        expect((bucket.inputs.tags as Record<string, string>)[ACCESS_LOG_EXEMPTION_TAG]).toMatch(/^terminal access-log bucket - /);
        expect(ofType(g, "aws:s3/bucketLogging:BucketLogging")).toHaveLength(0);
        const delivery = statements(one(g, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy).find((x) => x.Sid === "S3ServerAccessLogDelivery")!;
        expect(delivery).toMatchObject({ Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: `${bucket.outputs.arn}/*`, Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } });
        // S3 delivers server access logs only to SSE-S3 buckets.
        expect((one(g, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as Json[])[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
    });

    it("a log bucket that is not terminal sends its access logs on, and cannot be both", async () => {
        const g = await synthComponent(() => new LogBucket("alb-logs", { accessLogs: { bucket: "access-logs-abc", prefix: "s3/alb/" }, deliveryStatements: () => [], tags: {} }));
        expect(one(g, "aws:s3/bucketLogging:BucketLogging").inputs).toMatchObject({ targetBucket: "access-logs-abc", targetPrefix: "s3/alb/" });
        expect((one(g, "aws:s3/bucket:Bucket").inputs.tags as Record<string, string>)[ACCESS_LOG_EXEMPTION_TAG]).toBeUndefined();
        await expect(synthComponent(() => new LogBucket("x", { accessLogs: { bucket: "b", prefix: "p/" }, terminalAccessLogBucket: true, deliveryStatements: () => [], tags: {} })))
            .rejects.toThrow(/LogBucket "x".accessLogs: is not allowed together with terminalAccessLogBucket/);
    });
});

describe("security zone logging (stack)", () => {
    it("logs every bucket but the terminal access-log bucket, which receives the others' logs; prod archive in COMPLIANCE mode", async () => {
        const g = await synthesizedStack("security-zone-prod");
        const buckets = ofType(g, "aws:s3/bucket:Bucket");
        const loggings = ofType(g, "aws:s3/bucketLogging:BucketLogging");
        const terminal = buckets.filter((b) => (b.inputs.tags as Record<string, string>)[ACCESS_LOG_EXEMPTION_TAG] !== undefined);
        expect(terminal.map((b) => b.name)).toEqual(["mcp-prod-s3-access-logs"]);
        expect(buckets.length).toBeGreaterThan(1);
        for (const b of buckets.filter((x) => x !== terminal[0])) {
            expect(loggings.find((l) => l.inputs.bucket === b.id)?.inputs.targetBucket, b.name).toBe(terminal[0].outputs.bucket);
        }
        expect(loggings.some((l) => l.inputs.bucket === terminal[0].id)).toBe(false);
        expect(one(g, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule).toMatchObject({ defaultRetention: { mode: "COMPLIANCE", days: 731 } });
    });

    it("defaults the archive lock by environment and refuses other modes by name", () => {
        expect(["prod", "production", "prod-eu", "dev", "producer"].map(archiveLockModeFor)).toEqual(["compliance", "compliance", "compliance", "governance", "governance"]);
        const raw = { pattern: "microservices", environment: "prod", servers: [] as unknown[] };
        expect(() => validateBlueprintConfig({ ...raw, operations: { archiveLockMode: "legal-hold" } }, "eu-west-1")).toThrow(/mcpsec:operations\.archiveLockMode.*"legal-hold" is not allowed; expected compliance or governance/);
    });
});

describe("McpAlerts", () => {
    it("sends alarms on 4XX spikes, WAF blocks, denied tool calls, changed tools and root use to an encrypted topic only this account publishes to", async () => {
        const g = await synthComponent(() => new McpAlerts("alerts", {
            kmsKeyArn: KEY, emails: ["oncall@example.com"], trailLogGroupName: "/trail", serverLogGroupNames: ["/mcpsec/docs"], loadBalancerArnSuffix: "app/entry/123", webAclName: "acl",
        }));
        const topic = one(g, "aws:sns/topic:Topic");
        expect(topic.inputs.kmsMasterKeyId).toBe(KEY);
        const publish = statements(one(g, "aws:sns/topicPolicy:TopicPolicy").inputs.policy)[0];
        expect(publish.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" } });
        const alarms = ofType(g, "aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarms.map((a) => a.inputs.metricName).sort()).toEqual(["BlockedRequests", "ChangedTools", "DeniedToolCalls", "HTTPCode_Target_4XX_Count", "RootAccountUse"]);
        expect(alarms.find((a) => a.inputs.metricName === "ChangedTools")!.inputs.threshold).toBe(1);
        for (const a of alarms) {
            expect(a.inputs.alarmActions).toEqual([topic.outputs.arn]);
        }
        const filters = ofType(g, "aws:cloudwatch/logMetricFilter:LogMetricFilter").map((f) => [f.inputs.logGroupName, f.inputs.pattern]);
        expect(filters).toContainEqual(["/trail", expect.stringContaining("$.userIdentity.type = \"Root\"")]);
        expect(filters).toContainEqual(["/mcpsec/docs", "{ $.event = \"tool_call_denied\" }"]);
        expect(filters).toContainEqual(["/mcpsec/docs", "{ $.event = \"tool_changed\" }"]);
        expect(one(g, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({ protocol: "email", endpoint: "oncall@example.com" });
    });

    it("alarms per guard log group when its guard_heartbeat lines stop (missing data breaching), which the guard alarm path accepts", async () => {
        const g = await synthComponent(() => new McpAlerts("alerts", { kmsKeyArn: KEY, serverLogGroupNames: ["/mcpsec/docs/guard"], guardLogGroups: [{ server: "docs", logGroupName: "/mcpsec/docs/guard" }] }));
        const filter = ofType(g, "aws:cloudwatch/logMetricFilter:LogMetricFilter").find((f) => f.inputs.pattern === "{ $.event = \"guard_heartbeat\" }")!;
        expect(filter.inputs).toMatchObject({ logGroupName: "/mcpsec/docs/guard", metricTransformation: { name: "GuardHeartbeats-docs", namespace: "MCPSec", value: "1" } });
        expect((filter.inputs.metricTransformation as Json).defaultValue).toBeUndefined();
        const alarm = ofType(g, "aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.inputs.metricName === "GuardHeartbeats-docs")!;
        expect(alarm.inputs).toMatchObject({ comparisonOperator: "LessThanThreshold", threshold: 1, treatMissingData: "breaching", evaluationPeriods: 2, period: 300, statistic: "Sum", alarmActions: [one(g, "aws:sns/topic:Topic").outputs.arn] });
        // The guard writes one at least every 240 s (GUARD_HEARTBEAT_SECONDS' maximum), so each 300 s period of a healthy guard holds one.
        expect(Number(alarm.inputs.period)).toBeGreaterThan(240);
        const task = { type: "aws:ecs/taskDefinition:TaskDefinition", name: "docs", props: { containerDefinitions: JSON.stringify([{ name: "mcp-guard", environment: [{ name: "GUARD_SERVER_NAME", value: "docs" }, { name: "GUARD_UPSTREAM_URL", value: "http://127.0.0.1:8080/mcp" }], logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/mcpsec/docs/guard" } } }]) } };
        const [path] = guardAlarmPaths([task, ...g.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }))]);
        expect(path.heartbeat).toEqual([alarm.name]);
    });
});

describe("SiemExport", () => {
    const destinations: [string, SiemDestination, string, string][] = [
        ["http", { type: "http", url: "https://siem.example.com/ingest", credentialsSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:siem-AbCdEf" }, "httpEndpointConfiguration", "FailedDataOnly"],
        ["splunk", { type: "splunk", hecEndpoint: "https://hec.example.com:8088", hecTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hec-AbCdEf" }, "splunkConfiguration", "FailedEventsOnly"],
    ];
    it.each(destinations)("decompresses CloudWatch Logs records and extracts their events before delivery to %s (no Lambda)", async (_type, destination, block) => {
        const g = await synthComponent(() => new SiemExport("siem", { destination, logGroupNames: ["/a"], kmsKeyArn: KEY, backupBucketArn: "arn:aws:s3:::archive-abc" }));
        const stream = one(g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
        expect((stream.inputs[block] as Json).processingConfiguration).toEqual({
            enabled: true,
            processors: [
                { type: "Decompression", parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }] },
                { type: "CloudWatchLogProcessing", parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }] },
            ],
        });
        expect(CLOUDWATCH_LOGS_PROCESSING.processors.map((p) => p.type)).not.toContain("Lambda");
        expect(ofType(g, "aws:lambda/function:Function")).toHaveLength(0);
    });

    it("refuses OpenSearch, which Firehose cannot feed CloudWatch Logs records, with a clear error", async () => {
        const opensearch = { type: "opensearch", domainArn: "arn:aws:es:eu-west-1:123456789012:domain/siem", indexName: "mcp" } as unknown as SiemDestination;
        await expect(synthComponent(() => new SiemExport("siem", { destination: opensearch, logGroupNames: ["/a"], kmsKeyArn: KEY, backupBucketArn: "arn:aws:s3:::a" })))
            .rejects.toThrow(/SiemExport "siem".destination.type: "opensearch" is not allowed; expected http or splunk \(Firehose cannot deliver CloudWatch Logs records to OpenSearch/);
    });
    it.each(destinations)("streams the log groups to %s, keeping refused records in the archive", async (_type, destination, block, backupMode) => {
        const g = await synthComponent(() => new SiemExport("siem", { destination, logGroupNames: ["/a", "/b"], kmsKeyArn: KEY, backupBucketArn: "arn:aws:s3:::archive-abc" }));
        const stream = one(g, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
        expect(stream.inputs.serverSideEncryption).toEqual({ enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: KEY });
        expect((stream.inputs[block] as Json).s3BackupMode).toBe(backupMode);
        expect((stream.inputs[block] as Json).s3Configuration).toMatchObject({ bucketArn: "arn:aws:s3:::archive-abc", kmsKeyArn: KEY });
        expect(ofType(g, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter").map((f) => [f.inputs.logGroup, f.inputs.destinationArn])).toEqual([["/a", stream.outputs.arn], ["/b", stream.outputs.arn]]);
        const text = JSON.stringify(stream.inputs);
        expect(text).not.toMatch(/hecToken"|accessKey"/);
    });
});

describe("ThreatDetection", () => {
    const TG = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/zone-docs/0123456789abcdef", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/zone-tickets/fedcba9876543210"];
    const CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/zone-ecs";
    const args = { alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:alerts", archiveBucket: "archive-abc", kmsKeyArn: KEY, targetGroupArns: TG, clusterArn: CLUSTER };
    const all = { guardDuty: "create", securityHub: "create", inspector: "create", config: "create" } as const;
    const containmentPolicy = (g: ResourceGraph) => Object.fromEntries(statements(ofType(g, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "detect-containment")!.inputs.policy).map((s) => [s.Sid, s]));

    it("turns on runtime monitoring, the NIST 800-53 and FSBP standards, ECR scanning and drift rules", async () => {
        const g = await synthComponent(() => new ThreatDetection("detect", { ...args, services: all }));
        expect(one(g, "aws:guardduty/detectorFeature:DetectorFeature").inputs).toMatchObject({
            name: "RUNTIME_MONITORING", status: "ENABLED",
            additionalConfigurations: [{ name: "ECS_FARGATE_AGENT_MANAGEMENT", status: "ENABLED" }, { name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" }],
        });
        expect(ofType(g, "aws:securityhub/standardsSubscription:StandardsSubscription").map((s) => s.inputs.standardsArn)).toEqual([
            "arn:aws:securityhub:eu-west-1::standards/nist-800-53/v/5.0.0",
            "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0",
        ]);
        expect(one(g, "aws:inspector2/enabler:Enabler").inputs).toMatchObject({ accountIds: ["123456789012"], resourceTypes: ["ECR"] });
        const rules = ofType(g, "aws:cfg/rule:Rule").map((r) => (r.inputs.source as Json).sourceIdentifier);
        expect(rules).toEqual(Object.values(DRIFT_RULES));
        expect(one(g, "aws:cfg/deliveryChannel:DeliveryChannel").inputs).toMatchObject({ s3BucketName: "archive-abc", s3KmsKeyArn: KEY });
    });

    it("routes high-severity findings to the alert topic and to containment, with retries and a dead-letter queue", async () => {
        const g = await synthComponent(() => new ThreatDetection("detect", { ...args, services: all }));
        const rule = ofType(g, "aws:cloudwatch/eventRule:EventRule").find((r) => r.name === "detect-guardduty-findings")!;
        expect(JSON.parse(rule.inputs.eventPattern as string)).toEqual({ source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { severity: [{ numeric: [">=", 7] }] } });
        const fn = one(g, "aws:lambda/function:Function");
        const targets = ofType(g, "aws:cloudwatch/eventTarget:EventTarget").filter((t) => t.inputs.rule === rule.outputs.name);
        expect(targets.map((t) => t.inputs.arn).sort()).toEqual([args.alertTopicArn, fn.outputs.arn].sort());
        expect(one(g, "aws:lambda/permission:Permission").inputs).toMatchObject({ principal: "events.amazonaws.com", sourceArn: rule.outputs.arn });
        const dlq = one(g, "aws:sqs/queue:Queue");
        expect(dlq.inputs.kmsMasterKeyId).toBe(KEY);
        const contain = targets.find((t) => t.inputs.arn === fn.outputs.arn)!;
        expect(contain.inputs.deadLetterConfig).toEqual({ arn: dlq.outputs.arn });
        expect(contain.inputs.retryPolicy).toEqual({ maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 });
        expect(fn.inputs.deadLetterConfig).toEqual({ targetArn: dlq.outputs.arn });
        expect(one(g, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs).toMatchObject({ functionName: fn.outputs.name, maximumRetryAttempts: 2 });
        const queuePolicy = statements(one(g, "aws:sqs/queuePolicy:QueuePolicy").inputs.policy)[0];
        expect(queuePolicy).toMatchObject({ Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: dlq.outputs.arn, Condition: { ArnEquals: { "aws:SourceArn": rule.outputs.arn } } });
    });

    it("gives containment the permissions its tracing, logs, dead-letter queue, key and actions need, scoped to the zone", async () => {
        const g = await synthComponent(() => new ThreatDetection("detect", { ...args, services: all }));
        const fn = one(g, "aws:lambda/function:Function");
        expect(fn.inputs).toMatchObject({ tracingConfig: { mode: "Active" }, kmsKeyArn: KEY });
        const p = containmentPolicy(g);
        expect(p.WriteTraces).toMatchObject({ Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" });
        expect(p.SendToDeadLetterQueue.Resource).toBe(one(g, "aws:sqs/queue:Queue").outputs.arn);
        expect(p.UseZoneKey).toMatchObject({ Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: KEY });
        expect(p.DeregisterFromZoneTargetGroups).toMatchObject({ Action: "elasticloadbalancing:DeregisterTargets", Resource: TG });
        expect(p.TagAndStopTasks).toMatchObject({ Action: ["ecs:TagResource", "ecs:StopTask"], Resource: "arn:aws:ecs:eu-west-1:123456789012:task/zone-ecs/*" });
        expect(JSON.stringify(p)).not.toContain("ec2:ModifyNetworkInterfaceAttribute");
        expect(ofType(g, "aws:ec2/securityGroup:SecurityGroup")).toHaveLength(0);
    });

    it("alarms on containment errors and on events left in its dead-letter queue, to the alert topic", async () => {
        const g = await synthComponent(() => new ThreatDetection("detect", { ...args, services: all }));
        const alarms = Object.fromEntries(ofType(g, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => [a.inputs.metricName, a.inputs]));
        expect(alarms.Errors).toMatchObject({ namespace: "AWS/Lambda", dimensions: { FunctionName: one(g, "aws:lambda/function:Function").outputs.name }, threshold: 1, alarmActions: [args.alertTopicArn] });
        expect(alarms.ApproximateNumberOfMessagesVisible).toMatchObject({ namespace: "AWS/SQS", dimensions: { QueueName: one(g, "aws:sqs/queue:Queue").outputs.name }, alarmActions: [args.alertTopicArn] });
    });

    it("creates none of the account-wide services declared existing, and still routes and contains", async () => {
        const g = await synthComponent(() => new ThreatDetection("detect", { ...args, services: { guardDuty: "existing", securityHub: "existing", inspector: "existing", config: "existing" } }));
        for (const type of ["aws:guardduty/detector:Detector", "aws:securityhub/account:Account", "aws:inspector2/enabler:Enabler", "aws:cfg/recorder:Recorder", "aws:cfg/rule:Rule"]) {
            expect(ofType(g, type), type).toHaveLength(0);
        }
        expect(ofType(g, "aws:cloudwatch/eventRule:EventRule")).toHaveLength(2);
        expect(one(g, "mcpsec:detection:ThreatDetection").outputs.services).toEqual({ guardDuty: "existing", securityHub: "existing", inspector: "existing", config: "existing" });
    });

    it("ships containment code that logs evidence, deregisters the task's IPs, then tags and stops the task", async () => {
        // Run the handler against recording fakes of the two SDK clients the Lambda runtime provides.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-"));
        const calls: [string, Json][] = [];
        (globalThis as Json).__mcpsecCalls = calls;
        const fake = (pkg: string, client: string, commands: string[], answers: string) => {
            const root = path.join(dir, "node_modules", ...pkg.split("/"));
            fs.mkdirSync(root, { recursive: true });
            fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: pkg, type: "module", main: "index.js" }));
            fs.writeFileSync(path.join(root, "index.js"), [
                `const answers = ${answers};`,
                `export class ${client} { async send(c) { globalThis.__mcpsecCalls.push([c.name, c.input]); return (answers[c.name] ?? (() => ({})))(c.input); } }`,
                ...commands.map((c) => `export class ${c} { constructor(input) { this.name = "${c}"; this.input = input; } }`),
            ].join("\n"));
        };
        fake("@aws-sdk/client-ecs", "ECSClient", ["DescribeTasksCommand", "DescribeServicesCommand", "TagResourceCommand", "StopTaskCommand"], `{
            DescribeTasksCommand: () => ({ tasks: [{ group: "service:docs", taskDefinitionArn: "td:1", containers: [{ name: "docs", imageDigest: "sha256:abc" }],
                attachments: [{ type: "ElasticNetworkInterface", details: [{ name: "networkInterfaceId", value: "eni-1" }, { name: "privateIPv4Address", value: "10.40.1.5" }] }] }] }),
            DescribeServicesCommand: () => ({ services: [{ loadBalancers: [{ targetGroupArn: "tg-docs" }] }] }),
        }`);
        fake("@aws-sdk/client-elastic-load-balancing-v2", "ElasticLoadBalancingV2Client", ["DescribeTargetHealthCommand", "DeregisterTargetsCommand"], `{
            DescribeTargetHealthCommand: () => ({ TargetHealthDescriptions: [{ Target: { Id: "10.40.1.5", Port: 8080 } }, { Target: { Id: "10.40.2.9", Port: 8080 } }] }),
        }`);
        const file = path.join(dir, "index.mjs");
        fs.writeFileSync(file, CONTAINMENT_HANDLER);
        const logs = vi.spyOn(console, "log").mockImplementation(() => undefined);
        try {
            const { handler } = await import(file);
            const result = await handler({ detail: { id: "f-1", type: "Execution:Runtime/NewBinaryExecuted", severity: 8, resource: { ecsClusterDetails: { arn: "cluster-1", taskDetails: { arn: "task-1" } } } } });
            expect(result.contained).toBe(true);
            expect(calls.map(([c]) => c)).toEqual(["DescribeTasksCommand", "DescribeServicesCommand", "DescribeTargetHealthCommand", "DeregisterTargetsCommand", "TagResourceCommand", "StopTaskCommand"]);
            expect(calls[3][1]).toEqual({ TargetGroupArn: "tg-docs", Targets: [{ Id: "10.40.1.5", Port: 8080 }] });
            expect(calls[5][1]).toMatchObject({ cluster: "cluster-1", task: "task-1" });
            const evidence = JSON.parse(logs.mock.calls[0][0] as string);
            expect(evidence).toMatchObject({ event: "containment_evidence", taskDefinition: "td:1", networkInterfaces: ["eni-1"], privateIps: ["10.40.1.5"], containers: [{ imageDigest: "sha256:abc" }], findingId: "f-1" });
            calls.length = 0;
            expect((await handler({ detail: { id: "f-2", resource: { instanceDetails: {} } } })).contained).toBe(false);
            expect(calls).toEqual([]);
        } finally {
            logs.mockRestore();
        }
        expect(CONTAINMENT_HANDLER).not.toContain("ModifyNetworkInterfaceAttribute");
    });
});
