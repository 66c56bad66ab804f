export * from "./managedSecret";
export * from "./zoneKey";
