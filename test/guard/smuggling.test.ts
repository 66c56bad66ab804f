// Parser differentials (review finding 1): bodies JSON.parse reads as one call and a lenient decoder (Go
// encoding/json v1 case folding, segmentio NUL suffixes, a charset other than UTF-8) reads as another. The guard
// refuses them, and what it forwards is its own serialization of the checked message, never the client's bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldKey, parseBody } from "../../guard/src/core/jsonrpc";
import { RESOURCE, startHarness, type Harness } from "./harness";

const echo = {
    name: "echo", description: "Echoes a text.", scopes: ["tickets:read"],
    inputSchema: { type: "object", properties: { text: { type: "string", maxLength: 100 } }, required: ["text"], additionalProperties: false },
    call: () => ({ content: [{ type: "text" as const, text: "echo" }] }),
};
const del = {
    name: "delete_ticket", description: "Deletes a ticket.", scopes: ["tickets:admin"],
    inputSchema: { type: "object", properties: { id: { type: "string", pattern: "^[0-9]+$" } }, required: ["id"] },
    call: () => ({ content: [{ type: "text" as const, text: "deleted" }] }),
};

const note = {
    name: "note", description: "Keeps a short note.", scopes: ["tickets:read"],
    inputSchema: { type: "object", properties: { text: { type: "string", maxLength: 5 } }, additionalProperties: true },
    call: () => ({ content: [{ type: "text" as const, text: "noted" }] }),
};

let h: Harness;
let readOnly: string;

beforeAll(async () => {
    h = await startHarness([echo, del, note], { json: true });
    readOnly = await h.issuer.token({ scope: `${RESOURCE}/tickets:read` });
});
afterAll(async () => {
    await h.close();
});

function post(body: string | Buffer, contentType = "application/json"): Promise<Response> {
    return fetch(h.url, { method: "POST", headers: { authorization: `Bearer ${readOnly}`, "content-type": contentType, accept: "application/json, text/event-stream" }, body });
}

const smuggled: Record<string, string> = {
    "case-variant Name/Arguments": `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},"Name":"delete_ticket","Arguments":{"id":"1; DROP"}}}`,
    "case-variant Method": `{"jsonrpc":"2.0","id":2,"method":"ping","Method":"tools/call","params":{"name":"delete_ticket","arguments":{"id":"42"}}}`,
    "notification with an ID member": `{"jsonrpc":"2.0","method":"tools/call","ID":3,"params":{"name":"delete_ticket","arguments":{"id":"42"}}}`,
    "long s in params (paramſ)": `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}},"param\u017f":{"name":"delete_ticket","arguments":{"id":"42"}}}`,
    "Kelvin sign in a key": `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}},"\u212aey":1,"key":2}`,
    "NUL-suffixed name": `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"},"name\\u0000":"delete_ticket"}}`,
    "NUL-suffixed name alone (escaped)": `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name\\u0000":"delete_ticket","name":"echo","arguments":{"text":"x"}}}`,
    "argument keys differing by case": `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"text":"ok","TEXT":"${"x".repeat(500)}"}}}`,
    "tools/call without id": `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_ticket","arguments":{"id":"not-a-number"}}}`,
    "ping without id": `{"jsonrpc":"2.0","method":"ping"}`,
    "notification not on the allowlist": `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}`,
    "notification with an id": `{"jsonrpc":"2.0","id":9,"method":"notifications/initialized"}`,
    "id beyond 2^53": `{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}`,
    "number JSON.parse reads as Infinity": `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","n":1e400}}}`,
    "string id over 256 characters": `{"jsonrpc":"2.0","id":"${"i".repeat(300)}","method":"ping"}`,
    "nested deeper than 64": `{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","d":${"[".repeat(80)}${"]".repeat(80)}}}}`,
};

describe("bodies a lenient decoder reads as another call", () => {
    for (const [label, body] of Object.entries(smuggled)) {
        it(`refuses ${label}, and the upstream receives nothing`, async () => {
            expect(parseBody(Buffer.from(body)).ok).toBe(false);
            const before = h.upstream.seen.length;
            const res = await post(body);
            await res.text();
            expect(res.status).toBe(400);
            expect(h.upstream.seen.slice(before)).toEqual([]);
            expect(h.audit.at(-1)).toMatchObject({ event: "tool_call_denied" });
        });
    }

    it("refuses a charset other than UTF-8 (UTF-7 reads as delete_ticket to raw-body/iconv-lite)", async () => {
        for (const type of ["application/json; charset=utf-7", "application/json;charset=UTF-16", "application/json; charset=\"latin1\"", "application/json; x=y"]) {
            const before = h.upstream.seen.length;
            const res = await post(`{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`, type);
            await res.text();
            expect(res.status).toBe(415);
            expect(h.upstream.seen.slice(before)).toEqual([]);
            expect(h.audit.at(-1)).toMatchObject({ event: "tool_call_denied", reason: "unsupported_media_type" });
        }
    });

    it("refuses a body starting with a UTF-8 byte order mark", async () => {
        const before = h.upstream.seen.length;
        const res = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"jsonrpc":"2.0","id":13,"method":"ping"}`)]));
        await res.text();
        expect(res.status).toBe(400);
        expect(h.upstream.seen.slice(before)).toEqual([]);
    });
});

describe("arguments that fold onto a declared one", () => {
    it("refuses an undeclared argument a case-folding decoder reads as a declared one (open schema), upstream untouched", async () => {
        for (const key of ["TEXT", "Text", "text\u0000"]) {
            const before = h.upstream.seen.length;
            const res = await post(JSON.stringify({ jsonrpc: "2.0", id: 20, method: "tools/call", params: { name: "note", arguments: { [key]: "far longer than five" } } }));
            const answer = (await res.json()) as { error: { code: number } };
            expect(answer.error.code, `${JSON.stringify(key)}: ${JSON.stringify(answer)} ${JSON.stringify(h.audit.at(-1))}`).toBe(-32602);
            expect(h.upstream.seen.slice(before)).toEqual([]);
            expect(h.audit.at(-1)).toMatchObject({ event: "tool_call_denied", reason: "invalid_arguments", tool: "note" });
        }
        // Another undeclared argument stays admitted where the schema is open.
        const before = h.upstream.seen.length;
        await (await post(JSON.stringify({ jsonrpc: "2.0", id: 21, method: "tools/call", params: { name: "note", arguments: { text: "ok", tag: "x" } } }))).text();
        expect(h.upstream.seen.slice(before)).toHaveLength(1);
    });
});

describe("what the upstream receives", () => {
    it("is the guard's serialization of the checked message, as application/json, whatever the client sent", async () => {
        const body = `{ "jsonrpc" : "2.0",\n "id":"a\\u0062",  "method":"tools/call","params":{"name":"ech\\u006f","arguments":{"text":"h\\u00e9"}}}`;
        const before = h.upstream.seen.length;
        const res = await post(body, "Application/JSON; charset=UTF-8");
        await res.text();
        const seen = h.upstream.seen.slice(before);
        expect(seen).toHaveLength(1);
        expect(seen[0].body).toBe(`{"jsonrpc":"2.0","id":"ab","method":"tools/call","params":{"name":"echo","arguments":{"text":"hé"}}}`);
        expect(seen[0].headers["content-type"]).toBe("application/json");
        expect(h.audit.filter((a) => a.event === "tool_call_allowed").at(-1)).toMatchObject({ tool: "echo" });
    });

    it("still admits the allowlisted notifications", async () => {
        const before = h.upstream.seen.length;
        const res = await post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`);
        await res.text();
        expect(h.upstream.seen.slice(before)).toHaveLength(1);
    });
});

describe("foldKey", () => {
    it("folds the spellings Go's encoding/json v1 and segmentio match onto the ASCII name", () => {
        for (const k of ["NAME", "Name", "nAmE", "name\u0000", "na\u0000me", "\uff4eame"]) {
            expect(foldKey(k)).toBe("name");
        }
        expect(foldKey("param\u017f")).toBe("params");
        expect(foldKey("\u212aey")).toBe("key");
        expect(foldKey("argument")).not.toBe(foldKey("arguments"));
    });
});
