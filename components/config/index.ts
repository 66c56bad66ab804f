import * as pulumi from "@pulumi/pulumi";
import { blueprintSchema } from "./schema";
import { checkMcpServerEnvironment } from "../mcp/spec";
import { BlueprintConfig, ConfigError, validateBlueprintConfig } from "./validate";

export * from "./schema";
export * from "./validate";

/** Keys whose value is a map or a list: the engine passes those as JSON text. */
const OBJECT_KEYS = new Set(Object.entries(blueprintSchema.properties)
    .filter(([, schema]) => "type" in schema && (schema.type === "object" || schema.type === "array"))
    .map(([key]) => key));

/**
 * Reads the `mcpsec:` namespace and `aws:region` from the stack configuration (the engine's, or the
 * offline checker's), parses structured values and validates them. Unknown `mcpsec:` keys are errors.
 */
export function readRawConfig(all: Record<string, string> = pulumi.runtime.allConfig()): { raw: Record<string, unknown>; region: unknown } {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(all)) {
        if (!fullKey.startsWith("mcpsec:")) {
            continue;
        }
        const key = fullKey.slice("mcpsec:".length);
        if (!(key in blueprintSchema.properties)) {
            throw new ConfigError(fullKey, `is not a known key; allowed keys: ${Object.keys(blueprintSchema.properties).map((k) => `mcpsec:${k}`).join(", ")}`);
        }
        if (OBJECT_KEYS.has(key)) {
            try {
                raw[key] = JSON.parse(text);
            } catch {
                throw new ConfigError(fullKey, `${JSON.stringify(text.slice(0, 60))} is not allowed; expected a YAML map or list`);
            }
        } else {
            raw[key] = text;
        }
    }
    return { raw, region: all["aws:region"] };
}

/**
 * Loads and validates the blueprint configuration of the current stack, including the checks that need the
 * (asynchronous) secret detector: no credential by value in a server's plain environment.
 */
export async function loadBlueprintConfig(all?: Record<string, string>): Promise<BlueprintConfig> {
    const { raw, region } = readRawConfig(all);
    const config = validateBlueprintConfig(raw, region);
    for (const [i, server] of config.servers.entries()) {
        await checkMcpServerEnvironment(server, `mcpsec:servers[${i}]`);
    }
    return config;
}
