export * from "./mcpApiGateway";
export * from "./requestModel";
