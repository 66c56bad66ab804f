export * from "./containment";
export * from "./threatDetection";
