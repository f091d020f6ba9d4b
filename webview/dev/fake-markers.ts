// Debugger markers for the fake host (markers=1): in every 40 rows, row 10 is a pause at
// handler.ts:42 and row 20 a continue, the rows between them packets captured while paused. The
// fake host keeps its row arithmetic: the markers stand in the place of packets it would show.
import type { Row } from '../../packet/protocol.js';

const PERIOD = 40;
const PAUSE_AT = 10;
const CONTINUE_AT = 20;

/** Ordinal n's row as a marker (undefined: a packet), from the packet row it replaces. */
export function fakeMarkerRow(n: number, packet: Row): Row | undefined {
  const at = n % PERIOD;
  if (at !== PAUSE_AT && at !== CONTINUE_AT)
    return at > PAUSE_AT && at < CONTINUE_AT ? { ...packet, paused: true } : undefined;
  const paused = at === PAUSE_AT;
  return {
    index: packet.index,
    number: 0,
    time: packet.time,
    source: '',
    destination: '',
    protocol: '',
    length: 0,
    info: paused ? '⏸ paused at handler.ts:42 (breakpoint)' : '▶ continued',
    marker: paused ? { kind: 'paused', source: { path: '/srv/app/handler.ts', line: 42 } } : { kind: 'continued' },
  };
}
