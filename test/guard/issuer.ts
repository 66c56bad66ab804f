// A token issuer on loopback: an RS256 key pair made with jose, its JWKS served over HTTP, and helpers that mint
// good and deliberately bad access tokens shaped like Cognito's (token_use, client_id, scope "<resource>/<scope>").
import * as http from "http";
import type { AddressInfo } from "net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { toolDigest } from "../../components/mcp/digest";
import type { ToolDef } from "./upstream";

export interface Issuer {
    issuer: string;
    jwksUrl: string;
    /** How many times the JWKS was fetched. */
    fetches: () => number;
    /** The JWKS the issuer serves now (JSON text), as the deploy hands it to the guard. */
    jwksText: () => string;
    /** Replaces the signing key: the JWKS then holds only the new key (`kid`), and tokens are signed with it. */
    rotate(kid: string): Promise<void>;
    token(claims?: Record<string, unknown>, opts?: { kid?: string; key?: CryptoKey; expiresIn?: string | number }): Promise<string>;
    /** Public key in PEM: used as an HMAC secret by the algorithm-confusion attack. */
    publicPem: string;
    close(): Promise<void>;
}

export const CLIENT_ID = "agent-client-1";

export async function startIssuer(resource: string): Promise<Issuer> {
    const { publicKey, privateKey: firstKey } = await generateKeyPair("RS256", { extractable: true });
    let privateKey = firstKey;
    let current = { kid: "key-1", jwk: { ...(await exportJWK(publicKey)), kid: "key-1", alg: "RS256", use: "sig" } as JWK };
    let fetches = 0;
    const jwksText = () => JSON.stringify({ keys: [current.jwk] });
    const server = http.createServer((_req, res) => {
        fetches++;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(jwksText());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        issuer: base,
        jwksUrl: `${base}/.well-known/jwks.json`,
        fetches: () => fetches,
        jwksText,
        async rotate(kid: string) {
            const next = await generateKeyPair("RS256", { extractable: true });
            privateKey = next.privateKey;
            current = { kid, jwk: { ...(await exportJWK(next.publicKey)), kid, alg: "RS256", use: "sig" } };
        },
        publicPem: await exportSPKI(publicKey),
        async token(claims = {}, opts = {}) {
            const scope = (claims.scope as string | undefined) ?? `${resource}/tickets:read`;
            return new SignJWT({ token_use: "access", client_id: CLIENT_ID, ...claims, scope })
                .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? current.kid })
                .setIssuer((claims.iss as string | undefined) ?? base)
                .setSubject((claims.sub as string | undefined) ?? "alice")
                .setIssuedAt()
                .setExpirationTime(opts.expiresIn ?? "5m")
                .sign(opts.key ?? privateKey);
        },
        async close() {
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

/** The approved manifest the deploy publishes (components/mcp approvedManifest), made from tool definitions. */
export function manifestFor(server: { name: string; url: string }, tools: (Pick<ToolDef, "name" | "description" | "inputSchema"> & { scopes: string[] })[]): string {
    return JSON.stringify({
        version: 1,
        server: { name: server.name, url: server.url, image: "example.com/mcp@sha256:" + "0".repeat(64), egress: [] },
        tools: tools.map((t) => ({ name: t.name, sha256: toolDigest(t), scopes: t.scopes })),
    });
}
