import { createParser } from "eventsource-parser";
import { IDENTITY_HEADERS } from "./proxy";
import type { Guard } from "./proxy";
import { filterTools } from "./core/policy";

/** The guard's own MCP client identity toward its upstream (it holds no scope: it only lists tools). */
const GUARD_SUBJECT = "mcp-guard";

async function rpc(guard: Guard, body: object, sessionId: string | undefined, protocol: string | undefined): Promise<{ message: Record<string, unknown> | undefined; sessionId: string | undefined }> {
    const headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        [IDENTITY_HEADERS.subject]: GUARD_SUBJECT,
        [IDENTITY_HEADERS.client]: GUARD_SUBJECT,
        [IDENTITY_HEADERS.scopes]: "",
    };
    if (sessionId !== undefined) {
        headers["mcp-session-id"] = sessionId;
    }
    if (protocol !== undefined) {
        headers["mcp-protocol-version"] = protocol;
    }
    const res = await fetch(guard.settings.upstreamUrl, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(guard.settings.upstreamTimeoutMs) });
    const sid = res.headers.get("mcp-session-id") ?? sessionId;
    if (!res.ok) {
        throw new Error(`upstream answered ${res.status} to ${(body as { method: string }).method}`);
    }
    const text = await res.text();
    if (!("id" in body)) {
        return { message: undefined, sessionId: sid };
    }
    if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        let found: Record<string, unknown> | undefined;
        const parser = createParser({
            onEvent: (e) => {
                try {
                    const m = JSON.parse(e.data) as Record<string, unknown>;
                    if (m.id === (body as { id: unknown }).id && !("method" in m)) {
                        found = m;
                    }
                } catch {
                    // priming and keep-alive events carry no message
                }
            },
        });
        parser.feed(text);
        return { message: found, sessionId: sid };
    }
    return { message: JSON.parse(text) as Record<string, unknown>, sessionId: sid };
}

/**
 * Learns the upstream's tools with an MCP session of the guard's own (initialize, tools/list over every page, then
 * the session is deleted) and checks each against its pin, so that calls can be validated before any client listed
 * tools. A changed or unknown tool is logged as `tool_changed` and stays uncallable.
 */
export async function verifyUpstreamTools(guard: Guard): Promise<{ approved: number; changed: number }> {
    const init = await rpc(guard, {
        jsonrpc: "2.0", id: 0, method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "mcp-guard", version: "0.1.0" } },
    }, undefined, undefined);
    const result = init.message?.result as { protocolVersion?: string } | undefined;
    if (result === undefined) {
        throw new Error("upstream did not answer initialize");
    }
    const protocol = result.protocolVersion;
    const sessionId = init.sessionId;
    let approved = 0;
    let changed = 0;
    try {
        await rpc(guard, { jsonrpc: "2.0", method: "notifications/initialized" }, sessionId, protocol);
        let cursor: string | undefined;
        for (let page = 1; page <= 100; page++) {
            const list = await rpc(guard, { jsonrpc: "2.0", id: page, method: "tools/list", params: cursor ? { cursor } : {} }, sessionId, protocol);
            const r = list.message?.result as { tools?: unknown; nextCursor?: string } | undefined;
            if (r === undefined) {
                throw new Error("upstream did not answer tools/list");
            }
            const verdict = filterTools(r.tools, undefined, guard.registry);
            approved += verdict.tools.length;
            changed += verdict.changed.length;
            for (const c of verdict.changed) {
                guard.audit.log({ event: "tool_changed", reason: c.verdict.status === "unknown" ? "not_in_manifest" : "digest_mismatch", subject: GUARD_SUBJECT, tool: c.name, announced_sha256: c.verdict.digest, ...(c.verdict.status === "changed" ? { pinned_sha256: c.verdict.pinned } : {}) });
            }
            cursor = typeof r.nextCursor === "string" && r.nextCursor.length > 0 ? r.nextCursor : undefined;
            if (cursor === undefined) {
                break;
            }
        }
    } finally {
        if (sessionId !== undefined) {
            await fetch(guard.settings.upstreamUrl, { method: "DELETE", headers: { "mcp-session-id": sessionId, [IDENTITY_HEADERS.subject]: GUARD_SUBJECT }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
        }
    }
    return { approved, changed };
}
