// The mcpsec-aws policy pack: `pulumi preview --policy-pack policies/aws`, or `mcpsec check`.
import { PolicyPack } from "@pulumi/policy";
import { awsRules } from "./rules";

new PolicyPack("mcpsec-aws", {
    description: "AWS controls of MCP Secure Blueprints: network segmentation, logging, encryption.",
    enforcementLevel: "mandatory",
    policies: awsRules.map((r) => r.policy),
});
