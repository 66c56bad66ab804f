import type { Props } from "./rule";

/**
 * The one reading of "this container is an MCP guard", shared by the aws, kubernetes and mcp packs and the security
 * report. A container counts only when it is configured the way the guard itself accepts its settings
 * (guard/src/settings.ts loadSettings), since the guard refuses to start otherwise:
 * - GUARD_SERVER_NAME is a DNS label (the server it stands in front of);
 * - GUARD_UPSTREAM_URL is a plain http URL on a loopback address, with no query, fragment or user info (the server
 *   beside it, in the same task or pod); its port defaults to 80 as URL parsing does;
 * - GUARD_LISTEN_PORT, when set, is an integer from 0 to 65535 (default 8443).
 * Its name and image say nothing: any image can be called mcp-guard. Only inline values count; a value from a secret
 * or a config map cannot be read here, so such a container is not recognised as a guard.
 */
export interface GuardContainer {
    /** The server it stands in front of (GUARD_SERVER_NAME). */
    server: string;
    /** The port it listens on. */
    listenPort: number;
    /** The loopback port of the server it forwards to. */
    upstreamPort: number;
    /** Its inline environment: the settings it reads. */
    env: Record<string, string>;
}

/** The guard's default listen port (guard/src/settings.ts GUARD_LISTEN_PORT). */
export const GUARD_DEFAULT_PORT = 8443;
const SERVER_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

/** Inline environment of a container: ECS `environment` and Kubernetes `env` are both lists of {name, value}. */
export function containerEnv(c: Props): Record<string, string> {
    const list = (c.environment ?? c.env ?? []) as unknown;
    if (!Array.isArray(list)) {
        return {};
    }
    const env: Record<string, string> = {};
    for (const e of list as Props[]) {
        if (typeof e?.name === "string" && typeof e.value === "string") {
            env[e.name] = e.value;
        }
    }
    return env;
}

/** The guard a container is configured as, or undefined when it is not one (see {@link GuardContainer}). */
export function guardContainer(c: Props): GuardContainer | undefined {
    const env = containerEnv(c);
    const server = env.GUARD_SERVER_NAME ?? "";
    if (!SERVER_NAME.test(server)) {
        return undefined;
    }
    let upstream: URL;
    try {
        upstream = new URL(env.GUARD_UPSTREAM_URL ?? "");
    } catch {
        return undefined;
    }
    if (upstream.protocol !== "http:" || !LOOPBACK.includes(upstream.hostname) || upstream.search || upstream.hash || upstream.username || upstream.password) {
        return undefined;
    }
    const listen = env.GUARD_LISTEN_PORT;
    if (listen !== undefined && listen !== "" && (!/^\d+$/.test(listen) || Number(listen) > 65535)) {
        return undefined;
    }
    return {
        server,
        listenPort: listen !== undefined && listen !== "" ? Number(listen) : GUARD_DEFAULT_PORT,
        upstreamPort: Number(upstream.port || 80),
        env,
    };
}
