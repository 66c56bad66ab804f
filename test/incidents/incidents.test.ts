/**
 * Incident replay (issue 13): every public MCP incident of catalog.ts, reproduced as deployment-level preconditions
 * (scenarios.ts) on the example stack of every pattern each applies to, with the verdict the project gives today
 * asserted; docs/incidents.md is rendered from the same outcomes and must be up to date (`npm run docs`).
 */
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { incidentReplay } from "../../cli/securityReport/incidents";
import { INCIDENTS } from "./catalog";
import { activeColumns, CellResult, expectedFor, probeFor, replay, ROOT } from "./engine";
import { SCENARIOS } from "./scenarios";
import { renderIncidentData, renderIncidents } from "./table";

const columns = activeColumns();
let results: CellResult[];

beforeAll(async () => {
    results = await replay(SCENARIOS, columns);
}, 240_000);

describe("the catalog and its scenarios", () => {
    it("covers every incident with at least one scenario, ids unique and numbered after their incident", () => {
        expect(new Set(SCENARIOS.map((s) => s.incident))).toEqual(new Set(INCIDENTS.map((i) => i.id)));
        expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
        for (const s of SCENARIOS) {
            expect(s.id.startsWith(`${s.incident}.`), s.id).toBe(true);
        }
    });

    it("runs on the security zone and microservices stacks at least", () => {
        expect(columns.map((c) => c.pattern)).toEqual(expect.arrayContaining(["security-zone", "microservices"]));
    });

    it("gives every scenario a probe and a pinned verdict for each pattern it applies to", () => {
        for (const s of SCENARIOS) {
            for (const column of columns.filter((c) => s.applies.includes(c.pattern))) {
                expect(probeFor(s, column.pattern), `${s.id} on ${column.pattern}`).toBeDefined();
                expect(expectedFor(s, column), `${s.id} on ${column.stack}: pin the verdict in scenarios.ts`).toBeDefined();
            }
        }
    });
});

describe.each(INCIDENTS.map((i) => [`${i.id}. ${i.name}`, i.id] as const))("incident %s", (_name, id) => {
    for (const s of SCENARIOS.filter((x) => x.incident === id)) {
        for (const column of columns.filter((c) => s.applies.includes(c.pattern))) {
            const expected = expectedFor(s, column);
            it(`${s.id} on ${column.stack}: ${s.title} -> ${expected}`, () => {
                const r = results.find((x) => x.scenario === s && x.column.stack === column.stack);
                expect(r, "the scenario ran").toBeDefined();
                expect(r!.error).toBeUndefined();
                expect(r!.outcome.verdict, `${r!.outcome.proof}: ${r!.outcome.detail}`).toBe(expected);
                expect(r!.outcome.proof.length).toBeGreaterThan(3);
            });
        }
    }
});

it("docs/incidents.md is the table of these outcomes, docs/incidents.json their data (npm run docs)", () => {
    expect(fs.readFileSync(path.join(ROOT, "docs", "incidents.md"), "utf8")).toBe(renderIncidents(results, columns));
    expect(fs.readFileSync(path.join(ROOT, "docs", "incidents.json"), "utf8")).toBe(renderIncidentData(results, columns));
});

it("the security report shows the same outcomes for the stack it describes, and none for a stack the replay does not run", () => {
    for (const column of columns) {
        const section = incidentReplay(ROOT, column.stack);
        expect(section.available).toBe(true);
        const rows = section.available ? section.rows : [];
        const cells = results.filter((r) => r.column.stack === column.stack);
        expect(rows).toHaveLength(cells.length);
        const verdicts = cells.map((c) => (c.outcome.verdict === "not-covered" ? "leaves" : c.outcome.verdict === "detected" ? "detects" : "prevents"));
        expect(rows.map((r) => r.outcome)).toEqual(verdicts);
        expect(rows.every((r, i) => r.why.endsWith(cells[i].outcome.proof))).toBe(true);
    }
    expect(incidentReplay(ROOT, "not-a-replayed-stack")).toMatchObject({ available: false, reason: expect.stringContaining("not one of them") });
});
