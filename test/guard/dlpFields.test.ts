// DLP beyond the text values of a message (review finding 5): the SSE event's id and name, and object keys. The
// upstream is a pass-through to the SDK reference server that answers calls of `fields` itself, over SSE.
import * as http from "http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dlp } from "../../guard/src/core/dlp";
import { RESOURCE, startHarness, type Harness } from "./harness";
import { startRelay, startUpstream, type Upstream } from "./upstream";

// Built at run time so that no secret scanner flags this file; the shape is a real GitHub token's.
const SECRET_A = ["ghp", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"].join("_");
const SECRET_B = ["ghp", "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"].join("_");

const fields = { name: "fields", description: "Returns fields.", scopes: ["tickets:read"], inputSchema: { type: "object", properties: {} }, call: () => ({ content: [] }) };

let sdk: Upstream;
let relay: http.Server;
let h: Harness;
let token: string;

beforeAll(async () => {
    sdk = await startUpstream({ tools: [fields], json: true });
    const r = await startRelay(sdk.url, (m, res) => {
        if (m?.method !== "tools/call" || m.params?.name !== "fields") return false;
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`id: ${SECRET_A}\nevent: leak-${SECRET_B}\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":{"content":[],"structuredContent":{"${SECRET_A}":"value","keep":{"${SECRET_B}":1}}}}\n\n`);
        return true;
    });
    relay = r.server;
    h = await startHarness([fields], { json: true }, { GUARD_UPSTREAM_URL: r.url });
    token = await h.issuer.token({ scope: `${RESOURCE}/tickets:read` });
});
afterAll(async () => {
    await h.close();
    await new Promise((r) => relay.close(r));
    await sdk.close();
});

describe("DLP outside the text values", () => {
    it("redacts secrets in the SSE event id and name and in object keys, keeping the values", async () => {
        const res = await fetch(h.url, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "fields", arguments: {} } }),
        });
        const text = await res.text();
        expect(text).not.toContain(SECRET_A);
        expect(text).not.toContain(SECRET_B);
        expect(text).toMatch(/^id: \[REDACTED:/m);
        expect(text).toMatch(/^event: leak-\[REDACTED:/m);
        const data = JSON.parse(/^data: (.*)$/m.exec(text)![1]) as { result: { structuredContent: Record<string, unknown> } };
        expect(Object.values(data.result.structuredContent)).toContain("value");
        expect(Object.values(data.result.structuredContent.keep as Record<string, unknown>)).toEqual([1]);
        expect(h.audit.some((a) => a.event === "dlp_redacted" && a.where === "sse_fields")).toBe(true);
    });

    it("gives two keys redacted alike distinct names, and block mode withholds a message with a secret key", async () => {
        const dlp = new Dlp("redact", []);
        await dlp.ready();
        const m = { result: { a: { [SECRET_A]: 1, [SECRET_B]: 2 } } };
        const out = await dlp.scan(m);
        const keys = Object.keys((out.message!.result as { a: Record<string, number> }).a);
        expect(keys).toHaveLength(2);
        expect(keys.every((k) => k.startsWith("[REDACTED:"))).toBe(true);
        expect(Object.values((out.message!.result as { a: Record<string, number> }).a).sort()).toEqual([1, 2]);
        const blocked = await new Dlp("block", []).scan({ result: { [SECRET_A]: "x" } });
        expect(blocked.message).toBeUndefined();
    });
});
