/**
 * RFC 9728 OAuth 2.0 Protected Resource Metadata of one MCP server: what an MCP client fetches (from the URL in the
 * 401's WWW-Authenticate header, or the well-known path) to learn which authorization server issues tokens for it.
 */
export interface ProtectedResourceMetadata {
    resource: string;
    authorization_servers: string[];
    scopes_supported: string[];
    bearer_methods_supported: string[];
    resource_name?: string;
}

export function protectedResourceMetadata(resource: string, issuer: string, scopes: string[], name?: string): ProtectedResourceMetadata {
    return {
        resource,
        authorization_servers: [issuer],
        scopes_supported: [...scopes],
        // Bearer tokens only in the Authorization header: never in query strings (logged) or bodies.
        bearer_methods_supported: ["header"],
        ...(name ? { resource_name: name } : {}),
    };
}

/**
 * Where RFC 9728 places the metadata of a resource: the well-known segment inserted between host and path,
 * `https://host/.well-known/oauth-protected-resource/mcp` for `https://host/mcp`.
 */
export function metadataUrl(resource: string): string {
    const url = new URL(resource);
    const path = url.pathname === "/" ? "" : url.pathname;
    return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}
