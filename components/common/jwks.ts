// A JSON Web Key Set of public signing keys (RFC 7517 section 5), checked before anyone relies on it: the deploy
// checks the set it fetched from the token issuer, the guard the set it is given. Pure (no I/O), no dependency, so
// the guard image can copy it (guard/Dockerfile).

/** One public signing key. */
export interface PublicJwk {
    kty: "RSA" | "EC" | "OKP";
    kid: string;
    [member: string]: unknown;
}

export interface JwkSet {
    keys: PublicJwk[];
}

/** Members that only a private or symmetric key has: a set that carries them is refused, never used or published. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const B64URL = /^[A-Za-z0-9_-]+$/;
const CURVES: Record<string, string[]> = { EC: ["P-256", "P-384", "P-521"], OKP: ["Ed25519", "Ed448"] };
/** Asymmetric JWS algorithms a key may name (none and the HMAC family never). */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
export const MAX_JWKS_KEYS = 20;

function keyProblem(key: unknown, i: number, kids: Set<string>): string | undefined {
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
        return `keys[${i}] is not an object`;
    }
    const k = key as Record<string, unknown>;
    const secret = PRIVATE_MEMBERS.find((m) => m in k);
    if (secret !== undefined) {
        return `keys[${i}] has the private or symmetric member "${secret}"; a JWKS holds public keys only`;
    }
    if (typeof k.kid !== "string" || k.kid.length === 0 || k.kid.length > 256) {
        return `keys[${i}] has no kid (a string of 1 to 256 characters)`;
    }
    if (kids.has(k.kid)) {
        return `keys[${i}] repeats the kid ${JSON.stringify(k.kid.slice(0, 64))}`;
    }
    kids.add(k.kid);
    if (k.use !== undefined && k.use !== "sig") {
        return `keys[${i}] has use ${JSON.stringify(k.use)}; expected "sig"`;
    }
    if (k.alg !== undefined && !ALGORITHMS.includes(k.alg as string)) {
        return `keys[${i}] has alg ${JSON.stringify(k.alg)}; expected one of ${ALGORITHMS.join(", ")}`;
    }
    if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes("verify"))) {
        return `keys[${i}] has key_ops ${JSON.stringify(k.key_ops).slice(0, 80)}; a signing key the guard verifies with must allow "verify"`;
    }
    const b64 = (member: string) => typeof k[member] === "string" && B64URL.test(k[member] as string);
    if (k.kty === "RSA") {
        if (!(b64("n") && b64("e"))) {
            return `keys[${i}] (RSA) needs n and e, base64url`;
        }
        // The modulus without leading zero bytes: jose refuses RSA keys under 2048 bits, so such a set would refuse
        // every token at run time instead of failing here.
        const n = Buffer.from(k.n as string, "base64url");
        const bits = n.length === 0 ? 0 : (n.length - n.findIndex((b) => b !== 0)) * 8 - Math.clz32(n.find((b) => b !== 0) ?? 0) + 24;
        return bits >= 2048 ? undefined : `keys[${i}] (RSA) has a ${bits}-bit modulus; expected at least 2048 bits`;
    }
    if (k.kty === "EC") {
        return CURVES.EC.includes(k.crv as string) && b64("x") && b64("y") ? undefined : `keys[${i}] (EC) needs crv ${CURVES.EC.join("/")}, x and y, base64url`;
    }
    if (k.kty === "OKP") {
        return CURVES.OKP.includes(k.crv as string) && b64("x") ? undefined : `keys[${i}] (OKP) needs crv ${CURVES.OKP.join("/")} and x, base64url`;
    }
    return `keys[${i}] has kty ${JSON.stringify(k.kty)}; expected RSA, EC or OKP`;
}

/**
 * Checks a JWK set of public signing keys: an object with `keys`, 1 to 20 keys, each RSA, EC or OKP with its public
 * members, a unique `kid`, `use` sig when present, an asymmetric `alg` when present, and no private or symmetric
 * member. Returns the set, or what is wrong (never a key's value).
 */
export function checkJwkSet(value: unknown): { ok: true; set: JwkSet } | { ok: false; detail: string } {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Array.isArray((value as JwkSet).keys)) {
        return { ok: false, detail: "it is not an object with a keys array" };
    }
    const keys = (value as JwkSet).keys as unknown[];
    if (keys.length === 0 || keys.length > MAX_JWKS_KEYS) {
        return { ok: false, detail: `it has ${keys.length} keys; expected 1 to ${MAX_JWKS_KEYS}` };
    }
    const kids = new Set<string>();
    for (const [i, key] of keys.entries()) {
        const problem = keyProblem(key, i, kids);
        if (problem !== undefined) {
            return { ok: false, detail: problem };
        }
    }
    return { ok: true, set: value as JwkSet };
}

/** {@link checkJwkSet} over JSON text. */
export function parseJwkSet(text: string): { ok: true; set: JwkSet } | { ok: false; detail: string } {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return { ok: false, detail: "it is not JSON" };
    }
    return checkJwkSet(value);
}
