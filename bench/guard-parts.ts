// npx tsx bench/guard-parts.ts: CPU per call of the guard's two per-request parts that depend on the message, in
// this process: DLP on a 1 KB tool result at 1, 2, 4, 8 and 16 results per event-loop turn (the joint scan), and the
// strict request-body parse (duplicate keys). With BENCH_BASELINE (a directory holding an older guard tree, as for
// bench/guard.ts) the same figures for that tree, measured in the same process.
import * as path from "path";

const RESULT = "The quick brown fox jumps over the lazy dog; ".repeat(23).slice(0, 1024);
const message = (i: number) => ({ jsonrpc: "2.0", id: i, result: { content: [{ type: "text", text: RESULT }] } });
const BODY = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 12345, method: "tools/call", params: { name: "fetch_report", arguments: { id: "12345" } } }));

type Tree = { label: string; Dlp: typeof import("../guard/src/core/dlp").Dlp; parseBody: typeof import("../guard/src/core/jsonrpc").parseBody };

async function load(label: string, root: string): Promise<Tree> {
    const dlp = (await import(path.join(root, "guard/src/core/dlp"))) as typeof import("../guard/src/core/dlp");
    const rpc = (await import(path.join(root, "guard/src/core/jsonrpc"))) as typeof import("../guard/src/core/jsonrpc");
    return { label, Dlp: dlp.Dlp, parseBody: rpc.parseBody };
}

function micros(start: NodeJS.CpuUsage, n: number): string {
    const u = process.cpuUsage(start);
    return ((u.user + u.system) / n).toFixed(1);
}

async function main() {
    const trees = [await load("this tree", path.resolve(__dirname, ".."))];
    if (process.env.BENCH_BASELINE) {
        trees.push(await load("baseline", path.resolve(process.env.BENCH_BASELINE)));
    }
    const n = Number(process.env.BENCH_MESSAGES ?? "2000");
    for (const t of trees) {
        const dlp = new t.Dlp("redact", []);
        for (let i = 0; i < 1000; i++) {
            await dlp.scan(message(i));
        }
        const perTurn: string[] = [];
        for (const batch of [1, 2, 4, 8, 16]) {
            const start = process.cpuUsage();
            for (let i = 0; i < n; i += batch) {
                await Promise.all(Array.from({ length: batch }, (_, k) => dlp.scan(message(i + k))));
            }
            perTurn.push(`${batch}: ${micros(start, n)}`);
        }
        for (let i = 0; i < 2000; i++) {
            t.parseBody(BODY);
        }
        const start = process.cpuUsage();
        for (let i = 0; i < 20_000; i++) {
            t.parseBody(BODY);
        }
        console.log(`${t.label}: DLP µs per 1 KB result by results per turn (${perTurn.join(", ")}); request body parse ${micros(start, 20_000)} µs`);
    }
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
