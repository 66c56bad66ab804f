import { randomUUID } from "crypto";
import * as http from "http";
import * as https from "https";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { JWTVerifyGetKey } from "jose";
import { Audit, elapsedMs, findingFields, type AuditRecord, type AuditSink } from "./audit";
import { Authenticator } from "./auth";
import type { Identity } from "./core/claims";
import { Dlp } from "./core/dlp";
import { depthExceeds, idKey, MAX_DEPTH, parseBody, rpcError, type RpcId, type RpcRequest } from "./core/jsonrpc";
import { ToolRegistry } from "./core/manifest";
import { decide, filterTools } from "./core/policy";
import type { GuardSettings } from "./settings";

/** Headers only the guard sets for the upstream: any copy a client sends is dropped with everything else. */
export const IDENTITY_HEADERS = {
    subject: "x-mcp-guard-subject",
    client: "x-mcp-guard-client-id",
    scopes: "x-mcp-guard-scopes",
    tenant: "x-mcp-guard-tenant",
    requestId: "x-mcp-guard-request-id",
} as const;

/**
 * Request headers passed to the upstream (allowlist): never Authorization, cookies or encodings DLP cannot read. Not
 * Content-Type either: a body goes up as the guard's own serialization, labelled `application/json`.
 */
const FORWARD_REQUEST = ["accept", "mcp-session-id", "mcp-protocol-version", "last-event-id", "user-agent"];
/** Response headers passed back (allowlist); bodies are rewritten, so lengths are recomputed. */
const FORWARD_RESPONSE = ["content-type", "mcp-session-id", "mcp-protocol-version", "cache-control", "retry-after"];

interface Session { subject: string; clientId: string; pendingLists: Set<string> }

interface Exchange {
    rid: string;
    started: number;
    identity?: Identity;
    sessionId?: string;
    request?: RpcRequest;
    audit: Partial<AuditRecord>;
    /** Called once the upstream's response to `request` has been relayed (ends the upstream deadline). */
    onResponse?: () => void;
}

/**
 * How long an SSE stream may stay silent once no response is awaited on it (GET streams, and a POST stream after its
 * response): longer than the ALB's 60 s idle timeout, so a server's keep-alive comments keep it open.
 */
const STREAM_IDLE_MS = 5 * 60_000;

export interface GuardOptions {
    /** Key resolver for tests; by default the issuer's JWKS over HTTPS. */
    keys?: JWTVerifyGetKey;
    auditSink?: AuditSink;
    tls?: { cert: string; key: string };
}

/** Host header against the allowlist: an entry with a port matches exactly, one without matches any port. */
export function hostAllowed(header: string | undefined, allowed: readonly string[]): boolean {
    const host = (header ?? "").toLowerCase();
    if (host === "" || allowed.includes(host)) {
        return host !== "";
    }
    const name = host.replace(/:\d{1,5}$/, "");
    return name !== host && allowed.includes(name);
}

/**
 * `application/json`, with no parameter but `charset=utf-8`: an upstream that honours another charset (UTF-7 ...)
 * would decode the bytes to a message the guard never read.
 */
export function jsonContentType(header: string | undefined): boolean {
    const [type, ...params] = (header ?? "").split(";").map((p) => p.trim().toLowerCase());
    return type === "application/json" && params.every((p) => p === "" || /^charset\s*=\s*"?utf-8"?$/.test(p));
}

export class Guard {
    readonly audit: Audit;
    readonly server: http.Server;
    private readonly auth: Authenticator;
    private readonly dlp: Dlp;
    private readonly sessions = new Map<string, Session>();
    /** Keep-alive pool to the upstream: more sockets than any client concurrency the guard serves at once. */
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256, noDelay: true } as http.AgentOptions);
    /** Where every request goes, worked out once from the settings rather than per request. */
    private readonly target: { host: string; port: string | number; path: string };
    private draining = false;

    constructor(readonly settings: GuardSettings, readonly registry: ToolRegistry, opts: GuardOptions = {}) {
        this.audit = new Audit(settings.serverName, opts.auditSink);
        this.auth = new Authenticator(settings, opts.keys);
        this.dlp = new Dlp(settings.dlpMode, settings.piiClasses);
        const up = settings.upstreamUrl;
        this.target = { host: up.hostname.replace(/^\[|\]$/g, ""), port: up.port || 80, path: up.pathname };
        const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
            this.handle(req, res).catch((e) => this.failClosed(res, e));
        };
        this.server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: "TLSv1.2", noDelay: true }, handler) : http.createServer({ noDelay: true }, handler);
        // Longer than the ALB's idle timeout (60 s), so the load balancer, not the guard, closes idle connections.
        this.server.keepAliveTimeout = 65_000;
        this.server.headersTimeout = 66_000;
        // The whole request (headers and body) must arrive within this; a response (an SSE stream) is not bounded by it.
        this.server.requestTimeout = 70_000;
    }

    async listen(): Promise<number> {
        await this.dlp.ready();
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(this.settings.listenPort, this.settings.listenHost, () => resolve());
        });
        const addr = this.server.address();
        return typeof addr === "object" && addr !== null ? addr.port : this.settings.listenPort;
    }

    /** Stops accepting, lets requests in flight finish for up to `graceMs`, then closes what is left (SSE streams). */
    async close(graceMs = 10_000): Promise<void> {
        this.draining = true;
        const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
        this.server.closeIdleConnections();
        const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        this.agent.destroy();
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const x: Exchange = { rid: randomUUID(), started: performance.now(), audit: {} };
        const path = (req.url ?? "").split("?")[0];
        if (path === this.settings.healthPath && req.method === "GET") {
            res.writeHead(this.draining ? 503 : 200, { "content-type": "application/json", "cache-control": "no-store" });
            res.end(JSON.stringify({ status: this.draining ? "draining" : "ok" }));
            return;
        }
        // DNS rebinding and cross-site requests: Host and Origin must be on the allowlists.
        if (!hostAllowed(req.headers.host, this.settings.allowedHosts)) {
            return this.deny(res, x, 403, "host_not_allowed", rpcError(null, -32600, "Host not allowed"));
        }
        const origin = req.headers.origin;
        if (origin !== undefined && !this.settings.allowedOrigins.includes(origin)) {
            return this.deny(res, x, 403, "origin_not_allowed", rpcError(null, -32600, "Origin not allowed"));
        }
        if (path !== this.settings.mcpPath) {
            return this.deny(res, x, 404, "unknown_path", rpcError(null, -32600, "Not found"));
        }
        if (req.method !== "POST" && req.method !== "GET" && req.method !== "DELETE") {
            res.setHeader("allow", "GET, POST, DELETE");
            return this.deny(res, x, 405, "http_method_not_allowed", rpcError(null, -32600, "Method not allowed"));
        }
        const verdict = await this.auth.authenticate(req.headers.authorization);
        if (!verdict.ok) {
            const challenge = `Bearer resource_metadata="${this.settings.resourceMetadataUrl}"${verdict.presented ? `, error="invalid_token"` : ""}`;
            res.setHeader("www-authenticate", challenge);
            return this.deny(res, x, 401, verdict.reason, rpcError(null, -32001, "Unauthorized"));
        }
        x.identity = verdict.identity;
        x.audit = { subject: verdict.identity.subject, client: verdict.identity.clientId, tenant: verdict.identity.tenant };

        const sid = req.headers["mcp-session-id"];
        if (typeof sid === "string") {
            const session = this.sessions.get(sid);
            if (session === undefined || session.subject !== x.identity.subject || session.clientId !== x.identity.clientId) {
                // Unknown and foreign sessions get the same answer: a client starts a new session on 404.
                return this.deny(res, x, 404, session === undefined ? "unknown_session" : "session_not_owned", rpcError(null, -32001, "Session not found"));
            }
            x.sessionId = sid;
        } else if (sid !== undefined) {
            return this.deny(res, x, 400, "invalid_session_header", rpcError(null, -32600, "Bad Mcp-Session-Id"));
        }
        if (req.method !== "POST") {
            x.audit.method = req.method === "GET" ? "GET stream" : "DELETE session";
            return this.forward(req, res, x, undefined);
        }
        if (!jsonContentType(req.headers["content-type"])) {
            return this.deny(res, x, 415, "unsupported_media_type", rpcError(null, -32700, "Content-Type must be application/json (charset utf-8 if any)"));
        }
        const body = await this.readBody(req);
        if (body === undefined) {
            res.setHeader("connection", "close");
            return this.deny(res, x, 413, "body_too_large", rpcError(null, -32600, "Request body too large"));
        }
        const parsed = parseBody(body);
        if (!parsed.ok) {
            return this.deny(res, x, 400, parsed.reason, rpcError(null, parsed.code, parsed.detail));
        }
        const message = parsed.message;
        const id: RpcId | null = message.kind === "notification" ? null : message.id;
        x.audit.request_id = id;
        x.audit.method = message.kind === "response" ? "(response)" : message.method;
        const decision = decide(x.identity, message, this.registry, this.settings.methods, this.settings.resource);
        if (decision.tool !== undefined) {
            x.audit.tool = decision.tool;
        }
        if (!decision.allow) {
            if (decision.http === 403) {
                res.setHeader("www-authenticate", `Bearer error="insufficient_scope", scope="${decision.scope}", resource_metadata="${this.settings.resourceMetadataUrl}", error_description="${decision.message}"`);
                // The challenge repeated in the body: a REST API Gateway in front renames WWW-Authenticate
                // (x-amzn-Remapped-WWW-Authenticate), so the body is where a client behind it finds the scope to ask for.
                const data = { error: "insufficient_scope", scope: decision.scope, resource_metadata: this.settings.resourceMetadataUrl };
                return this.deny(res, x, 403, decision.reason, JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32001, message: decision.message, data } }));
            }
            return this.deny(res, x, 200, decision.reason, rpcError(id, decision.rpcCode, decision.message));
        }
        if (message.kind === "request") {
            x.request = message;
            if (message.method === "tools/list" && x.sessionId !== undefined) {
                this.sessions.get(x.sessionId)?.pendingLists.add(idKey(message.id));
            }
        }
        // What goes up is the message the guard checked, serialized by the guard: never the client's bytes, which
        // another decoder (case-folding, other charset) could read as a different message.
        return this.forward(req, res, x, Buffer.from(JSON.stringify(parsed.raw), "utf8"));
    }

    private readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
        const limit = this.settings.maxBodyBytes;
        const declared = Number(req.headers["content-length"] ?? "0");
        if (declared > limit) {
            req.resume();
            return Promise.resolve(undefined);
        }
        return new Promise((resolve, reject) => {
            const chunks: Buffer[] = [];
            let size = 0;
            req.on("data", (chunk: Buffer) => {
                size += chunk.length;
                if (size > limit) {
                    req.removeAllListeners("data");
                    req.resume();
                    resolve(undefined);
                    return;
                }
                chunks.push(chunk);
            });
            req.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
            req.on("error", reject);
        });
    }

    private forward(req: http.IncomingMessage, res: http.ServerResponse, x: Exchange, body: Buffer | undefined): Promise<void> {
        const headers: http.OutgoingHttpHeaders = {};
        for (const name of FORWARD_REQUEST) {
            const v = req.headers[name];
            if (typeof v === "string") {
                headers[name] = v;
            }
        }
        const identity = x.identity!;
        headers[IDENTITY_HEADERS.subject] = identity.subject;
        headers[IDENTITY_HEADERS.client] = identity.clientId;
        headers[IDENTITY_HEADERS.scopes] = identity.scopes.join(" ");
        if (identity.tenant !== undefined) {
            headers[IDENTITY_HEADERS.tenant] = identity.tenant;
        }
        headers[IDENTITY_HEADERS.requestId] = x.rid;
        if (body !== undefined) {
            headers["content-type"] = "application/json";
            headers["content-length"] = String(body.length);
        }
        return new Promise<void>((resolve) => {
            const upstream = http.request({ ...this.target, method: req.method, headers, agent: this.agent });
            const timer = setTimeout(() => upstream.destroy(new Error("upstream timeout")), this.settings.upstreamTimeoutMs);
            const abort = () => upstream.destroy();
            res.on("close", abort);
            upstream.on("error", () => {
                clearTimeout(timer);
                if (!res.headersSent) {
                    this.deny(res, x, 502, "upstream_unavailable", rpcError(x.request?.id ?? null, -32603, "Upstream unavailable"));
                } else {
                    res.destroy();
                }
                resolve();
            });
            upstream.on("response", (ur) => {
                this.relay(ur, res, x, () => clearTimeout(timer)).then(resolve, (e) => {
                    clearTimeout(timer);
                    this.failClosed(res, e);
                    resolve();
                });
            });
            upstream.end(body);
        });
    }

    private async relay(ur: http.IncomingMessage, res: http.ServerResponse, x: Exchange, clearTimer: () => void): Promise<void> {
        const status = ur.statusCode ?? 502;
        const headers: http.OutgoingHttpHeaders = {};
        for (const name of FORWARD_RESPONSE) {
            const v = ur.headers[name];
            if (typeof v === "string") {
                headers[name] = v;
            }
        }
        const upstreamSid = ur.headers["mcp-session-id"];
        if (typeof upstreamSid === "string" && x.sessionId === undefined && status < 300) {
            this.bind(upstreamSid, x.identity!);
        }
        if (x.sessionId !== undefined && (status === 404 || (x.audit.method === "DELETE session" && status < 300))) {
            this.sessions.delete(x.sessionId);
        }
        const type = (ur.headers["content-type"] ?? "").toLowerCase();
        if (type.startsWith("text/event-stream")) {
            // A POST's stream keeps the upstream deadline until its response arrives; then (and for GET streams at
            // once) the stream is closed after STREAM_IDLE_MS without a byte from the upstream.
            let idle: NodeJS.Timeout | undefined;
            const idleTimer = () => {
                clearTimeout(idle);
                idle = setTimeout(() => {
                    ur.destroy();
                    res.end();
                }, STREAM_IDLE_MS);
            };
            let awaiting = x.request !== undefined;
            x.onResponse = () => {
                if (awaiting) {
                    awaiting = false;
                    clearTimer();
                    idleTimer();
                }
            };
            if (!awaiting) {
                clearTimer();
                idleTimer();
            }
            ur.on("data", () => {
                if (!awaiting) {
                    idleTimer();
                }
            });
            ur.on("close", () => clearTimeout(idle));
            res.on("close", () => clearTimeout(idle));
            return this.relayStream(ur, res, x, status, headers);
        }
        const raw = await this.readUpstream(ur);
        clearTimer();
        if (raw === undefined) {
            return this.deny(res, x, 502, "upstream_response_too_large", rpcError(x.request?.id ?? null, -32603, "Upstream response too large"));
        }
        if (raw.length === 0) {
            res.writeHead(status, headers);
            res.end();
            return this.allowed(x, status);
        }
        let message: unknown;
        try {
            message = type.startsWith("application/json") ? JSON.parse(raw.toString("utf8")) : undefined;
        } catch {
            message = undefined;
        }
        if (typeof message !== "object" || message === null || Array.isArray(message)) {
            // Neither one JSON-RPC message nor SSE: nothing the guard can inspect reaches the client.
            headers["content-type"] = "application/json";
            return this.send(res, x, status >= 400 ? status : 502, headers, rpcError(x.request?.id ?? null, -32603, "Upstream error"));
        }
        const out = await this.inspect(message as Record<string, unknown>, x);
        headers["content-type"] = "application/json";
        return this.send(res, x, status, headers, out === undefined ? "" : JSON.stringify(out));
    }

    private relayStream(ur: http.IncomingMessage, res: http.ServerResponse, x: Exchange, status: number, headers: http.OutgoingHttpHeaders): Promise<void> {
        res.writeHead(status, { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" });
        res.flushHeaders();
        let chain: Promise<void> = Promise.resolve();
        let retry = "";
        // Set by the first error of any event: this stream is closed on both sides and nothing more is relayed. Each
        // link handles its own rejection, so an error while the stream is still open is never an unhandled rejection.
        let failed = false;
        const parser = createParser({
            onRetry: (ms) => { retry = `retry: ${ms}\n`; },
            onEvent: (event) => {
                const pendingRetry = retry;
                retry = "";
                chain = chain
                    .then(() => (failed ? undefined : this.relayEvent(event, pendingRetry, res, x)))
                    .catch((e: unknown) => {
                        if (!failed) {
                            failed = true;
                            ur.destroy();
                            this.failClosed(res, e);
                        }
                    });
            },
        });
        return new Promise<void>((resolve) => {
            ur.setEncoding("utf8");
            ur.on("data", (text: string) => {
                if (!failed) {
                    parser.feed(text);
                }
            });
            const finish = () => {
                void chain.then(() => {
                    if (!failed) {
                        res.end();
                        this.allowed(x, status);
                    }
                    resolve();
                });
            };
            ur.on("end", finish);
            ur.on("error", () => {
                res.destroy();
                resolve();
            });
            res.on("close", () => {
                ur.destroy();
                resolve();
            });
        });
    }

    private async relayEvent(event: EventSourceMessage, retry: string, res: http.ServerResponse, x: Exchange): Promise<void> {
        let data = event.data;
        if (data.trim() !== "") {
            let message: unknown;
            try {
                message = JSON.parse(data);
            } catch {
                message = undefined;
            }
            if (typeof message !== "object" || message === null || Array.isArray(message)) {
                this.audit.log({ ...x.audit, event: "guard_error", reason: "uninspectable_event", http_request_id: x.rid });
                return;
            }
            const out = await this.inspect(message as Record<string, unknown>, x);
            const m = message as Record<string, unknown>;
            if (x.request !== undefined && m.id === x.request.id && !("method" in m)) {
                x.onResponse?.();
            }
            if (out === undefined) {
                return;
            }
            data = JSON.stringify(out);
        }
        // The event's id and name are the server's text too: scanned like the data (withheld in block mode).
        const fields: { id?: string; event?: string } = { id: event.id, event: event.event === "message" ? undefined : event.event };
        const found = await this.dlp.scan(fields);
        if (found.findings.length > 0) {
            this.audit.log({ ...x.audit, event: "dlp_redacted", action: this.settings.dlpMode, ...findingFields(found.findings), where: "sse_fields", http_request_id: x.rid });
        }
        const id = found.message === undefined ? undefined : fields.id;
        const name = found.message === undefined ? undefined : fields.event ?? event.event;
        const lines = [retry];
        if (id !== undefined) {
            lines.push(`id: ${id.replace(/[\r\n]/g, "")}\n`);
        }
        if (name !== undefined) {
            lines.push(`event: ${name.replace(/[\r\n]/g, "")}\n`);
        }
        lines.push(`data: ${data}\n\n`);
        if (!res.destroyed) {
            res.write(lines.join(""));
        }
    }

    /** One message from the upstream: tools/list results filtered against the pins, everything else through DLP. */
    private async inspect(message: Record<string, unknown>, x: Exchange): Promise<Record<string, unknown> | undefined> {
        if (depthExceeds(message, MAX_DEPTH)) {
            // Deeper than any MCP message needs, and deep enough to exhaust a recursive reader: fail closed.
            throw new Error(`upstream message nests deeper than ${MAX_DEPTH} levels`);
        }
        const isResponse = "id" in message && !("method" in message);
        if (isResponse && this.isListResponse(message.id as RpcId, x)) {
            const result = message.result as { tools?: unknown } | undefined;
            if (result !== undefined && typeof result === "object" && result !== null) {
                const { tools, changed } = filterTools(result.tools, x.identity, this.registry);
                for (const c of changed) {
                    this.audit.log({ ...x.audit, event: "tool_changed", reason: c.verdict.status === "unknown" ? "not_in_manifest" : "digest_mismatch", tool: c.name, request_id: message.id as RpcId, http_request_id: x.rid, announced_sha256: c.verdict.digest, ...(c.verdict.status === "changed" ? { pinned_sha256: c.verdict.pinned } : {}) });
                }
                // The rest of the result (nextCursor, _meta ...) is the server's own text: DLP as for any message.
                // The kept tools are the approved definitions and are not rewritten.
                const rest = await this.scanned({ ...message, result: { ...result, tools: [] } }, x, true);
                if (rest === undefined || typeof rest.result !== "object" || rest.result === null) {
                    return rest;
                }
                return { ...rest, result: { ...(rest.result as Record<string, unknown>), tools } };
            }
        }
        return this.scanned(message, x, isResponse);
    }

    /** DLP over one message: redacted, withheld (a response becomes an error) or passed, per the mode. */
    private async scanned(message: Record<string, unknown>, x: Exchange, isResponse: boolean): Promise<Record<string, unknown> | undefined> {
        const outcome = await this.dlp.scan(message);
        if (outcome.findings.length > 0) {
            this.audit.log({ ...x.audit, event: "dlp_redacted", action: this.settings.dlpMode, ...findingFields(outcome.findings), request_id: isResponse ? message.id as RpcId : x.audit.request_id, http_request_id: x.rid });
        }
        if (outcome.message === undefined) {
            return isResponse ? { jsonrpc: "2.0", id: message.id, error: { code: -32603, message: "Result withheld: it contained sensitive data" } } : undefined;
        }
        return outcome.message;
    }

    private isListResponse(id: RpcId, x: Exchange): boolean {
        if (x.request?.method === "tools/list" && x.request.id === id) {
            this.sessions.get(x.sessionId ?? "")?.pendingLists.delete(idKey(id));
            return true;
        }
        const pending = x.sessionId === undefined ? undefined : this.sessions.get(x.sessionId)?.pendingLists;
        return pending?.delete(idKey(id)) ?? false;
    }

    private bind(sessionId: string, identity: Identity): void {
        if (this.sessions.size >= this.settings.maxSessions) {
            const oldest = this.sessions.keys().next().value;
            if (oldest !== undefined) {
                this.sessions.delete(oldest);
            }
        }
        this.sessions.set(sessionId, { subject: identity.subject, clientId: identity.clientId, pendingLists: new Set() });
    }

    private readUpstream(ur: http.IncomingMessage): Promise<Buffer | undefined> {
        return new Promise((resolve, reject) => {
            const chunks: Buffer[] = [];
            let size = 0;
            ur.on("data", (c: Buffer) => {
                size += c.length;
                if (size > this.settings.maxResponseBytes) {
                    ur.destroy();
                    resolve(undefined);
                    return;
                }
                chunks.push(c);
            });
            ur.on("end", () => resolve(Buffer.concat(chunks)));
            ur.on("error", reject);
        });
    }

    private send(res: http.ServerResponse, x: Exchange, status: number, headers: http.OutgoingHttpHeaders, body: string): void {
        res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
        res.end(body);
        this.allowed(x, status);
    }

    private allowed(x: Exchange, status: number): void {
        this.audit.log({ ...x.audit, event: "tool_call_allowed", status, http_request_id: x.rid, latency_ms: elapsedMs(x.started) });
    }

    private deny(res: http.ServerResponse, x: Exchange, status: number, reason: string, body: string): void {
        this.audit.log({ ...x.audit, event: "tool_call_denied", reason, status, http_request_id: x.rid, latency_ms: elapsedMs(x.started) });
        if (res.headersSent) {
            res.destroy();
            return;
        }
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
        res.end(body);
    }

    /** Any internal error: the request is refused, nothing more reaches either side. */
    private failClosed(res: http.ServerResponse, e: unknown): void {
        this.audit.log({ event: "guard_error", reason: "internal_error", detail: (e as Error)?.message?.slice(0, 200) });
        if (!res.headersSent) {
            const body = rpcError(null, -32603, "Internal error");
            res.writeHead(500, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
            res.end(body);
        } else {
            res.destroy();
        }
    }
}
