import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateKeyPair } from "jose";
import { Authenticator } from "../../guard/src/auth";
import { loadSettings, SettingsError } from "../../guard/src/settings";
import { parseJwkSet } from "../../components/common/jwks";
import { CLIENT_ID, manifestFor, startIssuer, type Issuer } from "./issuer";
import { startGuard } from "../../guard/src/main";
import { RESOURCE } from "./harness";
import { startUpstream } from "./upstream";

const base = (issuer: Issuer, env: Record<string, string> = {}) => loadSettings({
    GUARD_SERVER_NAME: "tickets", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_CLIENT_IDS: CLIENT_ID,
    GUARD_UPSTREAM_URL: "http://127.0.0.1:9/mcp", GUARD_MANIFEST: manifestFor({ name: "tickets", url: RESOURCE }, []),
    ...env,
});

describe("static JWKS (GUARD_JWKS: the deploy hands the guard its issuer's keys)", () => {
    it("verifies with the given keys, refuses an unknown kid with 401 and an audit line, and never fetches", async () => {
        const issuer = await startIssuer(RESOURCE);
        const tool = { name: "echo", description: "Echoes.", inputSchema: { type: "object", properties: { text: { type: "string" } } }, call: () => ({ content: [] }) };
        const upstream = await startUpstream({ tools: [tool] });
        const audit: Record<string, unknown>[] = [];
        const g = await startGuard({
            GUARD_SERVER_NAME: "tickets", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_JWKS: issuer.jwksText(),
            GUARD_CLIENT_IDS: CLIENT_ID, GUARD_UPSTREAM_URL: upstream.url, GUARD_TLS: "off", GUARD_LISTEN_HOST: "127.0.0.1", GUARD_LISTEN_PORT: "0",
            GUARD_ALLOWED_HOSTS: "127.0.0.1", GUARD_MANIFEST: manifestFor({ name: "tickets", url: RESOURCE }, [{ ...tool, scopes: ["tickets:read"] }]),
        }, { auditSink: (line) => audit.push(JSON.parse(line) as Record<string, unknown>) });
        try {
            const post = async (token: string) => fetch(`http://127.0.0.1:${g.port}/mcp`, {
                method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
                body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
            });
            expect((await post(await issuer.token())).status).toBe(200);
            const { privateKey } = await generateKeyPair("RS256");
            const res = await post(await issuer.token({}, { kid: "key-2", key: privateKey }));
            expect(res.status).toBe(401);
            expect(res.headers.get("www-authenticate")).toContain("invalid_token");
            expect(audit.filter((a) => a.event === "tool_call_denied").at(-1)).toMatchObject({ reason: "unknown_key", status: 401 });
            expect(issuer.fetches()).toBe(0);
        } finally {
            await g.stop();
            await upstream.close();
            await issuer.close();
        }
    });
});

describe("GUARD_JWKS settings", () => {
    it("refuses a set that is not a JWK set of public signing keys, and both key sources at once, naming the variable", async () => {
        const issuer = await startIssuer(RESOURCE);
        try {
            const good = JSON.parse(issuer.jwksText()) as { keys: Record<string, unknown>[] };
            expect(base(issuer, { GUARD_JWKS: issuer.jwksText() })).toMatchObject({ jwksUrl: undefined, jwks: good });
            const bad: [string, RegExp][] = [
                ["not json", /not JSON/],
                [JSON.stringify({ keys: [] }), /0 keys/],
                [JSON.stringify({ keys: [{ ...good.keys[0], d: "AAAA" }] }), /private or symmetric member "d"/],
                [JSON.stringify({ keys: [{ kty: "oct", kid: "h", k: "c2VjcmV0" }] }), /member "k"/],
                [JSON.stringify({ keys: [{ ...good.keys[0], kid: undefined }] }), /no kid/],
                [JSON.stringify({ keys: [{ ...good.keys[0], alg: "HS256" }] }), /alg "HS256"/],
                [JSON.stringify({ keys: [good.keys[0], good.keys[0]] }), /repeats the kid/],
            ];
            for (const [text, detail] of bad) {
                expect(() => base(issuer, { GUARD_JWKS: text })).toThrow(SettingsError);
                expect(() => base(issuer, { GUARD_JWKS: text })).toThrow(detail);
                expect(() => base(issuer, { GUARD_JWKS: text })).toThrow(/GUARD_JWKS:/);
            }
            expect(() => base(issuer, { GUARD_JWKS: issuer.jwksText(), GUARD_JWKS_URL: issuer.jwksUrl })).toThrow(/GUARD_JWKS_URL: is set together with GUARD_JWKS/);
            expect(parseJwkSet(issuer.jwksText()).ok).toBe(true);
        } finally {
            await issuer.close();
        }
    });
});

describe("remembered tokens", () => {
    let issuer: Issuer;
    beforeEach(async () => {
        issuer = await startIssuer(RESOURCE);
    });
    afterEach(async () => {
        vi.useRealTimers();
        await issuer.close();
    });
    const bearer = (t: string) => `Bearer ${t}`;

    it("are checked against the clock on every request (exp), without verifying the signature again", async () => {
        const auth = new Authenticator(base(issuer));
        const token = await issuer.token({}, { expiresIn: "2m" });
        expect((await auth.authenticate(bearer(token))).ok).toBe(true);
        expect((await auth.authenticate(bearer(token))).ok).toBe(true);
        expect(issuer.fetches()).toBe(1);
        vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3 * 60_000 });
        expect(await auth.authenticate(bearer(token))).toMatchObject({ ok: false, reason: "token_expired" });
    });

    it("are forgotten when a refetch returns other keys: a token whose key was withdrawn is refused", async () => {
        const auth = new Authenticator(base(issuer));
        const old = await issuer.token({}, { expiresIn: "30m" });
        expect((await auth.authenticate(bearer(old))).ok).toBe(true);
        await issuer.rotate("key-2");
        // Past the refetch cool-down (30 s), a token with the new kid makes the guard fetch the set again.
        vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 31_000 });
        expect((await auth.authenticate(bearer(await issuer.token({ sub: "bob" }))) ).ok).toBe(true);
        expect(issuer.fetches()).toBe(2);
        expect(await auth.authenticate(bearer(old))).toMatchObject({ ok: false, reason: "unknown_key" });
    });

    it("are verified again once the fetched key set is older than its cache time", async () => {
        const auth = new Authenticator(base(issuer));
        const old = await issuer.token({}, { expiresIn: "30m" });
        expect((await auth.authenticate(bearer(old))).ok).toBe(true);
        await issuer.rotate("key-2");
        vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 11 * 60_000 });
        expect(await auth.authenticate(bearer(old))).toMatchObject({ ok: false, reason: "unknown_key" });
        expect(issuer.fetches()).toBe(2);
    });

    it("with a static set: an unknown kid is refused and nothing is fetched", async () => {
        const auth = new Authenticator(base(issuer, { GUARD_JWKS: issuer.jwksText() }));
        expect((await auth.authenticate(bearer(await issuer.token()))).ok).toBe(true);
        await issuer.rotate("key-9");
        expect(await auth.authenticate(bearer(await issuer.token()))).toMatchObject({ ok: false, reason: "unknown_key" });
        expect(issuer.fetches()).toBe(0);
    });
});
