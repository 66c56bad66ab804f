import * as fs from "fs";
import * as path from "path";

/** One incident of the replay and what this stack does about it. */
export interface IncidentRow {
    incident: string;
    date: string;
    source: string;
    /** prevents (config, policy, structural, runtime), detects, or leaves. */
    outcome: "prevents" | "detects" | "leaves";
    /** The verdict's proof: the rule, config key, resource or runtime test, or why nothing covers it. */
    why: string;
}

export type IncidentSection =
    | { available: true; rows: IncidentRow[]; source: string }
    | { available: false; reason: string };

/** docs/incidents.json as the incident replay writes it (test/incidents/table.ts renderIncidentData). */
interface IncidentData {
    version: 1;
    columns: { pattern: string; stack: string }[];
    incidents: { id: number; name: string; date: string; source: string }[];
    cells: { stack: string; incident: number; scenario: string; title: string; verdict: string; proof: string }[];
}

const LABEL: Record<string, string> = {
    config: "prevented by config", policy: "prevented by policy", structural: "structurally impossible",
    runtime: "prevented at run time", detected: "contained/detected", "not-covered": "not covered",
};

/**
 * The incident table of a stack: the outcomes of the incident replay (issue 13) for this stack's column, one row per
 * scenario, read from docs/incidents.json (written by `npm run docs` from the outcomes test/incidents asserts, and
 * checked there for staleness). The replay runs on the example stack of each pattern; other stacks get no verdict.
 */
export function incidentReplay(root: string, stack: string): IncidentSection {
    const file = path.join(root, "docs", "incidents.json");
    if (!fs.existsSync(file)) {
        return { available: false, reason: "incident replay not available for this build: docs/incidents.json (npm run docs) is missing, so no verdict is shown" };
    }
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as IncidentData;
    if (data.version !== 1 || !data.columns.some((c) => c.stack === stack)) {
        return {
            available: false,
            reason: `incident replay not available for this stack: the replay runs on the example stack of each pattern (${data.columns.map((c) => c.stack).join(", ")}), and ${stack} is not one of them`,
        };
    }
    const incidents = new Map(data.incidents.map((i) => [i.id, i]));
    const rows = data.cells.filter((c) => c.stack === stack).map((c): IncidentRow => {
        const i = incidents.get(c.incident)!;
        const outcome = c.verdict === "not-covered" ? "leaves" : c.verdict === "detected" ? "detects" : "prevents";
        return { incident: `${i.id}. ${i.name} - ${c.scenario} ${c.title}`, date: i.date, source: i.source, outcome, why: `${LABEL[c.verdict] ?? c.verdict}: ${c.proof}` };
    });
    return { available: true, rows, source: "docs/incidents.json (test/incidents, npm run docs)" };
}
