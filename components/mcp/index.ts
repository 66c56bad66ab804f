export * from "./spec";
export * from "./server";
