import type { SecretLintCoreConfig, SecretLintRuleCreator } from "@secretlint/types";

/**
 * Environment variable names that look like credentials: these belong in a secret store, never plain environment.
 * Besides the usual words (secret, password, token, credential, API/private/access key) any name that ends in
 * `KEY`/`KEYS` (`STRIPE_KEY`, `OPENAI_KEY`), except `PUBLIC_KEY`, and passphrases and bearer values.
 */
export const CREDENTIAL_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|BEARER|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY|(^|_)(?<!PUBLIC_)KEYS?$)/i;

/** One credential found in a plain environment variable; never carries the value itself. */
export interface CredentialFinding {
    /** The variable's name. */
    name: string;
    /** What was found, e.g. `GitHub Token` or `JSON Web Token`, from the detector's rule. */
    kind: string;
    /** The detector rule that found it (a secretlint rule id). */
    rule: string;
}

// A JSON Web Token: three base64url parts, the first two starting with `{"` encoded (`eyJ`). The recommended
// secretlint preset has no rule for bare JWTs; this one is written as a secretlint rule, so it runs in the same
// engine with the same masking.
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const jwtRule: SecretLintRuleCreator = {
    messages: { JWT: { en: () => "found JSON Web Token" } },
    meta: { id: "mcpsec/jwt", recommended: true, type: "scanner", supportedContentTypes: ["text"], docs: { url: "https://datatracker.ietf.org/doc/html/rfc7519" } },
    create(context) {
        const t = context.createTranslator(jwtRule.messages);
        return {
            file(source) {
                for (const match of source.content.matchAll(JWT)) {
                    const index = match.index ?? 0;
                    context.report({ message: t("JWT"), range: [index, index + match[0].length] });
                }
            },
        };
    },
};

/** The kinds a secretlint rule reports, by rule id (its message may carry the masked value, which is never shown). */
const KIND: Record<string, string> = {
    "@secretlint/secretlint-rule-aws": "AWS credential",
    "@secretlint/secretlint-rule-gcp": "GCP service account key",
    "@secretlint/secretlint-rule-privatekey": "private key",
    "@secretlint/secretlint-rule-github": "GitHub token",
    "@secretlint/secretlint-rule-slack": "Slack token or webhook",
    "@secretlint/secretlint-rule-npm": "npm token",
    "@secretlint/secretlint-rule-basicauth": "password in a URL (basic auth)",
    "@secretlint/secretlint-rule-database-connection-string": "database connection string with a password",
    "@secretlint/secretlint-rule-openai": "OpenAI API key",
    "@secretlint/secretlint-rule-anthropic": "Anthropic API key",
    "mcpsec/jwt": "JSON Web Token",
};

let detector: Promise<(content: string) => Promise<{ ruleId: string }[]>> | undefined;

/** secretlint (ESM) is loaded on first use, so that requiring this module stays cheap and synchronous. */
function loadDetector() {
    detector ??= (async () => {
        const [{ lintSource }, { creator: recommended }] = await Promise.all([
            import("@secretlint/core"),
            import("@secretlint/secretlint-rule-preset-recommend"),
        ]);
        const config: SecretLintCoreConfig = {
            rules: [
                // AWS access key ids alone are reported too (the rule's default looks only for secret access keys).
                { id: "@secretlint/secretlint-rule-preset-recommend", rule: recommended, rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }] },
                { id: "mcpsec/jwt", rule: jwtRule },
            ],
        };
        return async (content: string) => {
            const result = await lintSource({
                source: { content, filePath: "environment", ext: "", contentType: "text" },
                options: { config, maskSecrets: true, noPhysicFilePath: true },
            });
            return result.messages.map((m) => ({ ruleId: m.ruleId }));
        };
    })();
    return detector;
}

/**
 * Finds credentials in the values of plain environment variables with secretlint's recommended rules (tokens of
 * GitHub, Slack, npm, OpenAI, Anthropic, AWS keys, private key blocks, passwords in URLs and connection strings)
 * plus JSON Web Tokens. Names that look like credentials ({@link CREDENTIAL_NAME}) are found too. The result names
 * the variable and the kind of credential, never the value.
 */
export async function findCredentials(environment: { name: string; value: string }[]): Promise<CredentialFinding[]> {
    const detect = await loadDetector();
    const findings: CredentialFinding[] = [];
    for (const { name, value } of environment) {
        if (CREDENTIAL_NAME.test(name)) {
            findings.push({ name, kind: "variable named like a credential", rule: "mcpsec/credential-name" });
            continue;
        }
        const [hit] = await detect(value);
        if (hit) {
            findings.push({ name, kind: KIND[hit.ruleId] ?? "credential", rule: hit.ruleId });
        }
    }
    return findings;
}
