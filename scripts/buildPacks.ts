// `npm run build:packs`: each policy pack with the shared code it imports, compiled into dist/packs/<name>/, a
// folder that stands alone (`pulumi policy publish`, `pulumi preview --policy-pack dist/packs/<name>`).
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as esbuild from "esbuild";
import YAML from "yaml";

const ROOT = path.resolve(__dirname, "..");

export interface BuiltPack {
    name: string;
    dir: string;
    version: string;
    dependencies: Record<string, string>;
}

/** The bare package name of an import specifier (`@scope/name/sub` -> `@scope/name`). */
export function packageOf(specifier: string): string {
    const parts = specifier.split("/");
    return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Exact versions of the packages installed at the top of the tree, from package-lock.json (lockfile v2/v3). */
function lockedVersions(root: string): Map<string, string> {
    const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; link?: boolean }> };
    const versions = new Map<string, string>();
    for (const [where, entry] of Object.entries(lock.packages)) {
        const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(where);
        if (m && entry.version) {
            versions.set(m[1], entry.version);
        }
    }
    return versions;
}

/** Every folder under policies/ with a PulumiPolicy.yaml: new packs and new rule files are picked up as they come. */
export function packDirs(root = ROOT): string[] {
    const dir = path.join(root, "policies");
    return fs.readdirSync(dir).map((d) => path.join(dir, d)).filter((d) => fs.existsSync(path.join(d, "PulumiPolicy.yaml"))).sort();
}

/**
 * Bundles one pack: its index.ts and every relative import (its rules, policies/lib, components/...) into one CommonJS
 * index.js; npm packages stay external and become the pack's dependencies at the versions of our lockfile.
 * `@pulumi/pulumi` is always one: `run-policy-pack`, which the Pulumi CLI starts a Node.js pack with, lives in it.
 */
export async function buildPack(packDir: string, outRoot: string, root = ROOT): Promise<BuiltPack> {
    const rootPkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string; license?: string };
    const packPkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")) as { name: string; description?: string };
    const name = path.basename(packDir);
    const out = path.join(outRoot, name);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    const result = await esbuild.build({
        entryPoints: [path.join(packDir, "index.ts")],
        outfile: path.join(out, "index.js"),
        bundle: true,
        platform: "node",
        target: "node22",
        format: "cjs",
        packages: "external",
        sourcemap: "linked",
        sourceRoot: "",
        metafile: true,
        logLevel: "silent",
        tsconfig: path.join(root, "tsconfig.json"),
    });
    const imported = new Set<string>(["@pulumi/pulumi", "@pulumi/policy"]);
    for (const output of Object.values(result.metafile.outputs)) {
        for (const i of output.imports) {
            if (i.external && !BUILTINS.has(i.path)) {
                imported.add(packageOf(i.path));
            }
        }
    }
    const locked = lockedVersions(root);
    const dependencies: Record<string, string> = {};
    for (const dep of [...imported].sort()) {
        const version = locked.get(dep);
        if (!version) {
            throw new Error(`${name}: the pack imports ${dep}, which package-lock.json does not install at the top of node_modules`);
        }
        dependencies[dep] = version;
    }
    const version = rootPkg.version;
    fs.writeFileSync(path.join(out, "package.json"), JSON.stringify({
        name: packPkg.name,
        version,
        description: packPkg.description,
        license: rootPkg.license,
        private: true,
        main: "index.js",
        dependencies,
    }, null, 2) + "\n");
    const policyYaml = YAML.parse(fs.readFileSync(path.join(packDir, "PulumiPolicy.yaml"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(out, "PulumiPolicy.yaml"), YAML.stringify({ ...policyYaml, version }));
    return { name, dir: out, version, dependencies };
}

export async function buildPacks(outRoot = path.join(ROOT, "dist", "packs"), root = ROOT): Promise<BuiltPack[]> {
    const built: BuiltPack[] = [];
    for (const dir of packDirs(root)) {
        built.push(await buildPack(dir, outRoot, root));
    }
    return built;
}

if (require.main === module) {
    const outRoot = process.argv[2] ? path.resolve(process.argv[2]) : path.join(ROOT, "dist", "packs");
    buildPacks(outRoot).then((packs) => {
        for (const p of packs) {
            process.stdout.write(`${path.relative(process.cwd(), p.dir)}: ${p.name} ${p.version}, dependencies ${Object.entries(p.dependencies).map(([k, v]) => `${k}@${v}`).join(", ")}\n`);
        }
    }, (e: Error) => {
        process.stderr.write(`build:packs: ${e.message}\n`);
        process.exitCode = 1;
    });
}
