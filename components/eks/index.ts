export * from "./cluster";
export * from "./endpoint";
export * from "./nodes";
export * from "./provider";
export * from "./serverRoles";
