import { MCP_CLIENT_METHODS } from "../mcp/methods";

/** The JSON Schema dialect API Gateway models are written in. */
export const API_GATEWAY_MODEL_DIALECT = "http://json-schema.org/draft-04/schema#";

/** Longest JSON-RPC `id` string the model admits (the MCP SDKs send integers or short UUIDs). */
export const MAX_ID_LENGTH = 128;

const id = { type: ["string", "integer"], maxLength: MAX_ID_LENGTH } as const;
const version = { enum: ["2.0"] } as const;

/**
 * The request model of `POST /mcp` (API Gateway model, JSON Schema draft 4): one JSON-RPC 2.0 message, never a
 * batch (MCP 2025-06-18 removed batching), that is either a request or notification whose `method` is on the
 * allowlist (default the MCP client methods of components/mcp/methods.ts), or a response to a server request (`id`
 * and exactly one of `result` or `error`, no `method`). Unknown top-level members are refused. Pure.
 *
 * A JSON Schema cannot count bytes: the body size bound is the web ACL's size rule on the same stage
 * (`maxRequestBodyBytes`, below what WAF inspects of an API Gateway body), which the tests apply with this model.
 */
export function mcpRequestModel(allowedMethods: readonly string[] = MCP_CLIENT_METHODS): Record<string, unknown> {
    if (allowedMethods.length === 0) {
        throw new Error("allowedMethods: [] is not allowed; expected at least one JSON-RPC method");
    }
    return {
        $schema: API_GATEWAY_MODEL_DIALECT,
        title: "McpJsonRpcMessage",
        type: "object",
        oneOf: [
            {
                properties: { jsonrpc: version, id, method: { enum: [...allowedMethods] }, params: { type: "object" } },
                required: ["jsonrpc", "method"],
                additionalProperties: false,
            },
            {
                properties: {
                    jsonrpc: version, id,
                    result: { type: "object" },
                    error: { type: "object", properties: { code: { type: "integer" }, message: { type: "string" } }, required: ["code", "message"] },
                },
                required: ["jsonrpc", "id"],
                additionalProperties: false,
                oneOf: [{ required: ["result"] }, { required: ["error"] }],
            },
        ],
    };
}
