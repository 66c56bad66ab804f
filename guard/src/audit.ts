/**
 * Audit lines: one JSON object per decision, one line each, on stdout. The container's log driver ships them to the
 * guard's own log group (never the server's, where the server could forge lines), where the McpAlerts metric filter
 * `{ $.event = "tool_call_denied" }` counts denials.
 */
export type AuditEvent = "tool_call_allowed" | "tool_call_denied" | "tool_changed" | "dlp_redacted" | "guard_started" | "guard_stopped" | "guard_error" | "guard_heartbeat";

export interface AuditRecord {
    event: AuditEvent;
    reason?: string;
    subject?: string;
    client?: string;
    tenant?: string;
    server: string;
    method?: string;
    tool?: string;
    /** The JSON-RPC id of the request. */
    request_id?: string | number | null;
    /** The HTTP exchange this decision belongs to (also sent upstream as x-mcp-guard-request-id). */
    http_request_id?: string;
    status?: number;
    latency_ms?: number;
    [extra: string]: unknown;
}

/** Where lines go; `urgent` lines (denials, changed tools) must be written before the call returns. */
export type AuditSink = (line: string, urgent?: boolean) => void;

/** Events written at once rather than at the end of the turn: a kill in that turn cannot lose them. */
const URGENT: ReadonlySet<string> = new Set(["tool_call_denied", "tool_changed", "guard_error"]);

let shared: (AuditSink & { flush(): void }) | undefined;

/**
 * The default sink: lines of one event-loop turn go to stdout in one write at the end of the turn (one system call
 * instead of one per decision), except that an urgent line (a denial, a changed tool, an error) is written at once
 * with whatever is pending; and whatever is pending is written synchronously when the process exits.
 */
export function stdoutSink(): AuditSink & { flush(): void } {
    shared ??= bufferedStdout();
    return shared;
}

function bufferedStdout(): AuditSink & { flush(): void } {
    let pending: string[] = [];
    const flush = () => {
        if (pending.length > 0) {
            const text = pending.join("");
            pending = [];
            process.stdout.write(text);
        }
    };
    process.once("exit", flush);
    // Writes to a pipe or a file are synchronous on Linux (a container's stdout is a pipe), so a flush is on its way
    // to the log driver when it returns.
    return Object.assign((line: string, urgent?: boolean) => {
        if (pending.push(line) === 1 && !urgent) {
            setImmediate(flush);
        }
        if (urgent) {
            flush();
        }
    }, { flush });
}

/**
 * Writes a `guard_heartbeat` line every `seconds` (GUARD_HEARTBEAT_SECONDS) until the returned function is called: the
 * alert stack alarms when a guard log group receives none for two 5-minute periods, so a dead guard, a broken log
 * shipper or a lost write permission is noticed, not only the events that happen to arrive. The timer does not keep
 * the process alive.
 */
export function startHeartbeat(audit: Audit, seconds: number, fields: Record<string, unknown> = {}): () => void {
    const timer = setInterval(() => audit.log({ event: "guard_heartbeat", interval_seconds: seconds, ...fields }), seconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
}

/** Milliseconds since `started` (a performance.now() reading), to the microsecond: the latency_ms of a line. */
export function elapsedMs(started: number): number {
    return Math.round((performance.now() - started) * 1000) / 1000;
}

/** The fields of a dlp_redacted line that say what was found: its kinds (once each) and how many findings. */
export function findingFields(findings: readonly { kind: string }[]): { kinds: string[]; findings: number } {
    return { kinds: [...new Set(findings.map((f) => f.kind))], findings: findings.length };
}

/** The longest text kept of one field (request ids, methods, tool names, reasons ... are client-influenced). */
export const MAX_FIELD_CHARS = 256;
/**
 * The longest line written, in bytes: well under the 16 KB at which the awslogs driver splits a line into several
 * CloudWatch events (no longer JSON, so the `{ $.event = "tool_call_denied" }` filter would miss it).
 */
export const MAX_LINE_BYTES = 8192;
/** What a line keeps when even its bounded fields are too long. */
const ESSENTIAL = ["time", "event", "reason", "server", "subject", "client", "tenant", "status", "http_request_id", "latency_ms"];

function bound(v: unknown, cut: { truncated: boolean }): unknown {
    if (typeof v === "string") {
        if (v.length > MAX_FIELD_CHARS) {
            cut.truncated = true;
            return v.slice(0, MAX_FIELD_CHARS);
        }
        return v;
    }
    if (Array.isArray(v)) {
        if (v.length > 32) {
            cut.truncated = true;
        }
        return v.slice(0, 32).map((e) => (typeof e === "object" && e !== null ? bound(JSON.stringify(e), cut) : bound(e, cut)));
    }
    if (typeof v === "object" && v !== null) {
        return bound(JSON.stringify(v), cut);
    }
    return v;
}

export class Audit {
    constructor(private readonly server: string, private readonly sink: AuditSink = stdoutSink()) {}

    /**
     * One JSON line per record: every field bounded to {@link MAX_FIELD_CHARS} characters (then `truncated: true`),
     * and a line still over {@link MAX_LINE_BYTES} cut down to its essential fields, so each line stays one valid JSON
     * object that CloudWatch reads as one event.
     */
    log(record: Omit<AuditRecord, "server"> & { server?: string }): void {
        const cut = { truncated: false };
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries({ time: new Date().toISOString(), ...record, server: record.server ?? this.server })) {
            out[k] = bound(v, cut);
        }
        if (cut.truncated) {
            out.truncated = true;
        }
        let line = JSON.stringify(out);
        if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
            line = JSON.stringify({ ...Object.fromEntries(ESSENTIAL.filter((k) => k in out).map((k) => [k, out[k]])), truncated: true });
        }
        this.sink(`${line}\n`, URGENT.has(String(record.event)));
    }
}
