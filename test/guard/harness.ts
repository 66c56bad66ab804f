// Starts issuer, reference upstream and guard on loopback, with the audit lines collected in memory.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startGuard, type StartedGuard } from "../../guard/src/main";
import { CLIENT_ID, manifestFor, startIssuer, type Issuer } from "./issuer";
import { startUpstream, type ToolDef, type Upstream, type UpstreamOptions } from "./upstream";

export const RESOURCE = "https://tickets.mcp.example.com/mcp";

export interface Harness {
    issuer: Issuer;
    upstream: Upstream;
    guard: StartedGuard;
    url: string;
    audit: Record<string, unknown>[];
    connect(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }>;
    close(): Promise<void>;
}

export async function startHarness(tools: (ToolDef & { scopes: string[] })[], upstreamOpts: Omit<UpstreamOptions, "tools"> = {}, env: Record<string, string> = {}, pinned?: (ToolDef & { scopes: string[] })[]): Promise<Harness> {
    const issuer = await startIssuer(RESOURCE);
    const upstream = await startUpstream({ ...upstreamOpts, tools });
    const audit: Record<string, unknown>[] = [];
    const guard = await startGuard({
        GUARD_SERVER_NAME: "tickets",
        GUARD_RESOURCE: RESOURCE,
        GUARD_ISSUER: issuer.issuer,
        GUARD_JWKS_URL: issuer.jwksUrl,
        GUARD_CLIENT_IDS: CLIENT_ID,
        GUARD_UPSTREAM_URL: upstream.url,
        GUARD_TLS: "off",
        GUARD_LISTEN_HOST: "127.0.0.1",
        GUARD_LISTEN_PORT: "0",
        GUARD_ALLOWED_HOSTS: "127.0.0.1",
        GUARD_MANIFEST: manifestFor({ name: "tickets", url: RESOURCE }, pinned ?? tools),
        ...env,
    }, { auditSink: (line) => audit.push(JSON.parse(line) as Record<string, unknown>) });
    const url = `http://127.0.0.1:${guard.port}/mcp`;
    // The guard verifies the upstream's tools in the background at start: wait for it.
    for (let i = 0; i < 200 && !audit.some((a) => a.reason === "upstream_tools_verified"); i++) {
        await new Promise((r) => setTimeout(r, 10));
    }
    const clients: Client[] = [];
    return {
        issuer, upstream, guard, url, audit,
        async connect(token: string) {
            const client = new Client({ name: "test-client", version: "1.0.0" });
            const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
            await client.connect(transport);
            clients.push(client);
            return { client, transport };
        },
        async close() {
            for (const c of clients) {
                await c.close().catch(() => undefined);
            }
            await guard.stop();
            await upstream.close();
            await issuer.close();
        },
    };
}
