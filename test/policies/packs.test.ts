import { describe, expect, it } from "vitest";
import { awsRules } from "../../policies/aws/rules";
import { kubernetesRules } from "../../policies/kubernetes/rules";
import { onlyWithType, Rule } from "../../policies/lib/rule";
import { awsCases, RuleCases } from "./aws.cases";
import { Fixture, FixtureResource, runRule } from "./harness";
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
                // A stack rule limited to stacks holding a type (StackRuleScope.onlyWith) is skipped by the policy server
                // when the stack has none: sound only if, without them, it has nothing to report.
                const only = onlyWithType(rule);
                if (only !== undefined) {
                    const stackFixtures = [...(cases?.pass ?? []), ...(cases?.fail ?? [])].filter((f): f is Fixture & { resources: FixtureResource[] } => "resources" in f);
                    it(`reports nothing in any of its fixtures once their ${only} resources are taken out`, async () => {
                        expect(stackFixtures.length).toBeGreaterThan(0);
                        for (const f of stackFixtures) {
                            const removed = new Set(f.resources.filter((r) => r.type === only).map((r) => r.name));
                            const resources = f.resources.filter((r) => r.type !== only)
                                .map((r) => ({ ...r, refs: Object.fromEntries(Object.entries(r.refs ?? {}).map(([k, names]) => [k, names.filter((n) => !removed.has(n))])) }));
                            expect(await runRule(rule, { ...f, resources }, { ignoreScope: true }), f.label).toEqual([]);
                        }
                    });
                    it(`catches each of its violating fixtures in a stack that holds a ${only}`, () => {
                        for (const f of cases?.fail ?? []) {
                            expect("resources" in f && f.resources.some((r) => r.type === only), f.label).toBe(true);
                        }
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
