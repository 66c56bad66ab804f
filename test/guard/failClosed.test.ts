// Internal errors while relaying (review finding 2): a message nested too deep for any reader, sent on an SSE stream
// that stays open, closes that stream only (never an unhandled rejection that ends the process); on the JSON path it
// is a 500. In both cases a guard_error is logged, nothing of the message reaches the client and /health still
// answers 200. The upstream is a pass-through to the SDK reference server that answers calls of `deep` itself.
import * as http from "http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCE, startHarness, type Harness } from "./harness";
import { startRelay, startUpstream, type Upstream } from "./upstream";

const deep = { name: "deep", description: "Returns structured data.", scopes: ["tickets:read"], inputSchema: { type: "object", properties: { mode: { type: "string" } }, required: ["mode"] }, call: () => ({ content: [] }) };

let sdk: Upstream;
let relay: http.Server;
let h: Harness;
let token: string;
const openStreams: http.ServerResponse[] = [];

function nested(levels: number): string {
    return `${"[".repeat(levels)}"ghp_x"${"]".repeat(levels)}`;
}

beforeAll(async () => {
    sdk = await startUpstream({ tools: [deep], json: true });
    const r = await startRelay(sdk.url, (m, res) => {
        if (m?.method !== "tools/call" || m.params?.name !== "deep") return false;
        const message = `{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":{"content":[],"structuredContent":{"v":${nested(20_000)}}}}`;
        if (m.params.arguments?.mode === "silent") {
            // Headers, then nothing: the guard's deadline, not this server, must end the request.
            res.writeHead(200, { "content-type": "text/event-stream" });
            res.flushHeaders();
            openStreams.push(res);
        } else if (m.params.arguments?.mode === "sse") {
            res.writeHead(200, { "content-type": "text/event-stream" });
            res.write(`event: message\ndata: ${message}\n\n`);
            openStreams.push(res); // kept open: the guard must end it
        } else {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(message);
        }
        return true;
    });
    relay = r.server;
    h = await startHarness([deep], { json: true }, { GUARD_UPSTREAM_URL: r.url, GUARD_UPSTREAM_TIMEOUT_MS: "1000" });
    token = await h.issuer.token({ scope: `${RESOURCE}/tickets:read` });
});
afterAll(async () => {
    openStreams.forEach((r) => r.destroy());
    await h.close();
    await new Promise((r) => relay.close(r));
    await sdk.close();
});

async function call(mode: string): Promise<{ status: number; body: string | undefined }> {
    const res = await fetch(h.url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "deep", arguments: { mode } } }),
        signal: AbortSignal.timeout(5000),
    });
    const body = await res.text().then((t) => t, () => undefined);
    return { status: res.status, body };
}

async function healthy(): Promise<number> {
    return (await fetch(`http://127.0.0.1:${h.guard.port}/health`)).status;
}

describe("an internal error while relaying", () => {
    it("on an open SSE stream closes that stream only, logs guard_error and keeps the guard serving", async () => {
        const errors = h.audit.filter((a) => a.event === "guard_error").length;
        const { status, body } = await call("sse");
        expect(status).toBe(200);
        expect(body ?? "").not.toContain("ghp_x");
        expect(body ?? "").not.toContain("structuredContent");
        const logged = h.audit.filter((a) => a.event === "guard_error").slice(errors);
        expect(logged).toHaveLength(1);
        expect(String(logged[0].detail)).toMatch(/deeper than 64/);
        expect(await healthy()).toBe(200);
        // The guard still serves the next stream.
        expect((await call("sse")).body ?? "").not.toContain("ghp_x");
        expect(await healthy()).toBe(200);
    });

    it("an SSE answer that never brings the response is ended at the upstream deadline (review finding 6)", async () => {
        const started = Date.now();
        const { status } = await call("silent");
        expect(status).toBe(200);
        expect(Date.now() - started).toBeLessThan(4000);
        expect(await healthy()).toBe(200);
    });

    it("on a JSON answer is a 500 with nothing of the message", async () => {
        const { status, body } = await call("json");
        expect(status).toBe(500);
        expect(body).not.toContain("ghp_x");
        expect(h.audit.at(-1)).toMatchObject({ event: "guard_error", reason: "internal_error" });
        expect(await healthy()).toBe(200);
    });
});
