export * from "./authorizationServer";
export * from "./protectedResource";
export * from "./jwks";
