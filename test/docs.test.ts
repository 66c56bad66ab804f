import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
const allRules = () => PACKS.flatMap(([, rules]) => rules);
import { applyControlPolicies, PACKS, renderPolicyTable } from "../scripts/docs";
import { ROOT } from "./helpers";

const rows = new Map(
    fs.readFileSync(path.join(ROOT, "docs", "controls.md"), "utf8")
        .split("\n")
        .filter((l) => /^\| [A-Z]\d \|/.test(l))
        .map((l) => [l.split("|")[1].trim(), l]),
);

describe("docs/controls.md", () => {
    it("has a row for every control of the catalogue", () => {
        const ids = [..."123456"].map((n) => `S${n}`).concat([..."12345"].map((n) => `C${n}`), [..."123456"].map((n) => `O${n}`), [..."12345"].map((n) => `H${n}`), ["P1", "P2", "P3"]);
        expect([...rows.keys()].sort()).toEqual(ids.sort());
    });

    for (const rule of allRules()) {
        it(`names ${rule.meta.name} on the row of each control it serves`, () => {
            for (const control of rule.meta.controls) {
                expect(rows.get(control), control).toContain(rule.meta.name);
            }
        });
    }

    it("the README's policy table lists every policy and is up to date (npm run docs)", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        expect(readme).toContain(renderPolicyTable());
        for (const rule of allRules()) {
            expect(readme, rule.meta.name).toContain(`| \`${rule.meta.name}\` | ${rule.meta.severity} |`);
        }
    });

    it("lists in each control's row exactly the policies that claim it (npm run docs)", () => {
        const controls = fs.readFileSync(path.join(ROOT, "docs", "controls.md"), "utf8");
        expect(applyControlPolicies(controls)).toBe(controls);
    });

    it("names no policy that does not exist", () => {
        const names = new Set(allRules().map((r) => r.meta.name));
        for (const [id, row] of rows) {
            for (const m of row.matchAll(/\b(aws|kubernetes|mcp)-(tool|server|ec2|pss|istio|image|resource|service|mcp|cognito|ecs|ecr|elb|iam|kms|s3|wafv2|cloudwatch|secretsmanager|cloudtrail|sns|guardduty)[a-z0-9-]*/g)) {
                expect(names.has(m[0]), `${id}: ${m[0]}`).toBe(true);
            }
        }
    });
});
