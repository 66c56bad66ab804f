import { describe, expect, it } from "vitest";
import { awsRules } from "../../policies/aws/rules";
import { awsCases } from "./aws.cases";
import { runRule } from "./harness";
import { expectCompleteMetadata } from "./registry";

describe("mcpsec-aws rules", () => {
    for (const rule of awsRules) {
        const cases = awsCases[rule.meta.name];
        describe(rule.meta.name, () => {
            it("has complete metadata", () => expectCompleteMetadata(rule));
            it("has at least one passing and one failing fixture", () => {
                expect(cases?.pass.length ?? 0).toBeGreaterThan(0);
                expect(cases?.fail.length ?? 0).toBeGreaterThan(0);
            });
            for (const fixture of cases?.pass ?? []) {
                it(`passes: ${fixture.label}`, () => expect(runRule(rule, fixture)).toEqual([]));
            }
            for (const fixture of cases?.fail ?? []) {
                it(`catches: ${fixture.label}`, () => {
                    const messages = runRule(rule, fixture);
                    expect(messages.length).toBeGreaterThan(0);
                    expect(messages.join("\n")).toMatch(fixture.expect);
                });
            }
        });
    }

    it("has fixtures only for rules that exist", () => {
        expect(Object.keys(awsCases).sort()).toEqual(awsRules.map((r) => r.meta.name).sort());
    });
});
