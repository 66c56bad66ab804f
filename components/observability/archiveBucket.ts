import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, privateBucketBasics } from "../common/bucket";
import { policyJson, PolicyStatement } from "../common/iam";
import { componentTags } from "../common/tags";

export interface ArchiveBucketArgs {
    kmsKeyArn: pulumi.Input<string>;
    /** Days objects are locked against deletion or overwrite (object lock, governance mode), and kept. Default 365. */
    retentionDays?: number;
    /** The CloudTrail trail that may deliver to `cloudtrail/`. */
    trailArn?: pulumi.Input<string>;
    /** Let AWS Config of this account deliver to `config/`. */
    allowConfig?: boolean;
    tags?: Record<string, string>;
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
 * The immutable archive of audit evidence (control O1): public access blocked, object lock (governance mode,
 * default retention), versioning, SSE-KMS with the zone key, a lifecycle that moves old records to Glacier and
 * expires them after retention, and a policy that refuses requests without TLS.
 */
export class ArchiveBucket extends pulumi.ComponentResource {
    public readonly bucket: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: ArchiveBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:observability:ArchiveBucket", name, {}, opts);
        const parent = { parent: this };
        const days = args.retentionDays ?? 365;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const bucket = new aws.s3.Bucket(name, { objectLockEnabled: true, forceDestroy: false, tags: componentTags("observability", name, args.tags) }, parent);
        const { publicAccessBlock: pab, versioning } = privateBucketBasics(name, bucket, parent);
        new aws.s3.BucketObjectLockConfiguration(`${name}-lock`, {
            bucket: bucket.id,
            rule: { defaultRetention: { mode: "GOVERNANCE", days } },
        }, { parent: this, dependsOn: [versioning] });
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
                ...deliveryStatements(bucket.arn, account, args),
            ),
        }, { parent: this, dependsOn: [pab] });
        this.bucket = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucket: this.bucket, arn: this.arn });
    }
}
