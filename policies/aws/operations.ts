import { ofType, refersTo, resourceRule, stackRule } from "../lib/rule";

export const secretRotation = stackRule({
    name: "aws-secretsmanager-secret-rotation",
    description: "Every Secrets Manager secret must have automatic rotation configured. Credentials MCP servers use to reach other systems are high-value targets; rotation bounds how long a stolen one works.",
    severity: "medium",
    controls: ["S5"],
    nist: ["IA-5(1)", "SC-12"],
    maestro: ["L6"],
    threats: ["T4", "T2"],
    remediation: "Use the ManagedSecret component (components/secrets) with rotationLambdaArn; manualRotation: true is an explicit opt-out this policy reports.",
}, (resources, _args, report) => {
    const rotations = ofType(resources, "aws:secretsmanager/secretRotation:SecretRotation");
    for (const secret of ofType(resources, "aws:secretsmanager/secret:Secret")) {
        if (!rotations.some((r) => refersTo(r, "secretId", secret))) {
            report(`Secret ${secret.name} has no rotation.`, secret.urn);
        }
    }
});

export const secretCmk = resourceRule({
    name: "aws-secretsmanager-secret-cmk",
    description: "Secrets must be encrypted with a customer-managed KMS key, so that reading them requires a key policy you control as well as IAM.",
    severity: "medium",
    controls: ["S5"],
    nist: ["SC-28", "SC-12"],
    maestro: ["L6"],
    threats: ["T2"],
    remediation: "Give kmsKeyId (ManagedSecret's kmsKeyArn; the zone key in the patterns).",
}, ["aws:secretsmanager/secret:Secret"], (props, _args, report) => {
    if (!props.kmsKeyId) {
        report("the secret has no kmsKeyId: it uses the AWS managed key.");
    }
});

export const kmsDeletionWindow = resourceRule({
    name: "aws-kms-key-deletion-window",
    description: "KMS keys must wait at least the minimum deletion window (30 days unless the pack config sets minimumDays) before deletion, leaving time to notice and cancel the loss of every log and secret the key protects.",
    severity: "low",
    controls: ["S5", "O1"],
    nist: ["SC-12", "CP-9"],
    maestro: ["L6"],
    threats: ["T5"],
    remediation: "Set deletionWindowInDays to 30 (ZoneKey's default).",
    configSchema: { properties: { minimumDays: { type: "integer", minimum: 7, maximum: 30, default: 30 } } },
}, ["aws:kms/key:Key"], (props, args, report) => {
    const min = args.getConfig<{ minimumDays?: number }>().minimumDays ?? 30;
    const days = Number(props.deletionWindowInDays ?? 30);
    if (days < min) {
        report(`deletionWindowInDays is ${days}; the minimum is ${min}.`);
    }
});

export const trailHardened = resourceRule({
    name: "aws-cloudtrail-trail-hardened",
    description: "CloudTrail trails must cover every region, validate log files (tamper evidence), encrypt with KMS and deliver to CloudWatch Logs for alarms and SIEM export. The trail is the record of who changed the MCP zone.",
    severity: "high",
    controls: ["O1", "H4"],
    nist: ["AU-2", "AU-9", "AU-10", "AU-12"],
    maestro: ["L5", "L6"],
    threats: ["T4", "T6"],
    remediation: "Use the AuditTrail component (components/observability), or set isMultiRegionTrail, enableLogFileValidation, kmsKeyId and cloudWatchLogsGroupArn.",
}, ["aws:cloudtrail/trail:Trail"], (props, _args, report) => {
    const missing: string[] = [];
    if (props.isMultiRegionTrail !== true) {
        missing.push("isMultiRegionTrail");
    }
    if (props.enableLogFileValidation !== true) {
        missing.push("enableLogFileValidation");
    }
    if (!props.kmsKeyId) {
        missing.push("kmsKeyId");
    }
    if (!props.cloudWatchLogsGroupArn) {
        missing.push("cloudWatchLogsGroupArn");
    }
    if (props.enableLogging === false) {
        missing.push("enableLogging");
    }
    if (missing.length > 0) {
        report(`not set: ${missing.join(", ")}.`);
    }
});

export const snsEncrypted = resourceRule({
    name: "aws-sns-topic-encrypted",
    description: "SNS topics must be encrypted with a KMS key: alerts describe incidents, findings and resources under attack.",
    severity: "medium",
    controls: ["O1", "O2"],
    nist: ["SC-28"],
    maestro: ["L5"],
    threats: ["T2"],
    remediation: "Set kmsMasterKeyId (McpAlerts uses the zone key).",
}, ["aws:sns/topic:Topic"], (props, _args, report) => {
    if (!props.kmsMasterKeyId) {
        report("kmsMasterKeyId is not set.");
    }
});

export const guardDutyOn = stackRule({
    name: "aws-guardduty-runtime-monitoring",
    description: "GuardDuty must watch the account with runtime monitoring of ECS Fargate (and EKS): the host-level detection of the paper (EDR/HIDS) for MCP tasks. A stack that deploys MCP servers either enables it or declares the organization's existing detector.",
    severity: "high",
    controls: ["S4", "O3", "H4"],
    nist: ["SI-4", "SI-3", "IR-5"],
    maestro: ["L4", "L5"],
    threats: ["T3", "T2", "T1"],
    remediation: "Let ThreatDetection create GuardDuty (mcpsec:operations.accountServices.guardDuty: create), or declare the organization's (existing).",
}, (resources, _args, report) => {
    const workloads = resources.filter((r) => r.type === "aws:ecs/service:Service" || r.type === "aws:eks/cluster:Cluster");
    if (workloads.length === 0) {
        return;
    }
    const declaredExisting = ofType(resources, "mcpsec:detection:ThreatDetection").some((d) => d.props.services?.guardDuty === "existing");
    if (declaredExisting) {
        return;
    }
    const detectors = ofType(resources, "aws:guardduty/detector:Detector").filter((d) => d.props.enable !== false);
    if (detectors.length === 0) {
        report("the stack runs MCP workloads but enables no GuardDuty detector and declares no existing one.");
        return;
    }
    const runtime = ofType(resources, "aws:guardduty/detectorFeature:DetectorFeature").filter((f) =>
        f.props.name === "RUNTIME_MONITORING" && f.props.status === "ENABLED" && detectors.some((d) => refersTo(f, "detectorId", d)));
    const fargate = runtime.some((f) => ((f.props.additionalConfigurations ?? []) as { name?: string; status?: string }[])
        .some((c) => c.name === "ECS_FARGATE_AGENT_MANAGEMENT" && c.status === "ENABLED"));
    if (!fargate) {
        report("GuardDuty runtime monitoring with ECS Fargate agent management is not enabled.", detectors[0].urn);
    }
});

export const operationsRules = [secretRotation, secretCmk, kmsDeletionWindow, trailHardened, snsEncrypted, guardDutyOn];
