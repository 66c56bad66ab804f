export * from "./cluster";
export * from "./mcpService";
