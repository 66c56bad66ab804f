import { resourceRule } from "../lib/rule";

const REPOSITORY = ["aws:ecr/repository:Repository"];

export const ecrImmutableTags = resourceRule({
    name: "aws-ecr-repository-immutable-tags",
    description: "ECR repositories must make image tags immutable, so that a pushed tag can never be pointed at other content.",
    severity: "high",
    controls: ["C4"],
    nist: ["SR-4", "CM-14", "SI-7"],
    maestro: ["L4", "L7"],
    threats: ["T7"],
    remediation: "Set imageTagMutability: \"IMMUTABLE\", as McpService's repository does.",
}, REPOSITORY, (props, _args, report) => {
    if (!String(props.imageTagMutability ?? "MUTABLE").startsWith("IMMUTABLE")) {
        report(`imageTagMutability is ${props.imageTagMutability ?? "MUTABLE (the default)"}.`);
    }
});

export const ecrScanOnPush = resourceRule({
    name: "aws-ecr-repository-scan-on-push",
    description: "ECR repositories must scan images on push, so that known vulnerabilities in an MCP server image are found before it runs.",
    severity: "medium",
    controls: ["S3", "O4"],
    nist: ["RA-5", "SI-2"],
    maestro: ["L4"],
    threats: ["T7", "T6"],
    remediation: "Set imageScanningConfiguration.scanOnPush: true (McpService does), or turn on Inspector enhanced scanning for the registry.",
}, REPOSITORY, (props, _args, report) => {
    if (props.imageScanningConfiguration?.scanOnPush !== true) {
        report("imageScanningConfiguration.scanOnPush is not true.");
    }
});

export const ecrKmsEncrypted = resourceRule({
    name: "aws-ecr-repository-kms-encrypted",
    description: "ECR repositories must encrypt images with a KMS key, so that access to image layers is governed by a key policy you control.",
    severity: "medium",
    controls: ["C4"],
    nist: ["SC-28"],
    maestro: ["L4", "L6"],
    threats: ["T2", "T7"],
    remediation: "Set encryptionConfigurations: [{ encryptionType: \"KMS\", kmsKey }], as McpService does with the zone key.",
}, REPOSITORY, (props, _args, report) => {
    const enc = (props.encryptionConfigurations ?? []) as { encryptionType?: string }[];
    if (!enc.some((e) => e.encryptionType === "KMS" || e.encryptionType === "KMS_DSSE")) {
        report("the repository is not encrypted with KMS.");
    }
});

export const ecrRules = [ecrImmutableTags, ecrScanOnPush, ecrKmsEncrypted];
