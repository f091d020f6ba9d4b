// The I/O Graph's counts: packets or bytes on the wire per interval since the capture's first
// packet, as `tshark -z io,stat,INTERVAL` counts them (interval i holds the packets whose time since
// the first packet lies in [i × interval, (i + 1) × interval)). Read from the store's times and
// lengths alone: no packet is decoded, so a million packets take milliseconds.
import {
  AUTO_IO_BINS,
  IO_INTERVALS_MS,
  type IoInterval,
  type IoIntervalChoice,
  type IoUnit,
  MAX_IO_BINS,
} from '../../packet/io-graph-protocol.js';
import type { PacketStore } from './packet-store.js';

const NS_PER_MS = 1e6;

/** The interval to count in: `wanted`, or the next coarser one that makes at most MAX_IO_BINS
 *  intervals of the store's time span; for 'auto', the finest that makes at most AUTO_IO_BINS. */
export function fittingInterval(store: PacketStore, wanted: IoIntervalChoice): IoInterval {
  let span = 0;
  for (const { count, times } of store.timesAndLengths())
    for (let i = 0; i < count; i++) if (times[i]! > span) span = times[i]!;
  const most = wanted === 'auto' ? AUTO_IO_BINS : MAX_IO_BINS;
  const finest = wanted === 'auto' ? 0 : wanted;
  for (const ms of IO_INTERVALS_MS) if (ms >= finest && Math.floor(span / (ms * NS_PER_MS)) < most) return ms;
  return IO_INTERVALS_MS[IO_INTERVALS_MS.length - 1]!;
}

/** Each interval's packets or bytes: of every packet held, or of `numbers` only (the display
 *  filter's). A packet timed before the first one (a capture out of order) counts in the interval
 *  of the packet before it, as Wireshark's I/O statistics count it. */
export function ioBins(store: PacketStore, intervalMs: IoInterval, unit: IoUnit, numbers?: Uint32Array): number[] {
  const interval = intervalMs * NS_PER_MS;
  const bins: number[] = [];
  let last = 0;
  const add = (timeNs: number, length: number) => {
    if (timeNs >= 0) last = timeNs;
    const bin = Math.floor(last / interval);
    while (bins.length <= bin) bins.push(0);
    bins[bin]! += unit === 'packets' ? 1 : length;
  };
  if (!numbers) {
    for (const { count, times, lengths } of store.timesAndLengths())
      for (let i = 0; i < count; i++) add(times[i]!, lengths[i]!);
    return bins;
  }
  const times = store.columnValues('time', numbers);
  const lengths = store.columnValues('length', numbers);
  for (let k = 0; k < numbers.length; k++) add(times[k]!, lengths[k]!);
  return bins;
}
