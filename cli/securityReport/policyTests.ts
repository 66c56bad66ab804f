import * as fs from "fs";
import * as path from "path";

/** The fixtures that prove a policy fires (violating) and stays quiet (compliant), by their labels. */
export interface PolicyTests {
    /** Labels of violating fixtures the rule catches (test `catches: <label>` in test/policies/packs.test.ts). */
    catches: string[];
    /** Labels of compliant fixtures it passes. */
    passes: string[];
    /** The cases file that holds them, relative to the project root. */
    file: string;
}

/** Where the fixtures live; each file exports `Record<ruleName, { pass, fail }>` objects. */
export const CASES_DIR = path.join("test", "policies");
/** The test that runs every fixture through its rule. */
export const CASES_RUNNER = path.join(CASES_DIR, "packs.test.ts").split(path.sep).join("/");

const tsRequire = typeof require === "function" && typeof require.extensions?.[".ts"] === "function";

async function load(file: string): Promise<Record<string, unknown>> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return tsRequire ? require(file) as Record<string, unknown> : await import(file) as Record<string, unknown>;
}

interface LabelledCases {
    pass: { label: string }[];
    fail: { label: string }[];
}

function isCaseTable(v: unknown): v is Record<string, LabelledCases> {
    if (!v || typeof v !== "object" || Array.isArray(v)) return false;
    const values = Object.values(v);
    return values.length > 0 && values.every((c) => c && typeof c === "object" && Array.isArray((c as LabelledCases).pass) && Array.isArray((c as LabelledCases).fail));
}

/**
 * The fixture labels of every policy, read from the cases modules under test/policies. Returns undefined when the
 * project has no such folder (an install without its tests): the report then says the test names are not available.
 */
export async function loadPolicyTests(root: string): Promise<Map<string, PolicyTests> | undefined> {
    const dir = path.join(root, CASES_DIR);
    if (!fs.existsSync(dir)) {
        return undefined;
    }
    const result = new Map<string, PolicyTests>();
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".cases.ts")).sort()) {
        const file = path.join(dir, name);
        const exported = await load(file);
        for (const table of Object.values(exported).filter(isCaseTable)) {
            for (const [policy, cases] of Object.entries(table)) {
                const entry = result.get(policy) ?? { catches: [], passes: [], file: path.relative(root, file).split(path.sep).join("/") };
                for (const f of cases.fail) if (!entry.catches.includes(f.label)) entry.catches.push(f.label);
                for (const p of cases.pass) if (!entry.passes.includes(p.label)) entry.passes.push(p.label);
                result.set(policy, entry);
            }
        }
    }
    return result;
}
