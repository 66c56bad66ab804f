import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { checkClaims, type ClaimVerdict } from "./core/claims";
import type { GuardSettings } from "./settings";

/**
 * Bearer token verification with jose: signature against the issuer's JWKS (cached; refetched when a token names an
 * unknown `kid`, at most once per cool-down), the algorithm allowlist, `iss`, `exp` (required), `nbf`, then the
 * claims that bind the token to this server ({@link checkClaims}).
 */
export class Authenticator {
    private readonly keys: JWTVerifyGetKey;

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
        try {
            const { payload } = await jwtVerify(match[1], this.keys, {
                issuer: this.settings.issuer,
                algorithms: this.settings.algorithms,
                clockTolerance: this.settings.clockToleranceSeconds,
                requiredClaims: ["exp", "sub"],
            });
            return { ...checkClaims(payload as Record<string, unknown>, this.settings), presented: true };
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
