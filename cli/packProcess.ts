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
 * How many steps of niceness the pack processes run below this process (MCPSEC_PACK_NICE, 0 to 19; default 19). The
 * packs boot while this process loads and runs the program, which the check waits for first; at the lowest priority
 * they take only CPU the program leaves idle, and once the program is done they are what runs. On a machine busy with
 * other work they also yield to that work: MCPSEC_PACK_NICE=0 runs them at this process's priority.
 */
export function packNiceStep(env: NodeJS.ProcessEnv = process.env): number {
    const setting = env.MCPSEC_PACK_NICE;
    if (setting === undefined || setting === "") {
        return 19;
    }
    if (!/^\d+$/.test(setting) || Number(setting) > 19) {
        throw new UsageError(`MCPSEC_PACK_NICE is ${JSON.stringify(setting)}; allowed: a whole number from 0 to 19 (steps of niceness below mcpsec's)`);
    }
    return Number(setting);
}

/** Pack processes run packNiceStep() steps of niceness below this process (capped at 19), not at a fixed level. */
function packPriority(step: number): number {
    try {
        return Math.min(19, os.getPriority() + step);
    } catch {
        return 19;
    }
}

export function startPackProcess(dir: string): PackProcess {
    const packDir = path.resolve(dir);
    if (!fs.existsSync(path.join(packDir, "PulumiPolicy.yaml"))) {
        throw new UsageError(`${dir} is not a policy pack: it has no PulumiPolicy.yaml`);
    }
    const niceStep = packNiceStep();
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
        if (child.pid !== undefined && niceStep > 0) {
            os.setPriority(child.pid, packPriority(niceStep));
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
    try {
        for (const dir of dirs) {
            started.push(startPackProcess(dir));
        }
    } catch (e) {
        started.forEach((p) => p.child.kill());
        throw e;
    }
    return started;
}
