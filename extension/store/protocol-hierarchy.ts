// Statistics → Protocol Hierarchy, as Wireshark counts it (`tshark -z io,phs`): a packet's
// protocols, outermost first (its layers after the frame's; "_ws.malformed" and "_ws.short" among
// them), are a path from the root; the packet counts once, with its length on the wire, at every
// node of that path, and once more as the end of its last node. A node's children are in the order
// they first appeared. The filter workers decode the packets (each a share of them) into paths;
// the shares are joined here in packet order.

import type { FilterReads } from '../../packet/decode/index.js';
import type { DecodedPacket } from '../../packet/decode/types.js';
import type { HierarchyRow } from '../../packet/hierarchy-protocol.js';

/** A decode that builds every layer and no field: enough to name a packet's protocols. */
export const HIERARCHY_READS: FilterReads = { needsTree: true, fieldLayers: new Set(), readsColumns: false };

/** Packets that share one path of protocols: how many, and their bytes on the wire. */
export interface PathTally {
  /** The protocols, outermost first, joined by ":" (as frame.protocols). */
  path: string;
  frames: number;
  bytes: number;
}

/** The packet's path of protocols. */
export function protocolPath(decoded: DecodedPacket): string {
  let path = '';
  for (const layer of decoded.layers)
    if (layer.protocol !== 'frame') path = path === '' ? layer.protocol : `${path}:${layer.protocol}`;
  return path;
}

/** Tallies paths as packets come, in packet order (the paths in the order they first came). */
export class PathTallies {
  private readonly byPath = new Map<string, PathTally>();

  add(path: string, wireLength: number): void {
    const t = this.byPath.get(path);
    if (t) {
      t.frames++;
      t.bytes += wireLength;
    } else this.byPath.set(path, { path, frames: 1, bytes: wireLength });
  }

  get tallies(): PathTally[] {
    return [...this.byPath.values()];
  }
}

interface Node {
  protocol: string;
  frames: number;
  bytes: number;
  endFrames: number;
  endBytes: number;
  children: Map<string, Node>;
}

function node(protocol: string): Node {
  return { protocol, frames: 0, bytes: 0, endFrames: 0, endBytes: 0, children: new Map() };
}

/** Shares' tallies (in packet order) as the hierarchy's rows, depth first, each node's children in
 *  the order they first appeared. */
export function hierarchyRows(shares: readonly (readonly PathTally[])[]): HierarchyRow[] {
  const root = node('');
  for (const share of shares)
    for (const t of share) {
      let at = root;
      for (const protocol of t.path.split(':')) {
        if (protocol === '') continue;
        let child = at.children.get(protocol);
        if (!child) {
          child = node(protocol);
          at.children.set(protocol, child);
        }
        child.frames += t.frames;
        child.bytes += t.bytes;
        at = child;
      }
      if (at !== root) {
        at.endFrames += t.frames;
        at.endBytes += t.bytes;
      }
    }
  const rows: HierarchyRow[] = [];
  const visit = (n: Node, depth: number) => {
    for (const child of n.children.values()) {
      const { protocol, frames, bytes, endFrames, endBytes } = child;
      rows.push({ protocol, depth, frames, bytes, endFrames, endBytes });
      visit(child, depth + 1);
    }
  };
  visit(root, 0);
  return rows;
}
