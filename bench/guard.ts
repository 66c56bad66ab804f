// npm run bench:guard: the cost of the guard on the request path. The same reference upstream (official MCP SDK,
// JSON responses) is loaded with tools/call requests whose result is 1 KB of text, at concurrency 16, once directly
// and once through the guard (token verified, scope and arguments checked, result scanned by DLP, one audit line per
// call written to a file as a log driver would read it). Upstream and guard run in their own processes; autocannon
// (the load generator) in this one. Prints p50/p99 latency and throughput of both runs, the added latency and the
// throughput ratio, against the targets (<= 1 ms p50 added, >= 90% of direct throughput).
import { spawn, type ChildProcess } from "child_process";
import { mkdtempSync, openSync, readFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import autocannon from "autocannon";
import { CLIENT_ID, manifestFor, startIssuer } from "../test/guard/issuer";
import { startUpstream, type ToolDef } from "../test/guard/upstream";

const RESOURCE = "https://bench.mcp.example.com/mcp";
const DURATION = Number(process.env.BENCH_SECONDS ?? "10");
const CONNECTIONS = 16;
// 1 KB of ordinary text (no credential, no PII): what the DLP scan sees on every call.
const RESULT = "The quick brown fox jumps over the lazy dog; ".repeat(23).slice(0, 1024);
const tool: ToolDef = {
    name: "fetch_report", description: "Returns a 1 KB report.", inputSchema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
    call: () => ({ content: [{ type: "text", text: RESULT }] }),
};

function child(role: string, env: Record<string, string> = {}, stdout: number | "pipe" = "pipe"): Promise<{ proc: ChildProcess; line: string }> {
    const profile = process.env.BENCH_PROFILE_DIR && role === "guard" ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    const proc = spawn(process.execPath, [...profile, "--import", "tsx", __filename, role], { env: { ...process.env, ...env }, stdio: ["ignore", stdout, "inherit"] });
    return new Promise((resolve, reject) => {
        if (stdout !== "pipe") {
            // The guard writes audit lines to stdout (a file here): wait for its health endpoint instead.
            const port = env.GUARD_LISTEN_PORT;
            const poll = async (n: number) => {
                try {
                    const { request } = await import("https");
                    await new Promise<void>((ok, bad) => request({ host: "127.0.0.1", port, path: "/health", rejectUnauthorized: false }, (r) => { r.resume(); ok(); }).on("error", bad).end());
                    resolve({ proc, line: "" });
                } catch {
                    if (n > 300) {
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
        proc.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
    });
}

async function session(url: string, headers: Record<string, string>, agentOpts: { rejectUnauthorized?: boolean } = {}): Promise<string> {
    const { request } = await import(url.startsWith("https") ? "https" : "http");
    const body = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });
    return new Promise((resolve, reject) => {
        const req = request(url, { method: "POST", headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" }, ...agentOpts }, (res: import("http").IncomingMessage) => {
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

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<autocannon.Result> {
    let id = 1;
    return autocannon({
        url, method: "POST", connections: CONNECTIONS, duration: seconds, pipelining: 1,
        headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" },
        requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: tool.name, arguments: { id: String(id) } } }) }) }],
        // The guard's certificate is made at start; the ALB does not verify it either.
        tlsOptions: { rejectUnauthorized: false },
    } as autocannon.Options);
}

function report(label: string, r: autocannon.Result) {
    console.log(`  ${label.padEnd(18)} p50 ${r.latency.p50.toFixed(2)} ms  p99 ${r.latency.p99.toFixed(2)} ms  ${r.requests.average.toFixed(0)} req/s  (${r.non2xx} non-2xx, ${r.errors} errors)`);
}

async function main() {
    const dir = mkdtempSync(path.join(tmpdir(), "mcp-guard-bench-"));
    const up = await child("upstream");
    const upstreamUrl = up.line;
    const issuer = await startIssuer(RESOURCE);
    const token = await issuer.token({ scope: `${RESOURCE}/reports:read` }, { expiresIn: "1h" });
    const guardPort = String(20_000 + Math.floor(Math.random() * 20_000));
    const auditFile = path.join(dir, "audit.log");
    const guard = await child("guard", {
        GUARD_SERVER_NAME: "bench", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_JWKS_URL: issuer.jwksUrl,
        GUARD_CLIENT_IDS: CLIENT_ID, GUARD_UPSTREAM_URL: upstreamUrl, GUARD_LISTEN_HOST: "127.0.0.1", GUARD_LISTEN_PORT: guardPort,
        GUARD_ALLOWED_HOSTS: "127.0.0.1", GUARD_MANIFEST: manifestFor({ name: "bench", url: RESOURCE }, [{ ...tool, scopes: ["reports:read"] }]),
    }, openSync(auditFile, "w"));
    try {
        const guardUrl = `https://127.0.0.1:${guardPort}/mcp`;
        await new Promise((r) => setTimeout(r, 500));
        const directHeaders = { "mcp-session-id": await session(upstreamUrl, {}) };
        const guardHeaders = { authorization: `Bearer ${token}`, "mcp-session-id": await session(guardUrl, { authorization: `Bearer ${token}` }, { rejectUnauthorized: false }) };
        console.log(`tools/call with a 1 KB result, ${CONNECTIONS} connections, ${DURATION} s each (after 2 s warm-up)`);
        await load(upstreamUrl, directHeaders, 2);
        const direct = await load(upstreamUrl, directHeaders, DURATION);
        await load(guardUrl, guardHeaders, 2);
        const guarded = await load(guardUrl, guardHeaders, DURATION);
        report("direct", direct);
        report("through the guard", guarded);
        const addedP50 = guarded.latency.p50 - direct.latency.p50;
        const addedP99 = guarded.latency.p99 - direct.latency.p99;
        const ratio = guarded.requests.average / direct.requests.average;
        console.log(`  added latency      p50 +${addedP50.toFixed(2)} ms (target <= 1 ms)  p99 +${addedP99.toFixed(2)} ms`);
        console.log(`  throughput ratio   ${(ratio * 100).toFixed(1)}% of direct (target >= 90%)`);
        const audited = readFileSync(auditFile, "utf8").split("\n").filter((l) => l.includes("\"tool_call_allowed\"")).length;
        console.log(`  audit lines        ${audited} tool_call_allowed for ${guarded.requests.total} calls measured (+ warm-up)`);
        if (guarded.non2xx > 0 || guarded.errors > 0 || direct.non2xx > 0) {
            console.error("bench: some requests failed; the numbers are not comparable");
            process.exitCode = 1;
        }
    } finally {
        guard.proc.kill("SIGTERM");
        up.proc.kill("SIGTERM");
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
    const { startGuard } = await import("../guard/src/main");
    const g = await startGuard(process.env);
    process.once("SIGTERM", () => void g.stop().then(() => process.exit(0)));
}

const role = process.argv[2];
(role ? serve(role) : main()).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
