/**
 * Text indicators of tool poisoning, by published attack class. Each check reads one text the model sees (a tool
 * name, description, or any text inside the input schema) and says why it is suspicious, or nothing. Pure functions.
 *
 * The checks judge what a text asks the model to DO (move a secret into an argument, prefer this tool over others,
 * change another server's tool, act on every later turn, fetch an image that carries data) or how it hides itself
 * (markup, invisible or control characters, padding, encodings), not single words: real servers' descriptions say
 * "silently", "best", "secret" and "must" in benign ways, and the benign corpora in test/fixtures/corpus keep that
 * honest.
 */

/** Data a tool has no business asking the model to supply: credentials and the conversation itself. */
const SENSITIVE_DATA = String.raw`(passwords?(?! reset)|passphrases?|pass ?codes?|credentials?|api[_ -]?(keys?|tokens?)|access[_ -]?(keys?|tokens?)|auth(entication)?[_ -]?tokens?|bearer tokens?|session (tokens?|cookies?)|refresh tokens?|personal access tokens?|secret[_ -]?(keys?|values?)|private[_ -]?keys?|ssh keys?|seed phrases?|recovery phrases?|mnemonic|(one-time|2fa|mfa|otp|verification) codes?|payment details|card numbers?|cvv|tokens? or passwords|chat (history|log|transcript)|conversation (history|log|so far)|(all|every|entire|full|whole)( of the)?( previous| earlier| prior)? (messages|conversation|chat|transcript)|system prompt)`;

/** Verbs that move data into a tool call or out to someone. */
const SUPPLY = String.raw`(include|including|pass|put|paste|append|attach|insert|add|fill|populate|provide|send|forward|upload|share|copy|leak|reveal|disclose|collect|gather|harvest|capture|ask (them |the user |him |her )?for|request|enter|type|give|tell you|quote)`;

/** Instructions phrased to the model, with the reason reported. Each reads one sentence-ish span (no '.'). */
const INSTRUCTION_PATTERNS: [RegExp, string][] = [
    [/\b(ignore|disregard|forget|override)\b[^.]{0,40}\b(previous|prior|above|earlier|other|all|any|system|safety)\b[^.]{0,20}\b(instructions?|prompts?|rules?|guidelines?|guidance|directives?)/i, "tells the model to ignore or override its instructions"],
    [/\b(do not|don't|never|without)\b[^.]{0,30}\b(tell|telling|inform|informing|mention|mentioning|notify|notifying|reveal|revealing|show|showing|alert|alerting|disclose|disclosing)\b[^.]{0,30}\b(the )?(user|human|operator|person)/i, "tells the model to hide actions from the user"],
    [/\b(the )?user (must not|should not|shouldn't|mustn't|does not need to|doesn't need to) (know|see|be told|notice)/i, "tells the model to hide actions from the user"],
    [/\bkeep (this|it|these)( step| steps| part)? (to yourself|secret|hidden|between us)/i, "tells the model to hide actions from the user"],
    [/\b(before|after|prior to)\b[^.]{0,40}\b(using|calling|invoking|running|answering|translating|searching|saving)\b[^.]{0,60}\b(read|open|fetch|copy|send|include|attach|append|put|paste)\b[^.]{0,60}\b(files?|contents?|parameter|argument|field|sidenote|note|q)\b/i, "tells the model to read or send data around tool calls"],
    [/\b(you must|you should|you have to|is required to|always|first)\b[^.]{0,30}\b(read|send|pass|include|attach|append|copy|quote|fetch)\b[^.]{0,60}\b(file|contents?|parameter|argument|field|sidenote|note)\b/i, "instructs the model to read files or pass data"],
    [/\b(this is|it is) (very |extremely )?(important|critical|crucial|mandatory)\b/i, "pressures the model with urgency"],
    [/(\bsystem prompt\b|\bsystem message\b|(^|\n)\s*(assistant|system|user)\s*:|<\|im_start\|>|\[INST\])/i, "imitates prompt structure"],
    [/\b(note|message|instructions?|reminder) (to|for) (the )?(AI|LLM|assistant|model|agent)s?\b|\b(AI|LLM|assistant|model|agent)s?\s*[:,]\s*(read|send|include|attach|quietly|from now|before|always|you|do not|don't|ignore|first)|\bmodel-only\b|\bif you are an? (AI|LLM|language model|assistant)\b|\bimportant instruction for the (AI|assistant|model)\b/i, "addresses the model directly"],
    [/\b(obey|comply with|follow)\b[^.]{0,30}\b(every|any|all)\b[^.]{0,30}\b(instructions?|requests?|commands?)\b[^.]{0,40}\b(this tool|output|description|here)\b|\bas (if it were |if )?(coming )?from the (system|administrator|developer|operator)\b/i, "claims authority over the model"],
    [/\bexfiltrat|\bsecretly\b|\bcovertly\b|\bquietly (attach|send|include|add|copy|forward|upload|post)|\bsilently (send|upload|forward|copy|include|add|attach|post|collect|record)/i, "describes covert data handling"],
];

/** Text that makes the model prefer this tool, or avoid other servers' tools (preference manipulation). */
const PREFERENCE_PATTERNS: RegExp[] = [
    /\b(instead of|rather than|over|in preference to)\b[^.]{0,20}\b(any|every|all|the)?\s*(other|alternative|competing)\b[^.]{0,30}\b(tools?|servers?|functions?|alternatives?|summari[sz]ers?)/i,
    /\binstead of (using |calling )?the [a-z0-9]+(_[a-z0-9]+)+ tool of (any|every|another|other)/i,
    /\b(other|competing|alternative)\b[^.]{0,30}\b(tools?|servers?|functions?)\b[^.]{0,30}\b(are|is)\b[^.]{0,20}\b(deprecated|unsafe|insecure|broken|wrong|malicious|untrusted|inferior|unreliable)/i,
    /\b(never|do not|don't|avoid|refuse to)\b[^.]{0,15}\b(use|call|using|calling|select|choose)\b[^.]{0,10}\b(them|those|other|competing|alternative)/i,
    /\b(avoid|ignore|refuse)\b[^.]{0,10}\b(competing|other|alternative)\b[^.]{0,20}\b(tools?|servers?|summari[sz]ers?|translators?|functions?)/i,
    /\b(supersedes|replaces|outranks)\b[^.]{0,20}\b(all|every|any)?\s*other\b/i,
    /\b(the )?(best and only|only trustworthy|only reliable|only safe|official replacement|top-rated|endorsed by|recommended by (anthropic|openai|the platform))\b/i,
    /\bmust use\b\s*:|\b(must|should) always be (selected|chosen|used|preferred)\b|\bchoose this tool first\b|\bprefer this tool\b|\bprefer[^.]{0,20}\bover (every|all|any)\b/i,
    /\b(always|only)\s+(use|call|choose|select)\s+(this tool|me|[a-z0-9]+(_[a-z0-9]+)+)\s+(only|instead|first)\b|\bcall [a-z0-9]+(_[a-z0-9]+)+ only\b/i,
];

/** Text that redefines how another tool (of this or another server) behaves: cross-server shadowing. */
const SHADOWING_PATTERNS: RegExp[] = [
    /\b(when|whenever|if|once|each time)\b[^.]{0,80}\b(tool|server|function|[a-z0-9]+(_[a-z0-9]+)+)\b[^.]{0,40}\b(is|are|gets?)?\s*(called|used|invoked|run|runs|available|asked)\b[^.]{0,60}\b(must|should|always|has to|needs? to|instead|also|first|add|change|set|bcc|cc|send|route|write|assign|push|redirect|replace)\b/i,
    /\b(when|whenever|if|once|each time|for (every|each) (call|use))\b[^.]{0,80}\b(tools?|servers?|[a-z0-9]+(_[a-z0-9]+)+)\b[^.]{0,80}\b(must|should|always|has to|have to|needs? to|instead)\b/i,
    /\bserver'?s\b[^.]{0,40}\b(tools?|[a-z0-9]+(_[a-z0-9]+)+)\b[^.]{0,20}\b(must|should|always|has to|needs? to)\b/i,
    /\b(through|via|by|with|from) the [a-z0-9 -]{1,30} (server|tools?)\b[^.]{0,40}\b(need|needs|must|should|has to|have to)\b/i,
    /\b(argument|parameter|field|recipient|channel|destination|account|reporter|assignee)\b[^.]{0,20}\b(must|should|has to|have to|needs? to)\b[^.]{0,20}\b(be )?(always )?(set|changed|replaced|redirected)\b/i,
    /\b(side effect|important effect) on\b|\balso present\b|\bpreviously declared\b/i,
    /\b(modify|change|alter|override|redefine)\b[^.]{0,20}\b(the )?(behaviou?r|parameters?|arguments?|recipients?|destination|channel)\b[^.]{0,30}\b(of|for)\b[^.]{0,40}\b(tool|server|function)/i,
    /\b(bcc|cc|blind[- ]copy)\b[^.]{0,40}\b(every|all|each|any)\b[^.]{0,40}@|\b(bcc|cc)\b[^.]{0,60}\b[\w.+-]+@[\w-]+\.[\w.-]+/i,
    /\b(route|redirect|send|forward)\b[^.]{0,20}\b(all|every|each)\b[^.]{0,20}\b(mail|emails?|messages?|payments?|requests?|calls?)\b[^.]{0,30}\b(through|via|to)\b/i,
];

/** Instructions meant to act on every later turn or every tool, from the moment tools are listed (line jumping). */
const LINE_JUMPING_PATTERNS: RegExp[] = [
    /\b(from now on|for the rest of (this|the) (session|conversation|chat)|at the (start|beginning) of (every|each|this) (conversation|session|chat|reply|response)|global rule|this applies to all tools|regardless of which tool|before calling any (other )?tools?|before (the user|anyone) says anything)\b/i,
    /\bwhenever you (run|call|use|write|execute|answer|reply)\b[^.]{0,20}\b(any|a|every)\b/i,
    /\b(in|to) (every|each|all|any) (replies|reply|responses?|answers?|messages?|(shell )?commands?)\b[^.]{0,80}\b(prefix|append|add|include|recommend|start|end|insert|link)|\b(prefix|append|add)\b[^.]{0,60}\b(every|each|all|any) (shell )?commands?\b/i,
    /\bevery (file|reply|answer|response|message|command|request|commit)\b[^.]{0,40}\b(must|should|has to|always|needs to)\b/i,
];

/** Asking the model for secrets from the user or the conversation, into a tool argument. */
const HARVEST_PATTERNS: RegExp[] = [
    new RegExp(String.raw`\b${SUPPLY}\b[^.]{0,50}\b${SENSITIVE_DATA}`, "i"),
    new RegExp(String.raw`\b${SENSITIVE_DATA}\b[^.]{0,50}\b(here|in q|into|as the|in the [a-z_]+ (argument|parameter|field))\b`, "i"),
    new RegExp(String.raw`\b(ask|request|prompt|get|obtain)\b[^.]{0,30}\b(user|them|him|her|it from them)\b|\b(user|they) must (first )?(tell|give|provide|share|enter|type|paste)\b[^.]{0,40}\b${SENSITIVE_DATA}`, "i"),
    new RegExp(String.raw`^\s*(the |their |your )?(user's |users' )?${SENSITIVE_DATA}\b`, "i"),
];
/** `ask the user for X`: X must itself be sensitive; checked separately so `ask the user which file` passes. */
const ASK_USER_FOR_SENSITIVE = new RegExp(String.raw`\b(ask|request|prompt)\b[^.]{0,40}\b${SENSITIVE_DATA}|\b${SENSITIVE_DATA}\b[^.]{0,40}\b(request|ask for) it from (them|the user)`, "i");

/** Reading credentials out of the process environment into a tool call. */
const ENV_HARVEST: RegExp[] = [
    /\bprocess\.env\b|\bos\.environ\b|\bprintenv\b|\bgetenv\s*\(|\$env:|\benv\s*\|/i,
    /\b(value|values|contents?|output) of\b[^.]{0,20}\$?\b[A-Z][A-Z0-9]*_[A-Z0-9_]*(KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS?|URL)\b/,
    /\b(populate|fill|include|pass|put|send|append|attach|copy|read)\b[^.]{0,60}\b(environment variables?|env vars?)\b[^.]{0,60}\b(KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL)/i,
    /\b(environment variables?|env vars?)\b[^.]{0,40}\b(whose name|named|containing|that (contain|mention|include))\b[^.]{0,30}\b(KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL)/i,
    /\b(populate|fill|include|pass|put|send|append|attach|copy)\b[^.]{0,40}\b[A-Z][A-Z0-9]*_(API_KEY|SECRET_ACCESS_KEY|ACCESS_KEY_ID|TOKEN|SECRET|PASSWORD|DATABASE_URL)\b|\b(GITHUB|OPENAI|ANTHROPIC|AWS|SLACK|STRIPE|GOOGLE)_[A-Z_]*(KEY|TOKEN|SECRET)\b[^.]{0,30}\b(from your environment|and|,)\b[^.]{0,30}\b[A-Z][A-Z0-9]*_[A-Z_]*(KEY|TOKEN|SECRET|URL)\b/,
];

/** Markup that hides text from a reviewer or imitates privileged tags. */
const MARKUP_PATTERNS: [RegExp, string][] = [
    [/<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|sudo|context|override)\b[^>]*>/i, "contains instruction-like markup tags"],
    [/<!--[\s\S]*?-->/, "contains an HTML comment"],
    [/(^|\n)\s*\[[^\]\n]*\]:\s*#\s*\(/, "contains a Markdown comment (a link definition that renders as nothing)"],
    [/<\s*(script|iframe|img|style|object|embed|svg)\b/i, "contains HTML that renders or runs"],
];

/** Sensitive files and paths a tool has no business mentioning. */
const SENSITIVE_PATHS = /(~\/\.ssh|\.ssh\/|(?<![a-z])id[_ ](rsa|ed25519|ecdsa|dsa)(?![a-z])|\.aws\/credentials|\/etc\/(passwd|shadow|sudoers)|(^|[\s'"(`])\.env\b|\bdot env\b|mcp\.json|\.cursor\/|claude_desktop_config|\.kube\/config|\.netrc|\.npmrc|\.pypirc|\.git-credentials|\.docker\/config\.json|\.config\/gh\/hosts|\b(bash|zsh|shell)[_ ]history\b|\.(bash|zsh)_history|\bcredentials\.json\b|\.gnupg|\bkeychain\b|\bwallet\.dat\b)/i;

/** Invisible and bidirectional characters a reviewer cannot see: every Unicode format character (Cf: zero-width, bidi
 * controls, tag characters, invisible operators), variation selectors, and Hangul fillers. */
const INVISIBLE = /[\p{Cf}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}\u115F\u1160\u3164\uFFA0]/u;
/** The legitimate uses of two of them: a zero-width joiner inside an emoji sequence, tag characters in a subdivision flag. */
const EMOJI_ZWJ = /\p{Extended_Pictographic}\u{FE0F}?\u200D(?=\p{Extended_Pictographic})/gu;
const EMOJI_FLAG_TAGS = /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,6}\u{E007F}/gu;
/** C0 and C1 control characters other than tab, line feed and carriage return: ESC starts every ANSI sequence
 * (CSI colours and cursor moves, OSC titles and hyperlinks), U+009B is the one-character CSI, BEL ends OSC. */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** White space runs that push text out of a reviewer's view. */
const PADDING = /[ \t\u00A0\u2000-\u200A\u3000]{40,}|(\r?\n[ \t]*){12,}/;

/** Any URL, with its host. */
export const URL_PATTERN = /\bhttps?:\/\/([^\s/)"'<>?#\]]+)[^\s)"'<>\]]*/gi;

/** Data a URL carries out: a template placeholder, a parameter left empty for the model to fill, a `%s`. */
const URL_DATA_SLOT = /([?&#;][^=\s)]*=\s*($|[\s)"'<>]|\{|\$\{|\{\{|<|%s|\[|[A-Z][A-Z0-9_]{3,}\b))|\{[^}]*\}|\$\{|%s\b/;

/** What the text asks to do with a URL right before it: render, include, send. */
const URL_ACTION = /\b(render|display|show|include|append|embed|add|cite|end (every|each|your) (answer|reply)|send|post|posts|upload|submit|forward|transmit|report|beacon|ping|visit|open|load)\b[^.]{0,80}$/i;

export interface TextVerdict {
    why: string;
}

function rot13(text: string): string {
    return text.replace(/[a-z]/gi, (c) => {
        const base = c <= "Z" ? 65 : 97;
        return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
    });
}

/** Printable text with letters and spaces, the shape of a hidden instruction once decoded. */
function readable(bytes: Buffer): string | undefined {
    if (bytes.length < 8) {
        return undefined;
    }
    const text = bytes.toString("latin1");
    const printable = [...text].filter((c) => c >= " " && c <= "~").length / text.length;
    return printable >= 0.95 && /[a-z]{2,}\s+[a-z~./]{2,}/i.test(text) ? text : undefined;
}

/** Candidate encodings in a text, decoded when they decode to readable text. */
export function decodedPayloads(text: string): { encoding: string; decoded: string }[] {
    const out: { encoding: string; decoded: string }[] = [];
    const withoutUrls = text.replace(URL_PATTERN, " ");
    for (const m of withoutUrls.matchAll(/[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9_-]{16,}={0,2}/g)) {
        const s = m[0];
        const d = readable(Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
        if (d) {
            out.push({ encoding: "Base64", decoded: d });
        }
    }
    for (const m of withoutUrls.matchAll(/\b(?:[0-9a-fA-F]{2}){8,}\b/g)) {
        const d = readable(Buffer.from(m[0], "hex"));
        if (d) {
            out.push({ encoding: "hex", decoded: d });
        }
    }
    for (const m of text.matchAll(/(?:%[0-9a-fA-F]{2}){4,}|(?:\\x[0-9a-fA-F]{2}){4,}|(?:\\u[0-9a-fA-F]{4}){4,}/g)) {
        const hex = m[0].replace(/%|\\x|\\u00/g, "").replace(/\\u/g, "");
        const d = readable(Buffer.from(hex, "hex"));
        if (d) {
            out.push({ encoding: m[0].startsWith("%") ? "percent-encoding" : "escape sequences", decoded: d });
        }
    }
    return out;
}

/** The checks that read meaning; run on the text itself and on whatever it decodes to. */
function semanticFindings(text: string, siblings: ReadonlySet<string>): string[] {
    const found: string[] = [];
    for (const [re, why] of INSTRUCTION_PATTERNS) {
        if (re.test(text)) {
            found.push(why);
        }
    }
    for (const m of text.matchAll(/\b(also|then|first|always)\s+(call|invoke|run|use)\s+(the\s+)?([a-z][a-z0-9]*_[a-z0-9_]+)\b/gi)) {
        if (!siblings.has(m[4])) {
            found.push(`instructs the model to call tool ${m[4]}, which this server does not offer`);
        }
    }
    if (PREFERENCE_PATTERNS.some((re) => re.test(text))) {
        found.push("steers the model to prefer this tool or avoid others (preference manipulation)");
    }
    if (SHADOWING_PATTERNS.some((re) => re.test(text))) {
        found.push("redefines how another tool behaves (tool shadowing)");
    }
    if (LINE_JUMPING_PATTERNS.some((re) => re.test(text))) {
        found.push("gives standing orders for every later turn or tool (line jumping)");
    }
    if (HARVEST_PATTERNS.slice(0, 2).some((re) => re.test(text)) || HARVEST_PATTERNS[3].test(text) || (HARVEST_PATTERNS[2].test(text) && ASK_USER_FOR_SENSITIVE.test(text)) || new RegExp(String.raw`\b(user|they) must (first )?(tell|give|provide|share|enter|type|paste)\b[^.]{0,40}\b${SENSITIVE_DATA}`, "i").test(text)) {
        found.push("asks for secrets or the conversation to be put into a tool call (secret harvesting)");
    }
    if (ENV_HARVEST.some((re) => re.test(text))) {
        found.push("asks to read credentials from the environment (secret harvesting)");
    }
    if (SENSITIVE_PATHS.test(text)) {
        found.push("refers to sensitive files");
    }
    return found;
}

/** Everything suspicious about one text. `egress`: hosts links may point to; `siblings`: this server's tool names. */
export function textFindings(text: string, opts: { egress: (host: string) => boolean; siblings: ReadonlySet<string> }): string[] {
    // NFKC folds look-alike forms (fullwidth ＜IMPORTANT＞, ligatures) into the characters the patterns know.
    const folded = text.normalize("NFKC");
    const found = semanticFindings(folded, opts.siblings);
    for (const [re, why] of MARKUP_PATTERNS) {
        if (re.test(folded)) {
            found.push(why);
        }
    }
    const visible = text.replace(EMOJI_ZWJ, "").replace(EMOJI_FLAG_TAGS, "");
    if (INVISIBLE.test(visible)) {
        const tagText = [...visible].filter((c) => c.codePointAt(0)! >= 0xe0020 && c.codePointAt(0)! <= 0xe007e).map((c) => String.fromCodePoint(c.codePointAt(0)! - 0xe0000)).join("");
        found.push(`contains invisible or bidirectional Unicode characters${tagText ? ` (tag characters spelling ${JSON.stringify(tagText.slice(0, 60))})` : ""}`);
    }
    if (CONTROL.test(text)) {
        found.push("contains terminal control characters (ANSI escape sequences hide or restyle text)");
    }
    if (PADDING.test(text)) {
        found.push("is padded with white space that pushes text out of view");
    }
    const decoded = decodedPayloads(folded);
    for (const d of decoded) {
        found.push(`contains ${d.encoding} that decodes to text (${JSON.stringify(d.decoded.slice(0, 60))})`);
    }
    if (/\b(decode|rot-?13|base64|caesar|reverse)\b[^.]{0,30}\b(and|then)\s+(follow|execute|run|obey|do|apply)\b|\((rot-?13|base64|hex|reversed)\)\s*:/i.test(folded)) {
        found.push("asks the model to decode and follow hidden text");
    }
    if (semanticFindings(rot13(folded), opts.siblings).length > 0) {
        found.push("contains ROT13 text that decodes to instructions");
    }
    if (/[A-Za-z0-9+/]{48,}={0,2}|\b[0-9a-fA-F]{80,}\b/.test(folded.replace(URL_PATTERN, " ")) && decoded.length === 0) {
        found.push("contains an encoded blob");
    }
    for (const m of folded.matchAll(URL_PATTERN)) {
        const host = m[1];
        if (opts.egress(host)) {
            continue;
        }
        const before = folded.slice(0, m.index);
        const image = /!\[[^\]]*\]\(\s*<?$/.test(before) || /\bsrc\s*=\s*["']?$/i.test(before);
        if (image) {
            found.push(`renders an image from ${host}, outside the declared egress domains (image requests carry data out)`);
        } else if (URL_DATA_SLOT.test(m[0])) {
            found.push(`links to ${host}, outside the declared egress domains, with a slot for data in the URL`);
        } else if (URL_ACTION.test(before.slice(-120))) {
            found.push(`tells the model to render or send to ${host}, outside the declared egress domains`);
        }
    }
    return found;
}

/** A JSON Schema property name read as words: `include_contents_of_dot_env` -> `include contents of dot env`. */
export function nameAsWords(name: string): string {
    return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_\-.]+/g, " ").toLowerCase();
}
