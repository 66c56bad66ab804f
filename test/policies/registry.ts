import { expect } from "vitest";
import { Rule } from "../../policies/lib/rule";

const CONTROLS = /^(S[1-6]|C[1-5]|O[1-6]|H[1-5]|P[1-3])$/;
// NIST SP 800-53 Rev. 5 families and the form of a control id (base control, optional enhancement).
const NIST = /^(AC|AT|AU|CA|CM|CP|IA|IR|MA|MP|PE|PL|PM|PS|PT|RA|SA|SC|SI|SR)-\d{1,2}(\(\d{1,2}\))?$/;

/** Asserts that a rule says everything a report, SARIF and the control map need. */
export function expectCompleteMetadata(rule: Rule): void {
    const m = rule.meta;
    expect(m.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+){2,}$/);
    expect(rule.policy.name).toBe(m.name);
    expect(m.description.length).toBeGreaterThan(60);
    expect(m.description.trim().endsWith(".")).toBe(true);
    expect(["low", "medium", "high", "critical"]).toContain(m.severity);
    expect(m.controls.length).toBeGreaterThan(0);
    m.controls.forEach((c) => expect(c).toMatch(CONTROLS));
    expect(m.nist.length).toBeGreaterThan(0);
    m.nist.forEach((n) => expect(n).toMatch(NIST));
    expect(m.maestro.length).toBeGreaterThan(0);
    expect(m.threats.length).toBeGreaterThan(0);
    expect(m.remediation).toMatch(/[A-Za-z]+[A-Z][a-z]*|mcpsec:|argument/);
    expect(rule.policy.severity).toBe(m.severity);
    expect(rule.policy.remediationSteps).toBe(m.remediation);
    expect(rule.policy.tags).toEqual(expect.arrayContaining(m.controls.map((c) => `control:${c}`)));
}
