import { describe, expect, it } from "vitest";
import { CREDENTIAL_PATTERNS, findCredentials, findCredentialValues, isCredentialName, loadCredentialDetector } from "../../components/common/credentials";

/** Credential-shaped test values (not real), assembled at run time so the source holds no literal secret. */
const j = (...parts: string[]) => parts.join("");
const b64 = (s: string) => Buffer.from(s).toString("base64");
const FOUND: [string, string, RegExp][] = [
    // Found before (keep).
    ["AWS access key id", j("AKIA", "IOSFODNN7", "EXAMPLQ"), /AWS credential/],
    ["GitHub token", j("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"), /GitHub token/],
    ["Slack bot token", j("xoxb-", "123456789012-1234567890123-", "AbCdEfGhIjKlMnOpQrStUvWx"), /Slack/],
    ["JWT", [b64('{"alg":"HS256"}'), b64('{"sub":"agent-1"}'), "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"].map((s) => s.replace(/=+$/, "")).join("."), /JSON Web Token/],
    ["postgres URL with password", j("postgres://app:", "s3cr3t-Pa55", "@db.internal:5432/app"), /password|connection string/],
    ["https basic auth", j("https://deploy:", "hunter2hunter2", "@git.example.com/repo.git"), /password in a URL/],
    // Missed before (finding 6).
    ["redis URL, password only", j("redis://:", "s3cr3tpw", "@cache.internal:6379/0"), /password in a URL/],
    ["rediss URL", j("rediss://default:", "s3cr3tpw", "@cache.internal:6380"), /password in a URL/],
    ["amqp URL", j("amqp://mq:", "s3cr3tpw", "@rabbit.internal:5672/vhost"), /password in a URL/],
    ["JDBC password parameter", j("jdbc:mysql://db.internal:3306/app?user=app&password=", "s3cr3tpw"), /connection string/],
    ["JDBC SQL Server", j("jdbc:sqlserver://db.internal:1433;databaseName=app;user=app;password=", "s3cr3tpw"), /connection string/],
    ["ADO.NET", j("Server=db.internal;Database=app;User Id=app;Password=", "s3cr3tpw", ";"), /connection string/],
    ["Azure storage", j("DefaultEndpointsProtocol=https;AccountName=logs;AccountKey=", b64("0123456789abcdef0123456789abcdef"), ";EndpointSuffix=core.windows.net"), /account key/],
    ["command-line password option", j("--password=", "s3cr3tpw"), /connection string/],
    ["Google API key", j("AIza", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"), /Google API key/],
    ["Ed25519 PKCS#8 private key (short body)", ["-----BEGIN PRIVATE KEY-----", j("MC4CAQAwBQYDK2VwBCIEI", "Lq0ZcV9bQvWmT1nR8xY3uE4aB6dF2gH7jK5sP0oI1w"), "-----END PRIVATE KEY-----"].join("\n"), /private key/],
    ["private key header with escaped line breaks", j("-----BEGIN OPENSSH PRIVATE KEY-----", "\\nb3BlbnNzaC1rZXktdjEAAAAA\\n"), /private key/],
];

const HARMLESS: [string, string][] = [
    ["UUID", "3f1c2a9e-7b4d-4e8a-9c1f-2d3e4f5a6b7c"],
    ["sha256 hex", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ["sha1 hex (40)", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"],
    ["URL without password", "https://user@api.example.com/v1?format=json"],
    ["URL with port", "redis://cache.internal:6379/0"],
    ["ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"],
    ["image digest", `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"c".repeat(64)}`],
    ["base64 text", b64("the quick brown fox jumps over the lazy dog")],
    ["${VAR} reference", "${DATABASE_PASSWORD}"],
    ["URL with a placeholder password", "postgres://app:${DB_PASSWORD}@db.internal:5432/app"],
    ["connection string with a placeholder", "Server=db;User Id=app;Password=${DB_PASSWORD};"],
    ["empty password in a connection string", "Server=db;User Id=app;Password=;"],
    ["password file option", "--password-file=/run/secrets/db"],
    ["plain words", "info"],
    ["a public key", "-----BEGIN PUBLIC KEY-----"],
];

describe("credential detector (secretlint recommended + pattern rule + JWT)", () => {
    it.each(FOUND)("finds %s", async (_label, value, kind) => {
        const [hit] = await findCredentialValues([{ name: "VALUE", value }]);
        expect(hit).toBeDefined();
        expect(hit.kind).toMatch(kind);
    });

    it.each(HARMLESS)("does not flag %s", async (_label, value) => {
        expect(await findCredentialValues([{ name: "VALUE", value }])).toEqual([]);
    });

    it("finds a bare AWS secret key only under a name that says AWS", async () => {
        const key = j("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY");
        expect(await findCredentialValues([{ name: "AWS_SAK", value: key }])).toEqual([{ name: "AWS_SAK", kind: "AWS secret access key", rule: "mcpsec/aws-secret-key" }]);
        expect(await findCredentialValues([{ name: "CHECKSUM", value: key }])).toEqual([]);
        expect(await findCredentialValues([{ name: "AWS_COMMIT", value: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3" }])).toEqual([]);
    });

    it("cannot be switched off by the scanned text: a secretlint-disable comment in a value changes nothing", async () => {
        const detect = await loadCredentialDetector();
        const token = j("ghp_", "A".repeat(12), "b".repeat(12), "1".repeat(12));
        for (const text of [`secretlint-disable\ntoken ${token}`, `token ${token} // secretlint-disable-line`, `secretlint-disable-next-line\n${token}`]) {
            expect((await detect(text)).map((h) => h.kind)).toEqual(["GitHub token"]);
        }
    });

    it("reports ranges and kinds, never the value, and its pattern config is plain JSON", async () => {
        const detect = await loadCredentialDetector();
        const text = j("cache at redis://:", "s3cr3tpw", "@cache:6379");
        const [hit] = await detect(text);
        expect(hit).toEqual({ ruleId: "@secretlint/secretlint-rule-pattern", kind: "password in a URL", range: [9, text.length] });
        expect(JSON.parse(JSON.stringify(CREDENTIAL_PATTERNS))).toEqual(CREDENTIAL_PATTERNS);
    });
});

describe("credential names", () => {
    it.each(["DB_PASSWORD", "DB_PASS", "DB_PWD", "DATABASE_DSN", "SENTRY_DSN", "SESSION_COOKIE", "API_KEY", "STRIPE_KEY", "GITHUB_TOKEN", "CLIENT_SECRET", "AWS_ACCESS_KEY_ID"])("refuses %s", (name) => {
        expect(isCredentialName(name)).toBe(true);
    });

    it.each(["CLIENT_SECRET_ARN", "PRIVATE_KEY_PATH", "TOKEN_FILE", "TOKEN_URL", "PUBLIC_KEY", "PWD", "LOG_LEVEL", "PASSTHROUGH", "COOKIE_DOMAIN", "BYPASS_CACHE"])("accepts %s", (name) => {
        expect(isCredentialName(name)).toBe(false);
    });

    it("still scans the value of a name that points at a credential", async () => {
        const found = await findCredentials([
            { name: "LOG_LEVEL", value: "info" },
            { name: "DB_PASS", value: "x" },
            { name: "BROKER_URL", value: j("amqp://mq:", "s3cr3tpw", "@rabbit:5672") },
            { name: "CLIENT_SECRET_ARN", value: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:c-AbCdEf" },
        ]);
        expect(found).toEqual([
            { name: "DB_PASS", kind: "variable named like a credential", rule: "mcpsec/credential-name" },
            { name: "BROKER_URL", kind: "password in a URL", rule: "@secretlint/secretlint-rule-pattern" },
        ]);
    });
});
