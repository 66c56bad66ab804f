import { loadCredentialDetector } from "../../../components/common/credentials";
import type { DlpMode, PiiClass } from "../settings";
import { MAX_DEPTH } from "./jsonrpc";

/** One finding: what kind of data, never the data itself. */
export interface DlpFinding { kind: string; rule: string }

export interface DlpOutcome {
    findings: DlpFinding[];
    /** The message to send: redacted in `redact` mode, undefined in `block` mode when something was found. */
    message: Record<string, unknown> | undefined;
}

type Range = { start: number; end: number; kind: string; rule: string };

function luhn(digits: string): boolean {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
        let d = digits.charCodeAt(digits.length - 1 - i) - 48;
        if (i % 2 === 1) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
    }
    return sum % 10 === 0;
}

function ibanValid(iban: string): boolean {
    const s = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
    let rest = 0;
    for (const ch of s) {
        rest = (rest * 10 + (ch.charCodeAt(0) - 48)) % 97;
    }
    return rest === 1;
}

/** PII classes: a pattern and a check that cuts false positives (Luhn for cards, ISO 7064 for IBANs, SSA rules). */
const PII: Record<PiiClass, { pattern: RegExp; valid: (m: string) => boolean; kind: string }> = {
    email: { pattern: /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g, valid: () => true, kind: "email address" },
    credit_card: {
        pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
        valid: (m) => {
            const d = m.replace(/[ -]/g, "");
            return d.length >= 13 && d.length <= 19 && luhn(d);
        },
        kind: "payment card number",
    },
    us_ssn: { pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g, valid: () => true, kind: "US social security number" },
    iban: { pattern: /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/g, valid: ibanValid, kind: "IBAN" },
};

/** Keys whose values are base64 media, not text: scanning them finds noise, not secrets. */
function isMedia(parent: Record<string, unknown>, key: string): boolean {
    if (key === "blob") {
        return true;
    }
    return key === "data" && typeof parent.mimeType === "string" && /^(image|audio|video)\//.test(parent.mimeType);
}

/** MIME types whose content is text (or unset: unknown, so looked at): a base64 `blob` of them is decoded and scanned. */
const TEXT_MIME = /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml|yaml|x-yaml|javascript|x-sh|x-www-form-urlencoded|toml|sql)(;|$))/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The text a base64 `blob` (an MCP resource's binary content) carries when its MIME type is textual or absent and it
 * decodes to valid UTF-8; undefined for media and binary content, which are not inspected.
 */
export function blobText(parent: Record<string, unknown>, value: string): string | undefined {
    const mime = parent.mimeType;
    if ((mime !== undefined && (typeof mime !== "string" || !TEXT_MIME.test(mime))) || !BASE64.test(value)) {
        return undefined;
    }
    try {
        return utf8.decode(Buffer.from(value, "base64"));
    } catch {
        return undefined;
    }
}

/** Member names of MCP messages themselves: not worth a scan. */
const PROTOCOL_KEYS = new Set(["jsonrpc", "result", "content", "structuredContent", "mimeType", "isError", "resource", "resources", "resourceTemplates", "annotations", "nextCursor", "progressToken", "inputSchema", "description", "properties", "required", "arguments", "messages", "prompts", "contents"]);

/** Renames `ref.key` of `obj` to `to` (or a free variant of it), keeping the value. */
function renameKey(obj: Record<string, unknown>, ref: { key: string }, to: string): void {
    if (to === ref.key) {
        return;
    }
    let name = to;
    for (let i = 2; Object.prototype.hasOwnProperty.call(obj, name); i++) {
        name = `${to}#${i}`;
    }
    const v = obj[ref.key];
    delete obj[ref.key];
    Object.defineProperty(obj, name, { value: v, enumerable: true, writable: true, configurable: true });
    ref.key = name;
}

/**
 * Collects every text leaf of a JSON value with a setter, so one scan covers the whole message. Iterative, and
 * throws beyond {@link MAX_DEPTH} levels: a message no scan can cover is never passed on (the caller fails closed).
 */
function leaves(root: unknown, out: { get: () => string; set: (s: string) => void }[]): void {
    const stack: { v: unknown; depth: number }[] = [{ v: root, depth: 1 }];
    while (stack.length > 0) {
        const { v: value, depth } = stack.pop()!;
        if (typeof value !== "object" || value === null) {
            continue;
        }
        if (depth > MAX_DEPTH) {
            throw new Error(`message nests deeper than ${MAX_DEPTH} levels`);
        }
        const children: unknown[] = [];
        if (Array.isArray(value)) {
            value.forEach((v, i) => {
                if (typeof v === "string") {
                    out.push({ get: () => value[i] as string, set: (s) => { value[i] = s; } });
                } else {
                    children.push(v);
                }
            });
        } else {
            const obj = value as Record<string, unknown>;
            for (const name of Object.keys(obj)) {
                // The key is a text too (a server can put a secret in a key): redacting it renames the member, and the
                // value's setter follows the rename.
                const ref = { key: name };
                if (name.length >= 6 && !PROTOCOL_KEYS.has(name)) {
                    out.push({ get: () => ref.key, set: (s) => { renameKey(obj, ref, s); } });
                }
                const v = obj[name];
                if (typeof v === "string") {
                    const text = name === "blob" ? blobText(obj, v) : undefined;
                    if (text !== undefined && text.length >= 6) {
                        // Scanned as the text it carries; a redaction is encoded back.
                        let current = text;
                        out.push({ get: () => current, set: (s) => { current = s; obj[ref.key] = Buffer.from(s, "utf8").toString("base64"); } });
                    } else if (!isMedia(obj, name) && v.length >= 6) {
                        out.push({ get: () => obj[ref.key] as string, set: (s) => { obj[ref.key] = s; } });
                    }
                } else {
                    children.push(v);
                }
            }
        }
        for (let i = children.length - 1; i >= 0; i--) {
            stack.push({ v: children[i], depth: depth + 1 });
        }
    }
}

/**
 * Put between texts scanned in one detector call (the strings of one message, and the messages of one batch). No
 * pattern of the detector can match or look across it, so that a text's findings do not depend on its neighbours:
 * `\n` stops `.` and every class without `\s` (and reads as whitespace to `\b`, `(?<!\p{L})`, `(?:^|[\s...])` and
 * `(?:[\s...]|$)`, as the start or end of the input would); `\0` stops the classes that admit `\s` (the PEM body's
 * `[A-Za-z0-9+/=\s\\]`, `\s*` around `=`); `}` stops the `{{[^}]*}}` placeholder look-ahead of the project's URL and
 * connection-string patterns, which could otherwise reach a `}}@` in the next text and hide a password in this one.
 * The comment filter, which would let one text switch detection off for the next, is off in the shared detector.
 * test/guard/dlpBatch.test.ts checks that batching changes no outcome.
 */
export const SEPARATOR = "\n\u0000}\n";

type Detect = (content: string) => Promise<Range[]>;

/**
 * The detector's cost is almost all per call (secretlint builds every rule again for each `lintSource`), not per
 * byte. Texts submitted in the same turn of the event loop are scanned in one call, joined with {@link SEPARATOR};
 * when that joint scan finds nothing, no text has a finding (see SEPARATOR), and when it finds anything, every text is
 * scanned again on its own, so its findings and ranges are exactly those of a scan of that text alone.
 */
export class BatchedDetector {
    /** Detector calls made and texts scanned: texts / calls is the batching gain. */
    readonly stats = { calls: 0, texts: 0, batches: 0 };
    private queue: { text: string; resolve: (r: Range[]) => void; reject: (e: unknown) => void }[] = [];

    constructor(private readonly detect: Detect) {}

    scan(text: string): Promise<Range[]> {
        return new Promise((resolve, reject) => {
            this.queue.push({ text, resolve, reject });
            if (this.queue.length === 1) {
                setImmediate(() => void this.flush());
            }
        });
    }

    private async flush(): Promise<void> {
        const batch = this.queue;
        this.queue = [];
        this.stats.texts += batch.length;
        this.stats.batches++;
        try {
            if (batch.length > 1) {
                this.stats.calls++;
                const joint = await this.detect(batch.map((b) => b.text).join(SEPARATOR));
                if (joint.length === 0) {
                    batch.forEach((b) => b.resolve([]));
                    return;
                }
            }
            for (const b of batch) {
                this.stats.calls++;
                b.resolve(await this.detect(b.text));
            }
        } catch (e) {
            batch.forEach((b) => b.reject(e));
        }
    }
}

/**
 * Data loss prevention on what a server sends back: credentials, with the one detector the deploy-time checks use
 * (components/common/credentials.ts: secretlint's recommended rules, secretlint's pattern rule with the project's
 * patterns, and JWTs; so the guard and `mcpsec check` cannot drift apart), and the configured PII classes. `redact`
 * replaces each finding with `[REDACTED:<kind>]`, `block` withholds the message, `log` only reports.
 */
export class Dlp {
    private lint: Promise<BatchedDetector> | undefined;

    constructor(private readonly mode: DlpMode, private readonly pii: readonly PiiClass[]) {}

    /** secretlint is ESM: loaded once, at start (call `ready()`), so no request waits for it. */
    ready(): Promise<unknown> {
        return this.load();
    }

    private load(): Promise<BatchedDetector> {
        this.lint ??= (async () => {
            // The shared detector switches secretlint's profiler off (a leak and most of the scan cost in a proxy).
            const detect = await loadCredentialDetector();
            return new BatchedDetector(async (content: string) => (await detect(content)).map((d) => ({ start: d.range[0], end: d.range[1], kind: d.kind, rule: d.ruleId })));
        })();
        return this.lint;
    }

    /** Detector calls and texts so far (the bench reports texts per call). */
    async stats(): Promise<BatchedDetector["stats"]> {
        return (await this.load()).stats;
    }

    /** Scans (and in redact mode rewrites, in place) one JSON-RPC message. */
    async scan(message: Record<string, unknown>): Promise<DlpOutcome> {
        const parts: { get: () => string; set: (s: string) => void }[] = [];
        leaves(message, parts);
        if (parts.length === 0) {
            return { findings: [], message };
        }
        const texts = parts.map((p) => p.get());
        const joined = texts.join(SEPARATOR);
        const ranges = [...(await (await this.load()).scan(joined)), ...this.piiRanges(joined)];
        if (ranges.length === 0) {
            return { findings: [], message };
        }
        const findings = ranges.map((r) => ({ kind: r.kind, rule: r.rule }));
        if (this.mode === "block") {
            return { findings, message: undefined };
        }
        if (this.mode === "redact") {
            let offset = 0;
            texts.forEach((text, i) => {
                const start = offset;
                const end = offset + text.length;
                offset = end + SEPARATOR.length;
                const mine = ranges
                    .filter((r) => r.start < end && r.end > start)
                    .map((r) => ({ ...r, start: Math.max(r.start, start) - start, end: Math.min(r.end, end) - start }))
                    .sort((a, b) => b.start - a.start);
                if (mine.length === 0) {
                    return;
                }
                let out = text;
                let floor = Infinity;
                for (const r of mine) {
                    const e = Math.min(r.end, floor);
                    if (e <= r.start) {
                        continue;
                    }
                    out = `${out.slice(0, r.start)}[REDACTED:${r.kind}]${out.slice(e)}`;
                    floor = r.start;
                }
                parts[i].set(out);
            });
        }
        return { findings, message };
    }

    private piiRanges(text: string): Range[] {
        const out: Range[] = [];
        for (const cls of this.pii) {
            const { pattern, valid, kind } = PII[cls];
            for (const m of text.matchAll(pattern)) {
                if (valid(m[0])) {
                    out.push({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, kind, rule: `mcpsec/pii-${cls}` });
                }
            }
        }
        return out;
    }
}
