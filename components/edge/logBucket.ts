import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, privateBucketBasics } from "../common/bucket";
import { policyJson, PolicyStatement } from "../common/iam";

export interface LogBucketArgs {
    /** Days objects are kept. Default 365. */
    retentionDays?: number;
    /** Statements granting a log delivery service write access, added to the bucket policy. */
    deliveryStatements: (bucketArn: pulumi.Output<string>) => PolicyStatement[];
    tags: Record<string, string>;
}

/**
 * A private bucket for access logs: all public access blocked, ACLs disabled (bucket owner enforced), versioning,
 * SSE-S3 encryption (the only server-side encryption load balancer access logs accept), a lifecycle that expires
 * old logs, and a policy that refuses any request not made over TLS.
 */
export class LogBucket extends pulumi.ComponentResource {
    public readonly bucket: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: LogBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:edge:LogBucket", name, {}, opts);
        const parent = { parent: this };
        const bucket = new aws.s3.Bucket(`${name}`, { forceDestroy: false, tags: args.tags }, parent);
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
            ),
        }, { parent: this, dependsOn: [pab] });
        this.bucket = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucket: this.bucket, arn: this.arn });
    }
}
