import { loadBlueprintConfig } from "./components/config";
import { buildPattern, MicroservicesOutputs, PatternOutputs } from "./components/patterns";

/**
 * The Pulumi program: validate the stack configuration (nothing is created when it is wrong), then build
 * the pattern it names. Used by `pulumi up` through index.ts and by the offline checker directly.
 */
export async function main(): Promise<PatternOutputs | MicroservicesOutputs> {
    const config = await loadBlueprintConfig();
    return buildPattern(config);
}
