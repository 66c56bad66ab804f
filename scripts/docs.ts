// Regenerates the parts of the docs that come from rule metadata: the README's policy table and the policies
// column of docs/controls.md; and docs/incidents.md from the incident replay (scripts/incidents.ts). `npm run docs`;
// test/docs.test.ts and test/incidents/incidents.test.ts fail when they are stale.
import * as fs from "fs";
import * as path from "path";
import { awsRules } from "../policies/aws/rules";
import { kubernetesRules } from "../policies/kubernetes/rules";
import { mcpRules } from "../policies/mcp/rules";
import { Rule } from "../policies/lib/rule";

/** Every pack's rules, by pack name. */
export const PACKS: [string, Rule[]][] = [["mcpsec-aws", awsRules], ["mcpsec-kubernetes", kubernetesRules], ["mcpsec-mcp", mcpRules]];
const ALL_RULES = PACKS.flatMap(([, rules]) => rules);

const ROOT = path.resolve(__dirname, "..");
const TABLE_START = "<!-- policy-table:start -->";
const TABLE_END = "<!-- policy-table:end -->";

/** The README's policy table, one row per rule of every pack. */
export function renderPolicyTable(): string {
    const first = (d: string) => d.split(/(?<=\.)\s/)[0].replace(/\|/g, "\\|");
    const rows = PACKS.flatMap(([pack, rules]) => rules.map((r) => `| \`${r.meta.name}\` | ${r.meta.severity} | ${first(r.meta.description)} | ${r.meta.controls.join(", ")} | ${pack} |`));
    return ["| policy | severity | checks | controls | pack |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** The README with its policy table regenerated between the markers. */
export function applyPolicyTable(readme: string): string {
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    if (start < 0 || end < start) {
        throw new Error(`README.md lacks the markers ${TABLE_START} ... ${TABLE_END}`);
    }
    return `${readme.slice(0, start + TABLE_START.length)}\n${renderPolicyTable()}\n${readme.slice(end)}`;
}

/** docs/controls.md with each control row's policies column listing the rules that claim the control. */
export function applyControlPolicies(markdown: string): string {
    return markdown.split("\n").map((line) => {
        const m = /^\| ([A-Z]\d) \|/.exec(line);
        if (!m) {
            return line;
        }
        const cells = line.split("|");
        const names = ALL_RULES.filter((r) => (r.meta.controls as string[]).includes(m[1])).map((r) => r.meta.name);
        const extra = cells[4].includes("every other policy") ? ", and every other policy of `mcpsec-aws`" : "";
        cells[4] = ` ${names.length > 0 ? names.join(", ") + extra : "-"} `;
        return cells.join("|");
    }).join("\n");
}

if (require.main === module) {
    const readme = path.join(ROOT, "README.md");
    fs.writeFileSync(readme, applyPolicyTable(fs.readFileSync(readme, "utf8")));
    const controls = path.join(ROOT, "docs", "controls.md");
    fs.writeFileSync(controls, applyControlPolicies(fs.readFileSync(controls, "utf8")));
    // docs/incidents.md: the incident replay's outcomes (runs the scenarios: about a minute).
    void import("./incidents").then((m) => m.writeIncidentsDoc()).then(() => process.exit(0), (e: unknown) => {
        process.stderr.write(`docs/incidents.md: ${(e as Error)?.stack ?? String(e)}\n`);
        process.exit(1);
    });
}
