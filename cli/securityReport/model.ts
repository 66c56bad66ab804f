import type { Severity, Enforcement } from "../analyzer";
import type { CheckReport, StackReport } from "../check";
import type { ResourceGraph } from "../graph";
import type { ControlRow } from "./controls";
import type { CostEstimate } from "./cost";
import type { IncidentSection } from "./incidents";
import type { OptOut } from "./optOuts";
import type { PolicyTests } from "./policyTests";

/** A policy's verdict on one stack, from the same check run as the report's policy results. */
export interface PolicyVerdict {
    name: string;
    pack?: string;
    severity?: Severity;
    enforcementLevel?: Enforcement;
    /** pass: evaluated, nothing found; violated: a mandatory violation; advisory: advisory findings only; n/a: the stack has nothing the pack evaluates; missing: named in the control map, in no pack. */
    verdict: "pass" | "violated" | "advisory" | "n/a" | "missing";
    violations: number;
    /** Fixtures proving it fires; undefined when the project's tests are not installed. */
    tests?: PolicyTests;
}

export type StackCoverage = "covered" | "partial" | "violated" | "not in this stack" | "planned";

export interface CoverageRow {
    control: ControlRow;
    /** Components of this stack that implement the control (type name and resource name). */
    components: string[];
    policies: PolicyVerdict[];
    status: StackCoverage;
    /** What is missing or left to others, for anything short of covered. */
    missing: string;
}

export interface AcceptedRisk extends OptOut {
    /** Policies that report the opt-out on this stack (their violations name the key). */
    reportedBy: string[];
}

export interface SecurityReport {
    version: 1;
    project: string;
    stack: string;
    pattern: string;
    region: string;
    generatedAt: string;
    toolVersion: string;
    check: StackReport;
    packs: CheckReport["packs"];
    coverage: CoverageRow[];
    /** False when test/policies is not installed: the matrix cannot name the tests. */
    testsAvailable: boolean;
    incidents: IncidentSection;
    acceptedRisks: AcceptedRisk[];
    cost: CostEstimate;
    diagram: { dot: string; svg: string };
    graph: Pick<ResourceGraph, "stack" | "project">;
}
