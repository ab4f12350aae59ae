// Source networks per token (docs/rules.md §1.14): CIDR blocks parsed and checked here, matched
// with node's net.BlockList (which also matches IPv4-mapped IPv6 addresses against IPv4 blocks
// and the other way round). No zod here: the authorizer imports this module.
import { BlockList, isIP, isIPv4 } from 'node:net';

export const MAX_CIDRS = 20;

/** Why a CIDR block is refused, or null when it is a valid network (no host bits set). */
export function cidrProblem(text: string): string | null {
  if (typeof text !== 'string' || text.length > 64) return 'not a CIDR block';
  const m = text.match(/^([0-9A-Fa-f:.]+)\/(\d{1,3})$/);
  if (!m) return 'not a CIDR block (address/prefix, such as 10.0.0.0/8 or 2001:db8::/32)';
  const [, address, prefixText] = m;
  const family = isIP(address);
  if (family === 0) return 'not an IPv4 or IPv6 address';
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (prefix > bits || (prefixText.length > 1 && prefixText.startsWith('0'))) return `the prefix must be 0 to ${bits}`;
  const value = toBigInt(address, family);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) return `host bits are set; the network is ${fromBigInt(value & ~hostMask, family)}/${prefix}`;
  return null;
}

/** The canonical text of a valid block (lower case, IPv6 compressed as node writes it). */
export function canonicalCidr(text: string): string {
  const [address, prefix] = text.split('/');
  const family = isIP(address) as 4 | 6;
  return `${fromBigInt(toBigInt(address, family), family)}/${Number(prefix)}`;
}

function toBigInt(address: string, family: number): bigint {
  if (family === 4) return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail) {
    const v4 = toBigInt(tail[1], 4);
    text = `${text.slice(0, -tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function fromBigInt(value: bigint, family: number): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

const compiled = new Map<string, BlockList>();

function blockListOf(cidrs: readonly string[]): BlockList {
  const key = cidrs.join(',');
  let list = compiled.get(key);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const [address, prefix] = cidr.split('/');
      list.addSubnet(address, Number(prefix), isIPv4(address) ? 'ipv4' : 'ipv6');
    }
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(key, list);
  }
  return list;
}

/** Whether `sourceIp` lies in one of the blocks. An address that is not one never does. */
export function addressAllowed(cidrs: readonly string[], sourceIp: string): boolean {
  const family = isIP(sourceIp);
  if (family === 0) return false;
  return blockListOf(cidrs).check(sourceIp, family === 4 ? 'ipv4' : 'ipv6');
}
