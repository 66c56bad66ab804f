import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckReport, runCheck } from "../../cli/check";
import { ResourceGraph } from "../../cli/graph";
import { buildPacks, BuiltPack, packDirs } from "../../scripts/buildPacks";
import { FIXTURE_STACKS, project, ROOT } from "../helpers";
import { synthesizedStack } from "../runCache";

const run = promisify(execFile);

/**
 * Installs a built pack's dependencies in its own folder, from the local npm cache only (`npm install --offline`):
 * the pack's package.json alone decides what it gets. With a cold cache (a fresh machine without registry access),
 * the declared dependencies are linked from our node_modules instead: still only those the package.json names, so
 * a missing one still fails the pack's start.
 */
async function install(dir: string, deps: Record<string, string>): Promise<"npm install --offline" | "linked"> {
    try {
        await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"], { cwd: dir, timeout: 60_000 });
        return "npm install --offline";
    } catch (e) {
        if (!/ENOTCACHED/.test(String((e as { stderr?: string }).stderr ?? e))) {
            throw e;
        }
        fs.rmSync(path.join(dir, "node_modules"), { recursive: true, force: true });
        for (const dep of Object.keys(deps)) {
            const target = path.join(dir, "node_modules", dep);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.symlinkSync(path.join(ROOT, "node_modules", dep), target, "dir");
        }
        return "linked";
    }
}

const comparable = (r: CheckReport) => ({
    packs: r.packs.map(({ dir: _dir, ...p }) => p),
    stacks: r.stacks.map((s) => ({ stack: s.stack, ok: s.ok, counts: s.counts, violations: s.violations })),
});

describe("built packs stand alone (npm run build:packs)", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-packs-"));
    let built: BuiltPack[];
    const alone: string[] = [];
    const modes: string[] = [];
    let graphs: ResourceGraph[];

    // The packs run from new temporary folders each run: a compile cache keyed on their paths would only pile up
    // entries in node_modules/.cache, so these runs go without one (a cache inside the temporary folder is no
    // answer: packs still flushing it as they stop race its removal).
    const cacheSetting = process.env.MCPSEC_COMPILE_CACHE;
    process.env.MCPSEC_COMPILE_CACHE = "off";

    beforeAll(async () => {
        built = await buildPacks(path.join(tmp, "dist"));
        // Each pack copied alone into an empty folder, dependencies installed there (in parallel), while stacks synthesize.
        const installs = Promise.all(built.map(async (p) => {
            const dir = path.join(tmp, `alone-${p.name}`);
            fs.cpSync(p.dir, dir, { recursive: true });
            alone.push(dir);
            modes.push(`${p.name}: ${await install(dir, p.dependencies)}`);
        }));
        graphs = [await synthesizedStack("security-zone-dev")];
        for (const s of ["public-ip", "k8s-unguarded", "unapproved-change"]) {
            graphs.push(await synthesizedStack(s, path.join(FIXTURE_STACKS, `Pulumi.${s}.yaml`)));
        }
        await installs;
        alone.sort();
    }, 120_000);

    afterAll(() => {
        if (cacheSetting === undefined) {
            delete process.env.MCPSEC_COMPILE_CACHE;
        } else {
            process.env.MCPSEC_COMPILE_CACHE = cacheSetting;
        }
        return fs.promises.rm(tmp, { recursive: true, force: true });
    }, 120_000);

    it("builds every pack under policies/, each with its own package.json and PulumiPolicy.yaml, version from the root package.json", () => {
        const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
        const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
        expect(built.map((p) => p.name)).toEqual(packDirs().map((d) => path.basename(d)));
        for (const p of built) {
            const pkg = JSON.parse(fs.readFileSync(path.join(p.dir, "package.json"), "utf8")) as { version: string; main: string; dependencies: Record<string, string> };
            expect(pkg.version).toBe(version);
            expect(fs.readFileSync(path.join(p.dir, "PulumiPolicy.yaml"), "utf8")).toMatch(new RegExp(`^version: ${version.replace(/\./g, "\\.")}$`, "m"));
            expect(fs.existsSync(path.join(p.dir, pkg.main))).toBe(true);
            // The pack is one file: no import leaves the folder except npm packages.
            expect(fs.readFileSync(path.join(p.dir, pkg.main), "utf8")).not.toMatch(/require\("\.\.?\//);
            for (const [dep, v] of Object.entries(pkg.dependencies)) {
                expect(v, `${p.name}: ${dep}`).toBe(lock.packages[`node_modules/${dep}`].version);
            }
            expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(["@pulumi/policy", "@pulumi/pulumi"]));
        }
    });

    it("run alone through run-policy-pack and the Analyzer service, they give the verdicts of the in-tree packs", async () => {
        console.info(`standalone packs installed by: ${modes.sort().join("; ")}`);
        const inTree = await runCheck({ project, targets: graphs.map((graph) => ({ graph })), packs: packDirs() });
        const standalone = await runCheck({ project, targets: graphs.map((graph) => ({ graph })), packs: alone });
        expect(standalone.packs.map((p) => p.dir)).toEqual(alone.map((d) => path.relative(project.root, d)));
        expect(comparable(standalone)).toEqual(comparable(inTree));
        // The comparison means something: every pack judged, and caught something, on these stacks.
        const caught = new Set(inTree.stacks.flatMap((s) => s.violations.map((v) => v.pack)));
        expect([...caught].sort()).toEqual(inTree.packs.map((p) => p.name).sort());
        expect(inTree.stacks[0].ok).toBe(true);
    }, 120_000);
});
