import * as pulumi from "@pulumi/pulumi";
import type { ErrorObject } from "ajv";

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


/** Renders a value for an error line: short, one line. */
export function showValue(value: unknown): string {
    if (value === undefined) {
        return "(missing)";
    }
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Turns an Ajv instance path (`/servers/0/port`) into a key: `mcpsec:servers[0].port` under the prefix `mcpsec:`,
 * `server.tools[0].name` under the prefix `server`.
 */
function keyOf(prefix: string, instancePath: string, extra?: string): string {
    const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (extra !== undefined) {
        parts.push(extra);
    }
    let key = prefix;
    parts.forEach((part, i) => {
        if (/^\d+$/.test(part)) {
            key += `[${part}]`;
        } else {
            key += i === 0 && prefix.endsWith(":") ? part : `.${part}`;
        }
    });
    return key;
}

/**
 * The first Ajv error as a ConfigError naming the key (under `prefix`), the value and what is allowed. A failed
 * `oneOf` is described as a whole (its branches' own errors would name only one alternative).
 */
export function describeAjvError(prefix: string, errors: ErrorObject[]): ConfigError {
    const error = errors.find((e) => e.keyword === "oneOf") ?? errors[0];
    const schema = (error.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
    if (error.propertyName !== undefined) {
        // A map key (not its value) broke the propertyNames schema.
        return new ConfigError(keyOf(prefix, error.instancePath, error.propertyName), `key ${showValue(error.propertyName)} is not allowed; expected ${schema.description ?? "a valid key"}`);
    }
    switch (error.keyword) {
        case "required": {
            const missing = (error.params as { missingProperty: string }).missingProperty;
            const sub = (schema.properties?.[missing] ?? {}) as { description?: string };
            const allowed = sub.description ? `; expected ${sub.description}` : "";
            return new ConfigError(keyOf(prefix, error.instancePath, missing), `is required but missing${allowed}`);
        }
        case "additionalProperties": {
            const extra = (error.params as { additionalProperty: string }).additionalProperty;
            const allowed = Object.keys(schema.properties ?? {}).join(", ");
            return new ConfigError(keyOf(prefix, error.instancePath, extra), `is not a known key; allowed keys: ${allowed}`);
        }
        default: {
            const expected = schema.description ?? error.message ?? "a valid value";
            return new ConfigError(keyOf(prefix, error.instancePath), `${showValue(error.data)} is not allowed; expected ${expected}`);
        }
    }
}


/** Throws a ConfigError at the first item whose name (case-insensitive) repeats an earlier one, naming both. */
export function checkUnique<T>(items: T[], keyName: (i: number) => string, pick: (item: T) => string): void {
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
