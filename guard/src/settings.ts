/**
 * The guard's settings, read from environment variables. Every bad value stops the start with one line naming the
 * variable, the value and what is allowed; nothing is guessed.
 */

/** A bad setting: names the environment variable, the value and what is allowed. */
import { parseJwkSet, type JwkSet } from "../../components/common/jwks";
import { MCP_CLIENT_METHODS } from "../../components/mcp/methods";
import { KEY_ID, RAW_KEY, type ApprovalSettings } from "../../components/mcp/approval";

export class SettingsError extends Error {
    constructor(public readonly variable: string, detail: string) {
        super(`invalid guard setting ${variable}: ${detail}`);
        this.name = "SettingsError";
    }
}

export type DlpMode = "redact" | "block" | "log";
export type PiiClass = "email" | "credit_card" | "us_ssn" | "iban";
export const PII_CLASSES: readonly PiiClass[] = ["email", "credit_card", "us_ssn", "iban"];

/** Asymmetric JWS algorithms only: `none` and the HMAC family (a public key used as a shared secret) never verify. */
export const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

/** MCP methods a client may send: the same list the edge admits. */
export const DEFAULT_METHODS: readonly string[] = MCP_CLIENT_METHODS;

export interface GuardSettings {
    /** Name of the MCP server (audit lines, manifest check). */
    serverName: string;
    /** The server's URL: its OAuth resource identifier (scopes are `<resource>/<scope>`, `aud` when present). */
    resource: string;
    /** RFC 9728 metadata URL named in `WWW-Authenticate`. */
    resourceMetadataUrl: string;
    issuer: string;
    /**
     * Where the issuer's signing keys come from: a static set given at start (GUARD_JWKS; an unknown `kid` is refused,
     * nothing is fetched), or the JWKS URL (GUARD_JWKS_URL, default `<issuer>/.well-known/jwks.json`; refetched on an
     * unknown `kid`, rate-limited). Exactly one of the two.
     */
    jwksUrl: string | undefined;
    jwks: JwkSet | undefined;
    algorithms: string[];
    clientIds: string[];
    /** Required `token_use` claim (`access` for Cognito), or undefined when opted out with `any`. */
    tokenUse: string | undefined;
    clockToleranceSeconds: number;
    tenantClaim: string | undefined;
    upstreamUrl: URL;
    upstreamTimeoutMs: number;
    listenHost: string;
    listenPort: number;
    tls: { mode: "self-signed" } | { mode: "files"; certFile: string; keyFile: string } | { mode: "off" };
    mcpPath: string;
    healthPath: string;
    allowedHosts: string[];
    allowedOrigins: string[];
    methods: string[];
    maxBodyBytes: number;
    maxResponseBytes: number;
    maxSessions: number;
    reverifySeconds: number;
    /**
     * Seconds between two `guard_heartbeat` audit lines (GUARD_HEARTBEAT_SECONDS, 10 to 240, default 60). The alert
     * stack counts them per guard log group over 5-minute periods and alarms when none arrives (missing data
     * breaching), so at most 240: every period then holds at least one line from a running guard whose log reaches
     * the group.
     */
    heartbeatSeconds: number;
    dlpMode: DlpMode;
    piiClasses: PiiClass[];
    manifest: { source: "env"; text: string } | { source: "file"; path: string };
    /**
     * The reviewers' public keys the manifest's signed approval must verify with (GUARD_APPROVAL_PUBLIC_KEYS, handed over at
     * deploy from `mcpsec:approvals.reviewers`, never read from the manifest), and whether an unsigned manifest is
     * refused (GUARD_APPROVALS_REQUIRED; default true when keys are given).
     */
    approvals: ApprovalSettings;
    /**
     * Tools whose arguments may carry properties their schema does not declare (GUARD_ALLOW_UNDECLARED_ARGUMENTS, from
     * `mcpsec:servers[].allowUndeclaredArguments`): their schemas are applied as announced. Every other tool's object
     * schemas that leave `additionalProperties` unset are closed at run time (see ToolRegistry).
     */
    allowUndeclaredArguments: string[];
}

type Env = Record<string, string | undefined>;

function list(value: string | undefined): string[] {
    return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

function show(value: string): string {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}..."` : text;
}

function isLoopback(host: string): boolean {
    return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}

function url(env: Env, name: string, opts: { required: boolean; fallback?: string; loopbackHttp?: boolean }): string | undefined {
    const value = env[name] ?? opts.fallback;
    if (value === undefined || value === "") {
        if (opts.required) {
            throw new SettingsError(name, "is required but missing; expected an https URL");
        }
        return undefined;
    }
    let parsed: URL;
    try {
        parsed = new URL(value);
    } catch {
        throw new SettingsError(name, `${show(value)} is not allowed; expected an absolute https URL`);
    }
    const plainOk = opts.loopbackHttp && parsed.protocol === "http:" && isLoopback(parsed.hostname);
    if (parsed.protocol !== "https:" && !plainOk) {
        throw new SettingsError(name, `${show(value)} is not allowed; expected an https URL${opts.loopbackHttp ? " (http only on a loopback address)" : ""}`);
    }
    if (parsed.hash || parsed.username || parsed.password) {
        throw new SettingsError(name, `${show(value)} is not allowed; expected a URL without fragment or credentials`);
    }
    return value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
    const raw = env[name];
    if (raw === undefined || raw === "") {
        return fallback;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new SettingsError(name, `${show(raw)} is not allowed; expected an integer from ${min} to ${max}`);
    }
    return Number(raw);
}

function path(env: Env, name: string, fallback: string): string {
    const value = env[name] ?? fallback;
    if (!/^\/[A-Za-z0-9/_.-]{0,127}$/.test(value)) {
        throw new SettingsError(name, `${show(value)} is not allowed; expected an HTTP path starting with '/'`);
    }
    return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
    const value = env[name] ?? fallback;
    if (!(allowed as readonly string[]).includes(value)) {
        throw new SettingsError(name, `${show(value)} is not allowed; expected one of ${allowed.join(", ")}`);
    }
    return value as T;
}

/** Reads and checks the settings; throws a SettingsError naming the first bad variable. Pure over `env`. */
export function loadSettings(env: Env): GuardSettings {
    const serverName = env.GUARD_SERVER_NAME ?? "";
    if (!/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/.test(serverName)) {
        throw new SettingsError("GUARD_SERVER_NAME", `${serverName ? show(serverName) : "(missing)"} is not allowed; expected the server's name, a DNS label`);
    }
    const resource = url(env, "GUARD_RESOURCE", { required: true })!;
    const issuer = url(env, "GUARD_ISSUER", { required: true, loopbackHttp: true })!;
    let jwks: JwkSet | undefined;
    if (env.GUARD_JWKS) {
        if (env.GUARD_JWKS_URL) {
            throw new SettingsError("GUARD_JWKS_URL", "is set together with GUARD_JWKS; set exactly one (a static key set, or the URL to fetch it from)");
        }
        const parsed = parseJwkSet(env.GUARD_JWKS);
        if (!parsed.ok) {
            throw new SettingsError("GUARD_JWKS", `is not allowed: ${parsed.detail}; expected the issuer's JSON Web Key Set of public signing keys ({"keys":[...]})`);
        }
        jwks = parsed.set;
    }
    const jwksUrl = jwks !== undefined ? undefined : url(env, "GUARD_JWKS_URL", { required: true, loopbackHttp: true, fallback: `${issuer.replace(/\/$/, "")}/.well-known/jwks.json` })!;
    const resourceMetadataUrl = url(env, "GUARD_RESOURCE_METADATA_URL", { required: true, fallback: metadataUrl(resource) })!;

    const algorithms = list(env.GUARD_ALGORITHMS ?? "RS256");
    const badAlg = algorithms.find((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
    if (algorithms.length === 0 || badAlg !== undefined) {
        throw new SettingsError("GUARD_ALGORITHMS", `${show(env.GUARD_ALGORITHMS ?? "")} is not allowed; expected a comma-separated list of ${ASYMMETRIC_ALGORITHMS.join(", ")} (no "none", no HMAC)`);
    }
    const clientIds = list(env.GUARD_CLIENT_IDS);
    if (clientIds.length === 0 || clientIds.some((c) => !/^[A-Za-z0-9_.:-]{1,128}$/.test(c))) {
        throw new SettingsError("GUARD_CLIENT_IDS", `${show(env.GUARD_CLIENT_IDS ?? "")} is not allowed; expected a comma-separated list of the OAuth client ids that may call this server (at least one)`);
    }
    const tokenUseRaw = env.GUARD_TOKEN_USE ?? "access";
    if (!/^[a-z_]{1,32}$/.test(tokenUseRaw)) {
        throw new SettingsError("GUARD_TOKEN_USE", `${show(tokenUseRaw)} is not allowed; expected the required token_use claim (access), or "any" to accept tokens without one`);
    }
    const tenantClaim = env.GUARD_TENANT_CLAIM || undefined;
    if (tenantClaim !== undefined && !/^[A-Za-z0-9_:.-]{1,64}$/.test(tenantClaim)) {
        throw new SettingsError("GUARD_TENANT_CLAIM", `${show(tenantClaim)} is not allowed; expected a claim name (letters, digits, _:.-)`);
    }

    const upstreamRaw = env.GUARD_UPSTREAM_URL ?? "";
    let upstreamUrl: URL;
    try {
        upstreamUrl = new URL(upstreamRaw);
    } catch {
        throw new SettingsError("GUARD_UPSTREAM_URL", `${upstreamRaw ? show(upstreamRaw) : "(missing)"} is not allowed; expected http://127.0.0.1:<port><path> (the server beside the guard)`);
    }
    if (upstreamUrl.protocol !== "http:" || !isLoopback(upstreamUrl.hostname) || upstreamUrl.search || upstreamUrl.hash || upstreamUrl.username) {
        throw new SettingsError("GUARD_UPSTREAM_URL", `${show(upstreamRaw)} is not allowed; expected http://127.0.0.1:<port><path>: the server listens on loopback only, beside the guard`);
    }

    const tlsMode = oneOf(env, "GUARD_TLS", env.GUARD_TLS_CERT_FILE ? "files" : "self-signed", ["self-signed", "files", "off"] as const);
    let tls: GuardSettings["tls"];
    if (tlsMode === "files") {
        if (!env.GUARD_TLS_CERT_FILE || !env.GUARD_TLS_KEY_FILE) {
            throw new SettingsError(env.GUARD_TLS_CERT_FILE ? "GUARD_TLS_KEY_FILE" : "GUARD_TLS_CERT_FILE", "is required with GUARD_TLS=files; expected the path of a PEM file");
        }
        tls = { mode: "files", certFile: env.GUARD_TLS_CERT_FILE, keyFile: env.GUARD_TLS_KEY_FILE };
    } else {
        tls = { mode: tlsMode };
    }

    const resourceHost = new URL(resource).host;
    const allowedHosts = [...new Set([resourceHost, ...list(env.GUARD_ALLOWED_HOSTS)].map((h) => h.toLowerCase()))];
    const badHost = allowedHosts.find((h) => !/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/.test(h));
    if (badHost !== undefined) {
        throw new SettingsError("GUARD_ALLOWED_HOSTS", `${show(badHost)} is not allowed; expected host names with an optional port, comma-separated`);
    }
    const allowedOrigins = list(env.GUARD_ALLOWED_ORIGINS);
    for (const o of allowedOrigins) {
        let ok = false;
        try {
            ok = new URL(o).origin === o;
        } catch {
            ok = false;
        }
        if (!ok) {
            throw new SettingsError("GUARD_ALLOWED_ORIGINS", `${show(o)} is not allowed; expected origins such as https://app.example.com (scheme, host, optional port; no path)`);
        }
    }
    const methods = env.GUARD_METHODS !== undefined ? list(env.GUARD_METHODS) : [...DEFAULT_METHODS];
    const badMethod = methods.find((m) => !/^[a-z][A-Za-z/_]{1,63}$/.test(m));
    if (methods.length === 0 || badMethod !== undefined) {
        throw new SettingsError("GUARD_METHODS", `${show(env.GUARD_METHODS ?? "")} is not allowed; expected a comma-separated list of MCP method names`);
    }
    if (!methods.includes("initialize")) {
        throw new SettingsError("GUARD_METHODS", `${show(env.GUARD_METHODS ?? "")} is not allowed; the list must contain initialize (no session can start without it)`);
    }

    const pii = list(env.GUARD_DLP_PII);
    const badPii = pii.find((p) => !(PII_CLASSES as readonly string[]).includes(p));
    if (badPii !== undefined) {
        throw new SettingsError("GUARD_DLP_PII", `${show(badPii)} is not allowed; expected a comma-separated list of ${PII_CLASSES.join(", ")}`);
    }

    let manifest: GuardSettings["manifest"];
    if (env.GUARD_MANIFEST && env.GUARD_MANIFEST_FILE) {
        throw new SettingsError("GUARD_MANIFEST_FILE", "is set together with GUARD_MANIFEST; set exactly one (the manifest comes from one place)");
    } else if (env.GUARD_MANIFEST) {
        manifest = { source: "env", text: env.GUARD_MANIFEST };
    } else if (env.GUARD_MANIFEST_FILE) {
        manifest = { source: "file", path: env.GUARD_MANIFEST_FILE };
    } else {
        throw new SettingsError("GUARD_MANIFEST", "is required but missing; set GUARD_MANIFEST (the approved manifest, e.g. injected by ECS from the SSM SecureString /mcpsec/<env>/<server>/tools-manifest) or GUARD_MANIFEST_FILE (e.g. the mounted ConfigMap)");
    }

    const approvals = approvalSettings(env);
    const allowUndeclaredArguments = list(env.GUARD_ALLOW_UNDECLARED_ARGUMENTS);
    const badTool = allowUndeclaredArguments.find((t) => !/^[A-Za-z0-9_.-]{1,64}$/.test(t));
    if (badTool !== undefined) {
        throw new SettingsError("GUARD_ALLOW_UNDECLARED_ARGUMENTS", `${show(badTool)} is not allowed; expected a comma-separated list of tool names whose arguments may carry properties their schema does not declare`);
    }

    return {
        serverName, resource, resourceMetadataUrl, issuer, jwksUrl, jwks, algorithms, clientIds,
        tokenUse: tokenUseRaw === "any" ? undefined : tokenUseRaw,
        clockToleranceSeconds: int(env, "GUARD_CLOCK_TOLERANCE_SECONDS", 30, 0, 300),
        tenantClaim,
        upstreamUrl,
        upstreamTimeoutMs: int(env, "GUARD_UPSTREAM_TIMEOUT_MS", 30_000, 100, 600_000),
        listenHost: env.GUARD_LISTEN_HOST ?? "0.0.0.0",
        listenPort: int(env, "GUARD_LISTEN_PORT", 8443, 0, 65535),
        tls,
        mcpPath: path(env, "GUARD_MCP_PATH", new URL(resource).pathname === "/" ? "/mcp" : new URL(resource).pathname),
        healthPath: path(env, "GUARD_HEALTH_PATH", "/health"),
        allowedHosts, allowedOrigins, methods,
        maxBodyBytes: int(env, "GUARD_MAX_BODY_BYTES", 1024 * 1024, 1024, 16 * 1024 * 1024),
        maxResponseBytes: int(env, "GUARD_MAX_RESPONSE_BYTES", 16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
        maxSessions: int(env, "GUARD_MAX_SESSIONS", 10_000, 1, 1_000_000),
        reverifySeconds: int(env, "GUARD_REVERIFY_SECONDS", 300, 0, 86_400),
        heartbeatSeconds: int(env, "GUARD_HEARTBEAT_SECONDS", 60, 10, 240),
        dlpMode: oneOf(env, "GUARD_DLP_MODE", "redact", ["redact", "block", "log"] as const),
        piiClasses: pii as PiiClass[],
        manifest, approvals, allowUndeclaredArguments,
    };
}

/**
 * GUARD_APPROVAL_PUBLIC_KEYS (`<key id>=<Ed25519 public key>`, comma-separated) and GUARD_APPROVALS_REQUIRED (true, false).
 * Required without a key is refused: no manifest could ever verify.
 */
function approvalSettings(env: Env): ApprovalSettings {
    const reviewerKeys = list(env.GUARD_APPROVAL_PUBLIC_KEYS).map((entry) => {
        const [id, publicKey, ...rest] = entry.split("=");
        if (rest.length > 0 || !new RegExp(KEY_ID).test(id ?? "") || !new RegExp(RAW_KEY).test(publicKey ?? "")) {
            throw new SettingsError("GUARD_APPROVAL_PUBLIC_KEYS", `${show(entry)} is not allowed; expected <key id>=<Ed25519 public key> entries, comma-separated (the reviewer keys of mcpsec:approvals.reviewers: id of 1-64 letters, digits and _.@:-, key of 43 base64url characters)`);
        }
        return { id, publicKey };
    });
    const ids = reviewerKeys.map((k) => k.id);
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated !== undefined) {
        throw new SettingsError("GUARD_APPROVAL_PUBLIC_KEYS", `${show(repeated)} is listed twice; expected each reviewer key id once`);
    }
    const required = oneOf(env, "GUARD_APPROVALS_REQUIRED", reviewerKeys.length > 0 ? "true" : "false", ["true", "false"] as const) === "true";
    if (required && reviewerKeys.length === 0) {
        throw new SettingsError("GUARD_APPROVAL_PUBLIC_KEYS", "is required but missing with GUARD_APPROVALS_REQUIRED=true; expected the reviewer keys (mcpsec:approvals.reviewers) a signed manifest must verify with");
    }
    return { required, reviewerKeys };
}

/** RFC 9728 section 3.1: the well-known segment goes between host and path (`https://h/.well-known/oauth-protected-resource/mcp`). */
export function metadataUrl(resource: string): string {
    const u = new URL(resource);
    const p = u.pathname === "/" ? "" : u.pathname;
    return `${u.origin}/.well-known/oauth-protected-resource${p}`;
}
