// Audit lines stay one valid JSON object well under 16 KB whatever the client sends (review finding 3): the awslogs
// driver splits longer lines into several CloudWatch events, which the McpAlerts filter { $.event = "tool_call_denied" }
// no longer matches, so a client could hide its own denials behind long ids or method names.
import { spawnSync } from "child_process";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Audit, MAX_LINE_BYTES } from "../../guard/src/audit";
import { RESOURCE, startHarness, type Harness } from "./harness";

const CLOUDWATCH_SPLIT = 16 * 1024;

describe("Audit.log", () => {
    it("bounds every field, marks the line truncated, and cuts an oversized line to its essential fields", () => {
        const lines: string[] = [];
        const audit = new Audit("tickets", (l) => lines.push(l));
        const huge = "\u0000".repeat(20_000);
        audit.log({ event: "tool_call_denied", reason: "method_not_allowed", method: huge, tool: huge, request_id: huge, subject: "alice", kinds: Array.from({ length: 100 }, () => huge), nested: { a: huge } });
        audit.log({ event: "tool_call_denied", reason: "insufficient_scope", method: "tools/call", tool: "x".repeat(300), status: 403 });
        for (const line of lines) {
            expect(line.endsWith("\n")).toBe(true);
            expect(line.slice(0, -1)).not.toContain("\n");
            expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES + 1);
            expect(JSON.parse(line)).toMatchObject({ event: "tool_call_denied", server: "tickets", truncated: true });
        }
        expect(JSON.parse(lines[0])).toMatchObject({ reason: "method_not_allowed", subject: "alice" });
        expect(JSON.parse(lines[1])).toMatchObject({ reason: "insufficient_scope", tool: "x".repeat(256), status: 403 });
    });
});

describe("through the guard", () => {
    let h: Harness;
    let token: string;
    beforeAll(async () => {
        const echo = { name: "echo", description: "Echoes a text.", scopes: ["tickets:admin"], inputSchema: { type: "object", properties: {} }, call: () => ({ content: [] }) };
        h = await startHarness([echo], { json: true });
        token = await h.issuer.token({ scope: `${RESOURCE}/tickets:read` });
    });
    afterAll(async () => {
        await h.close();
    });

    async function denied(body: string): Promise<Record<string, unknown>> {
        const before = h.upstream.seen.length;
        const res = await fetch(h.url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body });
        await res.text();
        expect(h.upstream.seen.slice(before)).toEqual([]);
        const line = h.audit.at(-1)!;
        expect(Buffer.byteLength(JSON.stringify(line))).toBeLessThan(CLOUDWATCH_SPLIT);
        expect(line.event).toBe("tool_call_denied");
        return line;
    }

    it("a 20 KB method name is denied on one short line the McpAlerts filter still counts", async () => {
        const line = await denied(JSON.stringify({ jsonrpc: "2.0", id: 1, method: `x/${"m".repeat(20_000)}` }));
        expect(line).toMatchObject({ reason: "method_not_allowed", truncated: true });
        expect(String(line.method)).toHaveLength(256);
    });

    it("a 20 KB JSON-RPC id is refused (ids over 256 characters), on one short line", async () => {
        const line = await denied(JSON.stringify({ jsonrpc: "2.0", id: "i".repeat(20_000), method: "tools/call", params: { name: "echo", arguments: {} } }));
        expect(line.reason).toBe("invalid_jsonrpc");
    });

    it("a 20 KB tool name without scope is denied on one short line", async () => {
        const line = await denied(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "t".repeat(20_000), arguments: {} } }));
        expect(String(line.tool).length).toBeLessThanOrEqual(256);
    });
});

describe("the stdout sink", () => {
    it("writes denials and changed tools before log() returns: a SIGKILL in the same turn loses none", () => {
        const code = `
            const { Audit } = require(${JSON.stringify(path.resolve(__dirname, "../../guard/src/audit"))});
            const a = new Audit("tickets");
            a.log({ event: "tool_call_allowed", reason: "buffered" });
            a.log({ event: "tool_call_denied", reason: "r1" });
            a.log({ event: "tool_changed", reason: "r2" });
            process.kill(process.pid, "SIGKILL");
        `;
        const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { encoding: "utf8", timeout: 20_000 });
        expect(r.signal).toBe("SIGKILL");
        const events = r.stdout.split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { event: string }).event);
        expect(events).toEqual(["tool_call_allowed", "tool_call_denied", "tool_changed"]);
    });
});
