import Ajv from "ajv";
import { checkUnique, ConfigError, describeAjvError, showValue } from "../common/errors";
import { toolDigest } from "./digest";
import { wildcardTooBroad } from "../common/domains";
import { findCredentials, isCredentialName } from "../common/credentials";
import { SignedApproval, signedApprovalSchema } from "./approval";

export { toolDigest };

/** One tool of an MCP server, as approved: its hash pins the description and input schema. */
export interface McpTool {
    /** Tool name as the server announces it in tools/list. */
    name: string;
    /** The description the model reads: the surface of tool poisoning, hence pinned by `sha256`. */
    description: string;
    /** JSON Schema of the tool's arguments (an object schema). */
    inputSchema: Record<string, unknown>;
    /** OAuth scopes a caller needs to call the tool (at least one). */
    scopes: string[];
    /** Hex SHA-256 of the RFC 8785 canonical JSON of `{name, description, inputSchema}`; see {@link toolDigest}. */
    sha256: string;
    /** Who approved which version of the tool, and when. The mcp pack requires it, matching `sha256`. */
    approval?: ToolApproval;
}

/** The record of a tool's review: the reviewer, the date, and the digest they approved. */
export interface ToolApproval {
    by: string;
    at: string;
    sha256: string;
}

/** The typed description of one MCP server: everything deploy-time controls need to know about it. */
export interface McpServerSpec {
    /** DNS label, unique in the stack; names every resource of the server. */
    name: string;
    /** Container image pinned by digest: `<repository>@sha256:<64 hex>`. */
    image: string;
    /** Opt-out: accept an image given by tag (mutable). Reported by the policies. Default false. */
    allowMutableImageTag?: boolean;
    /** Container port the server listens on (1024-65535: the container runs as a non-root user). */
    port: number;
    /** MCP transport. Only Streamable HTTP is served by these blueprints. */
    transport?: "streamable-http";
    /** HTTP path of the MCP endpoint. Default `/mcp`. */
    path?: string;
    /** Path the load balancer probes. Default `/health`. */
    healthCheckPath?: string;
    /** Fargate CPU units (256, 512, 1024, 2048, 4096, 8192, 16384). Default 256. */
    cpu?: number;
    /** Memory in MiB, valid for the CPU size. Default 512. */
    memory?: number;
    /** Numeric non-root user (`uid` or `uid:gid`) the container runs as. Default `65532:65532`. */
    user?: string;
    /**
     * Plain environment variables. Names that look like credentials, and values a secret detector recognises as
     * one (tokens, keys, JWTs, private keys, passwords in URLs), are refused: use `secrets`.
     */
    environment?: Record<string, string>;
    /** Environment variables injected from Secrets Manager: name -> secret ARN (optionally `:json-key::`). */
    secrets?: Record<string, string>;
    /** Domains the server may reach on the internet (egress allowlist). Default none. */
    egress?: string[];
    /** How many tasks run. Default 2 (one survives a task or zone failure). */
    desiredCount?: number;
    /**
     * Opt-out, per tool: names of tools whose arguments may carry properties their input schema does not declare. By
     * default the guard closes every object schema that leaves `additionalProperties` unset (arguments the schema
     * does not declare are refused); a tool listed here keeps its schema as announced, and a schema that is
     * explicitly open (`additionalProperties: true` or a schema) must be listed here to pass mcp-tool-strict-input-schema.
     * Default none.
     */
    allowUndeclaredArguments?: string[];
    /**
     * Declares the server multi-tenant: the name of the access-token claim that carries the caller's tenant (for
     * example `custom:tenant`). The guard then refuses every request whose token lacks it (401) and hands the verified
     * tenant to the server in its trusted header; the server must scope every answer to it. Default none (one tenant).
     */
    tenantClaim?: string;
    /** The tools manifest. */
    tools: McpTool[];
    /**
     * A reviewer's Ed25519 signature over the runtime description (image, user, environment, secrets, egress, every
     * tool's digest and scopes), written by `mcpsec approve`. Required by the mcp pack in production stacks; any
     * change of those fields needs a new signature.
     */
    signedApproval?: SignedApproval;
}

/** A spec with every default filled in. */
export type ResolvedMcpServerSpec = Required<Omit<McpServerSpec, "tools" | "signedApproval" | "tenantClaim">> & { tools: McpTool[]; signedApproval?: SignedApproval; tenantClaim?: string };

/** Fargate task sizes: CPU units -> allowed memory (MiB). */
export const FARGATE_SIZES: Record<number, number[]> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
    return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

export { MCP_CLIENT_METHODS } from "./methods";

const DIGEST_IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(\/[a-z0-9._-]+)*@sha256:[a-f0-9]{64}$/;
const TAG_IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9._-]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+(:[^:]*:[^:]*:[^:]*)?$/;
const DOMAIN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SCOPE = /^[A-Za-z0-9_.:/-]{1,128}$/;

/** JSON Schema of a server description (shared by the stack config and the component). */
export const mcpServerSchema = {
    type: "object",
    additionalProperties: false,
    required: ["name", "image", "port", "tools"],
    properties: {
        name: { type: "string", pattern: "^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", description: "a DNS label: lower-case letters, digits and '-', 1-32 characters, starting with a letter" },
        image: { type: "string", minLength: 1, maxLength: 512, pattern: "^\\S+$", description: "a container image reference, pinned by digest (repo@sha256:...)" },
        allowMutableImageTag: { type: "boolean", description: "true or false (true accepts an image given by tag and is reported)" },
        port: { type: "integer", minimum: 1024, maximum: 65535, description: "an integer from 1024 to 65535 (the container runs as a non-root user)" },
        transport: { enum: ["streamable-http"], description: "streamable-http" },
        path: { type: "string", pattern: "^/[A-Za-z0-9/_.-]{0,127}$", description: "an HTTP path starting with '/'" },
        healthCheckPath: { type: "string", pattern: "^/[A-Za-z0-9/_.-]{0,127}$", description: "an HTTP path starting with '/'" },
        cpu: { enum: Object.keys(FARGATE_SIZES).map(Number), description: `one of the Fargate CPU sizes (${Object.keys(FARGATE_SIZES).join(", ")})` },
        memory: { type: "integer", minimum: 512, maximum: 122880, description: "memory in MiB that Fargate offers for the CPU size" },
        user: { type: "string", pattern: "^[1-9]\\d{0,9}(:\\d{1,10})?$", description: "a numeric non-root uid or uid:gid" },
        environment: {
            type: "object", maxProperties: 100,
            propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]{0,127}$", description: "an environment variable name" },
            additionalProperties: { type: "string", maxLength: 4096, description: "a string" },
            description: "a map of variable names to strings",
        },
        secrets: {
            type: "object", maxProperties: 50,
            propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]{0,127}$", description: "an environment variable name" },
            additionalProperties: { type: "string", pattern: SECRET_ARN.source, description: "a Secrets Manager secret ARN" },
            description: "a map of variable names to Secrets Manager secret ARNs",
        },
        egress: {
            type: "array", uniqueItems: true, maxItems: 100,
            items: { type: "string", pattern: DOMAIN.source, description: "a domain name such as api.example.com or *.example.com" },
            description: "a list of distinct domain names",
        },
        desiredCount: { type: "integer", minimum: 1, maximum: 100, description: "an integer from 1 to 100" },
        allowUndeclaredArguments: {
            type: "array", uniqueItems: true, maxItems: 128,
            items: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,64}$", description: "the name of one of the server's tools" },
            description: "a list of distinct names of the server's tools whose arguments may carry undeclared properties",
        },
        tenantClaim: { type: "string", pattern: "^[A-Za-z0-9_:.-]{1,64}$", description: "the name of the token claim that carries the tenant, e.g. custom:tenant (letters, digits, _:.-, at most 64)" },
        tools: {
            type: "array", minItems: 1, maxItems: 128, description: "a list of 1-128 tools",
            items: {
                type: "object",
                additionalProperties: false,
                required: ["name", "description", "inputSchema", "scopes", "sha256"],
                properties: {
                    name: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,64}$", description: "1-64 characters of letters, digits, '_', '-' or '.'" },
                    description: { type: "string", minLength: 1, maxLength: 4096, description: "a non-empty text of at most 4096 characters" },
                    inputSchema: { type: "object", description: "a JSON Schema object" },
                    scopes: {
                        type: "array", minItems: 1, maxItems: 16, uniqueItems: true,
                        items: { type: "string", pattern: SCOPE.source, description: "an OAuth scope: letters, digits and _.:/-" },
                        description: "a list of 1-16 OAuth scopes the tool requires",
                    },
                    sha256: { type: "string", pattern: "^[a-f0-9]{64}$", description: "64 lower-case hex digits (mcpsec's tool digest)" },
                    approval: {
                        type: "object", additionalProperties: false, required: ["by", "at", "sha256"],
                        properties: {
                            by: { type: "string", minLength: 1, maxLength: 200, description: "who approved the tool" },
                            at: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$", description: "the date of the approval (YYYY-MM-DD or ISO 8601)" },
                            sha256: { type: "string", pattern: "^[a-f0-9]{64}$", description: "the digest that was approved" },
                        },
                        description: "the approval record: by, at, sha256",
                    },
                },
            },
        },
        signedApproval: signedApprovalSchema,
    },
} as const;

const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, unicodeRegExp: true });
const schemaChecker = new Ajv({ strict: false, validateSchema: true });

/** Checks of a description that JSON Schema cannot express; `key` prefixes every error's key. */
export function checkMcpServerSpec(spec: McpServerSpec, key: string): ResolvedMcpServerSpec {
    const err = (path: string, detail: string) => new ConfigError(`${key}.${path}`, detail);
    const allowTag = spec.allowMutableImageTag ?? false;
    if (!DIGEST_IMAGE.test(spec.image)) {
        if (!allowTag) {
            throw err("image", `${showValue(spec.image)} is not allowed; expected an image pinned by digest (<repository>@sha256:<64 hex digits>), or set allowMutableImageTag: true to accept a tag (reported as a violation)`);
        }
        if (!TAG_IMAGE.test(spec.image)) {
            throw err("image", `${showValue(spec.image)} is not allowed; expected <repository>[:<tag>] or <repository>@sha256:<digest>`);
        }
    }
    const cpu = spec.cpu ?? 256;
    const memory = spec.memory ?? 512;
    if (!FARGATE_SIZES[cpu].includes(memory)) {
        throw err("memory", `${memory} is not allowed with cpu ${cpu}; Fargate offers ${FARGATE_SIZES[cpu].join(", ")} MiB`);
    }
    // A wildcard egress entry must stay inside one registrable domain: the DNS and Network Firewall allowlists are
    // built from these, and the aws pack judges them with the same function.
    (spec.egress ?? []).forEach((domain, i) => {
        const tooBroad = /^\*?\./.test(domain) ? wildcardTooBroad(domain) : undefined;
        if (tooBroad !== undefined) {
            throw err(`egress[${i}]`, `${JSON.stringify(domain)} is not allowed; it admits ${tooBroad}: expected an exact host or a wildcard inside one registrable domain you trust (*.example.com)`);
        }
    });
    for (const name of Object.keys(spec.environment ?? {})) {
        if (isCredentialName(name)) {
            throw err(`environment.${name}`, `a variable named like a credential is not allowed in plain environment; put it in secrets (a Secrets Manager ARN)`);
        }
    }
    for (const name of Object.keys(spec.secrets ?? {})) {
        if (spec.environment && name in spec.environment) {
            throw err(`secrets.${name}`, "is also set in environment; a variable comes from one place only");
        }
    }
    checkUnique(spec.tools, (i) => `${key}.tools[${i}].name`, (t) => t.name);
    (spec.allowUndeclaredArguments ?? []).forEach((name, i) => {
        if (!spec.tools.some((t) => t.name === name)) {
            throw err(`allowUndeclaredArguments[${i}]`, `${showValue(name)} is not allowed; expected the name of one of the server's tools (${spec.tools.map((t) => t.name).join(", ")})`);
        }
    });
    spec.tools.forEach((tool, i) => {
        if (tool.inputSchema.type !== "object") {
            throw err(`tools[${i}].inputSchema.type`, `${showValue(tool.inputSchema.type)} is not allowed; expected "object" (MCP tool arguments are an object)`);
        }
        if (!schemaChecker.validateSchema(tool.inputSchema)) {
            const e = schemaChecker.errors?.[0];
            throw err(`tools[${i}].inputSchema${e?.instancePath.replace(/\//g, ".") ?? ""}`, `is not a valid JSON Schema: ${e?.message ?? "invalid"}`);
        }
        const actual = toolDigest(tool);
        if (tool.sha256 !== actual) {
            throw err(`tools[${i}].sha256`, `${showValue(tool.sha256)} does not match tool ${showValue(tool.name)}, whose description and input schema hash to ${actual}; a changed tool needs a new approval`);
        }
    });
    return {
        name: spec.name,
        image: spec.image,
        allowMutableImageTag: allowTag,
        port: spec.port,
        transport: spec.transport ?? "streamable-http",
        path: spec.path ?? "/mcp",
        healthCheckPath: spec.healthCheckPath ?? "/health",
        cpu,
        memory,
        user: spec.user ?? "65532:65532",
        environment: { ...(spec.environment ?? {}) },
        secrets: { ...(spec.secrets ?? {}) },
        egress: [...(spec.egress ?? [])],
        desiredCount: spec.desiredCount ?? 2,
        allowUndeclaredArguments: [...(spec.allowUndeclaredArguments ?? [])],
        ...(spec.tenantClaim !== undefined ? { tenantClaim: spec.tenantClaim } : {}),
        tools: spec.tools.map((t) => ({ ...t, scopes: [...t.scopes], inputSchema: structuredClone(t.inputSchema), ...(t.approval ? { approval: { ...t.approval } } : {}) })),
        ...(spec.signedApproval ? { signedApproval: { ...spec.signedApproval } } : {}),
    };
}

/**
 * Refuses credentials in the plain environment of a server by value, with a maintained secret detector
 * (secretlint's recommended rules, its pattern rule with our patterns, JSON Web Tokens; see {@link findCredentials}). Asynchronous because the
 * detector is; the stack config loader and McpService await it. The error names the variable and the kind of
 * credential, never the value.
 */
export async function checkMcpServerEnvironment(spec: Pick<McpServerSpec, "environment">, key: string): Promise<void> {
    const env = Object.entries(spec.environment ?? {}).map(([name, value]) => ({ name, value }));
    const [found] = await findCredentials(env);
    if (found) {
        throw new ConfigError(`${key}.environment.${found.name}`, `holds a ${found.kind} (found by ${found.rule}); a credential is not allowed in plain environment: store it in Secrets Manager and reference it in secrets`);
    }
}

const validateSpecSchema = ajv.compile(mcpServerSchema);

/**
 * Validates a server description given to a component directly (not through stack config) and fills in
 * defaults. Errors name the argument as `<key>.<path>`.
 */
export function validateMcpServerSpec(spec: unknown, key = "server"): ResolvedMcpServerSpec {
    if (!validateSpecSchema(spec)) {
        throw describeAjvError(key, validateSpecSchema.errors!);
    }
    return checkMcpServerSpec(spec as McpServerSpec, key);
}

/** The URL a server is reached at: `https://<server>.<domain><path>`; its identity as an OAuth resource. */
export function serverUrl(spec: Pick<ResolvedMcpServerSpec, "name" | "path">, domain: string): string {
    return `https://${spec.name}.${domain}${spec.path}`;
}
