import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { checkClaims, type ClaimVerdict, type Identity } from "./core/claims";
import type { GuardSettings } from "./settings";

/**
 * Bearer token verification with jose: signature against the issuer's JWKS (cached; refetched when a token names an
 * unknown `kid`, at most once per cool-down), the algorithm allowlist, `iss`, `exp` (required), `nbf`, then the
 * claims that bind the token to this server ({@link checkClaims}).
 */
export class Authenticator {
    private readonly keys: JWTVerifyGetKey;
    /** Tokens already verified, until they expire: a token is immutable, so its verdict is too (bounded, oldest out). */
    private readonly verified = new Map<string, { identity: Identity; exp: number }>();
    private static readonly CACHE_SIZE = 10_000;

    constructor(private readonly settings: GuardSettings, keys?: JWTVerifyGetKey) {
        this.keys = keys ?? createRemoteJWKSet(new URL(settings.jwksUrl), {
            timeoutDuration: 5_000,
            cooldownDuration: 30_000,
            cacheMaxAge: 10 * 60_000,
        });
    }

    /** Verifies the Authorization header; never throws. */
    async authenticate(header: string | undefined): Promise<ClaimVerdict & { presented: boolean }> {
        const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i.exec(header);
        if (header === undefined) {
            return { ok: false, reason: "no_token", detail: "no bearer token", presented: false };
        }
        if (match === null) {
            return { ok: false, reason: "malformed_token", detail: "the Authorization header is not a bearer JWT", presented: true };
        }
        const cached = this.verified.get(match[1]);
        if (cached !== undefined) {
            if (cached.exp + this.settings.clockToleranceSeconds > Date.now() / 1000) {
                return { ok: true, identity: cached.identity, presented: true };
            }
            this.verified.delete(match[1]);
            return { ok: false, reason: "token_expired", detail: "the token is not valid", presented: true };
        }
        try {
            const { payload } = await jwtVerify(match[1], this.keys, {
                issuer: this.settings.issuer,
                algorithms: this.settings.algorithms,
                clockTolerance: this.settings.clockToleranceSeconds,
                requiredClaims: ["exp", "sub"],
            });
            const verdict = checkClaims(payload as Record<string, unknown>, this.settings);
            if (verdict.ok) {
                if (this.verified.size >= Authenticator.CACHE_SIZE) {
                    this.verified.delete(this.verified.keys().next().value!);
                }
                this.verified.set(match[1], { identity: verdict.identity, exp: payload.exp! });
            }
            return { ...verdict, presented: true };
        } catch (e) {
            return { ok: false, reason: reasonOf(e), detail: "the token is not valid", presented: true };
        }
    }
}

function reasonOf(e: unknown): string {
    if (e instanceof errors.JWTExpired) {
        return "token_expired";
    }
    if (e instanceof errors.JWTClaimValidationFailed) {
        return `claim_${e.claim}`;
    }
    if (e instanceof errors.JOSEAlgNotAllowed) {
        return "algorithm_not_allowed";
    }
    if (e instanceof errors.JWKSNoMatchingKey) {
        return "unknown_key";
    }
    if (e instanceof errors.JWSSignatureVerificationFailed) {
        return "bad_signature";
    }
    if (e instanceof errors.JWKSTimeout || e instanceof errors.JOSEError && e.code === "ERR_JOSE_GENERIC") {
        return "jwks_unavailable";
    }
    return "invalid_token";
}
