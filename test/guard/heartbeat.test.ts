// The guard's heartbeat (review ekslogs finding 2): a guard_heartbeat line every GUARD_HEARTBEAT_SECONDS, so the
// alarm on its absence fires when a guard dies or its lines stop reaching the log group, and nothing after stop.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Audit, startHeartbeat } from "../../guard/src/audit";

describe("startHeartbeat", () => {
    afterEach(() => {
        vi.useRealTimers();
    });

    it("writes one guard_heartbeat line per interval with the server's name, and none once stopped", () => {
        vi.useFakeTimers();
        const lines: Record<string, unknown>[] = [];
        const stop = startHeartbeat(new Audit("tickets", (l) => lines.push(JSON.parse(l) as Record<string, unknown>)), 60);
        vi.advanceTimersByTime(59_999);
        expect(lines).toEqual([]);
        vi.advanceTimersByTime(1);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ event: "guard_heartbeat", server: "tickets", interval_seconds: 60 });
        vi.advanceTimersByTime(4 * 60_000);
        expect(lines).toHaveLength(5);
        stop();
        vi.advanceTimersByTime(10 * 60_000);
        expect(lines).toHaveLength(5);
    });
});
