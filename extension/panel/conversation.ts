// "Follow conversation": the display filter that selects both directions of one conversation.
import type { Conversation } from '../../packet/decode/types.js';

interface Endpoint {
  address: string;
  port?: string;
}

/** Endpoints are "address:port" (IPv6 possibly bracketed) or a bare address. */
function endpoint(text: string, withPort: boolean): Endpoint {
  if (!withPort) return { address: text.replace(/^\[|\]$/g, '') };
  const colon = text.lastIndexOf(':');
  return { address: text.slice(0, colon).replace(/^\[|\]$/g, ''), port: text.slice(colon + 1) };
}

export function conversationFilter(c: Conversation): string {
  const withPort = c.protocol === 'tcp' || c.protocol === 'udp' || c.protocol === 'sctp';
  const a = endpoint(c.a, withPort);
  const b = endpoint(c.b, withPort);
  const ip = a.address.includes(':') ? 'ipv6' : 'ip';
  const side = (src: Endpoint, dst: Endpoint) => {
    const parts = [`${ip}.src == ${src.address}`, `${ip}.dst == ${dst.address}`];
    if (withPort) parts.push(`${c.protocol}.srcport == ${src.port}`, `${c.protocol}.dstport == ${dst.port}`);
    return parts.join(' && ');
  };
  const proto = c.protocol === 'ip' || c.protocol === 'other' ? ip : c.protocol;
  return `${proto} && ((${side(a, b)}) || (${side(b, a)}))`;
}
