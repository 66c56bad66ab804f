// The mcpsec-kubernetes policy pack: `pulumi preview --policy-pack policies/kubernetes`, or `mcpsec check`.
import { PolicyPack } from "@pulumi/policy";
import { kubernetesRules } from "./rules";

new PolicyPack("mcpsec-kubernetes", {
    description: "Kubernetes and Istio controls of MCP Secure Blueprints: Pod Security Standards restricted, network policy, mesh.",
    enforcementLevel: "mandatory",
    policies: kubernetesRules.map((r) => r.policy),
});
