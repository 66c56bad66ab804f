import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ACCESS_LOG_EXEMPTION_REASON, ACCESS_LOG_EXEMPTION_TAG, accessLogDeliveryStatement, AccessLogTarget, denyInsecureTransport, privateBucketBasics, serverAccessLogging } from "../common/bucket";
import { ConfigError } from "../common/errors";
import { policyJson, PolicyStatement } from "../common/iam";

export interface LogBucketArgs {
    /** Days objects are kept. Default 365. */
    retentionDays?: number;
    /** Statements granting a log delivery service write access, added to the bucket policy. */
    deliveryStatements: (bucketArn: pulumi.Output<string>) => PolicyStatement[];
    /** Where this bucket's own server access logs go. Give this or `terminalAccessLogBucket`; with neither the pack reports the bucket. */
    accessLogs?: AccessLogTarget;
    /**
     * This bucket is the terminal access-log bucket: it receives the other buckets' server access logs (its policy
     * admits S3's logging service of this account) and has none itself, which a tag records with the reason.
     * Default false.
     */
    terminalAccessLogBucket?: boolean;
    tags: Record<string, string>;
}

/**
 * A private bucket for access logs: all public access blocked, ACLs disabled (bucket owner enforced), versioning,
 * SSE-S3 encryption (the only server-side encryption load balancer access logs accept), a lifecycle that expires
 * old logs, and a policy that refuses any request not made over TLS. Its own server access logs go to `accessLogs`,
 * unless it is the terminal access-log bucket (`terminalAccessLogBucket`), which receives them.
 */
export class LogBucket extends pulumi.ComponentResource {
    public readonly bucket: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: LogBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        if (args.accessLogs && args.terminalAccessLogBucket) {
            throw new ConfigError(`LogBucket "${name}".accessLogs`, "is not allowed together with terminalAccessLogBucket: the terminal access-log bucket is the one that is not logged");
        }
        super("mcpsec:edge:LogBucket", name, {}, opts);
        const parent = { parent: this };
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        // The terminal bucket's exemption from server access logging is stated on the bucket itself, where Security
        // Hub S3.9 / cdk-nag AwsSolutions-S1 / AWS Config s3-bucket-logging-enabled would flag it.
        const tags = args.terminalAccessLogBucket ? { ...args.tags, [ACCESS_LOG_EXEMPTION_TAG]: ACCESS_LOG_EXEMPTION_REASON } : args.tags;
        const bucket = new aws.s3.Bucket(`${name}`, { forceDestroy: false, tags }, parent);
        if (args.accessLogs) {
            serverAccessLogging(name, bucket, args.accessLogs, parent);
        }
        const { publicAccessBlock: pab } = privateBucketBasics(name, bucket, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        }, parent);
        const days = args.retentionDays ?? 365;
        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket: bucket.id,
            rules: [{
                id: "expire-logs", status: "Enabled", filter: {},
                expiration: { days },
                noncurrentVersionExpiration: { noncurrentDays: 30 },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            }],
        }, parent);
        new aws.s3.BucketPolicy(`${name}-policy`, {
            bucket: bucket.id,
            policy: policyJson(
                denyInsecureTransport(bucket.arn),
                ...args.deliveryStatements(bucket.arn),
                ...(args.terminalAccessLogBucket ? [accessLogDeliveryStatement(bucket.arn, account)] : []),
            ),
        }, { parent: this, dependsOn: [pab] });
        this.bucket = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucket: this.bucket, arn: this.arn });
    }
}
