import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { policyJson, PolicyStatement } from "../common/iam";
import { componentTags } from "../common/tags";

/** AWS services a zone key can be used by, each limited to this account's resources of that service. */
export type KeyUser = "logs" | "cloudtrail" | "alarms" | "autoscaling";

export interface ZoneKeyArgs {
    /** Services that may use the key (besides IAM principals of this account the account's IAM policies allow). */
    users: KeyUser[];
    /** Days before a scheduled deletion happens (7-30). Default 30: time to notice and cancel. */
    deletionWindowInDays?: number;
    /** Days between automatic rotations (90-2560). Default 365. */
    rotationPeriodInDays?: number;
    tags?: Record<string, string>;
}

/**
 * A customer-managed KMS key of a zone (controls S5, O1): automatic rotation, a deletion window, and a key policy
 * that delegates administration to this account's IAM and lets named AWS services use it only for this account's
 * resources (CloudWatch Logs log groups, CloudTrail trails, CloudWatch alarms and EventBridge publishing to SNS).
 */
export class ZoneKey extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;
    public readonly keyId: pulumi.Output<string>;

    constructor(name: string, args: ZoneKeyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const deletionWindowInDays = args.deletionWindowInDays ?? 30;
        if (!Number.isInteger(deletionWindowInDays) || deletionWindowInDays < 7 || deletionWindowInDays > 30) {
            throw new ConfigError(`ZoneKey "${name}".deletionWindowInDays`, `${deletionWindowInDays} is not allowed; expected 7 to 30 days`);
        }
        const rotationPeriodInDays = args.rotationPeriodInDays ?? 365;
        if (!Number.isInteger(rotationPeriodInDays) || rotationPeriodInDays < 90 || rotationPeriodInDays > 2560) {
            throw new ConfigError(`ZoneKey "${name}".rotationPeriodInDays`, `${rotationPeriodInDays} is not allowed; expected 90 to 2560 days`);
        }
        super("mcpsec:secrets:ZoneKey", name, {}, opts);
        const parent = { parent: this };
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;
        const use = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];
        const statements: PolicyStatement[] = [{
            Sid: "AccountAdministersThroughIam", Effect: "Allow",
            Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${account}:root` }, Action: "kms:*", Resource: "*",
        }];
        if (args.users.includes("logs")) {
            statements.push({
                Sid: "CloudWatchLogsOfThisAccount", Effect: "Allow", Principal: { Service: pulumi.interpolate`logs.${region}.amazonaws.com` }, Action: use, Resource: "*",
                Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:*` } },
            });
        }
        if (args.users.includes("cloudtrail")) {
            statements.push({
                Sid: "CloudTrailOfThisAccount", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: ["kms:GenerateDataKey*", "kms:DescribeKey"], Resource: "*",
                Condition: {
                    StringEquals: { "aws:SourceAccount": account },
                    StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.interpolate`arn:${partition}:cloudtrail:*:${account}:trail/*` },
                },
            });
        }
        if (args.users.includes("alarms")) {
            statements.push({
                Sid: "AlarmsAndEventsPublishToEncryptedTopics", Effect: "Allow",
                Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": account } },
            });
        }
        if (args.users.includes("autoscaling")) {
            // EBS volumes of Auto Scaling groups (EKS managed node groups) encrypted with this key: EC2 Auto Scaling's
            // service-linked role uses it and grants it to EC2 for the volumes it creates (EC2 Auto Scaling user guide,
            // "Required AWS KMS key policy for use with encrypted volumes"). The role must exist in the account.
            const autoscaling = pulumi.interpolate`arn:${partition}:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
            statements.push(
                { Sid: "AutoScalingEncryptsVolumes", Effect: "Allow", Principal: { AWS: autoscaling }, Action: use, Resource: "*" },
                { Sid: "AutoScalingGrantsToEc2", Effect: "Allow", Principal: { AWS: autoscaling }, Action: "kms:CreateGrant", Resource: "*", Condition: { Bool: { "kms:GrantIsForAWSResource": true } } },
            );
        }
        const key = new aws.kms.Key(`${name}-key`, {
            description: `MCP Secure Blueprints key ${name}`,
            enableKeyRotation: true,
            rotationPeriodInDays,
            deletionWindowInDays,
            policy: policyJson(...statements),
            tags: componentTags("secrets", `${name}-key`, args.tags),
        }, parent);
        new aws.kms.Alias(`${name}-alias`, { name: `alias/mcpsec/${name}`, targetKeyId: key.keyId }, parent);
        this.arn = key.arn;
        this.keyId = key.keyId;
        this.registerOutputs({ arn: this.arn });
    }
}
