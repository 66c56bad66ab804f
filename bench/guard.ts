// npm run bench:guard: the cost of the guard on the request path. The same reference upstream (official MCP SDK,
// JSON responses) is loaded with tools/call requests whose result is 1 KB of text, directly and through the guard
// (token verified, scope and arguments checked, result scanned by DLP, one audit line per call written to a file as a
// log driver would read it). The guard runs twice, as deployed (HTTPS from the client, as from the ALB) and with TLS
// off, so that the cost of TLS is shown apart. Upstream and guards run in their own processes; autocannon (the load
// generator) in this one, with keep-alive connections; the guard keeps its own keep-alive pool to the upstream.
//
// Two scenarios per target: concurrency 16 (the target of issue 10: <= 1 ms p50 added, >= 90% of direct throughput)
// and concurrency 1 (no queueing: the latency one request gains by passing the guard). Latency percentiles come from
// every response's own duration (autocannon's histogram rounds to whole milliseconds). For each run the CPU time of
// each process (from /proc) is divided by the requests served, and the CPU used by processes outside the bench in the
// same window is reported, so that a number measured on a busy machine shows it.
//
// Settings (environment): BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (3), BENCH_ROUNDS (1: each round runs every target
// again, to see the spread), BENCH_SCENARIOS ("16,1": connection counts), BENCH_TARGETS ("direct,https,http,bare":
// bare is a pass-through Node proxy with the guard's connection settings and no check at all, the floor any Node
// proxy pays here for the second hop), BENCH_PIN (for example "client=0,upstream=1,guard=1": taskset CPU lists), BENCH_PROFILE_DIR (--cpu-prof the guards),
// BENCH_JSON (write all results to this file), BENCH_BASELINE (a directory holding an older guard tree: adds the targets
// https-base and http-base, that guard run beside this one, so that before and after are measured under the same load).
import { execFileSync, spawn, type ChildProcess } from "child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "fs";
import { loadavg, tmpdir } from "os";
import * as path from "path";
import autocannon from "autocannon";
import { CLIENT_ID, manifestFor, startIssuer } from "../test/guard/issuer";
import { startUpstream, type ToolDef } from "../test/guard/upstream";

const RESOURCE = "https://bench.mcp.example.com/mcp";
const DURATION = Number(process.env.BENCH_SECONDS ?? "15");
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? "3");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "1");
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? "16,1").split(",").map(Number);
const TARGETS = (process.env.BENCH_TARGETS ?? "direct,https,http,bare").split(",") as Target[];
type Target = "direct" | "https" | "http" | "bare" | "https-base" | "http-base";
/** Guard modes: HTTPS and HTTP, of this tree and of the baseline tree (BENCH_BASELINE). */
const GUARD_TARGETS = ["https", "http", "https-base", "http-base"] as const;
// A tree with an older guard (e.g. `git archive <commit> guard components | tar -x -C <dir>`, node_modules linked):
// its guard runs beside this one, as https-base and http-base, so before and after share the machine's load.
const BASELINE = process.env.BENCH_BASELINE;
// 1 KB of ordinary text (no credential, no PII): what the DLP scan sees on every call.
const RESULT = "The quick brown fox jumps over the lazy dog; ".repeat(23).slice(0, 1024);
const tool: ToolDef = {
    name: "fetch_report", description: "Returns a 1 KB report.", inputSchema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
    call: () => ({ content: [{ type: "text", text: RESULT }] }),
};
const CLK_TCK = 100;

function pinOf(role: string): string | undefined {
    return (process.env.BENCH_PIN ?? "").split(",").map((p) => p.split("=")).find(([r]) => r === role)?.[1];
}

/** User and system CPU seconds of a process so far (Linux /proc). */
function cpuOf(pid: number): { user: number; sys: number } {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
}

/** Busy CPU seconds of the whole machine so far (all cores; idle and iowait excluded). */
function machineBusy(): number {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - f[3] - f[4]) / CLK_TCK;
}

function child(role: string, env: Record<string, string> = {}, stdout: number | "pipe" = "pipe"): Promise<{ proc: ChildProcess; line: string }> {
    const profile = process.env.BENCH_PROFILE_DIR && role.startsWith("guard") ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    const pin = pinOf(role.startsWith("guard") ? "guard" : role);
    const argv = [...profile, "--import", "tsx", __filename, role];
    // taskset execs node in place: the child's pid is node's.
    const proc = pin ? spawn("taskset", ["-c", pin, process.execPath, ...argv], { env: { ...process.env, ...env }, stdio: ["ignore", stdout, "inherit"] })
        : spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["ignore", stdout, "inherit"] });
    return new Promise((resolve, reject) => {
        proc.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
        if (stdout !== "pipe") {
            // The guard writes audit lines to stdout (a file here): wait for its health endpoint instead.
            const port = env.GUARD_LISTEN_PORT;
            const tls = env.GUARD_TLS !== "off";
            const poll = async (n: number) => {
                try {
                    const { request } = await import(tls ? "https" : "http");
                    await new Promise<void>((ok, bad) => request({ host: "127.0.0.1", port, path: "/health", rejectUnauthorized: false }, (r: import("http").IncomingMessage) => { r.resume(); ok(); }).on("error", bad).end());
                    resolve({ proc, line: "" });
                } catch {
                    if (n > 600) {
                        reject(new Error(`${role} did not start`));
                    } else {
                        setTimeout(() => void poll(n + 1), 50);
                    }
                }
            };
            void poll(0);
            return;
        }
        proc.stdout!.once("data", (c: Buffer) => resolve({ proc, line: c.toString("utf8").trim() }));
    });
}

async function session(url: string, headers: Record<string, string>): Promise<string> {
    const { request } = await import(url.startsWith("https") ? "https" : "http");
    const body = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });
    return new Promise((resolve, reject) => {
        const req = request(url, { method: "POST", headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" }, rejectUnauthorized: false }, (res: import("http").IncomingMessage) => {
            res.resume();
            const sid = res.headers["mcp-session-id"];
            if (res.statusCode !== 200 || typeof sid !== "string") {
                reject(new Error(`initialize through ${url} answered ${res.statusCode}`));
                return;
            }
            resolve(sid);
        });
        req.on("error", reject);
        req.end(body);
    });
}

interface Run {
    target: Target; connections: number; round: number; rps: number; total: number; p50: number; p90: number; p99: number; failed: number;
    /** CPU microseconds per request of each process, and the part spent in the kernel. */
    cpuUs: Record<string, number>; sysUs: Record<string, number>;
    /** CPU used by processes outside the bench during the run, in cores. */
    foreignCores: number; load1: number;
}

function load(url: string, headers: Record<string, string>, connections: number, seconds: number, latencies?: number[]): Promise<autocannon.Result> {
    let id = 1;
    return new Promise((resolve, reject) => {
        const instance = autocannon({
            url, method: "POST", connections, duration: seconds, pipelining: 1,
            headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" },
            requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: tool.name, arguments: { id: String(id) } } }) }) }],
            // The guard's certificate is made at start; the ALB does not verify it either.
            tlsOptions: { rejectUnauthorized: false },
        } as autocannon.Options, (err, result) => (err ? reject(err) : resolve(result)));
        if (latencies) {
            instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
                if (status === 200) {
                    latencies.push(ms);
                }
            });
        }
    });
}

function percentile(sorted: number[], p: number): number {
    return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
}

async function measure(target: Target, url: string, headers: Record<string, string>, connections: number, round: number, pids: Record<string, number>): Promise<Run> {
    await load(url, headers, connections, WARMUP);
    const latencies: number[] = [];
    const load1 = loadavg()[0];
    const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
    const clientBefore = process.cpuUsage();
    const busyBefore = machineBusy();
    const r = await load(url, headers, connections, DURATION, latencies);
    const busy = machineBusy() - busyBefore;
    const client = process.cpuUsage(clientBefore);
    const cpu: Record<string, number> = { client: (client.user + client.system) / 1e6 };
    const sys: Record<string, number> = { client: client.system / 1e6 };
    for (const [k, pid] of Object.entries(pids)) {
        const now = cpuOf(pid);
        cpu[k] = now.user + now.sys - before[k].user - before[k].sys;
        sys[k] = now.sys - before[k].sys;
    }
    const ours = Object.values(cpu).reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    const total = r.requests.total;
    return {
        target, connections, round, total, rps: total / DURATION,
        p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99),
        failed: r.non2xx + r.errors,
        cpuUs: Object.fromEntries(Object.entries(cpu).map(([k, s]) => [k, s / total * 1e6])),
        sysUs: Object.fromEntries(Object.entries(sys).map(([k, s]) => [k, s / total * 1e6])),
        foreignCores: Math.max(0, busy - ours) / DURATION,
        load1,
    };
}

function line(r: Run): string {
    const cpu = Object.entries(r.cpuUs).map(([k, v]) => `${k} ${v.toFixed(0)} (sys ${r.sysUs[k].toFixed(0)})`).join(", ");
    const label = r.target === "direct" ? "direct" : r.target === "bare" ? "bare proxy" : `guard ${r.target.toUpperCase()}`;
    return `  ${label.padEnd(12)} p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ${r.rps.toFixed(0).padStart(5)} req/s`
        + `  CPU µs/req: ${cpu}  | others ${r.foreignCores.toFixed(2)} cores, load1 ${r.load1.toFixed(2)}${r.failed ? `  ${r.failed} FAILED` : ""}`;
}

async function main() {
    const dir = mkdtempSync(path.join(tmpdir(), "mcp-guard-bench-"));
    const clientPin = pinOf("client");
    if (clientPin) {
        execFileSync("taskset", ["-cp", clientPin, String(process.pid)], { stdio: "ignore" });
    }
    const up = await child("upstream");
    const upstreamUrl = up.line;
    const issuer = await startIssuer(RESOURCE);
    const token = await issuer.token({ scope: `${RESOURCE}/reports:read` }, { expiresIn: "1h" });
    const auditFile = path.join(dir, "audit.log");
    const guards: Partial<Record<Target, { proc: ChildProcess; url: string }>> = {};
    const children: ChildProcess[] = [up.proc];
    try {
        for (const mode of GUARD_TARGETS) {
            if (!TARGETS.includes(mode)) {
                continue;
            }
            if (mode.endsWith("-base") && !BASELINE) {
                throw new Error(`target ${mode} needs BENCH_BASELINE (a directory with the baseline guard tree)`);
            }
            const port = String(20_000 + Math.floor(Math.random() * 20_000));
            const g = await child(`guard-${mode}`, {
                GUARD_SERVER_NAME: "bench", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_JWKS_URL: issuer.jwksUrl,
                GUARD_CLIENT_IDS: CLIENT_ID, GUARD_UPSTREAM_URL: upstreamUrl, GUARD_LISTEN_HOST: "127.0.0.1", GUARD_LISTEN_PORT: port,
                GUARD_ALLOWED_HOSTS: "127.0.0.1", GUARD_TLS: mode.startsWith("https") ? "self-signed" : "off",
                GUARD_MANIFEST: manifestFor({ name: "bench", url: RESOURCE }, [{ ...tool, scopes: ["reports:read"] }]),
            }, openSync(auditFile, "a"));
            children.push(g.proc);
            guards[mode] = { proc: g.proc, url: `${mode.startsWith("https") ? "https" : "http"}://127.0.0.1:${port}/mcp` };
        }
        if (TARGETS.includes("bare")) {
            const b = await child("bare", { BARE_UPSTREAM_URL: upstreamUrl });
            children.push(b.proc);
            guards.bare = { proc: b.proc, url: b.line };
        }
        await new Promise((r) => setTimeout(r, 500));
        const targets: { target: Target; url: string; headers: Record<string, string>; pids: Record<string, number> }[] = [];
        for (const target of TARGETS) {
            if (target === "direct") {
                targets.push({ target, url: upstreamUrl, headers: { "mcp-session-id": await session(upstreamUrl, {}) }, pids: { upstream: up.proc.pid! } });
            } else if (target === "bare") {
                const g = guards.bare!;
                targets.push({ target, url: g.url, headers: { "mcp-session-id": await session(g.url, {}) }, pids: { proxy: g.proc.pid!, upstream: up.proc.pid! } });
            } else {
                const g = guards[target]!;
                const auth = { authorization: `Bearer ${token}` };
                targets.push({ target, url: g.url, headers: { ...auth, "mcp-session-id": await session(g.url, auth) }, pids: { guard: g.proc.pid!, upstream: up.proc.pid! } });
            }
        }
        console.log(`tools/call with a 1 KB result, ${DURATION} s per run after ${WARMUP} s warm-up, ${ROUNDS} round(s); node ${process.version}; pinning: ${process.env.BENCH_PIN ?? "none"}`);
        const runs: Run[] = [];
        for (const connections of SCENARIOS) {
            console.log(`concurrency ${connections}`);
            for (let round = 1; round <= ROUNDS; round++) {
                // Even rounds run the targets in reverse order, so that no target always meets the upstream first.
                for (const t of round % 2 === 0 ? [...targets].reverse() : targets) {
                    const r = await measure(t.target, t.url, t.headers, connections, round, t.pids);
                    runs.push(r);
                    console.log(line(r));
                }
            }
            const best = (target: Target) => runs.filter((r) => r.connections === connections && r.target === target).sort((a, b) => b.rps - a.rps)[0];
            const direct = best("direct");
            for (const target of [...GUARD_TARGETS, "bare"] as const) {
                const g = best(target);
                if (direct && g) {
                    console.log(`  => ${target === "bare" ? "bare proxy" : `guard ${target.toUpperCase()}`} (best rounds): p50 +${(g.p50 - direct.p50).toFixed(2)} ms (target <= 1), p99 +${(g.p99 - direct.p99).toFixed(2)} ms, throughput ${(g.rps / direct.rps * 100).toFixed(1)}% of direct (target >= 90)`);
                }
            }
        }
        const audited = readFileSync(auditFile, "utf8").split("\n").filter((l) => l.includes("\"tool_call_allowed\"")).length;
        const guardedCalls = runs.filter((r) => (GUARD_TARGETS as readonly string[]).includes(r.target)).reduce((a, r) => a + r.total, 0);
        console.log(`audit: ${audited} tool_call_allowed lines for ${guardedCalls} measured guarded calls (+ warm-ups)`);
        if (process.env.BENCH_JSON) {
            writeFileSync(process.env.BENCH_JSON, JSON.stringify(runs, null, 2));
        }
        if (runs.some((r) => r.failed > 0)) {
            console.error("bench: some requests failed; the numbers are not comparable");
            process.exitCode = 1;
        }
    } finally {
        for (const c of children) {
            c.removeAllListeners("exit");
            c.kill("SIGTERM");
        }
        await issuer.close();
    }
}

async function serve(role: string) {
    if (role === "upstream") {
        const u = await startUpstream({ tools: [tool], json: true, record: false });
        process.stdout.write(`${u.url}\n`);
        process.once("SIGTERM", () => void u.close().then(() => process.exit(0)));
        return;
    }
    if (role === "bare") {
        return bareProxy(process.env.BARE_UPSTREAM_URL!);
    }
    const { startGuard } = (role.endsWith("-base") ? await import(path.join(BASELINE!, "guard", "src", "main")) : await import("../guard/src/main")) as typeof import("../guard/src/main");
    const g = await startGuard(process.env);
    process.once("SIGTERM", () => void g.stop().then(() => process.exit(0)));
}

/**
 * The reference floor: a reverse proxy that buffers the request, sends it upstream over the same kind of keep-alive
 * pool as the guard's, buffers the response and returns it. No token, no parsing, no audit, no DLP.
 */
async function bareProxy(upstreamUrl: string) {
    const http = await import("http");
    const up = new URL(upstreamUrl);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const read = (s: import("stream").Readable) => new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        s.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve(Buffer.concat(chunks))).on("error", reject);
    });
    const server = http.createServer({ noDelay: true }, (req, res) => {
        void read(req).then((body) => {
            const headers: import("http").OutgoingHttpHeaders = { "content-type": req.headers["content-type"], accept: req.headers.accept, "content-length": body.length };
            if (req.headers["mcp-session-id"] !== undefined) {
                headers["mcp-session-id"] = req.headers["mcp-session-id"];
            }
            const r = http.request({ host: up.hostname, port: up.port, path: up.pathname, method: req.method, headers, agent }, (ur) => {
                void read(ur).then((out) => {
                    const back: import("http").OutgoingHttpHeaders = { "content-type": ur.headers["content-type"] ?? "application/json", "content-length": out.length };
                    if (ur.headers["mcp-session-id"] !== undefined) {
                        back["mcp-session-id"] = ur.headers["mcp-session-id"];
                    }
                    res.writeHead(ur.statusCode ?? 502, back);
                    res.end(out);
                });
            });
            r.on("error", () => res.destroy());
            r.end(body);
        });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.stdout.write(`http://127.0.0.1:${(server.address() as import("net").AddressInfo).port}/mcp\n`);
    process.once("SIGTERM", () => process.exit(0));
}

const role = process.argv[2];
(role ? serve(role) : main()).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
