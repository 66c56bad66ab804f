/** Small IPv4 CIDR arithmetic for carving subnets out of a VPC block. */

/** Parses dotted IPv4 into an integer; throws on anything else. */
export function ipv4ToInt(address: string): number {
    const parts = address.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
        throw new Error(`"${address}" is not an IPv4 address`);
    }
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** The dotted IPv4 form of an integer address. */
export function intToIpv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses `a.b.c.d/p` into its first address and prefix length. */
export function parseCidr(cidr: string): { base: number; prefix: number } {
    const [address, prefixText] = cidr.split("/");
    const prefix = Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
        throw new Error(`"${cidr}" is not an IPv4 CIDR block`);
    }
    const base = ipv4ToInt(address);
    if (base % 2 ** (32 - prefix) !== 0) {
        throw new Error(`"${cidr}" does not start on a /${prefix} boundary`);
    }
    return { base, prefix };
}

/**
 * The `index`-th block of length `newPrefix` inside `cidr` (as Terraform's `cidrsubnet`).
 * Throws when the block does not fit.
 */
export function subnetCidr(cidr: string, newPrefix: number, index: number): string {
    const { base, prefix } = parseCidr(cidr);
    if (newPrefix < prefix || newPrefix > 28) {
        throw new Error(`cannot carve /${newPrefix} blocks out of ${cidr}`);
    }
    const count = 2 ** (newPrefix - prefix);
    if (!Number.isInteger(index) || index < 0 || index >= count) {
        throw new Error(`${cidr} holds ${count} /${newPrefix} blocks; block ${index} does not exist`);
    }
    return `${intToIpv4(base + index * 2 ** (32 - newPrefix))}/${newPrefix}`;
}

/** True when every address of `inner` is inside `outer`. Throws on a malformed block. */
export function cidrContains(outer: string, inner: string): boolean {
    const a = parseCidr(outer);
    const b = parseCidr(inner);
    return a.prefix <= b.prefix && Math.floor(b.base / 2 ** (32 - a.prefix)) === Math.floor(a.base / 2 ** (32 - a.prefix));
}

/** True when two IPv4 blocks share an address. Throws on a malformed block. */
export function cidrsOverlap(a: string, b: string): boolean {
    return cidrContains(a, b) || cidrContains(b, a);
}

/**
 * The blocks of `cidrs` with every address of `remove` (one block or several) taken out, as CIDR blocks (each block
 * that contains a removed one is split into the halves that do not; blocks inside a removed one disappear). Throws
 * on a malformed block. Pure.
 */
export function cidrSubtract(cidrs: readonly string[], remove: string | readonly string[]): string[] {
    if (typeof remove !== "string") {
        return remove.reduce<string[]>((left, r) => cidrSubtract(left, r), [...cidrs]);
    }
    const out: string[] = [];
    const r = parseCidr(remove);
    for (const cidr of cidrs) {
        if (cidrContains(remove, cidr)) continue;
        if (!cidrContains(cidr, remove)) {
            out.push(cidr);
            continue;
        }
        // Walk from the block down to `remove`, keeping at each level the half that does not hold it.
        let { base, prefix } = parseCidr(cidr);
        while (prefix < r.prefix) {
            prefix += 1;
            const half = 2 ** (32 - prefix);
            const inUpper = r.base >= base + half;
            out.push(`${intToIpv4(inUpper ? base : base + half)}/${prefix}`);
            if (inUpper) base += half;
        }
    }
    return out;
}
