import { describe, expect, it } from "vitest";
import { loadCredentialDetector } from "../../components/common/credentials";
import { Dlp, SEPARATOR } from "../../guard/src/core/dlp";

/** Credential-shaped test values (not real), assembled at run time so the source holds no literal secret. */
const j = (...parts: string[]) => parts.join("");
const b64 = (s: string) => Buffer.from(s).toString("base64").replace(/=+$/, "");

// One or more values for each kind of finding of the shared detector, placed at the start, in the middle and at the
// end of texts, and the texts that sit next to the separator in ways a pattern could look across.
const CREDENTIALS = [
    j("AKIA", "IOSFODNN7", "EXAMPLQ"),
    j("aws_secret_access_key = ", "wJalrXUtnFEMI/K7MDENG/", "bPxRfiCY7q2LmZ0Tk9"),
    j("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    j("glpat-", "a1B2c3D4e5F6g7H8i9J0"),
    j("xoxb-", "123456789012-1234567890123-", "AbCdEfGhIjKlMnOpQrStUvWx"),
    j("https://hooks.slack.com/services/", "T0000AAAA/B0000BBBB/", "XXXXXXXXXXXXXXXXXXXXXXXX"),
    j("//registry.npmjs.org/:_authToken=", "npm_", "a".repeat(18), "B".repeat(18)),
    j("sk_live_", "a1B2c3D4e5F6g7H8i9J0k1L2"),
    j("SG.", "a1B2c3D4e5F6g7H8i9J0k1", ".", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V"),
    j("hf_", "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH"),
    [b64('{"alg":"HS256"}'), b64('{"sub":"agent-1"}'), "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"].join("."),
    j("postgres://app:", "s3cr3t-Pa55", "@db.internal:5432/app"),
    j("mongodb+srv://app:", "s3cr3t-Pa55", "@cluster0.example.net/app"),
    j("https://deploy:", "hunter2hunter2", "@git.example.com/repo.git"),
    j("redis://:", "s3cr3tpw", "@cache.internal:6379/0"),
    j("Server=db.internal;Database=app;User Id=app;Password=", "s3cr3tpw", ";"),
    j("DefaultEndpointsProtocol=https;AccountName=logs;AccountKey=", b64("0123456789abcdef0123456789abcdef"), ";"),
    j("--password=", "s3cr3tpw"),
    j("AIza", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ["-----BEGIN RSA PRIVATE KEY-----", "MIIB".padEnd(160, "Qk1n"), "-----END RSA PRIVATE KEY-----"].join("\n"),
    ["-----BEGIN PRIVATE KEY-----", j("MC4CAQAwBQYDK2VwBCIEI", "Lq0ZcV9bQvWmT1nR8xY3uE4aB6dF2gH7jK5sP0oI1w"), "-----END PRIVATE KEY-----"].join("\n"),
];

const NEIGHBOURS = [
    "The quick brown fox jumps over the lazy dog.",
    // A password followed later by the end of a placeholder: with a separator without `}`, the placeholder look-ahead
    // of the URL pattern could run from here into the next text's `}}@` and hide this password.
    j("x://u:{{a", "@cache.internal b"),
    "}}@next",
    // Texts that end where a pattern wants more, or start where a pattern wants less.
    "config _authToken=",
    "password",
    "=s3cr3tpw-in-the-next-text",
    "secretlint-disable",
    "secretlint-disable-next-line",
    "Server=db;User Id=app;Password=${DB_PASSWORD}",
    "{{",
    "}}",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
];

function texts(): string[] {
    const out = [...NEIGHBOURS];
    for (const c of CREDENTIALS) {
        out.push(c, `${c} at the start`, `at the end ${c}`, `in the ${c} middle`);
    }
    return out;
}

const message = (id: number, parts: string[]) => ({ jsonrpc: "2.0", id, result: { content: parts.map((text) => ({ type: "text", text })) } });

describe("DLP batches the detector per event-loop turn without changing any outcome", () => {
    it("no pattern of the detector reaches across the separator (the placeholder look-ahead case)", async () => {
        const detect = await loadCredentialDetector();
        const a = j("x://u:{{a", "@cache.internal b");
        expect(await detect(a)).toHaveLength(1);
        // Without the `}` the look-ahead would run into the next text: the reason SEPARATOR carries one.
        expect(await detect(`${a}\n\u0000\n}}@next`)).toHaveLength(0);
        expect(await detect(`${a}${SEPARATOR}}}@next`)).toHaveLength(1);
    });

    for (const mode of ["redact", "log", "block"] as const) {
        it(`every text's findings in one turn are those of the text alone (${mode})`, async () => {
            const all = texts();
            const alone: Awaited<ReturnType<Dlp["scan"]>>[] = [];
            const single = new Dlp(mode, ["email", "credit_card"]);
            for (const [i, t] of all.entries()) {
                // One at a time: each scan is a batch of one, the detector run on that message alone.
                alone.push(await single.scan(message(i, [t])));
            }
            expect(alone.filter((o) => o.findings.length > 0).length).toBeGreaterThanOrEqual(CREDENTIALS.length * 4);

            // The same messages in several orders, all submitted in one turn (and messages of two and three texts).
            for (const rotate of [0, 7]) {
                const order = all.map((_, i) => (i + rotate) % all.length);
                const batched = new Dlp(mode, ["email", "credit_card"]);
                const outcomes = await Promise.all(order.map((i) => batched.scan(message(i, [all[i]]))));
                order.forEach((i, k) => {
                    expect(outcomes[k].findings, `text ${i} (rotation ${rotate})`).toEqual(alone[i].findings);
                    expect(outcomes[k].message, `text ${i} (rotation ${rotate})`).toEqual(alone[i].message);
                });
                const stats = await batched.stats();
                expect(stats.batches).toBeLessThan(stats.texts);
            }
            const pairs = all.map((t, i) => [t, all[(i + 1) % all.length], all[(i + 5) % all.length]]);
            const together = new Dlp(mode, []);
            const one = new Dlp(mode, []);
            const joint = await Promise.all(pairs.map((p, i) => together.scan(message(i, p))));
            for (const [i, p] of pairs.entries()) {
                const own = await one.scan(message(i, p));
                expect(joint[i].findings, `message ${i}`).toEqual(own.findings);
                expect(joint[i].message, `message ${i}`).toEqual(own.message);
            }
        });
    }

    it("a text next to any neighbour in one turn keeps its own outcome (the joint scan alone decides clean batches)", async () => {
        // Batches of two: when the joint scan finds nothing, no text is scanned again, so a pattern that reached across
        // the separator (and so hid a finding) would show here.
        const all = texts();
        const alone = new Dlp("log", []);
        const own = new Map<string, number>();
        for (const t of all) {
            own.set(t, (await alone.scan(message(0, [t]))).findings.length);
        }
        const dlp = new Dlp("log", []);
        for (const x of all) {
            for (const y of NEIGHBOURS) {
                for (const [a, b] of [[x, y], [y, x]]) {
                    const [oa, ob] = await Promise.all([dlp.scan(message(1, [a])), dlp.scan(message(2, [b]))]);
                    expect([oa.findings.length, ob.findings.length], JSON.stringify([a, b])).toEqual([own.get(a), own.get(b)]);
                }
            }
        }
    });

    it("finds nothing in one joint call when nothing is there, and scans each text alone only when something is", async () => {
        const dlp = new Dlp("redact", []);
        const clean = await Promise.all(Array.from({ length: 8 }, (_, i) => dlp.scan(message(i, ["nothing to see here, just text"]))));
        expect(clean.every((o) => o.findings.length === 0)).toBe(true);
        expect(await dlp.stats()).toEqual({ calls: 1, texts: 8, batches: 1 });
        const mixed = await Promise.all([message(1, ["plain text"]), message(2, [CREDENTIALS[2]]), message(3, ["plain text"])].map((m) => dlp.scan(m)));
        expect(mixed.map((o) => o.findings.length)).toEqual([0, 1, 0]);
        expect(await dlp.stats()).toEqual({ calls: 1 + 1 + 3, texts: 11, batches: 2 });
    });
});
