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

export class Audit {
    constructor(private readonly server: string, private readonly sink: AuditSink = (line) => process.stdout.write(line)) {}

    log(record: Omit<AuditRecord, "server"> & { server?: string }): void {
        this.sink(`${JSON.stringify({ time: new Date().toISOString(), ...record, server: record.server ?? this.server })}\n`);
    }
}
