import { describe, expect, it } from "vitest";
import { awsRules } from "../../policies/aws/rules";
import { kubernetesRules } from "../../policies/kubernetes/rules";
import { Rule } from "../../policies/lib/rule";
import { awsCases, RuleCases } from "./aws.cases";
import { runRule } from "./harness";
import { kubernetesCases } from "./kubernetes.cases";
import { mcpCases } from "./mcp.cases";
import { mcpRules } from "../../policies/mcp/rules";
import { expectCompleteMetadata } from "./registry";

const packs: [string, Rule[], Record<string, RuleCases>][] = [
    ["mcpsec-aws", awsRules, awsCases],
    ["mcpsec-kubernetes", kubernetesRules, kubernetesCases],
    ["mcpsec-mcp", mcpRules, mcpCases],
];

for (const [pack, rules, allCases] of packs) {
    describe(`${pack} rules`, () => {
        for (const rule of rules) {
            const cases = allCases[rule.meta.name];
            describe(rule.meta.name, () => {
                it("has complete metadata", () => expectCompleteMetadata(rule));
                it("has at least one passing and one failing fixture", () => {
                    expect(cases?.pass.length ?? 0).toBeGreaterThan(0);
                    expect(cases?.fail.length ?? 0).toBeGreaterThan(0);
                });
                for (const fixture of cases?.pass ?? []) {
                    it(`passes: ${fixture.label}`, async () => expect(await runRule(rule, fixture)).toEqual([]));
                }
                for (const fixture of cases?.fail ?? []) {
                    it(`catches: ${fixture.label}`, async () => {
                        const messages = await runRule(rule, fixture);
                        expect(messages.length).toBeGreaterThan(0);
                        expect(messages.join("\n")).toMatch(fixture.expect);
                    });
                }
            });
        }

        it("has fixtures only for rules that exist", () => {
            expect(Object.keys(allCases).sort()).toEqual(rules.map((r) => r.meta.name).sort());
        });
    });
}

it("rule names are unique across packs", () => {
    const names = packs.flatMap(([, rules]) => rules.map((r) => r.meta.name));
    expect(new Set(names).size).toBe(names.length);
});
