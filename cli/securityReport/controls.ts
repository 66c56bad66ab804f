import * as fs from "fs";
import * as path from "path";

/** One control of the paper as docs/controls.md (the project's transcription of the catalogue) states it. */
export interface ControlRow {
    id: string;
    name: string;
    /** What implements it (free text naming components such as `SegmentedVpc`). */
    component: string;
    /** Rule ids named in the policies column (generated from rule metadata by `npm run docs`). */
    policies: string[];
    nist: string[];
    maestro: string[];
    status: "covered" | "partial" | "planned";
    /** The status cell after its keyword: what is covered, and what is left (for partial and planned controls). A cell
     * that does not start with one of the three words counts as partial, and this holds the whole cell. */
    statusText: string;
}

/** The control map's file, relative to the project root. */
export const CONTROLS_FILE = path.join("docs", "controls.md");

/**
 * Parses the control table of docs/controls.md. There is no other structured source of the catalogue: the
 * policies column is generated from rule metadata, the rest is written by hand in that file.
 */
export function parseControls(markdown: string): ControlRow[] {
    const rows: ControlRow[] = [];
    for (const line of markdown.split("\n")) {
        if (!/^\| [A-Z]\d \|/.test(line)) {
            continue;
        }
        const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
        if (cells.length !== 7) {
            throw new Error(`${CONTROLS_FILE}: row ${cells[0]} has ${cells.length} cells, expected 7 (id, control, component, policies, NIST, MAESTRO, status)`);
        }
        const [id, name, component, policies, nist, maestro, statusCell] = cells;
        if (statusCell === "") {
            throw new Error(`${CONTROLS_FILE}: row ${id} has an empty status cell (expected covered, partial or planned, then what is left)`);
        }
        // A status word outside the legend (covered, partial, planned) is read as partial, with the whole cell as
        // its text, so a reviewer still sees what the row says instead of a control presented as covered.
        const m = /^(covered|partial|planned)\b[:\s]*(.*)$/s.exec(statusCell) ?? [statusCell, "partial", statusCell];
        const list = (s: string) => s.split(",").map((x) => x.trim()).filter((x) => x !== "" && x !== "-");
        rows.push({
            id, name, component,
            policies: [...policies.matchAll(/\b(?:aws|kubernetes|mcp)-[a-z0-9-]+/g)].map((x) => x[0]),
            nist: list(nist), maestro: list(maestro),
            status: m[1] as ControlRow["status"],
            statusText: m[2].replace(/^\(|\)$/g, "").trim(),
        });
    }
    if (rows.length === 0) {
        throw new Error(`${CONTROLS_FILE}: no control rows found (lines starting "| <letter><digit> |")`);
    }
    return rows;
}

export function loadControls(root: string): ControlRow[] {
    return parseControls(fs.readFileSync(path.join(root, CONTROLS_FILE), "utf8"));
}
