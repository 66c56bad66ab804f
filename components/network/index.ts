export * from "./segmentedVpc";
