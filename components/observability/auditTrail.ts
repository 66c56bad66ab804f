import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson } from "../common/iam";
import { componentTags } from "../common/tags";

export interface AuditTrailArgs {
    kmsKeyArn: pulumi.Input<string>;
    /** The archive bucket the trail delivers to; its policy must admit this trail (ArchiveBucket's trailArn). */
    archiveBucket: pulumi.Input<string>;
    /** The trail's name (the archive's policy names the trail ARN made from it). */
    trailName: string;
    /** Days the trail's log group keeps records. Default 365. */
    retentionDays?: number;
    tags?: Record<string, string>;
}

/** The ARN a trail of this name will have: the archive policy needs it before the trail exists. */
export function trailArnOf(trailName: string, opts: { parent?: pulumi.Resource } = {}): pulumi.Output<string> {
    const region = aws.getRegionOutput({}, opts).region;
    const account = aws.getCallerIdentityOutput({}, opts).accountId;
    const partition = aws.getPartitionOutput({}, opts).partition;
    return pulumi.interpolate`arn:${partition}:cloudtrail:${region}:${account}:trail/${trailName}`;
}

/**
 * A multi-region CloudTrail trail of every management event (control O1): log file validation, KMS encryption,
 * delivery to the immutable archive and to an encrypted CloudWatch log group (for metric filters and SIEM export).
 */
export class AuditTrail extends pulumi.ComponentResource {
    public readonly trailArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly logGroupArn: pulumi.Output<string>;

    constructor(name: string, args: AuditTrailArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:observability:AuditTrail", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("observability", `${name}-${suffix}`, args.tags);
        const account = aws.getCallerIdentityOutput({}, parent).accountId;

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-trail-logs`, {
            name: `/mcpsec/${name}/cloudtrail`, retentionInDays: args.retentionDays ?? 365, kmsKeyId: args.kmsKeyArn, tags: tags("trail-logs"),
        }, parent);
        const role = new aws.iam.Role(`${name}-trail`, {
            description: "Lets CloudTrail deliver the trail to its log group",
            assumeRolePolicy: policyJson({
                Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": account } },
            }),
            tags: tags("trail-role"),
        }, parent);
        const rolePolicy = new aws.iam.RolePolicy(`${name}-trail`, {
            role: role.id,
            policy: policyJson({ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logGroup.arn}:log-stream:*` }),
        }, parent);
        const trail = new aws.cloudtrail.Trail(`${name}-trail`, {
            name: args.trailName,
            s3BucketName: args.archiveBucket,
            s3KeyPrefix: "cloudtrail",
            isMultiRegionTrail: true,
            includeGlobalServiceEvents: true,
            enableLogFileValidation: true,
            enableLogging: true,
            kmsKeyId: args.kmsKeyArn,
            cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
            cloudWatchLogsRoleArn: role.arn,
            eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }],
            tags: tags("trail"),
        }, { parent: this, dependsOn: [rolePolicy] });
        this.trailArn = trail.arn;
        this.logGroupName = logGroup.name;
        this.logGroupArn = logGroup.arn;
        this.registerOutputs({ trailArn: this.trailArn, logGroupName: this.logGroupName });
    }
}
