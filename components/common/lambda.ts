import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, PolicyStatement } from "./iam";

/** What differs between the project's Lambda functions; the hardening around them is {@link hardenedFunction}'s. */
export interface HardenedFunctionArgs {
    /** The role's description. */
    roleDescription: string;
    /** Retention of the function's log group. */
    logRetentionDays: number;
    /** The key that encrypts the function's log group. */
    logKmsKeyArn?: pulumi.Input<string>;
    /** Statements the role needs beyond writing its own logs and traces. */
    extraStatements?: PolicyStatement[];
    /** The function itself; its name, role, tracing, logging and tags are set here. */
    function: Omit<aws.lambda.FunctionArgs, "name" | "role" | "tracingConfig" | "loggingConfig" | "tags">;
}

/**
 * A Lambda function as every one of this project is built: its own log group `/aws/lambda/<name>` (encrypted, with
 * retention), its own role trusted by Lambda from this account only and allowed to write that group's streams and X-Ray
 * segments (plus `extraStatements`, nothing else), active tracing and JSON logs into that group. Resources are named
 * `<name>` (role, policy, function) and `<name>-logs` (log group), children of `parent`.
 */
export function hardenedFunction(parent: pulumi.Resource, name: string, args: HardenedFunctionArgs, tags: Record<string, string>): { fn: aws.lambda.Function; logGroup: aws.cloudwatch.LogGroup } {
    const opts = { parent };
    const account = aws.getCallerIdentityOutput({}, opts).accountId;
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
        name: `/aws/lambda/${name}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.logKmsKeyArn, tags,
    }, opts);
    const role = new aws.iam.Role(name, {
        description: args.roleDescription,
        assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": account } } }),
        tags,
    }, opts);
    const rolePolicy = new aws.iam.RolePolicy(name, {
        role: role.id,
        policy: policyJson(
            { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logGroup.arn}:log-stream:*` },
            // X-Ray's write actions have no resource-level permissions: "*" is the only resource they accept.
            { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
            ...(args.extraStatements ?? []),
        ),
    }, opts);
    const fn = new aws.lambda.Function(name, {
        ...args.function,
        name,
        role: role.arn,
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags,
    }, { parent, dependsOn: [rolePolicy, logGroup] });
    return { fn, logGroup };
}
