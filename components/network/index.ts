export * from "./segmentedVpc";
export * from "./dnsFirewall";
export * from "./egressFirewall";
