export * from "./spec";
export * from "./server";
export * from "./approval";
export * from "./approvalConfig";
