/**
 * Probe constructors for the incident replay: each turns a scenario's precondition into what the project does with
 * it on one column (see engine.ts for the verdicts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { Violation } from "../../cli/analyzer";
import { ResourceGraph } from "../../cli/graph";
import { main as cli } from "../../cli/main";
import { loadStackConfig } from "../../cli/project";
import { findProject } from "../../cli/project";
import { guardEnvironments } from "../../policies/mcp/guards";
import { ColumnContext, cloneGraph, Outcome, Probe, RawConfig, ROOT } from "./engine";
import { TENANT_CLAIM, type RuntimeCheckId } from "./runtime";

const project = findProject(ROOT);

function policyOutcome(violations: Violation[], expectedRules: string[] | undefined, otherwise: string, what: string): Outcome {
    if (violations.length === 0) {
        return { verdict: "not-covered", proof: otherwise, detail: `${what}: no mandatory violation` };
    }
    const rules = [...new Set(violations.map((v) => v.policy))].sort();
    const missing = (expectedRules ?? []).filter((r) => !rules.includes(r));
    if (missing.length > 0) {
        throw new Error(`${what}: expected ${missing.join(", ")} among the violations, got ${rules.join(", ")}`);
    }
    const shown = expectedRules && expectedRules.length > 0 ? rules.filter((r) => expectedRules.includes(r)) : rules;
    const first = violations.find((v) => v.policy === shown[0])!;
    return { verdict: "policy", proof: shown.map((r) => `\`${r}\``).join(", "), detail: `mcpsec check fails: ${first.policy}: ${first.message}` };
}

export interface ConfigChange {
    /** Changes the parsed mcpsec config in place (a fresh copy per call). */
    mutate: (raw: RawConfig, ctx: ColumnContext) => void;
    /** When refused: the config key the error must name. */
    key?: RegExp;
    /**
     * When accepted: the deployed graph that config gives, as a change of a copy of the stack's graph (values
     * substituted where the program puts them, see {@link substitute}), or a graph of its own (memoized synthesis).
     */
    graph?: (g: ResourceGraph, ctx: ColumnContext, raw: RawConfig) => void | Promise<ResourceGraph>;
    /** Rules that must be among the violations of that graph. */
    rules?: string[];
    /** The reason when neither config nor policy refuses it. */
    otherwise?: string;
    /** Also run `mcpsec synth` on a stack file holding the change, and require exit 2 naming the key. */
    cli?: boolean;
    /** Synthesize the changed config (memoized by scenario): for checks that components make, not the schema. */
    synthesize?: string;
}

/**
 * A stack config with the precondition: refused by validation (config), else its graph judged by the packs
 * (policy), else not covered.
 */
export function configChange(c: ConfigChange): Probe {
    return async (ctx) => {
        const raw = ctx.rawConfig();
        c.mutate(raw, ctx);
        const synthesized = c.synthesize ? await ctx.memo(`synth:${c.synthesize}`, () => ctx.synthesize(raw)) : undefined;
        const e = synthesized ? ("refused" in synthesized ? synthesized.refused : undefined) : await ctx.validate(raw);
        if (e) {
            if (c.key && !c.key.test(e.key)) {
                throw new Error(`refused for another reason than expected (${c.key}): ${e.message}`);
            }
            let proof = `ConfigError \`${e.key}\``;
            if (c.cli) {
                const run = await synthCli(ctx, raw);
                if (run.code !== 2 || !run.err.includes(e.key)) {
                    throw new Error(`mcpsec synth with the change: exit ${run.code}, stderr ${run.err}`);
                }
                proof += ", `mcpsec synth` exit 2";
            }
            return { verdict: "config", proof, detail: e.message };
        }
        const otherwise = c.otherwise ?? "accepted by config and policy";
        if (!c.graph) {
            if (c.rules) throw new Error("the config is accepted: give the graph it deploys, for the rules to judge");
            return { verdict: "not-covered", proof: otherwise, detail: "the config is accepted" };
        }
        const copy = cloneGraph(ctx.graph, ctx.column.stack);
        const g = (await c.graph(copy, ctx, raw)) ?? copy;
        return policyOutcome(await ctx.check(g, c.rules), c.rules, otherwise, "the deployed change");
    };
}

/** The changed config synthesized (a few seconds: for changes whose effects a substitution cannot follow). */
export async function synthesized(_g: ResourceGraph, ctx: ColumnContext, raw: RawConfig): Promise<ResourceGraph> {
    const r = await ctx.synthesize(raw);
    if ("refused" in r) throw new Error(`refused when synthesized: ${r.refused.message}`);
    return r.graph;
}

/**
 * Replaces a value everywhere the program put it in a graph (inputs, outputs, config, and inside JSON documents such
 * as container definitions and approved manifests): what a config change of that value synthesizes to. For values
 * that need no JSON escaping (image references, URLs, digests, plain sentences).
 */
export function substitute(graph: ResourceGraph, from: string, to: string): void {
    if (/["\\\n]/.test(from + to)) throw new Error("substitute takes values without quotes, backslashes or new lines");
    const walk = (v: unknown): unknown => {
        if (typeof v === "string") return v.split(from).join(to);
        if (Array.isArray(v)) return v.map(walk);
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
        return v;
    };
    let hits = 0;
    for (const r of graph.resources) {
        const before = JSON.stringify([r.inputs, r.outputs]);
        r.inputs = walk(r.inputs) as Record<string, unknown>;
        r.outputs = walk(r.outputs) as Record<string, unknown>;
        if (JSON.stringify([r.inputs, r.outputs]) !== before) hits++;
    }
    graph.config = walk(graph.config) as Record<string, string>;
    if (hits === 0) throw new Error(`${from} is nowhere in the graph`);
}

/** Runs `mcpsec synth` in process on a stack file with the changed config; resolves to the exit code and stderr. */
async function synthCli(ctx: ColumnContext, raw: RawConfig): Promise<{ code: number; err: string }> {
    const { config } = loadStackConfig(project, ctx.column.stack);
    const doc: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
        if (!k.startsWith("mcpsec:")) doc[k] = v;
    }
    for (const [k, v] of Object.entries(raw)) {
        doc[`mcpsec:${k}`] = v;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-incident-"));
    const file = path.join(dir, `Pulumi.${ctx.column.stack}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ config: doc }));
    let err = "";
    try {
        const code = await cli(["node", "mcpsec", "synth", "--project", ROOT, "--stack", ctx.column.stack, "--stack-file", file, "--output", path.join(dir, "graph.json")], {
            out: () => undefined, err: (t) => (err += t), progress: false,
        });
        return { code, err };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** A deployed graph with the precondition (as an older version or a hand edit would deploy it), judged by the packs. */
export function graphChange(c: { mutate: (g: ResourceGraph) => void; rules?: string[]; otherwise?: string }): Probe {
    return async (ctx) => {
        const g = cloneGraph(ctx.graph, ctx.column.stack);
        c.mutate(g);
        return policyOutcome(await ctx.check(g, c.rules), c.rules, c.otherwise ?? "not caught by the packs", "the changed graph");
    };
}

export interface Fact {
    holds: boolean;
    /** What proves it (model, query, resource). */
    proof: string;
    detail: string;
}

/**
 * The graph provably lacks the precondition. With `guard`, a graph that has it (the mutation) must also be caught by
 * the packs, so a later change cannot bring it back silently.
 */
export function structural(check: (ctx: ColumnContext) => Fact | Promise<Fact>, guard?: { mutate: (g: ResourceGraph) => void; rules: string[] }): Probe {
    return async (ctx) => {
        const fact = await check(ctx);
        if (!fact.holds) {
            return { verdict: "not-covered", proof: fact.proof, detail: fact.detail };
        }
        if (!guard) {
            return { verdict: "structural", proof: fact.proof, detail: fact.detail };
        }
        const g = cloneGraph(ctx.graph, ctx.column.stack);
        guard.mutate(g);
        const v = await ctx.check(g, guard.rules);
        const caught = guard.rules.filter((r) => v.some((x) => x.policy === r));
        if (caught.length === 0) {
            throw new Error(`the graph with the precondition put back is not caught by ${guard.rules.join(", ")} (violations: ${v.map((x) => x.policy).join(", ") || "none"})`);
        }
        return { verdict: "structural", proof: `${fact.proof}; put back, it fails ${caught.map((r) => `\`${r}\``).join(", ")}`, detail: fact.detail };
    };
}

/**
 * The guard containers of a graph, by server: ECS container definitions or Kubernetes pod templates, recognised as
 * the mcp pack recognises them (policies/mcp/guards.ts).
 */
export function guardsOf(graph: ResourceGraph): { server: string; env: Record<string, string> }[] {
    return guardEnvironments(graph.resources.map((r) => ({ type: r.type, props: r.inputs })));
}

export function serverNames(graph: ResourceGraph): string[] {
    return (JSON.parse(graph.config["mcpsec:servers"] ?? "[]") as { name: string }[]).map((s) => s.name);
}

/**
 * The guard refuses it at run time: every server of the stack runs behind a guard (with the settings `needs`
 * checks), and the guard refuses the request in the loopback test.
 */
export function guarded(id: RuntimeCheckId, needs?: (env: Record<string, string>) => string | undefined): Probe {
    return async (ctx) => {
        const guards = guardsOf(ctx.graph);
        for (const server of serverNames(ctx.graph)) {
            const g = guards.find((x) => x.server === server);
            if (!g) {
                return { verdict: "not-covered", proof: `server ${server} runs without the guard`, detail: "no mcp-guard container in its task or pod" };
            }
            const problem = needs?.(g.env);
            if (problem) {
                return { verdict: "not-covered", proof: `the guard of ${server} ${problem}`, detail: JSON.stringify(g.env) };
            }
        }
        const r = await ctx.runtime.check(id);
        if (!r.refused) {
            return { verdict: "not-covered", proof: `the guard lets it through (${r.test})`, detail: r.evidence };
        }
        return { verdict: "runtime", proof: `guard: ${r.test}`, detail: r.evidence };
    };
}

/**
 * A server declared multi-tenant (`mcpsec:servers[0].tenantClaim`): the stack synthesized with the declaration must
 * hand its guard GUARD_TENANT_CLAIM (task definition or pod template), and that guard refuses a token without the
 * claim before the server sees anything (loopback).
 */
export function multiTenant(): Probe {
    return async (ctx) => {
        const raw = ctx.rawConfig();
        const name = (raw.servers[0] as { name: string }).name;
        (raw.servers[0] as Record<string, unknown>).tenantClaim = TENANT_CLAIM;
        const r = await ctx.memo("synth:tenant", () => ctx.synthesize(raw));
        if ("refused" in r) throw new Error(`tenantClaim refused: ${r.refused.message}`);
        const g = guardsOf(r.graph).find((x) => x.server === name);
        if (g?.env.GUARD_TENANT_CLAIM !== TENANT_CLAIM) {
            return { verdict: "not-covered", proof: `the guard of ${name} is not given the tenant claim`, detail: JSON.stringify(g?.env ?? {}) };
        }
        const t = await ctx.runtime.check("no-tenant");
        if (!t.refused) {
            return { verdict: "not-covered", proof: `the guard lets it through (${t.test})`, detail: t.evidence };
        }
        return { verdict: "runtime", proof: `\`mcpsec:servers[].tenantClaim\` -> GUARD_TENANT_CLAIM; guard: ${t.test}`, detail: t.evidence };
    };
}

/** A detection or containment resource of the stack fires on it; `find` returns it, or the reason there is none. */
export function detection(find: (graph: ResourceGraph) => { resource: string; detail: string } | string): Probe {
    return async (ctx) => {
        const r = find(ctx.graph);
        return typeof r === "string" ? { verdict: "not-covered", proof: r, detail: "no detection resource in the graph" } : { verdict: "detected", proof: r.resource, detail: r.detail };
    };
}

export function notCovered(reason: string): Probe {
    return async () => ({ verdict: "not-covered", proof: reason, detail: "" });
}

/** `mcpsec vet` on a manifest: fails (exit 1) with findings of the given kind. */
export function vetFails(manifest: object, kind: string): Probe {
    return async (ctx) => ctx.memo(`vet:${kind}:${JSON.stringify(manifest)}`, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-vet-"));
        const file = path.join(dir, "manifest.json");
        fs.writeFileSync(file, JSON.stringify(manifest));
        let out = "";
        try {
            const code = await cli(["node", "mcpsec", "vet", file, "--format", "json"], { out: (t) => (out += t), err: () => undefined, progress: false });
            const report = JSON.parse(out) as { findings: { kind: string; tool?: string; message: string }[] };
            const hit = report.findings.find((f) => f.kind === kind);
            if (code === 1 && hit) {
                return { verdict: "policy" as const, proof: `\`mcpsec vet\` exit 1 (${kind})`, detail: `${hit.tool}: ${hit.message}` };
            }
            return { verdict: "not-covered" as const, proof: `mcpsec vet exit ${code}`, detail: out.slice(0, 300) };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
}
