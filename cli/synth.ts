import * as pulumi from "@pulumi/pulumi";
import type * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as publicSettings from "@pulumi/pulumi/runtime/settings";
import * as publicState from "@pulumi/pulumi/runtime/state";
import type { StackHeader } from "./analyzer";
import { GraphResource, ResourceGraph, SECRET_PLACEHOLDER, SECRET_SIG, SPECIAL_SIG_KEY } from "./graph";
import { BlueprintMocks } from "./mocks";
import { main as blueprintProgram } from "../program";
import { UsageError } from "./errors";
import { loadStackConfig, ProjectInfo } from "./project";
import { loadUserProgram, programStackConfig } from "./userProgram";

// Internal runtime functions (marked @internal, so missing from the typings) that the Automation API uses
// to run inline programs: a fresh runtime store per run, and a wait for outstanding registrations.
const state = publicState as unknown as { withLocalStorage<T>(run: () => Promise<T>): Promise<T> };
const settings = publicSettings as unknown as typeof publicSettings & { waitForRPCs(): Promise<void> };

/** Replaces the plaintext of every secret in a wire-form value, so that graphs never carry secrets. */
export function redactSecrets(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(redactSecrets);
    }
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SPECIAL_SIG_KEY] === SECRET_SIG) {
            return { [SPECIAL_SIG_KEY]: SECRET_SIG, value: SECRET_PLACEHOLDER };
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redactSecrets(v)]));
    }
    return value;
}

/**
 * Outputs as the engine would keep them: secrets redacted, and the outputs a resource names in
 * additionalSecretOutputs made secret (the engine does that; the mock monitor does not).
 */
function redactOutputs(outputs: Record<string, unknown>, secretNames: string[]): Record<string, unknown> {
    const redacted = redactSecrets(outputs) as Record<string, unknown>;
    for (const name of secretNames) {
        if (redacted[name] !== undefined && redacted[name] !== null) {
            redacted[name] = { [SPECIAL_SIG_KEY]: SECRET_SIG, value: SECRET_PLACEHOLDER };
        }
    }
    return redacted;
}

type Callback<T> = (err: Error | null, resp?: T) => void;

/** The engine's unknown sentinel (`plugin.UnknownStringValue`). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Mocks for a first `pulumi preview` (nothing exists yet): a custom resource answers only the inputs the program
 * knew, with no id, so every output the provider computes (ids, ARNs, names it generates) is unknown to the program
 * and to whatever reads it, as in a real first preview. The realistic outputs of the wrapped mocks still say which
 * properties a provider computes; the recording marks those unknown. Data-source calls answer as before (the engine
 * runs invokes during preview too).
 */
export class FirstPreviewMocks implements pulumi.runtime.Mocks {
    /** Output keys the provider computes (not among the inputs), by `<type>::<name>`. */
    readonly computed = new Map<string, string[]>();

    constructor(private readonly inner: pulumi.runtime.Mocks) {}

    async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
        const full = await this.inner.newResource(args);
        if (args.type.startsWith("pulumi:providers:") || !args.custom) {
            return full;
        }
        this.computed.set(`${args.type}::${args.name}`, Object.keys(full.state).filter((k) => !(k in args.inputs)));
        return { id: undefined, state: args.inputs };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> | Promise<Record<string, unknown>> {
        return this.inner.call(args);
    }
}

/**
 * Sees a synthesis while it runs: `mcpsec check` sends each resource's Analyze request as the resource registers,
 * as the engine does during a preview, so that the packs work while the program still runs.
 */
export interface SynthObserver {
    /** The stack as ConfigureStack describes it (config with secrets replaced), before the program runs. */
    start(stack: StackHeader): void;
    /** A resource as recorded at its registration (a component's outputs come later); `records`: all recorded so far. */
    resource(r: GraphResource, records: ReadonlyMap<string, GraphResource>): void;
}

/** The mock monitor, recording every registration as the engine would receive it. */
class RecordingMonitor extends MockMonitor {
    readonly records = new Map<string, GraphResource>();
    readonly order: string[] = [];

    constructor(private readonly engineMocks: pulumi.runtime.Mocks, private readonly project: string, private readonly stack: string, private readonly observer?: SynthObserver) {
        super(engineMocks);
        // MockMonitor's own URN scheme keeps only the nearest parent type; replace it (private in the typings).
        (this as unknown as { newUrn: RecordingMonitor["engineUrn"] }).newUrn = (p, t, n) => this.engineUrn(p, t, n);
    }

    /**
     * URNs as the engine forms them: the qualified type is the parent's whole type chain plus this type,
     * except under the root stack, which is left out of the chain.
     */
    private engineUrn(parent: string, type: string, name: string): string {
        let qualified = type;
        if (parent) {
            const parentQualified = parent.split("::")[2];
            if (parentQualified !== "pulumi:pulumi:Stack") {
                qualified = `${parentQualified}$${type}`;
            }
        }
        return `urn:pulumi:${this.stack}::${this.project}::${qualified}::${name}`;
    }

    async registerResource(req: resproto.RegisterResourceRequest, callback: Callback<resproto.RegisterResourceResponse>): Promise<void> {
        // One turn of the event loop per registration, as a registration over gRPC would take: without it the whole
        // program runs as one chain of microtasks and nothing else in this process (a check's pack connections and
        // streamed requests) gets to run until the program ends. The order of registrations stays deterministic.
        await new Promise((resolve) => setImmediate(resolve));
        await super.registerResource(req, (err: Error | null, resp?: resproto.RegisterResourceResponse) => {
            if (!err && resp) {
                this.record(req, resp);
            }
            callback(err, resp);
        });
    }

    registerResourceOutputs(req: resproto.RegisterResourceOutputsRequest, callback: Callback<unknown>): void {
        const rec = this.records.get(req.getUrn());
        if (rec) {
            rec.outputs = redactSecrets(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
        }
        super.registerResourceOutputs(req, callback);
    }

    private defaultProvider(pkg: string, version: string): string {
        const name = `default_${version.replace(/[.-]/g, "_")}`;
        const urn = `urn:pulumi:${this.stack}::${this.project}::pulumi:providers:${pkg}::${name}`;
        if (!this.records.has(urn)) {
            const inputs: Record<string, unknown> = { version };
            for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) {
                if (k.startsWith(`${pkg}:`)) {
                    inputs[k.slice(pkg.length + 1)] = v;
                }
            }
            this.add({
                urn, type: `pulumi:providers:${pkg}`, name, custom: true, id: "00000000-0000-4000-8000-000000000000",
                dependencies: [], propertyDependencies: {}, inputs, outputs: inputs, options: emptyOptions(),
            });
        }
        return `${urn}::00000000-0000-4000-8000-000000000000`;
    }

    private add(rec: GraphResource): void {
        if (!this.records.has(rec.urn)) {
            this.order.push(rec.urn);
        }
        this.records.set(rec.urn, rec);
        this.observer?.resource(rec, this.records);
    }

    private record(req: resproto.RegisterResourceRequest, resp: resproto.RegisterResourceResponse): void {
        const type = req.getType();
        const custom = req.getCustom();
        let provider = req.getProvider() || undefined;
        if (custom && !provider && !type.startsWith("pulumi:providers:")) {
            provider = this.defaultProvider(type.split(":")[0], req.getVersion() || "0.0.0");
        }
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        const timeouts = req.getCustomtimeouts();
        const options = emptyOptions();
        options.protect = req.getProtect() ?? false;
        options.ignoreChanges = req.getIgnorechangesList();
        if (req.getDeletebeforereplacedefined()) {
            options.deleteBeforeReplace = req.getDeletebeforereplace();
        }
        options.retainOnDelete = req.getRetainondelete() ?? false;
        options.additionalSecretOutputs = req.getAdditionalsecretoutputsList();
        options.replaceOnChanges = req.getReplaceonchangesList();
        options.aliases = req.getAliasurnsList();
        if (timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())) {
            options.customTimeouts = { create: timeouts.getCreate() || undefined, update: timeouts.getUpdate() || undefined, delete: timeouts.getDelete() || undefined };
        }
        if (req.getDeletedwith()) {
            options.deletedWith = req.getDeletedwith();
        }
        let outputs = custom ? redactOutputs(resp.getObject()?.toJavaScript() ?? {}, options.additionalSecretOutputs) : {};
        if (custom && this.engineMocks instanceof FirstPreviewMocks) {
            // As the engine previews a create: the checked inputs (unknowns kept) and every computed output unknown.
            const inputs = redactSecrets(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
            const computed = this.engineMocks.computed.get(`${type}::${req.getName()}`) ?? [];
            outputs = { ...Object.fromEntries(computed.map((k) => [k, UNKNOWN])), ...inputs };
        }
        this.add({
            urn: resp.getUrn(),
            type,
            name: req.getName(),
            custom,
            id: custom ? resp.getId() || undefined : undefined,
            parent: req.getParent() || undefined,
            provider,
            dependencies: [...new Set(req.getDependenciesList())],
            propertyDependencies,
            inputs: redactSecrets(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            outputs,
            options,
        });
    }
}

function emptyOptions(): GraphResource["options"] {
    return { protect: false, ignoreChanges: [], retainOnDelete: false, additionalSecretOutputs: [], replaceOnChanges: [], aliases: [] };
}

export interface SynthOptions {
    project: ProjectInfo;
    stack: string;
    /** A stack config file other than `stacks/Pulumi.<stack>.yaml`. */
    stackFile?: string;
    /** Synthesize as a first `pulumi preview` sees the program: computed outputs unknown (see FirstPreviewMocks). */
    firstPreview?: boolean;
    observer?: SynthObserver;
}

/**
 * Runs the blueprint program of one stack (config from its stack file) under the mock engine and returns the
 * whole resource graph. Errors of the program, invalid config included, are thrown as they are.
 */
export async function synthesize(opts: SynthOptions): Promise<ResourceGraph> {
    const { config, secretKeys } = loadStackConfig(opts.project, opts.stack, opts.stackFile);
    return synthesizeProgram({ project: opts.project.name, stack: opts.stack, config, secretKeys, program: blueprintProgram, firstPreview: opts.firstPreview, observer: opts.observer });
}

/**
 * An error inside an apply() or a program that throws does not always reach runInPulumiStack: a registration
 * waiting on it never completes, and the error surfaces as one or more unhandled rejections (one per awaiter).
 * The first fails the running synthesis; the echoes of an error already reported are dropped.
 */
let activeFailure: ((reason: unknown) => void) | undefined;
const reported = new WeakSet<object>();
process.on("unhandledRejection", (reason: unknown) => {
    if (reason !== null && typeof reason === "object") {
        if (reported.has(reason)) {
            return;
        }
        reported.add(reason);
    }
    if (activeFailure) {
        activeFailure(reason);
    } else {
        process.stderr.write(`mcpsec: unhandled rejection outside a synthesis: ${(reason as Error)?.message ?? String(reason)}\n`);
    }
});

export interface ProgramSynthOptions {
    project: string;
    stack: string;
    /** Flat `namespace:key` config, as the engine passes it. */
    config: Record<string, string>;
    secretKeys?: string[];
    /** Any Pulumi program: the blueprint's own, or a component under test. */
    program: () => Promise<unknown> | unknown;
    /** Run as a first preview (dry run, computed outputs unknown); default: as an update with realistic outputs. */
    firstPreview?: boolean;
    observer?: SynthObserver;
}

/**
 * Runs a Pulumi program under the mock engine and records the graph. Each call runs in its own Pulumi runtime
 * store, so several programs can be synthesized one after another in one process.
 */
export async function synthesizeProgram(opts: ProgramSynthOptions): Promise<ResourceGraph> {
    const { project, stack, config } = opts;
    const secretKeys = opts.secretKeys ?? [];
    return state.withLocalStorage(async () => {
        const region = config["aws:region"] ?? "us-east-1";
        const preview = opts.firstPreview === true;
        // Data-source calls the mocks cannot answer are remembered, to name them if the synthesis fails on them.
        const unanswered: string[] = [];
        const blueprintMocks = new BlueprintMocks(region);
        const answering: pulumi.runtime.Mocks = {
            newResource: (a) => blueprintMocks.newResource(a),
            call: (a) => {
                try {
                    return blueprintMocks.call(a);
                } catch (e) {
                    const why = (e as Error).message;
                    unanswered.push(`${a.token} with ${JSON.stringify(a.inputs)}${/has no answer for the data source/.test(why) ? "" : ` (${why})`}`);
                    throw e;
                }
            },
        };
        const mocks = preview ? new FirstPreviewMocks(answering) : answering;
        const graphConfig = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, secretKeys.includes(k) ? SECRET_PLACEHOLDER : v]));
        opts.observer?.start({ project, stack, config: graphConfig, secretPlaceholders: secretKeys });
        const monitor = new RecordingMonitor(mocks, project, stack, opts.observer);
        await pulumi.runtime.setMocks(mocks, project, stack, preview);
        settings.setMockOptions(monitor, project, stack, preview);
        pulumi.runtime.setAllConfig(config, secretKeys);

        let outputs: Record<string, unknown>;
        const synthesis = (async () => {
            const out = (await pulumi.runtime.runInPulumiStack(async () => await opts.program())) as Record<string, unknown> ?? {};
            await settings.waitForRPCs();
            await new Promise((resolve) => setImmediate(resolve));
            return out;
        })();
        const failed = new Promise<never>((_, reject) => (activeFailure = reject));
        try {
            outputs = await Promise.race([synthesis, failed]);
        } catch (e) {
            if (e !== null && typeof e === "object") {
                reported.add(e);
            }
            if (unanswered.length > 0) {
                throw new UsageError(`the program calls the data source ${unanswered[0]}, which the offline mocks cannot answer; pass the value through stack config instead, or add an answer to cli/mocks.ts`);
            }
            throw e;
        } finally {
            activeFailure = undefined;
            synthesis.catch(() => undefined);
        }
        return {
            version: 1 as const,
            project,
            stack,
            config: graphConfig,
            secretPlaceholders: secretKeys,
            resources: monitor.order.map((urn) => monitor.records.get(urn)!),
            outputs: redactSecrets(outputs) as Record<string, unknown>,
        };
    });
}

export interface UserProgramSynthOptions {
    /** Folder of the user's Pulumi project (Pulumi.yaml). */
    dir: string;
    stack: string;
    stackFile?: string;
    firstPreview?: boolean;
    observer?: SynthObserver;
}

/** `--program <dir>`: a user's own Pulumi program, with its own project name and stack config, under the same mocks. */
export async function synthesizeUserProgram(opts: UserProgramSynthOptions): Promise<ResourceGraph> {
    const program = loadUserProgram(opts.dir);
    const { config, secretKeys, missing, file } = programStackConfig(program, opts.stack, opts.stackFile);
    const graph = await synthesizeProgram({ project: program.project.name, stack: opts.stack, config, secretKeys, program: program.run, firstPreview: opts.firstPreview, observer: opts.observer });
    graph.notes = [`program ${program.entry}`, ...(missing ? [`no stack config file ${file}: the program ran with no config`] : [])];
    return graph;
}
