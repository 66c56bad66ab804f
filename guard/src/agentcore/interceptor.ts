import canonicalize from "canonicalize";
import type { ApprovalSettings } from "../../../components/mcp/approval";
import { Audit, elapsedMs, findingFields, type AuditRecord, type AuditSink } from "../audit";
import type { Identity } from "../core/claims";
import { Dlp } from "../core/dlp";
import { depthExceeds, MAX_DEPTH, parseBody, type RpcRequest } from "../core/jsonrpc";
import { parseManifest, ToolRegistry } from "../core/manifest";
import { decide, filterTools, type Decision } from "../core/policy";
import { PII_CLASSES, type DlpMode, type PiiClass } from "../settings";
import { AGENTCORE_CLIENT_METHODS, answer, idOf, INPUT_VERSION, passRequest, rpcErrorAnswer, splitToolName, TARGET_NAME, type InterceptorEvent, type InterceptorOutput } from "./events";

/** Which interception point a function serves: one function per point, each with its own role and logs. */
export type InterceptorKind = "request" | "response";

/**
 * What the deploy writes into the function's archive as `interceptor.json` (components/agentcore/interceptor.ts):
 * the point served, the approval trust (the reviewer keys of `mcpsec:approvals`, never read from a manifest), DLP
 * settings, and per gateway target the server it fronts and the file of its approved manifest (with the approved
 * tool definitions, so arguments can be validated without asking the server).
 */
export interface InterceptorConfig {
    version: 1;
    kind: InterceptorKind;
    approvals: ApprovalSettings;
    dlp: { mode: DlpMode; pii: PiiClass[] };
    targets: { target: string; serverName: string; resource: string; manifestFile: string; allowUndeclaredArguments: string[] }[];
}

/** The largest request body read (the ECS guard's default GUARD_MAX_BODY_BYTES). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The caller as decide() sees it here: holding exactly the scopes of the tool called. Per-tool scope authorization is
 * not this function's job: the gateway's Cedar policy engine (ENFORCE, default deny) is the only per-user, per-tool
 * check on this path (the guard behind the target sees the gateway's own client-credentials token, which holds every
 * scope of its server). The documented event carries the token only as a header (with `passRequestHeaders: true`),
 * not a verified identity, so the interceptor judges what needs no identity: method (AGENTCORE_CLIENT_METHODS), pin
 * and arguments.
 */
function scopeNeutral(scopes: string[]): Identity {
    return { subject: "agentcore-gateway", clientId: "agentcore-gateway", scopes };
}

interface Target { name: string; server: string; resource: string; registry: ToolRegistry }

type State = { ok: true; targets: Map<string, Target>; dlp: Dlp; dlpMode: DlpMode } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The members of a request that decide what is called with what: the same in the gateway's view and ours, or refused. */
function decisive(m: unknown): string | undefined {
    const o = isObject(m) ? m : {};
    const p = isObject(o.params) ? o.params : {};
    return canonicalize({ id: o.id ?? null, method: o.method ?? null, name: p.name ?? null, arguments: p.arguments ?? null });
}

function checkConfig(data: unknown): InterceptorConfig {
    const c = data as InterceptorConfig;
    if (!isObject(data) || c.version !== 1 || (c.kind !== "request" && c.kind !== "response")) {
        throw new Error("interceptor.json is not an interceptor configuration (version 1, kind request or response)");
    }
    if (!isObject(c.approvals) || typeof c.approvals.required !== "boolean" || !Array.isArray(c.approvals.reviewerKeys)) {
        throw new Error("interceptor.json: approvals must be { required, reviewerKeys }");
    }
    if (!isObject(c.dlp) || !["redact", "block", "log"].includes(c.dlp.mode) || !Array.isArray(c.dlp.pii) || !c.dlp.pii.every((p) => PII_CLASSES.includes(p))) {
        throw new Error("interceptor.json: dlp must be { mode: redact | block | log, pii: [...] }");
    }
    if (!Array.isArray(c.targets) || c.targets.length === 0 || !c.targets.every((t) => isObject(t) && TARGET_NAME.test(t.target) && typeof t.manifestFile === "string")) {
        throw new Error("interceptor.json: targets must list at least one gateway target with its manifest file");
    }
    return c;
}

/**
 * The guard's core behind an AgentCore Gateway interceptor. Loaded once per execution environment (cold start):
 * every manifest parsed and its signed approval verified against the configured reviewer keys exactly as the ECS guard
 * does at start; any failure leaves the function refusing every invocation (fail closed), with one `guard_error` line.
 */
export class Interceptor {
    private constructor(readonly kind: InterceptorKind, private readonly state: State, readonly audit: Audit) {}

    /** Loads configuration and manifests through `read` (file name -> text). Never throws: a failure refuses all. */
    static async load(read: (file: string) => string, sink?: AuditSink): Promise<Interceptor> {
        let kind: InterceptorKind = "request";
        let audit = new Audit("agentcore-interceptor", sink);
        try {
            const config = checkConfig(JSON.parse(read("interceptor.json")));
            kind = config.kind;
            audit = new Audit(`agentcore-${kind}-interceptor`, sink);
            const targets = new Map<string, Target>();
            for (const t of config.targets) {
                if (targets.has(t.target)) {
                    throw new Error(`gateway target ${JSON.stringify(t.target)} is listed twice`);
                }
                let manifest;
                try {
                    manifest = parseManifest(read(t.manifestFile), { serverName: t.serverName, resource: t.resource, approvals: config.approvals });
                } catch (e) {
                    throw new Error(`target ${t.target}: ${(e as Error).message}`);
                }
                targets.set(t.target, { name: t.target, server: t.serverName, resource: t.resource, registry: new ToolRegistry(manifest, { allowUndeclaredArguments: t.allowUndeclaredArguments }) });
            }
            const dlp = new Dlp(config.dlp.mode, config.dlp.pii);
            if (kind === "response") {
                await dlp.ready();
            }
            audit.log({ event: "guard_started", targets: [...targets.keys()], tools: [...targets.values()].reduce((n, t) => n + t.registry.toolNames.length, 0) });
            return new Interceptor(kind, { ok: true, targets, dlp, dlpMode: config.dlp.mode }, audit);
        } catch (e) {
            const detail = (e as Error).message ?? String(e);
            audit.log({ event: "guard_error", reason: "interceptor_refusing", detail: detail.slice(0, 512) });
            return new Interceptor(kind, { ok: false, reason: detail }, audit);
        }
    }

    get ready(): boolean {
        return this.state.ok;
    }

    /** One invocation: the documented input in, the documented output back. Never throws (fails closed). */
    async handle(event: unknown, requestId?: string): Promise<InterceptorOutput> {
        const started = performance.now();
        const rec: Partial<AuditRecord> = requestId !== undefined ? { lambda_request_id: requestId } : {};
        const e = (isObject(event) ? event : {}) as InterceptorEvent;
        const requestBody = e.mcp?.gatewayRequest?.body;
        try {
            if (!this.state.ok) {
                this.audit.log({ ...rec, event: "tool_call_denied", reason: "interceptor_not_ready", status: 503 });
                return rpcErrorAnswer(503, idOf(requestBody), -32603, "Interceptor unavailable");
            }
            if (e.interceptorInputVersion !== INPUT_VERSION || !isObject(e.mcp)) {
                this.audit.log({ ...rec, event: "tool_call_denied", reason: "unsupported_event", status: 400 });
                return rpcErrorAnswer(400, idOf(requestBody), -32600, "Unsupported interceptor input (interceptorInputVersion 1.0 with an mcp payload expected)");
            }
            return this.kind === "request" ? this.request(e.mcp, this.state, rec, started) : await this.response(e.mcp, this.state, rec);
        } catch (err) {
            this.audit.log({ ...rec, event: "guard_error", reason: "internal_error", detail: (err as Error)?.message?.slice(0, 200) });
            return rpcErrorAnswer(500, idOf(requestBody), -32603, "Internal error");
        }
    }

    private deny(rec: Partial<AuditRecord>, started: number, status: number, reason: string, id: unknown, code: number, message: string): InterceptorOutput {
        this.audit.log({ ...rec, event: "tool_call_denied", reason, status, latency_ms: elapsedMs(started) });
        return rpcErrorAnswer(status, id, code, message);
    }

    private request(mcp: NonNullable<InterceptorEvent["mcp"]>, state: Extract<State, { ok: true }>, rec: Partial<AuditRecord>, started: number): InterceptorOutput {
        const view = mcp.gatewayRequest?.body;
        const raw = mcp.rawGatewayRequest?.body;
        // The client's bytes when the gateway hands them over (always, for MCP targets), so that duplicate keys,
        // folded keys and other spellings two parsers read differently are refused as the guard refuses them.
        const text = typeof raw === "string" ? raw : view !== undefined ? JSON.stringify(view) : undefined;
        if (text === undefined) {
            return this.deny(rec, started, 400, "invalid_jsonrpc", null, -32600, "The request carries no body");
        }
        if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) {
            return this.deny(rec, started, 413, "body_too_large", null, -32600, "Request body too large");
        }
        const parsed = parseBody(Buffer.from(text, "utf8"));
        if (!parsed.ok) {
            return this.deny(rec, started, 400, parsed.reason, null, parsed.code, parsed.detail);
        }
        const message = parsed.message;
        const id = message.kind === "notification" ? null : message.id;
        rec.request_id = id;
        rec.method = message.kind === "response" ? "(response)" : message.method;
        if (typeof raw === "string" && view !== undefined && decisive(view) !== decisive(parsed.raw)) {
            return this.deny(rec, started, 400, "gateway_view_differs", id, -32600, "The request reads differently to the gateway and to the interceptor");
        }
        let decision: Decision;
        let target: Target | undefined;
        const call = message.kind === "request" && message.method === "tools/call" ? message : undefined;
        const name = call?.params?.name;
        if (call !== undefined && typeof name === "string") {
            rec.tool = name.slice(0, 128);
            const split = splitToolName(name);
            target = split === undefined ? undefined : state.targets.get(split.target);
            if (split === undefined || target === undefined) {
                // The same answer as for a tool the target lacks: no target is revealed as existing.
                return this.deny(rec, started, 200, "unknown_tool", id, -32602, `Unknown tool: ${name.slice(0, 128)}`);
            }
            rec.server = target.server;
            const checked: RpcRequest = { ...call, params: { ...call.params, name: split.tool } };
            decision = decide(scopeNeutral(target.registry.pin(split.tool)?.scopes ?? []), checked, target.registry, AGENTCORE_CLIENT_METHODS, target.resource);
            if (!decision.allow) {
                // The caller knows the tool by its gateway name: errors name it so.
                const full = name.slice(0, 128);
                decision = { ...decision, message: decision.message.replace(`tool ${split.tool}`, () => `tool ${full}`).replace(`tool: ${split.tool}`, () => `tool: ${full}`) };
            }
        } else {
            const any = state.targets.values().next().value as Target;
            decision = decide(scopeNeutral([]), message, any.registry, AGENTCORE_CLIENT_METHODS, any.resource);
        }
        if (!decision.allow) {
            const status = decision.http === 200 ? 200 : 403;
            return this.deny(rec, started, status, decision.reason, id, decision.http === 200 ? decision.rpcCode : -32001, decision.message);
        }
        this.audit.log({ ...rec, event: "tool_call_allowed", status: 200, latency_ms: elapsedMs(started) });
        // What goes on to the target is the message the interceptor checked, as it serializes it: never the client's
        // bytes, which another decoder could read as a different message.
        return passRequest(parsed.raw);
    }

    private async response(mcp: NonNullable<InterceptorEvent["mcp"]>, state: Extract<State, { ok: true }>, rec: Partial<AuditRecord>): Promise<InterceptorOutput> {
        const request = mcp.gatewayRequest?.body;
        const requestId = idOf(request);
        const method = isObject(request) && typeof request.method === "string" ? request.method : undefined;
        rec.request_id = requestId;
        rec.method = method?.slice(0, 64);
        const called = method === "tools/call" && isObject(request) && isObject(request.params) && typeof request.params.name === "string" ? request.params.name : undefined;
        if (called !== undefined) {
            rec.tool = called.slice(0, 128);
            const server = state.targets.get(splitToolName(called)?.target ?? "")?.server;
            if (server !== undefined) {
                rec.server = server;
            }
        }
        const gr = mcp.gatewayResponse;
        const status = isObject(gr) && typeof gr.statusCode === "number" ? gr.statusCode : 200;
        const body = isObject(gr) ? gr.body : undefined;
        if (!isObject(body)) {
            // A body that is not one JSON-RPC message (text, an SSE stream, a batch, nothing): nothing the interceptor
            // can inspect reaches the caller.
            this.audit.log({ ...rec, event: "guard_error", reason: "uninspectable_response", status });
            return rpcErrorAnswer(status >= 400 ? status : 502, requestId, -32603, "Upstream error");
        }
        if (depthExceeds(body, MAX_DEPTH)) {
            this.audit.log({ ...rec, event: "guard_error", reason: "too_deep", status });
            return rpcErrorAnswer(502, requestId, -32603, "Upstream error");
        }
        const isResponse = "id" in body && !("method" in body);
        // A tools/list answer, or (when the event lacks the request) anything shaped like one: never passed unfiltered.
        if (isResponse && isObject(body.result) && (method === "tools/list" || (method === undefined && "tools" in body.result))) {
            const result = body.result;
            const kept: Record<string, unknown>[] = [];
            for (const t of Array.isArray(result.tools) ? result.tools : []) {
                if (!isObject(t) || typeof t.name !== "string") {
                    continue;
                }
                const split = splitToolName(t.name);
                const target = split === undefined ? undefined : state.targets.get(split.target);
                if (split === undefined || target === undefined) {
                    this.audit.log({ ...rec, event: "tool_changed", reason: "not_in_manifest", tool: t.name.slice(0, 128) });
                    continue;
                }
                const { tools, changed } = filterTools([{ ...t, name: split.tool }], undefined, target.registry);
                for (const c of changed) {
                    this.audit.log({ ...rec, event: "tool_changed", server: target.server, reason: c.verdict.status === "unknown" ? "not_in_manifest" : "digest_mismatch", tool: t.name.slice(0, 128), announced_sha256: c.verdict.digest, ...(c.verdict.status === "changed" ? { pinned_sha256: c.verdict.pinned } : {}) });
                }
                // The kept definition is the approved one (it hashes to the pin): passed on under the gateway's name.
                kept.push(...tools.map((k) => ({ ...k, name: t.name })));
            }
            // The rest of the result (nextCursor, _meta ...) is the server's own text: DLP as for any message.
            const rest = await this.scanned({ ...body, result: { ...result, tools: [] } }, true, rec);
            const out = isObject(rest.result) ? { ...rest, result: { ...rest.result, tools: kept } } : rest;
            return answer(status, out);
        }
        return answer(status, await this.scanned(body, isResponse, rec));
    }

    /** DLP over one message: redacted, withheld (as an error) or passed, per the mode. */
    private async scanned(message: Record<string, unknown>, isResponse: boolean, rec: Partial<AuditRecord>): Promise<Record<string, unknown>> {
        if (!this.state.ok) {
            throw new Error("not ready");
        }
        const outcome = await this.state.dlp.scan(message);
        if (outcome.findings.length > 0) {
            this.audit.log({ ...rec, event: "dlp_redacted", action: this.state.dlpMode, ...findingFields(outcome.findings), ...(isResponse ? {} : { where: "server_request" }) });
        }
        if (outcome.message === undefined) {
            return { jsonrpc: "2.0", id: idOf(message), error: { code: -32603, message: "Result withheld: it contained sensitive data" } };
        }
        return outcome.message;
    }
}
