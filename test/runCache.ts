import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { inject } from "vitest";
import { ResourceGraph } from "../cli/graph";
import { synthesize } from "../cli/synth";
import { project, ROOT } from "./helpers";

/** How long a caller waits for another worker's synthesis: below the hooks' timeout, so this error is what reports. */
const WAIT_MS = 50_000;

/** True when the lock names a process that no longer exists (a lock still being written, with no pid yet, is live). */
function lockHolderGone(lock: string): boolean {
    let pid: number;
    try {
        pid = Number(fs.readFileSync(lock, "utf8"));
    } catch {
        return false;
    }
    if (!Number.isInteger(pid) || pid <= 0) {
        return false;
    }
    try {
        process.kill(pid, 0);
        return false;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "ESRCH";
    }
}

/**
 * The graph of a stack of the project (or of a fixture stack file), synthesized once per test run and shared by every
 * test file that asks for it: the first caller synthesizes while callers in other workers wait, the others read the
 * saved graph. Each caller gets its own copy (the JSON of `mcpsec synth --format json`), so changing it is local.
 * The key is the stack name, the stack file and its text; the cache folder lives only as long as the run
 * (test/globalSetup.ts).
 */
export async function synthesizedStack(stack: string, stackFile?: string): Promise<ResourceGraph> {
    const file = path.resolve(stackFile ?? path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
    const key = createHash("sha256").update(JSON.stringify([stack, file, fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null])).digest("hex").slice(0, 32);
    const saved = path.join(inject("runCacheDir"), `graph-${key}.json`);
    const lock = `${saved}.lock`;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
        if (fs.existsSync(saved)) {
            return JSON.parse(fs.readFileSync(saved, "utf8")) as ResourceGraph;
        }
        let fd: number;
        try {
            fd = fs.openSync(lock, "wx");
            fs.writeSync(fd, String(process.pid));
        } catch {
            // Another worker is synthesizing this stack; if it fails, it removes the lock and a waiter tries itself.
            // A worker that died holding the lock (killed mid-synthesis) leaves it behind: its pid is gone, so the
            // lock is stale and the waiter takes over instead of waiting out the deadline.
            if (lockHolderGone(lock)) {
                fs.rmSync(lock, { force: true });
                continue;
            }
            if (Date.now() > deadline) {
                throw new Error(`waited ${WAIT_MS / 1000} s for another worker to synthesize ${stack} (${lock})`);
            }
            await new Promise((r) => setTimeout(r, 50));
            continue;
        }
        try {
            const text = JSON.stringify(await synthesize({ project, stack, stackFile }));
            fs.writeFileSync(`${saved}.tmp`, text);
            fs.renameSync(`${saved}.tmp`, saved);
            return JSON.parse(text) as ResourceGraph;
        } finally {
            fs.closeSync(fd);
            fs.rmSync(lock, { force: true });
        }
    }
}
