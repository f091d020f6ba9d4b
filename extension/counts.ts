/** "1 packet", "2,150 packets": a count of packets as the messages say it. */
export function packetCount(n: number): string {
  return `${n.toLocaleString('en-US')} packet${n === 1 ? '' : 's'}`;
}
