import { parse as parseAst, type AnyNode } from "@humanwhocodes/momoa";
import { MCP_CLIENT_METHODS } from "../../../components/mcp/methods";

/** A JSON-RPC id: the key by which a response is matched to its request. */
export type RpcId = string | number;

export interface RpcRequest { kind: "request"; id: RpcId; method: string; params?: Record<string, unknown> }
export interface RpcNotification { kind: "notification"; method: string; params?: Record<string, unknown> }
/** A client's answer to a server request (sampling, elicitation, roots). */
export interface RpcResponse { kind: "response"; id: RpcId }
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

export type BodyVerdict =
    | { ok: true; message: RpcMessage; raw: Record<string, unknown> }
    | { ok: false; reason: "invalid_utf8" | "malformed_json" | "duplicate_key" | "folded_key" | "too_deep" | "batch_refused" | "invalid_jsonrpc" | "notification_not_allowed"; code: number; detail: string };

/** `ignoreBOM: true` keeps a byte order mark in the text, so the check below sees it (and refuses it). */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The deepest nesting of objects and arrays the guard reads or forwards (client bodies and upstream messages). */
export const MAX_DEPTH = 64;
/** The longest string id accepted (ids are echoed into audit lines and errors). */
export const MAX_ID_LENGTH = 256;

/** The notifications a client may send; every other method is a request and needs an id. */
const CLIENT_NOTIFICATIONS: readonly string[] = MCP_CLIENT_METHODS.filter((m) => m.startsWith("notifications/"));

/** The member names the guard reads from a client message: a spelling another decoder folds onto one of them is refused. */
const READ_MEMBERS = ["jsonrpc", "id", "method", "params", "name", "arguments"];

/**
 * A key as a lenient decoder may match it: NUL characters dropped (segmentio/encoding <= 0.5.3 ignored a trailing NUL),
 * NFKC, then each character case-folded the way Go's encoding/json v1 folds field names (upper of lower, so `ſ` is `s`
 * and the Kelvin sign is `k`), then lower case. Broader than any one decoder on purpose: it only ever refuses more.
 */
export function foldKey(key: string): string {
    let out = "";
    for (const ch of key.normalize("NFKC").split("\u0000").join("")) {
        out += ch.toLowerCase().toUpperCase().toLowerCase();
    }
    return out;
}

/** Whether objects and arrays nest deeper than `max` (iterative: no recursion limit to hit). */
export function depthExceeds(value: unknown, max: number): boolean {
    const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
    while (stack.length > 0) {
        const { v, depth } = stack.pop()!;
        if (typeof v === "object" && v !== null) {
            if (depth > max) {
                return true;
            }
            for (const c of Array.isArray(v) ? v : Object.values(v)) {
                if (typeof c === "object" && c !== null) {
                    stack.push({ v: c, depth: depth + 1 });
                }
            }
        }
    }
    return false;
}

const READ_FOLDED = new Map(READ_MEMBERS.map((m) => [foldKey(m), m]));

/**
 * The first problem of a parsed value that re-serializing it could hide or another decoder could read otherwise:
 * nesting deeper than {@link MAX_DEPTH}, a number JSON.parse turned into Infinity, two keys of one object that fold
 * to the same name, and (in the envelope and its params) a key that folds onto a member the guard reads without
 * being it. Iterative: no recursion limit to hit.
 */
export function valueProblem(value: unknown): { reason: "too_deep" | "folded_key" | "invalid_jsonrpc"; detail: string } | undefined {
    const stack: { v: unknown; depth: number; envelope: boolean }[] = [{ v: value, depth: 1, envelope: true }];
    while (stack.length > 0) {
        const { v, depth, envelope } = stack.pop()!;
        if (typeof v === "number" && !Number.isFinite(v)) {
            return { reason: "invalid_jsonrpc", detail: "a number is out of range" };
        }
        if (typeof v !== "object" || v === null) {
            continue;
        }
        if (depth > MAX_DEPTH) {
            return { reason: "too_deep", detail: `the message nests deeper than ${MAX_DEPTH} levels` };
        }
        if (Array.isArray(v)) {
            for (const c of v) {
                stack.push({ v: c, depth: depth + 1, envelope: false });
            }
            continue;
        }
        const folded = new Map<string, string>();
        for (const [k, c] of Object.entries(v as Record<string, unknown>)) {
            const f = foldKey(k);
            const other = folded.get(f) ?? (envelope ? READ_FOLDED.get(f) : undefined);
            if (other !== undefined && other !== k) {
                return { reason: "folded_key", detail: `the key ${JSON.stringify(k).slice(0, 60)} reads as ${JSON.stringify(other)} to some JSON decoders` };
            }
            folded.set(f, k);
            stack.push({ v: c, depth: depth + 1, envelope: envelope && k === "params" });
        }
    }
    return undefined;
}

function duplicateKey(node: AnyNode): string | undefined {
    if (node.type === "Object") {
        const seen = new Set<string>();
        for (const member of node.members) {
            const name = member.name.type === "String" ? member.name.value : member.name.name;
            if (seen.has(name)) {
                return name;
            }
            seen.add(name);
            const inner = duplicateKey(member.value);
            if (inner !== undefined) {
                return inner;
            }
        }
    } else if (node.type === "Array") {
        for (const element of node.elements) {
            const inner = duplicateKey(element.value);
            if (inner !== undefined) {
                return inner;
            }
        }
    } else if (node.type === "Document") {
        return duplicateKey(node.body);
    }
    return undefined;
}

/**
 * How many object members the JSON text spells out: string tokens followed by `:`. Only for text JSON.parse accepted,
 * so outside strings a `"` always opens a string and inside one a backslash always escapes the next character.
 */
function memberCount(text: string): number {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
        if (text.charCodeAt(i) !== 34) {
            continue;
        }
        i++;
        while (text.charCodeAt(i) !== 34) {
            i += text.charCodeAt(i) === 92 ? 2 : 1;
        }
        let k = i + 1;
        let c = text.charCodeAt(k);
        while (c === 32 || c === 9 || c === 10 || c === 13) {
            c = text.charCodeAt(++k);
        }
        if (c === 58) {
            count++;
        }
    }
    return count;
}

/** How many own keys the objects of a parsed value hold together (iterative: no recursion limit to hit). */
function keyCount(value: unknown): number {
    let count = 0;
    const stack: unknown[] = [value];
    while (stack.length > 0) {
        const v = stack.pop();
        if (typeof v === "object" && v !== null) {
            const children = Array.isArray(v) ? v : Object.values(v);
            if (!Array.isArray(v)) {
                count += children.length;
            }
            for (const c of children) {
                if (typeof c === "object" && c !== null) {
                    stack.push(c);
                }
            }
        }
    }
    return count;
}

/**
 * Checks a request body as one JSON-RPC message, refusing whatever two parsers could read differently: bytes that
 * are not UTF-8, a byte order mark, duplicate keys (escaped spellings included), and batches. Pure.
 */
export function parseBody(body: Buffer): BodyVerdict {
    let text: string;
    try {
        text = utf8.decode(body);
    } catch {
        return { ok: false, reason: "invalid_utf8", code: -32700, detail: "the body is not valid UTF-8" };
    }
    if (text.charCodeAt(0) === 0xfeff) {
        return { ok: false, reason: "invalid_utf8", code: -32700, detail: "the body starts with a byte order mark" };
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return { ok: false, reason: "malformed_json", code: -32700, detail: "the body is not valid JSON" };
    }
    // Duplicate keys: every object of the parsed value holds as many keys as the text spells members, or two members
    // of one object had the same (decoded) name. Only then is the syntax tree built, to name the key.
    if (memberCount(text) !== keyCount(value)) {
        let dup: string | undefined;
        try {
            dup = duplicateKey(parseAst(text, { mode: "json", ranges: false, tokens: false }));
        } catch {
            dup = undefined;
        }
        return { ok: false, reason: "duplicate_key", code: -32700, detail: dup === undefined ? "a key appears twice in one object" : `the key ${JSON.stringify(dup).slice(0, 60)} appears twice in one object` };
    }
    const problem = valueProblem(value);
    if (problem !== undefined) {
        return { ok: false, ...problem, code: problem.reason === "invalid_jsonrpc" ? -32600 : -32700 };
    }
    if (Array.isArray(value)) {
        return { ok: false, reason: "batch_refused", code: -32600, detail: "JSON-RPC batches are not accepted" };
    }
    if (typeof value !== "object" || value === null) {
        return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: "the body is not a JSON-RPC message object" };
    }
    const m = value as Record<string, unknown>;
    if (m.jsonrpc !== "2.0") {
        return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: "jsonrpc must be \"2.0\"" };
    }
    const hasId = "id" in m;
    const idOk = (typeof m.id === "string" && m.id.length <= MAX_ID_LENGTH) || (typeof m.id === "number" && Number.isSafeInteger(m.id));
    if (hasId && !idOk) {
        return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: `id must be a string of at most ${MAX_ID_LENGTH} characters or an integer of at most 2^53 - 1` };
    }
    if ("params" in m && (typeof m.params !== "object" || m.params === null || Array.isArray(m.params))) {
        return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: "params must be an object" };
    }
    if (typeof m.method === "string") {
        if ("result" in m || "error" in m) {
            return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: "a request carries no result or error" };
        }
        const params = m.params as Record<string, unknown> | undefined;
        // A request without an id would pass as a notification with no decision: only the MCP notifications may.
        const notification = m.method.startsWith("notifications/");
        if (notification !== !hasId) {
            return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: hasId ? "a notification carries no id" : `${m.method.slice(0, 64)} is a request and needs an id` };
        }
        if (!hasId && !CLIENT_NOTIFICATIONS.includes(m.method)) {
            return { ok: false, reason: "notification_not_allowed", code: -32601, detail: `Notification not allowed: ${m.method.slice(0, 64)}` };
        }
        return { ok: true, raw: m, message: hasId ? { kind: "request", id: m.id as RpcId, method: m.method, params } : { kind: "notification", method: m.method, params } };
    }
    if ("method" in m) {
        return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: "method must be a string" };
    }
    if (hasId && ("result" in m) !== ("error" in m)) {
        return { ok: true, raw: m, message: { kind: "response", id: m.id as RpcId } };
    }
    return { ok: false, reason: "invalid_jsonrpc", code: -32600, detail: "the message is neither a request, a notification nor a response" };
}

/** A JSON-RPC error response body. */
export function rpcError(id: RpcId | null, code: number, message: string): string {
    return JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
}

/** The key of an id in maps (1 and "1" are different ids). */
export function idKey(id: RpcId): string {
    return typeof id === "number" ? `n:${id}` : `s:${id}`;
}
