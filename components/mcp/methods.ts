/**
 * MCP methods a client sends to a server (protocol 2025-06-18 and later). One list for the three places that admit
 * client messages: the web ACL's allow model, the server description, and the guard (guard/ imports this module, so
 * it stays free of other imports; guard/Dockerfile copies it).
 */
export const MCP_CLIENT_METHODS = [
    "initialize", "ping",
    "tools/list", "tools/call",
    "resources/list", "resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe",
    "prompts/list", "prompts/get",
    "completion/complete", "logging/setLevel",
    "notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/roots/list_changed",
] as const;
