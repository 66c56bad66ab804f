/**
 * Audit lines: one JSON object per decision, one line each, on stdout (the container's log driver ships them to the
 * server's log group, where the McpAlerts metric filter `{ $.event = "tool_call_denied" }` counts denials).
 */
export type AuditEvent = "tool_call_allowed" | "tool_call_denied" | "tool_changed" | "dlp_redacted" | "guard_started" | "guard_stopped" | "guard_error";

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

export type AuditSink = (line: string) => void;

let shared: (AuditSink & { flush(): void }) | undefined;

/**
 * The default sink: lines of one event-loop turn go to stdout in one write at the end of the turn (one system call
 * instead of one per decision), and whatever is pending is written synchronously when the process exits.
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
    return Object.assign((line: string) => {
        if (pending.push(line) === 1) {
            setImmediate(flush);
        }
    }, { flush });
}

export class Audit {
    constructor(private readonly server: string, private readonly sink: AuditSink = stdoutSink()) {}

    log(record: Omit<AuditRecord, "server"> & { server?: string }): void {
        this.sink(`${JSON.stringify({ time: new Date().toISOString(), ...record, server: record.server ?? this.server })}\n`);
    }
}
