import { resourceRule } from "../lib/rule";

export const kmsKeyRotation = resourceRule({
    name: "aws-kms-key-rotation-enabled",
    description: "Symmetric KMS keys must rotate their key material automatically. The paper asks for continuous key rotation; rotation bounds how much data one key version protects.",
    severity: "medium",
    controls: ["S5"],
    nist: ["SC-12", "SC-28"],
    maestro: ["L6"],
    threats: ["T2", "T4"],
    remediation: "Set enableKeyRotation: true (every key the blueprint's components create has it).",
}, ["aws:kms/key:Key"], (props, _args, report) => {
    const spec = props.customerMasterKeySpec ?? props.keySpec ?? "SYMMETRIC_DEFAULT";
    const usage = props.keyUsage ?? "ENCRYPT_DECRYPT";
    if (spec === "SYMMETRIC_DEFAULT" && usage === "ENCRYPT_DECRYPT" && props.enableKeyRotation !== true) {
        report("enableKeyRotation is not true.");
    }
});

export const kmsRules = [kmsKeyRotation];
