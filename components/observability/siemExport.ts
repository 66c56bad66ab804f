import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { policyJson, PolicyStatement } from "../common/iam";
import { componentTags } from "../common/tags";

/**
 * Where the SIEM lives. Credentials are read from Secrets Manager by Firehose, never put in the program. There is no
 * OpenSearch destination: Firehose does not deliver CloudWatch Logs subscription records to OpenSearch Service (one
 * record holds many log events, and OpenSearch accepts one per record); use an HTTP endpoint in front of it, or a
 * CloudWatch Logs subscription to OpenSearch.
 */
export type SiemDestination =
    | { type: "http"; url: string; name?: string; credentialsSecretArn: string }
    | { type: "splunk"; hecEndpoint: string; hecTokenSecretArn: string };

/**
 * Firehose's own processors for CloudWatch Logs records (no Lambda): gunzip each record, then keep only the log
 * events' messages (dropping the envelope with owner, log group and stream, and CloudWatch Logs' control messages).
 */
export const CLOUDWATCH_LOGS_PROCESSING = {
    enabled: true,
    processors: [
        { type: "Decompression", parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }] },
        { type: "CloudWatchLogProcessing", parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }] },
    ],
};

export interface SiemExportArgs {
    destination: SiemDestination;
    /** Log groups to stream (trail, WAF, flow logs, server logs). */
    logGroupNames: pulumi.Input<string>[];
    kmsKeyArn: pulumi.Input<string>;
    /** Bucket (ARN) that keeps the records the SIEM did not accept. */
    backupBucketArn: pulumi.Input<string>;
    tags?: Record<string, string>;
}

/**
 * Streams the zone's log groups to a SIEM through Amazon Data Firehose (control O1): an HTTP endpoint or Splunk HEC,
 * chosen by config; Firehose decompresses the CloudWatch Logs records and extracts their log events before
 * delivery; records the SIEM refuses are kept in the archive (KMS-encrypted); the stream is encrypted with the zone
 * key; credentials come from Secrets Manager.
 */
export class SiemExport extends pulumi.ComponentResource {
    public readonly streamArn: pulumi.Output<string>;

    constructor(name: string, args: SiemExportArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const type = (args.destination as { type?: unknown }).type;
        if (type !== "http" && type !== "splunk") {
            throw new ConfigError(`SiemExport "${name}".destination.type`, `${JSON.stringify(type)} is not allowed; expected http or splunk (Firehose cannot deliver CloudWatch Logs records to OpenSearch: put an HTTP endpoint in front of it)`);
        }
        super("mcpsec:observability:SiemExport", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("observability", `${name}-${suffix}`, args.tags);
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;
        const d = args.destination;

        const statements: PolicyStatement[] = [
            { Sid: "WriteFailedRecords", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket"], Resource: [args.backupBucketArn, pulumi.interpolate`${args.backupBucketArn}/siem-failed/*`] },
            { Sid: "UseZoneKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
        ];
        if (d.type === "http") {
            statements.push({ Sid: "ReadSiemCredentials", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: d.credentialsSecretArn });
        } else {
            statements.push({ Sid: "ReadSiemCredentials", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: d.hecTokenSecretArn });
        }
        const role = new aws.iam.Role(`${name}-firehose`, {
            description: "Firehose delivers MCP logs to the SIEM",
            assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": account } } }),
            tags: tags("firehose-role"),
        }, parent);
        const rolePolicy = new aws.iam.RolePolicy(`${name}-firehose`, { role: role.id, policy: policyJson(...statements) }, parent);
        const backup = { bucketArn: args.backupBucketArn, roleArn: role.arn, prefix: "siem-failed/", errorOutputPrefix: "siem-errors/", kmsKeyArn: args.kmsKeyArn, compressionFormat: "GZIP" };
        const stream = new aws.kinesis.FirehoseDeliveryStream(`${name}-stream`, {
            destination: d.type === "http" ? "http_endpoint" : "splunk",
            serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: args.kmsKeyArn },
            httpEndpointConfiguration: d.type === "http" ? {
                url: d.url, name: d.name ?? "siem", roleArn: role.arn, s3BackupMode: "FailedDataOnly", s3Configuration: backup,
                secretsManagerConfiguration: { enabled: true, secretArn: d.credentialsSecretArn, roleArn: role.arn },
                requestConfiguration: { contentEncoding: "GZIP" }, retryDuration: 300,
                processingConfiguration: CLOUDWATCH_LOGS_PROCESSING,
            } : undefined,
            splunkConfiguration: d.type === "splunk" ? {
                hecEndpoint: d.hecEndpoint, hecEndpointType: "Event", s3BackupMode: "FailedEventsOnly", s3Configuration: backup,
                secretsManagerConfiguration: { enabled: true, secretArn: d.hecTokenSecretArn, roleArn: role.arn }, retryDuration: 300,
                processingConfiguration: CLOUDWATCH_LOGS_PROCESSING,
            } : undefined,
            tags: tags("stream"),
        }, { parent: this, dependsOn: [rolePolicy] });
        this.streamArn = stream.arn;

        const logsRole = new aws.iam.Role(`${name}-logs`, {
            description: "CloudWatch Logs sends subscribed log groups to the SIEM stream",
            assumeRolePolicy: policyJson({
                Effect: "Allow", Principal: { Service: pulumi.interpolate`logs.${region}.amazonaws.com` }, Action: "sts:AssumeRole",
                Condition: { StringLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:logs:${region}:${account}:*` } },
            }),
            tags: tags("logs-role"),
        }, parent);
        const logsPolicy = new aws.iam.RolePolicy(`${name}-logs`, {
            role: logsRole.id,
            policy: policyJson({ Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch"], Resource: stream.arn }),
        }, parent);
        args.logGroupNames.forEach((group, i) => new aws.cloudwatch.LogSubscriptionFilter(`${name}-${i}`, {
            logGroup: group, filterPattern: "", destinationArn: stream.arn, roleArn: logsRole.arn, distribution: "ByLogStream",
        }, { parent: this, dependsOn: [logsPolicy] }));
        this.registerOutputs({ streamArn: this.streamArn });
    }
}
