import * as fs from "fs";
import * as path from "path";
import type { CoverageRow, PolicyVerdict, SecurityReport } from "./model";
import { CASES_RUNNER } from "./policyTests";

/** The page template: inline CSS, a Content-Security-Policy that forbids any fetch, no script. */
export const TEMPLATE_FILE = path.join(__dirname, "template.html");

const esc = (s: unknown) => String(s ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const md = (s: unknown) => String(s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");
const money = (n: number) => `$${n.toFixed(2)}`;
const pill = (s: string) => `<span class="pill s-${esc(s.replace(/[^A-Za-z]+/g, "-"))}">${esc(s)}</span>`;

/** Counts of the coverage matrix by status on this stack. */
export function coverageCounts(rows: CoverageRow[]): Record<CoverageRow["status"], number> {
    const counts = { covered: 0, partial: 0, violated: 0, "not in this stack": 0, planned: 0 };
    rows.forEach((r) => counts[r.status]++);
    return counts;
}

function policyLine(p: PolicyVerdict, testsAvailable: boolean): { verdict: string; tests: string } {
    const verdict = p.verdict === "violated" || p.verdict === "advisory" ? `${p.verdict} (${p.violations})` : p.verdict;
    const tests = !testsAvailable ? "fixtures not installed" : p.tests ? `${p.tests.catches.length} catch / ${p.tests.passes.length} pass in ${p.tests.file}: ${p.tests.catches.map((c) => `"${c}"`).join(", ")}` : "no fixture found";
    return { verdict, tests };
}

const SECTION_HELP = {
    architecture: "Generated from the synthesized resource graph. Dashed frames are trust zones; a bold red arrow is a flow that crosses a trust boundary, labelled with protocol and port; dashed grey arrows are control or telemetry relations. A guard node means the MCP server listens on loopback and only its guard is reachable.",
    coverage: "Every control of the paper, as docs/controls.md transcribes it. Components: the components of this stack that implement it. Policies: each enforcing rule with its verdict on this stack (pass = evaluated with no finding, n/a = the stack has nothing that pack evaluates) and the fixtures in test/policies that prove the rule fires (run by " + CASES_RUNNER + "). Status on this stack: covered, partial (with what is missing), violated, not in this stack, or planned.",
    incidents: "For each public incident the project replays: whether this stack prevents it, detects it at run time, or leaves it, and why.",
    policies: "The violations of the same check run as `mcpsec check` (same packs, same analyzer path), with severity, enforcement level and remediation.",
    risks: "Every opt-out key this stack's configuration sets: a secure default switched off on purpose. Each is an accepted risk to sign off, with the key that takes it.",
    cost: "Monthly estimate from the price table in the repository. Idle floor: charged whether or not a request arrives. Usage: per request, per GB, per user at the table's reference workload.",
};

/** The self-contained HTML page of a report (inline SVG and CSS, no script, no external request). */
export function renderHtml(r: SecurityReport): string {
    const c = r.check;
    const counts = coverageCounts(r.coverage);
    const out: string[] = [];
    out.push(`<header><h1>MCP security report: ${esc(r.stack)}</h1>`);
    out.push(`<p>project ${esc(r.project)} &middot; pattern ${esc(r.pattern)} &middot; region ${esc(r.region)} &middot; generated ${esc(r.generatedAt)} by mcpsec ${esc(r.toolVersion)}</p>`);
    out.push(`<p>policy packs: ${r.packs.map((p) => `${esc(p.name)} ${esc(p.version)} (${p.policies.length})`).join(", ")}</p></header><main>`);
    out.push(`<section id="summary"><h2>Summary</h2><div class="cards">`);
    const card = (value: string, label: string) => out.push(`<div class="card"><b>${value}</b><span>${esc(label)}</span></div>`);
    card(pill(c.ok ? "PASS" : "FAIL"), "policy check result");
    card(String(c.counts.mandatory), "mandatory violations");
    card(String(c.counts.advisory), "advisory violations");
    card(`${counts.covered} / ${counts.partial}`, "controls covered / partial");
    card(`${counts.violated} / ${counts["not in this stack"]} / ${counts.planned}`, "violated / not in stack / planned");
    card(String(r.acceptedRisks.length), "accepted risks (opt-outs)");
    card(money(r.cost.total), `per month (${r.cost.table.region} prices), idle floor ${money(r.cost.idleTotal)}`);
    card(String(c.summary.resources), `resources (${c.summary.custom} cloud, ${c.summary.components} components)`);
    out.push(`</div></section>`);

    out.push(`<section id="architecture"><h2>Architecture and trust boundaries</h2><p class="how">${esc(SECTION_HELP.architecture)}</p>`);
    out.push(`<div class="diagram">${r.diagram.svg}</div></section>`);

    out.push(`<section id="coverage"><h2>Control coverage</h2><p class="how">${esc(SECTION_HELP.coverage)}</p>`);
    out.push(`<table><thead><tr><th>id</th><th>control</th><th>status here</th><th>components in this stack</th><th>policies: verdict here, tests that prove it fires</th><th>NIST 800-53 r5</th><th>MAESTRO</th><th>missing / left to others</th></tr></thead><tbody>`);
    for (const row of r.coverage) {
        const pol = row.policies.length === 0 ? "<i>no policy (runtime or process control)</i>" : `<ul>${row.policies.map((p) => {
            const l = policyLine(p, r.testsAvailable);
            const summary = !r.testsAvailable ? "fixtures not installed" : p.tests ? `${p.tests.catches.length} catch / ${p.tests.passes.length} pass` : "no fixture found";
            const detail = p.tests && r.testsAvailable ? `<details class="tests"><summary>${esc(summary)}</summary>${esc(l.tests)}</details>` : `<span class="tests">${esc(summary)}</span>`;
            return `<li>${pill(p.verdict)} <code>${esc(p.name)}</code> ${detail}</li>`;
        }).join("")}</ul>`;
        out.push(`<tr id="control-${esc(row.control.id)}"><td><b>${esc(row.control.id)}</b></td><td>${esc(row.control.name)}</td><td>${pill(row.status)}</td><td>${esc(row.components.join(", ") || "-")}</td><td class="policies">${pol}</td><td>${esc(row.control.nist.join(", "))}</td><td>${esc(row.control.maestro.join(", "))}</td><td class="missing">${esc(row.missing || "-")}</td></tr>`);
    }
    out.push(`</tbody></table></section>`);

    out.push(`<section id="incidents"><h2>Incident replay</h2><p class="how">${esc(SECTION_HELP.incidents)}</p>`);
    if (r.incidents.available) {
        out.push(`<table><thead><tr><th>incident</th><th>date</th><th>this stack</th><th>why</th></tr></thead><tbody>`);
        for (const i of r.incidents.rows) out.push(`<tr><td>${esc(i.incident)} <small>${esc(i.source)}</small></td><td class="date">${esc(i.date)}</td><td>${pill(i.outcome)}</td><td>${esc(i.why)}</td></tr>`);
        out.push(`</tbody></table>`);
    } else {
        out.push(`<p class="note" id="incidents-unavailable">${esc(r.incidents.reason)}</p>`);
    }
    out.push(`</section>`);

    out.push(`<section id="policies"><h2>Policy results</h2><p class="how">${esc(SECTION_HELP.policies)}</p>`);
    out.push(`<p>${c.counts.mandatory} mandatory, ${c.counts.advisory} advisory violation(s); result ${pill(c.ok ? "PASS" : "FAIL")}</p>`);
    if (c.violations.length > 0) {
        out.push(`<table><thead><tr><th>severity</th><th>level</th><th>policy</th><th>resource</th><th>finding</th><th>remediation</th></tr></thead><tbody>`);
        for (const v of c.violations) out.push(`<tr><td>${pill(v.severity)}</td><td>${pill(v.enforcementLevel)}</td><td><code>${esc(v.policy)}</code><br><small>${esc(v.pack)}</small></td><td>${esc(`${v.resourceType ?? ""} ${v.resourceName ?? ""}`.trim() || "(stack)")}</td><td>${esc(v.message)}</td><td>${esc(v.remediation)}</td></tr>`);
        out.push(`</tbody></table>`);
    }
    for (const n of c.notes) out.push(`<p class="note">${esc(n)}</p>`);
    out.push(`</section>`);

    out.push(`<section id="risks"><h2>Accepted risks (explicit opt-outs)</h2><p class="how">${esc(SECTION_HELP.risks)}</p>`);
    if (r.acceptedRisks.length === 0) out.push(`<p>none: this stack takes no opt-out.</p>`);
    else {
        out.push(`<table><thead><tr><th>config key</th><th>value</th><th>what it does</th><th>reported by</th></tr></thead><tbody>`);
        for (const a of r.acceptedRisks) out.push(`<tr><td><code>${esc(a.key)}</code></td><td>${esc(JSON.stringify(a.value))}</td><td>${esc(a.meaning)}</td><td>${esc(a.reportedBy.join(", ") || "-")}</td></tr>`);
        out.push(`</tbody></table>`);
    }
    out.push(`</section>`);

    const cost = r.cost;
    out.push(`<section id="cost"><h2>Monthly cost estimate</h2><p class="how">${esc(SECTION_HELP.cost)}</p>`);
    out.push(`<p>Price table: region <b>${esc(cost.table.region)}</b>, currency <b>${esc(cost.table.currency)}</b>, date <b>${esc(cost.table.date)}</b>.${cost.stackRegion !== cost.table.region ? ` This stack deploys to <b>${esc(cost.stackRegion)}</b>; its prices there differ and are not in the table.` : ""}</p>`);
    out.push(`<table><thead><tr><th>item</th><th>resource type</th><th class="num">count</th><th class="num">idle floor</th><th class="num">usage</th><th>basis</th><th>sources</th></tr></thead><tbody>`);
    for (const l of cost.lines) {
        const src = sourcesOf(r, l.priceKeys).map((x) => `${esc(x.source)} <small>(${esc(x.checked)})</small>`).join("<br>");
        out.push(`<tr><td>${esc(l.item)}</td><td><code>${esc(l.resourceType)}</code></td><td class="num">${l.count}</td><td class="num">${money(l.idleMonthly)}</td><td class="num">${money(l.usageMonthly)}</td><td>${esc(l.basis)}</td><td>${src || "-"}</td></tr>`);
    }
    out.push(`<tr><th colspan="3">total</th><th class="num">${money(cost.idleTotal)}</th><th class="num">${money(cost.usageTotal)}</th><th colspan="2">${money(cost.total)} per month</th></tr>`);
    out.push(`</tbody></table>`);
    out.push(`<p id="cost-comparison"><b>Comparison:</b> ${esc(comparisonText(r))}</p>`);
    out.push(`<details><summary>reference workload and what the estimate leaves out</summary><p>${esc(workloadText(r))}</p><ul>`);
    for (const n of cost.notEstimated) out.push(`<li><code>${esc(n.type)}</code> x${n.count}: ${esc(n.reason)}</li>`);
    for (const n of cost.unpriced) out.push(`<li><code>${esc(n.type)}</code> x${n.count}: not in the price table (add it to cli/securityReport/prices.json)</li>`);
    out.push(`<li>${cost.noCharge.reduce((n, x) => n + x.count, 0)} resources of ${cost.noCharge.length} types carry no charge of their own (${esc(cost.noCharge.map((x) => x.type.split(":").pop()).join(", "))})</li></ul></details>`);
    out.push(`</section>`);
    out.push(`<section id="about"><h2>How this report was made</h2><p class="how">Produced offline by <code>mcpsec report --stack ${esc(r.stack)}</code>: the stack synthesized under Pulumi's mock engine, the policy packs run through their Analyzer service, the control map read from docs/controls.md, fixtures from test/policies, prices from cli/securityReport/prices.json, the diagram laid out by Graphviz (WebAssembly). Nothing on this page loads from the network.</p></section>`);
    out.push(`</main>`);
    const template = fs.readFileSync(TEMPLATE_FILE, "utf8");
    return template.replace("{{title}}", () => esc(`MCP security report: ${r.stack}`)).replace("{{body}}", () => out.join("\n"));
}

/** The pricing pages behind a cost line, each once, with how its figures were checked. */
function sourcesOf(r: SecurityReport, keys: string[]): { source: string; checked: string }[] {
    const bySource = new Map<string, string[]>();
    for (const k of keys) {
        const p = r.cost.prices[k];
        const list = bySource.get(p.source) ?? [];
        if (!list.includes(p.checked)) list.push(p.checked);
        bySource.set(p.source, list);
    }
    return [...bySource].map(([source, checked]) => ({ source, checked: checked.filter((c) => !c.startsWith("as ")).join("; ") || checked.join("; ") }));
}

export function comparisonText(r: SecurityReport): string {
    const cost = r.cost;
    const diff = cost.total - cost.comparison.amount;
    return `${cost.comparison.label}. This stack: ${money(cost.total)} per month at the reference workload (idle floor ${money(cost.idleTotal)}), ${money(Math.abs(diff))} ${diff >= 0 ? "more" : "less"} than the guidance. The guidance fronts an internet-facing ALB with CloudFront and WAF and has no egress control; the lines above show what this stack pays for instead.${cost.lines.length === 0 ? " This stack creates no billable AWS resource of its own: the cluster it runs on is not priced here." : ""} Source: ${cost.comparison.source}`;
}

function workloadText(r: SecurityReport): string {
    return `Reference workload (per month): ${Object.entries(r.cost.table.workload).filter(([k]) => k !== "description").map(([k, v]) => `${k} ${v}`).join(", ")}. ${r.cost.table.note}`;
}

/** The Markdown twin: the same sections and figures; the diagram as an image file beside it. */
export function renderMarkdown(r: SecurityReport, svgFile: string): string {
    const c = r.check;
    const counts = coverageCounts(r.coverage);
    const out: string[] = [];
    out.push(`# MCP security report: ${r.stack}`, "");
    out.push(`project ${r.project} · pattern ${r.pattern} · region ${r.region} · generated ${r.generatedAt} by mcpsec ${r.toolVersion}`, "");
    out.push("## Summary", "");
    out.push(`- policy check: **${c.ok ? "PASS" : "FAIL"}**, ${c.counts.mandatory} mandatory, ${c.counts.advisory} advisory violation(s)`);
    out.push(`- controls: ${counts.covered} covered, ${counts.partial} partial, ${counts.violated} violated, ${counts["not in this stack"]} not in this stack, ${counts.planned} planned`);
    out.push(`- accepted risks (opt-outs): ${r.acceptedRisks.length}`);
    out.push(`- cost: ${money(r.cost.total)} per month (${r.cost.table.region} prices), idle floor ${money(r.cost.idleTotal)}`, "");
    out.push("## Architecture and trust boundaries", "", SECTION_HELP.architecture, "", `![architecture of ${r.stack}](${svgFile})`, "");
    out.push("## Control coverage", "", SECTION_HELP.coverage, "");
    out.push("| id | control | status here | components in this stack | policies (verdict here; tests) | NIST 800-53 r5 | MAESTRO | missing / left to others |", "|---|---|---|---|---|---|---|---|");
    for (const row of r.coverage) {
        const pol = row.policies.map((p) => {
            const l = policyLine(p, r.testsAvailable);
            return `\`${p.name}\` **${l.verdict}** (${l.tests})`;
        }).join("<br>") || "no policy (runtime or process control)";
        out.push(`| ${row.control.id} | ${md(row.control.name)} | ${row.status} | ${md(row.components.join(", ") || "-")} | ${md(pol)} | ${md(row.control.nist.join(", "))} | ${md(row.control.maestro.join(", "))} | ${md(row.missing || "-")} |`);
    }
    out.push("", "## Incident replay", "", SECTION_HELP.incidents, "");
    if (r.incidents.available) {
        out.push("| incident | date | this stack | why |", "|---|---|---|---|");
        for (const i of r.incidents.rows) out.push(`| ${md(i.incident)} | ${i.date} | ${i.outcome} | ${md(i.why)} |`);
    } else {
        out.push(`> ${r.incidents.reason}`);
    }
    out.push("", "## Policy results", "", SECTION_HELP.policies, "", `${c.counts.mandatory} mandatory, ${c.counts.advisory} advisory violation(s); result ${c.ok ? "PASS" : "FAIL"}`, "");
    if (c.violations.length > 0) {
        out.push("| severity | level | policy | resource | finding | remediation |", "|---|---|---|---|---|---|");
        for (const v of c.violations) out.push(`| ${v.severity} | ${v.enforcementLevel} | \`${v.policy}\` | ${md(`${v.resourceType ?? ""} ${v.resourceName ?? ""}`.trim() || "(stack)")} | ${md(v.message)} | ${md(v.remediation)} |`);
    }
    for (const n of c.notes) out.push("", `> note: ${n}`);
    out.push("", "## Accepted risks (explicit opt-outs)", "", SECTION_HELP.risks, "");
    if (r.acceptedRisks.length === 0) out.push("none: this stack takes no opt-out.");
    else {
        out.push("| config key | value | what it does | reported by |", "|---|---|---|---|");
        for (const a of r.acceptedRisks) out.push(`| \`${a.key}\` | ${JSON.stringify(a.value)} | ${md(a.meaning)} | ${md(a.reportedBy.join(", ") || "-")} |`);
    }
    const cost = r.cost;
    out.push("", "## Monthly cost estimate", "", SECTION_HELP.cost, "");
    out.push(`Price table: region ${cost.table.region}, currency ${cost.table.currency}, date ${cost.table.date}.${cost.stackRegion !== cost.table.region ? ` This stack deploys to ${cost.stackRegion}; its prices there differ and are not in the table.` : ""}`, "");
    out.push("| item | resource type | count | idle floor | usage | basis | sources |", "|---|---|---:|---:|---:|---|---|");
    for (const l of cost.lines) out.push(`| ${l.item} | \`${l.resourceType}\` | ${l.count} | ${money(l.idleMonthly)} | ${money(l.usageMonthly)} | ${md(l.basis)} | ${md(sourcesOf(r, l.priceKeys).map((x) => `${x.source} (${x.checked})`).join("; ") || "-")} |`);
    out.push(`| **total** | | | **${money(cost.idleTotal)}** | **${money(cost.usageTotal)}** | **${money(cost.total)} per month** | |`, "");
    out.push(`**Comparison:** ${comparisonText(r)}`, "", workloadText(r), "");
    for (const n of cost.notEstimated) out.push(`- \`${n.type}\` x${n.count}: ${n.reason}`);
    for (const n of cost.unpriced) out.push(`- \`${n.type}\` x${n.count}: not in the price table (add it to cli/securityReport/prices.json)`);
    out.push("");
    return out.join("\n");
}
