import { checkUnique, ConfigError } from "../common/errors";
import { ApprovalSettings, isProductionEnvironment, KEY_ID, RAW_KEY, ReviewerKey, reviewerPublicKey } from "./approval";

/** JSON Schema of `mcpsec:approvals`: the reviewers' public keys, and whether signatures are required. */
export const approvalsSchema = {
    type: "object", additionalProperties: false,
    properties: {
        reviewers: {
            type: "array", minItems: 1, maxItems: 20,
            items: {
                type: "object", additionalProperties: false, required: ["id", "publicKey"],
                properties: {
                    id: { type: "string", pattern: KEY_ID, description: "a key id: 1-64 letters, digits and _.@:-" },
                    publicKey: { type: "string", pattern: RAW_KEY, description: "an Ed25519 public key, 43 base64url characters (printed by `mcpsec approve --print-public-key`)" },
                },
                description: "a reviewer key: {id, publicKey}",
            },
            description: "a list of 1-20 reviewer keys",
        },
        required: { type: "boolean", description: "true or false (default: true in production environments, prod, production or prod-*; false elsewhere, where unsigned servers are reported as advisory)" },
    },
    description: "the approval settings: {reviewers, required}",
} as const;

/** The approval settings of a stack: reviewer keys, and required by default in production. Keys must parse. */
export function resolveApprovals(input: { reviewers?: ReviewerKey[]; required?: boolean } | undefined, environment: string, key = "mcpsec:approvals"): ApprovalSettings {
    const reviewerKeys = (input?.reviewers ?? []).map((k) => ({ id: k.id, publicKey: k.publicKey }));
    checkUnique(reviewerKeys, (i) => `${key}.reviewers[${i}].id`, (k) => k.id);
    reviewerKeys.forEach((k, i) => {
        try {
            reviewerPublicKey(k.publicKey);
        } catch (e) {
            throw new ConfigError(`${key}.reviewers[${i}].publicKey`, (e as Error).message);
        }
    });
    return { required: input?.required ?? isProductionEnvironment(environment), reviewerKeys };
}
