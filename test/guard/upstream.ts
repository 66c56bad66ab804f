// A reference MCP server on loopback, built with the official SDK's low-level Server and Streamable HTTP transport
// (stateful sessions, JSON or SSE responses, optional event store for resumption). It records every HTTP request it
// receives, so tests can assert that a refused request never reached it.
import { randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { InMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { CallToolRequestSchema, isInitializeRequest, ListToolsRequestSchema, type CallToolResult, type ServerCapabilities, type ServerNotification, type ServerRequest } from "@modelcontextprotocol/sdk/types.js";

export interface ToolDef {
    name: string;
    description: string;
    inputSchema: Record<string, unknown>;
    call: (args: Record<string, unknown>, ctx: { server: Server; headers: http.IncomingHttpHeaders; progressToken?: string | number; extra: RequestHandlerExtra<ServerRequest, ServerNotification> }) => Promise<CallToolResult> | CallToolResult;
}

export interface Seen { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }

export interface Upstream {
    url: string;
    port: number;
    seen: Seen[];
    tools: ToolDef[];
    close(): Promise<void>;
}

export interface UpstreamOptions {
    tools: ToolDef[];
    /** JSON responses instead of SSE streams. Default false (SSE). */
    json?: boolean;
    /** Keep events for resumption (Last-Event-ID) and ask clients to poll (SEP-1699). */
    resumable?: boolean;
    capabilities?: ServerCapabilities;
    /** More handlers (resources, prompts ...) on each session's server. */
    setup?: (server: Server) => void;
    /** Record request bodies. Default true (the benchmark turns it off). */
    record?: boolean;
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

export async function startUpstream(opts: UpstreamOptions): Promise<Upstream> {
    const seen: Seen[] = [];
    const transports = new Map<string, StreamableHTTPServerTransport>();
    const newServer = () => {
        const server = new Server({ name: "reference-upstream", version: "1.0.0" }, { capabilities: { tools: { listChanged: true }, ...opts.capabilities } });
        server.setRequestHandler(ListToolsRequestSchema, async () => ({
            tools: opts.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
        }));
        server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
            const tool = opts.tools.find((t) => t.name === request.params.name);
            if (tool === undefined) {
                return { isError: true, content: [{ type: "text", text: `Unknown tool: ${request.params.name}` }] };
            }
            const headers = (extra.requestInfo?.headers ?? {}) as http.IncomingHttpHeaders;
            return tool.call(request.params.arguments ?? {}, { server, headers, progressToken: request.params._meta?.progressToken, extra });
        });
        opts.setup?.(server);
        return server;
    };
    const httpServer = http.createServer(async (req, res) => {
        try {
            const text = req.method === "POST" ? await readBody(req) : "";
            if (opts.record !== false) {
                seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: text });
            }
            const body = text ? JSON.parse(text) : undefined;
            const sid = req.headers["mcp-session-id"];
            let transport = typeof sid === "string" ? transports.get(sid) : undefined;
            if (transport === undefined) {
                if (req.method !== "POST" || sid !== undefined || !isInitializeRequest(body)) {
                    res.writeHead(sid === undefined ? 400 : 404, { "content-type": "application/json" });
                    res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "No valid session" } }));
                    return;
                }
                const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
                    sessionIdGenerator: () => randomUUID(),
                    enableJsonResponse: opts.json ?? false,
                    eventStore: opts.resumable ? new InMemoryEventStore() : undefined,
                    retryInterval: opts.resumable ? 500 : undefined,
                    onsessioninitialized: (id) => { transports.set(id, created); },
                    onsessionclosed: (id) => { transports.delete(id); },
                });
                await newServer().connect(created);
                transport = created;
            }
            await transport.handleRequest(req, res, body);
        } catch (e) {
            if (!res.headersSent) {
                res.writeHead(500, { "content-type": "application/json" });
                res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: (e as Error).message } }));
            }
        }
    });
    httpServer.keepAliveTimeout = 70_000;
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    const port = (httpServer.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}/mcp`, port, seen, tools: opts.tools,
        async close() {
            for (const t of transports.values()) {
                await t.close().catch(() => undefined);
            }
            httpServer.closeAllConnections();
            await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        },
    };
}

/** A JSON-RPC request as an intercepting relay sees it. */
export interface RelayedMessage { id?: unknown; method?: string; params?: { name?: string; arguments?: Record<string, unknown> } }

/**
 * A pass-through to `target` (an SDK reference server) that answers some requests itself: `intercept` gets each parsed
 * request and returns true when it has answered on `res`; everything else is relayed unchanged. Returns the relay and
 * the URL to give the guard as its upstream.
 */
export async function startRelay(target: string, intercept: (m: RelayedMessage | undefined, res: http.ServerResponse) => boolean): Promise<{ server: http.Server; url: string }> {
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            if (intercept(body === "" ? undefined : (JSON.parse(body) as RelayedMessage), res)) return;
            const up = http.request(target, { method: req.method, headers: req.headers }, (ur) => {
                res.writeHead(ur.statusCode ?? 502, ur.headers);
                ur.pipe(res);
            });
            up.end(body === "" ? undefined : body);
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${new URL(target).pathname}` };
}
