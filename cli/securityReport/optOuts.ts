import { blueprintSchema } from "../../components/config/schema";
import type { ResourceGraph } from "../graph";

/** An explicit opt-out the stack takes: a config key that weakens a secure default, set to do so. */
export interface OptOut {
    /** The key as a user writes it in the stack file, e.g. `mcpsec:guard.allowUnguarded`, `mcpsec:servers[0].allowMutableImageTag`. */
    key: string;
    value: unknown;
    /** What the key does, from the config schema (its "allowed" text). */
    meaning: string;
}

interface SchemaNode {
    type?: string;
    description?: string;
    properties?: Record<string, SchemaNode>;
    items?: SchemaNode;
}

/**
 * Whether a schema property is an opt-out. The project names opt-outs so that the name says so (`allow...`) and
 * says in the description that setting them is reported; both are read, so a new opt-out key is found without a
 * change here.
 */
export function isOptOutKey(name: string, node: SchemaNode): boolean {
    return node.type === "boolean" && (/^(allow|skip|disable|insecure|unsafe)[A-Z]/.test(name) || /opt-out|reported/i.test(node.description ?? ""));
}

function walk(schema: SchemaNode, value: unknown, at: string, found: OptOut[]): void {
    if (value === undefined || value === null) return;
    if (schema.items && Array.isArray(value)) {
        value.forEach((v, i) => walk(schema.items!, v, `${at}[${i}]`, found));
        return;
    }
    if (!schema.properties || typeof value !== "object" || Array.isArray(value)) return;
    for (const [name, sub] of Object.entries(schema.properties)) {
        const v = (value as Record<string, unknown>)[name];
        const key = at.endsWith(":") ? `${at}${name}` : `${at}.${name}`;
        if (isOptOutKey(name, sub)) {
            if (v === true) found.push({ key, value: v, meaning: sub.description ?? "" });
        } else {
            walk(sub, v, key, found);
        }
    }
}

/** Every opt-out key the stack's configuration sets, found by walking the blueprint's JSON Schema over it. */
export function optOutsOf(graph: ResourceGraph, schema: SchemaNode = blueprintSchema as unknown as SchemaNode): OptOut[] {
    const found: OptOut[] = [];
    for (const [name, sub] of Object.entries(schema.properties ?? {})) {
        const raw = graph.config[`mcpsec:${name}`];
        if (raw === undefined) continue;
        let value: unknown = raw;
        try {
            value = JSON.parse(raw);
        } catch {
            // a plain string value
        }
        if (isOptOutKey(name, sub)) {
            if (value === true) found.push({ key: `mcpsec:${name}`, value, meaning: sub.description ?? "" });
        } else {
            walk(sub, value, `mcpsec:${name}`, found);
        }
    }
    return found;
}
