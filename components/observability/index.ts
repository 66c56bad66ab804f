export * from "./alerts";
export * from "./archiveBucket";
export * from "./auditTrail";
export * from "./siemExport";
