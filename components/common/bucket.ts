import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyStatement } from "./iam";

/**
 * The private basics every blueprint bucket gets: all public access blocked, ACLs disabled (bucket owner
 * enforced) and versioning. Returns the resources others must wait for (the bucket policy needs the block first).
 */
export function privateBucketBasics(name: string, bucket: aws.s3.Bucket, opts: pulumi.CustomResourceOptions): { publicAccessBlock: aws.s3.BucketPublicAccessBlock; versioning: aws.s3.BucketVersioning } {
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
        bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, opts);
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
    return { publicAccessBlock, versioning };
}

/** The bucket policy statement that refuses every request not made over TLS. */
export function denyInsecureTransport(bucketArn: pulumi.Input<string>): PolicyStatement {
    return {
        Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * Tag that declares a bucket the terminal access-log bucket: it receives other buckets' server access logs and has
 * none itself (logging it to itself would log its own log deliveries). Third-party rule sets flag such a bucket
 * (Security Hub S3.9, cdk-nag AwsSolutions-S1, AWS Config s3-bucket-logging-enabled); the tag says why, and the pack
 * accepts it only on a bucket that does receive access logs.
 */
export const ACCESS_LOG_EXEMPTION_TAG = "mcpsec:access-log-exemption";

/** The reason recorded in the exemption tag (tag values allow letters, digits, spaces and _.:/=+-@ only). */
export const ACCESS_LOG_EXEMPTION_REASON = "terminal access-log bucket - receives the S3 server access logs of the other buckets - logging it would log its own deliveries";

/** Where a bucket's server access logs go. */
export interface AccessLogTarget {
    /** Name of the bucket that receives the logs (a terminal access-log bucket, such as LogBucket with `terminal`). */
    bucket: pulumi.Input<string>;
    /** Key prefix for this bucket's logs, e.g. `s3/archive/`. */
    prefix: string;
}

/** Turns on server access logging of `bucket` into the target (S3 delivers through the target's bucket policy). */
export function serverAccessLogging(name: string, bucket: aws.s3.Bucket, target: AccessLogTarget, opts: pulumi.CustomResourceOptions): aws.s3.BucketLogging {
    return new aws.s3.BucketLogging(`${name}-access-logging`, {
        bucket: bucket.id,
        targetBucket: target.bucket,
        targetPrefix: target.prefix,
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
    }, opts);
}

/**
 * The bucket policy statement that lets S3's logging service of this account deliver server access logs (the only
 * way with ACLs disabled; S3 delivers them only to a bucket with SSE-S3 default encryption and no default object
 * lock retention).
 */
export function accessLogDeliveryStatement(bucketArn: pulumi.Input<string>, account: pulumi.Input<string>): PolicyStatement {
    return {
        Sid: "S3ServerAccessLogDelivery", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject",
        Resource: pulumi.interpolate`${bucketArn}/*`, Condition: { StringEquals: { "aws:SourceAccount": account } },
    };
}
