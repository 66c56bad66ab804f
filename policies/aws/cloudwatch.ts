import { resourceRule } from "../lib/rule";

const LOG_GROUP = ["aws:cloudwatch/logGroup:LogGroup"];

export const logGroupEncrypted = resourceRule({
    name: "aws-cloudwatch-log-group-encrypted",
    description: "Log groups must be encrypted with a customer-managed KMS key. MCP logs hold tool arguments, identities and network metadata; a key you control limits who can read them and lets you revoke access.",
    severity: "medium",
    controls: ["O1"],
    nist: ["AU-9", "SC-28"],
    maestro: ["L5", "L6"],
    threats: ["T2"],
    remediation: "Give the log group kmsKeyId; the blueprint's components do so with their logs key (SegmentedVpc argument logKmsKeyArn, or the key it creates).",
}, LOG_GROUP, (props, _args, report) => {
    if (!props.kmsKeyId) {
        report("The log group has no kmsKeyId: it is encrypted only with a key AWS manages.");
    }
});

export const logGroupRetention = resourceRule({
    name: "aws-cloudwatch-log-group-retention",
    description: "Log groups must keep records for at least the minimum retention (365 days unless the pack config sets minimumRetentionDays), so that an incident can be investigated back to its start. A group without retention keeps records forever, which also passes.",
    severity: "medium",
    controls: ["O1"],
    nist: ["AU-11"],
    maestro: ["L5"],
    threats: ["T2", "T4"],
    remediation: "Set retentionInDays to at least the minimum (mcpsec:network.flowLogRetentionDays for the flow logs; SegmentedVpc argument flowLogRetentionDays).",
    configSchema: {
        properties: { minimumRetentionDays: { type: "integer", minimum: 1, default: 365 } },
    },
}, LOG_GROUP, (props, args, report) => {
    const minimum = (args.getConfig<{ minimumRetentionDays?: number }>().minimumRetentionDays) ?? 365;
    const days = props.retentionInDays;
    if (typeof days === "number" && days !== 0 && days < minimum) {
        report(`retentionInDays is ${days}; the minimum is ${minimum}.`);
    }
});

export const cloudwatchRules = [logGroupEncrypted, logGroupRetention];
