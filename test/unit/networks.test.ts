// CIDR blocks for allowedCidrs: what is refused and why, the canonical form, and matching
// (IPv4, IPv6, and IPv4-mapped IPv6 either way).
import { describe, expect, it } from 'vitest';
import { addressAllowed, canonicalCidr, cidrProblem } from '../../shared/networks.ts';

describe('cidrProblem', () => {
  it.each(['10.0.0.0/8', '0.0.0.0/0', '1.2.3.4/32', '2001:db8::/32', '::/0', '::1/128', '2001:DB8:0:0:0:0:0:0/48', '::ffff:10.0.0.0/104'])('accepts %s', (c) => {
    expect(cidrProblem(c)).toBeNull();
  });

  it.each([
    ['10.0.0.1/8', /host bits are set; the network is 10\.0\.0\.0\/8/],
    ['2001:db8::1/32', /host bits are set; the network is 2001:db8::\/32/],
    ['10.0.0.0/33', /prefix must be 0 to 32/],
    ['2001:db8::/129', /prefix must be 0 to 128/],
    ['10.0.0.0', /not a CIDR block/],
    ['garbage', /not a CIDR block/],
    ['10.0.0.256/32', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0/64', /not a CIDR block/],
    ['10.0.0.0/-1', /not a CIDR block/],
  ])('refuses %s', (c, why) => {
    expect(cidrProblem(c)).toMatch(why);
  });

  it('writes blocks canonically', () => {
    expect(canonicalCidr('2001:DB8:0:0:0:0:0:0/48')).toBe('2001:db8::/48');
    expect(canonicalCidr('10.0.0.0/8')).toBe('10.0.0.0/8');
  });
});

describe('addressAllowed', () => {
  it('matches IPv4 and IPv6 addresses inside their blocks only', () => {
    expect(addressAllowed(['10.0.0.0/8'], '10.200.1.1')).toBe(true);
    expect(addressAllowed(['10.0.0.0/8'], '127.0.0.1')).toBe(false);
    expect(addressAllowed(['2001:db8::/32'], '2001:db8:1::5')).toBe(true);
    expect(addressAllowed(['2001:db8::/32'], '2001:db9::5')).toBe(false);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 blocks and the other way round', () => {
    expect(addressAllowed(['127.0.0.0/8'], '::ffff:127.0.0.1')).toBe(true);
    expect(addressAllowed(['::ffff:10.0.0.0/104'], '10.2.3.4')).toBe(true);
    expect(addressAllowed(['10.0.0.0/8'], '::ffff:127.0.0.1')).toBe(false);
  });

  it('never allows what is not an address', () => {
    expect(addressAllowed(['0.0.0.0/0', '::/0'], 'unknown')).toBe(false);
    expect(addressAllowed(['0.0.0.0/0'], '')).toBe(false);
  });
});
