import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type * as CedarWasm from "@cedar-policy/cedar-wasm/nodejs";
import { ConfigError, showValue } from "../common/errors";

/**
 * Cedar policies of the AgentCore Gateway variant, generated from the approved tools manifests.
 *
 * The model is AWS's documented one for a gateway with a JWT authorizer (AgentCore devguide: "Policy scope",
 * "Schema constraints", "Principal-scoped policies"):
 * - principal `AgentCore::OAuthUser::"<sub>"`; every other JWT claim is a String tag (`principal.getTag("scope")`);
 *   a claim that is an array becomes its JSON text;
 * - action `AgentCore::Action::"<target>___<tool>"`, member of `CallTool`, itself member of `Mcp`;
 * - resource `AgentCore::Gateway::"<gateway ARN>"` (a policy naming a specific action must name a specific gateway);
 * - context `{ input: <the tool's arguments> }`, typed from the tool's input schema.
 *
 * Cedar denies by default: the set holds only one `permit` per tool, for a principal whose `scope` claim holds one of
 * the tool's scopes as a whole space-delimited token (never a substring), on that tool's action, on this gateway.
 */

/** One approved tool: its name as the server announces it, the scopes that may call it, its input schema. */
export interface CedarTool {
    name: string;
    /**
     * Scopes of which a caller needs one. Empty: no permit is generated, so nobody may call the tool (the guard
     * decides the same: a tool without scopes matches no token).
     */
    scopes: string[];
    /** JSON Schema of the tool's arguments (becomes the type of `context.input`). */
    inputSchema: unknown;
}

/** The tools of one MCP server behind the gateway. */
export interface CedarTarget {
    /** The gateway target name of the server (the prefix of its tools' actions, `<target>___<tool>`). */
    target: string;
    tools: CedarTool[];
    /**
     * The OAuth resource identifier the authorization server issues this server's scopes under: a token then carries
     * `<resource>/<scope>` (the identity block's Cognito resource servers), and that whole string is matched. Unset:
     * the scopes are matched as written.
     */
    resource?: string;
    /**
     * The server is multi-tenant (`mcpsec:servers[].tenantClaim`): a token must also carry this claim, non-empty, as
     * the guard requires (it refuses a token without it). Unset: no tenant condition.
     */
    tenantClaim?: string;
}

/** One generated policy: `name` and `description` for `aws.bedrock.AgentcorePolicy`, `statement` its Cedar text. */
export interface GeneratedCedarPolicy {
    name: string;
    description: string;
    statement: string;
}

export interface AgentcoreCedarOptions {
    /**
     * Prepended to every policy name (AWS documents policy names as unique within the account: give each stack its
     * own prefix when two stacks share an account). Letters, digits and `_` are kept, anything else becomes `_`.
     */
    namePrefix?: string;
}

/** Limits AWS documents for AgentCore Policy (devguide "Limitations", API PolicyStatement, Service Quotas). */
export const AGENTCORE_POLICY_LIMITS = {
    /** Policy name: `[A-Za-z][A-Za-z0-9_]*`, 1-48 characters. */
    nameLength: 48,
    /** PolicyStatement.statement: at most 10,000 characters (and 10 KB per policy). */
    statementBytes: 10_000,
    /** All policies on one resource (the gateway) within an engine: 200 KB. */
    totalBytes: 200 * 1024,
    /** Policies per policy engine (a fixed quota). */
    policiesPerEngine: 1000,
    /** The Cedar schema of all tools of the gateways of an engine: under 400 KB. */
    schemaBytes: 400 * 1024,
} as const;

const NAMESPACE = "AgentCore";
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The action id of one tool: AgentCore names the tools of an MCP target `<target>___<tool>`. */
export function agentcoreActionId(target: string, tool: string): string {
    return `${target}___${tool}`;
}

/** A Cedar string literal (Cedar's escapes: `\\`, `\"`, `\*` in patterns, `\u{...}` for control characters). */
function cedarString(value: string, pattern = false): string {
    let out = "";
    for (const ch of value) {
        const code = ch.codePointAt(0)!;
        if (ch === "\\" || ch === "\"") {
            out += `\\${ch}`;
        } else if (pattern && ch === "*") {
            out += "\\*";
        } else if (code < 0x20 || code === 0x7f) {
            out += `\\u{${code.toString(16)}}`;
        } else {
            out += ch;
        }
    }
    return `"${out}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema: JSON Schema -> Cedar types, as AWS documents its generated schema (string -> String, integer -> Long,
// boolean -> Bool, number -> decimal, object -> record with `required` deciding the required attributes, array ->
// Set). What has no faithful Cedar type (null, unions such as `type: [a, b]`, anyOf/oneOf/allOf, $ref, arrays without
// `items`) is left out of the record: a policy that reads such an argument fails validation (closed), where a guessed
// type could let a policy pass validation and then never match.
// ---------------------------------------------------------------------------------------------------------------

const MAX_DEPTH = 16;

function enumType(values: unknown[]): string | undefined {
    if (values.length === 0) {
        return undefined;
    }
    if (values.every((v) => typeof v === "string")) {
        return "String";
    }
    if (values.every((v) => Number.isInteger(v))) {
        return "Long";
    }
    if (values.every((v) => typeof v === "boolean")) {
        return "Bool";
    }
    return undefined;
}

/** The Cedar type of one JSON Schema, or undefined when it has none (see above). */
function cedarType(schema: unknown, depth: number): string | undefined {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema) || depth > MAX_DEPTH) {
        return undefined;
    }
    const s = schema as Record<string, unknown>;
    if (s.anyOf !== undefined || s.oneOf !== undefined || s.allOf !== undefined || s.$ref !== undefined) {
        return undefined;
    }
    switch (s.type) {
        case "string": return "String";
        case "integer": return "Long";
        case "boolean": return "Bool";
        case "number": return "decimal";
        case "object": return recordType(s, depth);
        case "array": {
            const item = Array.isArray(s.items) ? undefined : cedarType(s.items, depth + 1);
            return item === undefined ? undefined : `Set<${item}>`;
        }
        case undefined:
            if (Array.isArray(s.enum)) {
                return enumType(s.enum);
            }
            if (s.const !== undefined) {
                return enumType([s.const]);
            }
            return s.properties !== undefined ? recordType(s, depth) : undefined;
        default:
            return undefined;
    }
}

function recordType(schema: Record<string, unknown>, depth: number): string {
    const props = typeof schema.properties === "object" && schema.properties !== null && !Array.isArray(schema.properties)
        ? schema.properties as Record<string, unknown>
        : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : []);
    const attrs: string[] = [];
    for (const name of Object.keys(props).sort()) {
        const type = cedarType(props[name], depth + 1);
        if (type !== undefined) {
            attrs.push(`${cedarString(name)}${required.has(name) ? "" : "?"}: ${type}`);
        }
    }
    return attrs.length === 0 ? "{ }" : `{ ${attrs.join(", ")} }`;
}

/** The Cedar type of `context.input` for a tool's input schema (an empty record when it declares no properties). */
export function inputRecordType(inputSchema: unknown): string {
    const type = typeof inputSchema === "object" && inputSchema !== null && !Array.isArray(inputSchema)
        ? recordType(inputSchema as Record<string, unknown>, 0)
        : "{ }";
    return type;
}

function checkTargets(targets: CedarTarget[]): void {
    const seenTargets = new Set<string>();
    targets.forEach((t, i) => {
        // AgentCore's target name pattern (CreateGatewayTarget): ^([0-9a-zA-Z][-]?){1,100}$, at most 100 characters.
        if (typeof t.target !== "string" || t.target.length > 100 || !/^([0-9a-zA-Z]-?)+$/.test(t.target)) {
            throw new ConfigError(`agentcore targets[${i}].target`, `${showValue(t.target)} is not allowed; expected a gateway target name: letters, digits and single '-' between them, starting with a letter or digit, at most 100 characters`);
        }
        if (seenTargets.has(t.target)) {
            throw new ConfigError(`agentcore targets[${i}].target`, `${showValue(t.target)} is not allowed; expected each gateway target name once`);
        }
        seenTargets.add(t.target);
        if (t.tenantClaim !== undefined && !/^[A-Za-z0-9_:.-]{1,64}$/.test(t.tenantClaim)) {
            throw new ConfigError(`agentcore target ${t.target}: tenantClaim`, `${showValue(t.tenantClaim)} is not allowed; expected a claim name: letters, digits, _:.-, at most 64`);
        }
        const seenTools = new Set<string>();
        t.tools.forEach((tool, j) => {
            if (typeof tool.name !== "string" || tool.name.length === 0 || seenTools.has(tool.name)) {
                throw new ConfigError(`agentcore target ${t.target}: tools[${j}].name`, `${showValue(tool.name)} is not allowed; expected a non-empty tool name, once per server`);
            }
            seenTools.add(tool.name);
            tool.scopes.forEach((scope, k) => {
                if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) {
                    throw new ConfigError(`agentcore target ${t.target}: tool ${tool.name}.scopes[${k}]`, `${showValue(scope)} is not allowed; expected an OAuth scope token (printable ASCII without space, '"' or '\\', RFC 6749 section 3.3)`);
                }
            });
        });
    });
}

/**
 * The Cedar schema (human-readable format) of a gateway's tools, written to mirror the one AgentCore generates from
 * the targets' tool schemas: the `AgentCore` namespace, `OAuthUser` with an `id` and String tags (the JWT claims),
 * `Gateway`, the `Mcp` > `CallTool` action groups and one action per tool with `context.input` typed from its schema.
 */
export function agentcoreCedarSchema(targets: CedarTarget[]): string {
    checkTargets(targets);
    const lines = [
        `namespace ${NAMESPACE} {`,
        "  entity OAuthUser = { \"id\": String } tags String;",
        "  entity Gateway;",
        "  action \"Mcp\";",
        "  action \"CallTool\" in [Action::\"Mcp\"];",
    ];
    for (const t of targets) {
        for (const tool of t.tools) {
            lines.push(
                `  action ${cedarString(agentcoreActionId(t.target, tool.name))} in [Action::"CallTool"] appliesTo {`,
                "    principal: [OAuthUser],",
                "    resource: [Gateway],",
                `    context: { "input": ${inputRecordType(tool.inputSchema)} }`,
                "  };",
            );
        }
    }
    lines.push("}", "");
    const schema = lines.join("\n");
    if (Buffer.byteLength(schema) >= AGENTCORE_POLICY_LIMITS.schemaBytes) {
        throw new ConfigError("agentcore tools", `the Cedar schema of ${targets.length} servers' tools has ${Buffer.byteLength(schema)} bytes; AgentCore supports schemas under ${AGENTCORE_POLICY_LIMITS.schemaBytes} bytes per policy engine: put fewer servers or tools behind one gateway`);
    }
    return schema;
}

// ---------------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------------

/** A `like` pattern: literal parts escaped (a `*` in them matches only `*`), `WILDCARD` parts match anything. */
const WILDCARD = Symbol("wildcard");
function likePattern(parts: (string | typeof WILDCARD)[]): string {
    return `"${parts.map((p) => (p === WILDCARD ? "*" : cedarString(p, true).slice(1, -1))).join("")}"`;
}

/** The whole-token test of one scope in the space-delimited `scope` claim (RFC 6749 3.3, RFC 9068 2.2.3). */
function scopeHeld(scope: string): string {
    const tag = "principal.getTag(\"scope\")";
    return [
        `${tag} == ${cedarString(scope)}`,
        `${tag} like ${likePattern([`${scope} `, WILDCARD])}`,
        `${tag} like ${likePattern([WILDCARD, ` ${scope}`])}`,
        `${tag} like ${likePattern([WILDCARD, ` ${scope} `, WILDCARD])}`,
    ].join(" ||\n    ");
}

function sanitizeName(text: string): string {
    return text.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * The policy name of one tool: `[A-Za-z][A-Za-z0-9_]*`, at most 48 characters (AWS's pattern), readable from the
 * prefix, target and tool, and made unique and stable by 8 hex digits of SHA-256 over the exact (prefix, target,
 * tool): `docs-search`/`get_page` and `docs_search`/`get_page` sanitize alike but hash apart.
 */
export function agentcorePolicyName(target: string, tool: string, namePrefix = ""): string {
    const hash = createHash("sha256").update(`${namePrefix}\u0000${target}\u0000${tool}`).digest("hex").slice(0, 8);
    const readable = sanitizeName(`${namePrefix ? `${namePrefix}_` : ""}${target}_${tool}`);
    const head = /^[A-Za-z]/.test(readable) ? readable : `p_${readable}`;
    return `${head.slice(0, AGENTCORE_POLICY_LIMITS.nameLength - 9)}_${hash}`;
}

/**
 * One `permit` per tool that has scopes: for an `AgentCore::OAuthUser` whose `scope` claim holds one of the tool's
 * scopes as a whole token, on the tool's action, on this gateway only. Nothing else is permitted (Cedar's default
 * deny). Names and descriptions do not depend on `gatewayArn`, and the order is that of `targets` and their tools: a
 * caller may create the resources from the names and compute the statements once the ARN is known.
 */
export function agentcoreCedarPolicies(targets: CedarTarget[], gatewayArn: string, options: AgentcoreCedarOptions = {}): GeneratedCedarPolicy[] {
    checkTargets(targets);
    if (typeof gatewayArn !== "string" || gatewayArn.length === 0 || /\s/.test(gatewayArn)) {
        throw new ConfigError("agentcore gatewayArn", `${showValue(gatewayArn)} is not allowed; expected the gateway's ARN (arn:aws:bedrock-agentcore:<region>:<account>:gateway/<id>)`);
    }
    const prefix = options.namePrefix === undefined ? "" : sanitizeName(options.namePrefix);
    const policies: GeneratedCedarPolicy[] = [];
    const names = new Set<string>();
    let total = 0;
    for (const t of targets) {
        for (const tool of t.tools) {
            if (tool.scopes.length === 0) {
                continue;
            }
            const tenant = t.tenantClaim === undefined
                ? ""
                : ` &&\n  principal.hasTag(${cedarString(t.tenantClaim)}) && principal.getTag(${cedarString(t.tenantClaim)}) != ""`;
            const tokens = tool.scopes.map((s) => (t.resource === undefined ? s : `${t.resource}/${s}`));
            const statement = [
                "permit (",
                `  principal is ${NAMESPACE}::OAuthUser,`,
                `  action == ${NAMESPACE}::Action::${cedarString(agentcoreActionId(t.target, tool.name))},`,
                `  resource == ${NAMESPACE}::Gateway::${cedarString(gatewayArn)}`,
                ")",
                "when {",
                "  principal.hasTag(\"scope\") && (",
                `    ${tokens.map(scopeHeld).join(" ||\n    ")}`,
                `  )${tenant}`,
                "};",
                "",
            ].join("\n");
            const bytes = Buffer.byteLength(statement);
            if (bytes > AGENTCORE_POLICY_LIMITS.statementBytes) {
                throw new ConfigError(`agentcore target ${t.target}: tool ${tool.name}.scopes`, `its policy has ${bytes} bytes; AgentCore allows ${AGENTCORE_POLICY_LIMITS.statementBytes} per policy: give the tool fewer or shorter scopes`);
            }
            total += bytes;
            const name = agentcorePolicyName(t.target, tool.name, prefix);
            if (names.has(name)) {
                throw new ConfigError(`agentcore target ${t.target}: tool ${tool.name}`, `its policy name ${name} is generated twice; rename the tool or the server`);
            }
            names.add(name);
            if (!NAME_PATTERN.test(name)) {
                throw new Error(`internal: generated policy name ${name} does not match ${NAME_PATTERN}`);
            }
            policies.push({
                name,
                description: `mcpsec: permits tool ${tool.name} of MCP server ${t.target} to tokens with the scope ${tool.scopes.join(" or ")} (generated from the approved tools manifest)`.slice(0, 4096),
                statement,
            });
        }
    }
    if (policies.length > AGENTCORE_POLICY_LIMITS.policiesPerEngine) {
        throw new ConfigError("agentcore tools", `${policies.length} tools need a policy each; a policy engine holds at most ${AGENTCORE_POLICY_LIMITS.policiesPerEngine}: put fewer tools behind one gateway`);
    }
    if (total > AGENTCORE_POLICY_LIMITS.totalBytes) {
        throw new ConfigError("agentcore tools", `the gateway's policies have ${total} bytes; AgentCore allows ${AGENTCORE_POLICY_LIMITS.totalBytes} per gateway: put fewer tools behind one gateway`);
    }
    return policies;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation with the Cedar library (what AgentCore's FAIL_ON_ANY_FINDINGS does at CreatePolicy, done at synth)
// ---------------------------------------------------------------------------------------------------------------

let cedar: typeof CedarWasm | undefined;

/** The Cedar library (WebAssembly, 4 MB), loaded on first use only: programs that never validate do not pay for it. */
export function cedarLibrary(): typeof CedarWasm {
    cedar ??= createRequire(__filename)("@cedar-policy/cedar-wasm/nodejs") as typeof CedarWasm;
    return cedar;
}

function firstMessage(errors: { message: string; help?: string | null }[]): string {
    const e = errors[0];
    return e === undefined ? "unknown error" : `${e.message}${e.help ? ` (${e.help})` : ""}`;
}

/** Which tool a statement is about, read from its action (also when the rest of it does not parse). */
function subjectOf(policy: { name?: string; statement: string }, index: number): string {
    const action = /AgentCore::Action::"((?:[^"\\]|\\.)*)"/.exec(policy.statement)?.[1];
    const [server, tool] = action?.split("___") ?? [];
    const what = tool !== undefined ? ` (server ${server}, tool ${tool})` : "";
    return `agentcore policy ${policy.name ?? `[${index}]`}${what}`;
}

/**
 * Validates policies against the schema with Cedar's strict validator, as AgentCore does with `FAIL_ON_ANY_FINDINGS`:
 * a syntax error, a type error (an attribute or action the schema does not have) or any validation warning throws a
 * ConfigError naming the policy, its server and tool, and Cedar's message.
 */
export function validateAgentcorePolicies(policies: { name?: string; statement: string }[], schema: string): void {
    const lib = cedarLibrary();
    const parsedSchema = lib.checkParseSchema(schema);
    if (parsedSchema.type === "failure") {
        throw new ConfigError("agentcore Cedar schema", `does not parse: ${firstMessage(parsedSchema.errors)}`);
    }
    const ids = new Map<string, number>();
    const staticPolicies: Record<string, string> = {};
    policies.forEach((p, i) => {
        const parsed = lib.checkParsePolicySet({ staticPolicies: { p: p.statement } });
        if (parsed.type === "failure") {
            throw new ConfigError(subjectOf(p, i), `is not a valid Cedar policy: ${firstMessage(parsed.errors)}`);
        }
        const id = p.name !== undefined && !ids.has(p.name) ? p.name : `policy${i}`;
        ids.set(id, i);
        staticPolicies[id] = p.statement;
    });
    const answer = lib.validate({ schema, policies: { staticPolicies }, validationSettings: { mode: "strict" } });
    if (answer.type === "failure") {
        throw new ConfigError("agentcore Cedar policies", `cannot be validated: ${firstMessage(answer.errors)}`);
    }
    const findings = [...answer.validationErrors, ...answer.validationWarnings];
    if (findings.length > 0) {
        const i = ids.get(findings[0].policyId) ?? -1;
        const same = findings.filter((f) => f.policyId === findings[0].policyId).map((f) => firstMessage([f.error]));
        throw new ConfigError(subjectOf(policies[i] ?? { statement: "" }, i), `fails validation against the AgentCore schema: ${same.join("; ")}`);
    }
    if (answer.otherWarnings.length > 0) {
        throw new ConfigError("agentcore Cedar policies", `validation warning: ${firstMessage(answer.otherWarnings)}`);
    }
}
