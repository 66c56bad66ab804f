import Ajv, { type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { toolDigest } from "../../../components/mcp/digest";
import type { ApprovalSettings } from "../../../components/mcp/approval";
import { checkManifestApproval, ManifestApproval } from "./approvals";

/** One approved tool as the deploy publishes it (`approvedManifest` in components/mcp): name, pin and scopes. */
export interface PinnedTool {
    name: string;
    sha256: string;
    scopes: string[];
    /** Optional: the approved description and schema themselves; then the guard need not learn them from the server. */
    description?: string;
    inputSchema?: Record<string, unknown>;
}

export interface ApprovedManifest {
    version: 1;
    server: { name: string; url: string; image?: string; egress?: string[] };
    tools: PinnedTool[];
    /** The reviewer's signature over the server's runtime description (`mcpsec approve`); see approvals.ts. */
    approval?: ManifestApproval;
}

/** A tool as a server announces it in `tools/list`. */
export interface AnnouncedTool {
    name: string;
    description?: string;
    inputSchema?: unknown;
    [key: string]: unknown;
}

const manifestSchema = {
    type: "object",
    required: ["version", "server", "tools"],
    properties: {
        version: { const: 1 },
        server: { type: "object", required: ["name", "url"], properties: { name: { type: "string" }, url: { type: "string" } } },
        tools: {
            type: "array", maxItems: 1000,
            items: {
                type: "object",
                required: ["name", "sha256", "scopes"],
                properties: {
                    name: { type: "string", minLength: 1, maxLength: 128 },
                    sha256: { type: "string", pattern: "^[a-f0-9]{64}$" },
                    scopes: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
                    description: { type: "string" },
                    inputSchema: { type: "object" },
                },
            },
        },
    },
} as const;
const checkManifest = new Ajv({ strict: false }).compile(manifestSchema);

/** Parses and checks a manifest; throws an Error saying what is wrong (the caller fails closed). Pure. */
export function parseManifest(text: string, expect: { serverName: string; resource: string; approvals?: ApprovalSettings }): ApprovedManifest {
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (e) {
        throw new Error(`the tools manifest is not valid JSON: ${(e as Error).message}`);
    }
    if (!checkManifest(data)) {
        const e = checkManifest.errors![0];
        throw new Error(`the tools manifest is not an approved manifest (version 1): ${e.instancePath || "(top level)"} ${e.message}`);
    }
    const m = data as unknown as ApprovedManifest;
    if (m.server.name !== expect.serverName) {
        throw new Error(`the tools manifest is for server ${JSON.stringify(m.server.name)}, not ${JSON.stringify(expect.serverName)} (GUARD_SERVER_NAME)`);
    }
    if (m.server.url !== expect.resource) {
        throw new Error(`the tools manifest is for ${JSON.stringify(m.server.url)}, not ${JSON.stringify(expect.resource)} (GUARD_RESOURCE)`);
    }
    const names = new Set<string>();
    for (const t of m.tools) {
        if (names.has(t.name)) {
            throw new Error(`the tools manifest names tool ${JSON.stringify(t.name)} twice`);
        }
        names.add(t.name);
        if (t.description !== undefined && t.inputSchema !== undefined && toolDigest({ name: t.name, description: t.description, inputSchema: t.inputSchema }) !== t.sha256) {
            throw new Error(`the tools manifest's description and schema of ${JSON.stringify(t.name)} do not hash to its sha256`);
        }
    }
    checkManifestApproval(m, expect.approvals);
    return m;
}

export type Verdict =
    | { status: "approved"; digest: string }
    | { status: "changed"; digest: string; pinned: string }
    | { status: "unknown"; digest: string };

export type Callable =
    | { ok: true; tool: PinnedTool; validate: ValidateFunction }
    | { ok: false; reason: "unknown_tool" | "tool_changed" | "tool_not_verified" | "schema_not_compilable" };

/** Keywords beside which a node's `properties` are not the whole list of its members: such a node is left open. */
const COMPOSING = ["allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "$dynamicRef", "patternProperties", "unevaluatedProperties", "dependentSchemas", "dependencies"];

/**
 * The schema the guard validates arguments with: the approved schema, with every object schema that lists
 * `properties` and leaves `additionalProperties` unset closed (`additionalProperties: false`), at the top and
 * recursively in the schemas of its properties and of array items. An explicit `additionalProperties` (true or a
 * schema) stays as declared, and so does a node whose members other keywords also define (combinators, `$ref`,
 * `patternProperties`, ...: closing it would refuse members those declare). Most published servers omit
 * `additionalProperties` (their SDKs generate schemas without it), so arguments they never declared would otherwise
 * reach them. Returns a copy; the approved (announced, pinned) schema is never changed. Pure.
 */
export function closedSchema(schema: unknown): unknown {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
        return schema;
    }
    const node = { ...(schema as Record<string, unknown>) };
    const props = node.properties;
    if (typeof props === "object" && props !== null && !Array.isArray(props)) {
        node.properties = Object.fromEntries(Object.entries(props as Record<string, unknown>).map(([k, v]) => [k, closedSchema(v)]));
        if (node.additionalProperties === undefined && !COMPOSING.some((k) => k in node)) {
            node.additionalProperties = false;
        }
    }
    if (Array.isArray(node.items)) {
        node.items = node.items.map(closedSchema);
    } else if (node.items !== undefined) {
        node.items = closedSchema(node.items);
    }
    if (Array.isArray(node.prefixItems)) {
        node.prefixItems = node.prefixItems.map(closedSchema);
    }
    return node;
}

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/**
 * The pinned tools and what the guard has verified of them. A tool is callable only after a definition that hashes
 * to its pin was seen (from the manifest itself or from the server), and stops being callable the moment the server
 * announces a different one. Argument validators are compiled once per approved digest.
 */
export class ToolRegistry {
    private readonly pins = new Map<string, PinnedTool>();
    private readonly validators = new Map<string, ValidateFunction | null>();
    private readonly verified = new Set<string>();
    private readonly changed = new Set<string>();
    private readonly ajv2020 = addFormats(new Ajv2020({ strict: false, allErrors: false, validateSchema: true, addUsedSchema: false }));
    private readonly ajv07 = addFormats(new Ajv({ strict: false, allErrors: false, validateSchema: true, addUsedSchema: false }));
    private readonly openTools: Set<string>;

    /**
     * `allowUndeclaredArguments`: tools whose schemas are applied as announced (GUARD_ALLOW_UNDECLARED_ARGUMENTS); every
     * other tool's arguments are validated against its {@link closedSchema}.
     */
    constructor(manifest: ApprovedManifest, opts: { allowUndeclaredArguments?: string[] } = {}) {
        this.openTools = new Set(opts.allowUndeclaredArguments ?? []);
        for (const t of manifest.tools) {
            this.pins.set(t.name, t);
            if (t.description !== undefined && t.inputSchema !== undefined) {
                this.observe({ name: t.name, description: t.description, inputSchema: t.inputSchema });
            }
        }
    }

    get toolNames(): string[] {
        return [...this.pins.keys()];
    }

    pin(name: string): PinnedTool | undefined {
        return this.pins.get(name);
    }

    /** Hashes an announced tool as `mcpsec pin` does and records the verdict. */
    observe(tool: AnnouncedTool): Verdict {
        const digest = toolDigest({ name: tool.name, description: String(tool.description ?? ""), inputSchema: tool.inputSchema ?? {} });
        const pin = this.pins.get(tool.name);
        if (pin === undefined) {
            return { status: "unknown", digest };
        }
        if (pin.sha256 !== digest) {
            this.changed.add(tool.name);
            this.verified.delete(tool.name);
            return { status: "changed", digest, pinned: pin.sha256 };
        }
        this.changed.delete(tool.name);
        this.verified.add(tool.name);
        if (!this.validators.has(digest)) {
            this.validators.set(digest, this.compile(this.openTools.has(tool.name) ? tool.inputSchema : closedSchema(tool.inputSchema)));
        }
        return { status: "approved", digest };
    }

    /** Whether a tool may be called now, with its argument validator. */
    callable(name: string): Callable {
        const tool = this.pins.get(name);
        if (tool === undefined) {
            return { ok: false, reason: "unknown_tool" };
        }
        if (this.changed.has(name)) {
            return { ok: false, reason: "tool_changed" };
        }
        if (!this.verified.has(name)) {
            return { ok: false, reason: "tool_not_verified" };
        }
        const validate = this.validators.get(tool.sha256);
        if (!validate) {
            return { ok: false, reason: "schema_not_compilable" };
        }
        return { ok: true, tool, validate };
    }

    private compile(schema: unknown): ValidateFunction | null {
        if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
            return null;
        }
        const dialect = (schema as { $schema?: unknown }).$schema;
        try {
            if (dialect === undefined || (typeof dialect === "string" && DRAFT_2020.test(dialect))) {
                return this.ajv2020.compile(schema);
            }
            if (typeof dialect === "string" && DRAFT_07.test(dialect)) {
                return this.ajv07.compile(schema);
            }
            return null;
        } catch {
            return null;
        }
    }
}
