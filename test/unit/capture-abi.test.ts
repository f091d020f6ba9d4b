// The user-space view of bpf/capture.h (packet/capture-abi.ts) against the C compiler's: every
// struct field's offset and size, the constants, and rules encoded by encodeRules() read back
// through the C struct definitions. No root needed: only `cc`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CAP_MAX_RULES,
  CAP_MAX_SNAPLEN,
  CAP_RECORD_VERSION,
  type CaptureRule,
  DIRECTION_CODE,
  decodeRecords,
  encodeRules,
  LAYOUT,
  MATCH,
} from '../../packet/capture-abi.js';

const HEADER = path.resolve(__dirname, '../../bpf/capture.h');

// Every field of every struct in capture.h: [struct, field]. Pads are listed too, so a field added
// to the C side without a place here fails the size check rather than passing silently.
const FIELDS: Record<string, { c: string; fields: string[] }> = {
  record: {
    c: 'cap_record',
    fields: ['version', 'direction', 'hdr_len', 'ifindex', 'ts_boot_ns', 'orig_len', 'cap_len'],
  },
  addr: { c: 'cap_addr', fields: ['family', 'pad', 'addr', 'mask'] },
  rule: {
    c: 'cap_rule',
    fields: [
      'match',
      'ethertype',
      'l4proto',
      'direction',
      'sport_lo',
      'sport_hi',
      'dport_lo',
      'dport_hi',
      'port_lo',
      'port_hi',
      'pad',
      'saddr',
      'daddr',
      'addr',
    ],
  },
  config: { c: 'cap_config', fields: ['active_bank', 'nrules', 'snaplen', 'directions', 'wakeup_bytes'] },
  iface: { c: 'cap_iface', fields: ['l2_len', 'pad'] },
  stats: { c: 'cap_stats', fields: ['seen', 'matched', 'captured', 'dropped', 'captured_bytes'] },
};
const CONSTANTS = [
  'CAP_RECORD_VERSION',
  'CAP_MAX_RULES',
  'CAP_MAX_SNAPLEN',
  'CAP_DIR_IN',
  'CAP_DIR_OUT',
  'CAP_M_ETHERTYPE',
  'CAP_M_L4PROTO',
  'CAP_M_SPORT',
  'CAP_M_DPORT',
  'CAP_M_PORT',
  'CAP_M_SADDR',
  'CAP_M_DADDR',
  'CAP_M_ADDR',
  'CAP_M_DIRECTION',
  'CAP_M_EXCLUDE',
];

function program(): string {
  const layout = Object.entries(FIELDS).map(([key, { c, fields }]) => {
    const parts = fields.map(
      (f) => `printf("\\"${f}\\":[%zu,%zu],", offsetof(struct ${c}, ${f}), sizeof(((struct ${c} *)0)->${f}));`,
    );
    return `printf("\\"${key}\\":{"); ${parts.join(' ')} printf("\\"size\\":%zu},", sizeof(struct ${c}));`;
  });
  const constants = CONSTANTS.map((k) => `printf("\\"${k}\\":%llu,", (unsigned long long)(${k}));`);
  const addr = (name: string) =>
    `printf("\\"${name}\\":{\\"family\\":%u,\\"addr\\":\\"", r.${name}.family); hex(r.${name}.addr, 16); printf("\\",\\"mask\\":\\""); hex(r.${name}.mask, 16); printf("\\"}");`;
  return `#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "${HEADER}"
static void hex(const __u8 *b, int n) { for (int i = 0; i < n; i++) printf("%02x", b[i]); }
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "rules") == 0) {
    /* Reads encoded rules (raw bytes) on stdin and prints them as the C structs see them. */
    struct cap_rule r;
    int first = 1;
    printf("[");
    while (fread(&r, sizeof(r), 1, stdin) == 1) {
      printf("%s{\\"match\\":%u,\\"ethertype\\":%u,\\"l4proto\\":%u,\\"direction\\":%u,", first ? "" : ",", r.match, r.ethertype, r.l4proto, r.direction);
      printf("\\"sport\\":[%u,%u],\\"dport\\":[%u,%u],\\"port\\":[%u,%u],", r.sport_lo, r.sport_hi, r.dport_lo, r.dport_hi, r.port_lo, r.port_hi);
      ${addr('saddr')} printf(","); ${addr('daddr')} printf(","); ${addr('addr')} printf("}");
      first = 0;
    }
    printf("]\\n");
    return 0;
  }
  printf("{"); ${constants.join(' ')}
  ${layout.join('\n  ')}
  printf("\\"end\\":0}\\n");
  return 0;
}
`;
}

describe('capture ABI: packet/capture-abi.ts against bpf/capture.h', () => {
  let dir: string;
  let exe: string;
  let c: Record<string, Record<string, [number, number]> & { size: number }> & Record<string, number>;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-abi-'));
    exe = path.join(dir, 'abi');
    fs.writeFileSync(path.join(dir, 'abi.c'), program());
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-o', exe, path.join(dir, 'abi.c')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    c = JSON.parse(execFileSync(exe, { encoding: 'utf8' }));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('constants', () => {
    assert.equal(c.CAP_RECORD_VERSION, CAP_RECORD_VERSION);
    assert.equal(c.CAP_MAX_RULES, CAP_MAX_RULES);
    assert.equal(c.CAP_MAX_SNAPLEN, CAP_MAX_SNAPLEN);
    assert.equal(c.CAP_DIR_IN, DIRECTION_CODE.in);
    assert.equal(c.CAP_DIR_OUT, DIRECTION_CODE.out);
    for (const [k, v] of Object.entries(MATCH)) assert.equal(c[`CAP_M_${k}`], v, `CAP_M_${k}`);
  });

  for (const [key, { c: cName, fields }] of Object.entries(FIELDS)) {
    test(`struct ${cName}: size and every field's offset`, () => {
      const L = LAYOUT[key as keyof typeof LAYOUT] as Record<string, number>;
      const C = c[key] as Record<string, [number, number]> & { size: number };
      assert.equal(L.size, C.size, 'sizeof');
      // The fields tile the struct: no hidden padding the TS side might not know about.
      const covered = fields.reduce((n, f) => n + C[f]![1], 0);
      assert.equal(covered, C.size, 'fields cover the struct exactly');
      for (const f of fields) {
        if (f === 'pad') continue; // not written by user space; zero in a Buffer.alloc
        assert.equal(L[f], C[f]![0], `offsetof(${cName}, ${f})`);
      }
      // And LAYOUT names nothing the C struct lacks.
      for (const f of Object.keys(L)) if (f !== 'size') assert.ok(fields.includes(f), `LAYOUT.${key}.${f} exists in C`);
    });
  }

  /** encodeRules() bytes, read back through the C struct definitions. */
  function viaC(rules: CaptureRule[], exclusions: CaptureRule[] = []) {
    return JSON.parse(execFileSync(exe, ['rules'], { input: encodeRules(rules, exclusions), encoding: 'utf8' })) as {
      match: number;
      ethertype: number;
      l4proto: number;
      direction: number;
      sport: number[];
      dport: number[];
      port: number[];
      saddr: { family: number; addr: string; mask: string };
      daddr: { family: number; addr: string; mask: string };
      addr: { family: number; addr: string; mask: string };
    }[];
  }

  const ZERO = { family: 0, addr: '00'.repeat(16), mask: '00'.repeat(16) };

  test('encodeRules: a PCA rule (udp,7000)', () => {
    const [r] = viaC([{ l4proto: 17, port: { lo: 7000, hi: 7000 } }]);
    assert.deepEqual(r, {
      match: MATCH.L4PROTO | MATCH.PORT,
      ethertype: 0,
      l4proto: 17,
      direction: 0,
      sport: [0, 0],
      dport: [0, 0],
      port: [7000, 7000],
      saddr: ZERO,
      daddr: ZERO,
      addr: ZERO,
    });
  });

  test('encodeRules: IPv4 prefix, port ranges, direction, ethertype', () => {
    const [r] = viaC([
      {
        ethertype: 0x0800,
        l4proto: 6,
        direction: 'out',
        sport: { lo: 1024, hi: 65535 },
        dport: { lo: 443, hi: 443 },
        saddr: { family: 4, addr: Uint8Array.from([198, 51, 100, 77]), prefix: 26 }, // pre-masked to .64
      },
    ]);
    assert.equal(r!.match, MATCH.ETHERTYPE | MATCH.L4PROTO | MATCH.DIRECTION | MATCH.SPORT | MATCH.DPORT | MATCH.SADDR);
    assert.equal(r!.ethertype, 0x0800);
    assert.equal(r!.l4proto, 6);
    assert.equal(r!.direction, 1);
    assert.deepEqual(
      [r!.sport, r!.dport, r!.port],
      [
        [1024, 65535],
        [443, 443],
        [0, 0],
      ],
    );
    assert.deepEqual(r!.saddr, { family: 4, addr: `c6336440${'00'.repeat(12)}`, mask: `ffffffc0${'00'.repeat(12)}` });
    assert.deepEqual([r!.daddr, r!.addr], [ZERO, ZERO]);
  });

  test('encodeRules: IPv6 prefixes (/122 either, /128 destination, /0) and several rules in order', () => {
    const v6 = (tail: number) => Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, ...Array(9).fill(0), tail]);
    const rules = viaC([
      { addr: { family: 6, addr: v6(0x66), prefix: 122 } },
      { daddr: { family: 6, addr: v6(0x02), prefix: 128 }, l4proto: 58 },
      { saddr: { family: 6, addr: v6(0xff), prefix: 0 } },
    ]);
    assert.equal(rules.length, 3);
    assert.deepEqual(rules[0]!.addr, {
      family: 6,
      addr: `20010db80100${'00'.repeat(9)}40`,
      mask: `${'ff'.repeat(15)}c0`,
    });
    assert.equal(rules[0]!.match, MATCH.ADDR);
    assert.deepEqual(rules[1]!.daddr, { family: 6, addr: `20010db80100${'00'.repeat(9)}02`, mask: 'ff'.repeat(16) });
    assert.equal(rules[1]!.match, MATCH.DADDR | MATCH.L4PROTO);
    assert.deepEqual(rules[2]!.saddr, { family: 6, addr: '00'.repeat(16), mask: '00'.repeat(16) });
  });

  test('encodeRules: an empty filter is no rules; more than CAP_MAX_RULES is refused', () => {
    assert.equal(encodeRules([]).length, 0);
    assert.equal(encodeRules(Array(CAP_MAX_RULES).fill({ l4proto: 6 })).length, CAP_MAX_RULES * LAYOUT.rule.size);
    assert.throws(() => encodeRules(Array(CAP_MAX_RULES + 1).fill({ l4proto: 6 })), RangeError);
  });

  test('encodeRules: exclusions come first, flagged CAP_M_EXCLUDE, then the include rules unflagged', () => {
    const ssh = (a: number, ap: number, b: number, bp: number): CaptureRule => ({
      l4proto: 6,
      sport: { lo: ap, hi: ap },
      dport: { lo: bp, hi: bp },
      saddr: { family: 4, addr: Uint8Array.from([198, 51, 100, a]), prefix: 32 },
      daddr: { family: 4, addr: Uint8Array.from([198, 51, 100, b]), prefix: 32 },
    });
    const rules = viaC([{ l4proto: 17 }, { l4proto: 6 }], [ssh(1, 51234, 2, 22), ssh(2, 22, 1, 51234)]);
    const tuple = MATCH.L4PROTO | MATCH.SPORT | MATCH.DPORT | MATCH.SADDR | MATCH.DADDR;
    assert.deepEqual(
      rules.map((r) => r.match),
      [MATCH.EXCLUDE | tuple, MATCH.EXCLUDE | tuple, MATCH.L4PROTO, MATCH.L4PROTO],
    );
    assert.deepEqual(
      rules.map((r) => r.l4proto),
      [6, 6, 17, 6],
    );
    assert.deepEqual(
      [rules[0]!.sport, rules[0]!.dport, rules[1]!.sport, rules[1]!.dport],
      [
        [51234, 51234],
        [22, 22],
        [22, 22],
        [51234, 51234],
      ],
    );
    assert.equal(rules[0]!.saddr.addr, `c6336401${'00'.repeat(12)}`);
    assert.equal(rules[1]!.daddr.addr, `c6336401${'00'.repeat(12)}`);
    // An exclusion with an empty filter: the bank holds exclusions only.
    assert.deepEqual(
      viaC([], [ssh(1, 51234, 2, 22)]).map((r) => r.match),
      [MATCH.EXCLUDE | tuple],
    );
  });

  test('encodeRules: exclusions and include rules share CAP_MAX_RULES', () => {
    const half = Array(CAP_MAX_RULES / 2).fill({ l4proto: 6 });
    assert.equal(encodeRules(half, half).length, CAP_MAX_RULES * LAYOUT.rule.size);
    assert.throws(
      () => encodeRules([...half, { l4proto: 17 }], half),
      /filter and exclusion expand to 17 \+ 16 rules; the kernel filter holds at most 32/,
    );
    assert.throws(() => encodeRules([], Array(CAP_MAX_RULES + 1).fill({ l4proto: 6 })), RangeError);
  });

  test('decodeRecords reads records laid out as struct cap_record', () => {
    const R = LAYOUT.record;
    const rec = (dir: number, ifindex: number, ts: bigint, orig: number, data: number[]) => {
      const b = Buffer.alloc(R.size + data.length);
      b.writeUInt8(CAP_RECORD_VERSION, R.version);
      b.writeUInt8(dir, R.direction);
      b.writeUInt16LE(R.size, R.hdr_len);
      b.writeUInt32LE(ifindex, R.ifindex);
      b.writeBigUInt64LE(ts, R.ts_boot_ns);
      b.writeUInt32LE(orig, R.orig_len);
      b.writeUInt32LE(data.length, R.cap_len);
      Buffer.from(data).copy(b, R.size);
      return b;
    };
    const batch = Buffer.concat([rec(0, 7, 123n, 1500, [1, 2, 3]), rec(1, 9, 2n ** 40n, 60, [])]);
    const out = [...decodeRecords(batch)].map((r) => ({ ...r, data: [...r.data] }));
    assert.deepEqual(out, [
      { direction: 'in', ifindex: 7, tsBootNs: 123n, origLen: 1500, data: [1, 2, 3] },
      { direction: 'out', ifindex: 9, tsBootNs: 2n ** 40n, origLen: 60, data: [] },
    ]);
  });
});
