export * from "./cluster";
export * from "./nodes";
export * from "./provider";
export * from "./serverRoles";
