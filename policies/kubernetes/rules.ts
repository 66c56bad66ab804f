import { bypassRules } from "./bypass";
import { gatewayRules } from "./gateways";
import { guardRules } from "./guard";
import { mcpRules } from "./mcp";
import { pssRules } from "./pss";

/** Every rule of the mcpsec-kubernetes pack, in report order. */
export const kubernetesRules = [...pssRules, ...mcpRules, ...guardRules, ...gatewayRules, ...bypassRules];
