// Preloaded (`node --require`) by cli/packProcess.ts into each policy pack process, ahead of @pulumi/pulumi's
// run-policy-pack: a V8 code cache for the JavaScript a pack loads (TypeScript, which run-policy-pack always loads,
// the Pulumi SDK, gRPC, the pack's own code as ts-node compiled it), so that a pack does not compile the same 16 MB
// again on every `mcpsec check`. The folder comes in MCPSEC_PACK_COMPILE_CACHE; without it this file does nothing.
//
// Node >= 22.1 has this built in (module.enableCompileCache; entries checked against the source's checksum). On
// Node 20 the cache is kept here: each module's code is compiled with vm.Script from the cache entry named by the
// SHA-256 of its file name and content (another content is another entry; V8 itself rejects data made by another
// V8 version or flags, and the folder is per Node version), and the entries of modules compiled without a usable
// entry are written when the pack is stopped (SIGTERM, as mcpsec stops it), after it has run, so that they hold the
// functions compiled while the pack served, not only the top level. Writes go to a temporary file renamed into
// place, so concurrent packs and concurrent checks read whole entries or none. Any failure (folder not writable, not
// ours, a file that is not a cache entry) means no cache, never a failed pack.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");
const vm = require("vm");

/** Entries above this count are all removed at the next write (content-keyed entries of old sources pile up). */
const MAX_ENTRIES = 20000;

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

function ownCache(dir) {
    const original = Module.prototype._compile;
    const pending = new Map();
    const importModuleDynamically = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
    if (importModuleDynamically === undefined) {
        return; // dynamic import() would fail in modules compiled here (Node < 20.12)
    }

    function makeRequire(mod) {
        const require = (id) => mod.require(id);
        require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
        require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
        require.main = process.mainModule;
        require.extensions = Module._extensions;
        require.cache = Module._cache;
        return require;
    }

    Module.prototype._compile = function compileWithCache(content, filename, format) {
        if ((format !== undefined && format !== "commonjs") || typeof content !== "string") {
            return original.call(this, content, filename, format);
        }
        const key = crypto.createHash("sha256").update(filename).update("\0").update(content).digest("hex");
        let cachedData;
        try {
            cachedData = fs.readFileSync(path.join(dir, key));
        } catch {
            cachedData = undefined;
        }
        let script;
        try {
            script = new vm.Script(Module.wrap(content), { filename, cachedData, importModuleDynamically });
        } catch {
            // a syntax error or an ES module: Node's own compile reports or handles it
            return original.call(this, content, filename, format);
        }
        if (cachedData === undefined || script.cachedDataRejected) {
            pending.set(key, script);
        }
        const compiled = script.runInThisContext({ displayErrors: true });
        return compiled.call(this.exports, this.exports, makeRequire(this), this, filename, path.dirname(filename));
    };

    const flush = () => {
        if (pending.size === 0) {
            return;
        }
        try {
            if (fs.readdirSync(dir).length > MAX_ENTRIES) {
                fs.rmSync(dir, { recursive: true, force: true });
                fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
            }
            for (const [key, script] of pending) {
                const tmp = path.join(dir, `${key}.${process.pid}.tmp`);
                fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
                fs.renameSync(tmp, path.join(dir, key));
            }
        } catch {
            // not writable now: the next pack compiles again
        }
        pending.clear();
    };
    flushOnTerm(flush);
    process.once("exit", flush);
}

const root = process.env.MCPSEC_PACK_COMPILE_CACHE;
delete process.env.MCPSEC_PACK_COMPILE_CACHE;
if (root) {
    if (typeof Module.enableCompileCache === "function") {
        const dir = privateDir(path.join(root, "node"));
        if (dir) {
            builtinCache(dir);
        }
    } else {
        const dir = privateDir(path.join(root, `${process.version}-${process.arch}`));
        if (dir) {
            ownCache(dir);
        }
    }
}
