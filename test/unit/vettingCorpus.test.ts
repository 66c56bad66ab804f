/**
 * The tool-poisoning detector against corpora it was not written beside (issue 14):
 * - the real tools/list of published MCP servers (test/fixtures/corpus/real, recorded by scripts/record-corpus.ts):
 *   every tool must pass `mcpsec vet`;
 * - poisoned tools by published attack class with benign look-alikes (test/fixtures/corpus/attack-classes.json),
 *   split into a tuning half and a held-out half before tuning: detection and false-positive rates per class and
 *   half are printed; held-out detection must be >= 95% per class, false positives 0 everywhere.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main";
import { poisoningFindings, VetTool } from "../../policies/mcp/vetting";
import { fixtureFile, REAL_CORPUS_DIR, REAL_SERVERS, RealFixture, recordServer } from "../../scripts/record-corpus";
import { ROOT } from "../helpers";

const CORPUS = path.join(ROOT, "test", "fixtures", "corpus");
const flagged = (tools: VetTool[]) => tools.filter((t) => poisoningFindings(t).length > 0);
const pct = (n: number, of: number) => `${of === 0 ? "-" : ((100 * n) / of).toFixed(0)}%`.padStart(4);

async function vet(...args: string[]): Promise<{ code: number; out: string }> {
    let out = "";
    const code = await main(["node", "mcpsec", "vet", ...args], { out: (t) => (out += t), err: (t) => (out += t), progress: false });
    return { code, out };
}

describe("the real-server corpus (published MCP servers' own tools/list)", () => {
    const fixtures = fs.readdirSync(REAL_CORPUS_DIR).map((f) => JSON.parse(fs.readFileSync(path.join(REAL_CORPUS_DIR, f), "utf8")) as RealFixture);

    it("holds at least 8 packages, each recorded from the version installed as a pinned devDependency", () => {
        const devDeps = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies;
        expect(fixtures.length).toBeGreaterThanOrEqual(8);
        expect(fixtures.map((f) => f.package).sort()).toEqual(REAL_SERVERS.map((s) => s.package).sort());
        for (const f of fixtures) {
            expect(devDeps[f.package], f.package).toBe(f.version);
            const installed = JSON.parse(fs.readFileSync(require.resolve(`${f.package}/package.json`, { paths: [ROOT] }), "utf8")) as { version: string };
            expect(installed.version, f.package).toBe(f.version);
            expect(f.tools.length, f.package).toBeGreaterThan(0);
        }
    });

    it("passes `mcpsec vet` tool by tool, with 0 findings as deployed behind the guard; without it, only open schemas are findings", async () => {
        const lines: string[] = [];
        let tools = 0;
        let open = 0;
        for (const f of fixtures) {
            const file = fixtureFile(f.package);
            // As the blueprints deploy it (behind the guard, which closes schemas that leave additionalProperties unset).
            const r = await vet(file);
            expect(r.out, f.package).toMatch(/^PASS: /m);
            expect(r.code, f.package).toBe(0);
            // Without the guard, nothing refuses undeclared arguments: those schemas are findings, and nothing else is.
            const unguarded = JSON.parse((await vet(file, "--unguarded", "--format", "json")).out) as { findings: { kind: string; message: string }[] };
            expect(unguarded.findings.filter((x) => !(x.kind === "weak-schema" && /additionalProperties is unset, and no MCP guard/.test(x.message))), f.package).toEqual([]);
            open += unguarded.findings.length;
            tools += f.tools.length;
            lines.push(`  ${f.package}@${f.version}: ${f.tools.length} tools, 0 findings (${unguarded.findings.length} schemas the guard closes)`);
        }
        expect(open).toBeGreaterThan(0);
        console.log(`real-server corpus: ${fixtures.length} packages, ${tools} tools, false positives 0/${tools}; ${open} tools without additionalProperties: false, closed at run time by the guard (findings with vet --unguarded)\n${lines.join("\n")}`);
    });

    it("matches what the installed server announces now (one server re-recorded live)", async () => {
        const memory = REAL_SERVERS.find((s) => s.package === "@modelcontextprotocol/server-memory")!;
        const live = await recordServer(memory, 10_000);
        const stored = fixtures.find((f) => f.package === memory.package)!;
        expect(live.version).toBe(stored.version);
        expect(live.tools).toEqual(stored.tools);
    }, 20_000);
});

interface Half { poisoned: VetTool[]; benign: VetTool[] }
interface AttackClass { title: string; sources: string[]; tuning: Half; heldOut: Half }

describe("the poisoned corpus by published attack class", () => {
    const corpus = JSON.parse(fs.readFileSync(path.join(CORPUS, "attack-classes.json"), "utf8")) as { classes: Record<string, AttackClass> };
    const classes = Object.entries(corpus.classes);
    const rows = classes.map(([id, c]) => {
        const rate = (h: Half) => ({ detected: flagged(h.poisoned).length, of: h.poisoned.length, fp: flagged(h.benign).map((t) => t.name), benign: h.benign.length });
        return { id, tuning: rate(c.tuning), heldOut: rate(c.heldOut) };
    });

    it("cites a published source for every class", () => {
        expect(classes.length).toBeGreaterThanOrEqual(10);
        for (const [id, c] of classes) {
            expect(c.sources.length, id).toBeGreaterThan(0);
            expect(c.sources.every((s) => /https?:\/\/|arXiv|CVE-/.test(s)), id).toBe(true);
            expect(c.heldOut.poisoned.length, id).toBeGreaterThanOrEqual(4);
        }
    });

    it("prints detection and false-positive rates per class for both halves; held-out detection >= 95%, no false positive", () => {
        const table = rows.map((r) => `  ${r.id.padEnd(24)} tuning: detected ${pct(r.tuning.detected, r.tuning.of)} (${r.tuning.detected}/${r.tuning.of}), false positives ${pct(r.tuning.fp.length, r.tuning.benign)} (${r.tuning.fp.length}/${r.tuning.benign})` +
            `   held-out: detected ${pct(r.heldOut.detected, r.heldOut.of)} (${r.heldOut.detected}/${r.heldOut.of}), false positives ${pct(r.heldOut.fp.length, r.heldOut.benign)} (${r.heldOut.fp.length}/${r.heldOut.benign})`);
        console.log(`attack classes (poisoningFindings):\n${table.join("\n")}`);
        for (const r of rows) {
            expect(r.heldOut.detected / r.heldOut.of, `${r.id} held-out detection`).toBeGreaterThanOrEqual(0.95);
            expect([...r.tuning.fp, ...r.heldOut.fp], `${r.id} false positives`).toEqual([]);
        }
    });

    it("has no false positive on the project's own benign corpus either", () => {
        const benign = JSON.parse(fs.readFileSync(path.join(CORPUS, "benign.json"), "utf8")) as { tools: VetTool[] };
        expect(flagged(benign.tools).map((t) => t.name)).toEqual([]);
    });
});
