import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { UsageError } from "./errors";
import { findProject, listStacks, loadStackConfig, ProjectInfo, StackConfig } from "./project";

// tsx's CommonJS API compiles the program's TypeScript on load, under the bin script and under vitest alike (its typings
// are published for module resolution node16+ only, hence the typed require).
// Loaded on first use, so that the CLI can read a program's Pulumi.yaml without loading tsx.
const tsxRequire = (id: string, fromFile: string): unknown =>
    (createRequire(__filename)("tsx/cjs/api") as { require: (id: string, fromFile: string) => unknown }).require(id, fromFile);

/**
 * A user's own Pulumi TypeScript (or JavaScript) program, run by `mcpsec synth|check --program <dir>` under the same
 * mock engine as the blueprints: the folder's Pulumi.yaml names the project and, with `main`, the entry point.
 */
export interface UserProgram {
    project: ProjectInfo;
    /** The file the Pulumi CLI would run: `main` of Pulumi.yaml, else the folder (package.json `main`, index.ts/js). */
    entry: string;
    /** Runs the program as the Node.js language host does: require the entry, call it if it exports a function. */
    run: () => Promise<unknown>;
}

function entryOf(project: ProjectInfo): string {
    const doc = fs.readFileSync(path.join(project.root, "Pulumi.yaml"), "utf8");
    const main = /^main:\s*["']?([^"'\n#]+?)["']?\s*$/m.exec(doc)?.[1];
    const base = main ? path.resolve(project.root, main) : project.root;
    if (fs.existsSync(base) && fs.statSync(base).isFile()) {
        return base;
    }
    const pkgFile = path.join(base, "package.json");
    const pkgMain = fs.existsSync(pkgFile) ? (JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { main?: string }).main : undefined;
    for (const candidate of [pkgMain, "index.ts", "index.js"]) {
        if (candidate && fs.existsSync(path.join(base, candidate))) {
            return path.join(base, candidate);
        }
    }
    throw new UsageError(`--program ${project.root}: no entry point (Pulumi.yaml main, package.json main, index.ts or index.js) in ${base}`);
}

/** Loads the program folder (a Pulumi project); the program itself runs only when `run` is called. */
export function loadUserProgram(dir: string): UserProgram {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new UsageError(`--program ${dir}: not a folder`);
    }
    if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        throw new UsageError(`--program ${dir}: no Pulumi.yaml in the folder (a Pulumi project is expected)`);
    }
    const project = findProject(dir);
    const entry = entryOf(project);
    const run = async (): Promise<unknown> => {
        // The Pulumi CLI runs a program in its project folder; programs read files relative to it.
        const cwd = process.cwd();
        process.chdir(project.root);
        // A fresh module instance per run (a program registers its resources when it is loaded).
        for (const id of Object.keys(require.cache)) {
            if (id.startsWith(project.root + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`)) {
                delete require.cache[id];
            }
        }
        try {
            let exported: unknown;
            try {
                exported = tsxRequire(entry, __filename);
            } catch (e) {
                const err = e as NodeJS.ErrnoException;
                if (err.code === "MODULE_NOT_FOUND") {
                    const missing = /Cannot find module '([^']+)'/.exec(err.message)?.[1] ?? err.message;
                    throw new UsageError(`--program ${project.root}: the program imports ${missing}, which is not installed (run npm install in the program folder)`);
                }
                throw new UsageError(`--program ${project.root}: the program failed while loading ${path.relative(project.root, entry)}: ${err.message.split("\n")[0]}`);
            }
            const value = typeof exported === "function" ? (exported as () => unknown)() : exported;
            return await value;
        } finally {
            process.chdir(cwd);
        }
    };
    return { project, entry, run };
}

/**
 * The program's stack config: `Pulumi.<stack>.yaml` in its stack config folder (or the file given), read as for the
 * blueprints. A program without one runs with no config, and the report says so.
 */
export function programStackConfig(program: UserProgram, stack: string, stackFile?: string): StackConfig & { missing: boolean } {
    const file = stackFile ?? path.join(program.project.stackConfigDir, `Pulumi.${stack}.yaml`);
    if (stackFile === undefined && !fs.existsSync(file)) {
        const known = listStacks(program.project);
        if (known.length > 0) {
            throw new UsageError(`--program ${program.project.root}: stack "${stack}" has no config file; stacks with config: ${known.join(", ")}`);
        }
        return { config: {}, secretKeys: [], file, missing: true };
    }
    return { ...loadStackConfig(program.project, stack, stackFile), missing: false };
}
