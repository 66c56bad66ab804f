export * from "./containment";
export * from "./threatDetection";
export * from "./guardDutyAgent";
