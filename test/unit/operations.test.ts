import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { SECRET_SIG, SPECIAL_SIG_KEY } from "../../cli/graph";
import { CONTAINMENT_HANDLER, DRIFT_RULES, ThreatDetection } from "../../components/detection";
import { ArchiveBucket, AuditTrail, McpAlerts, SiemExport, SiemDestination } from "../../components/observability";
import { ManagedSecret, ZoneKey } from "../../components/secrets";
import { ofType, one, synthComponent } from "../helpers";

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
        const g = await synthComponent(() => new ArchiveBucket("archive", { kmsKeyArn: KEY, retentionDays: 731, trailArn, allowConfig: true }));
        expect(one(g, "aws:s3/bucket:Bucket").inputs.objectLockEnabled).toBe(true);
        expect(one(g, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 731 } });
        expect(one(g, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
        expect((one(g, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as Json[])[0]).toMatchObject({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true });
        const bySid = Object.fromEntries(statements(one(g, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy).map((s) => [s.Sid, s]));
        expect(bySid.DenyInsecureTransport.Effect).toBe("Deny");
        expect(bySid.CloudTrailWrites.Condition.StringEquals["aws:SourceArn"]).toBe(trailArn);
        expect(bySid.ConfigWrites.Condition.StringEquals["aws:SourceAccount"]).toBe("123456789012");
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

describe("McpAlerts", () => {
    it("sends alarms on 4XX spikes, WAF blocks, denied tool calls and root use to an encrypted topic only this account publishes to", async () => {
        const g = await synthComponent(() => new McpAlerts("alerts", {
            kmsKeyArn: KEY, emails: ["oncall@example.com"], trailLogGroupName: "/trail", serverLogGroupNames: ["/mcpsec/docs"], loadBalancerArnSuffix: "app/entry/123", webAclName: "acl",
        }));
        const topic = one(g, "aws:sns/topic:Topic");
        expect(topic.inputs.kmsMasterKeyId).toBe(KEY);
        const publish = statements(one(g, "aws:sns/topicPolicy:TopicPolicy").inputs.policy)[0];
        expect(publish.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" } });
        const alarms = ofType(g, "aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarms.map((a) => a.inputs.metricName).sort()).toEqual(["BlockedRequests", "DeniedToolCalls", "HTTPCode_Target_4XX_Count", "RootAccountUse"]);
        for (const a of alarms) {
            expect(a.inputs.alarmActions).toEqual([topic.outputs.arn]);
        }
        const filters = ofType(g, "aws:cloudwatch/logMetricFilter:LogMetricFilter").map((f) => [f.inputs.logGroupName, f.inputs.pattern]);
        expect(filters).toContainEqual(["/trail", expect.stringContaining("$.userIdentity.type = \"Root\"")]);
        expect(filters).toContainEqual(["/mcpsec/docs", "{ $.event = \"tool_call_denied\" }"]);
        expect(one(g, "aws:sns/topicSubscription:TopicSubscription").inputs).toMatchObject({ protocol: "email", endpoint: "oncall@example.com" });
    });
});

describe("SiemExport", () => {
    const destinations: [string, SiemDestination, string, string][] = [
        ["http", { type: "http", url: "https://siem.example.com/ingest", credentialsSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:siem-AbCdEf" }, "httpEndpointConfiguration", "FailedDataOnly"],
        ["splunk", { type: "splunk", hecEndpoint: "https://hec.example.com:8088", hecTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hec-AbCdEf" }, "splunkConfiguration", "FailedEventsOnly"],
        ["opensearch", { type: "opensearch", domainArn: "arn:aws:es:eu-west-1:123456789012:domain/siem", indexName: "mcp" }, "opensearchConfiguration", "FailedDocumentsOnly"],
    ];
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
    const args = { alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:alerts", archiveBucket: "archive-abc", vpcId: "vpc-1", kmsKeyArn: KEY };
    const all = { guardDuty: "create", securityHub: "create", inspector: "create", config: "create" } as const;

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

    it("routes high-severity findings to the alert topic and to containment", async () => {
        const g = await synthComponent(() => new ThreatDetection("detect", { ...args, services: all }));
        const rule = ofType(g, "aws:cloudwatch/eventRule:EventRule").find((r) => r.name === "detect-guardduty-findings")!;
        expect(JSON.parse(rule.inputs.eventPattern as string)).toEqual({ source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { severity: [{ numeric: [">=", 7] }] } });
        const fn = one(g, "aws:lambda/function:Function");
        const targets = ofType(g, "aws:cloudwatch/eventTarget:EventTarget").filter((t) => t.inputs.rule === rule.outputs.name).map((t) => t.inputs.arn);
        expect(targets.sort()).toEqual([args.alertTopicArn, fn.outputs.arn].sort());
        expect(one(g, "aws:lambda/permission:Permission").inputs).toMatchObject({ principal: "events.amazonaws.com", sourceArn: rule.outputs.arn });
        const quarantine = one(g, "aws:ec2/securityGroup:SecurityGroup");
        expect(quarantine.inputs).toMatchObject({ ingress: [], egress: [] });
        expect((fn.inputs.environment as Json).variables.QUARANTINE_SECURITY_GROUP_ID).toBe(quarantine.id);
    });

    it("creates none of the account-wide services declared existing, and still routes and contains", async () => {
        const g = await synthComponent(() => new ThreatDetection("detect", { ...args, services: { guardDuty: "existing", securityHub: "existing", inspector: "existing", config: "existing" } }));
        for (const type of ["aws:guardduty/detector:Detector", "aws:securityhub/account:Account", "aws:inspector2/enabler:Enabler", "aws:cfg/recorder:Recorder", "aws:cfg/rule:Rule"]) {
            expect(ofType(g, type), type).toHaveLength(0);
        }
        expect(ofType(g, "aws:cloudwatch/eventRule:EventRule")).toHaveLength(2);
        expect(one(g, "mcpsec:detection:ThreatDetection").outputs.services).toEqual({ guardDuty: "existing", securityHub: "existing", inspector: "existing", config: "existing" });
    });

    it("ships containment code that is valid JavaScript", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-")), "index.mjs");
        fs.writeFileSync(file, CONTAINMENT_HANDLER);
        expect(() => execFileSync(process.execPath, ["--check", file])).not.toThrow();
        expect(CONTAINMENT_HANDLER).toContain("ModifyNetworkInterfaceAttributeCommand");
    });
});
