import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { AuthorizationServer, metadataUrl, protectedResourceMetadata, resolveAuthorizationServerArgs } from "../../components/identity";
import { ofType, one, synthComponent } from "../helpers";

const resources = [
    { name: "docs", url: "https://docs.mcp.example.com/mcp", scopes: ["docs:read"] },
    { name: "tickets", url: "https://tickets.mcp.example.com/mcp", scopes: ["tickets:read", "tickets:write"] },
];
const args = { resources, callbackUrls: ["http://localhost:33418/callback"], agents: [{ name: "triage", server: "tickets", scopes: ["tickets:read"] }] };

describe("AuthorizationServer", () => {
    let graph: ResourceGraph;
    let server: AuthorizationServer;
    let docs: Record<string, string>;
    beforeAll(async () => {
        graph = await synthComponent(() => {
            server = new AuthorizationServer("oauth", args);
        });
        docs = Object.fromEntries(await Promise.all(Object.entries(server.metadataDocuments).map(async ([k, v]) => [k, await new Promise<string>((r) => v.apply(r))])));
    });

    it("requires MFA, enforces threat protection, a strong password policy, admin-created users and deletion protection", () => {
        expect(one(graph, "aws:cognito/userPool:UserPool").inputs).toMatchObject({
            mfaConfiguration: "ON", softwareTokenMfaConfiguration: { enabled: true }, userPoolAddOns: { advancedSecurityMode: "ENFORCED" },
            passwordPolicy: { minimumLength: 14, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true, temporaryPasswordValidityDays: 1 },
            adminCreateUserConfig: { allowAdminCreateUserOnly: true }, deletionProtection: "ACTIVE", userPoolTier: "PLUS",
        });
    });

    it("makes each MCP server a resource server named by its URL with a scope per tool scope", () => {
        const servers = ofType(graph, "aws:cognito/resourceServer:ResourceServer");
        expect(servers.map((s) => [s.inputs.identifier, (s.inputs.scopes as { scopeName: string }[]).map((x) => x.scopeName)])).toEqual([
            ["https://docs.mcp.example.com/mcp", ["docs:read"]],
            ["https://tickets.mcp.example.com/mcp", ["tickets:read", "tickets:write"]],
        ]);
    });

    it("gives people a public code-flow client with short, rotating, revocable tokens", () => {
        const people = ofType(graph, "aws:cognito/userPoolClient:UserPoolClient").find((c) => c.name === "oauth-people")!;
        expect(people.inputs).toMatchObject({
            generateSecret: false, allowedOauthFlows: ["code"], explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
            accessTokenValidity: 15, idTokenValidity: 15, tokenValidityUnits: { accessToken: "minutes", idToken: "minutes", refreshToken: "hours" },
            refreshTokenValidity: 12, refreshTokenRotation: { feature: "ENABLED" }, enableTokenRevocation: true, preventUserExistenceErrors: "ENABLED",
        });
        expect(people.inputs.allowedOauthScopes).toEqual(["openid", "email", "https://docs.mcp.example.com/mcp/docs:read", "https://tickets.mcp.example.com/mcp/tickets:read", "https://tickets.mcp.example.com/mcp/tickets:write"]);
    });

    it("gives an agent a confidential client-credentials client for one server and only the scopes named", () => {
        const agent = ofType(graph, "aws:cognito/userPoolClient:UserPoolClient").find((c) => c.name === "oauth-agent-triage-tickets")!;
        expect(agent.inputs).toMatchObject({ generateSecret: true, allowedOauthFlows: ["client_credentials"], allowedOauthScopes: ["https://tickets.mcp.example.com/mcp/tickets:read"], accessTokenValidity: 15 });
        expect(agent.options.additionalSecretOutputs).toContain("clientSecret");
        expect(agent.outputs.clientSecret).toEqual(expect.objectContaining({ value: "[secret: not available offline]" }));
    });

    it("publishes RFC 9728 metadata matching the resource servers and scopes it created", () => {
        const pool = one(graph, "aws:cognito/userPool:UserPool");
        for (const r of resources) {
            const doc = JSON.parse(docs[r.name]);
            expect(Object.keys(doc).sort()).toEqual(["authorization_servers", "bearer_methods_supported", "resource", "resource_name", "scopes_supported"]);
            expect(doc.resource).toBe(r.url);
            expect(doc.authorization_servers).toEqual([`https://cognito-idp.eu-west-1.amazonaws.com/${pool.id}`]);
            expect(doc.scopes_supported).toEqual(r.scopes.map((s) => `${r.url}/${s}`));
            expect(doc.bearer_methods_supported).toEqual(["header"]);
            const rs = ofType(graph, "aws:cognito/resourceServer:ResourceServer").find((x) => x.inputs.identifier === r.url)!;
            expect(rs.outputs.scopeIdentifiers).toEqual(doc.scopes_supported);
        }
    });

    it.each([
        [{ accessTokenMinutes: 120 }, /accessTokenMinutes: 120 is not allowed; expected 5 to 60 minutes/],
        [{ accessTokenMinutes: 2 }, /accessTokenMinutes: 2/],
        [{ callbackUrls: [] }, /callbackUrls: \[\] is not allowed/],
        [{ callbackUrls: ["http://evil.example.com/cb"] }, /callbackUrls\[0\]: "http:\/\/evil.example.com\/cb" is not allowed; expected an https URI, or http on a loopback address/],
        [{ agents: [{ name: "bot", server: "nope" }] }, /agents\[0\].server: "nope" is not allowed; expected one of the servers: docs, tickets/],
        [{ agents: [{ name: "bot", server: "docs", scopes: ["tickets:write"] }] }, /agents\[0\].scopes: \["tickets:write"\] is not allowed; server docs offers docs:read/],
        [{ minimumPasswordLength: 8 }, /minimumPasswordLength: 8 is not allowed/],
    ])("rejects %j", (change, error) => {
        expect(() => resolveAuthorizationServerArgs("oauth", { ...args, ...change })).toThrow(error);
    });
});

describe("RFC 9728 helpers", () => {
    it("inserts the well-known segment between host and path", () => {
        expect(metadataUrl("https://docs.mcp.example.com/mcp")).toBe("https://docs.mcp.example.com/.well-known/oauth-protected-resource/mcp");
        expect(metadataUrl("https://docs.mcp.example.com/")).toBe("https://docs.mcp.example.com/.well-known/oauth-protected-resource");
    });

    it("builds the required members", () => {
        expect(protectedResourceMetadata("https://r", "https://issuer", ["a"])).toEqual({ resource: "https://r", authorization_servers: ["https://issuer"], scopes_supported: ["a"], bearer_methods_supported: ["header"] });
    });
});
