import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { ROOT } from "../helpers";

// The CI workflows users copy (docs/ci), validated by GitHub's own workflow parser (@actions/workflow-parser, the
// schema of the Actions service). It is an ES module that imports JSON: loaded through vitest's loader.
type Parser = typeof import("@actions/workflow-parser");
let parser: Parser;

const CI = path.join(ROOT, "docs", "ci");
const files = fs.readdirSync(CI).filter((f) => /\.ya?ml$/.test(f)).sort();

function parseErrors(name: string, content: string): string[] {
    const result = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
    return result.context.errors.getErrors().map((e) => e.message);
}

interface Step { uses?: string; with?: Record<string, unknown>; run?: string }
interface Workflow { permissions?: Record<string, string>; jobs: Record<string, { permissions?: Record<string, string>; steps: Step[] }> }
const load = (f: string) => YAML.parse(fs.readFileSync(path.join(CI, f), "utf8")) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);

/** `owner/repo[/path]@<40 hex>`: an action pinned by full commit SHA (a tag or branch can be moved). */
export function pinned(uses: string): boolean {
    return /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/.test(uses) || uses.startsWith("./");
}

/** Names of long-lived credentials that must not appear: the workflows use OIDC role assumption. */
const LONG_LIVED = /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|PULUMI_ACCESS_TOKEN|secrets\./;

describe("CI workflows in docs/ci", () => {
    beforeAll(async () => {
        parser = await import("@actions/workflow-parser");
    });

    it("there are workflows for the offline check and the real preview", () => {
        expect(files).toEqual(expect.arrayContaining(["mcpsec-check.yml", "pulumi-preview.yml"]));
    });

    it("every workflow parses without errors with GitHub's workflow parser, and the parser does catch errors", async () => {
        for (const f of files) {
            const content = fs.readFileSync(path.join(CI, f), "utf8");
            expect(parseErrors(f, content), f).toEqual([]);
            const result = parser.parseWorkflow({ name: f, content }, new parser.NoOperationTraceWriter());
            const template = await parser.convertWorkflowTemplate(result.context, result.value!);
            expect(template.errors ?? [], f).toEqual([]);
            expect(template.jobs.length, f).toBeGreaterThan(0);
        }
        expect(parseErrors("broken.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v7\n        wit: {}\n")).not.toEqual([]);
    });

    it("every action is pinned by a full commit SHA, with the tag in a comment", () => {
        for (const f of files) {
            const text = fs.readFileSync(path.join(CI, f), "utf8");
            for (const s of steps(load(f)).filter((x) => x.uses)) {
                expect(pinned(s.uses!), `${f}: ${s.uses}`).toBe(true);
                expect(text, `${f}: ${s.uses}`).toMatch(new RegExp(`${s.uses!.replace(/[./]/g, "\\$&")} # v\\d+\\.\\d+\\.\\d+`));
            }
        }
        expect(pinned("actions/checkout@v7")).toBe(false);
        expect(pinned("actions/checkout@3d3c42e")).toBe(false);
        expect(pinned("github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e")).toBe(true);
    });

    it("no long-lived credential anywhere; the preview assumes an AWS role through OIDC", () => {
        for (const f of files) {
            expect(fs.readFileSync(path.join(CI, f), "utf8"), f).not.toMatch(LONG_LIVED);
        }
        const preview = load("pulumi-preview.yml");
        expect(preview.permissions?.["id-token"]).toBe("write");
        const aws = steps(preview).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
        expect(aws.with?.["role-to-assume"]).toMatch(/^\$\{\{ vars\.\w+ \}\}$/);
        const pulumi = steps(preview).find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        expect(pulumi.with?.command).toBe("preview");
        expect(String(pulumi.with?.policyPacks).trim().split("\n")).toEqual(["dist/packs/aws", "dist/packs/kubernetes", "dist/packs/mcp"]);
        expect(steps(preview).findIndex((s) => /npm run build:packs/.test(s.run ?? ""))).toBeLessThan(steps(preview).indexOf(pulumi));
    });

    it("the offline check uploads SARIF to code scanning even when the gate fails, then fails the job", () => {
        const check = load("mcpsec-check.yml");
        expect(check.permissions?.["security-events"]).toBe("write");
        expect(check.permissions?.["id-token"]).toBeUndefined();
        const all = steps(check);
        const run = all.find((s) => /mcpsec\.js check .*--format sarif --output mcpsec\.sarif/.test(s.run ?? ""))!;
        expect(run).toBeDefined();
        const upload = all.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"))!;
        expect(upload.with?.sarif_file).toBe("mcpsec.sarif");
        expect(all.indexOf(upload)).toBeGreaterThan(all.indexOf(run));
    });
});
