import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";
import { analyzeRequestBytes, buildStackRequest, Enforcement, PackConfig, PolicyInfo, RunningPack, StackHeader, toViolation, Violation } from "./analyzer";
import { UsageError } from "./errors";
import { GraphResource, ResourceGraph } from "./graph";
import { PackProcess, startPackProcesses } from "./packProcess";
import { ProjectInfo } from "./project";
import { synthesize, SynthObserver, synthesizeUserProgram } from "./synth";
import type * as pb from "@pulumi/pulumi/proto/analyzer_pb";

export interface StackReport {
    project: string;
    stack: string;
    /** True when no violation is mandatory. */
    ok: boolean;
    summary: { resources: number; custom: number; components: number; byType: Record<string, number> };
    counts: { mandatory: number; advisory: number };
    violations: Violation[];
    secretPlaceholders: string[];
    /** What the reader should know about the stack: values replaced offline, services left to the organization. */
    notes: string[];
    /**
     * With `firstPreview`: the policies @pulumi/policy could not run because they read a value unknown until apply
     * ("can't run policy ... during preview"; reported as advisory, as a real first `pulumi preview` does).
     */
    previewUnknown?: string[];
}

export interface CheckReport {
    version: 1;
    ok: boolean;
    packs: { name: string; version: string; dir: string; policies: PolicyInfo[] }[];
    stacks: StackReport[];
}

/** What to check: stacks of the project by name, or graphs already synthesized. */
export type CheckTarget = { stack: string; stackFile?: string; program?: string } | { graph: ResourceGraph };

export interface CheckOptions {
    project: ProjectInfo;
    targets: CheckTarget[];
    /** Policy pack folders, or pack processes already started (see startPackProcess). */
    packs: (string | PackProcess)[];
    /** Config per pack, same order as `packs` (missing entries mean none). */
    packConfigs?: (PackConfig | undefined)[];
    progress?: (message: string) => void;
    /** Synthesize stacks as a first `pulumi preview` sees them (computed outputs unknown); graphs are used as given. */
    firstPreview?: boolean;
}

/** @pulumi/policy's message for a policy that read an unknown value during preview (server.js). */
const PREVIEW_UNKNOWN = /^can't run .* during preview: /;

const LEVELS: Enforcement[] = ["advisory", "mandatory", "remediate", "disabled"];

/** Validators of policy config schemas, compiled once per distinct schema (many policies share one). */
const validators = new Map<string, ValidateFunction>();
let configAjv: Ajv | undefined;

function configValidator(schema: object): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = validators.get(key);
    if (!validate) {
        configAjv ??= new Ajv({ useDefaults: true, strict: false, allErrors: false });
        validate = configAjv.compile(schema);
        validators.set(key, validate);
    }
    return validate;
}

/**
 * The config each policy runs with: the pack's initial config, overridden by the user's (`all` first, then the
 * policy's own entry), properties validated against the policy's config schema with its defaults filled in.
 */
export function effectiveConfig(packName: string, policies: PolicyInfo[], initial: PackConfig, user: PackConfig = {}): Record<string, { enforcementLevel: Enforcement; properties: Record<string, unknown> }> {
    const byName = new Map(policies.map((p) => [p.name, p]));
    for (const [key, value] of Object.entries(user)) {
        if (key !== "all" && !byName.has(key)) {
            throw new UsageError(`pack config for ${packName}: "${key}" is not a policy of the pack; allowed: all, ${[...byName.keys()].join(", ")}`);
        }
        const level = typeof value === "string" ? value : value?.enforcementLevel;
        if (level !== undefined && !LEVELS.includes(level)) {
            throw new UsageError(`pack config for ${packName}: ${key}.enforcementLevel is ${JSON.stringify(level)}; allowed: ${LEVELS.join(", ")}`);
        }
        if (typeof value !== "string" && (typeof value !== "object" || value === null || Array.isArray(value))) {
            throw new UsageError(`pack config for ${packName}: ${key} is ${JSON.stringify(value)}; allowed: an enforcement level or an object`);
        }
    }
    const split = (c: PackConfig[string] | undefined): { level?: Enforcement; props: Record<string, unknown> } => {
        if (c === undefined) {
            return { props: {} };
        }
        if (typeof c === "string") {
            return { level: c, props: {} };
        }
        const { enforcementLevel, ...props } = c;
        return { level: enforcementLevel, props };
    };
    const result: Record<string, { enforcementLevel: Enforcement; properties: Record<string, unknown> }> = {};
    const all = split(user.all);
    for (const p of policies) {
        const init = split(initial[p.name]);
        const own = split(user[p.name]);
        const properties = { ...init.props, ...own.props };
        if (p.configSchema) {
            const validate = configValidator({ type: "object", properties: p.configSchema.properties, required: p.configSchema.required, additionalProperties: false });
            if (!validate(properties)) {
                const e = validate.errors![0];
                const where = e.instancePath ? e.instancePath.slice(1) : (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ?? (e.params as { missingProperty?: string }).missingProperty ?? "";
                throw new UsageError(`pack config for ${packName}: ${p.name}.${where}: ${e.message}`);
            }
        } else if (Object.keys(properties).length > 0) {
            throw new UsageError(`pack config for ${packName}: ${p.name} takes no properties; got ${Object.keys(properties).join(", ")}`);
        }
        result[p.name] = { enforcementLevel: own.level ?? all.level ?? init.level ?? p.enforcementLevel, properties };
    }
    return result;
}

/** Notes for the report, from the graph: secrets replaced offline and account services declared existing. */
export function notesOf(graph: ResourceGraph): string[] {
    const notes: string[] = [...(graph.notes ?? [])];
    if (graph.secretPlaceholders.length > 0) {
        notes.push(`secret config values could not be decrypted offline and were replaced by a placeholder: ${graph.secretPlaceholders.join(", ")}`);
    }
    const services = graph.outputs.accountServices as Record<string, string> | undefined;
    const existing = Object.entries(services ?? {}).filter(([, v]) => v === "existing").map(([k]) => k);
    if (existing.length > 0) {
        notes.push(`account services left to the organization (not created or checked here): ${existing.join(", ")}`);
    }
    const patternNotes = graph.outputs.notes;
    if (Array.isArray(patternNotes)) {
        notes.push(...patternNotes.filter((n): n is string => typeof n === "string"));
    }
    return notes;
}

function summarize(graph: ResourceGraph): StackReport["summary"] {
    const counts = new Map<string, number>();
    for (const r of graph.resources) {
        counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    }
    // By type name, so that the report does not depend on the order the program registered its resources in.
    const byType = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const custom = graph.resources.filter((r) => r.custom).length;
    return { resources: graph.resources.length, custom, components: graph.resources.length - custom, byType };
}

interface LoadedPack {
    pack: RunningPack;
    name: string;
    version: string;
    policies: Map<string, PolicyInfo>;
}

/** One Analyze call sent to every pack: its request bytes and each pack's diagnostics, in pack order. */
interface SentAnalyze {
    bytes: Uint8Array;
    diagnostics: Promise<pb.AnalyzeDiagnostic[][]>;
}

function sendAnalyze(loaded: LoadedPack[], bytes: Uint8Array): Promise<pb.AnalyzeDiagnostic[][]> {
    return Promise.all(loaded.map((l) => l.pack.analyzeSerialized("analyze", bytes)));
}

/**
 * The Analyze calls of one stack sent while its program runs, as the engine sends them while a preview registers
 * resources: ConfigureStack once the packs are configured, then each resource's request as it registers. Nothing
 * thrown here reaches the synthesis; failures are met when the results are read (see analyzeGraph).
 */
class StreamedAnalysis implements SynthObserver {
    configured?: Promise<LoadedPack[]>;
    /** The last request sent for each URN. */
    readonly sent = new Map<string, SentAnalyze>();
    /** Every call sent, a URN recorded twice included: all are answered before the stack is finished. */
    readonly calls: Promise<unknown>[] = [];

    constructor(private readonly ready: Promise<LoadedPack[]>) {}

    start(stack: StackHeader): void {
        this.configured = this.ready.then(async (loaded) => {
            await Promise.all(loaded.map((l) => l.pack.configureStack(stack)));
            return loaded;
        });
        this.configured.catch(() => undefined);
    }

    resource(r: GraphResource, records: ReadonlyMap<string, GraphResource>): void {
        const configured = this.configured;
        if (!configured) {
            return;
        }
        try {
            const bytes = analyzeRequestBytes(r, records);
            const diagnostics = configured.then((loaded) => sendAnalyze(loaded, bytes));
            diagnostics.catch(() => undefined);
            this.sent.set(r.urn, { bytes, diagnostics });
            this.calls.push(diagnostics);
        } catch {
            this.sent.delete(r.urn); // sent after the synthesis instead
        }
    }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * The Analyze call of each resource of the finished graph: the one streamed during the synthesis when it carried the
 * same request bytes, else a new one (`send`), for a resource registered again after its request was streamed.
 */
export function analyzeCalls<T>(graph: ResourceGraph, byUrn: ReadonlyMap<string, GraphResource>, sent: ReadonlyMap<string, { bytes: Uint8Array; diagnostics: T }> | undefined, send: (bytes: Uint8Array) => T): { urn: string; diagnostics: T }[] {
    return graph.resources.map((r) => {
        const bytes = analyzeRequestBytes(r, byUrn);
        const early = sent?.get(r.urn);
        return { urn: r.urn, diagnostics: early && sameBytes(early.bytes, bytes) ? early.diagnostics : send(bytes) };
    });
}

/**
 * Runs every pack on one graph: Analyze for each resource (inputs), then AnalyzeStack once (outputs), as `pulumi
 * preview --policy-pack` does. A request streamed during the synthesis counts only if the finished graph gives the same
 * bytes (the resource was not recorded again since); any other is sent now.
 */
async function analyzeGraph(graph: ResourceGraph, ready: Promise<LoadedPack[]>, stream: StreamedAnalysis | undefined, firstPreview: boolean | undefined): Promise<StackReport> {
    const byUrn = new Map<string, GraphResource>(graph.resources.map((r) => [r.urn, r]));
    let loaded: LoadedPack[];
    if (stream?.configured) {
        loaded = await stream.configured;
    } else {
        loaded = await ready;
        await Promise.all(loaded.map((l) => l.pack.configureStack(graph)));
    }
    const calls = analyzeCalls(graph, byUrn, stream?.sent, (bytes) => sendAnalyze(loaded, bytes));
    calls.forEach((c) => c.diagnostics.catch(() => undefined));
    // Every call of this stack is answered (streamed ones no longer in the graph too) before AnalyzeStack, and before
    // the next stack's ConfigureStack.
    await Promise.allSettled(stream?.calls ?? []);
    const perResource = await Promise.all(calls.map((c) => c.diagnostics));
    const stackBytes = buildStackRequest(graph, byUrn).serializeBinary();
    const stackLevel = await Promise.all(loaded.map((l) => l.pack.analyzeSerialized("analyzeStack", stackBytes)));
    const violations: Violation[] = [];
    loaded.forEach((l, i) => {
        calls.forEach((c, j) => violations.push(...perResource[j][i].map((d) => toViolation(d, l.policies, byUrn, c.urn))));
        violations.push(...stackLevel[i].map((d) => toViolation(d, l.policies, byUrn)));
    });
    violations.sort((a, b) => a.pack.localeCompare(b.pack) || a.policy.localeCompare(b.policy) || (a.urn ?? "").localeCompare(b.urn ?? ""));
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return {
        project: graph.project,
        stack: graph.stack,
        ok: mandatory === 0,
        summary: summarize(graph),
        counts: { mandatory, advisory: violations.length - mandatory },
        violations,
        secretPlaceholders: graph.secretPlaceholders,
        notes: notesOf(graph),
        ...(firstPreview ? { previewUnknown: [...new Set(violations.filter((v) => PREVIEW_UNKNOWN.test(v.message)).map((v) => v.policy))].sort() } : {}),
    };
}

/**
 * Synthesizes each target and runs every pack against it through the packs' Analyzer service (see analyzeGraph).
 * Packs start, and are configured, while the first stack is synthesized; a stack's resources are analyzed while its
 * program runs (StreamedAnalysis), and each stack is finished before the next one is synthesized.
 */
export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
    const progress = opts.progress ?? (() => undefined);
    if (opts.packs.length === 0) {
        throw new UsageError("no policy packs to run: none found under policies/ and none given with --pack");
    }
    const given = opts.packs.filter((p): p is PackProcess => typeof p !== "string");
    const processes = [...given, ...startPackProcesses(opts.packs.filter((p): p is string => typeof p === "string"))];
    const started = processes.map((p) => RunningPack.connect(p));
    // Keep rejections from surfacing as unhandled while synthesis runs; they are awaited below.
    started.forEach((p) => p.catch(() => undefined));
    const configured = started.map(async (p, i): Promise<LoadedPack> => {
        const pack = await p;
        const info = await pack.info();
        await pack.configure(effectiveConfig(info.name, info.policies, info.initialConfig, opts.packConfigs?.[i]));
        return { pack, name: info.name, version: info.version, policies: new Map(info.policies.map((x) => [x.name, x])) };
    });
    // All packs, or the first failure in pack order (a pack that does not start, a config it refuses).
    const ready = Promise.allSettled(configured).then((results) => results.map((r) => {
        if (r.status === "rejected") {
            throw r.reason;
        }
        return r.value;
    }));
    ready.catch(() => undefined);
    try {
        const stacks: StackReport[] = [];
        for (const t of opts.targets) {
            let graph: ResourceGraph;
            let stream: StreamedAnalysis | undefined;
            if ("graph" in t) {
                graph = t.graph;
            } else if (t.program !== undefined) {
                progress(`synthesizing program ${t.program}, stack ${t.stack}`);
                stream = new StreamedAnalysis(ready);
                graph = await synthesizeUserProgram({ dir: t.program, stack: t.stack, stackFile: t.stackFile, firstPreview: opts.firstPreview, observer: stream });
            } else {
                progress(`synthesizing stack ${t.stack}`);
                stream = new StreamedAnalysis(ready);
                graph = await synthesize({ project: opts.project, stack: t.stack, stackFile: t.stackFile, firstPreview: opts.firstPreview, observer: stream });
            }
            progress(`analyzing ${graph.stack}: ${graph.resources.length} resources`);
            stacks.push(await analyzeGraph(graph, ready, stream, opts.firstPreview));
        }
        const loaded = await ready;
        return {
            version: 1,
            ok: stacks.every((s) => s.ok),
            packs: loaded.map((l) => ({ name: l.name, version: l.version, dir: path.relative(opts.project.root, l.pack.dir) || ".", policies: [...l.policies.values()] })),
            stacks,
        };
    } finally {
        for (const [i, p] of started.entries()) {
            p.then((pack) => pack.stop(), () => processes[i].child.kill());
        }
    }
}
