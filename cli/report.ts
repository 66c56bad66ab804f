import * as path from "path";
import type * as sarif from "sarif";
import { PolicyInfo, Severity } from "./analyzer";
import { CheckReport } from "./check";
import { GraphResource, ResourceGraph } from "./graph";

/** Human-readable report of a check. */
export function formatCheckText(report: CheckReport): string {
    const lines: string[] = [];
    const packs = report.packs.map((p) => `${p.name} ${p.version} (${p.policies.length} policies)`).join(", ");
    for (const s of report.stacks) {
        lines.push(`stack ${s.stack} (project ${s.project})`);
        lines.push(`  resources: ${s.summary.resources} (${s.summary.custom} custom, ${s.summary.components} components)`);
        for (const [type, n] of Object.entries(s.summary.byType).sort(([a], [b]) => a.localeCompare(b))) {
            lines.push(`    ${String(n).padStart(3)}  ${type}`);
        }
        lines.push(`  policy packs: ${packs}`);
        for (const note of s.notes) {
            lines.push(`  note: ${note}`);
        }
        if (s.previewUnknown) {
            lines.push(`  first preview: ${s.previewUnknown.length} polic${s.previewUnknown.length === 1 ? "y reads" : "ies read"} values unknown until apply (advisory in preview): ${s.previewUnknown.join(", ") || "none"}`);
        }
        lines.push(`  violations: ${s.counts.mandatory} mandatory, ${s.counts.advisory} advisory`);
        for (const v of s.violations) {
            lines.push(`  [${v.enforcementLevel}] [${v.severity}] ${v.policy} (${v.pack})`);
            if (v.urn) {
                lines.push(`      resource: ${v.resourceType ?? "?"} ${v.resourceName ?? ""}`.trimEnd());
                lines.push(`      urn: ${v.urn}`);
            }
            for (const l of v.message.split("\n")) {
                lines.push(`      ${l}`);
            }
            if (v.remediation) {
                lines.push(`      fix: ${v.remediation}`);
            }
        }
        lines.push(`  result: ${s.ok ? "PASS" : "FAIL"}`);
        lines.push("");
    }
    const mandatory = report.stacks.reduce((n, s) => n + s.counts.mandatory, 0);
    lines.push(`${report.ok ? "PASS" : "FAIL"}: ${report.stacks.length} stack(s), ${mandatory} mandatory violation(s)`);
    return lines.join("\n") + "\n";
}

/** The resource tree of a graph, indented by parent. */
export function formatGraphText(graph: ResourceGraph): string {
    const children = new Map<string | undefined, GraphResource[]>();
    for (const r of graph.resources) {
        const list = children.get(r.parent) ?? [];
        list.push(r);
        children.set(r.parent, list);
    }
    const lines = [`stack ${graph.stack} (project ${graph.project}): ${graph.resources.length} resources`];
    const walk = (parent: string | undefined, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            const deps = r.dependencies.length > 0 ? `  <- ${r.dependencies.map((d) => d.split("::").pop()).join(", ")}` : "";
            lines.push(`${"  ".repeat(depth + 1)}${r.type} ${r.name}${deps}`);
            walk(r.urn, depth + 1);
        }
    };
    walk(undefined, 0);
    return lines.join("\n") + "\n";
}

const SARIF_LEVEL: Record<string, sarif.Result.level> = { mandatory: "error", remediate: "error", advisory: "warning", disabled: "none" };
/** GitHub code scanning reads `security-severity` (0.1-10) to rank findings. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", unspecified: "5.0" };

/** SARIF 2.1.0 log: one run, a rule per policy of every pack, a result per violation, located in the stack file. */
export function formatSarif(report: CheckReport, stackFiles: Record<string, string>, toolVersion: string): sarif.Log {
    const rules: sarif.ReportingDescriptor[] = [];
    const index = new Map<string, number>();
    const addRule = (pack: string, p: PolicyInfo) => {
        index.set(`${pack}/${p.name}`, rules.length);
        rules.push({
            id: p.name,
            name: p.name,
            shortDescription: { text: p.description.split(/(?<=\.)\s/)[0] },
            fullDescription: { text: p.description },
            help: { text: p.remediation || p.description },
            defaultConfiguration: { level: SARIF_LEVEL[p.enforcementLevel] ?? "warning" },
            properties: { tags: ["security", ...p.tags], "security-severity": SECURITY_SEVERITY[p.severity], pack },
        });
    };
    report.packs.forEach((pack) => pack.policies.forEach((p) => addRule(pack.name, p)));
    const results: sarif.Result[] = [];
    for (const s of report.stacks) {
        for (const v of s.violations) {
            const ruleIndex = index.get(`${v.pack}/${v.policy}`);
            results.push({
                ruleId: v.policy,
                ...(ruleIndex !== undefined ? { ruleIndex } : {}),
                level: SARIF_LEVEL[v.enforcementLevel] ?? "warning",
                message: { text: `${v.message}${v.resourceName ? ` (${v.resourceType} ${v.resourceName})` : ""}` },
                locations: [{
                    physicalLocation: { artifactLocation: { uri: stackFiles[`${s.project}/${s.stack}`] ?? stackFiles[s.stack] ?? `stacks/Pulumi.${s.stack}.yaml` }, region: { startLine: 1 } },
                    ...(v.urn ? { logicalLocations: [{ fullyQualifiedName: v.urn, name: v.resourceName, kind: "resource" }] } : {}),
                }],
                properties: { stack: s.stack, pack: v.pack, severity: v.severity, enforcementLevel: v.enforcementLevel },
            });
        }
    }
    return {
        version: "2.1.0",
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [{
            tool: { driver: { name: "mcpsec", version: toolVersion, informationUri: "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/", rules } },
            results,
            columnKind: "utf16CodeUnits",
        }],
    };
}

/** Stack file paths relative to the project root, as SARIF artifact URIs. */
export function stackFileUris(root: string, files: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(files).map(([stack, f]) => [stack, path.relative(root, f).split(path.sep).join("/")]));
}
