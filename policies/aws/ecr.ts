import { ofType, Props, resourceRule, stackRule } from "../lib/rule";

const REPOSITORY = ["aws:ecr/repository:Repository"];
const REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration";

/** ECR's WILDCARD filter: `*` matches any run of characters, everything else itself. */
export function wildcardMatches(filter: string, value: string): boolean {
    const pattern = filter.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    return new RegExp(`^${pattern}$`).test(value);
}

export const ecrImmutableTags = resourceRule({
    name: "aws-ecr-repository-immutable-tags",
    description: "ECR repositories must make image tags immutable, so that a pushed tag can never be pointed at other content. IMMUTABLE_WITH_EXCLUSION counts only without exclusion filters: each filter makes the tags it matches mutable again.",
    severity: "high",
    controls: ["C4"],
    nist: ["SR-4", "CM-14", "SI-7"],
    maestro: ["L4", "L7"],
    threats: ["T7"],
    remediation: "Set imageTagMutability: \"IMMUTABLE\" with no imageTagMutabilityExclusionFilters, as McpService's repository (createRepository: true) does.",
}, REPOSITORY, (props, _args, report) => {
    const mutability = String(props.imageTagMutability ?? "MUTABLE");
    if (!mutability.startsWith("IMMUTABLE")) {
        report(`imageTagMutability is ${props.imageTagMutability ?? "MUTABLE (the default)"}.`);
    }
    const filters = ((props.imageTagMutabilityExclusionFilters ?? []) as Props[]).map((f) => String(f.filter));
    if (mutability === "IMMUTABLE_WITH_EXCLUSION" && filters.length > 0) {
        report(`imageTagMutability is IMMUTABLE_WITH_EXCLUSION with exclusion filters ${filters.map((f) => JSON.stringify(f)).join(", ")}: tags that match them are mutable.`);
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

export const ecrRegistryScanningCoversRepositories = stackRule({
    name: "aws-ecr-registry-scanning-covers-repositories",
    description: "When the stack sets the registry's scanning configuration, it replaces the repositories' own scan-on-push settings: every repository of the stack must then match a registry scanning rule whose frequency is SCAN_ON_PUSH or CONTINUOUS_SCAN. A repository that no filter matches, or only a MANUAL one, is never scanned, whatever its scanOnPush says.",
    severity: "medium",
    controls: ["S3", "O4"],
    nist: ["RA-5", "SI-2"],
    maestro: ["L4"],
    threats: ["T7", "T6"],
    remediation: "Add a rule to the aws.ecr.RegistryScanningConfiguration with scanFrequency SCAN_ON_PUSH (BASIC) or CONTINUOUS_SCAN (ENHANCED) and a WILDCARD repository filter that matches the MCP repositories (e.g. \"mcp/*\" or \"*\").",
}, (resources, _args, report) => {
    const configs = ofType(resources, REGISTRY_SCANNING);
    if (configs.length === 0) {
        return;
    }
    const rules = configs.flatMap((c) => (c.props.rules ?? []) as Props[]);
    for (const repo of resources.filter((r) => REPOSITORY.includes(r.type))) {
        const name = String(repo.props.name ?? repo.name);
        const matching = rules.filter((r) => ((r.repositoryFilters ?? []) as Props[]).some((f) => wildcardMatches(String(f.filter), name)));
        if (!matching.some((r) => r.scanFrequency === "SCAN_ON_PUSH" || r.scanFrequency === "CONTINUOUS_SCAN")) {
            const how = matching.length === 0 ? "matches no registry scanning rule" : `matches only ${matching.map((r) => r.scanFrequency).join(", ")} rules`;
            report(`Repository ${name} ${how}, so its images are not scanned.`, repo.urn);
        }
    }
}, { onlyWith: REGISTRY_SCANNING });

export const ecrRules = [ecrImmutableTags, ecrScanOnPush, ecrKmsEncrypted, ecrRegistryScanningCoversRepositories];
