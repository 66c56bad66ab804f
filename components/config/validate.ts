import * as pulumi from "@pulumi/pulumi";
import Ajv, { ErrorObject } from "ajv";
import { awsRegionSchema, blueprintSchema, DEFAULT_INTERFACE_ENDPOINTS, LOG_RETENTION_DAYS, PatternName } from "./schema";

/** A tool an MCP server offers, as declared in stack config. */
export interface ToolConfig {
    name: string;
    description: string;
}

/** One MCP server to host. */
export interface ServerConfig {
    name: string;
    image: string;
    port: number;
    tools: ToolConfig[];
}

/** Network settings with every default filled in. */
export interface NetworkConfig {
    cidrBlock: string;
    availabilityZoneCount: number;
    flowLogRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
    interfaceEndpoints: string[];
    allowPublicIpOnLaunch: boolean;
}

/** The validated stack configuration the program runs on. */
export interface BlueprintConfig {
    pattern: PatternName;
    environment: string;
    region: string;
    tags: Record<string, string>;
    network: NetworkConfig;
    servers: ServerConfig[];
}

/**
 * A configuration error: one line naming the key, the bad value and what is allowed.
 * It is raised before any resource is created.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        public readonly key: string,
        public readonly detail: string,
    ) {
        super(`invalid stack config: ${key}: ${detail}`);
        this.name = "ConfigError";
    }

    /** True for a ConfigError, also across copies of this module. */
    static isConfigError(e: unknown): e is ConfigError {
        return e instanceof Error && e.name === "ConfigError" && typeof (e as ConfigError).key === "string";
    }
}

const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, unicodeRegExp: true });
const validateBlueprint = ajv.compile(blueprintSchema);
const validateRegion = ajv.compile(awsRegionSchema);

/** Renders a value for an error line: short, one line. */
export function showValue(value: unknown): string {
    if (value === undefined) {
        return "(missing)";
    }
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Turns an Ajv instance path (`/servers/0/port`) into a config key (`mcpsec:servers[0].port`). */
function keyOf(namespace: string, instancePath: string, extra?: string): string {
    const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (extra !== undefined) {
        parts.push(extra);
    }
    let key = `${namespace}:`;
    parts.forEach((part, i) => {
        if (/^\d+$/.test(part)) {
            key += `[${part}]`;
        } else {
            key += i === 0 ? part : `.${part}`;
        }
    });
    return key;
}

function describeError(namespace: string, error: ErrorObject): ConfigError {
    const schema = (error.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
    if (error.propertyName !== undefined) {
        // A map key (not its value) broke the propertyNames schema.
        return new ConfigError(keyOf(namespace, error.instancePath, error.propertyName), `key ${showValue(error.propertyName)} is not allowed; expected ${schema.description ?? "a valid key"}`);
    }
    switch (error.keyword) {
        case "required": {
            const missing = (error.params as { missingProperty: string }).missingProperty;
            const sub = (schema.properties?.[missing] ?? {}) as { description?: string };
            const allowed = sub.description ? `; expected ${sub.description}` : "";
            return new ConfigError(keyOf(namespace, error.instancePath, missing), `is required but missing${allowed}`);
        }
        case "additionalProperties": {
            const extra = (error.params as { additionalProperty: string }).additionalProperty;
            const allowed = Object.keys(schema.properties ?? {}).join(", ");
            return new ConfigError(keyOf(namespace, error.instancePath, extra), `is not a known key; allowed keys: ${allowed}`);
        }
        default: {
            const expected = schema.description ?? error.message ?? "a valid value";
            return new ConfigError(keyOf(namespace, error.instancePath), `${showValue(error.data)} is not allowed; expected ${expected}`);
        }
    }
}

function checkCidr(cidr: string): void {
    const [address, prefix] = cidr.split("/");
    const octets = address.split(".").map(Number);
    if (octets.some((o) => o > 255)) {
        throw new ConfigError("mcpsec:network.cidrBlock", `${showValue(cidr)} is not allowed; expected octets from 0 to 255`);
    }
    const value = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - Number(prefix));
    if (value % size !== 0) {
        throw new ConfigError("mcpsec:network.cidrBlock", `${showValue(cidr)} is not allowed; the address must be the first of its /${prefix} block`);
    }
    const privateRanges: [number, number][] = [
        [10 * 2 ** 24, 8],
        [(172 * 256 + 16) * 2 ** 16, 12],
        [(192 * 256 + 168) * 2 ** 16, 16],
    ];
    const inPrivate = privateRanges.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)) && Number(prefix) >= bits);
    if (!inPrivate) {
        throw new ConfigError("mcpsec:network.cidrBlock", `${showValue(cidr)} is not allowed; expected a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)`);
    }
}

function checkUnique<T>(items: T[], keyName: (i: number) => string, pick: (item: T) => string): void {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
        const value = pick(item);
        const first = seen.get(value.toLowerCase());
        if (first !== undefined) {
            throw new ConfigError(keyName(i), `${showValue(value)} is not allowed; it repeats ${keyName(first)} (names must be unique)`);
        }
        seen.set(value.toLowerCase(), i);
    });
}

/**
 * Validates the raw `mcpsec:` namespace (keys without the prefix, values already parsed from JSON)
 * plus `aws:region`, and returns the configuration with every default filled in.
 * Throws {@link ConfigError} on the first problem. Never mutates its input.
 */
export function validateBlueprintConfig(raw: Record<string, unknown>, region: unknown): BlueprintConfig {
    if (!validateBlueprint(raw)) {
        throw describeError("mcpsec", validateBlueprint.errors![0]);
    }
    if (!validateRegion(region)) {
        const err = validateRegion.errors![0];
        throw new ConfigError("aws:region", region === undefined ? `is required but missing; expected ${awsRegionSchema.description}` : `${showValue(err.data)} is not allowed; expected ${awsRegionSchema.description}`);
    }
    const input = raw as unknown as {
        pattern: PatternName;
        environment: string;
        tags?: Record<string, string>;
        network?: Partial<NetworkConfig>;
        servers: ServerConfig[];
    };
    const network: NetworkConfig = {
        cidrBlock: input.network?.cidrBlock ?? "10.40.0.0/16",
        availabilityZoneCount: input.network?.availabilityZoneCount ?? 3,
        flowLogRetentionDays: input.network?.flowLogRetentionDays ?? 365,
        interfaceEndpoints: [...(input.network?.interfaceEndpoints ?? DEFAULT_INTERFACE_ENDPOINTS)],
        allowPublicIpOnLaunch: input.network?.allowPublicIpOnLaunch ?? false,
    };
    checkCidr(network.cidrBlock);
    checkUnique(input.servers, (i) => `mcpsec:servers[${i}].name`, (s) => s.name);
    input.servers.forEach((server, s) => checkUnique(server.tools, (t) => `mcpsec:servers[${s}].tools[${t}].name`, (t) => t.name));
    return {
        pattern: input.pattern,
        environment: input.environment,
        region: region as string,
        tags: { ...(input.tags ?? {}) },
        network,
        servers: input.servers.map((s) => ({ ...s, tools: s.tools.map((t) => ({ ...t })) })),
    };
}
