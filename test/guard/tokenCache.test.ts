// The verified-token cache (review finding 7): keyed by the token's SHA-256, never its text; least recently used out;
// bounded in bytes, so large tokens cannot push the guard toward its memory limit.
import { createHash } from "crypto";
import { createLocalJWKSet, type JWTVerifyGetKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Authenticator } from "../../guard/src/auth";
import { loadSettings } from "../../guard/src/settings";
import { CLIENT_ID, manifestFor, startIssuer, type Issuer } from "./issuer";
import { RESOURCE } from "./harness";

let issuer: Issuer;
let auth: Authenticator;
let verifications = 0;

beforeAll(async () => {
    issuer = await startIssuer(RESOURCE);
    const settings = loadSettings({
        GUARD_SERVER_NAME: "tickets", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_CLIENT_IDS: CLIENT_ID, GUARD_JWKS: issuer.jwksText(),
        GUARD_UPSTREAM_URL: "http://127.0.0.1:9/mcp", GUARD_MANIFEST: manifestFor({ name: "tickets", url: RESOURCE }, []),
    });
    const local = createLocalJWKSet(JSON.parse(issuer.jwksText()) as Parameters<typeof createLocalJWKSet>[0]);
    const counting: JWTVerifyGetKey = (header, token) => {
        verifications++;
        return local(header, token);
    };
    auth = new Authenticator(settings, counting);
});
afterAll(async () => {
    await issuer.close();
});

const cacheOf = (a: Authenticator) => (a as unknown as { verified: Map<string, unknown> }).verified;

describe("the verified-token cache", () => {
    it("is keyed by the SHA-256 of the token, not its text, and a repeated token is not verified again", async () => {
        const token = await issuer.token();
        const before = verifications;
        expect((await auth.authenticate(`Bearer ${token}`)).ok).toBe(true);
        expect((await auth.authenticate(`Bearer ${token}`)).ok).toBe(true);
        expect(verifications - before).toBe(1);
        const keys = [...cacheOf(auth).keys()];
        expect(keys).not.toContain(token);
        expect(keys).toContain(createHash("sha256").update(token).digest("base64url"));
    });

    it("moves a token used again to the most recent end (least recently used goes first)", async () => {
        const a = await issuer.token({ sub: "a" });
        const b = await issuer.token({ sub: "b" });
        await auth.authenticate(`Bearer ${a}`);
        await auth.authenticate(`Bearer ${b}`);
        await auth.authenticate(`Bearer ${a}`);
        const keys = [...cacheOf(auth).keys()];
        expect(keys.at(-1)).toBe(createHash("sha256").update(a).digest("base64url"));
        expect(keys.at(-2)).toBe(createHash("sha256").update(b).digest("base64url"));
    });

    it("does not keep a token whose identity alone would take a sixteenth of the byte budget", async () => {
        const big = await issuer.token({ scope: [`${RESOURCE}/tickets:read`, ...Array.from({ length: 40_000 }, (_, i) => `${RESOURCE}/scope-${"x".repeat(24)}-${i}`)].join(" ") });
        const before = verifications;
        expect((await auth.authenticate(`Bearer ${big}`)).ok).toBe(true);
        expect((await auth.authenticate(`Bearer ${big}`)).ok).toBe(true);
        expect(verifications - before).toBe(2);
        expect([...cacheOf(auth).keys()]).not.toContain(createHash("sha256").update(big).digest("base64url"));
    });
});
