import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { onlyWithType, Props, Rule } from "../../policies/lib/rule";

/** A resource of a fixture stack. `refs` names the fixture resources a property points at (property dependencies). */
export interface FixtureResource {
    type: string;
    name: string;
    props: Props;
    refs?: Record<string, string[]>;
}

export type Fixture =
    | { label: string; type: string; props: Props; config?: Props }
    | { label: string; resources: FixtureResource[]; config?: Props };

const urnOf = (r: { type: string; name: string }) => `urn:pulumi:test::fixtures::${r.type}::${r.name}`;

const noOptions = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };

/**
 * Runs one rule on one fixture, in process, as the policy server would call it (awaiting an asynchronous rule, as
 * the server does; a stack rule scoped to a type the fixture lacks is skipped, unless `ignoreScope`); returns the
 * violation messages.
 */
export async function runRule(rule: Rule, fixture: Fixture, opts: { ignoreScope?: boolean } = {}): Promise<string[]> {
    const messages: string[] = [];
    const report = (message: string, urn?: string) => messages.push(urn ? `${message} [${urn.split("::").pop()}]` : message);
    const getConfig = <T>() => (fixture.config ?? {}) as T;
    const common = { getConfig, stackTags: new Map<string, string>(), notApplicable: (reason?: string): never => { throw new Error(`not applicable: ${reason}`); } };
    if ("type" in fixture) {
        const policy = rule.policy as ResourceValidationPolicy;
        if (!policy.validateResource) {
            throw new Error(`${rule.meta.name} is not a resource rule`);
        }
        const args = {
            ...common, type: fixture.type, props: fixture.props, urn: urnOf({ type: fixture.type, name: "fixture" }), name: "fixture", opts: noOptions,
            isType: () => false, asType: () => undefined,
        };
        for (const v of [policy.validateResource].flat()) {
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            await v(args as any, report);
        }
        return messages;
    }
    const policy = rule.policy as StackValidationPolicy;
    if (!policy.validateStack) {
        throw new Error(`${rule.meta.name} is not a stack rule`);
    }
    // As the policy server does: a rule scoped to a type (StackRuleScope.onlyWith) is not run on a stack without one.
    const only = onlyWithType(rule);
    if (only !== undefined && !opts.ignoreScope && !fixture.resources.some((r) => r.type === only)) {
        return messages;
    }
    const resources: PolicyResource[] = fixture.resources.map((r) => ({
        type: r.type, name: r.name, urn: urnOf(r), props: r.props, opts: noOptions,
        dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined,
    } as unknown as PolicyResource));
    const byName = new Map(resources.map((r) => [r.name, r]));
    fixture.resources.forEach((r, i) => {
        for (const [prop, names] of Object.entries(r.refs ?? {})) {
            const deps = names.map((n) => byName.get(n)!);
            resources[i].propertyDependencies[prop] = deps;
            resources[i].dependencies.push(...deps);
        }
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await policy.validateStack({ ...common, resources } as any, report);
    return messages;
}
