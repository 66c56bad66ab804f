import type { SecretLintCoreConfig, SecretLintRuleCreator, SecretLintRulePresetCreator } from "@secretlint/types";

// This module is pure (no Pulumi, no I/O): the config loader, McpService, the ECS pack and (later) the guard's DLP
// import the same detector from here: `CREDENTIAL_PATTERNS`, `jwtRule`, `credentialDetectorConfig`,
// `credentialKind` and `loadCredentialDetector`.

/**
 * Environment variable names that look like credentials: these belong in a secret store, never plain environment.
 * Besides the usual words (secret, password, token, credential, API/private/access key) any name that ends in
 * `KEY`/`KEYS` (`STRIPE_KEY`, `OPENAI_KEY`), except `PUBLIC_KEY`, or in `PASS`, `PWD`, `DSN` or `COOKIE`
 * (`DB_PASS`, `DB_PWD`, `SENTRY_DSN`, `SESSION_COOKIE`), and passphrases and bearer values. See
 * {@link isCredentialName} for the exemptions.
 */
export const CREDENTIAL_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|BEARER|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY|(^|_)(PASS|PWD|DSN|COOKIES?)$|(^|_)(?<!PUBLIC_)KEYS?$)/i;

/**
 * Names that point at a credential rather than hold one (`CLIENT_SECRET_ARN`, `PRIVATE_KEY_PATH`, `TOKEN_FILE`,
 * `TOKEN_URL`): not refused by name; their values are still scanned, so a URL with a password is still found.
 */
export const CREDENTIAL_REFERENCE_NAME = /_(ARN|PATH|FILE|URL|URI)$/i;

/** True when a variable's name says it holds a credential. `PWD` alone is the shell's working directory. */
export function isCredentialName(name: string): boolean {
    return CREDENTIAL_NAME.test(name) && !CREDENTIAL_REFERENCE_NAME.test(name) && name.toUpperCase() !== "PWD";
}

/** One credential found in a plain environment variable; never carries the value itself. */
export interface CredentialFinding {
    /** The variable's name. */
    name: string;
    /** What was found, e.g. `GitHub token` or `JSON Web Token`, from the detector's rule. */
    kind: string;
    /** The detector rule that found it (a secretlint rule id, or mcpsec/credential-name, mcpsec/aws-secret-key). */
    rule: string;
}

// A value that stands for a credential rather than being one: ${VAR}, $VAR, <placeholder>, {{template}}, ***.
const PLACEHOLDER = String.raw`(?:\$\{[^}\s]*\}|\$[A-Za-z_]\w*|<[^>\s]*>|\{\{[^}]*\}\}|\*+)`;

/**
 * Options of secretlint's pattern rule (`@secretlint/secretlint-rule-pattern`): credentials the recommended preset
 * misses. Plain JSON (regular expressions as strings, compiled by the rule with the `u` and `g` flags).
 */
export const CREDENTIAL_PATTERNS = {
    patterns: [
        {
            // redis://:pw@host, amqp://user:pw@host, jdbc:postgresql://user:pw@host, any scheme, any user (or none).
            name: "password in a URL",
            patterns: [String.raw`/\b[a-z][a-z0-9+.-]*:\/\/[^\s:@\/?#]*:(?!${PLACEHOLDER}@)[^\s@\/?#]+@[^\s\/?#@]+/i`],
        },
        {
            // ADO.NET and JDBC (Password=, Pwd=, ?password=, ;password=), Azure storage and Service Bus
            // (AccountKey=, SharedAccessKey=), command-line options (--password=).
            name: "password or account key in a connection string",
            patterns: [String.raw`/(?:^|[\s;&?,'"-])(?:password|passwd|pwd|accountkey|sharedaccesskey)\s*=\s*(?!${PLACEHOLDER}(?:[\s;&'"]|$))[^\s;&'"]+/i`],
        },
        {
            name: "Google API key",
            patterns: [String.raw`/\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])/`],
        },
        {
            // The header alone: secretlint's private key rule needs a body of 100+ characters (an Ed25519 PKCS#8 key
            // is shorter), and a key in an environment variable may have its line breaks escaped or removed.
            name: "private key",
            patterns: [String.raw`/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/`],
        },
    ],
};

// A JSON Web Token: three base64url parts, the first two starting with `{"` encoded (`eyJ`). The recommended
// secretlint preset has no rule for bare JWTs; this one is written as a secretlint rule, so it runs in the same
// engine with the same masking.
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
export const jwtRule: SecretLintRuleCreator = {
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

/** The preset's rule that lets `secretlint-disable` comments in the scanned text hide what follows them. */
export const COMMENT_FILTER_RULE = "@secretlint/secretlint-rule-filter-comments";

/**
 * The recommended preset without its comment filter: the scanned text is not ours (a tool result, a stack value),
 * and with the filter a `secretlint-disable` anywhere in it would switch detection off for everything after it.
 * (secretlint core does not honour `disabled` for a rule inside a preset, so the preset registers the others only.)
 */
function withoutCommentFilter(preset: SecretLintRulePresetCreator): SecretLintRulePresetCreator {
    const rules = preset.rules.filter((r) => r.meta.id !== COMMENT_FILTER_RULE);
    return { ...preset, rules, create: (context) => rules.forEach((r) => context.registerRule(r)) };
}

/** The detector's secretlint config, from the loaded rule modules (secretlint is ESM, so callers import them). */
export function credentialDetectorConfig(rules: { recommended: SecretLintRulePresetCreator; pattern: SecretLintRuleCreator }): SecretLintCoreConfig {
    return {
        rules: [
            // AWS access key ids alone are reported too (the rule's default looks only for secret access keys).
            { id: "@secretlint/secretlint-rule-preset-recommend", rule: withoutCommentFilter(rules.recommended), rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }] },
            { id: "@secretlint/secretlint-rule-pattern", rule: rules.pattern, options: CREDENTIAL_PATTERNS },
            { id: "mcpsec/jwt", rule: jwtRule },
        ],
    };
}

/** The kinds a secretlint rule reports, by rule id (its message may carry the masked value, which is never shown). */
const KIND: Record<string, string> = {
    "@secretlint/secretlint-rule-aws": "AWS credential",
    "@secretlint/secretlint-rule-gcp": "GCP service account key",
    "@secretlint/secretlint-rule-privatekey": "private key",
    "@secretlint/secretlint-rule-github": "GitHub token",
    "@secretlint/secretlint-rule-gitlab": "GitLab token",
    "@secretlint/secretlint-rule-slack": "Slack token or webhook",
    "@secretlint/secretlint-rule-npm": "npm token",
    "@secretlint/secretlint-rule-basicauth": "password in a URL (basic auth)",
    "@secretlint/secretlint-rule-database-connection-string": "database connection string with a password",
    "@secretlint/secretlint-rule-openai": "OpenAI API key",
    "@secretlint/secretlint-rule-anthropic": "Anthropic API key",
    "@secretlint/secretlint-rule-stripe": "Stripe key",
    "@secretlint/secretlint-rule-sendgrid": "SendGrid API key",
    "@secretlint/secretlint-rule-huggingface": "Hugging Face token",
    "mcpsec/jwt": "JSON Web Token",
};

/** What a detector message found: the pattern's name for the pattern rule, else the rule's kind. Never the value. */
export function credentialKind(ruleId: string, data?: Record<string, unknown>): string {
    if (ruleId === "@secretlint/secretlint-rule-pattern" && typeof data?.PATTERN_NAME === "string") {
        return data.PATTERN_NAME;
    }
    return KIND[ruleId] ?? "credential";
}

/** One credential in a text: the rule, the kind, and where it is (for redaction). */
export interface DetectedCredential {
    ruleId: string;
    kind: string;
    range: readonly [number, number];
}

let detector: Promise<(content: string) => Promise<DetectedCredential[]>> | undefined;

/** The detector: secretlint (ESM) is loaded on first use, so that requiring this module stays cheap and synchronous. */
export function loadCredentialDetector(): Promise<(content: string) => Promise<DetectedCredential[]>> {
    detector ??= (async () => {
        const [{ lintSource }, { creator: recommended }, { creator: pattern }, { secretLintProfiler }] = await Promise.all([
            import("@secretlint/core"),
            import("@secretlint/secretlint-rule-preset-recommend"),
            import("@secretlint/secretlint-rule-pattern"),
            import("@secretlint/profiler"),
        ]);
        // secretlint profiles every rule run by default and keeps every mark: a leak in a long-running process (the
        // guard, a policy pack) and most of a scan's cost. Off for every user of this detector (one profiler per process).
        secretLintProfiler.setEnabled(false);
        const config = credentialDetectorConfig({ recommended, pattern: pattern as unknown as SecretLintRuleCreator });
        return async (content: string) => {
            const result = await lintSource({
                source: { content, filePath: "environment", ext: "", contentType: "text" },
                // Unmasked, so the pattern rule's data keeps its pattern name; messages (which carry the value) never
                // leave this function: only the rule, the kind and the range do.
                options: { config, maskSecrets: false, noPhysicFilePath: true },
            });
            return result.messages.map((m) => ({ ruleId: m.ruleId, kind: credentialKind(m.ruleId, m.data as Record<string, unknown> | undefined), range: m.range }));
        };
    })();
    return detector;
}

// A bare AWS secret access key: 40 base64 characters, told apart from hex digests and plain words by mixed case and
// a digit. Judged only under a name that says AWS (`AWS_SAK`): alone, such a string may be anything.
const AWS_SECRET_KEY = /^[A-Za-z0-9/+]{40}$/;
const looksLikeAwsSecretKey = (name: string, value: string) =>
    /AWS/i.test(name) && AWS_SECRET_KEY.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value);

/**
 * Finds credentials in the values of plain variables (environment, command arguments, labels) with secretlint's
 * recommended rules (tokens of GitHub, GitLab, Slack, npm, OpenAI, Anthropic, Stripe, SendGrid, Hugging Face, AWS
 * keys, private key blocks, passwords in http(s) URLs and database connection strings), secretlint's pattern rule
 * with {@link CREDENTIAL_PATTERNS} (a password in a URL of any scheme, Password=/AccountKey= pairs, Google API keys,
 * a private key header alone) and JSON Web Tokens; a bare AWS secret key under an AWS name. Names are not judged.
 */
export async function findCredentialValues(values: { name: string; value: string }[]): Promise<CredentialFinding[]> {
    const detect = await loadCredentialDetector();
    const findings: CredentialFinding[] = [];
    for (const { name, value } of values) {
        const hits = await detect(value);
        // The named rules' kinds are more specific than the pattern rule's: prefer them when both found something.
        const hit = hits.find((h) => h.ruleId !== "@secretlint/secretlint-rule-pattern") ?? hits[0];
        if (hit) {
            findings.push({ name, kind: hit.kind, rule: hit.ruleId });
        } else if (looksLikeAwsSecretKey(name, value.trim())) {
            findings.push({ name, kind: "AWS secret access key", rule: "mcpsec/aws-secret-key" });
        }
    }
    return findings;
}

/**
 * Finds credentials in plain environment variables: by name ({@link isCredentialName}) and by value
 * ({@link findCredentialValues}). The result names the variable and the kind of credential, never the value.
 */
export async function findCredentials(environment: { name: string; value: string }[]): Promise<CredentialFinding[]> {
    const byName = environment.filter((e) => isCredentialName(e.name));
    const found = await findCredentialValues(environment.filter((e) => !byName.includes(e)));
    return [
        ...byName.map((e) => ({ name: e.name, kind: "variable named like a credential", rule: "mcpsec/credential-name" })),
        ...found,
    ].sort((a, b) => environment.findIndex((e) => e.name === a.name) - environment.findIndex((e) => e.name === b.name));
}
