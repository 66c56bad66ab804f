import * as fs from "fs";
import Ajv from "ajv";
import { toolDigest } from "../components/mcp/digest";
import { Finding, OPEN_SCHEMA, vetManifest, VetTool } from "../policies/mcp/vetting";
import { UsageError } from "./errors";

/** A tools manifest: an MCP `tools/list` result, optionally with the server's name, image and egress domains. */
export interface ToolsManifest {
    server?: { name?: string; image?: string; egress?: string[] };
    tools: VetTool[];
}

export const MAX_MANIFEST_BYTES = 1024 * 1024;

const manifestSchema = {
    type: "object",
    required: ["tools"],
    properties: {
        server: {
            type: "object",
            properties: { name: { type: "string" }, image: { type: "string" }, egress: { type: "array", items: { type: "string" } } },
        },
        tools: {
            type: "array",
            maxItems: 1000,
            items: {
                type: "object",
                required: ["name", "description"],
                properties: {
                    name: { type: "string", minLength: 1, maxLength: 256 },
                    description: { type: "string" },
                    inputSchema: { type: "object" },
                    scopes: { type: "array", items: { type: "string" } },
                    sha256: { type: "string", pattern: "^[a-f0-9]{64}$" },
                    approval: { type: "object", required: ["by", "at", "sha256"], properties: { by: { type: "string" }, at: { type: "string" }, sha256: { type: "string", pattern: "^[a-f0-9]{64}$" } } },
                },
            },
        },
    },
} as const;

const validate = new Ajv({ allErrors: false, strict: false }).compile(manifestSchema);

/** Reads and checks a manifest file; every problem is a UsageError naming the file and the field. */
export function loadManifest(file: string): ToolsManifest {
    let size: number;
    try {
        size = fs.statSync(file).size;
    } catch (e) {
        throw new UsageError(`cannot read manifest ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (size > MAX_MANIFEST_BYTES) {
        throw new UsageError(`manifest ${file} is ${size} bytes; the limit is ${MAX_MANIFEST_BYTES} (1 MiB)`);
    }
    let data: unknown;
    try {
        data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UsageError(`manifest ${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (!validate(data)) {
        const e = validate.errors![0];
        const missing = (e.params as { missingProperty?: string }).missingProperty;
        const where = `${e.instancePath.replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".")}${missing ? `.${missing}` : ""}`.replace(/^\./, "");
        throw new UsageError(`manifest ${file}: ${where || "(top level)"} ${missing ? "is required but missing" : e.message}`);
    }
    return data as ToolsManifest;
}

/** The manifest with every tool's sha256 computed. */
export function pinManifest(m: ToolsManifest): ToolsManifest {
    return { ...m, tools: m.tools.map((t) => ({ ...t, sha256: toolDigest({ name: t.name, description: t.description, inputSchema: t.inputSchema ?? {} }) })) };
}

export interface VetOptions {
    egress: string[];
    requireApproval: boolean;
    requireScopes: boolean;
    /** Drop the additionalProperties finding (an explicit opt-out; untyped properties are still reported). */
    allowOpenSchemas?: boolean;
    /**
     * Judge the schemas for a deployment without the MCP guard: then a schema that leaves additionalProperties unset
     * is a finding. By default the server is judged as the blueprints deploy it, behind the guard, which closes such
     * schemas at run time (an explicitly open schema is still a finding).
     */
    unguarded?: boolean;
    maxDescriptionLength?: number;
}

/** Runs the mcp pack's checks on a manifest. */
export function vetToolsManifest(m: ToolsManifest, opts: VetOptions): Finding[] {
    const findings = vetManifest({ image: m.server?.image, egress: [...(m.server?.egress ?? []), ...opts.egress], tools: m.tools }, {
        requireApproval: opts.requireApproval,
        maxDescriptionLength: opts.maxDescriptionLength,
        schema: { guarded: !opts.unguarded },
    });
    return findings.filter((f) => (opts.requireScopes || f.kind !== "scopes") && !(opts.allowOpenSchemas && f.kind === "weak-schema" && f.message.startsWith(OPEN_SCHEMA)));
}
