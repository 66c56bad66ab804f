import * as fs from "fs";
import * as path from "path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers";

// One place for versions: the root package.json pins every dependency exactly; the workspaces (the policy packs, which
// `pulumi preview --policy-pack policies/<pack>` installs on their own, and the guard) repeat the pins of what they
// use, and the built packs (scripts/buildPacks.ts) take theirs from the lockfile. A workspace pinning another
// @pulumi/pulumi would get its own copy nested under it: a pack then registers with one SDK while the CLI's
// run-policy-pack serves it with another.

interface Pkg { dependencies?: Record<string, string>; devDependencies?: Record<string, string>; engines?: { node?: string }; workspaces?: string[] }
const read = (p: string) => JSON.parse(fs.readFileSync(path.join(ROOT, p), "utf8")) as Pkg;
const root = read("package.json");
const rootPins = { ...root.devDependencies, ...root.dependencies };
const lock = (JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; engines?: { node?: string } }> }).packages;

/** Workspace dependencies whose version differs from the root's pin; a Pulumi package the root does not pin counts. */
export function outOfStep(rootPins: Record<string, string>, workspace: Record<string, string>): string[] {
    return Object.entries(workspace)
        .filter(([dep, v]) => (dep in rootPins || dep.startsWith("@pulumi/")) && rootPins[dep] !== v)
        .map(([dep, v]) => `${dep}@${v} (root: ${rootPins[dep] ?? "none"})`);
}

describe("dependency versions, from one place", () => {
    it("the root package.json pins every dependency exactly", () => {
        expect(Object.entries(rootPins).filter(([, v]) => semver.valid(v) === null && !/^[\d.]+-/.test(v))).toEqual([]);
    });

    it("the check catches a workspace out of step", () => {
        expect(outOfStep({ "@pulumi/pulumi": "3.276.0" }, { "@pulumi/pulumi": "3.248.0", "@pulumi/policy": "1.21.0", "jose": "6.2.18" })).toHaveLength(2);
    });

    it.each(root.workspaces ?? [])("%s pins what it uses at the root's versions", (ws) => {
        const pkg = read(path.join(ws, "package.json"));
        expect(outOfStep(rootPins, { ...pkg.devDependencies, ...pkg.dependencies })).toEqual([]);
    });

    it("the lockfile installs the root's pins at the top and no second copy of a Pulumi SDK", () => {
        expect(Object.entries(rootPins).filter(([dep, v]) => lock[`node_modules/${dep}`]?.version !== v)).toEqual([]);
        const nested = Object.keys(lock).filter((k) => /.+\/node_modules\/@pulumi\/(pulumi|policy)$/.test(k));
        expect(nested).toEqual([]);
    });

    it("the declared engine is within what the Pulumi SDK and the policy SDK declare", () => {
        const declared = root.engines?.node;
        expect(declared).toBeDefined();
        for (const sdk of ["@pulumi/pulumi", "@pulumi/policy"]) {
            const needs = lock[`node_modules/${sdk}`]?.engines?.node;
            if (needs) {
                expect(semver.subset(declared!, needs), `${sdk} declares node ${needs}, package.json ${declared}`).toBe(true);
            }
        }
    });
});
