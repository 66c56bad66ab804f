import * as pulumi from "@pulumi/pulumi";
import { BlueprintConfig } from "../config";
import { SegmentedVpc } from "../network";

export interface SecurityZoneArgs {
    /** The validated blueprint configuration. */
    config: BlueprintConfig;
}

/**
 * Pattern 1, the dedicated security zone (P1): MCP servers in their own isolated, tightly segmented
 * network zone with no route to the internet, reaching AWS services only through VPC endpoints.
 */
export class SecurityZone extends pulumi.ComponentResource {
    public readonly network: SegmentedVpc;

    constructor(name: string, args: SecurityZoneArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:patterns:SecurityZone", name, {}, opts);
        const { config } = args;
        const tags = { ...config.tags, "mcpsec:environment": config.environment, "mcpsec:pattern": config.pattern };
        this.network = new SegmentedVpc(`${name}-net`, {
            cidrBlock: config.network.cidrBlock,
            availabilityZoneCount: config.network.availabilityZoneCount,
            interfaceEndpoints: config.network.interfaceEndpoints,
            flowLogRetentionDays: config.network.flowLogRetentionDays,
            allowPublicIpOnLaunch: config.network.allowPublicIpOnLaunch,
            tags,
        }, { parent: this });
        this.registerOutputs({ vpcId: this.network.vpcId });
    }
}
