// The Time column's display formats, as Wireshark's View → Time Display Format (tshark -t): to the
// microsecond, in the viewer's local time zone for the times of day.

export const TIME_FORMATS = ['relative', 'delta', 'time', 'dateTime', 'utcDateTime', 'epoch'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export const TIME_FORMAT_NAMES: Record<TimeFormat, string> = {
  relative: 'Seconds Since Beginning of Capture',
  delta: 'Seconds Since Previous Displayed Packet',
  time: 'Time of Day',
  dateTime: 'Date and Time of Day',
  utcDateTime: 'UTC Date and Time of Day',
  epoch: 'Seconds Since Epoch (1970-01-01)',
};

/** What a row's Time is made of. */
export interface PacketTimes {
  /** Seconds since the capture's first packet. */
  time: number;
  /** Seconds since the previous packet the view shows (0 for the first). */
  delta?: number;
  /** Nanoseconds since the epoch, as decimal digits (a JSON-safe bigint). */
  epochNs?: string;
}

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

/** The Time column's text for a packet in `format` ('' when the row lacks what it needs). */
export function formatPacketTime(p: PacketTimes, format: TimeFormat): string {
  if (format === 'relative') return seconds(p.time);
  if (format === 'delta') return p.delta === undefined ? '' : seconds(p.delta);
  if (p.epochNs === undefined || !/^\d+$/.test(p.epochNs)) return '';
  const ns = BigInt(p.epochNs);
  const whole = ns / 1_000_000_000n;
  const micros = pad((ns % 1_000_000_000n) / 1000n, 6);
  if (format === 'epoch') return `${whole}.${micros}`;
  const d = new Date(Number(whole) * 1000);
  const utc = format === 'utcDateTime';
  const [year, month, day, hours, minutes, secs] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  const clock = `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(secs, 2)}.${micros}`;
  return format === 'time' ? clock : `${year}-${pad(month, 2)}-${pad(day, 2)} ${clock}`;
}

function seconds(value: number): string {
  return Number.isFinite(value) ? value.toFixed(6) : '';
}
