export * from "./egress";
export * from "./externalSecrets";
export * from "./layer";
export * from "./mesh";
export * from "./names";
export * from "./namespace";
export * from "./workload";
