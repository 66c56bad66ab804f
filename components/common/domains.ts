import { parse } from "tldts";

/**
 * Domains under which anyone can get a host name of their own without a registrable domain of the Public Suffix List
 * in between (any AWS account's S3 bucket, API, registry or load balancer is a name under amazonaws.com; the same for
 * the other clouds' storage and API hosts). Public suffixes themselves, ICANN (com, co.uk) and private (cloudfront.net,
 * ngrok.io, github.io), come from the Public Suffix List through tldts.
 */
export const HOSTING_DOMAINS = ["amazonaws.com", "googleapis.com", "windows.net", "azure.com"];

/**
 * Why an allowlist entry that covers every name under `base` (a DNS Firewall `*.base`, a Network Firewall `.base`) is
 * too broad to be an allowlist, or undefined when `base` is one registrable domain (or a name inside one) that its
 * owner controls. Too broad: a public suffix (ICANN or private section of the Public Suffix List), a name with no
 * registrable domain, or a name under a hosting domain that is not inside one customer's name (".eu-west-1.amazonaws.com",
 * ".dkr.ecr.eu-west-1.amazonaws.com" hold every account's hosts).
 */
export function wildcardTooBroad(base: string): string | undefined {
    const name = base.trim().toLowerCase().replace(/^\*?\./, "").replace(/\.$/, "");
    if (name === "" || name === "*") {
        return "every name";
    }
    const parsed = parse(name, { allowPrivateDomains: true });
    if (parsed.publicSuffix === name || !parsed.domain) {
        return `every name under a public suffix (${name})`;
    }
    const hosting = HOSTING_DOMAINS.find((h) => name === h || name.endsWith(`.${h}`));
    if (hosting && parsed.domain === hosting) {
        return `every host of every customer under ${hosting}`;
    }
    return undefined;
}
