import { ChildProcess } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { GraphResource, ResourceGraph } from "./graph";
import { PackProcess } from "./packProcess";

export type Enforcement = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "low" | "medium" | "high" | "critical" | "unspecified";

const ENFORCEMENT: Record<number, Enforcement> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const ENFORCEMENT_PB: Record<Enforcement, pb.EnforcementLevel> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const SEVERITY: Record<number, Severity> = { 0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical" };

/** A policy as the pack describes itself over GetAnalyzerInfo. */
export interface PolicyInfo {
    name: string;
    description: string;
    kind: "resource" | "stack";
    enforcementLevel: Enforcement;
    severity: Severity;
    tags: string[];
    remediation: string;
    framework?: { name: string; version: string; reference: string };
    configSchema?: { properties: Record<string, unknown>; required: string[] };
}

export interface Violation {
    pack: string;
    packVersion: string;
    policy: string;
    severity: Severity;
    enforcementLevel: Enforcement;
    message: string;
    description: string;
    remediation: string;
    tags: string[];
    urn?: string;
    resourceType?: string;
    resourceName?: string;
}

export interface PackResult {
    name: string;
    version: string;
    dir: string;
    policies: PolicyInfo[];
    violations: Violation[];
}

/** User config for one pack, in the format of `pulumi preview --policy-pack-config`. */
export type PackConfig = Record<string, Enforcement | ({ enforcementLevel?: Enforcement } & Record<string, unknown>)>;

/** A running policy pack, started the way the Pulumi CLI starts it, and its Analyzer client. */
export class RunningPack {
    private constructor(
        readonly dir: string,
        private readonly child: ChildProcess,
        private readonly client: analyzerGrpc.AnalyzerClient,
    ) {}

    /** Connects to a started pack process once it serves. */
    static async connect(proc: PackProcess): Promise<RunningPack> {
        const port = await proc.port;
        const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": 400 * 1024 * 1024,
            "grpc.max_send_message_length": 400 * 1024 * 1024,
        });
        return new RunningPack(proc.dir, proc.child, client);
    }

    private call<Req, Res>(method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
        return new Promise((resolve, reject) => {
            method.call(this.client, req, (err, res) => (err ? reject(new Error(`${path.basename(this.dir)}: ${err.details || err.message}`)) : resolve(res)));
        });
    }

    async info(): Promise<{ name: string; version: string; policies: PolicyInfo[]; initialConfig: PackConfig }> {
        const info = await this.call<Empty, pb.AnalyzerInfo>(this.client.getAnalyzerInfo, new Empty());
        const initialConfig: PackConfig = {};
        info.getInitialconfigMap().forEach((c, name) => {
            initialConfig[name] = { enforcementLevel: ENFORCEMENT[c.getEnforcementlevel()], ...(c.getProperties()?.toJavaScript() ?? {}) };
        });
        return {
            name: info.getName(),
            version: info.getVersion(),
            initialConfig,
            policies: info.getPoliciesList().map((p) => {
                const schema = p.getConfigschema();
                const fw = p.getFramework();
                return {
                    name: p.getName(),
                    description: p.getDescription(),
                    kind: p.getPolicyType() === pb.PolicyType.POLICY_TYPE_STACK ? "stack" : "resource",
                    enforcementLevel: ENFORCEMENT[p.getEnforcementlevel()],
                    severity: SEVERITY[p.getSeverity()],
                    tags: p.getTagsList(),
                    remediation: p.getRemediationSteps(),
                    framework: fw ? { name: fw.getName(), version: fw.getVersion(), reference: fw.getReference() } : undefined,
                    configSchema: schema ? { properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>, required: schema.getRequiredList() } : undefined,
                };
            }),
        };
    }

    async configureStack(graph: StackHeader): Promise<void> {
        const req = new pb.AnalyzerStackConfigureRequest();
        req.setStack(graph.stack);
        req.setProject(graph.project);
        req.setDryRun(true);
        req.setConfigSecretKeysList(graph.secretPlaceholders);
        for (const [k, v] of Object.entries(graph.config)) {
            req.getConfigMap().set(k, v);
        }
        await this.call(this.client.configureStack, req);
    }

    /** Sends the effective per-policy config (enforcement level and properties), as the CLI's Configure call does. */
    async configure(config: Record<string, { enforcementLevel: Enforcement; properties: Record<string, unknown> }>): Promise<void> {
        const req = new pb.ConfigureAnalyzerRequest();
        for (const [name, c] of Object.entries(config)) {
            const pc = new pb.PolicyConfig();
            pc.setEnforcementlevel(ENFORCEMENT_PB[c.enforcementLevel]);
            pc.setProperties(Struct.fromJavaScript(c.properties as never));
            req.getPolicyconfigMap().set(name, pc);
        }
        await this.call(this.client.configure, req);
    }

    async analyze(req: pb.AnalyzeRequest): Promise<pb.AnalyzeDiagnostic[]> {
        const res = await this.call<pb.AnalyzeRequest, pb.AnalyzeResponse>(this.client.analyze, req);
        return res.getDiagnosticsList();
    }

    async analyzeStack(req: pb.AnalyzeStackRequest): Promise<pb.AnalyzeDiagnostic[]> {
        const res = await this.call<pb.AnalyzeStackRequest, pb.AnalyzeResponse>(this.client.analyzeStack, req);
        return res.getDiagnosticsList();
    }

    /**
     * Analyze (or AnalyzeStack) with a request serialized once for every pack: the same method and the same bytes on
     * the wire as `analyze(req)`, without serializing the request again per pack.
     */
    async analyzeSerialized(method: "analyze" | "analyzeStack", bytes: Uint8Array): Promise<pb.AnalyzeDiagnostic[]> {
        const def = analyzerGrpc.AnalyzerService[method];
        const res = await new Promise<pb.AnalyzeResponse>((resolve, reject) => {
            this.client.makeUnaryRequest(def.path, (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength), def.responseDeserialize, bytes,
                (err, r) => (err || !r ? reject(new Error(`${path.basename(this.dir)}: ${err?.details || err?.message || "no response"}`)) : resolve(r)));
        });
        return res.getDiagnosticsList();
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }
}

/** The requests the engine would send for a graph, built once and sent to every pack. */
export interface GraphRequests {
    analyze: { urn: string; request: pb.AnalyzeRequest }[];
    stack: pb.AnalyzeStackRequest;
}

/** What ConfigureStack tells the packs about a stack, known before its program runs. */
export type StackHeader = Pick<ResourceGraph, "project" | "stack" | "config" | "secretPlaceholders">;

/** The Analyze request for one resource (its inputs), serialized. `byUrn` must hold its provider. */
export function analyzeRequestBytes(r: GraphResource, byUrn: ReadonlyMap<string, GraphResource>): Uint8Array {
    return describeResource(new pb.AnalyzeRequest(), r, r.inputs, byUrn).serializeBinary();
}

/** Analyze requests (inputs) for every resource, and the AnalyzeStack request (outputs and relations). */
export function buildRequests(graph: ResourceGraph, byUrn: ReadonlyMap<string, GraphResource>): GraphRequests {
    return {
        analyze: graph.resources.map((r) => ({ urn: r.urn, request: describeResource(new pb.AnalyzeRequest(), r, r.inputs, byUrn) })),
        stack: buildStackRequest(graph, byUrn),
    };
}

/** The AnalyzeStack request: every resource with its outputs, parent, dependencies and property dependencies. */
export function buildStackRequest(graph: ResourceGraph, byUrn: ReadonlyMap<string, GraphResource>): pb.AnalyzeStackRequest {
    const stack = new pb.AnalyzeStackRequest();
    stack.setResourcesList(graph.resources.map((r) => {
        const ar = describeResource(new pb.AnalyzerResource(), r, r.outputs, byUrn);
        if (r.parent) {
            ar.setParent(r.parent);
        }
        ar.setDependenciesList(r.dependencies);
        for (const [key, urns] of Object.entries(r.propertyDependencies)) {
            const deps = new pb.AnalyzerPropertyDependencies();
            deps.setUrnsList(urns);
            ar.getPropertydependenciesMap().set(key, deps);
        }
        return ar;
    }));
    return stack;
}

/**
 * The fields an Analyze request and a stack resource share: type, URN, name, properties (inputs for Analyze,
 * outputs for AnalyzeStack, as the engine sends them), options and provider.
 */
function describeResource<T extends pb.AnalyzeRequest | pb.AnalyzerResource>(msg: T, r: GraphResource, properties: Record<string, unknown>, byUrn: ReadonlyMap<string, GraphResource>): T {
    const m = msg as pb.AnalyzerResource;
    m.setType(r.type);
    m.setUrn(r.urn);
    m.setName(r.name);
    m.setProperties(Struct.fromJavaScript(engineProperties(properties) as never));
    m.setOptions(resourceOptions(r));
    const provider = providerOf(r, byUrn);
    if (provider) {
        m.setProvider(provider);
    }
    return msg;
}

/** Wire-form signatures (`@pulumi/pulumi/runtime/rpc`) the engine rewrites before an analyzer sees a value. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The engine's sentinel for an unknown value (`plugin.UnknownStringValue`), the one the SDKs send too. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Properties as the engine marshals them for Analyze, AnalyzeStack and a provider (pkg/resource/plugin/analyzer_plugin.go:
 * `MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}`, KeepResources and KeepOutputValues
 * left false): top-level keys starting with "__" dropped; a resource reference becomes the referenced resource's id
 * (the unknown sentinel while the id is unknown) or, for a component (no id), its URN; an output value becomes its
 * element, secret-wrapped when secret and the unknown sentinel when unknown; secrets, unknowns and assets stay.
 */
export function engineProperties(props: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(props).filter(([k, v]) => !k.startsWith("__") && v !== undefined).map(([k, v]) => [k, engineValue(v)]));
}

function engineValue(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(engineValue);
    }
    if (v === null || typeof v !== "object") {
        return v;
    }
    const o = v as Record<string, unknown>;
    switch (o[SIG_KEY]) {
        case RESOURCE_REFERENCE_SIG:
            if ("id" in o) {
                return o.id === "" || o.id === undefined || o.id === null ? UNKNOWN : engineValue(o.id);
            }
            return o.urn;
        case OUTPUT_VALUE_SIG: {
            const value = "value" in o ? engineValue(o.value) : UNKNOWN;
            return o.secret === true ? { [SIG_KEY]: SECRET_SIG, value } : value;
        }
        case undefined:
            return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, engineValue(x)]));
        default:
            // secrets and assets/archives keep their signature; their contents are marshalled the same way
            return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, k === SIG_KEY ? x : engineValue(x)]));
    }
}

/** Go-style duration ("5m", "1h30m", "45s") to seconds, as the engine passes custom timeouts. */
export function durationSeconds(text: string | undefined): number {
    if (!text) {
        return 0;
    }
    let total = 0;
    for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) {
        total += Number(m[1]) * { h: 3600, m: 60, s: 1 }[m[2] as "h" | "m" | "s"];
    }
    return total;
}

function resourceOptions(r: GraphResource): pb.AnalyzerResourceOptions {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.options.protect);
    o.setIgnorechangesList(r.options.ignoreChanges);
    if (r.options.deleteBeforeReplace !== undefined) {
        o.setDeletebeforereplace(r.options.deleteBeforeReplace);
        o.setDeletebeforereplacedefined(true);
    }
    o.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
    o.setAliasesList(r.options.aliases);
    if (r.options.customTimeouts) {
        const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
        t.setCreate(durationSeconds(r.options.customTimeouts.create));
        t.setUpdate(durationSeconds(r.options.customTimeouts.update));
        t.setDelete(durationSeconds(r.options.customTimeouts.delete));
        o.setCustomtimeouts(t);
    }
    if (r.parent) {
        o.setParent(r.parent);
    }
    return o;
}

function providerOf(r: GraphResource, byUrn: ReadonlyMap<string, GraphResource>): pb.AnalyzerProviderResource | undefined {
    if (!r.provider) {
        return undefined;
    }
    const urn = r.provider.split("::").slice(0, -1).join("::");
    const p = byUrn.get(urn);
    if (!p) {
        return undefined;
    }
    const ap = new pb.AnalyzerProviderResource();
    ap.setType(p.type);
    ap.setUrn(p.urn);
    ap.setName(p.name);
    ap.setProperties(Struct.fromJavaScript(engineProperties(p.inputs) as never));
    return ap;
}

/**
 * A diagnostic as a violation. `analyzed` is the resource an Analyze call was about (the diagnostic names a URN only
 * when a stack policy reports one). @pulumi/policy prefixes the message with the policy description; it is dropped.
 */
export function toViolation(d: pb.AnalyzeDiagnostic, policies: Map<string, PolicyInfo>, byUrn: Map<string, GraphResource>, analyzed?: string): Violation {
    const info = policies.get(d.getPolicyname());
    const urn = d.getUrn() || analyzed;
    const description = d.getDescription();
    let message = d.getMessage();
    if (description && message.startsWith(description)) {
        message = message.slice(description.length).trim() || description;
    }
    const res = urn ? byUrn.get(urn) : undefined;
    return {
        pack: d.getPolicypackname(),
        packVersion: d.getPolicypackversion(),
        policy: d.getPolicyname(),
        severity: SEVERITY[d.getSeverity()] !== "unspecified" ? SEVERITY[d.getSeverity()] : (info?.severity ?? "unspecified"),
        enforcementLevel: ENFORCEMENT[d.getEnforcementlevel()],
        message,
        description,
        remediation: info?.remediation ?? "",
        tags: info?.tags ?? [],
        urn,
        resourceType: res?.type,
        resourceName: res?.name,
    };
}
