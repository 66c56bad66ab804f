export * from "./internalAlb";
export * from "./logBucket";
export * from "./privateLinkNlb";
export * from "./webAcl";
