// The detail tree's mark on a TLS session whose keys the capture holds (a debuggee's key log): on
// the Client Hello, whose random names the session in the key log. No VS Code here.
import type { DecodedPacket, Field } from '../../packet/decode/types.js';

export const KEYS_HELD_FIELD = 'tls.keys_held';

function* walk(fields: readonly Field[]): Generator<Field> {
  for (const f of fields) {
    yield f;
    if (f.children) yield* walk(f.children);
  }
}

/** Adds "keys held" to the TLS layer of a Client Hello whose random is in `clientRandoms`. */
export function markHeldKeys(decoded: DecodedPacket, clientRandoms: ReadonlySet<string>): void {
  for (const layer of decoded.layers) {
    if (layer.protocol !== 'tls') continue;
    const fields = [...walk(layer.fields)];
    const clientHello = fields.some((f) => f.name === 'tls.handshake.type' && f.value === 1);
    const random = fields.find((f) => f.name === 'tls.handshake.random')?.value;
    if (!clientHello || typeof random !== 'string' || !clientRandoms.has(random.toLowerCase())) continue;
    layer.fields.unshift({
      name: KEYS_HELD_FIELD,
      label: '🔑 Keys held for this TLS session: a saved pcapng carries them, Wireshark decrypts it',
      offset: 0,
      length: 0,
      value: true,
    });
    layer.label = `${layer.label} 🔑`;
  }
}
