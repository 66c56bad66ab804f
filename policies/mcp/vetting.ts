/**
 * Checks of MCP tool descriptions and manifests, shared by the mcp policy pack and `mcpsec vet`. Pure functions
 * over plain data: no Pulumi, no I/O.
 */
import { toolDigest } from "../../components/mcp/digest";

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

/** Phrases that address the model rather than describe the tool: the core of tool poisoning. */
const INSTRUCTION_PATTERNS: [RegExp, string][] = [
    [/\b(ignore|disregard|forget|override)\b[^.]{0,40}\b(previous|prior|above|earlier|other|all|any|system)\b[^.]{0,20}\b(instructions?|prompts?|rules?|guidelines?|directives?)/i, "tells the model to ignore or override its instructions"],
    [/\b(do not|don't|never|without)\b[^.]{0,30}\b(tell|telling|inform|informing|mention|mentioning|notify|notifying|reveal|revealing|show|showing|alert|alerting)\b[^.]{0,20}\b(the )?(user|human|operator)/i, "tells the model to hide actions from the user"],
    [/\b(the )?user (must not|should not|shouldn't|mustn't) (know|see|be told|notice)/i, "tells the model to hide actions from the user"],
    [/\b(before|after|instead of|prior to)\b[^.]{0,40}\b(using|calling|invoking|running)\b[^.]{0,40}\b(you must|you should|always|first)\b/i, "tells the model what to do around tool calls"],
    [/\b(you must|you should|always|first)\b[^.]{0,30}\b(call|invoke|use|run|read|send|pass|include)\b[^.]{0,60}\b(tool|function|file|contents?|parameter|argument|sidenote|note)\b/i, "instructs the model to call tools or pass data"],
    [/\b(also|then|first|always)\s+(call|invoke|run|use)\s+(the\s+)?[a-z][a-z0-9]*_[a-z0-9_]+\b/i, "instructs the model to call another tool"],
    [/\b(this is|it is) (very |extremely )?(important|critical|crucial|mandatory)\b/i, "pressures the model with urgency"],
    [/(\bsystem prompt\b|\bsystem message\b|\bassistant:|<\|im_start\|>|\[INST\])/i, "imitates prompt structure"],
    [/\bconcatenate|\bexfiltrat|\bsecretly\b|\bcovertly\b|\bsilently\b/i, "describes covert data handling"],
];

/** Markup that hides text from a reviewer or imitates privileged tags. */
const MARKUP_PATTERNS: [RegExp, string][] = [
    [/<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|sudo|context|override)\b[^>]*>/i, "contains instruction-like markup tags"],
    [/<!--[\s\S]*?-->/, "contains an HTML comment"],
    [/<\s*(script|iframe|img|style)\b/i, "contains HTML that renders or runs"],
    // eslint-disable-next-line no-control-regex -- the escape character is what this looks for
    [/\u001b\[[0-9;]*[A-Za-z]/, "contains terminal escape sequences"],
];

/** Invisible, bidirectional and tag characters: text a human reviewer cannot see. */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/u;

/** Sensitive files and paths a tool has no business mentioning. */
const SENSITIVE_PATHS = /(~\/\.ssh|\bid_(rsa|ed25519|ecdsa)\b|\.aws\/credentials|\/etc\/(passwd|shadow)|(^|[\s'"(])\.env\b|mcp\.json|\.cursor\/|claude_desktop_config|\.kube\/config|\.netrc|\.git-credentials)/i;

/** Asking for, moving or disclosing credentials: a verb of handling near a credential word. */
const CREDENTIAL_HANDLING = /\b(read|send|include|pass|put|append|attach|ask for|collect|list|upload|copy|share|reveal|forward|leak|print|paste)\b[^.]{0,40}\b(passwords?(?! reset)|credentials?|api[_ -]?keys?|access[_ -]?keys?|secrets?|private[_ -]?keys?|seed phrase|payment details|session cookies?)\b/i;

const BASE64_BLOB = /[A-Za-z0-9+/]{48,}={0,2}/;
const HEX_BLOB = /\b[0-9a-fA-F]{80,}\b/;
const URL = /\bhttps?:\/\/([^\s/)"'<>]+)[^\s)"'<>]*/gi;

/** Every text of a tool the model reads: its name, description, and every description inside its input schema. */
export function textsOf(tool: VetTool): { where: string; text: string }[] {
    const out = [{ where: "name", text: tool.name }, { where: "description", text: tool.description }];
    const walk = (node: unknown, path: string) => {
        if (Array.isArray(node)) {
            node.forEach((n, i) => walk(n, `${path}[${i}]`));
        } else if (node && typeof node === "object") {
            for (const [k, v] of Object.entries(node)) {
                if ((k === "description" || k === "title") && typeof v === "string") {
                    out.push({ where: `inputSchema${path}.${k}`, text: v });
                } else if (k === "default" || k === "examples" || k === "enum" || k === "const") {
                    if (typeof v === "string") {
                        out.push({ where: `inputSchema${path}.${k}`, text: v });
                    }
                } else {
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
    /** Longest acceptable description, in characters. Default 1024. */
    maxDescriptionLength?: number;
}

/** Poisoning indicators in one tool's texts. */
export function poisoningFindings(tool: VetTool, opts: VetOptions = {}): Finding[] {
    const findings: Finding[] = [];
    const add = (message: string) => findings.push({ kind: "poisoning", tool: tool.name, message });
    const max = opts.maxDescriptionLength ?? 1024;
    if (tool.description.length > max) {
        add(`description is ${tool.description.length} characters (more than ${max}): long descriptions hide instructions`);
    }
    for (const { where, text } of textsOf(tool)) {
        // NFKC folds look-alike forms (fullwidth ＜IMPORTANT＞, ligatures) into the characters the patterns know.
        const folded = text.normalize("NFKC");
        for (const [re, why] of [...INSTRUCTION_PATTERNS, ...MARKUP_PATTERNS]) {
            if (re.test(folded)) {
                add(`${where} ${why}`);
            }
        }
        if (INVISIBLE.test(text)) {
            add(`${where} contains invisible or bidirectional Unicode characters`);
        }
        if (SENSITIVE_PATHS.test(text)) {
            add(`${where} refers to sensitive files`);
        }
        if (CREDENTIAL_HANDLING.test(text)) {
            add(`${where} asks to handle credentials`);
        }
        if (BASE64_BLOB.test(text) || HEX_BLOB.test(text)) {
            add(`${where} contains an encoded blob`);
        }
        for (const m of text.matchAll(URL)) {
            if (!hostAllowed(m[1], opts.egress ?? [])) {
                add(`${where} links to ${m[1]}, outside the declared egress domains`);
            }
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

/** Input schemas that do not constrain their arguments: no types, or arbitrary extra properties accepted. */
export function schemaFindings(tool: VetTool): Finding[] {
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
    if (schema.additionalProperties !== false) {
        add("input schema accepts arbitrary extra properties (additionalProperties is not false)");
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
export function vetManifest(manifest: { name?: string; image?: string; egress?: string[]; tools: VetTool[] }, opts: VetOptions & { requireApproval?: boolean; approvedRegistries?: string[] } = {}): Finding[] {
    const egress = opts.egress ?? manifest.egress ?? [];
    return [
        ...(manifest.image !== undefined ? imageFindings(manifest.image, opts.approvedRegistries ?? DEFAULT_APPROVED_REGISTRIES) : []),
        ...manifest.tools.flatMap((t) => [
            ...poisoningFindings(t, { ...opts, egress }),
            ...schemaFindings(t),
            ...pinningFindings(t, { requireApproval: opts.requireApproval ?? true }),
        ]),
    ];
}
