/**
 * The request model of POST /<server>/mcp (components/apigateway/requestModel.ts), checked with a JSON Schema draft 4
 * validator (the dialect of API Gateway models) against the bodies the MCP SDK client really sends: a client talks
 * Streamable HTTP to an SDK server on a loopback port, and every POST body is recorded on the way.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import Ajv from "ajv-draft-04";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { mcpRequestModel } from "../../components/apigateway";
import { mcpWebAclRules } from "../../components/edge/webAcl";
import { MCP_CLIENT_METHODS } from "../../components/mcp/methods";

const ajv = new Ajv({ strict: false, allErrors: true });
const model = ajv.compile(mcpRequestModel());

/** What the stage lets through to the integration: the model, and the web ACL's body size rule on the same stage. */
const MAX_BODY = (() => {
    const rules = mcpWebAclRules({ allowedMethods: [...MCP_CLIENT_METHODS], rateLimitPerIp: 1000, rateLimitPerToken: 600, maxBodyBytes: 8192, mcpPaths: ["/docs/mcp"] });
    const sizes = rules.map((r) => (r.Statement as { SizeConstraintStatement?: { Size: number } }).SizeConstraintStatement).filter((st) => st !== undefined);
    expect(sizes).toHaveLength(1);
    return sizes[0]!.Size;
})();
const admitted = (body: string): boolean => Buffer.byteLength(body) <= MAX_BODY && model(JSON.parse(body)) === true;

const bodies: string[] = [];
let server: http.Server;
let url: URL;

beforeAll(async () => {
    server = http.createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) {
            chunks.push(c as Buffer);
        }
        const text = Buffer.concat(chunks).toString("utf8");
        if (req.method === "POST") {
            bodies.push(text);
        }
        // Stateless: a new SDK server per request, as a Streamable HTTP server without sessions does it.
        const mcp = new Server({ name: "docs", version: "1.0.0" }, { capabilities: { tools: {} } });
        mcp.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: "search_docs", description: "Search.", inputSchema: { type: "object", properties: { query: { type: "string" } } } }] }));
        mcp.setRequestHandler(CallToolRequestSchema, async (request) => ({ content: [{ type: "text", text: `found ${String(request.params.arguments?.query)}` }] }));
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        await mcp.connect(transport);
        await transport.handleRequest(req, res, text === "" ? undefined : JSON.parse(text));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/docs/mcp`);
    const client = new Client({ name: "test-client", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url));
    await client.listTools();
    const result = await client.callTool({ name: "search_docs", arguments: { query: "tls" } });
    expect(result.content).toEqual([{ type: "text", text: "found tls" }]);
    await client.close();
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the API's request model against the MCP SDK client", () => {
    it("recorded what the SDK client sent: initialize, the initialized notification, tools/list and tools/call", () => {
        const methods = bodies.map((b) => JSON.parse(b).method);
        expect(methods).toEqual(expect.arrayContaining(["initialize", "notifications/initialized", "tools/list", "tools/call"]));
    });

    it("admits every message the SDK client sent", () => {
        for (const body of bodies) {
            expect(model(JSON.parse(body)), `${body}: ${ajv.errorsText(model.errors)}`).toBe(true);
            expect(admitted(body)).toBe(true);
        }
    });

    it("admits a client's response to a server request (sampling, elicitation, roots)", () => {
        expect(model({ jsonrpc: "2.0", id: 7, result: { roots: [] } })).toBe(true);
        expect(model({ jsonrpc: "2.0", id: "s-1", error: { code: -32601, message: "not supported" } })).toBe(true);
    });

    const call = () => JSON.parse(bodies.find((b) => JSON.parse(b).method === "tools/call")!);

    it.each<[string, (c: Record<string, unknown>) => unknown]>([
        ["a body that is not JSON-RPC", () => ({ query: "tls" })],
        ["a JSON-RPC version other than 2.0", (c) => ({ ...c, jsonrpc: "1.0" })],
        ["an unknown method", (c) => ({ ...c, method: "tools/delete" })],
        ["a server-side method sent by a client", (c) => ({ ...c, method: "sampling/createMessage" })],
        ["a batch", (c) => [c, c]],
        ["an unknown top-level member", (c) => ({ ...c, extra: true })],
        ["a response with both result and error", () => ({ jsonrpc: "2.0", id: 1, result: {}, error: { code: 1, message: "x" } })],
        ["a response without an id", () => ({ jsonrpc: "2.0", result: {} })],
        ["an over-long id", (c) => ({ ...c, id: "x".repeat(129) })],
    ])("refuses %s", (_label, make) => {
        const body = make(call());
        expect(model(body)).toBe(false);
        expect(admitted(JSON.stringify(body))).toBe(false);
    });

    it("refuses an oversized body: a tools/call the model accepts but the stage's size rule blocks", () => {
        const big = { ...call(), params: { name: "search_docs", arguments: { query: "x".repeat(MAX_BODY) } } };
        expect(MAX_BODY).toBe(8192);
        expect(model(big)).toBe(true);
        expect(admitted(JSON.stringify(big))).toBe(false);
        const fits = { ...call(), params: { name: "search_docs", arguments: { query: "x".repeat(MAX_BODY - 200) } } };
        expect(admitted(JSON.stringify(fits))).toBe(true);
    });

    it("is written in draft 4 with no keyword API Gateway models lack", () => {
        const text = JSON.stringify(mcpRequestModel());
        expect(mcpRequestModel().$schema).toBe("http://json-schema.org/draft-04/schema#");
        expect(text).not.toMatch(/"\$ref"|"const"|"if"|"contains"|"propertyNames"/);
    });
});
