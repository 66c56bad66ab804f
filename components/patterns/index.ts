import * as pulumi from "@pulumi/pulumi";
import { BlueprintConfig, ConfigError, PatternName } from "../config";
import { SecurityZone } from "./securityZone";

export * from "./securityZone";

/** Patterns this version can deploy. The others are accepted by the schema and refused here by name. */
export const BUILT_PATTERNS: readonly PatternName[] = ["security-zone"];

/** The stack outputs every pattern returns. */
export interface PatternOutputs {
    pattern: PatternName;
    environment: string;
    vpcId: pulumi.Output<string>;
    privateSubnetIds: pulumi.Output<string>[];
    flowLogGroupName: pulumi.Output<string>;
}

/** Builds the pattern the configuration names and returns its stack outputs. */
export function buildPattern(config: BlueprintConfig): PatternOutputs {
    switch (config.pattern) {
        case "security-zone": {
            const zone = new SecurityZone(`mcp-${config.environment}`, { config });
            return {
                pattern: config.pattern,
                environment: config.environment,
                vpcId: zone.network.vpcId,
                privateSubnetIds: zone.network.privateSubnetIds,
                flowLogGroupName: zone.network.flowLogGroupName,
            };
        }
        default:
            throw new ConfigError("mcpsec:pattern", `${JSON.stringify(config.pattern)} is not built yet in this version; available now: ${BUILT_PATTERNS.join(", ")}`);
    }
}
