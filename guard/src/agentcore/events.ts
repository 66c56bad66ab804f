/**
 * The Amazon Bedrock AgentCore Gateway interceptor contract for MCP targets, as documented in the AgentCore developer
 * guide, "Types of interceptors" (gateway-interceptors-types.html) and "Configuration"
 * (gateway-interceptors-configuration.html):
 *
 * - input `interceptorInputVersion: "1.0"` with an `mcp` object: `rawGatewayRequest.body` (the request body as the
 *   client sent it, a string), `gatewayRequest` (`path` always `/mcp`, `httpMethod`, `headers` only when the
 *   interceptor is configured with `passRequestHeaders: true`, `body` the parsed JSON-RPC message), and for RESPONSE
 *   interceptors `gatewayResponse` (`statusCode`, `headers`, `body` the parsed JSON-RPC message; with response
 *   streaming on, `isStreamingResponse: true` and one invocation per event that carries a JSON-RPC id, where only the
 *   first may change `statusCode` and `headers`);
 * - output `interceptorOutputVersion: "1.0"` with `mcp.transformedGatewayRequest.body` (what goes on to the target)
 *   and/or `mcp.transformedGatewayResponse` (`statusCode`, `headers`, `body`); a `transformedGatewayResponse` from a
 *   REQUEST interceptor is answered at once (the target is not called; a RESPONSE interceptor still runs).
 *
 * Tools reach clients as `<target name>___<tool name>` (gateway-tool-naming.html); target names match
 * `^([0-9a-zA-Z][-]?){1,100}$` (no `_`), so the first `___` separates them unambiguously. HTTP targets use an `http`
 * payload with base64 bodies instead: not served here (every target of these blueprints is an MCP server).
 */

export const INPUT_VERSION = "1.0";
export const OUTPUT_VERSION = "1.0";
/** The separator of gateway tool names: `<target>___<tool>`. */
export const TOOL_SEPARATOR = "___";
/** A gateway target name (CreateGatewayTarget `name`). */
export const TARGET_NAME = /^([0-9a-zA-Z]-?){1,100}$/;

/**
 * The client methods the REQUEST interceptor lets through to a target: those whose per-user authorization the
 * agentcore kind can really enforce, and those the session needs. AgentCore's Cedar engine judges tool calls only
 * ("Policy evaluation applies only to MCP tools. Regardless of the policy evaluation mode, the gateway always allows
 * MCP prompts (`prompts/list`, `prompts/get`) and resources (`resources/list`, `resources/read`,
 * `resources/templates/list`)", devguide use-gateway-with-policy), the interceptor sees no identity
 * (`passRequestHeaders: false`) and the target's token is the gateway's own, holding every scope of the server. So
 * resources, prompts, completion, subscriptions and logging/setLevel are refused at the gateway for everyone: no
 * per-user check exists for them on this path. Responses to server requests are not methods and pass.
 */
export const AGENTCORE_CLIENT_METHODS = [
    "initialize", "ping", "tools/list", "tools/call",
    "notifications/initialized", "notifications/cancelled",
] as const;

export interface GatewayRequest {
    path?: string;
    httpMethod?: string;
    headers?: Record<string, string>;
    body?: unknown;
}

export interface GatewayResponse {
    statusCode?: number;
    headers?: Record<string, string>;
    body?: unknown;
    isStreamingResponse?: boolean;
}

export interface InterceptorEvent {
    interceptorInputVersion?: unknown;
    mcp?: {
        rawGatewayRequest?: { body?: unknown };
        gatewayRequest?: GatewayRequest;
        gatewayResponse?: GatewayResponse;
    };
    [other: string]: unknown;
}

export interface InterceptorOutput {
    interceptorOutputVersion: typeof OUTPUT_VERSION;
    mcp: {
        transformedGatewayRequest?: { body: Record<string, unknown> };
        transformedGatewayResponse?: { statusCode: number; headers?: Record<string, string>; body: Record<string, unknown> };
    };
}

/** Passes a (checked, re-serialized) request on to the target. */
export function passRequest(body: Record<string, unknown>): InterceptorOutput {
    return { interceptorOutputVersion: OUTPUT_VERSION, mcp: { transformedGatewayRequest: { body } } };
}

/** Answers the caller with this response: from a REQUEST interceptor the target is never called. */
export function answer(statusCode: number, body: Record<string, unknown>, headers?: Record<string, string>): InterceptorOutput {
    return { interceptorOutputVersion: OUTPUT_VERSION, mcp: { transformedGatewayResponse: { statusCode, ...(headers !== undefined ? { headers } : {}), body } } };
}

/** A JSON-RPC error answer. */
export function rpcErrorAnswer(statusCode: number, id: unknown, code: number, message: string): InterceptorOutput {
    const rid = typeof id === "string" || typeof id === "number" ? id : null;
    return answer(statusCode, { jsonrpc: "2.0", id: rid, error: { code, message } });
}

/** `<target>___<tool>` split at the first separator, or undefined when the name is not a gateway tool name. */
export function splitToolName(name: string): { target: string; tool: string } | undefined {
    const at = name.indexOf(TOOL_SEPARATOR);
    if (at <= 0) {
        return undefined;
    }
    const target = name.slice(0, at);
    const tool = name.slice(at + TOOL_SEPARATOR.length);
    return TARGET_NAME.test(target) && tool.length > 0 ? { target, tool } : undefined;
}

/** The JSON-RPC id of a parsed message, if it has a usable one. */
export function idOf(message: unknown): string | number | null {
    const id = typeof message === "object" && message !== null ? (message as { id?: unknown }).id : undefined;
    return typeof id === "string" || typeof id === "number" ? id : null;
}
