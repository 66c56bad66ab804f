import { parseCidr } from "../common/cidr";

/**
 * The widest block a public Kubernetes API endpoint may admit: a /16 (65,536 addresses), wide enough for an
 * operator's public ranges and narrow enough that no list of blocks (at most 40, the EKS limit of publicAccessCidrs)
 * adds up to a real share of the internet. 0.0.0.0/0 written as 0.0.0.0/1 + 128.0.0.0/1 is refused by this too.
 */
export const PUBLIC_ENDPOINT_MIN_PREFIX = 16;

/** What is wrong with one block of a public API endpoint's allowlist, or undefined when it is allowed. Pure. */
export function publicEndpointBlockProblem(cidr: string): string | undefined {
    let prefix: number;
    try {
        prefix = parseCidr(cidr.trim()).prefix;
    } catch {
        return undefined; // Not an IPv4 block (an unknown value): the schema or EKS refuses it.
    }
    if (prefix === 0) {
        return `${cidr} is the whole internet`;
    }
    if (prefix < PUBLIC_ENDPOINT_MIN_PREFIX) {
        return `${cidr} holds ${2 ** (32 - prefix)} addresses, wider than a /${PUBLIC_ENDPOINT_MIN_PREFIX}: a large share of the internet`;
    }
    return undefined;
}
