import type {
    EnforcementLevel, PolicyConfigSchema, PolicyResource, ReportViolation, ResourceValidationArgs,
    ResourceValidationPolicy, Severity, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";

/** Control ids of the catalogue in docs/controls.md (server side, client side, operations, hosting, patterns). */
export type ControlId =
    | "S1" | "S2" | "S3" | "S4" | "S5" | "S6"
    | "C1" | "C2" | "C3" | "C4" | "C5"
    | "O1" | "O2" | "O3" | "O4" | "O5" | "O6"
    | "H1" | "H2" | "H3" | "H4" | "H5"
    | "P1" | "P2" | "P3";
export type ThreatId = "T1" | "T2" | "T3" | "T4" | "T5" | "T6" | "T7";
export type MaestroLayer = "L1" | "L2" | "L3" | "L4" | "L5" | "L6" | "L7";

/** What every rule must say about itself; the registry test rejects a rule missing any of it. */
export interface RuleMeta {
    /** vendor-service-resource-check, lower case. */
    name: string;
    /** Full sentences: what the rule checks and why it matters for MCP. */
    description: string;
    severity: Severity;
    /** Default `mandatory`. */
    enforcementLevel?: EnforcementLevel;
    /** Control ids from the catalogue. */
    controls: ControlId[];
    /** NIST SP 800-53 Rev. 5 control ids, e.g. `SC-7`, `AU-11`. */
    nist: string[];
    maestro: MaestroLayer[];
    threats: ThreatId[];
    /** How to fix it, naming the component argument or config key that does. */
    remediation: string;
    configSchema?: PolicyConfigSchema;
}

export const NIST_FRAMEWORK = { name: "NIST SP 800-53", version: "Rev. 5" };

/** Tags carried through the analyzer protocol, so reports can map a violation back to controls. */
export function metaTags(meta: RuleMeta): string[] {
    return [
        ...meta.controls.map((c) => `control:${c}`),
        ...meta.nist.map((n) => `nist:${n}`),
        ...meta.maestro.map((l) => `maestro:${l}`),
        ...meta.threats.map((t) => `threat:${t}`),
    ];
}

function common(meta: RuleMeta) {
    return {
        name: meta.name,
        description: meta.description,
        enforcementLevel: meta.enforcementLevel ?? "mandatory",
        severity: meta.severity,
        framework: { ...NIST_FRAMEWORK, reference: meta.nist.join(", "), specification: meta.description },
        tags: metaTags(meta),
        remediationSteps: meta.remediation,
        configSchema: meta.configSchema,
    };
}

/** A rule as the packs export it: the CrossGuard policy plus the metadata it was made from. */
export interface Rule<P = ResourceValidationPolicy | StackValidationPolicy> {
    meta: RuleMeta;
    policy: P;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

/**
 * The marker @pulumi/policy's validateResourceOfType and validateStackResourcesOfType set on a validation function:
 * the policy server skips the policy, without deserializing anything for it, when the resource (Analyze) or the
 * stack (AnalyzeStack) is not of, or holds nothing of, this type. Read by getPulumiType in @pulumi/policy.
 */
interface TypeMarked {
    __pulumiType?: string;
}

function markType<F extends object>(validate: F, type: string): F {
    (validate as TypeMarked).__pulumiType = type;
    return validate;
}

/** A rule over resources of the given types, called with their input properties; `check` may be asynchronous. */
export function resourceRule(
    meta: RuleMeta,
    types: string[],
    check: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>,
): Rule<ResourceValidationPolicy> {
    const wanted = new Set(types);
    const validate = (args: ResourceValidationArgs, report: ReportViolation): void | Promise<void> => {
        if (wanted.has(args.type)) {
            return check(args.props as Props, args, report);
        }
    };
    if (types.length === 1) {
        // The policy server then skips other types without deserializing them.
        markType(validate, types[0]);
    }
    return { meta, policy: { ...common(meta), validateResource: validate } };
}

/** How a stack rule may be skipped: see stackRule. */
export interface StackRuleScope {
    /**
     * The rule judges nothing in a stack that holds no resource of this type (its check reports only about such
     * resources, or returns when there are none). The policy server then skips it without reading the stack, as for
     * @pulumi/policy's validateStackResourcesOfType, and reports it not applicable. test/policies/packs.test.ts runs
     * every fixture of the rule without its resources of this type and expects no violation.
     */
    onlyWith?: string;
}

/** A rule over the whole stack, called with every resource (output properties). */
export function stackRule(
    meta: RuleMeta,
    check: (resources: PolicyResource[], args: StackValidationArgs, report: ReportViolation) => void,
    scope: StackRuleScope = {},
): Rule<StackValidationPolicy> {
    const validateStack = (args: StackValidationArgs, report: ReportViolation): void => check(args.resources, args, report);
    if (scope.onlyWith !== undefined) {
        // As validateStackResourcesOfType marks it; unlike it, the check still sees every resource of the stack.
        markType(validateStack, scope.onlyWith);
    }
    return { meta, policy: { ...common(meta), validateStack } };
}

/** The type a stack rule is limited to (StackRuleScope.onlyWith), if any. */
export function onlyWithType(rule: Rule): string | undefined {
    return ((rule.policy as StackValidationPolicy).validateStack as TypeMarked | undefined)?.__pulumiType;
}

/** The resources of one type. */
export function ofType(resources: PolicyResource[], type: string): PolicyResource[] {
    return resources.filter((r) => r.type === type);
}

/**
 * True when `from` refers to `to` through `property`: by a recorded property dependency, or by holding `to`'s id,
 * ARN (or the id at the end of its ARN), or the value of one of `to`'s `alsoMatch` properties, when the reference
 * was given as a plain string.
 */
export function refersTo(from: PolicyResource, property: string, to: PolicyResource, alsoMatch: string[] = []): boolean {
    if ((from.propertyDependencies[property] ?? []).some((d) => d.urn === to.urn)) {
        return true;
    }
    const value = from.props[property];
    if (typeof value !== "string" || value === "") {
        return false;
    }
    const arn = typeof to.props.arn === "string" ? to.props.arn : undefined;
    const candidates = [to.props.id, arn, arn?.split("/").pop(), ...alsoMatch.map((k) => to.props[k])];
    return candidates.some((c) => typeof c === "string" && c === value);
}
