import type { PolicyResource } from "@pulumi/policy";
import { ofType, Props, refersTo, stackRule } from "../lib/rule";
import { statementsOf } from "./iam";

const BUCKET = "aws:s3/bucket:Bucket";

export const bucketPublicAccessBlocked = stackRule({
    name: "aws-s3-bucket-public-access-blocked",
    description: "Every bucket must have a public access block with all four settings on. Log and archive buckets of an MCP zone hold evidence and metadata that must never be public.",
    severity: "high",
    controls: ["O1", "S1"],
    nist: ["AC-3", "AC-4", "SC-7"],
    maestro: ["L4", "L6"],
    threats: ["T2"],
    remediation: "Use the LogBucket component (components/edge), or add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
}, (resources, _args, report) => {
    const blocks = ofType(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    for (const bucket of ofType(resources, BUCKET)) {
        const own = blocks.filter((b) => refersTo(b, "bucket", bucket, ["bucket"]));
        const complete = own.some((b) => ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => b.props[k] === true));
        if (!complete) {
            report(`Bucket ${bucket.name} has ${own.length === 0 ? "no public access block" : "a public access block with a setting off"}.`, bucket.urn);
        }
    }
});

/** The bucket's ARN (its name when the ARN is not known). */
const bucketArnOf = (bucket: PolicyResource): string => (typeof bucket.props.arn === "string" ? bucket.props.arn : `arn:aws:s3:::${String(bucket.props.bucket)}`);

/** An IAM resource or action pattern (* any characters, ? one) as a regular expression source, case-sensitive. */
const globSource = (pattern: string) => pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");

/** True when the statement's Resource covers `target` exactly, or (with `target` ending in "/*") every object under it. */
function coversResource(statement: Props, target: string): boolean {
    if (statement.NotResource !== undefined) {
        return false;
    }
    return [statement.Resource ?? []].flat().map(String).some((pattern) => {
        if (!target.endsWith("/*")) {
            return new RegExp(`^${globSource(pattern)}$`).test(target);
        }
        // Every key under the bucket: the pattern is Q* where Q matches some prefix of "<bucket ARN>/".
        const prefix = target.slice(0, -1);
        if (!pattern.endsWith("*")) {
            return false;
        }
        const q = new RegExp(`^${globSource(pattern.slice(0, -1))}$`);
        return Array.from({ length: prefix.length + 1 }, (_, i) => prefix.slice(0, i)).some((p) => q.test(p));
    });
}

/** True when the statement applies to every principal. */
const everyone = (statement: Props) => statement.NotPrincipal === undefined
    && (statement.Principal === "*" || (statement.Principal?.AWS !== undefined && [statement.Principal.AWS].flat().includes("*")));

/** True when the statement's Action covers every S3 action. */
const everyS3Action = (statement: Props) => statement.NotAction === undefined && [statement.Action ?? []].flat().map((a) => String(a).toLowerCase()).some((a) => a === "*" || a === "s3:*");

/** True when the condition is exactly aws:SecureTransport false (any other key would narrow the deny). */
function onlyWithoutTls(condition: Props | undefined): boolean {
    const operators = Object.keys(condition ?? {});
    if (operators.length !== 1 || operators[0] !== "Bool") {
        return false;
    }
    const keys = Object.entries(condition!.Bool as Props);
    return keys.length === 1 && keys[0][0].toLowerCase() === "aws:securetransport" && [keys[0][1]].flat().map(String).every((v) => v === "false");
}

/** True when a bucket policy denies every request made without TLS: every principal, every S3 action, the bucket and all its objects. */
function deniesInsecureTransport(policy: unknown, bucketArn: string): boolean {
    return statementsOf(policy).some((s: Props) => s.Effect === "Deny" && everyone(s) && everyS3Action(s) && onlyWithoutTls(s.Condition)
        && coversResource(s, bucketArn) && coversResource(s, `${bucketArn}/*`));
}

export const bucketTlsOnly = stackRule({
    name: "aws-s3-bucket-tls-only",
    description: "Every bucket must have a policy that denies requests not made over TLS: a Deny for every principal (Principal \"*\"), every S3 action (s3:*), the bucket's own ARN and all its objects, whose only condition is aws:SecureTransport false. A deny of one action, for one principal or on another bucket leaves the rest open to clear-text requests.",
    severity: "medium",
    controls: ["H5", "O1"],
    nist: ["SC-8"],
    maestro: ["L4"],
    threats: ["T2"],
    remediation: "Use the LogBucket component, or add to the bucket policy a Deny of s3:* when aws:SecureTransport is false.",
}, (resources, _args, report) => {
    const policies = ofType(resources, "aws:s3/bucketPolicy:BucketPolicy");
    for (const bucket of ofType(resources, BUCKET)) {
        const own = policies.filter((p) => refersTo(p, "bucket", bucket, ["bucket"]));
        const arn = bucketArnOf(bucket);
        if (!own.some((p) => deniesInsecureTransport(p.props.policy, arn)) && !deniesInsecureTransport(bucket.props.policy, arn)) {
            report(`Bucket ${bucket.name} accepts requests without TLS.`, bucket.urn);
        }
    }
});

/** The tag that declares the terminal access-log bucket (components/common/bucket.ts ACCESS_LOG_EXEMPTION_TAG). */
export const ACCESS_LOG_EXEMPTION_TAG = "mcpsec:access-log-exemption";
const LOGGING_TYPES = ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"];

const LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration";

/** True when the bucket has object lock (enabled on the bucket, or a lock configuration of its own). */
const hasObjectLock = (bucket: PolicyResource, locks: PolicyResource[]) => bucket.props.objectLockEnabled === true || bucket.props.objectLockConfiguration !== undefined
    || locks.some((l) => refersTo(l, "bucket", bucket, ["bucket"]));

/** True when an Allow statement's only principal is S3's server access log delivery. */
const onlyLogDelivery = (statement: Props) => statement.NotPrincipal === undefined && typeof statement.Principal === "object"
    && Object.keys(statement.Principal).length === 1 && [statement.Principal.Service ?? []].flat().every((s) => s === "logging.s3.amazonaws.com")
    && [statement.Principal.Service ?? []].flat().length > 0;

/** True when `logging` delivers into `bucket` (by dependency, or by the bucket's name or id as a string). */
function logsInto(logging: PolicyResource, bucket: PolicyResource): boolean {
    return refersTo(logging, "targetBucket", bucket, ["bucket"]);
}

export const bucketAccessLogging = stackRule({
    name: "aws-s3-bucket-access-logging",
    description: "Every bucket must have S3 server access logging to another bucket (who read or deleted which evidence), except the terminal access-log bucket, which receives the others' access logs and is declared by the mcpsec:access-log-exemption tag with its reason. The exemption counts only on a terminal access-log bucket: one that another bucket of the stack logs into, without object lock (S3 does not deliver server access logs into a bucket with default retention, and a locked bucket holds evidence that must itself be logged), and whose bucket policy allows nothing but S3 log delivery (logging.s3.amazonaws.com). A bucket logging into itself, or buckets logging into each other in a cycle, are reported: each delivery would be logged again.",
    severity: "medium",
    controls: ["O1"],
    nist: ["AU-2", "AU-12", "AC-2(4)"],
    maestro: ["L5"],
    threats: ["T2", "T4"],
    remediation: "Give LogBucket accessLogs and ArchiveBucket accessLogs (the security zone points both at its terminal access-log bucket), or add an aws.s3.BucketLogging; mark only the bucket that receives the logs with LogBucket terminalAccessLogBucket.",
}, (resources, _args, report) => {
    const loggings = resources.filter((r) => LOGGING_TYPES.includes(r.type));
    const buckets = ofType(resources, BUCKET);
    const policies = ofType(resources, "aws:s3/bucketPolicy:BucketPolicy");
    const locks = ofType(resources, LOCK);
    /** The buckets of the stack that `bucket` logs into (other than itself). */
    const targetsOf = (bucket: PolicyResource) => buckets.filter((b) => b !== bucket && loggings.some((l) => refersTo(l, "bucket", bucket, ["bucket"]) && logsInto(l, b)));
    for (const bucket of buckets) {
        // Follow the chain of log targets: back at the start is a cycle (each delivery logged again, forever).
        const chain = [bucket];
        for (let next = targetsOf(bucket)[0]; next !== undefined && !chain.includes(next); next = targetsOf(next)[0]) {
            chain.push(next);
        }
        const last = chain[chain.length - 1];
        if (chain.length > 1 && targetsOf(last).includes(bucket)) {
            report(`Bucket ${bucket.name} logs its server access in a cycle (${[...chain, bucket].map((b) => b.name).join(" -> ")}): each delivery is logged again; end the chain at a terminal access-log bucket.`, bucket.urn);
        }
    }
    for (const bucket of buckets) {
        const own = loggings.filter((l) => refersTo(l, "bucket", bucket, ["bucket"]));
        const inline = typeof bucket.props.logging?.targetBucket === "string" && bucket.props.logging.targetBucket !== bucket.props.bucket;
        if (own.some((l) => !logsInto(l, bucket)) || inline) {
            continue;
        }
        if (own.length > 0) {
            report(`Bucket ${bucket.name} logs its server access into itself: each delivery would be logged again.`, bucket.urn);
            continue;
        }
        const exemption = (bucket.props.tags ?? {})[ACCESS_LOG_EXEMPTION_TAG];
        if (exemption === undefined) {
            report(`Bucket ${bucket.name} has no server access logging.`, bucket.urn);
        } else if (!loggings.some((l) => logsInto(l, bucket) && !refersTo(l, "bucket", bucket, ["bucket"]))) {
            report(`Bucket ${bucket.name} is tagged ${ACCESS_LOG_EXEMPTION_TAG} but no bucket logs into it: the exemption is only for the terminal access-log bucket.`, bucket.urn);
        } else if (String(exemption).trim() === "") {
            report(`Bucket ${bucket.name} is tagged ${ACCESS_LOG_EXEMPTION_TAG} without a reason.`, bucket.urn);
        } else if (hasObjectLock(bucket, locks)) {
            report(`Bucket ${bucket.name} is tagged ${ACCESS_LOG_EXEMPTION_TAG} but has object lock: a locked bucket holds evidence and is not the terminal access-log bucket (S3 does not deliver access logs into a bucket with default retention).`, bucket.urn);
        } else {
            const own = policies.filter((p) => refersTo(p, "bucket", bucket, ["bucket"]));
            const others = [...own.flatMap((p) => statementsOf(p.props.policy)), ...statementsOf(bucket.props.policy)].filter((st: Props) => st.Effect === "Allow" && !onlyLogDelivery(st));
            for (const st of others) {
                report(`Bucket ${bucket.name} is tagged ${ACCESS_LOG_EXEMPTION_TAG} but its policy lets statement ${st.Sid ?? "(no Sid)"} write or read it: the terminal access-log bucket admits only S3 log delivery (logging.s3.amazonaws.com).`, bucket.urn);
            }
        }
    }
});

/** True when a statement denies s3:BypassGovernanceRetention to every principal, unconditionally, on every object of the bucket. */
function deniesBypass(statement: Props, bucketArn: string): boolean {
    const actions = statement.NotAction === undefined ? [statement.Action ?? []].flat().map(String) : [];
    return statement.Effect === "Deny" && everyone(statement) && !statement.Condition
        && actions.some((a) => new RegExp(`^${globSource(a.toLowerCase())}$`).test("s3:bypassgovernanceretention"))
        && coversResource(statement, `${bucketArn}/*`);
}

/** Default least retention of an object lock, in days (the shortest retention the stack config accepts). */
export const DEFAULT_MIN_RETENTION_DAYS = 90;

export const bucketObjectLockImmutable = stackRule({
    name: "aws-s3-object-lock-immutable",
    description: "A bucket with object lock (the audit archive) must lock every new object by default for at least the minimum retention (pack config minRetentionDays, default 90 days), in COMPLIANCE mode (no one can delete or overwrite it until retention ends), or in GOVERNANCE mode with a bucket policy that denies s3:BypassGovernanceRetention to everyone, unconditionally, on every object of this bucket; otherwise anyone granted the bypass permission can erase evidence, and a lock of a day protects nothing.",
    severity: "high",
    controls: ["O1"],
    nist: ["AU-9", "AU-11", "SI-12"],
    maestro: ["L5", "L6"],
    threats: ["T2", "T4"],
    remediation: "Use ArchiveBucket: mcpsec:operations.archiveLockMode compliance (the default in prod), or governance, with which ArchiveBucket adds the DenyGovernanceBypass statement; it retains objects for mcpsec:operations.retentionDays (90 or more).",
    configSchema: { properties: { minRetentionDays: { type: "integer", minimum: 1, default: DEFAULT_MIN_RETENTION_DAYS } } },
}, (resources, args, report) => {
    const minDays = args.getConfig<{ minRetentionDays?: number }>().minRetentionDays ?? DEFAULT_MIN_RETENTION_DAYS;
    const locks = ofType(resources, LOCK);
    const policies = ofType(resources, "aws:s3/bucketPolicy:BucketPolicy");
    for (const bucket of ofType(resources, BUCKET).filter((b) => b.props.objectLockEnabled === true || b.props.objectLockConfiguration)) {
        const lock = locks.find((l) => refersTo(l, "bucket", bucket, ["bucket"]));
        const retention = (lock?.props.rule?.defaultRetention ?? bucket.props.objectLockConfiguration?.rule?.defaultRetention) as Props | undefined;
        if (!retention?.mode) {
            report(`Bucket ${bucket.name} has object lock without a default retention: new objects are not locked.`, bucket.urn);
            continue;
        }
        const days = typeof retention.days === "number" ? retention.days : typeof retention.years === "number" ? retention.years * 365 : 0;
        if (days < minDays) {
            report(`Bucket ${bucket.name} locks new objects for ${days} day(s); at least ${minDays} are required (pack config minRetentionDays).`, bucket.urn);
        }
        if (retention.mode === "COMPLIANCE") {
            continue;
        }
        const own = policies.filter((p) => refersTo(p, "bucket", bucket, ["bucket"]));
        const arn = bucketArnOf(bucket);
        if (!own.some((p) => statementsOf(p.props.policy).some((st: Props) => deniesBypass(st, arn)))) {
            report(`Bucket ${bucket.name} locks in ${retention.mode} mode and its policy does not deny s3:BypassGovernanceRetention to everyone: the lock can be bypassed.`, bucket.urn);
        }
    }
});

export const s3Rules = [bucketPublicAccessBlocked, bucketTlsOnly, bucketAccessLogging, bucketObjectLockImmutable];
