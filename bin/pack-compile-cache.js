// Preloaded (`node --require`) by cli/packProcess.ts into each policy pack process, ahead of @pulumi/pulumi's
// run-policy-pack: a V8 code cache for the JavaScript a pack loads (TypeScript, which run-policy-pack always loads,
// the Pulumi SDK, gRPC, the pack's own code as ts-node compiled it), so that a pack does not compile the same 16 MB
// again on every `mcpsec check`. The folder comes in MCPSEC_PACK_COMPILE_CACHE; without it this file does nothing.
//
// It is Node's own cache (module.enableCompileCache, Node >= 22.1: entries checked against the source's checksum),
// flushed when the pack is stopped (SIGTERM, as mcpsec stops it), after it has run, so that the entries hold the
// functions compiled while the pack served, not only the top level. Older Node (20, end of life) runs packs without a
// cache: a hand-made replacement of Node's module compile step was measured and dropped, since it changed stack
// traces and skipped parts of Node's loader. Any failure (folder not writable, not ours, or writable by others) means
// no cache, never a failed pack.
"use strict";

const fs = require("fs");
const Module = require("module");
const path = require("path");

/** The folder, created private to this user; undefined when it cannot be made, is not ours, or others may write it. */
function privateDir(dir) {
    try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const st = fs.lstatSync(dir);
        const mine = typeof process.getuid !== "function" || st.uid === process.getuid();
        return st.isDirectory() && mine && (st.mode & 0o022) === 0 ? dir : undefined;
    } catch {
        return undefined;
    }
}

/** On SIGTERM: run `flush`, then end as the signal would have (the default action, re-raised). */
function flushOnTerm(flush) {
    const onTerm = () => {
        try {
            flush();
        } finally {
            process.removeListener("SIGTERM", onTerm);
            process.kill(process.pid, "SIGTERM");
        }
    };
    process.on("SIGTERM", onTerm);
}

function builtinCache(dir) {
    const result = Module.enableCompileCache(dir);
    if (typeof Module.flushCompileCache === "function" && result && result.status !== Module.constants?.compileCacheStatus?.FAILED) {
        // Node writes its cache at exit; a pack process ends by SIGTERM, which skips that.
        flushOnTerm(() => Module.flushCompileCache());
    }
}

const root = process.env.MCPSEC_PACK_COMPILE_CACHE;
delete process.env.MCPSEC_PACK_COMPILE_CACHE;
if (root && typeof Module.enableCompileCache === "function") {
    const dir = privateDir(path.join(root, "node"));
    if (dir) {
        builtinCache(dir);
    }
}
