import * as ipaddr from "ipaddr.js";

/**
 * Address space that is not reachable from the internet: RFC 1918 and carrier-grade NAT (RFC 6598) blocks that
 * enterprise networks use, loopback, link-local, documentation, benchmarking, multicast and reserved IPv4 space; IPv6
 * unique-local (fc00::/7), link-local, loopback and the unspecified address. Everything else is public.
 */
const NOT_PUBLIC = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
    "fc00::/7", "fe80::/10", "::1/128", "::/128",
].map((c) => ipaddr.parseCIDR(c));

/**
 * True when the CIDR block holds any public (internet-routable) address, i.e. it is not inside one of the private or
 * reserved blocks. 3.0.0.0/8 and 0.0.0.0/1 are public; 10.0.0.0/8 and fd00::/8 are not. Undefined for a value that is
 * not a CIDR block (an unknown output, a prefix-list id).
 */
export function holdsPublicAddresses(cidr: unknown): boolean | undefined {
    if (typeof cidr !== "string" || !ipaddr.isValidCIDR(cidr)) {
        return undefined;
    }
    const [address, prefix] = ipaddr.parseCIDR(cidr);
    return !NOT_PUBLIC.some(([range, bits]) => range.kind() === address.kind() && bits <= prefix && address.match(range, bits));
}
