import { describe, expect, it, vi } from "vitest";
import { fetchUserPoolJwks, OFFLINE_JWKS } from "../../components/identity";
import { parseJwkSet } from "../../components/common/jwks";

const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz";
const KEY = { alg: "RS256", e: "AQAB", kid: "abcd1234=", kty: "RSA", n: "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw", use: "sig" };
const answer = (status: number, body: string) => vi.fn(async () => new Response(body, { status }));

describe("the user pool's JWKS, fetched by the deploy for the guards", () => {
    it("fetches the pool's well-known JWKS once and returns it checked, as compact JSON", async () => {
        const fetchImpl = answer(200, JSON.stringify({ keys: [KEY] }, null, 2));
        expect(await fetchUserPoolJwks(ISSUER, fetchImpl)).toBe(JSON.stringify({ keys: [KEY] }));
        expect(fetchImpl).toHaveBeenCalledTimes(1);
        expect((fetchImpl.mock.calls[0] as unknown[])[0]).toBe(`${ISSUER}/.well-known/jwks.json`);
    });

    it.each([
        ["not JSON", "<html>", /is not a valid JWK set: it is not JSON/],
        ["no keys", JSON.stringify({ keys: [] }), /is not a valid JWK set: it has 0 keys/],
        ["a private key", JSON.stringify({ keys: [{ ...KEY, d: "AAAA" }] }), /private or symmetric member "d"/],
        ["a symmetric key", JSON.stringify({ keys: [{ kty: "oct", kid: "x", k: "c2VjcmV0" }] }), /member "k"/],
    ])("refuses %s with a ConfigError naming mcpsec:identity", async (_label, body, detail) => {
        const e = await fetchUserPoolJwks(ISSUER, answer(200, body)).catch((err: unknown) => err as Error);
        expect(e).toMatchObject({ name: "ConfigError", key: "mcpsec:identity" });
        expect((e as Error).message).toMatch(detail);
        expect((e as Error).message).toContain(`${ISSUER}/.well-known/jwks.json`);
    });

    it("refuses an answer other than 200, and an issuer that is not a Cognito user pool (without fetching)", async () => {
        await expect(fetchUserPoolJwks(ISSUER, answer(404, "{}"))).rejects.toThrow(/could not be fetched .*HTTP 404/);
        const fetchImpl = answer(200, JSON.stringify({ keys: [KEY] }));
        await expect(fetchUserPoolJwks("https://evil.example.com/eu-west-1_x", fetchImpl)).rejects.toThrow(/mcpsec:identity: the issuer "https:\/\/evil.example.com\/eu-west-1_x" is not a Cognito user pool issuer/);
        expect(fetchImpl).not.toHaveBeenCalled();
    });

    it("offline synthesis puts a well-formed stand-in in its place", () => {
        expect(parseJwkSet(OFFLINE_JWKS).ok).toBe(true);
    });
});
