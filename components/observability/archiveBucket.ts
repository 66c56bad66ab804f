import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccessLogTarget, denyInsecureTransport, privateBucketBasics, serverAccessLogging } from "../common/bucket";
import { ConfigError } from "../common/errors";
import { policyJson, PolicyStatement } from "../common/iam";
import { componentTags } from "../common/tags";

export interface ArchiveBucketArgs {
    kmsKeyArn: pulumi.Input<string>;
    /** Days objects are locked against deletion or overwrite (object lock default retention), and kept. Default 365. */
    retentionDays?: number;
    /**
     * Object lock mode of the default retention. COMPLIANCE: no one, not even the root user, can delete or overwrite
     * a locked object version or shorten its retention until it ends. GOVERNANCE: the bucket policy also denies
     * s3:BypassGovernanceRetention to everyone, so bypassing takes a policy change first (recorded by CloudTrail).
     * Default GOVERNANCE; the security zone chooses COMPLIANCE in production (mcpsec:operations.archiveLockMode).
     */
    lockMode?: ArchiveLockMode;
    /** Where the archive's server access logs go (the zone's terminal access-log bucket). */
    accessLogs: AccessLogTarget;
    /** The CloudTrail trail that may deliver to `cloudtrail/`. */
    trailArn?: pulumi.Input<string>;
    /** Let AWS Config of this account deliver to `config/`. */
    allowConfig?: boolean;
    tags?: Record<string, string>;
}

export type ArchiveLockMode = "COMPLIANCE" | "GOVERNANCE";
export const ARCHIVE_LOCK_MODES: readonly ArchiveLockMode[] = ["COMPLIANCE", "GOVERNANCE"];

/** The statement that keeps GOVERNANCE-mode locks from being bypassed by anyone, whatever their IAM permissions. */
export function denyGovernanceBypass(bucketArn: pulumi.Input<string>): PolicyStatement {
    return { Sid: "DenyGovernanceBypass", Effect: "Deny", Principal: "*", Action: "s3:BypassGovernanceRetention", Resource: pulumi.interpolate`${bucketArn}/*` };
}

/** Bucket policy statements for the log delivery services the archive accepts. */
function deliveryStatements(bucketArn: pulumi.Output<string>, account: pulumi.Output<string>, args: ArchiveBucketArgs): PolicyStatement[] {
    const statements: PolicyStatement[] = [];
    if (args.trailArn !== undefined) {
        statements.push(
            { Sid: "CloudTrailChecksAcl", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: { StringEquals: { "aws:SourceArn": args.trailArn } } },
            {
                Sid: "CloudTrailWrites", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:PutObject",
                Resource: pulumi.interpolate`${bucketArn}/cloudtrail/AWSLogs/${account}/*`,
                Condition: { StringEquals: { "aws:SourceArn": args.trailArn, "s3:x-amz-acl": "bucket-owner-full-control" } },
            },
        );
    }
    if (args.allowConfig) {
        statements.push(
            { Sid: "ConfigChecksAcl", Effect: "Allow", Principal: { Service: "config.amazonaws.com" }, Action: ["s3:GetBucketAcl", "s3:ListBucket"], Resource: bucketArn, Condition: { StringEquals: { "aws:SourceAccount": account } } },
            {
                Sid: "ConfigWrites", Effect: "Allow", Principal: { Service: "config.amazonaws.com" }, Action: "s3:PutObject",
                Resource: pulumi.interpolate`${bucketArn}/config/AWSLogs/${account}/Config/*`,
                Condition: { StringEquals: { "aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control" } },
            },
        );
    }
    return statements;
}

/**
 * The immutable archive of audit evidence (control O1): public access blocked, object lock (default retention in
 * COMPLIANCE mode, or GOVERNANCE mode with its bypass denied to everyone), versioning, SSE-KMS with the zone key, a
 * lifecycle that moves old records to Glacier and expires them after retention, server access logs to the zone's
 * access-log bucket, and a policy that refuses requests without TLS.
 */
export class ArchiveBucket extends pulumi.ComponentResource {
    public readonly bucket: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: ArchiveBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const mode = args.lockMode ?? "GOVERNANCE";
        if (!ARCHIVE_LOCK_MODES.includes(mode)) {
            throw new ConfigError(`ArchiveBucket "${name}".lockMode`, `${JSON.stringify(mode)} is not allowed; expected COMPLIANCE or GOVERNANCE`);
        }
        super("mcpsec:observability:ArchiveBucket", name, {}, opts);
        const parent = { parent: this };
        const days = args.retentionDays ?? 365;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const bucket = new aws.s3.Bucket(name, { objectLockEnabled: true, forceDestroy: false, tags: componentTags("observability", name, args.tags) }, parent);
        const { publicAccessBlock: pab, versioning } = privateBucketBasics(name, bucket, parent);
        new aws.s3.BucketObjectLockConfiguration(`${name}-lock`, {
            bucket: bucket.id,
            rule: { defaultRetention: { mode, days } },
        }, { parent: this, dependsOn: [versioning] });
        serverAccessLogging(name, bucket, args.accessLogs, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }],
        }, parent);
        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket: bucket.id,
            rules: [{
                id: "archive-then-expire", status: "Enabled", filter: {},
                transitions: days > 90 ? [{ days: 90, storageClass: "GLACIER" }] : [],
                expiration: { days },
                noncurrentVersionExpiration: { noncurrentDays: days },
            }],
        }, parent);
        new aws.s3.BucketPolicy(`${name}-policy`, {
            bucket: bucket.id,
            policy: policyJson(
                denyInsecureTransport(bucket.arn),
                ...(mode === "GOVERNANCE" ? [denyGovernanceBypass(bucket.arn)] : []),
                ...deliveryStatements(bucket.arn, account, args),
            ),
        }, { parent: this, dependsOn: [pab] });
        this.bucket = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucket: this.bucket, arn: this.arn });
    }
}
