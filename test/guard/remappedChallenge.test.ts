// The guard behind a proxy that renames WWW-Authenticate, as a REST API Gateway HTTP_PROXY integration does
// (x-amzn-Remapped-WWW-Authenticate; pattern 2): the client still learns, from the body, the scope a tool needs.
import * as http from "http";
import { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCE, startHarness, type Harness } from "./harness";
import type { ToolDef } from "./upstream";

const tools: (ToolDef & { scopes: string[] })[] = [
    {
        name: "delete_ticket", description: "Deletes a ticket.", scopes: ["tickets:admin"],
        inputSchema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
        call: (args) => ({ content: [{ type: "text", text: `deleted ${String(args.id)}` }] }),
    },
];

let h: Harness;
let remapper: http.Server;
let url: string;

beforeAll(async () => {
    h = await startHarness(tools);
    const target = new URL(h.url);
    // Passes requests through and renames the challenge header on the way back, nothing else.
    remapper = http.createServer((req, res) => {
        const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
            const headers = { ...up.headers };
            if (headers["www-authenticate"] !== undefined) {
                headers["x-amzn-remapped-www-authenticate"] = headers["www-authenticate"];
                delete headers["www-authenticate"];
            }
            res.writeHead(up.statusCode ?? 502, headers);
            up.pipe(res);
        });
        req.pipe(upstream);
    });
    await new Promise<void>((resolve) => remapper.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(remapper.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
    await new Promise((resolve) => remapper.close(resolve));
    await h.close();
});

describe("guard behind a header-remapping gateway", () => {
    it("names the missing scope and the metadata URL in the 403 body, where the renamed header cannot", async () => {
        const token = await h.issuer.token();
        const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
            body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "delete_ticket", arguments: { id: "1" } } }),
        });
        expect(res.status).toBe(403);
        expect(res.headers.get("www-authenticate")).toBeNull();
        expect(res.headers.get("x-amzn-remapped-www-authenticate")).toContain('error="insufficient_scope"');
        const body = await res.json() as { id: number; error: { code: number; data?: Record<string, string> } };
        expect(body.id).toBe(3);
        expect(body.error.data).toEqual({
            error: "insufficient_scope",
            scope: `${RESOURCE}/tickets:admin`,
            resource_metadata: "https://tickets.mcp.example.com/.well-known/oauth-protected-resource/mcp",
        });
    });
});
