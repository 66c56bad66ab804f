// A multi-tenant server (GUARD_TENANT_CLAIM set): the guard requires the tenant claim on every request, refuses a
// token without it before anything reaches the server, and hands the verified tenant to the server in its trusted
// header (a copy sent by the client is dropped).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IDENTITY_HEADERS } from "../../guard/src/proxy";
import { startHarness, type Harness } from "./harness";
import type { ToolDef } from "./upstream";

const TENANT_CLAIM = "custom:tenant";
const tools: (ToolDef & { scopes: string[] })[] = [{
    name: "whoami", description: "Says which tenant the request is for.", scopes: ["tickets:read"],
    inputSchema: { type: "object", properties: {} },
    call: (_args, ctx) => ({
        content: [{ type: "text", text: "ok" }],
        structuredContent: { tenant: ctx.headers[IDENTITY_HEADERS.tenant] ?? null, subject: ctx.headers[IDENTITY_HEADERS.subject] ?? null },
    }),
}];

let h: Harness;
beforeAll(async () => {
    h = await startHarness(tools, {}, { GUARD_TENANT_CLAIM: TENANT_CLAIM });
});
afterAll(async () => {
    await h.close();
});

const initialize = (token: string, headers: Record<string, string> = {}) => fetch(h.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
});

describe("multi-tenant claim check", () => {
    it("refuses a token without the tenant claim (or with a malformed one) with 401, and the server sees nothing", async () => {
        for (const claims of [{}, { [TENANT_CLAIM]: "" }, { [TENANT_CLAIM]: "acme corp" }, { [TENANT_CLAIM]: ["acme"] }]) {
            const before = h.upstream.seen.length;
            const audited = h.audit.length;
            const res = await initialize(await h.issuer.token(claims), { [IDENTITY_HEADERS.tenant]: "acme" });
            expect(res.status, JSON.stringify(claims)).toBe(401);
            expect(res.headers.get("www-authenticate")).toMatch(/^Bearer resource_metadata="https:\/\/tickets\.mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token"/);
            await new Promise((r) => setTimeout(r, 20));
            expect(h.upstream.seen.slice(before)).toEqual([]);
            expect(h.audit.slice(audited).filter((a) => a.event === "tool_call_denied").map((a) => [a.reason, a.status])).toEqual([["no_tenant", 401]]);
        }
    });

    it("passes the tenant of the token to the server in its trusted header, never a copy the client sent", async () => {
        const token = await h.issuer.token({ [TENANT_CLAIM]: "acme" });
        const before = h.upstream.seen.length;
        const res = await initialize(token, { [IDENTITY_HEADERS.tenant]: "globex" });
        expect(res.status).toBe(200);
        const seen = h.upstream.seen.slice(before);
        expect(seen).toHaveLength(1);
        expect(seen[0].headers[IDENTITY_HEADERS.tenant]).toBe("acme");
        expect(seen[0].headers.authorization).toBeUndefined();

        const { client } = await h.connect(token);
        const result = await client.callTool({ name: "whoami", arguments: {} });
        expect(result.structuredContent).toEqual({ tenant: "acme", subject: "alice" });
        expect([...h.audit].reverse().find((a) => a.event === "tool_call_allowed")).toMatchObject({ tool: "whoami", tenant: "acme" });
    });
});
