import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentTags } from "../common/tags";

export interface McpClusterArgs {
    tags?: Record<string, string>;
}

/** The ECS cluster of a pattern: Fargate only, Container Insights on. */
export class McpCluster extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: McpClusterArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:compute:McpCluster", name, {}, opts);
        const cluster = new aws.ecs.Cluster(`${name}-cluster`, {
            settings: [{ name: "containerInsights", value: "enabled" }],
            tags: componentTags("compute", `${name}-cluster`, args.tags),
        }, { parent: this });
        new aws.ecs.ClusterCapacityProviders(`${name}-cluster`, {
            clusterName: cluster.name,
            capacityProviders: ["FARGATE"],
            defaultCapacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1 }],
        }, { parent: this });
        this.arn = cluster.arn;
        this.name = cluster.name;
        this.registerOutputs({ arn: this.arn, name: this.name });
    }
}
