import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, PolicyStatement } from "../common/iam";
import { componentTags } from "../common/tags";

/** Where the SIEM lives. Credentials are read from Secrets Manager by Firehose, never put in the program. */
export type SiemDestination =
    | { type: "http"; url: string; name?: string; credentialsSecretArn: string }
    | { type: "splunk"; hecEndpoint: string; hecTokenSecretArn: string }
    | { type: "opensearch"; domainArn: string; indexName: string };

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
 * Streams the zone's log groups to a SIEM through Kinesis Data Firehose (control O1): an HTTP endpoint, Splunk HEC
 * or OpenSearch, chosen by config; records the SIEM refuses are kept in the archive (KMS-encrypted); the stream is
 * encrypted with the zone key; credentials come from Secrets Manager.
 */
export class SiemExport extends pulumi.ComponentResource {
    public readonly streamArn: pulumi.Output<string>;

    constructor(name: string, args: SiemExportArgs, opts: pulumi.ComponentResourceOptions = {}) {
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
        } else if (d.type === "splunk") {
            statements.push({ Sid: "ReadSiemCredentials", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: d.hecTokenSecretArn });
        } else {
            statements.push(
                { Sid: "DescribeDomain", Effect: "Allow", Action: ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"], Resource: [d.domainArn, `${d.domainArn}/*`] },
                { Sid: "WriteIndex", Effect: "Allow", Action: ["es:ESHttpPost", "es:ESHttpPut"], Resource: [`${d.domainArn}/*`] },
            );
        }
        const role = new aws.iam.Role(`${name}-firehose`, {
            description: "Firehose delivers MCP logs to the SIEM",
            assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": account } } }),
            tags: tags("firehose-role"),
        }, parent);
        const rolePolicy = new aws.iam.RolePolicy(`${name}-firehose`, { role: role.id, policy: policyJson(...statements) }, parent);
        const backup = { bucketArn: args.backupBucketArn, roleArn: role.arn, prefix: "siem-failed/", errorOutputPrefix: "siem-errors/", kmsKeyArn: args.kmsKeyArn, compressionFormat: "GZIP" };
        const stream = new aws.kinesis.FirehoseDeliveryStream(`${name}-stream`, {
            destination: d.type === "http" ? "http_endpoint" : d.type,
            serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: args.kmsKeyArn },
            httpEndpointConfiguration: d.type === "http" ? {
                url: d.url, name: d.name ?? "siem", roleArn: role.arn, s3BackupMode: "FailedDataOnly", s3Configuration: backup,
                secretsManagerConfiguration: { enabled: true, secretArn: d.credentialsSecretArn, roleArn: role.arn },
                requestConfiguration: { contentEncoding: "GZIP" }, retryDuration: 300,
            } : undefined,
            splunkConfiguration: d.type === "splunk" ? {
                hecEndpoint: d.hecEndpoint, hecEndpointType: "Event", s3BackupMode: "FailedEventsOnly", s3Configuration: backup,
                secretsManagerConfiguration: { enabled: true, secretArn: d.hecTokenSecretArn, roleArn: role.arn }, retryDuration: 300,
            } : undefined,
            opensearchConfiguration: d.type === "opensearch" ? {
                domainArn: d.domainArn, indexName: d.indexName, roleArn: role.arn, s3BackupMode: "FailedDocumentsOnly", s3Configuration: backup, indexRotationPeriod: "OneDay",
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
