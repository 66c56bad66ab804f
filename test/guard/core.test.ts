// The guard's pure parts and its start-up: settings refused with the variable named, fail closed on a missing or
// foreign manifest, defaults that match the blueprints (methods, RFC 9728 URL, alert contract), DLP classes, HTTPS.
import { readFileSync } from "fs";
import * as https from "https";
import { describe, expect, it, vi } from "vitest";
import { Audit, stdoutSink } from "../../guard/src/audit";
import { findCredentialValues } from "../../components/common/credentials";
import { metadataUrl as componentsMetadataUrl } from "../../components/identity/protectedResource";
import { Dlp } from "../../guard/src/core/dlp";
import { startGuard } from "../../guard/src/main";
import { DEFAULT_METHODS, loadSettings, metadataUrl, SettingsError } from "../../guard/src/settings";
import { manifestFor } from "./issuer";

const RESOURCE = "https://tickets.mcp.example.com/mcp";
const base = {
    GUARD_SERVER_NAME: "tickets", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
    GUARD_CLIENT_IDS: "client-a", GUARD_UPSTREAM_URL: "http://127.0.0.1:8080/mcp", GUARD_MANIFEST: manifestFor({ name: "tickets", url: RESOURCE }, []),
    GUARD_LISTEN_HOST: "127.0.0.1", GUARD_LISTEN_PORT: "0", GUARD_REVERIFY_SECONDS: "0",
};

function settingsError(env: Record<string, string | undefined>): SettingsError {
    try {
        loadSettings(env);
    } catch (e) {
        return e as SettingsError;
    }
    throw new Error("accepted");
}

describe("settings", () => {
    it("fills secure defaults from the resource and issuer", () => {
        const s = loadSettings(base);
        expect(s.jwksUrl).toBe("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json");
        expect(s.algorithms).toEqual(["RS256"]);
        expect(s.tokenUse).toBe("access");
        expect(s.allowedHosts).toEqual(["tickets.mcp.example.com"]);
        expect(s.allowedOrigins).toEqual([]);
        expect(s.tls.mode).toBe("self-signed");
        expect(s.mcpPath).toBe("/mcp");
        expect(s.dlpMode).toBe("redact");
        expect(s.heartbeatSeconds).toBe(60);
        expect(loadSettings({ ...base, GUARD_HEARTBEAT_SECONDS: "240" }).heartbeatSeconds).toBe(240);
    });

    it.each([
        [{ GUARD_CLIENT_IDS: undefined }, "GUARD_CLIENT_IDS"],
        [{ GUARD_UPSTREAM_URL: "http://10.0.0.5:8080/mcp" }, "GUARD_UPSTREAM_URL"],
        [{ GUARD_ALGORITHMS: "RS256,HS256" }, "GUARD_ALGORITHMS"],
        [{ GUARD_ALGORITHMS: "none" }, "GUARD_ALGORITHMS"],
        [{ GUARD_ISSUER: "http://issuer.example.com" }, "GUARD_ISSUER"],
        [{ GUARD_MANIFEST: undefined }, "GUARD_MANIFEST"],
        [{ GUARD_DLP_MODE: "off" }, "GUARD_DLP_MODE"],
        [{ GUARD_DLP_PII: "email,passport" }, "GUARD_DLP_PII"],
        [{ GUARD_ALLOWED_ORIGINS: "https://app.example.com/path" }, "GUARD_ALLOWED_ORIGINS"],
        [{ GUARD_METHODS: "tools/call" }, "GUARD_METHODS"],
        [{ GUARD_MAX_BODY_BYTES: "10" }, "GUARD_MAX_BODY_BYTES"],
        // Longer than the 5-minute period of the heartbeat alarm, or so short it floods the group.
        [{ GUARD_HEARTBEAT_SECONDS: "300" }, "GUARD_HEARTBEAT_SECONDS"],
        [{ GUARD_HEARTBEAT_SECONDS: "5" }, "GUARD_HEARTBEAT_SECONDS"],
    ])("refuses %j naming %s", (change, variable) => {
        const e = settingsError({ ...base, ...change });
        expect(e).toBeInstanceOf(SettingsError);
        expect(e.variable).toBe(variable);
        expect(e.message).toMatch(/not allowed|required/);
    });

    it("admits by default exactly the methods of the settings it loads, and computes the RFC 9728 URL as the identity block does", () => {
        expect(loadSettings(base).methods).toEqual([...DEFAULT_METHODS]);
        expect(metadataUrl(RESOURCE)).toBe(componentsMetadataUrl(RESOURCE));
    });

    it("writes denials in the shape the McpAlerts metric filter counts", () => {
        const alerts = readFileSync(require.resolve("../../components/observability/alerts.ts"), "utf8");
        expect(alerts).toContain('pattern: "{ $.event = \\"tool_call_denied\\" }"');
    });
});

describe("start-up fails closed", () => {
    it("refuses to start without a readable manifest, or with one for another server", async () => {
        await expect(startGuard({ ...base, GUARD_MANIFEST: undefined, GUARD_MANIFEST_FILE: "/nonexistent/manifest.json", GUARD_TLS: "off" })).rejects.toThrow(/GUARD_MANIFEST_FILE: cannot read/);
        await expect(startGuard({ ...base, GUARD_MANIFEST: "{not json", GUARD_TLS: "off" })).rejects.toThrow(/not valid JSON/);
        await expect(startGuard({ ...base, GUARD_MANIFEST: manifestFor({ name: "billing", url: RESOURCE }, []), GUARD_TLS: "off" })).rejects.toThrow(/for server "billing"/);
        await expect(startGuard({ ...base, GUARD_MANIFEST: JSON.stringify({ version: 1, server: { name: "tickets", url: RESOURCE }, tools: [{ name: "a", sha256: "0".repeat(64), scopes: ["s"], description: "d", inputSchema: {} }] }), GUARD_TLS: "off" })).rejects.toThrow(/do not hash/);
    });

    it("serves HTTPS with a certificate made at start", async () => {
        const g = await startGuard(base, { auditSink: () => undefined });
        try {
            const { status, cn } = await new Promise<{ status: number; cn: string }>((resolve, reject) => {
                https.get({ host: "127.0.0.1", port: g.port, path: "/health", rejectUnauthorized: false }, (res) => {
                    res.resume();
                    const cert = (res.socket as import("tls").TLSSocket).getPeerCertificate();
                    resolve({ status: res.statusCode ?? 0, cn: String(cert.subject.CN) });
                }).on("error", reject);
            });
            expect(status).toBe(200);
            expect(cn).toBe("tickets.mcp.example.com");
        } finally {
            await g.stop();
        }
    });
});

describe("DLP", () => {
    const text = (m: Record<string, unknown>) => ((m.result as { content: { text: string }[] }).content[0].text);

    it("redacts configured PII classes with their checks (Luhn, IBAN), leaves look-alikes and media alone", async () => {
        const dlp = new Dlp("redact", ["email", "credit_card", "iban"]);
        const msg = { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "card 4111 1111 1111 1111, not 4111 1111 1111 1112; mail a.b@example.org; iban GB82WEST12345698765432" }, { type: "image", mimeType: "image/png", data: "a.b@example.org" }] } };
        const out = await dlp.scan(msg);
        expect(text(out.message!)).toBe("card [REDACTED:payment card number], not 4111 1111 1111 1112; mail [REDACTED:email address]; iban [REDACTED:IBAN]");
        expect((out.message!.result as { content: { data?: string }[] }).content[1].data).toBe("a.b@example.org");
    });

    it("reports without rewriting in log mode and withholds in block mode", async () => {
        const jwt = ["eyJhbGciOiJSUzI1NiJ9", "eyJzdWIiOiJhbGljZSJ9", "c2lnbmF0dXJl"].join(".");
        const logOnly = await new Dlp("log", []).scan({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: `token ${jwt}` }] } });
        expect(logOnly.findings.map((f) => f.kind)).toEqual(["JSON Web Token"]);
        expect(text(logOnly.message!)).toContain(jwt);
        const blocked = await new Dlp("block", []).scan({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: `token ${jwt}` }] } });
        expect(blocked.message).toBeUndefined();
    });

    it("runs the same credential detector as the deploy-time check (components/common/credentials.ts)", async () => {
        // The project's secretlint pattern rule (a password in a URL of any scheme, Password= pairs) is in the shared
        // detector only: the guard finds what `mcpsec check` refuses in a server's environment, and nothing else.
        const values = ["cache redis://:hunter2pw@cache.internal:6379/0", "Server=db;Database=app;Password=s3cr3tPw!;", "AIza" + "B".repeat(35)];
        const checked = await findCredentialValues(values.map((value, i) => ({ name: `V${i}`, value })));
        expect(checked.map((c) => c.kind)).toEqual(["password in a URL", "password or account key in a connection string", "Google API key"]);
        const out = await new Dlp("redact", []).scan({ jsonrpc: "2.0", id: 1, result: { content: values.map((t) => ({ type: "text", text: t })) } });
        expect(out.findings.map((f) => f.kind)).toEqual(checked.map((c) => c.kind));
        const texts = (out.message!.result as { content: { text: string }[] }).content.map((c) => c.text);
        expect(texts).toEqual(["cache [REDACTED:password in a URL]/0", "Server=db;Database=app[REDACTED:password or account key in a connection string];", "[REDACTED:Google API key]"]);
    });
});

describe("audit lines on stdout", () => {
    it("writes the lines of one event-loop turn in one write, in order, at the end of the turn", async () => {
        const writes: string[] = [];
        const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string) => {
            writes.push(chunk);
            return true;
        }) as typeof process.stdout.write);
        try {
            const audit = new Audit("tickets");
            audit.log({ event: "tool_call_allowed", request_id: 1 });
            audit.log({ event: "tool_call_allowed", request_id: 2 });
            expect(writes).toEqual([]);
            await new Promise((r) => setImmediate(r));
            expect(writes).toHaveLength(1);
            expect(writes[0].trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
                { event: "tool_call_allowed", request_id: 1, server: "tickets" },
                { event: "tool_call_allowed", request_id: 2, server: "tickets" },
            ]);
            // A denial is written at once, with what the turn had buffered before it, in order.
            audit.log({ event: "tool_call_allowed", request_id: 3 });
            audit.log({ event: "tool_call_denied", reason: "insufficient_scope", request_id: 4 });
            expect(writes).toHaveLength(2);
            expect(writes[1].trimEnd().split("\n").map((l) => (JSON.parse(l) as Record<string, unknown>).request_id)).toEqual([3, 4]);
            audit.log({ event: "guard_stopped" });
            stdoutSink().flush();
            expect(writes).toHaveLength(3);
        } finally {
            spy.mockRestore();
        }
    });
});
