/**
 * The incident replay engine: runs every scenario (test/incidents/scenarios.ts) against every pattern stack it
 * applies to, and returns what the project does today with the scenario's precondition. Shared by the test
 * (test/incidents/incidents.test.ts), which asserts the outcomes, and the generator (scripts/incidents.ts), which
 * renders docs/incidents.md from the same outcomes.
 *
 * Cost: each stack is synthesized once; a scenario validates an in-memory copy of its config (as the program does
 * first) and, when the config is accepted, judges a copy of the graph changed the way that config would change it
 * with the policy packs' analyzer functions in process. Two preconditions need their own synthesis per stack (a
 * second server, the guard opted out), memoized. The guard runs once on loopback for all run-time scenarios.
 */
import * as fs from "fs";
import * as path from "path";
import { buildRequests, toViolation, type Violation } from "../../cli/analyzer";
import { ResourceGraph } from "../../cli/graph";
import { findProject, loadStackConfig } from "../../cli/project";
import { synthesizeProgram } from "../../cli/synth";
import { loadBlueprintConfig } from "../../components/config";
import { blueprintSchema } from "../../components/config/schema";
import { ConfigError } from "../../components/common/errors";
import { main } from "../../program";
import { awsRules } from "../../policies/aws/rules";
import { kubernetesRules } from "../../policies/kubernetes/rules";
import { Rule } from "../../policies/lib/rule";
import { mcpRules } from "../../policies/mcp/rules";
import { RuntimeProbes } from "./runtime";

export const ROOT = path.resolve(__dirname, "..", "..");
const project = findProject(ROOT);

/**
 * The analyzer functions @pulumi/policy serves a pack with (what `run-policy-pack` answers over gRPC), called in
 * process: the same requests `mcpsec check` builds (cli/analyzer.ts buildRequests) and the same reading of the
 * diagnostics (toViolation), without a pack process per check. test/cli/analyzer.test.ts shows the process path
 * gives these verdicts.
 */
type RpcFun = (call: { request: unknown }, callback: (err: Error | null, res?: { getDiagnosticsList(): never[] }) => void) => void;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyServer = require("@pulumi/policy/server.js") as Record<"makeAnalyzeRpcFun" | "makeAnalyzeStackRpcFun", (name: string, version: string, level: string, policies: unknown[]) => RpcFun>;
const PACKS: [string, Rule[]][] = [["mcpsec-aws", awsRules], ["mcpsec-kubernetes", kubernetesRules], ["mcpsec-mcp", mcpRules]];
const analyzers = new Map<string, { analyze: RpcFun; analyzeStack: RpcFun }[]>();

/** The analyzer functions of every pack, or of the named rules only (cached per selection). */
function analyzersFor(only?: string[]): { analyze: RpcFun; analyzeStack: RpcFun }[] {
    const key = only ? [...only].sort().join(",") : "*";
    if (!analyzers.has(key)) {
        analyzers.set(key, PACKS.map(([name, rules]) => {
            const policies = rules.filter((r) => !only || only.includes(r.meta.name)).map((r) => r.policy);
            return { analyze: policyServer.makeAnalyzeRpcFun(name, "0.0.0", "mandatory", policies), analyzeStack: policyServer.makeAnalyzeStackRpcFun(name, "0.0.0", "mandatory", policies) };
        }).filter((_, i) => !only || PACKS[i][1].some((r) => only.includes(r.meta.name))));
    }
    return analyzers.get(key)!;
}

function rpc(fn: RpcFun, request: unknown): Promise<never[]> {
    return new Promise((resolve, reject) => fn({ request }, (err, res) => (err ? reject(err) : resolve(res!.getDiagnosticsList()))));
}

/** The mandatory violations every pack (or only the named rules) reports on a graph. */
export async function evaluatePacks(graph: ResourceGraph, only?: string[]): Promise<Violation[]> {
    if (only) {
        const known = new Set(PACKS.flatMap(([, rules]) => rules.map((r) => r.meta.name)));
        const unknown = only.filter((r) => !known.has(r));
        if (unknown.length > 0) throw new Error(`no rule named ${unknown.join(", ")}`);
    }
    const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
    const requests = buildRequests(graph, byUrn);
    const violations: Violation[] = [];
    for (const a of analyzersFor(only)) {
        for (const { urn, request } of requests.analyze) {
            violations.push(...(await rpc(a.analyze, request)).map((d) => toViolation(d, new Map(), byUrn, urn)));
        }
        violations.push(...(await rpc(a.analyzeStack, requests.stack)).map((d) => toViolation(d, new Map(), byUrn)));
    }
    return violations.filter((v) => v.enforcementLevel === "mandatory");
}

export type Pattern = "security-zone" | "microservices" | "api-gateway";
export const PATTERNS: Pattern[] = ["security-zone", "api-gateway", "microservices"];

/** A column of the replay: a pattern and the example stack that deploys it. */
export interface Column {
    pattern: Pattern;
    stack: string;
}

/**
 * The columns, pattern -> example stack. A stack whose config file does not exist yet is left out, so a pattern
 * being built (api-gateway, issue 11) joins the replay when its stack file lands: one line here.
 */
export const STACK_COLUMNS: Column[] = [
    { pattern: "security-zone", stack: "security-zone-dev" },
    { pattern: "api-gateway", stack: "api-gateway-dev" },
    { pattern: "microservices", stack: "microservices-dev" },
];

export function activeColumns(): Column[] {
    return STACK_COLUMNS.filter((c) => fs.existsSync(path.join(project.stackConfigDir, `Pulumi.${c.stack}.yaml`)));
}

/**
 * What the project does with a scenario's precondition:
 * - config: the stack config is refused (ConfigError naming the key; `mcpsec synth|check` exit 2);
 * - policy: `mcpsec check` reports a mandatory violation of a named rule (or `mcpsec vet` fails the manifest);
 * - structural: the synthesized graph provably lacks the precondition (reachability model or graph query);
 * - runtime: the guard deployed in front of every server refuses it (loopback test);
 * - detected: a named detection or containment resource of the stack fires on it;
 * - not-covered: nothing in the deployment stops it; the reason says why.
 */
export type Verdict = "config" | "policy" | "structural" | "runtime" | "detected" | "not-covered";

export interface Outcome {
    verdict: Verdict;
    /** The rule, config key, resource or loopback test that proves the verdict (for not-covered: the reason). */
    proof: string;
    /** What was observed: the error text, the violation message, the model's answer. */
    detail: string;
}

/** The mcpsec namespace of a stack config, parsed (keys without the `mcpsec:` prefix). */
export type RawConfig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a probe may use for its column. */
export interface ColumnContext {
    column: Column;
    /** The stack's graph, synthesized once. Read it; mutate only a copy (see {@link cloneGraph}). */
    graph: ResourceGraph;
    /** A fresh copy of the stack's parsed mcpsec config. */
    rawConfig(): RawConfig;
    /**
     * Validates a config (as the program does before creating anything) and synthesizes it: a ConfigError comes
     * back as `refused`, otherwise the graph. Costly (a synthesis): memoize it.
     */
    synthesize(raw: RawConfig): Promise<{ refused: ConfigError } | { graph: ResourceGraph }>;
    /** Validates a config as the program does before creating anything: the ConfigError, or undefined. */
    validate(raw: RawConfig): Promise<ConfigError | undefined>;
    /**
     * The mandatory violations the packs report on a graph, less those the unchanged stack already has (none for a
     * finished pattern): what is left is the change's doing. With `only`, just those rules run (faster; enough to
     * show they fire).
     */
    check(graph: ResourceGraph, only?: string[]): Promise<Violation[]>;
    /** The loopback guard and its checks (started once for the whole replay). */
    runtime: RuntimeProbes;
    /** Memoizes a value per column (e.g. a second synthesis several scenarios share). */
    memo<T>(key: string, make: () => Promise<T>): Promise<T>;
}

export type Probe = (ctx: ColumnContext) => Promise<Outcome>;

export interface Scenario {
    /** `<incident>.<letter>`, stable. */
    id: string;
    incident: number;
    /** The precondition reproduced, as a deployment would have it. */
    title: string;
    /** Patterns the precondition exists in. */
    applies: Pattern[];
    /** One probe for every pattern, or one per pattern. */
    probe: Probe | Partial<Record<Pattern, Probe>>;
    /** The verdict the project gives today, by pattern (or by stack name, which wins). */
    expect: Partial<Record<string, Verdict>>;
}

export interface CellResult {
    scenario: Scenario;
    column: Column;
    outcome: Outcome;
    /** Set when the probe's own claim failed (the cell's test fails with it). */
    error?: string;
}

export function cloneGraph(graph: ResourceGraph, stack: string): ResourceGraph {
    const g = JSON.parse(JSON.stringify(graph)) as ResourceGraph;
    g.stack = stack;
    return g;
}

const OBJECT_KEYS = new Set(Object.entries(blueprintSchema.properties)
    .filter(([, schema]) => "type" in schema && (schema.type === "object" || schema.type === "array"))
    .map(([key]) => key));

function parseRaw(flat: Record<string, string>): RawConfig {
    const raw: RawConfig = {};
    for (const [k, v] of Object.entries(flat)) {
        if (k.startsWith("mcpsec:")) {
            const key = k.slice("mcpsec:".length);
            raw[key] = OBJECT_KEYS.has(key) ? JSON.parse(v) : v;
        }
    }
    return raw;
}

/** The flat engine config of a stack with its mcpsec namespace replaced by `raw`. */
export function flatten(base: Record<string, string>, raw: RawConfig): Record<string, string> {
    const flat = Object.fromEntries(Object.entries(base).filter(([k]) => !k.startsWith("mcpsec:")));
    for (const [k, v] of Object.entries(raw)) {
        if (v !== undefined) {
            flat[`mcpsec:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    return flat;
}

const violationKey = (v: Violation) => `${v.policy} ${v.urn ?? ""}`;

/** Synthesis is global runtime state: one at a time. */
let synthQueue: Promise<unknown> = Promise.resolve();
function serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = synthQueue.then(run, run);
    synthQueue = next.catch(() => undefined);
    return next;
}

export function probeFor(s: Scenario, pattern: Pattern): Probe | undefined {
    if (!s.applies.includes(pattern)) {
        return undefined;
    }
    return typeof s.probe === "function" ? s.probe : s.probe[pattern];
}

export function expectedFor(s: Scenario, column: Column): Verdict | undefined {
    return s.expect[column.stack] ?? s.expect[column.pattern];
}

/** Runs every scenario on every column it applies to. */
export async function replay(scenarios: Scenario[], columns: Column[] = activeColumns()): Promise<CellResult[]> {
    const runtime = new RuntimeProbes();
    try {
        const results: CellResult[] = [];
        for (const column of columns) {
            const stackConfig = loadStackConfig(project, column.stack);
            const synth = (flat: Record<string, string>) => serialized(() => synthesizeProgram({ project: project.name, stack: column.stack, config: flat, secretKeys: stackConfig.secretKeys, program: main }));
            const graph = await synth(stackConfig.config);
            // The unchanged stack's own violations, per rule selection, computed when first needed.
            const baselines = new Map<string, Promise<Set<string>>>();
            const known = (only?: string[]) => {
                const key = only ? [...only].sort().join(",") : "*";
                if (!baselines.has(key)) baselines.set(key, evaluatePacks(graph, only).then((v) => new Set(v.map(violationKey))));
                return baselines.get(key)!;
            };
            const memos = new Map<string, Promise<unknown>>();
            const ctx: ColumnContext = {
                column, graph, runtime,
                rawConfig: () => parseRaw(stackConfig.config),
                async synthesize(raw) {
                    const refused = await validate(raw);
                    if (refused) return { refused };
                    try {
                        return { graph: await synth(flatten(stackConfig.config, raw)) };
                    } catch (e) {
                        if (ConfigError.isConfigError(e)) return { refused: e };
                        throw e;
                    }
                },
                validate,
                check: async (g, only) => {
                    const before = await known(only);
                    return (await evaluatePacks(g, only)).filter((v) => !before.has(violationKey(v)));
                },
                memo<T>(key: string, make: () => Promise<T>): Promise<T> {
                    if (!memos.has(key)) {
                        memos.set(key, make());
                    }
                    return memos.get(key) as Promise<T>;
                },
            };
            async function validate(raw: RawConfig): Promise<ConfigError | undefined> {
                try {
                    await loadBlueprintConfig(flatten(stackConfig.config, raw));
                    return undefined;
                } catch (e) {
                    if (ConfigError.isConfigError(e)) return e;
                    throw e;
                }
            }
            for (const scenario of scenarios) {
                const probe = probeFor(scenario, column.pattern);
                if (!probe) {
                    continue;
                }
                try {
                    results.push({ scenario, column, outcome: await probe(ctx) });
                } catch (e) {
                    // A claim that does not hold (refused for another reason, a rule that should catch it does not):
                    // recorded on the cell, whose test fails with it.
                    results.push({ scenario, column, outcome: { verdict: "not-covered", proof: "probe failed", detail: "" }, error: (e as Error).message });
                }
            }
        }
        return results;
    } finally {
        await runtime.close();
    }
}
