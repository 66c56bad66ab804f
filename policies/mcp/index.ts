// The mcpsec-mcp policy pack: `pulumi preview --policy-pack policies/mcp`, or `mcpsec check`.
import { PolicyPack } from "@pulumi/policy";
import { mcpRules } from "./rules";

new PolicyPack("mcpsec-mcp", {
    description: "MCP tool vetting: poisoning indicators, shadowing, rug pulls, weak schemas, approvals, images.",
    enforcementLevel: "mandatory",
    policies: mcpRules.map((r) => r.policy),
});
