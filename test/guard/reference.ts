// The reference upstream of the conformance run: the tools, resources, prompts and completions the MCP conformance
// server scenarios call, written against the SDK's low-level Server (so its tool schemas are exactly what we say).
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
    CompleteRequestSchema, CreateMessageResultSchema, ElicitResultSchema, GetPromptRequestSchema, ListPromptsRequestSchema,
    ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ReadResourceRequestSchema, SetLevelRequestSchema,
    SubscribeRequestSchema, UnsubscribeRequestSchema, type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { ToolDef } from "./upstream";

// A 1x1 PNG and a tiny WAV header, base64.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const empty = { type: "object", properties: {} };

export const referenceCapabilities: ServerCapabilities = {
    tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, logging: {}, completions: {},
};

export const referenceTools: ToolDef[] = [
    { name: "test_simple_text", description: "Returns simple text.", inputSchema: empty, call: () => ({ content: [{ type: "text", text: "This is a simple text response for testing." }] }) },
    { name: "test_image_content", description: "Returns an image.", inputSchema: empty, call: () => ({ content: [{ type: "image", data: PNG, mimeType: "image/png" }] }) },
    { name: "test_audio_content", description: "Returns audio.", inputSchema: empty, call: () => ({ content: [{ type: "audio", data: WAV, mimeType: "audio/wav" }] }) },
    {
        name: "test_embedded_resource", description: "Returns an embedded resource.", inputSchema: empty,
        call: () => ({ content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }] }),
    },
    {
        name: "test_multiple_content_types", description: "Returns text, image and resource.", inputSchema: empty,
        call: () => ({
            content: [
                { type: "text", text: "Multiple content types test:" },
                { type: "image", data: PNG, mimeType: "image/png" },
                { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
            ],
        }),
    },
    {
        name: "test_tool_with_logging", description: "Logs while it runs.", inputSchema: empty,
        call: async (_a, { extra }) => {
            for (const [i, data] of ["Tool execution started", "Tool processing data", "Tool execution completed"].entries()) {
                if (i > 0) {
                    await sleep(50);
                }
                await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
            }
            return { content: [{ type: "text", text: "Logging completed" }] };
        },
    },
    {
        name: "test_tool_with_progress", description: "Reports progress.", inputSchema: empty,
        call: async (_a, { extra, progressToken }) => {
            for (const progress of [0, 50, 100]) {
                if (progressToken !== undefined) {
                    await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, total: 100 } });
                }
                if (progress < 100) {
                    await sleep(50);
                }
            }
            return { content: [{ type: "text", text: "Progress completed" }] };
        },
    },
    { name: "test_error_handling", description: "Always fails.", inputSchema: empty, call: () => ({ isError: true, content: [{ type: "text", text: "This tool intentionally returns an error for testing" }] }) },
    {
        name: "test_sampling", description: "Asks the client's model.", inputSchema: { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"] },
        call: async (args, { extra }) => {
            const r = await extra.sendRequest({ method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: String(args.prompt) } }], maxTokens: 100 } }, CreateMessageResultSchema);
            const text = r.content.type === "text" ? r.content.text : JSON.stringify(r.content);
            return { content: [{ type: "text", text: `LLM response: ${text}` }] };
        },
    },
    {
        name: "test_elicitation", description: "Asks the user.", inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
        call: async (args, { extra }) => {
            const r = await extra.sendRequest({
                method: "elicitation/create",
                params: {
                    message: String(args.message),
                    requestedSchema: { type: "object", properties: { username: { type: "string", description: "User's response" }, email: { type: "string", description: "User's email address" } }, required: ["username", "email"] },
                },
            }, ElicitResultSchema);
            return { content: [{ type: "text", text: `User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}` }] };
        },
    },
    {
        name: "test_elicitation_sep1034_defaults", description: "Asks the user with defaults.", inputSchema: empty,
        call: async (_a, { extra }) => {
            const r = await extra.sendRequest({
                method: "elicitation/create",
                params: {
                    message: "Please review the defaults",
                    requestedSchema: {
                        type: "object",
                        properties: {
                            name: { type: "string", default: "John Doe" },
                            age: { type: "integer", default: 30 },
                            score: { type: "number", default: 95.5 },
                            status: { type: "string", enum: ["active", "inactive", "pending"], default: "active" },
                            verified: { type: "boolean", default: true },
                        },
                    },
                },
            }, ElicitResultSchema);
            return { content: [{ type: "text", text: `Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}` }] };
        },
    },
    {
        name: "test_elicitation_sep1330_enums", description: "Asks the user with enums.", inputSchema: empty,
        call: async (_a, { extra }) => {
            const r = await extra.sendRequest({
                method: "elicitation/create",
                params: {
                    message: "Please choose",
                    requestedSchema: {
                        type: "object",
                        properties: {
                            untitledSingle: { type: "string", enum: ["option1", "option2", "option3"] },
                            titledSingle: { type: "string", oneOf: [{ const: "value1", title: "First Option" }, { const: "value2", title: "Second Option" }, { const: "value3", title: "Third Option" }] },
                            legacyEnum: { type: "string", enum: ["opt1", "opt2", "opt3"], enumNames: ["Option One", "Option Two", "Option Three"] },
                            untitledMulti: { type: "array", items: { type: "string", enum: ["option1", "option2", "option3"] } },
                            titledMulti: { type: "array", items: { anyOf: [{ const: "value1", title: "First Choice" }, { const: "value2", title: "Second Choice" }, { const: "value3", title: "Third Choice" }] } },
                        },
                    },
                },
            } as never, ElicitResultSchema);
            return { content: [{ type: "text", text: `Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}` }] };
        },
    },
    {
        name: "json_schema_2020_12_tool", description: "Tool with JSON Schema 2020-12 features",
        inputSchema: {
            $schema: "https://json-schema.org/draft/2020-12/schema",
            type: "object",
            $defs: { address: { type: "object", properties: { street: { type: "string" }, city: { type: "string" } } } },
            properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
            additionalProperties: false,
        },
        call: () => ({ content: [{ type: "text", text: "ok" }] }),
    },
    {
        name: "test_reconnection", description: "Closes its SSE stream mid-call so the client polls (SEP-1699).", inputSchema: empty,
        call: async (_a, { extra }) => {
            await sleep(50);
            extra.closeSSEStream?.();
            await sleep(200);
            return { content: [{ type: "text", text: "Reconnection test completed successfully" }] };
        },
    },
];

/** Resources, templates, subscriptions, prompts, completion and logging level of the reference upstream. */
export function referenceSetup(server: Server): void {
    const resources = [
        { uri: "test://static-text", name: "static-text", description: "A static text resource", mimeType: "text/plain" },
        { uri: "test://static-binary", name: "static-binary", description: "A static binary resource", mimeType: "image/png" },
        { uri: "test://watched-resource", name: "watched-resource", description: "A resource to subscribe to", mimeType: "text/plain" },
    ];
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
        resourceTemplates: [{ uriTemplate: "test://template/{id}/data", name: "template", description: "Data by id", mimeType: "application/json" }],
    }));
    server.setRequestHandler(ReadResourceRequestSchema, async ({ params: { uri } }) => {
        if (uri === "test://static-text") {
            return { contents: [{ uri, mimeType: "text/plain", text: "This is the content of the static text resource." }] };
        }
        if (uri === "test://static-binary") {
            return { contents: [{ uri, mimeType: "image/png", blob: PNG }] };
        }
        if (uri === "test://watched-resource") {
            return { contents: [{ uri, mimeType: "text/plain", text: "Watched resource content." }] };
        }
        const m = /^test:\/\/template\/([^/]+)\/data$/.exec(uri);
        if (m) {
            return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify({ id: m[1], templateTest: true, data: `Data for ID: ${m[1]}` }) }] };
        }
        throw new Error(`Resource not found: ${uri}`);
    });
    const subscriptions = new Set<string>();
    server.setRequestHandler(SubscribeRequestSchema, async ({ params: { uri } }) => {
        subscriptions.add(uri);
        return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, async ({ params: { uri } }) => {
        subscriptions.delete(uri);
        return {};
    });
    server.setRequestHandler(ListPromptsRequestSchema, async () => ({
        prompts: [
            { name: "test_simple_prompt", description: "A simple prompt" },
            { name: "test_prompt_with_arguments", description: "A prompt with arguments", arguments: [{ name: "arg1", description: "First argument", required: true }, { name: "arg2", description: "Second argument", required: true }] },
            { name: "test_prompt_with_embedded_resource", description: "A prompt with a resource", arguments: [{ name: "resourceUri", description: "URI to embed", required: true }] },
            { name: "test_prompt_with_image", description: "A prompt with an image" },
        ],
    }));
    server.setRequestHandler(GetPromptRequestSchema, async ({ params: { name, arguments: args = {} } }) => {
        switch (name) {
            case "test_simple_prompt":
                return { messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }] };
            case "test_prompt_with_arguments":
                return { messages: [{ role: "user", content: { type: "text", text: `Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'` } }] };
            case "test_prompt_with_embedded_resource":
                return {
                    messages: [
                        { role: "user", content: { type: "resource", resource: { uri: args.resourceUri ?? "test://example-resource", mimeType: "text/plain", text: "Embedded resource content for testing." } } },
                        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
                    ],
                };
            case "test_prompt_with_image":
                return {
                    messages: [
                        { role: "user", content: { type: "image", data: PNG, mimeType: "image/png" } },
                        { role: "user", content: { type: "text", text: "Please analyze the image above." } },
                    ],
                };
            default:
                throw new Error(`Prompt not found: ${name}`);
        }
    });
    server.setRequestHandler(CompleteRequestSchema, async () => ({ completion: { values: [], total: 0, hasMore: false } }));
    server.setRequestHandler(SetLevelRequestSchema, async () => ({}));
}
