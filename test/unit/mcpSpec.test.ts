import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/common/errors";
import { McpServerSpec, toolDigest, validateMcpServerSpec } from "../../components/mcp";
import { runtimeDescription } from "../../components/mcp/approval";

const tool = { name: "get_page", description: "Returns one page.", inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] }, scopes: ["docs:read"] };
const spec: McpServerSpec = {
    name: "docs",
    image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"b".repeat(64)}`,
    port: 8080,
    tools: [{ ...tool, sha256: toolDigest(tool) }],
};

describe("toolDigest", () => {
    it("ignores key order and formatting but not content", () => {
        const reordered = { inputSchema: { required: ["path"], properties: { path: { type: "string" } }, type: "object" }, description: tool.description, name: tool.name };
        expect(toolDigest(reordered)).toBe(toolDigest(tool));
        expect(toolDigest({ ...tool, description: "Returns one page. " })).not.toBe(toolDigest(tool));
        expect(toolDigest({ ...tool, inputSchema: { ...tool.inputSchema, additionalProperties: true } })).not.toBe(toolDigest(tool));
        expect(toolDigest(tool)).toMatch(/^[a-f0-9]{64}$/);
    });
});

describe("validateMcpServerSpec", () => {
    it("fills in secure defaults", () => {
        const r = validateMcpServerSpec(spec);
        expect(r).toMatchObject({ transport: "streamable-http", path: "/mcp", cpu: 256, memory: 512, user: "65532:65532", allowMutableImageTag: false, egress: [], desiredCount: 2 });
    });

    it("accepts allowUndeclaredArguments naming the server's own tools only, none by default", () => {
        expect(validateMcpServerSpec(spec).allowUndeclaredArguments).toEqual([]);
        const name = spec.tools[0].name;
        expect(validateMcpServerSpec({ ...spec, allowUndeclaredArguments: [name] }).allowUndeclaredArguments).toEqual([name]);
        expect(() => validateMcpServerSpec({ ...spec, allowUndeclaredArguments: ["nope"] })).toThrow(/server.allowUndeclaredArguments\[0\]: "nope" is not allowed; expected the name of one of the server's tools/);
    });

    it("takes tenantClaim (a multi-tenant server) as a claim name, none by default, and signs it only when set", () => {
        expect(validateMcpServerSpec(spec).tenantClaim).toBeUndefined();
        const multi = validateMcpServerSpec({ ...spec, tenantClaim: "custom:tenant" });
        expect(multi.tenantClaim).toBe("custom:tenant");
        expect(() => validateMcpServerSpec({ ...spec, tenantClaim: "tenant id" })).toThrow(/server.tenantClaim: "tenant id" is not allowed; expected the name of the token claim that carries the tenant/);
        expect(runtimeDescription(validateMcpServerSpec(spec))).not.toHaveProperty("tenantClaim");
        expect(runtimeDescription(multi)).toMatchObject({ tenantClaim: "custom:tenant" });
    });

    it("accepts a tag only with the explicit opt-out", () => {
        const tagged = { ...spec, image: "ghcr.io/acme/docs:1.4.2" };
        expect(() => validateMcpServerSpec(tagged)).toThrow(/server.image: "ghcr.io\/acme\/docs:1.4.2" is not allowed; expected an image pinned by digest/);
        expect(validateMcpServerSpec({ ...tagged, allowMutableImageTag: true }).image).toBe("ghcr.io/acme/docs:1.4.2");
    });

    it.each([
        [{ cpu: 256, memory: 4096 }, "server.memory", /4096 is not allowed with cpu 256; Fargate offers 512, 1024, 2048 MiB/],
        [{ cpu: 300 }, "server.cpu", /300 is not allowed; expected one of the Fargate CPU sizes/],
        [{ environment: { GITHUB_TOKEN: "ghp_x" } }, "server.environment.GITHUB_TOKEN", /put it in secrets/],
        [{ environment: { "bad-name": "x" } }, "server.environment.bad-name", /expected an environment variable name/],
        [{ secrets: { DB: "arn:aws:s3:::bucket" } }, "server.secrets.DB", /expected a Secrets Manager secret ARN/],
        [{ environment: { DB: "x" }, secrets: { DB: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf" } }, "server.secrets.DB", /also set in environment/],
        [{ egress: ["https://api.example.com"] }, "server.egress[0]", /expected a domain name/],
        [{ user: "0" }, "server.user", /non-root uid/],
        [{ tools: [{ ...spec.tools[0], inputSchema: { type: "string" } }] }, "server.tools[0].inputSchema.type", /expected "object"/],
        [{ tools: [{ ...spec.tools[0], inputSchema: { type: "object", properties: { a: { type: "strnig" } } } }] }, "server.tools[0].inputSchema.properties.a.type", /not a valid JSON Schema/],
        [{ tools: [{ ...spec.tools[0], sha256: "0".repeat(64) }] }, "server.tools[0].sha256", /does not match tool "get_page", whose description and input schema hash to [a-f0-9]{64}/],
        [{ tools: [{ ...spec.tools[0], scopes: undefined }] }, "server.tools[0].scopes", /is required but missing/],
        [{ transport: "sse" }, "server.transport", /"sse" is not allowed; expected streamable-http/],
    ])("rejects %j", (change, key, message) => {
        try {
            validateMcpServerSpec({ ...spec, ...change });
        } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
            expect((e as ConfigError).key).toBe(key);
            expect((e as Error).message).toMatch(message);
            return;
        }
        throw new Error("expected a ConfigError");
    });

    it.each([
        ["*.com", /expected a domain name/],
        ["*.co.uk", /every name under a public suffix \(co.uk\)/],
        ["*.ngrok.io", /every name under a public suffix \(ngrok.io\)/],
        ["*.amazonaws.com", /every host of every customer under amazonaws.com/],
        ["*.eu-west-1.amazonaws.com", /every host of every customer under amazonaws.com/],
    ])("refuses the egress wildcard %s, which admits more than one owner's names", (domain, reason) => {
        expect(() => validateMcpServerSpec({ ...spec, egress: ["api.example.com", domain] }, "server")).toThrow(reason);
        expect(() => validateMcpServerSpec({ ...spec, egress: ["api.example.com", domain] }, "server")).toThrow(/server\.egress\[1\]: .* is not allowed/);
    });

    it("accepts exact hosts and wildcards inside one registrable domain", () => {
        expect(validateMcpServerSpec({ ...spec, egress: ["api.atlassian.com", "*.atlassian.net", "s3.amazonaws.com"] }).egress).toEqual(["api.atlassian.com", "*.atlassian.net", "s3.amazonaws.com"]);
    });

    it("accepts a valid opt-in of every optional field", () => {
        const full = validateMcpServerSpec({
            ...spec, cpu: 1024, memory: 3072, path: "/v1/mcp", environment: { LOG_LEVEL: "info" },
            secrets: { API_TOKEN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:docs/api-AbCdEf" }, egress: ["api.github.com", "*.atlassian.net"],
        });
        expect(full.secrets.API_TOKEN).toContain(":secret:docs/api-");
    });
});
