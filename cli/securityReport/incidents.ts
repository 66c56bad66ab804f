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

/**
 * The incident table of a stack: the outcomes of the incident replay (issue 13) for this stack's column.
 *
 * This is the one place to wire the replay in. The replay's catalog and engine (test/incidents/) are being built;
 * this build has no recorded per-stack outcomes to read, and the engine itself (a re-synthesis per scenario plus a
 * loopback guard) is far too slow to run inside a report. Until the replay publishes its outcomes as data (for
 * example a module exporting, per stack, the cell results), the report says that no replay is available rather than
 * guessing a verdict.
 */
export function incidentReplay(_root: string, _stack: string): IncidentSection {
    return {
        available: false,
        reason: "incident replay not available for this build: no recorded outcomes of the incident replay (test/incidents, issue 13) exist for this stack yet, so no verdict is shown",
    };
}
