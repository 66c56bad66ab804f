import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { startPackProcess } from "../../cli/packProcess";
import { ROOT } from "../helpers";

// .ci/run runs this suite under the machine's Node.js and again under the pinned Node 22 and 24 (.ci/runtimes). A
// child process started as `node ...` (or through npx/tsx on the PATH) would run whatever `node` the PATH holds, so the
// "Node 24 run" would quietly test Node 20 in every pack process and CLI child. Children are started with
// process.execPath; these tests hold that.

const SPAWNERS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "exec", "execSync", "fork"]);
/** A command that resolves a Node.js runtime through the PATH instead of naming this process's binary. */
const PATH_RUNTIME = /^(node|nodejs|npx|tsx|ts-node|vitest)(\s|$)/;

export interface PathSpawn { file: string; line: number; text: string }

/** Calls in one source file that start a child through a runtime found on the PATH (`spawn("node", ...)`, ...). */
export function pathRuntimeSpawns(file: string, source: string): PathSpawn[] {
    const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
    const found: PathSpawn[] = [];
    const literal = (e: ts.Expression | undefined): string | undefined =>
        e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : e && ts.isTemplateExpression(e) ? e.head.text : undefined;
    const report = (node: ts.Node) => found.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.getText().slice(0, 120) });
    const visit = (node: ts.Node) => {
        if (ts.isCallExpression(node)) {
            const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : ts.isIdentifier(node.expression) ? node.expression.text : "";
            const command = literal(node.arguments[0]);
            if (SPAWNERS.has(callee) && command !== undefined && PATH_RUNTIME.test(command)) {
                report(node);
            }
        }
        // new StdioClientTransport({ command: "node", ... }) (MCP SDK) and similar option bags.
        if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "command") {
            const command = literal(node.initializer);
            if (command !== undefined && PATH_RUNTIME.test(command)) {
                report(node);
            }
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return found;
}

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
        const p = path.join(dir, d.name);
        if (d.isDirectory()) {
            return d.name === "node_modules" || d.name === "fixtures" ? [] : sources(p);
        }
        return /\.(ts|js|mjs|cjs)$/.test(d.name) ? [p] : [];
    });
}

describe("child processes run the runtime of their parent", () => {
    it("the check catches a child started through the PATH", () => {
        const bad = [
            `import { spawn } from "child_process"; spawn("node", ["x.js"]);`,
            `cp.execFileSync("npx", ["--yes", "tool"]);`,
            "execSync(`node ${script}`);",
            `new StdioClientTransport({ command: "node", args: [] });`,
        ];
        for (const src of bad) {
            expect(pathRuntimeSpawns("bad.ts", src), src).toHaveLength(1);
        }
        expect(pathRuntimeSpawns("good.ts", `spawn(process.execPath, ["x.js"]); spawnSync("taskset", ["-c", "1", process.execPath]); spawn("npm", ["ci"]);`)).toEqual([]);
    });

    it("no tool, benchmark or test starts node, npx or tsx from the PATH", () => {
        const files = ["cli", "test", "bench", "scripts", "bin", "guard/src"].flatMap((d) => sources(path.join(ROOT, d)));
        expect(files.length).toBeGreaterThan(50);
        const found = files.map((f) => ({ f, src: fs.readFileSync(f, "utf8") }))
            .filter(({ src }) => /child_process|command:/.test(src))
            .flatMap(({ f, src }) => pathRuntimeSpawns(path.relative(ROOT, f), src))
            .filter((s) => s.file !== path.join("test", "ci", "runtime.test.ts"));
        expect(found).toEqual([]);
    });

    it.runIf(fs.existsSync("/proc/self/exe"))("a policy pack process runs the binary of the process that starts it", async () => {
        const pack = startPackProcess(path.join(ROOT, "policies", "mcp"));
        try {
            // Once the spawn event fires the child has exec'd: /proc/<pid>/exe is its binary (no need to wait for the pack).
            await new Promise<void>((resolve, reject) => {
                pack.child.once("spawn", resolve);
                pack.child.once("error", reject);
            });
            expect(fs.realpathSync(`/proc/${pack.child.pid}/exe`)).toBe(fs.realpathSync(process.execPath));
        } finally {
            pack.child.kill();
        }
    });

    // .ci/run sets MCPSEC_EXPECT_NODE for each runtime it runs the suite with: the workers really are that runtime.
    it.runIf(process.env.MCPSEC_EXPECT_NODE !== undefined)("the suite runs under the runtime .ci/run chose", () => {
        expect(process.version).toBe(process.env.MCPSEC_EXPECT_NODE);
    });
});
