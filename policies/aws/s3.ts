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

/** True when a bucket policy denies every request made without TLS. */
function deniesInsecureTransport(policy: unknown): boolean {
    return statementsOf(policy).some((s: Props) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false");
}

export const bucketTlsOnly = stackRule({
    name: "aws-s3-bucket-tls-only",
    description: "Every bucket must have a policy that denies requests not made over TLS (aws:SecureTransport false).",
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
        if (!own.some((p) => deniesInsecureTransport(p.props.policy)) && !deniesInsecureTransport(bucket.props.policy)) {
            report(`Bucket ${bucket.name} accepts requests without TLS.`, bucket.urn);
        }
    }
});

/** The tag that declares the terminal access-log bucket (components/common/bucket.ts ACCESS_LOG_EXEMPTION_TAG). */
export const ACCESS_LOG_EXEMPTION_TAG = "mcpsec:access-log-exemption";
const LOGGING_TYPES = ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"];

/** True when `logging` delivers into `bucket` (by dependency, or by the bucket's name or id as a string). */
function logsInto(logging: PolicyResource, bucket: PolicyResource): boolean {
    return refersTo(logging, "targetBucket", bucket, ["bucket"]);
}

export const bucketAccessLogging = stackRule({
    name: "aws-s3-bucket-access-logging",
    description: "Every bucket must have S3 server access logging to another bucket (who read or deleted which evidence), except the terminal access-log bucket, which receives the others' access logs and is declared by the mcpsec:access-log-exemption tag with its reason. The exemption counts only on a bucket that some bucket of the stack logs into, and a bucket logging into itself does not count (it would log its own deliveries).",
    severity: "medium",
    controls: ["O1"],
    nist: ["AU-2", "AU-12", "AC-2(4)"],
    maestro: ["L5"],
    threats: ["T2", "T4"],
    remediation: "Give LogBucket accessLogs and ArchiveBucket accessLogs (the security zone points both at its terminal access-log bucket), or add an aws.s3.BucketLogging; mark only the bucket that receives the logs with LogBucket terminalAccessLogBucket.",
}, (resources, _args, report) => {
    const loggings = resources.filter((r) => LOGGING_TYPES.includes(r.type));
    const buckets = ofType(resources, BUCKET);
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
        }
    }
});

/** True when a statement denies s3:BypassGovernanceRetention to every principal, unconditionally. */
function deniesBypass(statement: Props): boolean {
    const actions = [statement.Action ?? []].flat().map(String);
    const principal = statement.Principal === "*" || (statement.Principal?.AWS !== undefined && [statement.Principal.AWS].flat().includes("*"));
    return statement.Effect === "Deny" && principal && !statement.Condition
        && actions.some((a) => ["s3:*", "*", "s3:bypassgovernanceretention", "s3:bypass*"].includes(a.toLowerCase()));
}

export const bucketObjectLockImmutable = stackRule({
    name: "aws-s3-object-lock-immutable",
    description: "A bucket with object lock (the audit archive) must lock every new object by default, in COMPLIANCE mode (no one can delete or overwrite it until retention ends), or in GOVERNANCE mode with a bucket policy that denies s3:BypassGovernanceRetention to everyone, unconditionally; otherwise anyone granted the bypass permission can erase evidence.",
    severity: "high",
    controls: ["O1"],
    nist: ["AU-9", "AU-11", "SI-12"],
    maestro: ["L5", "L6"],
    threats: ["T2", "T4"],
    remediation: "Use ArchiveBucket: mcpsec:operations.archiveLockMode compliance (the default in prod), or governance, with which ArchiveBucket adds the DenyGovernanceBypass statement.",
}, (resources, _args, report) => {
    const locks = ofType(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
    const policies = ofType(resources, "aws:s3/bucketPolicy:BucketPolicy");
    for (const bucket of ofType(resources, BUCKET).filter((b) => b.props.objectLockEnabled === true || b.props.objectLockConfiguration)) {
        const lock = locks.find((l) => refersTo(l, "bucket", bucket, ["bucket"]));
        const retention = (lock?.props.rule?.defaultRetention ?? bucket.props.objectLockConfiguration?.rule?.defaultRetention) as Props | undefined;
        if (!retention?.mode) {
            report(`Bucket ${bucket.name} has object lock without a default retention: new objects are not locked.`, bucket.urn);
            continue;
        }
        if (retention.mode === "COMPLIANCE") {
            continue;
        }
        const own = policies.filter((p) => refersTo(p, "bucket", bucket, ["bucket"]));
        if (!own.some((p) => statementsOf(p.props.policy).some(deniesBypass))) {
            report(`Bucket ${bucket.name} locks in ${retention.mode} mode and its policy does not deny s3:BypassGovernanceRetention to everyone: the lock can be bypassed.`, bucket.urn);
        }
    }
});

export const s3Rules = [bucketPublicAccessBlocked, bucketTlsOnly, bucketAccessLogging, bucketObjectLockImmutable];
