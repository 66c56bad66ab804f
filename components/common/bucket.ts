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
