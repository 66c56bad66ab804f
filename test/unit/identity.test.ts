import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { AuthorizationServer, metadataUrl, protectedResourceMetadata, resolveAuthorizationServerArgs, scopeGroups, scopeTriggerSource } from "../../components/identity";
import { ofType, one, synthComponent } from "../helpers";

const resources = [
    { name: "docs", url: "https://docs.mcp.example.com/mcp", scopes: ["docs:read"] },
    { name: "tickets", url: "https://tickets.mcp.example.com/mcp", scopes: ["tickets:read", "tickets:write"] },
];
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const args = { resources, callbackUrls: ["http://localhost:33418/callback"], agents: [{ name: "triage", server: "tickets", scopes: ["tickets:read"] }], logKmsKeyArn: KEY };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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
        // Cognito refuses ALLOW_REFRESH_TOKEN_AUTH on a client that rotates refresh tokens: it must not be listed.
        expect(people.inputs.explicitAuthFlows).not.toContain("ALLOW_REFRESH_TOKEN_AUTH");
        expect(people.inputs).toMatchObject({
            generateSecret: false, allowedOauthFlows: ["code"], explicitAuthFlows: ["ALLOW_USER_SRP_AUTH"],
            accessTokenValidity: 15, idTokenValidity: 15, tokenValidityUnits: { accessToken: "minutes", idToken: "minutes", refreshToken: "hours" },
            refreshTokenValidity: 12, refreshTokenRotation: { feature: "ENABLED", retryGracePeriodSeconds: 0 }, enableTokenRevocation: true, preventUserExistenceErrors: "ENABLED",
        });
        expect(people.inputs.allowedOauthScopes).toEqual(["openid", "email", "https://docs.mcp.example.com/mcp/docs:read", "https://tickets.mcp.example.com/mcp/tickets:read", "https://tickets.mcp.example.com/mcp/tickets:write"]);
    });

    it("gives an agent a confidential client-credentials client for one server and only the scopes named", () => {
        const agent = ofType(graph, "aws:cognito/userPoolClient:UserPoolClient").find((c) => c.name === "oauth-agent-triage-tickets")!;
        expect(agent.inputs).toMatchObject({ generateSecret: true, allowedOauthFlows: ["client_credentials"], allowedOauthScopes: ["https://tickets.mcp.example.com/mcp/tickets:read"], accessTokenValidity: 15 });
        expect(agent.options.additionalSecretOutputs).toContain("clientSecret");
        expect(agent.outputs.clientSecret).toEqual(expect.objectContaining({ value: "[secret: not available offline]" }));
    });

    it("serves managed login (version 2) with a branding style assigned to the people client", () => {
        const domain = one(graph, "aws:cognito/userPoolDomain:UserPoolDomain");
        expect(domain.inputs.managedLoginVersion).toBe(2);
        const people = ofType(graph, "aws:cognito/userPoolClient:UserPoolClient").find((c) => c.name === "oauth-people")!;
        const branding = one(graph, "aws:cognito/managedLoginBranding:ManagedLoginBranding");
        expect(branding.inputs).toMatchObject({ clientId: people.id, userPoolId: one(graph, "aws:cognito/userPool:UserPool").id, useCognitoProvidedValues: true });
    });

    it("gives people only the scopes of their groups: a group per server and scope, a V2_0 pre-token trigger on a Plus pool", () => {
        const pool = one(graph, "aws:cognito/userPool:UserPool");
        const fn = one(graph, "aws:lambda/function:Function");
        expect(pool.inputs.userPoolTier).toBe("PLUS");
        expect(pool.inputs.lambdaConfig).toEqual({ preTokenGenerationConfig: { lambdaArn: fn.outputs.arn, lambdaVersion: "V2_0" } });
        expect(ofType(graph, "aws:cognito/userGroup:UserGroup").map((g) => [g.inputs.name, g.inputs.userPoolId])).toEqual([
            ["docs/docs:read", pool.id], ["tickets/tickets:read", pool.id], ["tickets/tickets:write", pool.id],
        ]);
        expect(server.scopeGroups["tickets/tickets:write"]).toBe("https://tickets.mcp.example.com/mcp/tickets:write");
        expect(one(graph, "aws:lambda/permission:Permission").inputs).toMatchObject({ action: "lambda:InvokeFunction", function: fn.outputs.name, principal: "cognito-idp.amazonaws.com", sourceArn: pool.outputs.arn, sourceAccount: "123456789012" });
    });

    it("hardens the trigger: own role (its logs, X-Ray), encrypted log group with retention, active tracing", () => {
        const fn = one(graph, "aws:lambda/function:Function");
        const group = one(graph, "aws:cloudwatch/logGroup:LogGroup");
        expect(group.inputs).toMatchObject({ name: `/aws/lambda/${fn.inputs.name}`, kmsKeyId: KEY, retentionInDays: 365 });
        expect(fn.inputs).toMatchObject({ tracingConfig: { mode: "Active" }, loggingConfig: { logFormat: "JSON", logGroup: group.outputs.name }, runtime: "nodejs22.x" });
        const role = one(graph, "aws:iam/role:Role");
        expect(fn.inputs.role).toBe(role.outputs.arn);
        expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Principal).toEqual({ Service: "lambda.amazonaws.com" });
        const statements = JSON.parse(one(graph, "aws:iam/rolePolicy:RolePolicy").inputs.policy as string).Statement as Json[];
        expect(statements.map((x) => [x.Action, x.Resource])).toEqual([
            [["logs:CreateLogStream", "logs:PutLogEvents"], `${group.outputs.arn}:log-stream:*`],
            [["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"],
        ]);
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
        [{ agents: [{ name: "bot", server: "docs" }] }, /agents\[0\].scopes: undefined is not allowed; name the scopes of server docs the agent may request \(docs:read\)/],
        [{ agents: [{ name: "bot", server: "docs", scopes: [] }] }, /agents\[0\].scopes: \[\] is not allowed/],
        [{ resources: [{ name: "docs", url: "https://d/mcp", scopes: ["a:b", "a/b"] }], agents: [] }, /differ only in punctuation/],
    ])("rejects %j", (change, error) => {
        expect(() => resolveAuthorizationServerArgs("oauth", { ...args, ...change } as typeof args)).toThrow(error);
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

describe("scope trigger (pre-token generation V2_0)", () => {
    let handler: (event: Json) => Promise<Json>;
    beforeAll(async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-")), "index.mjs");
        fs.writeFileSync(file, scopeTriggerSource(scopeGroups(resources)));
        handler = (await import(pathToFileURL(file).href)).handler;
    });
    const all = ["openid", "email", "https://docs.mcp.example.com/mcp/docs:read", "https://tickets.mcp.example.com/mcp/tickets:read", "https://tickets.mcp.example.com/mcp/tickets:write"];
    const event = (groups: string[] | undefined, scopes = all): Json => ({
        version: "2", triggerSource: "TokenGeneration_HostedAuth", userName: "alice", callerContext: { clientId: "people" },
        request: { scopes, ...(groups ? { groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [] } } : {}) }, response: {},
    });
    const suppressed = async (e: Json) => (await handler(e)).response.claimsAndScopeOverrideDetails.accessTokenGeneration.scopesToSuppress;

    it("keeps the scopes the person's groups grant and removes every other custom scope", async () => {
        expect(await suppressed(event(["tickets/tickets:read"]))).toEqual(["https://docs.mcp.example.com/mcp/docs:read", "https://tickets.mcp.example.com/mcp/tickets:write"]);
        expect(await suppressed(event(["docs/docs:read", "tickets/tickets:read", "tickets/tickets:write"]))).toEqual([]);
    });

    it("fails closed: no groups (or unknown ones) means no MCP scope, standard scopes pass", async () => {
        expect(await suppressed(event(undefined))).toEqual(all.slice(2));
        expect(await suppressed(event(["admins"]))).toEqual(all.slice(2));
        expect(await suppressed(event([], ["openid", "https://elsewhere.example.com/api/write"]))).toEqual(["https://elsewhere.example.com/api/write"]);
    });
});
