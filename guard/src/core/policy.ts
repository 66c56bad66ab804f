import type { Identity } from "./claims";
import { foldKey, type RpcMessage } from "./jsonrpc";
import type { AnnouncedTool, ToolRegistry, Verdict } from "./manifest";

/** What the guard does with one client message. Pure data; the adapter turns it into HTTP. */
export type Decision =
    | { allow: true; tool?: string }
    | { allow: false; reason: string; tool?: string; http: 403; scope: string; message: string }
    | { allow: false; reason: string; tool?: string; http: 200; rpcCode: number; message: string };

function hasAny(identity: Identity, scopes: string[]): boolean {
    return scopes.some((s) => identity.scopes.includes(s));
}

/**
 * Decides one authenticated message: methods by allowlist (deny by default); `tools/call` only to a pinned tool
 * whose approved definition was verified and has not changed since, with one of its scopes and arguments valid
 * against its approved input schema. Pure over the registry's state.
 */
export function decide(identity: Identity, message: RpcMessage, registry: ToolRegistry, methods: readonly string[], resource: string): Decision {
    if (message.kind === "response") {
        return { allow: true };
    }
    if (!methods.includes(message.method)) {
        return { allow: false, reason: "method_not_allowed", http: 200, rpcCode: -32601, message: `Method not allowed: ${message.method.slice(0, 64)}` };
    }
    if (message.kind !== "request" || message.method !== "tools/call") {
        return { allow: true };
    }
    const name = message.params?.name;
    if (typeof name !== "string") {
        return { allow: false, reason: "invalid_params", http: 200, rpcCode: -32602, message: "tools/call needs params.name (a string)" };
    }
    const tool = name.slice(0, 128);
    const callable = registry.callable(name);
    if (!callable.ok) {
        // An unapproved tool is not revealed as existing: the same answer as for a tool the server does not have.
        return { allow: false, reason: callable.reason, tool, http: 200, rpcCode: -32602, message: `Unknown tool: ${tool}` };
    }
    if (!hasAny(identity, callable.tool.scopes)) {
        return {
            allow: false, reason: "insufficient_scope", tool, http: 403,
            scope: callable.tool.scopes.map((s) => `${resource}/${s}`).join(" "),
            message: `Calling ${tool} needs one of the scopes ${callable.tool.scopes.join(", ")}`,
        };
    }
    const args = message.params?.arguments ?? {};
    // An argument spelled so that a case-folding decoder (Go encoding/json v1 ...) reads it as a declared property
    // it is not: the schema checks one member, the server would use the other.
    const declared = Object.keys((callable.validate.schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
    const lookalike = typeof args === "object" && args !== null && !Array.isArray(args)
        ? Object.keys(args).find((k) => !declared.includes(k) && declared.some((p) => foldKey(p) === foldKey(k)))
        : undefined;
    if (lookalike !== undefined) {
        return { allow: false, reason: "invalid_arguments", tool, http: 200, rpcCode: -32602, message: `Invalid arguments for tool ${tool}: ${JSON.stringify(lookalike.slice(0, 64))} is not a declared argument but reads as one to some JSON decoders` };
    }
    if (!callable.validate(args)) {
        const e = callable.validate.errors?.[0];
        const extra = e?.keyword === "additionalProperties" ? ` (${JSON.stringify(String((e.params as { additionalProperty?: unknown }).additionalProperty).slice(0, 64))})` : "";
        const where = e ? `${e.instancePath || "arguments"} ${e.message ?? "is invalid"}${extra}` : "arguments are invalid";
        return { allow: false, reason: "invalid_arguments", tool, http: 200, rpcCode: -32602, message: `Invalid arguments for tool ${tool}: ${where}` };
    }
    return { allow: true, tool };
}

/**
 * The members of an announced tool that its pin covers (components/mcp/digest.ts: name, description, inputSchema).
 * Everything else (title, annotations such as readOnlyHint, outputSchema, icons, _meta) is not approved and is
 * dropped, so a server cannot change what a client shows or auto-approves without changing the digest.
 */
export function pinnedMembers(tool: AnnouncedTool): AnnouncedTool {
    return {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        ...(tool.inputSchema !== undefined ? { inputSchema: tool.inputSchema } : {}),
    };
}

export interface ListFilterResult {
    tools: AnnouncedTool[];
    /** Tools dropped because their definition is not the pinned one (or not pinned at all). */
    changed: { name: string; verdict: Verdict }[];
}

/**
 * Filters a `tools/list` result: only pinned tools whose announced definition hashes to the pin, and of those only
 * the ones the caller holds a scope for. Records every verdict in the registry (a changed tool stops being callable).
 */
export function filterTools(tools: unknown, identity: Identity | undefined, registry: ToolRegistry): ListFilterResult {
    const kept: AnnouncedTool[] = [];
    const changed: ListFilterResult["changed"] = [];
    for (const t of Array.isArray(tools) ? tools : []) {
        if (typeof t !== "object" || t === null || typeof (t as AnnouncedTool).name !== "string") {
            continue;
        }
        const tool = t as AnnouncedTool;
        const verdict = registry.observe(tool);
        if (verdict.status !== "approved") {
            changed.push({ name: tool.name.slice(0, 128), verdict });
            continue;
        }
        const pin = registry.pin(tool.name)!;
        if (identity === undefined || hasAny(identity, pin.scopes)) {
            kept.push(pinnedMembers(tool));
        }
    }
    return { tools: kept, changed };
}
