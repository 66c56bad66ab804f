import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
    AGENTCORE_POLICY_LIMITS, agentcoreActionId, agentcoreCedarPolicies, agentcoreCedarSchema, agentcorePolicyName,
    cedarLibrary, CedarTarget, validateAgentcorePolicies,
} from "../../components/agentcore/cedar";
import { ConfigError } from "../../components/common/errors";
import type { McpServerSpec } from "../../components/mcp/spec";

// The Cedar policies of the AgentCore variant, evaluated by the Cedar library itself (loaded once for this file) on
// the tools of every example server in stacks/.

const STACKS = path.resolve(__dirname, "../../stacks");
const GATEWAY = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/mcpsec-dev-a1b2c3d4e5";
const OTHER_GATEWAY = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/other-f6g7h8i9j0";
const resourceOf = (server: string) => `https://mcp.example.test/${server}/mcp`;

/** The example stacks' servers as gateway targets (from the stack files: no tool list is written here). */
function exampleStacks(): { stack: string; targets: CedarTarget[] }[] {
    return fs.readdirSync(STACKS).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => {
        const config = (parse(fs.readFileSync(path.join(STACKS, f), "utf8")) as { config?: Record<string, unknown> }).config ?? {};
        const servers = (config["mcpsec:servers"] ?? []) as McpServerSpec[];
        return {
            stack: f.replace(/^Pulumi\.|\.yaml$/g, ""),
            targets: servers.map((s) => ({ target: s.name, resource: resourceOf(s.name), ...(s.tenantClaim ? { tenantClaim: s.tenantClaim } : {}), tools: s.tools.map((t) => ({ name: t.name, scopes: t.scopes, inputSchema: t.inputSchema })) })),
        };
    }).filter((s) => s.targets.length > 0);
}

/** A value of each required argument, so that the request also validates against the generated schema. */
function sample(schema: unknown): unknown {
    const s = (schema ?? {}) as { type?: string; properties?: Record<string, unknown>; required?: string[]; items?: unknown; enum?: unknown[] };
    if (s.enum !== undefined) {
        return s.enum[0];
    }
    switch (s.type) {
        case "string": return "x";
        case "integer": return 1;
        case "boolean": return true;
        case "number": return { __extn: { fn: "decimal", arg: "1.0" } };
        case "array": return [];
        default: return Object.fromEntries((s.required ?? []).filter((k) => s.properties?.[k] !== undefined).map((k) => [k, sample(s.properties![k])]));
    }
}

interface Call { target: string; tool: string; scope?: string; gateway?: string; input?: unknown; tags?: Record<string, string> }

// The schema and policy set are parsed once each (Cedar's stateful API) and reused by every request on them.
const preparsed = new Map<string, string>();
function preparse(kind: "schema" | "policies", text: string): string {
    let id = preparsed.get(`${kind}\u0000${text}`);
    if (id === undefined) {
        id = `${kind}${preparsed.size}`;
        const lib = cedarLibrary();
        const answer = kind === "schema" ? lib.preparseSchema(id, text) : lib.preparsePolicySet(id, { staticPolicies: text });
        if (answer.type !== "success") {
            throw new Error(`Cedar could not parse the ${kind}: ${answer.errors.map((e) => e.message).join("; ")}`);
        }
        preparsed.set(`${kind}\u0000${text}`, id);
    }
    return id;
}

function decide(targets: CedarTarget[], call: Call, policies = agentcoreCedarPolicies(targets, GATEWAY), schema = agentcoreCedarSchema(targets)): string {
    const tool = targets.find((t) => t.target === call.target)?.tools.find((t) => t.name === call.tool);
    const answer = cedarLibrary().statefulIsAuthorized({
        principal: { type: "AgentCore::OAuthUser", id: "user-1" },
        action: { type: "AgentCore::Action", id: agentcoreActionId(call.target, call.tool) },
        resource: { type: "AgentCore::Gateway", id: call.gateway ?? GATEWAY },
        context: { input: (call.input ?? sample(tool?.inputSchema)) as Record<string, never> },
        ...(tool !== undefined ? { preparsedSchemaName: preparse("schema", schema), validateRequest: true } : {}),
        preparsedPolicySetId: preparse("policies", policies.map((p) => p.statement).join("\n")),
        entities: [{
            uid: { type: "AgentCore::OAuthUser", id: "user-1" },
            attrs: { id: "user-1" },
            parents: [],
            tags: { ...(call.scope === undefined ? {} : { scope: call.scope }), ...call.tags },
        }],
    });
    if (answer.type !== "success") {
        throw new Error(`Cedar could not decide: ${answer.errors.map((e) => e.message).join("; ")}`);
    }
    expect(answer.response.diagnostics.errors).toEqual([]);
    return answer.response.decision;
}

const stacks = exampleStacks();

describe("the example servers' tools under the generated policies (Cedar isAuthorized)", () => {
    it("finds the example stacks' servers", () => {
        expect(stacks.map((s) => s.stack)).toEqual(expect.arrayContaining(["api-gateway-dev", "security-zone-dev"]));
    });

    for (const { stack, targets } of stacks) {
        describe(stack, () => {
            const schema = agentcoreCedarSchema(targets);
            const policies = agentcoreCedarPolicies(targets, GATEWAY);

            it("validates against the schema (strict, no findings)", () => {
                expect(() => validateAgentcorePolicies(policies, schema)).not.toThrow();
            });

            for (const t of targets) {
                for (const tool of t.tools) {
                    const full = (s: string) => `${t.resource}/${s}`;
                    const tags = t.tenantClaim === undefined ? {} : { [t.tenantClaim]: "tenant-a" };
                    const d = (scope: string | undefined, extra: Partial<Call> = {}) => decide(targets, { target: t.target, tool: tool.name, scope, tags, ...extra }, policies, schema);
                    it(`${t.target}/${tool.name}: a token with one of its scopes is allowed`, () => {
                        for (const s of tool.scopes) {
                            expect(d(full(s))).toBe("allow");
                            expect(d(`openid ${full(s)} email`)).toBe("allow");
                            expect(d(`${full(s)} profile`)).toBe("allow");
                            expect(d(`profile ${full(s)}`)).toBe("allow");
                        }
                    });
                    it(`${t.target}/${tool.name}: other scopes, look-alike scopes, no scope and another gateway are denied`, () => {
                        for (const s of tool.scopes) {
                            expect(d(full(`${s}x`))).toBe("deny");
                            expect(d(full(`${s}-all`))).toBe("deny");
                            expect(d(`x${full(s)}`)).toBe("deny");
                            expect(d(`openid ${full(s)}-all email`)).toBe("deny");
                            expect(d(`openid x${full(s)} email`)).toBe("deny");
                            expect(d(s)).toBe("deny"); // the scope name without this server's resource identifier
                            expect(d(`${resourceOf("another-server")}/${s}`)).toBe("deny"); // the same scope of another server
                            expect(d(`["${full(s)}"]`)).toBe("deny"); // an array claim (JSON text): not the Cognito form, not matched
                            expect(d(full(s), { gateway: OTHER_GATEWAY })).toBe("deny");
                        }
                        expect(d(full("tools:admin"))).toBe("deny");
                        expect(d("")).toBe("deny");
                        expect(d(undefined)).toBe("deny");
                    });
                }
            }
        });
    }

    it("a token for one server's tool does not reach a tool of another server with the same scope name", () => {
        const targets: CedarTarget[] = [
            { target: "alpha", resource: resourceOf("alpha"), tools: [{ name: "read", scopes: ["data:read"], inputSchema: { type: "object" } }] },
            { target: "beta", resource: resourceOf("beta"), tools: [{ name: "read", scopes: ["data:read"], inputSchema: { type: "object" } }] },
        ];
        expect(decide(targets, { target: "alpha", tool: "read", scope: `${resourceOf("alpha")}/data:read` })).toBe("allow");
        expect(decide(targets, { target: "beta", tool: "read", scope: `${resourceOf("alpha")}/data:read` })).toBe("deny");
    });
});

describe("agentcoreCedarPolicies", () => {
    const one = (scopes: string[], extra: Partial<CedarTarget> = {}): CedarTarget[] => [
        { target: "docs-search", tools: [{ name: "search_docs", scopes, inputSchema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] } }], ...extra },
    ];

    it("generates no permit for a tool without scopes, so it is denied to every token (default deny, as the guard)", () => {
        const targets = one([]);
        expect(agentcoreCedarPolicies(targets, GATEWAY)).toEqual([]);
        expect(decide(targets, { target: "docs-search", tool: "search_docs", scope: "docs:read" })).toBe("deny");
    });

    it("generates no blanket permit: every statement names one action, this gateway and a scope condition", () => {
        for (const { targets } of stacks) {
            for (const p of agentcoreCedarPolicies(targets, GATEWAY)) {
                expect(p.statement).toMatch(/^permit \(\n {2}principal is AgentCore::OAuthUser,\n {2}action == AgentCore::Action::"[^"]+___[^"]+",\n {2}resource == AgentCore::Gateway::"arn:[^"]+"\n\)\nwhen \{\n {2}principal\.hasTag\("scope"\) && \(/);
                expect(p.statement).not.toMatch(/\bforbid\b|action,|resource,|resource\s*\)/);
            }
        }
    });

    it("denies a tool the manifest does not have", () => {
        expect(decide(one(["docs:read"]), { target: "docs-search", tool: "delete_docs", scope: "docs:read", input: {} })).toBe("deny");
    });

    it("requires the tenant claim of a multi-tenant server, as its guard does", () => {
        const targets = one(["docs:read"], { tenantClaim: "custom:tenant" });
        const d = (tags?: Record<string, string>) => decide(targets, { target: "docs-search", tool: "search_docs", scope: "docs:read", tags });
        expect(d({ "custom:tenant": "acme" })).toBe("allow");
        expect(d()).toBe("deny");
        expect(d({ "custom:tenant": "" })).toBe("deny");
        expect(d({ tenant: "acme" })).toBe("deny");
        expect(() => agentcoreCedarPolicies(one(["a"], { tenantClaim: "bad claim" }), GATEWAY)).toThrow(/tenantClaim: "bad claim" is not allowed/);
    });

    it("matches a scope literally: '*' in a scope matches only '*'", () => {
        const targets = one(["docs:*"]);
        expect(decide(targets, { target: "docs-search", tool: "search_docs", scope: "docs:*" })).toBe("allow");
        expect(decide(targets, { target: "docs-search", tool: "search_docs", scope: "docs:read" })).toBe("deny");
        expect(decide(targets, { target: "docs-search", tool: "search_docs", scope: "a docs:read b" })).toBe("deny");
    });

    it("matches the scopes as written when the target has no resource identifier", () => {
        const targets = one(["docs:read", "docs:admin"]);
        expect(decide(targets, { target: "docs-search", tool: "search_docs", scope: "docs:admin" })).toBe("allow");
        expect(decide(targets, { target: "docs-search", tool: "search_docs", scope: "openid docs:read" })).toBe("allow");
        expect(decide(targets, { target: "docs-search", tool: "search_docs", scope: "docs:reader" })).toBe("deny");
    });

    it("names policies by AWS's pattern, uniquely and stably", () => {
        const targets: CedarTarget[] = [
            { target: "docs-search", tools: [{ name: "get_page", scopes: ["a"], inputSchema: {} }, { name: "get.page", scopes: ["a"], inputSchema: {} }] },
            { target: "docs", tools: [{ name: "search_get_page", scopes: ["a"], inputSchema: {} }] },
            { target: "9lives", tools: [{ name: "t".repeat(64), scopes: ["a"], inputSchema: {} }] },
        ];
        const names = agentcoreCedarPolicies(targets, GATEWAY).map((p) => p.name);
        expect(new Set(names).size).toBe(4);
        for (const n of names) {
            expect(n).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
            expect(n.length).toBeLessThanOrEqual(AGENTCORE_POLICY_LIMITS.nameLength);
        }
        expect(agentcoreCedarPolicies(targets, OTHER_GATEWAY).map((p) => p.name)).toEqual(names); // independent of the ARN
        expect(agentcorePolicyName("docs-search", "search_docs")).toBe("docs_search_search_docs_520872fa"); // stable across runs
        expect(agentcorePolicyName("docs-search", "search_docs", "prod")).toMatch(/^prod_docs_search_search_docs_[0-9a-f]{8}$/);
        expect(agentcorePolicyName("docs-search", "search_docs", "prod")).not.toBe(agentcorePolicyName("docs-search", "search_docs", "dev"));
    });

    it("refuses bad input with a ConfigError naming it", () => {
        expect(() => agentcoreCedarPolicies(one(["docs read"]), GATEWAY)).toThrow(/tool search_docs\.scopes\[0\].*"docs read" is not allowed/);
        expect(() => agentcoreCedarPolicies([...one(["a"]), ...one(["b"])], GATEWAY)).toThrow(/targets\[1\]\.target.*"docs-search"/);
        expect(() => agentcoreCedarPolicies(one(["a"], { target: "docs search" }), GATEWAY)).toThrow(ConfigError);
        expect(() => agentcoreCedarPolicies(one(["a"], { target: "docs--search" }), GATEWAY)).toThrow(/"docs--search" is not allowed; expected a gateway target name/);
        expect(() => agentcoreCedarPolicies(one(["a"]), "")).toThrow(/gatewayArn/);
        const long = Array.from({ length: 16 }, (_, i) => `scope${i}:${"s".repeat(120)}`);
        expect(() => agentcoreCedarPolicies(one(long, { resource: `https://${"h".repeat(60)}.example.com/docs-search/mcp` }), GATEWAY))
            .toThrow(/tool search_docs\.scopes: its policy has \d+ bytes; AgentCore allows 10000/);
    });
});

describe("agentcoreCedarSchema", () => {
    it("types context.input from the tool's input schema as AWS documents (and leaves out what has no Cedar type)", () => {
        const schema = agentcoreCedarSchema([{
            target: "t", tools: [{
                name: "x", scopes: ["s"], inputSchema: {
                    type: "object",
                    required: ["s", "o"],
                    properties: {
                        s: { type: "string" }, i: { type: "integer" }, b: { type: "boolean" }, n: { type: "number" }, e: { enum: ["a", "b"] },
                        a: { type: "array", items: { type: "integer" } }, o: { type: "object", properties: { k: { type: "string" } }, required: ["k"] },
                        u: { anyOf: [{ type: "string" }, { type: "integer" }] }, nul: { type: "null" }, multi: { type: ["string", "null"] }, bare: { type: "array" },
                        "we\"ird": { type: "string" },
                    },
                },
            }],
        }]);
        expect(schema).toContain('action "t___x" in [Action::"CallTool"] appliesTo');
        expect(schema).toContain('"input": { "a"?: Set<Long>, "b"?: Bool, "e"?: String, "i"?: Long, "n"?: decimal, "o": { "k": String }, "s": String, "we\\"ird"?: String }');
        expect(cedarLibrary().checkParseSchema(schema).type).toBe("success");
    });
});

describe("validateAgentcorePolicies", () => {
    const targets = stacks.find((s) => s.stack === "api-gateway-dev")!.targets;
    const schema = agentcoreCedarSchema(targets);
    const policies = agentcoreCedarPolicies(targets, GATEWAY);
    const [first] = policies;
    const [server, tool] = [targets[0].target, targets[0].tools[0].name];

    it("fails a policy with a syntax error, naming its server and tool and Cedar's message", () => {
        const broken = [...policies.slice(1), { ...first, statement: first.statement.replace("when {", "when (") }];
        expect(() => validateAgentcorePolicies(broken, schema)).toThrow(ConfigError);
        expect(() => validateAgentcorePolicies(broken, schema)).toThrow(new RegExp(`agentcore policy ${first.name} \\(server ${server}, tool ${tool}\\).*is not a valid Cedar policy: .+`));
    });

    it("fails a policy that reads an attribute the schema does not have", () => {
        const wrong = [{ ...first, statement: first.statement.replace('principal.hasTag("scope") &&', 'principal.hasTag("scope") && context.input.department == "finance" &&') }];
        expect(() => validateAgentcorePolicies(wrong, schema)).toThrow(new RegExp(`server ${server}, tool ${tool}\\).*fails validation against the AgentCore schema: .*department`));
        const attribute = [{ ...first, statement: first.statement.replace('principal.hasTag("scope") &&', 'principal.hasTag("scope") && principal.department == "finance" &&') }];
        expect(() => validateAgentcorePolicies(attribute, schema)).toThrow(/fails validation against the AgentCore schema: .*department/);
    });

    it("fails a policy on an action the schema does not have", () => {
        const unknown = [{ ...first, statement: first.statement.replace(`___${tool}"`, "___not_a_tool\"") }];
        expect(() => validateAgentcorePolicies(unknown, schema)).toThrow(/tool not_a_tool\).*fails validation/);
    });

    it("fails a schema that does not parse", () => {
        expect(() => validateAgentcorePolicies(policies, schema.replace("entity Gateway;", "entity Gateway"))).toThrow(/agentcore Cedar schema: does not parse/);
    });
});
