import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "./errors";
import { ProjectInfo } from "./project";

/**
 * A policy pack process, started as the Pulumi CLI starts one: `node @pulumi/pulumi/cmd/run-policy-pack
 * <engine-address> <pack-dir>` in the pack's folder, which compiles the TypeScript pack and prints the port of
 * its Analyzer gRPC service. This module stays light (no gRPC, no Pulumi) so that the CLI can start packs
 * first and let them boot while it loads and synthesizes the program.
 */
export interface PackProcess {
    dir: string;
    child: ChildProcess;
    port: Promise<number>;
}

/** Every folder under `policies/` that is a policy pack (has a PulumiPolicy.yaml). */
export function discoverPacks(project: ProjectInfo): string[] {
    const root = path.join(project.root, "policies");
    if (!fs.existsSync(root)) {
        return [];
    }
    return fs.readdirSync(root)
        .map((d) => path.join(root, d))
        .filter((d) => fs.existsSync(path.join(d, "PulumiPolicy.yaml")))
        .sort();
}

/** The preload that gives pack processes a V8 code cache (see its header). */
const COMPILE_CACHE_PRELOAD = path.resolve(__dirname, "..", "bin", "pack-compile-cache.js");

/**
 * Where pack processes keep their V8 code cache: MCPSEC_COMPILE_CACHE if set (`off` or `0`: no cache), else
 * `.cache/mcpsec/pack-compile` in the node_modules folder that holds @pulumi/pulumi (the find-cache-dir convention,
 * gone with a fresh install). Undefined: no cache.
 */
export function packCompileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const setting = env.MCPSEC_COMPILE_CACHE;
    if (setting !== undefined && setting !== "") {
        return ["off", "0", "false"].includes(setting.toLowerCase()) ? undefined : path.resolve(setting);
    }
    try {
        const pulumiPackage = require.resolve("@pulumi/pulumi/package.json");
        return path.join(path.dirname(pulumiPackage), "..", "..", ".cache", "mcpsec", "pack-compile");
    } catch {
        return undefined;
    }
}

/**
 * Tasks of other processes running or ready to run right now (Linux: the running count of /proc/loadavg less this
 * process's own running threads), the least of `samples` readings 2 ms apart; undefined where /proc cannot tell.
 */
export function otherRunnableTasks(samples = 3): number | undefined {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let least: number | undefined;
    try {
        for (let i = 0; i < samples; i++) {
            if (i > 0) {
                Atomics.wait(pause, 0, 0, 2);
            }
            const running = Number(fs.readFileSync("/proc/loadavg", "utf8").split(" ")[3]?.split("/")[0]);
            if (!Number.isInteger(running)) {
                return undefined;
            }
            let own = 0;
            for (const task of fs.readdirSync("/proc/self/task")) {
                try {
                    const stat = fs.readFileSync(`/proc/self/task/${task}/stat`, "utf8");
                    own += stat[stat.lastIndexOf(")") + 2] === "R" ? 1 : 0;
                } catch {
                    // the thread ended meanwhile
                }
            }
            least = Math.min(least ?? Infinity, Math.max(0, running - own));
        }
    } catch {
        return undefined;
    }
    return least;
}

/**
 * How many steps of niceness the pack processes run below this process. MCPSEC_PACK_NICE (0 to 19) sets it. Without
 * it: 19 when the machine has a core free besides the one this process uses (other runnable tasks counted as above),
 * so that the packs boot on CPU the program leaves idle instead of slowing the synthesis the check waits for first;
 * 0 when it has none, since low-priority packs would then wait behind the other work for the whole check (measured
 * with two busy loops beside a check on 2 cores: 62 s at 19, 34 s at 10, 17 s at 0); 10 where it cannot be told.
 */
export function packNiceStep(env: NodeJS.ProcessEnv = process.env, othersRunnable: () => number | undefined = otherRunnableTasks, cores: number = os.availableParallelism()): number {
    const setting = env.MCPSEC_PACK_NICE;
    if (setting !== undefined && setting !== "") {
        if (!/^\d+$/.test(setting) || Number(setting) > 19) {
            throw new UsageError(`MCPSEC_PACK_NICE is ${JSON.stringify(setting)}; allowed: a whole number from 0 to 19 (steps of niceness below mcpsec's)`);
        }
        return Number(setting);
    }
    const others = othersRunnable();
    if (others === undefined) {
        return 10;
    }
    return cores - 1 - others >= 1 ? 19 : 0;
}

/** Pack processes run packNiceStep() steps of niceness below this process (capped at 19), not at a fixed level. */
function packPriority(step: number): number {
    try {
        return Math.min(19, os.getPriority() + step);
    } catch {
        return 19;
    }
}

/** Starts one pack; `niceStep` as packNiceStep() decides (startPackProcesses decides once for all its packs). */
export function startPackProcess(dir: string, niceStep?: number): PackProcess {
    const packDir = path.resolve(dir);
    if (!fs.existsSync(path.join(packDir, "PulumiPolicy.yaml"))) {
        throw new UsageError(`${dir} is not a policy pack: it has no PulumiPolicy.yaml`);
    }
    const step = niceStep ?? packNiceStep();
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    // The compile cache is a preload ahead of run-policy-pack, which then runs as the Pulumi CLI runs it.
    const cacheDir = packCompileCacheDir();
    const preload = cacheDir !== undefined && fs.existsSync(COMPILE_CACHE_PRELOAD) ? ["--require", COMPILE_CACHE_PRELOAD] : [];
    const env = cacheDir !== undefined ? { ...process.env, MCPSEC_PACK_COMPILE_CACHE: cacheDir } : process.env;
    // The engine address is required by run-policy-pack's command line; offline there is no engine to log to.
    const child = spawn(process.execPath, [...preload, runner, "127.0.0.1:0", "."], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"], env });
    // Packs boot while this process loads and synthesizes the program; a lower priority keeps them from slowing the
    // synthesis they are waiting for. Relative to this process, so that a check run at a raised priority does not
    // leave its packs behind every other process. Best effort: some platforms refuse.
    try {
        if (child.pid !== undefined && step > 0) {
            os.setPriority(child.pid, packPriority(step));
        }
    } catch {
        // not permitted here: the packs run at normal priority
    }
    const port = new Promise<number>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) {
                resolve(Number(m[1]));
            }
        });
        child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => reject(new Error(`policy pack ${dir} exited with code ${code} before serving:\n${(err || out).trim()}`)));
        child.on("error", reject);
    });
    // Awaited by whoever connects; keep an early failure from surfacing as an unhandled rejection meanwhile.
    port.catch(() => undefined);
    return { dir: packDir, child, port };
}

/** Starts every pack; if one cannot start, stops those already started and rethrows. */
export function startPackProcesses(dirs: string[]): PackProcess[] {
    const started: PackProcess[] = [];
    const step = dirs.length > 0 ? packNiceStep() : 0;
    try {
        for (const dir of dirs) {
            started.push(startPackProcess(dir, step));
        }
    } catch (e) {
        started.forEach((p) => p.child.kill());
        throw e;
    }
    return started;
}
