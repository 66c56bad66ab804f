export * from "./cluster";
export * from "./containerLogs";
export * from "./endpoint";
export * from "./nodes";
export * from "./provider";
export * from "./serverRoles";
