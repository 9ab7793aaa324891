import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bitString,
  boolean,
  children,
  explicit,
  ia5,
  implicit,
  namedBits,
  oid,
  sequence,
  single,
  TAG,
  time,
  tlv,
  unsignedInteger,
  utf8String,
} from './der.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('der', () => {
  // Expected bytes from X.690 and RFC 5280 (checked with `openssl asn1parse`).
  const cases: [string, Buffer, string][] = [
    ['integer 0', unsignedInteger(0), '020100'],
    ['integer 2 (X.509 v3)', unsignedInteger(2), '020102'],
    ['integer 127', unsignedInteger(127), '02017f'],
    ['integer 128 gets a leading zero (else negative)', unsignedInteger(128), '02020080'],
    ['integer 256', unsignedInteger(256), '02020100'],
    ['integer bytes: leading zeros dropped', unsignedInteger(Buffer.from('00007f', 'hex')), '02017f'],
    ['integer bytes: top bit set', unsignedInteger(Buffer.from('ff01', 'hex')), '020300ff01'],
    ['oid ecdsa-with-SHA256', oid('1.2.840.10045.4.3.2'), '06082a8648ce3d040302'],
    ['oid commonName', oid('2.5.4.3'), '0603550403'],
    ['oid serverAuth', oid('1.3.6.1.5.5.7.3.1'), '06082b06010505070301'],
    ['boolean true', boolean(true), '0101ff'],
    ['keyUsage keyCertSign|cRLSign', namedBits([5, 6]), '03020106'],
    ['keyUsage digitalSignature|keyEncipherment', namedBits([0, 2]), '030205a0'],
    ['named bit 8 spills into a second byte', namedBits([0, 8]), '0303078080'],
    ['empty sequence (BasicConstraints cA FALSE)', sequence(), '3000'],
    ['utf8String', utf8String('é'), '0c02c3a9'],
    ['explicit [0]', explicit(0, unsignedInteger(2)), 'a003020102'],
    ['implicit [2] dNSName', implicit(2, ia5('a.b')), '8203612e62'],
    ['bit string with no unused bits', bitString(Buffer.from('abcd', 'hex')), '030300abcd'],
    ['UTCTime through 2049', time(new Date('2049-12-31T23:59:59.999Z')), `170d${hex(Buffer.from('491231235959Z'))}`],
    ['GeneralizedTime from 2050', time(new Date('2050-01-01T00:00:00Z')), `180f${hex(Buffer.from('20500101000000Z'))}`],
  ];
  for (const [name, actual, expected] of cases) {
    it(name, () => assert.equal(hex(actual), expected));
  }

  it('writes long lengths in the long form and reads them back', () => {
    for (const size of [127, 128, 255, 256, 70_000]) {
      const value = tlv(TAG.octetString, Buffer.alloc(size, 7));
      const header = size < 128 ? '04' : size < 256 ? '0481' : size < 65_536 ? '0482' : '0483';
      assert.ok(hex(value).startsWith(header), `${size}: ${hex(value.subarray(0, 5))}`);
      const read = single(value, TAG.octetString, 'value');
      assert.equal(read.contents.length, size);
      assert.ok(read.der.equals(value));
    }
  });

  it('reads a sequence back into its children', () => {
    const parts = children(single(sequence(oid('2.5.4.3'), utf8String('x')), TAG.sequence, 'seq').contents);
    assert.deepEqual(
      parts.map((p) => [p.tag, hex(p.contents)]),
      [
        [TAG.oid, '550403'],
        [TAG.utf8String, '78'],
      ],
    );
  });

  it('refuses what it cannot write or read', () => {
    assert.throws(() => unsignedInteger(-1), /not a non-negative safe integer/);
    assert.throws(() => oid('1'), /not a dotted list/);
    assert.throws(() => ia5('bücher.example'), /not ASCII/);
    assert.throws(() => time(new Date('1949-01-01T00:00:00Z')), /out of range/);
    assert.throws(() => children(Buffer.from('3005020101', 'hex')), /runs past the end/);
    assert.throws(() => children(Buffer.from('30', 'hex')), /truncated/);
    assert.throws(() => single(Buffer.from('020100020101', 'hex'), TAG.integer, 'serial'), /serial is not one value/);
  });
});
