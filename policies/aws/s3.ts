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

export const s3Rules = [bucketPublicAccessBlocked, bucketTlsOnly];
