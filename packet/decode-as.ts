// "Decode As": the payload of a TCP or UDP port read as a given protocol, written as tshark's -d
// takes it (`tcp.port==18080,http2`), so one rule serves our decoders, tshark and sharkd alike.
// Our decoders apply the rules whose protocol they know (registry.ts applyDecodeAs); a rule for a
// protocol they do not know still takes the port from the protocols they would have guessed, and
// Wireshark's tree and filters decode it.

export interface DecodeAsRule {
  transport: 'tcp' | 'udp';
  port: number;
  /** A Wireshark protocol name, as tshark's `-d` takes it (`http`, `http2`, `mqtt`). */
  protocol: string;
}

const RULE = /^\s*(tcp|udp)\.port\s*==\s*(\d{1,5})\s*,\s*([a-z][a-z0-9_.-]{0,63})\s*$/;

/** `tcp.port==18080,http2` as a rule; throws an Error saying what a rule looks like. */
export function parseDecodeAs(text: string): DecodeAsRule {
  const m = RULE.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535)
    throw new Error(
      `"${text.slice(0, 100)}" is not a Decode As rule: write it as tshark's -d takes it, TRANSPORT.port==PORT,PROTOCOL (tcp.port==18080,http2)`,
    );
  return { transport: m[1] as 'tcp' | 'udp', port, protocol: m[3]! };
}

export function formatDecodeAs(rule: DecodeAsRule): string {
  return `${rule.transport}.port==${rule.port},${rule.protocol}`;
}

/** The rules as tshark's arguments: `-d RULE` each. */
export function tsharkDecodeAsArgs(rules: readonly DecodeAsRule[]): string[] {
  return rules.flatMap((r) => ['-d', formatDecodeAs(r)]);
}

/** The sentence a saved capture carries in its section comment, so whoever opens it sees why its
 *  ports read as they do; undefined without rules. */
export function decodeAsComment(rules: readonly DecodeAsRule[]): string | undefined {
  return rules.length === 0 ? undefined : `Decode As: ${rules.map(formatDecodeAs).join('; ')}`;
}
