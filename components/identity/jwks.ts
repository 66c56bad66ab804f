import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { ConfigError } from "../common/errors";
import { parseJwkSet } from "../common/jwks";

/**
 * The user pool's signing keys, fetched by the deploy and handed to each guard (GUARD_JWKS), so that no task needs a
 * route to Cognito's public JWKS host: `https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json`.
 *
 * Fetched once the pool id is known, during `pulumi up` (and a preview of a stack whose pool exists); a first preview
 * leaves it unknown. Under the offline mock engine (`mcpsec synth`/`check`, tests) nothing is fetched: the stand-in
 * {@link OFFLINE_JWKS} takes its place. Cognito may rotate a pool's signing keys without notice (Amazon Cognito
 * developer guide, "Verifying a JSON Web Token"); the guard then refuses tokens with the new `kid` (401, audit reason
 * `unknown_key`) until `pulumi up` runs again and hands it the new set.
 */

/**
 * What offline synthesis puts in place of the fetched set: a well-formed set whose key signs nothing (a 2048-bit
 * modulus made of a marker text, so the deploy-time check of McpService `guard.jwks` admits it).
 */
export const OFFLINE_JWKS = JSON.stringify({
    keys: [{ kty: "RSA", kid: "mcpsec-offline-synthesis", use: "sig", alg: "RS256", n: Buffer.concat([Buffer.from([0xc0]), Buffer.from("offline-synthesis-placeholder-not-a-key".padEnd(255, "-"))]).toString("base64url"), e: "AQAB" }],
});

/** A Cognito user pool issuer: the only host the deploy fetches keys from. */
const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?\/[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/;
const MAX_JWKS_BYTES = 64 * 1024;

/** True under Pulumi's mock engine (pulumi.runtime.setMocks): the offline synthesis of `mcpsec` and the tests. */
export function underMockEngine(): boolean {
    const monitor = pulumi.runtime.getMonitor();
    return monitor instanceof MockMonitor || monitor?.constructor?.name === "MockMonitor";
}

/**
 * Fetches and checks a user pool's JWKS; returns it as compact JSON. ConfigError naming `mcpsec:identity` (the block
 * that makes the pool) when the issuer is not a Cognito user pool, the fetch fails, or the answer is not a JWK set of
 * public signing keys.
 */
export async function fetchUserPoolJwks(issuer: string, fetchImpl: typeof fetch = fetch): Promise<string> {
    if (!COGNITO_ISSUER.test(issuer)) {
        throw new ConfigError("mcpsec:identity", `the issuer ${JSON.stringify(issuer)} is not a Cognito user pool issuer; expected https://cognito-idp.<region>.amazonaws.com/<pool id>`);
    }
    const url = `${issuer}/.well-known/jwks.json`;
    let text: string;
    try {
        const res = await fetchImpl(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(10_000) });
        if (res.status !== 200) {
            throw new Error(`HTTP ${res.status}`);
        }
        text = await res.text();
    } catch (e) {
        throw new ConfigError("mcpsec:identity", `the user pool's JWKS could not be fetched from ${url} (${(e as Error).message}); expected it to answer with its JSON Web Key Set (run pulumi up again once Cognito answers)`);
    }
    if (Buffer.byteLength(text) > MAX_JWKS_BYTES) {
        throw new ConfigError("mcpsec:identity", `the JWKS fetched from ${url} is ${Buffer.byteLength(text)} bytes; expected a JSON Web Key Set of at most ${MAX_JWKS_BYTES} bytes`);
    }
    const parsed = parseJwkSet(text);
    if (!parsed.ok) {
        throw new ConfigError("mcpsec:identity", `the JWKS fetched from ${url} is not a valid JWK set: ${parsed.detail}; expected a JSON Web Key Set of public signing keys`);
    }
    return JSON.stringify(parsed.set);
}

/** The pool's JWKS as an output: fetched once the issuer is known, never under the mock engine. */
export function userPoolJwks(issuer: pulumi.Input<string>, fetchImpl?: typeof fetch): pulumi.Output<string> {
    return pulumi.output(issuer).apply(async (iss) => (underMockEngine() ? OFFLINE_JWKS : fetchUserPoolJwks(iss, fetchImpl)));
}
