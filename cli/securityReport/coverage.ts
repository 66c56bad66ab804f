import type { CheckReport, StackReport } from "../check";
import type { ResourceGraph } from "../graph";
import type { ControlRow } from "./controls";
import type { CoverageRow, PolicyVerdict } from "./model";
import type { PolicyTests } from "./policyTests";

/** The resource type prefix a pack evaluates: `mcpsec-aws` -> `aws:`, `mcpsec-mcp` -> `mcpsec:mcp:`. */
export function packScope(pack: string): string {
    const x = pack.replace(/^mcpsec-/, "");
    return x === "mcp" ? "mcpsec:mcp:" : `${x}:`;
}

/**
 * The components of the graph (mcpsec:<folder>:<Type>) whose type name the control row names, with resource names,
 * sorted: the report does not depend on the order the program registered them in.
 */
export function implementingComponents(row: ControlRow, graph: ResourceGraph): string[] {
    const found: string[] = [];
    for (const r of graph.resources.filter((x) => !x.custom && x.type.startsWith("mcpsec:"))) {
        const typeName = r.type.split(":").pop()!;
        if (new RegExp(`\\b${typeName}\\b`).test(row.component)) {
            found.push(`${typeName} ${r.name}`);
        }
    }
    return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Each control of the map with its components, the verdicts of its policies on this stack and its status here. */
export function coverageOf(
    controls: ControlRow[], graph: ResourceGraph, stack: StackReport, packs: CheckReport["packs"], tests: Map<string, PolicyTests> | undefined,
): CoverageRow[] {
    const info = new Map(packs.flatMap((p) => p.policies.map((x) => [x.name, { pack: p.name, policy: x }] as const)));
    const types = graph.resources.map((r) => r.type);
    return controls.map((control) => {
        const policies: PolicyVerdict[] = control.policies.map((name) => {
            const found = info.get(name);
            if (!found) return { name, verdict: "missing", violations: 0, tests: tests?.get(name) };
            const vs = stack.violations.filter((v) => v.policy === name);
            const mandatory = vs.filter((v) => v.enforcementLevel === "mandatory").length;
            const applies = types.some((t) => t.startsWith(packScope(found.pack)));
            const verdict: PolicyVerdict["verdict"] = mandatory > 0 ? "violated" : vs.length > 0 ? "advisory" : applies ? "pass" : "n/a";
            return { name, pack: found.pack, severity: found.policy.severity, enforcementLevel: found.policy.enforcementLevel, verdict, violations: vs.length, tests: tests?.get(name) };
        });
        const components = implementingComponents(control, graph);
        const applicable = policies.filter((p) => p.verdict !== "n/a" && p.verdict !== "missing");
        let status: CoverageRow["status"];
        let missing = control.statusText;
        if (control.status === "planned") {
            status = "planned";
        } else if (policies.some((p) => p.verdict === "violated")) {
            status = "violated";
            missing = `mandatory violations of ${policies.filter((p) => p.verdict === "violated").map((p) => p.name).join(", ")} on this stack; ${control.statusText}`;
        } else if (components.length === 0 && applicable.length === 0) {
            status = "not in this stack";
            missing = "no component of this stack implements it and no policy of it applies to this stack's resources";
        } else {
            status = control.status;
            if (control.status === "covered") missing = "";
        }
        const absent = policies.filter((p) => p.verdict === "missing").map((p) => p.name);
        if (absent.length > 0) missing = `${missing}${missing ? "; " : ""}named in the control map but in no loaded pack: ${absent.join(", ")}`;
        return { control, components, policies, status, missing };
    });
}
