import { createHash } from "crypto";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { checkClaims, type ClaimVerdict, type Identity } from "./core/claims";
import type { GuardSettings } from "./settings";

/** How long a fetched JWKS is used before it is fetched again, and the longest a verified token is remembered. */
const KEYS_MAX_AGE_MS = 10 * 60_000;

interface Verified {
    identity: Identity;
    exp: number;
    nbf: number | undefined;
    verifiedAt: number;
    /** The key set generation the token was verified against: any change of the set forgets the token. */
    generation: number;
    /** What the entry is counted as against the cache's byte budget. */
    bytes: number;
}

/**
 * Bearer token verification with jose: signature against the issuer's keys (a static JWKS given at start, or the
 * issuer's JWKS URL, cached and refetched when a token names an unknown `kid`, at most once per cool-down), the
 * algorithm allowlist, `iss`, `exp` (required), `nbf`, then the claims that bind the token to this server
 * ({@link checkClaims}). With a static JWKS an unknown `kid` is refused and nothing is fetched.
 *
 * Verified tokens are remembered by the SHA-256 of their exact text (bounded in entries and in bytes, least recently
 * used out), so a repeated token costs no signature check and a large token costs the cache its identity, not its text; a remembered token still has `exp` and `nbf` checked against the clock on every request, and is forgotten
 * when the key set changes (a refetch that returns other keys), when the fetched set is older than its cache time,
 * and after {@link KEYS_MAX_AGE_MS} in any case: it never outlives the key it was verified with.
 */
export class Authenticator {
    private readonly keys: JWTVerifyGetKey;
    private readonly remote: ReturnType<typeof createRemoteJWKSet> | undefined;
    private readonly verified = new Map<string, Verified>();
    private static readonly CACHE_SIZE = 10_000;
    /** The cache's budget in (estimated) bytes: well within the guard container's 256 MiB whatever the tokens' size. */
    private static readonly CACHE_BYTES = 16 * 1024 * 1024;
    private cacheBytes = 0;
    private generation = 0;
    private keySetText: string | undefined;

    constructor(private readonly settings: GuardSettings, keys?: JWTVerifyGetKey) {
        if (keys !== undefined) {
            this.keys = keys;
        } else if (settings.jwks !== undefined) {
            this.keys = createLocalJWKSet(settings.jwks);
        } else {
            this.remote = createRemoteJWKSet(new URL(settings.jwksUrl!), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: KEYS_MAX_AGE_MS });
            this.keys = this.remote;
        }
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
        const token = match[1];
        const key = createHash("sha256").update(token).digest("base64url");
        const cached = this.verified.get(key);
        if (cached !== undefined) {
            const now = Date.now();
            const tolerance = this.settings.clockToleranceSeconds;
            this.forget(key);
            if (cached.exp + tolerance <= now / 1000) {
                return { ok: false, reason: "token_expired", detail: "the token is not valid", presented: true };
            }
            const keysCurrent = cached.generation === this.generation && now - cached.verifiedAt < KEYS_MAX_AGE_MS && (this.remote === undefined || this.remote.fresh);
            if (keysCurrent && (cached.nbf === undefined || cached.nbf - tolerance <= now / 1000)) {
                // Most recently used: back at the end of the map's order.
                this.remember(key, cached);
                return { ok: true, identity: cached.identity, presented: true };
            }
            // Verified against keys that may be gone, or (clock moved back) not yet valid: verified again below.
        }
        const generation = this.generation;
        try {
            const { payload } = await jwtVerify(token, this.keys, {
                issuer: this.settings.issuer,
                algorithms: this.settings.algorithms,
                clockTolerance: this.settings.clockToleranceSeconds,
                requiredClaims: ["exp", "sub"],
            });
            const verdict = checkClaims(payload as Record<string, unknown>, this.settings);
            // Only when no refetch changed the keys while this token was verified (else it is simply verified again).
            if (verdict.ok && this.noteKeySet() === generation) {
                const bytes = 256 + 2 * JSON.stringify(verdict.identity).length;
                this.remember(key, { identity: verdict.identity, exp: payload.exp!, nbf: payload.nbf, verifiedAt: Date.now(), generation, bytes });
            }
            return { ...verdict, presented: true };
        } catch (e) {
            this.noteKeySet();
            return { ok: false, reason: reasonOf(e), detail: "the token is not valid", presented: true };
        }
    }

    private remember(key: string, entry: Verified): void {
        if (entry.bytes > Authenticator.CACHE_BYTES / 16) {
            return;
        }
        while (this.verified.size > 0 && (this.verified.size >= Authenticator.CACHE_SIZE || this.cacheBytes + entry.bytes > Authenticator.CACHE_BYTES)) {
            this.forget(this.verified.keys().next().value!);
        }
        this.verified.set(key, entry);
        this.cacheBytes += entry.bytes;
    }

    private forget(key: string): void {
        const entry = this.verified.get(key);
        if (entry !== undefined) {
            this.verified.delete(key);
            this.cacheBytes -= entry.bytes;
        }
    }

    /** After a verification (the only time jose refetches): a fetched set with other keys starts a new generation. */
    private noteKeySet(): number {
        if (this.remote !== undefined) {
            const text = JSON.stringify(this.remote.jwks() ?? null);
            if (this.keySetText !== undefined && text !== this.keySetText) {
                this.generation++;
                this.verified.clear();
                this.cacheBytes = 0;
            }
            this.keySetText = text;
        }
        return this.generation;
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
