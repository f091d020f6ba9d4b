// IEEE 802.2 LLC (802.3 frames, SLL protocol 4) and SNAP. Only enough to name the frame and to
// follow SNAP's ethertype (OUI 0) back into the ethertype table.

import { u16, u24 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex8, hex16 } from './format.js';
import { dispatchEtherType, etherTypeName } from './registry.js';

const SAPS: ReadonlyMap<number, string> = new Map([
  [0x00, 'NULL LSAP'],
  [0x06, 'TCP/IP'],
  [0x42, 'Spanning Tree BPDU'],
  [0xaa, 'SNAP'],
  [0xe0, 'NetWare'],
  [0xf0, 'NetBIOS'],
  [0xfe, 'ISO Network Layer'],
  [0xff, 'Global LSAP'],
]);

export function dissectLlc(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const L = d.treeLayer('llc', 'Logical-Link Control', off, Math.min(3, Math.max(end - off, 0)));
  d.protocol = 'LLC';
  if (end - off < 3) {
    d.short(L, 'LLC', 'LLC header', off + 3, end);
    return;
  }
  const dsap = b[off]!;
  const ssap = b[off + 1]!;
  const control = b[off + 2]!;
  const dname = SAPS.get(dsap & 0xfe) ?? 'Unknown';
  const sname = SAPS.get(ssap & 0xfe) ?? 'Unknown';
  d.info = `DSAP ${dname} ${dsap & 1 ? 'Group' : 'Individual'}, SSAP ${sname} ${ssap & 1 ? 'Response' : 'Command'}`;
  if (L) {
    L.fields.push(
      field('llc.dsap', `DSAP: ${dname} (${hex8(dsap)})`, off, 1, dsap),
      field('llc.ssap', `SSAP: ${sname} (${hex8(ssap)})`, off + 1, 1, ssap),
      field('llc.control', `Control field: ${hex8(control)}`, off + 2, 1, control),
    );
  }
  if (dsap === 0xaa && ssap === 0xaa && control === 0x03) {
    if (end - off < 8) {
      d.short(L, 'LLC', 'SNAP header', off + 8, end);
      return;
    }
    const oui = u24(b, off + 3);
    const pid = u16(b, off + 6);
    if (L) {
      L.length = 8;
      L.fields.push(
        field(
          'llc.oui',
          `Organization Code: ${oui === 0 ? 'Encapsulated Ethernet' : 'Unknown'} (0x${oui.toString(16).padStart(6, '0')})`,
          off + 3,
          3,
          oui,
        ),
        field('llc.type', `Type: ${etherTypeName(pid)} (${hex16(pid)})`, off + 6, 2, pid),
      );
    }
    if (oui === 0 && pid > 1500) dispatchEtherType(d, pid, off + 8, end, rend);
  }
}
