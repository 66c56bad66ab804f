import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { inject } from "vitest";
import { ResourceGraph } from "../cli/graph";
import { synthesize } from "../cli/synth";
import { project, ROOT } from "./helpers";

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
    const deadline = Date.now() + 120_000;
    for (;;) {
        if (fs.existsSync(saved)) {
            return JSON.parse(fs.readFileSync(saved, "utf8")) as ResourceGraph;
        }
        let fd: number;
        try {
            fd = fs.openSync(lock, "wx");
        } catch {
            // Another worker is synthesizing this stack; if it fails, it removes the lock and a waiter tries itself.
            if (Date.now() > deadline) {
                throw new Error(`waited 120 s for another worker to synthesize ${stack} (${lock})`);
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
