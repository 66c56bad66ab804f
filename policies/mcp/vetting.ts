/**
 * Checks of MCP tool descriptions and manifests, shared by the mcp policy pack and `mcpsec vet`. Pure functions
 * over plain data: no Pulumi, no I/O.
 */
import { toolDigest } from "../../components/mcp/digest";
import { nameAsWords, textFindings } from "./indicators";

export interface VetTool {
    name: string;
    description: string;
    inputSchema?: unknown;
    scopes?: string[];
    sha256?: string;
    approval?: { by?: string; at?: string; sha256?: string };
}

export type FindingKind = "poisoning" | "weak-schema" | "rug-pull" | "approval" | "scopes" | "shadowing" | "image";

export interface Finding {
    kind: FindingKind;
    tool?: string;
    message: string;
}

/**
 * Every text of a tool the model reads: its name, description, and every text inside its input schema (titles,
 * descriptions, property names, defaults, examples, enum and const values, at any depth): full-schema poisoning puts
 * instructions in any of them.
 */
export function textsOf(tool: VetTool): { where: string; text: string }[] {
    const out = [{ where: "name", text: tool.name }, { where: "description", text: tool.description }];
    const strings = (v: unknown, where: string) => {
        if (typeof v === "string") {
            out.push({ where, text: v });
        } else if (Array.isArray(v)) {
            v.forEach((x, i) => strings(x, `${where}[${i}]`));
        } else if (v && typeof v === "object") {
            Object.entries(v).forEach(([k, x]) => strings(x, `${where}.${k}`));
        }
    };
    const walk = (node: unknown, path: string) => {
        if (Array.isArray(node)) {
            node.forEach((n, i) => walk(n, `${path}[${i}]`));
        } else if (node && typeof node === "object") {
            for (const [k, v] of Object.entries(node)) {
                if ((k === "description" || k === "title") && typeof v === "string") {
                    out.push({ where: `inputSchema${path}.${k}`, text: v });
                } else if (k === "default" || k === "examples" || k === "enum" || k === "const") {
                    strings(v, `inputSchema${path}.${k}`);
                } else {
                    if ((k === "properties" || k === "patternProperties" || k === "$defs" || k === "definitions") && v && typeof v === "object" && !Array.isArray(v)) {
                        // Property names are read by the model too; as identifiers they are judged read as words.
                        Object.keys(v).forEach((name) => out.push({ where: `inputSchema${path}.${k} name ${JSON.stringify(name)}`, text: `${name} (${nameAsWords(name)})` }));
                    }
                    walk(v, `${path}.${k}`);
                }
            }
        }
    };
    walk(tool.inputSchema, "");
    return out;
}

/** True when `host` is one of the declared egress domains (`*.example.com` covers subdomains). */
export function hostAllowed(host: string, egress: string[]): boolean {
    const h = host.toLowerCase().replace(/:\d+$/, "");
    return egress.some((d) => (d.startsWith("*.") ? h.endsWith(d.slice(1)) : h === d.toLowerCase()));
}

export interface VetOptions {
    /** Domains the server declares it reaches; URLs to any other host are findings. */
    egress?: string[];
    /** Longest acceptable description, in characters. Default 4096 (the longest the server description accepts). */
    maxDescriptionLength?: number;
    /** Names of the other tools of the same server: instructions to call them are workflow, not poisoning. */
    siblings?: string[];
}

/** Real servers' descriptions run to a few thousand characters (context7, sequential-thinking); padding is judged apart. */
export const DEFAULT_MAX_DESCRIPTION_LENGTH = 4096;

/** Poisoning indicators in one tool's texts. */
export function poisoningFindings(tool: VetTool, opts: VetOptions = {}): Finding[] {
    const findings: Finding[] = [];
    const add = (message: string) => findings.push({ kind: "poisoning", tool: tool.name, message });
    const max = opts.maxDescriptionLength ?? DEFAULT_MAX_DESCRIPTION_LENGTH;
    if (tool.description.length > max) {
        add(`description is ${tool.description.length} characters (more than ${max}): long descriptions hide instructions`);
    }
    const egress = opts.egress ?? [];
    const siblings = new Set([tool.name, ...(opts.siblings ?? [])]);
    for (const { where, text } of textsOf(tool)) {
        for (const why of textFindings(text, { egress: (host) => hostAllowed(host, egress), siblings })) {
            add(`${where} ${why}`);
        }
    }
    return dedupe(findings);
}

function dedupe(findings: Finding[]): Finding[] {
    const seen = new Set<string>();
    return findings.filter((f) => {
        const key = `${f.kind}|${f.tool}|${f.message}`;
        return seen.has(key) ? false : (seen.add(key), true);
    });
}

/** The start of the finding for a schema that admits extra properties (`mcpsec vet --allow-open-schemas` drops it). */
export const OPEN_SCHEMA = "input schema accepts arbitrary extra properties";

/** How a tool is deployed, for judging its effective schema. */
export interface SchemaContext {
    /**
     * An MCP guard runs in front of the server: it validates arguments against the approved schema and closes object
     * schemas that leave `additionalProperties` unset (guard/src/core/manifest.ts closedSchema). Default false.
     */
    guarded?: boolean;
    /** The tool is listed in the server's `allowUndeclaredArguments` opt-out (the guard leaves its schema as announced). */
    allowUndeclared?: boolean;
}

/**
 * Input schemas that do not constrain their arguments, judged as deployed: no types, or extra properties accepted by
 * the EFFECTIVE schema. Unset `additionalProperties` is closed by a guard (unless the tool is opted out, which then
 * accepts it explicitly); without a guard nothing closes it. An explicitly open schema (true or a schema) passes only
 * behind a guard with the tool opted out.
 */
export function schemaFindings(tool: VetTool, ctx: SchemaContext = {}): Finding[] {
    const findings: Finding[] = [];
    const add = (message: string) => findings.push({ kind: "weak-schema", tool: tool.name, message });
    const schema = tool.inputSchema as Record<string, unknown> | undefined;
    if (!schema || typeof schema !== "object") {
        add("has no input schema");
        return findings;
    }
    if (schema.type !== "object") {
        add(`input schema type is ${JSON.stringify(schema.type)}, not "object"`);
    }
    const open = schema.additionalProperties;
    if (open !== false) {
        if (!ctx.guarded) {
            add(`${OPEN_SCHEMA} (additionalProperties is ${open === undefined ? "unset" : JSON.stringify(open)}, and no MCP guard runs in front of the server to refuse undeclared arguments)`);
        } else if (open !== undefined && !ctx.allowUndeclared) {
            add(`${OPEN_SCHEMA} (additionalProperties is ${JSON.stringify(open)}, so the guard applies it as declared; list the tool in allowUndeclaredArguments if it needs open arguments)`);
        }
    }
    for (const [prop, def] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (!def || typeof def !== "object" || (def.type === undefined && def.enum === undefined && def.const === undefined && def.$ref === undefined && def.anyOf === undefined && def.oneOf === undefined)) {
            add(`property ${prop} has no type`);
        }
    }
    return findings;
}

/** A tool's digest, scopes and approval record against its content. */
export function pinningFindings(tool: VetTool, opts: { requireApproval: boolean }): Finding[] {
    const findings: Finding[] = [];
    const actual = toolDigest({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema ?? {} });
    if (tool.sha256 !== undefined && tool.sha256 !== actual) {
        findings.push({ kind: "rug-pull", tool: tool.name, message: `description or schema changed: pinned ${tool.sha256.slice(0, 12)}..., now ${actual.slice(0, 12)}...` });
    }
    if (!tool.scopes || tool.scopes.length === 0) {
        findings.push({ kind: "scopes", tool: tool.name, message: "requires no OAuth scope" });
    }
    if (opts.requireApproval) {
        const a = tool.approval;
        if (!a || !a.by || !a.at || !a.sha256) {
            findings.push({ kind: "approval", tool: tool.name, message: "has no approval record (by, at, sha256)" });
        } else if (a.sha256 !== actual) {
            findings.push({ kind: "approval", tool: tool.name, message: `was approved as ${a.sha256.slice(0, 12)}... by ${a.by} on ${a.at}, but is now ${actual.slice(0, 12)}...: approve the new version` });
        }
    }
    return findings;
}

/** Folds a name for comparison: compatibility forms, case, separators, and common look-alike characters. */
export function foldName(name: string): string {
    const homoglyphs: Record<string, string> = {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n",
        "0": "o", "1": "l", "3": "e", "5": "s", "|": "l",
    };
    return name.normalize("NFKC").toLowerCase().replace(/[\s_.-]/g, "").split("").map((c) => homoglyphs[c] ?? c).join("").replace(/i/g, "l");
}

/** Tools of different servers whose names are equal or confusable (tool shadowing). */
export function shadowingFindings(servers: { name: string; tools: { name: string }[] }[]): Finding[] {
    const findings: Finding[] = [];
    const seen = new Map<string, { server: string; tool: string }>();
    for (const s of servers) {
        for (const t of s.tools) {
            const key = foldName(t.name);
            const first = seen.get(key);
            if (first && first.server !== s.name) {
                const how = first.tool === t.name ? "the same name" : "a confusable name";
                findings.push({ kind: "shadowing", tool: t.name, message: `tool ${t.name} of ${s.name} has ${how} as tool ${first.tool} of ${first.server}` });
            } else if (!first) {
                seen.set(key, { server: s.name, tool: t.name });
            }
        }
    }
    return findings;
}

/** Image reference checks: pinned by digest, and from an approved registry (`*` wildcards allowed). */
export function imageFindings(image: string, approvedRegistries: string[]): Finding[] {
    const findings: Finding[] = [];
    if (!/@sha256:[a-f0-9]{64}$/.test(image)) {
        findings.push({ kind: "image", message: `image ${image} is not pinned by digest` });
    }
    const registry = image.split("/")[0];
    const ok = approvedRegistries.some((p) => new RegExp(`^${p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`).test(registry));
    if (!ok) {
        findings.push({ kind: "image", message: `image registry ${registry} is not in the approved list (${approvedRegistries.join(", ")})` });
    }
    return findings;
}

/** Private ECR registries of any account and region: the default approved list. */
export const DEFAULT_APPROVED_REGISTRIES = ["*.dkr.ecr.*.amazonaws.com"];

/** Every check of one server's manifest. */
export function vetManifest(manifest: { name?: string; image?: string; egress?: string[]; tools: VetTool[] }, opts: VetOptions & { requireApproval?: boolean; approvedRegistries?: string[]; schema?: SchemaContext } = {}): Finding[] {
    const egress = opts.egress ?? manifest.egress ?? [];
    return [
        ...(manifest.image !== undefined ? imageFindings(manifest.image, opts.approvedRegistries ?? DEFAULT_APPROVED_REGISTRIES) : []),
        ...manifest.tools.flatMap((t) => [
            ...poisoningFindings(t, { ...opts, egress, siblings: manifest.tools.map((s) => s.name) }),
            ...schemaFindings(t, opts.schema),
            ...pinningFindings(t, { requireApproval: opts.requireApproval ?? true }),
        ]),
    ];
}
