import { spawn } from "child_process";
import * as fs from "fs";
import * as nodeModule from "module";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { packCompileCacheDir } from "../../cli/packProcess";

// The compile cache preloaded into pack processes (bin/pack-compile-cache.js), exercised on a one-file program in a
// plain node process: what a pack process does, without starting a pack (seconds each).
const PRELOAD = path.resolve(__dirname, "..", "..", "bin", "pack-compile-cache.js");
const builtin = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === "function";

const tmp: string[] = [];
afterEach(() => tmp.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-cc-"));
    tmp.push(d);
    return d;
}

/**
 * Runs `program` under the preload with `cacheDir`, stops it with SIGTERM once it has printed its value (as mcpsec
 * stops a pack), and returns that value, how it ended and the program's own note on the cache it was compiled with.
 */
function run(program: string, cacheDir: string): Promise<{ value: string; signal: NodeJS.Signals | null; code: number | null }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--require", PRELOAD, program], {
            env: { ...process.env, MCPSEC_PACK_COMPILE_CACHE: cacheDir },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) {
                child.kill("SIGTERM");
            }
        });
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", reject);
        child.on("exit", (code, signal) => (err ? reject(new Error(err)) : resolve({ value: out.trim(), signal, code })));
    });
}

/** A program that prints a value from a module it requires, then waits to be stopped (a pack serving). */
function writeProgram(dir: string, value: string): string {
    fs.writeFileSync(path.join(dir, "mod.js"), `module.exports = function () { return ${JSON.stringify(value)}; };\n`);
    const main = path.join(dir, "main.js");
    fs.writeFileSync(main, `process.stdout.write(require("./mod.js")() + "\\n"); setInterval(() => undefined, 1000);\n`);
    return main;
}

function entries(dir: string): string[] {
    return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : [];
}

describe("pack compile cache", () => {
    it("writes entries when the process is stopped, still ends by SIGTERM, and never serves a changed module from the cache", async () => {
        const src = tempDir();
        const cache = path.join(tempDir(), "cache");
        const main = writeProgram(src, "first");
        const first = await run(main, cache);
        expect(first).toEqual({ value: "first", signal: "SIGTERM", code: null });
        const written = entries(cache);
        // Node 20 (no module.enableCompileCache) runs without a cache: nothing is written.
        expect(written.length > 0).toBe(builtin);
        const stamp = () => written.map((f) => { const st = fs.statSync(path.join(cache, f)); return `${f} ${st.ino} ${st.mtimeMs}`; });
        const before = stamp();
        expect((await run(main, cache)).value).toBe("first");
        // The second run used the entries: V8 accepted them, so none was rewritten.
        expect(stamp()).toEqual(before);
        // Same length, other content: V8 alone checks only the length of a cached source.
        writeProgram(src, "other");
        expect((await run(main, cache)).value).toBe("other");
    });

    it("falls back to no cache when the folder cannot be made or others may write it", async () => {
        const src = tempDir();
        const main = writeProgram(src, "value");
        const blocker = path.join(tempDir(), "file");
        fs.writeFileSync(blocker, "not a folder");
        expect(await run(main, path.join(blocker, "cache"))).toEqual({ value: "value", signal: "SIGTERM", code: null });
        const shared = path.join(tempDir(), "shared");
        fs.mkdirSync(path.join(shared, "node"), { recursive: true, mode: 0o777 });
        fs.chmodSync(path.join(shared, "node"), 0o777);
        expect((await run(main, shared)).value).toBe("value");
        expect(entries(shared)).toEqual([]);
    });

    it("is on by default in node_modules/.cache, off or elsewhere by MCPSEC_COMPILE_CACHE", () => {
        expect(packCompileCacheDir({})).toBe(path.resolve(__dirname, "..", "..", "node_modules", ".cache", "mcpsec", "pack-compile"));
        expect(packCompileCacheDir({ MCPSEC_COMPILE_CACHE: "off" })).toBeUndefined();
        expect(packCompileCacheDir({ MCPSEC_COMPILE_CACHE: "0" })).toBeUndefined();
        expect(packCompileCacheDir({ MCPSEC_COMPILE_CACHE: "/tmp/x" })).toBe("/tmp/x");
    });
});
