// npm run conformance: the MCP conformance server suite (@modelcontextprotocol/conformance, run under Node >= 22 as it
// requires: this runtime when it is one, else the Node 22 pinned in .ci/runtimes) against the reference upstream
// directly, then through the guard in its deployed mode (HTTPS with a certificate made at start, bearer tokens,
// Host/Origin allowlists). A shim in front of the guard adds a token from the local issuer (the suite's client has
// none) and passes Host and Origin through unchanged. It prints the before/after counts and fails when a scenario
// that passes directly fails through the guard, or when dns-rebinding-protection fails through the guard.
import { spawn } from "child_process";
import { mkdtempSync } from "fs";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import { tmpdir } from "os";
import * as path from "path";
import { startGuard } from "../../guard/src/main";
import { nodeAtLeast } from "../ci/runtimes";
import { CLIENT_ID, manifestFor, startIssuer } from "./issuer";
import { referenceCapabilities, referenceSetup, referenceTools } from "./reference";
import { startUpstream } from "./upstream";

const RESOURCE = "https://conformance.mcp.example.com/mcp";
const SCOPE = "conformance:all";

type Result = Map<string, { status: "passed" | "failed"; failures: string[] }>;

/** Runs the suite in a child process (asynchronously: upstream, guard and shim live in this process's event loop). */
function runSuite(url: string, label: string): Promise<Result> {
    const cli = require.resolve("@modelcontextprotocol/conformance/dist/index.js");
    const cwd = mkdtempSync(path.join(tmpdir(), "mcp-conformance-"));
    return new Promise((resolve, reject) => {
        const child = spawn(nodeAtLeast(22), [cli, "server", "--url", url, "--suite", "all"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (c: Buffer) => { output += c.toString("utf8"); });
        child.stderr.on("data", (c: Buffer) => { output += c.toString("utf8"); });
        const timer = setTimeout(() => child.kill("SIGTERM"), 600_000);
        child.on("error", (e) => reject(new Error(`conformance suite did not run (${label}): ${e.message}`)));
        child.on("close", (code) => {
            clearTimeout(timer);
            if (process.env.CONFORMANCE_RAW) {
                console.log(output);
            }
            const result = parse(output);
            if ((code !== 0 && code !== 1) || result.size === 0) {
                reject(new Error(`conformance suite did not run (${label}): exit ${code}\n${output.slice(-2000)}`));
                return;
            }
            resolve(result);
        });
    });
}

/** Reads the CLI's per-scenario lines: `✓ <scenario>` / `✗ <scenario>` with failed checks below. */
function parse(output: string): Result {
    const result: Result = new Map();
    let current: string | undefined;
    for (const line of output.split("\n")) {
        const m = /^\s*([✓✗])\s+([a-z0-9-]+): \d+ passed, \d+ failed/.exec(line);
        if (m) {
            current = m[2];
            result.set(current, { status: m[1] === "✓" ? "passed" : "failed", failures: [] });
        } else if (current !== undefined && /^\s+(-|✗|FAIL)/.test(line)) {
            result.get(current)!.failures.push(line.trim());
        }
    }
    return result;
}

async function main() {
    const upstream = await startUpstream({ tools: referenceTools, resumable: true, capabilities: referenceCapabilities, setup: referenceSetup, record: false });
    const issuer = await startIssuer(RESOURCE);
    const token = await issuer.token({ scope: `${RESOURCE}/${SCOPE}` }, { expiresIn: "1h" });

    // The shim: what an MCP client with a token would send, Host and Origin untouched; TLS to the guard is not
    // verified, as an ALB does not verify target certificates.
    let guardPort = 0;
    const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
    const shim = http.createServer((req, res) => {
        const headers = { ...req.headers, authorization: `Bearer ${token}` };
        const out = https.request({ host: "127.0.0.1", port: guardPort, path: req.url, method: req.method, headers, agent }, (gr) => {
            res.writeHead(gr.statusCode ?? 502, gr.headers);
            gr.pipe(res);
        });
        out.on("error", () => res.destroy());
        res.on("close", () => out.destroy());
        req.pipe(out);
    });
    await new Promise<void>((r) => shim.listen(0, "127.0.0.1", r));
    const shimPort = (shim.address() as AddressInfo).port;

    const guard = await startGuard({
        GUARD_SERVER_NAME: "conformance",
        GUARD_RESOURCE: RESOURCE,
        GUARD_ISSUER: issuer.issuer,
        GUARD_JWKS_URL: issuer.jwksUrl,
        GUARD_CLIENT_IDS: CLIENT_ID,
        GUARD_UPSTREAM_URL: upstream.url,
        GUARD_LISTEN_HOST: "127.0.0.1",
        GUARD_LISTEN_PORT: "0",
        GUARD_ALLOWED_HOSTS: `127.0.0.1:${shimPort},localhost:${shimPort}`,
        GUARD_ALLOWED_ORIGINS: `http://127.0.0.1:${shimPort},http://localhost:${shimPort}`,
        GUARD_MANIFEST: manifestFor({ name: "conformance", url: RESOURCE }, referenceTools.map((t) => ({ ...t, scopes: [SCOPE] }))),
    }, { auditSink: () => undefined });
    guardPort = guard.port;

    try {
        const direct = await runSuite(upstream.url, "direct");
        const guarded = await runSuite(`http://127.0.0.1:${shimPort}/mcp`, "through the guard");
        const count = (r: Result) => [...r.values()].filter((v) => v.status === "passed").length;
        console.log(`\nMCP conformance server suite (${direct.size} scenarios)`);
        console.log(`  directly:          ${count(direct)} passed, ${direct.size - count(direct)} failed`);
        console.log(`  through the guard: ${count(guarded)} passed, ${guarded.size - count(guarded)} failed\n`);
        const problems: string[] = [];
        for (const [name, d] of direct) {
            const g = guarded.get(name);
            const mark = (s?: string) => (s === "passed" ? "pass" : s === "failed" ? "FAIL" : "----");
            console.log(`  ${mark(d.status)}  ${mark(g?.status)}  ${name}`);
            if (d.status === "passed" && g?.status !== "passed") {
                problems.push(`${name} passes directly but not through the guard: ${g?.failures.join("; ") ?? "missing"}`);
            }
        }
        if (guarded.get("dns-rebinding-protection")?.status !== "passed") {
            problems.push("dns-rebinding-protection does not pass through the guard");
        }
        if (direct.size === 0) {
            problems.push("no scenario ran");
        }
        for (const p of problems) {
            console.error(`conformance: ${p}`);
        }
        process.exitCode = problems.length > 0 ? 1 : 0;
    } finally {
        await guard.stop();
        shim.closeAllConnections();
        shim.close();
        agent.destroy();
        await upstream.close();
        await issuer.close();
    }
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
