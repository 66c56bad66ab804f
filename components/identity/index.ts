export * from "./authorizationServer";
export * from "./protectedResource";
