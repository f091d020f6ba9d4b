// TLS records (RFC 8446, RFC 5246): content types, versions, handshake message names, and the
// ClientHello's SNI, ALPN and supported versions; the ServerHello's selected version.
//
// Protocol column as Wireshark derives it without session state: the version a ServerHello
// selects (supported_versions, else its own version field), otherwise the record-layer version
// ("TLSv1" for a ClientHello sent in a 0x0301 record). Info: the records' descriptions joined by
// ", "; a ClientHello with SNI reads "Client Hello (SNI=example.com)" as in Wireshark ≥ 4.2
// (Wireshark 4.0 prints "Client Hello").

import { u16, u24 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { escapeBytes, hex16, hexBytes } from './format.js';
import type { Field } from './types.js';

const VERSIONS: ReadonlyMap<number, [string, string]> = new Map([
  [0x0300, ['SSLv3', 'SSL 3.0']],
  [0x0301, ['TLSv1', 'TLS 1.0']],
  [0x0302, ['TLSv1.1', 'TLS 1.1']],
  [0x0303, ['TLSv1.2', 'TLS 1.2']],
  [0x0304, ['TLSv1.3', 'TLS 1.3']],
]);

const CONTENT_TYPES = ['Change Cipher Spec', 'Alert', 'Handshake', 'Application Data', 'Heartbeat'];

const HANDSHAKE: ReadonlyMap<number, string> = new Map([
  [0, 'Hello Request'],
  [1, 'Client Hello'],
  [2, 'Server Hello'],
  [3, 'Hello Verify Request'],
  [4, 'New Session Ticket'],
  [5, 'End of Early Data'],
  [6, 'Hello Retry Request'],
  [8, 'Encrypted Extensions'],
  [11, 'Certificate'],
  [12, 'Server Key Exchange'],
  [13, 'Certificate Request'],
  [14, 'Server Hello Done'],
  [15, 'Certificate Verify'],
  [16, 'Client Key Exchange'],
  [20, 'Finished'],
  [21, 'Certificate URL'],
  [22, 'Certificate Status'],
  [23, 'Supplemental Data'],
  [24, 'Key Update'],
  [25, 'Compressed Certificate'],
  [254, 'Message Hash'],
]);

const ALERT_LEVELS: ReadonlyMap<number, string> = new Map([
  [1, 'Warning'],
  [2, 'Fatal'],
]);
const ALERTS: ReadonlyMap<number, string> = new Map([
  [0, 'Close Notify'],
  [10, 'Unexpected Message'],
  [20, 'Bad Record MAC'],
  [21, 'Decryption Failed'],
  [22, 'Record Overflow'],
  [30, 'Decompression Failure'],
  [40, 'Handshake Failure'],
  [41, 'No Certificate'],
  [42, 'Bad Certificate'],
  [43, 'Unsupported Certificate'],
  [44, 'Certificate Revoked'],
  [45, 'Certificate Expired'],
  [46, 'Certificate Unknown'],
  [47, 'Illegal Parameter'],
  [48, 'Unknown CA'],
  [49, 'Access Denied'],
  [50, 'Decode Error'],
  [51, 'Decrypt Error'],
  [60, 'Export Restriction'],
  [70, 'Protocol Version'],
  [71, 'Insufficient Security'],
  [80, 'Internal Error'],
  [86, 'Inappropriate Fallback'],
  [90, 'User Canceled'],
  [100, 'No Renegotiation'],
  [109, 'Missing Extension'],
  [110, 'Unsupported Extension'],
  [111, 'Certificate Unobtainable'],
  [112, 'Unrecognized Name'],
  [113, 'Bad Certificate Status Response'],
  [114, 'Bad Certificate Hash Value'],
  [115, 'Unknown PSK Identity'],
  [116, 'Certificate Required'],
  [120, 'No Application Protocol'],
]);

const EXTENSIONS: ReadonlyMap<number, string> = new Map([
  [0, 'server_name'],
  [1, 'max_fragment_length'],
  [5, 'status_request'],
  [10, 'supported_groups'],
  [11, 'ec_point_formats'],
  [13, 'signature_algorithms'],
  [16, 'application_layer_protocol_negotiation'],
  [18, 'signed_certificate_timestamp'],
  [21, 'padding'],
  [22, 'encrypt_then_mac'],
  [23, 'extended_master_secret'],
  [27, 'compress_certificate'],
  [28, 'record_size_limit'],
  [35, 'session_ticket'],
  [41, 'pre_shared_key'],
  [42, 'early_data'],
  [43, 'supported_versions'],
  [44, 'cookie'],
  [45, 'psk_key_exchange_modes'],
  [49, 'post_handshake_auth'],
  [50, 'signature_algorithms_cert'],
  [51, 'key_share'],
  [57, 'quic_transport_parameters'],
  [17513, 'application_settings'],
  [65037, 'encrypted_client_hello'],
  [65281, 'renegotiation_info'],
]);

const CIPHERS: ReadonlyMap<number, string> = new Map([
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA'],
  [0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
]);

/** SHA-256("HelloRetryRequest"): the random of a ServerHello that is really a HelloRetryRequest. */
const HRR_RANDOM = Uint8Array.from(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c'.match(/../g)!,
  (h) => parseInt(h, 16),
);

function isHrr(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 32; i++) if (b[o + i] !== HRR_RANDOM[i]) return false;
  return true;
}

/** Records decoded per segment at most (a 64 KiB segment of empty records holds ~13k). */
const MAX_RECORDS = 256;
const MAX_HANDSHAKES = 64;

function versionName(v: number): string {
  return VERSIONS.get(v)?.[1] ?? `Unknown (${hex16(v)})`;
}

function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

function validHeader(b: Uint8Array, o: number): boolean {
  const type = b[o]!;
  return type >= 20 && type <= 24 && b[o + 1] === 3 && b[o + 2]! <= 4 && u16(b, o + 3) <= 18432;
}

/** Per-segment state: the version a ServerHello selected, and the SNI a ClientHello named. */
interface Hello {
  selected: number;
  sni: string | undefined;
}

export function dissectTls(d: Dissection, off: number, end: number, rend: number): boolean {
  const b = d.data;
  if (end - off < 5 || !validHeader(b, off)) return false;
  const L = d.treeLayer('tls', 'Transport Layer Security', off, end - off);
  d.protocol = 'TLS';
  // Problems append their mark to d.info (the transport's Info until now): kept at the end.
  const base = d.info.length;
  let info = '';
  let recordVersion = 0;
  const hello: Hello = { selected: 0, sni: undefined };
  let o = off;
  let n = 0;
  while (o + 5 <= end && n++ < MAX_RECORDS && !d.failed) {
    if (!validHeader(b, o)) {
      L?.fields.push(field('tls.ignored_unknown_record', 'Ignored Unknown Record', o, end - o));
      break;
    }
    const type = b[o]!;
    const ver = u16(b, o + 1);
    const len = u16(b, o + 3);
    recordVersion = ver;
    const body = o + 5;
    const bodyEnd = Math.min(body + len, end);
    const complete = body + len <= end;
    let desc: string;
    const kids: Field[] | undefined = L
      ? [
          field('tls.record.content_type', `Content Type: ${CONTENT_TYPES[type - 20]} (${type})`, o, 1, type),
          field('tls.record.version', `Version: ${versionName(ver)} (${hex16(ver)})`, o + 1, 2, ver),
          field('tls.record.length', `Length: ${len}`, o + 3, 2, len),
        ]
      : undefined;
    switch (type) {
      case 20:
        desc = 'Change Cipher Spec';
        kids?.push(field('tls.change_cipher_spec', 'Change Cipher Spec Message', body, bodyEnd - body));
        break;
      case 21:
        if (len === 2 && complete) {
          const level = b[body]!;
          const what = b[body + 1]!;
          desc = `Alert (Level: ${ALERT_LEVELS.get(level) ?? `Unknown (${level})`}, Description: ${ALERTS.get(what) ?? `Unknown (${what})`})`;
          kids?.push(
            field(
              'tls.alert_message.level',
              `Level: ${ALERT_LEVELS.get(level) ?? 'Unknown'} (${level})`,
              body,
              1,
              level,
            ),
            field(
              'tls.alert_message.desc',
              `Description: ${ALERTS.get(what) ?? 'Unknown'} (${what})`,
              body + 1,
              1,
              what,
            ),
          );
        } else {
          desc = 'Encrypted Alert';
          kids?.push(field('tls.alert_message', `Alert Message: Encrypted Alert`, body, bodyEnd - body));
        }
        break;
      case 22:
        desc = handshakes(d, kids, body, bodyEnd, body + len, hello);
        break;
      case 23:
        desc = 'Application Data';
        kids?.push(
          field(
            'tls.app_data',
            `Encrypted Application Data: ${hexBytes(b, body, Math.min(bodyEnd - body, 32))}${bodyEnd - body > 32 ? '…' : ''}`,
            body,
            bodyEnd - body,
          ),
        );
        break;
      default:
        desc =
          len > 0 && complete && (b[body] === 1 || b[body] === 2)
            ? `Heartbeat ${b[body] === 1 ? 'Request' : 'Response'}`
            : 'Encrypted Heartbeat';
    }
    info += (info ? ', ' : '') + desc;
    if (kids) {
      const v = VERSIONS.get(hello.selected || ver)?.[0] ?? 'TLS';
      if (!complete)
        kids.push(
          field('_ws.expert', `[Record continues beyond this segment: ${body + len - end} more bytes]`, end, 0),
        );
      L!.fields.push(
        field(
          'tls.record',
          `${v} Record Layer: ${CONTENT_TYPES[type - 20]} Protocol: ${desc}`,
          o,
          bodyEnd - o,
          undefined,
          kids,
        ),
      );
    }
    if (!complete) {
      if (end < rend && end >= d.length) d.short(L, 'TLS', 'TLS record', body + len, end);
      break;
    }
    o = body + len;
  }
  const v = hello.selected || recordVersion;
  d.protocol = VERSIONS.get(v)?.[0] ?? 'TLS';
  if (hello.sni !== undefined) info = info.replace('Client Hello', `Client Hello (SNI=${hello.sni})`);
  d.info = info + d.info.slice(base);
  return true;
}

/** The handshake messages of one record; returns their names joined by ", ". */
function handshakes(
  d: Dissection,
  kids: Field[] | undefined,
  o: number,
  end: number,
  recordEnd: number,
  hello: Hello,
): string {
  const b = d.data;
  let desc = '';
  let n = 0;
  while (o + 4 <= recordEnd && n++ < MAX_HANDSHAKES) {
    if (o + 4 > end) break;
    const type = b[o]!;
    const len = u24(b, o + 1);
    const name = HANDSHAKE.get(type);
    // After ChangeCipherSpec the handshake is encrypted: what looks like a header is noise.
    if (name === undefined || o + 4 + len > recordEnd) {
      desc += `${desc ? ', ' : ''}Encrypted Handshake Message`;
      kids?.push(field('tls.handshake.encrypted', 'Handshake Protocol: Encrypted Handshake Message', o, end - o));
      return desc;
    }
    const body = o + 4;
    const mEnd = Math.min(body + len, end);
    let msgName = name;
    const hk: Field[] | undefined = kids
      ? [
          field('tls.handshake.type', `Handshake Type: ${name} (${type})`, o, 1, type),
          field('tls.handshake.length', `Length: ${len}`, o + 1, 3, len),
        ]
      : undefined;
    const complete = body + len <= end;
    if (type === 1) clientHello(d, hk, body, mEnd, hello, complete);
    else if (type === 2) {
      if (serverHello(d, hk, body, mEnd, hello, complete)) msgName = 'Hello Retry Request';
    }
    desc += (desc ? ', ' : '') + msgName;
    kids?.push(field('tls.handshake', `Handshake Protocol: ${msgName}`, o, mEnd - o, undefined, hk));
    if (d.failed) return desc;
    o = body + len;
  }
  return desc || 'Encrypted Handshake Message';
}

/** Hello fields common to both directions; returns the offset of the extensions length, or -1. */
function helloHead(d: Dissection, hk: Field[] | undefined, o: number, end: number, client: boolean): number {
  const b = d.data;
  if (o + 35 > end) return -1;
  const ver = u16(b, o);
  hk?.push(
    field('tls.handshake.version', `Version: ${versionName(ver)} (${hex16(ver)})`, o, 2, ver),
    field('tls.handshake.random', `Random: ${hexBytes(b, o + 2, 32)}`, o + 2, 32, hexBytes(b, o + 2, 32)),
  );
  const sidLen = b[o + 34]!;
  hk?.push(field('tls.handshake.session_id_length', `Session ID Length: ${sidLen}`, o + 34, 1, sidLen));
  let p = o + 35;
  if (p + sidLen > end) return -1;
  if (sidLen)
    hk?.push(
      field('tls.handshake.session_id', `Session ID: ${hexBytes(b, p, sidLen)}`, p, sidLen, hexBytes(b, p, sidLen)),
    );
  p += sidLen;
  if (client) {
    if (p + 2 > end) return -1;
    const csLen = u16(b, p);
    if (p + 2 + csLen > end) return -1;
    if (hk) {
      const cs: Field[] = [];
      for (let c = p + 2; c + 1 < p + 2 + csLen; c += 2) {
        const v = u16(b, c);
        cs.push(
          field(
            'tls.handshake.ciphersuite',
            `Cipher Suite: ${isGrease(v) ? 'Reserved (GREASE)' : (CIPHERS.get(v) ?? 'Unknown')} (${hex16(v)})`,
            c,
            2,
            v,
          ),
        );
      }
      hk.push(
        field('tls.handshake.cipher_suites_length', `Cipher Suites Length: ${csLen}`, p, 2, csLen),
        field('tls.handshake.ciphersuites', `Cipher Suites (${csLen >> 1} suites)`, p + 2, csLen, undefined, cs),
      );
    }
    p += 2 + csLen;
    if (p + 1 > end) return -1;
    const cmLen = b[p]!;
    if (p + 1 + cmLen > end) return -1;
    hk?.push(field('tls.handshake.comp_methods_length', `Compression Methods Length: ${cmLen}`, p, 1, cmLen));
    p += 1 + cmLen;
  } else {
    if (p + 3 > end) return -1;
    const cs = u16(b, p);
    hk?.push(
      field('tls.handshake.ciphersuite', `Cipher Suite: ${CIPHERS.get(cs) ?? 'Unknown'} (${hex16(cs)})`, p, 2, cs),
      field(
        'tls.handshake.comp_method',
        `Compression Method: ${b[p + 2] === 0 ? 'null' : 'Unknown'} (${b[p + 2]})`,
        p + 2,
        1,
        b[p + 2]!,
      ),
    );
    p += 3;
  }
  return p + 2 <= end ? p : -1;
}

/** Walks the extensions: calls `each` for every one whose bytes are all present. */
function extensions(
  d: Dissection,
  hk: Field[] | undefined,
  p: number,
  end: number,
  each: (type: number, o: number, len: number, kids: Field[] | undefined) => void,
): void {
  const b = d.data;
  const total = u16(b, p);
  hk?.push(field('tls.handshake.extensions_length', `Extensions Length: ${total}`, p, 2, total));
  const stop = Math.min(end, p + 2 + total);
  for (let e = p + 2; e + 4 <= stop; ) {
    const type = u16(b, e);
    const len = u16(b, e + 2);
    if (e + 4 + len > stop) break;
    const name = isGrease(type) ? 'Reserved (GREASE)' : (EXTENSIONS.get(type) ?? 'Unknown');
    const kids: Field[] | undefined = hk
      ? [
          field('tls.handshake.extension.type', `Type: ${name} (${type})`, e, 2, type),
          field('tls.handshake.extension.len', `Length: ${len}`, e + 2, 2, len),
        ]
      : undefined;
    each(type, e + 4, len, kids);
    hk?.push(field('tls.handshake.extension', `Extension: ${name} (len=${len})`, e, 4 + len, type, kids));
    e += 4 + len;
  }
}

function clientHello(
  d: Dissection,
  hk: Field[] | undefined,
  o: number,
  end: number,
  hello: Hello,
  complete: boolean,
): void {
  const b = d.data;
  const p = helloHead(d, hk, o, end, true);
  if (p < 0) {
    // A hello cut by the segment end is normal (no reassembly); one shorter than its own fields is not.
    if (complete) d.malformed(undefined, 'TLS', 'Client Hello shorter than its fields', o, end - o);
    return;
  }
  extensions(d, hk, p, end, (type, e, len, kids) => {
    if (type === 0 && len >= 2) {
      // server_name_list: (name_type u8, length u16, name)*; the first host_name wins.
      const listEnd = e + Math.min(len, 2 + u16(b, e));
      kids?.push(
        field(
          'tls.handshake.extensions_server_name_list_len',
          `Server Name list length: ${u16(b, e)}`,
          e,
          2,
          u16(b, e),
        ),
      );
      for (let s = e + 2; s + 3 <= listEnd; ) {
        const nt = b[s]!;
        const nl = u16(b, s + 1);
        if (s + 3 + nl > listEnd) break;
        const name = escapeBytes(b, s + 3, s + 3 + nl, 255);
        if (nt === 0 && hello.sni === undefined) hello.sni = name;
        kids?.push(
          field(
            'tls.handshake.extensions_server_name_type',
            `Server Name Type: ${nt === 0 ? 'host_name' : 'Unknown'} (${nt})`,
            s,
            1,
            nt,
          ),
          field('tls.handshake.extensions_server_name_len', `Server Name length: ${nl}`, s + 1, 2, nl),
          field('tls.handshake.extensions_server_name', `Server Name: ${name}`, s + 3, nl, name),
        );
        s += 3 + nl;
      }
    } else if (kids && type === 43 && len >= 1) {
      for (let v = e + 1; v + 1 < e + Math.min(len, 1 + b[e]!); v += 2) {
        const ver = u16(b, v);
        kids.push(
          field(
            'tls.handshake.extensions.supported_version',
            `Supported Version: ${isGrease(ver) ? 'Reserved (GREASE)' : versionName(ver)} (${hex16(ver)})`,
            v,
            2,
            ver,
          ),
        );
      }
    } else if (kids && type === 16 && len >= 2) {
      const listEnd = e + Math.min(len, 2 + u16(b, e));
      for (let a = e + 2; a + 1 <= listEnd; ) {
        const n = b[a]!;
        if (a + 1 + n > listEnd) break;
        const proto = escapeBytes(b, a + 1, a + 1 + n, 255);
        kids.push(field('tls.handshake.extensions_alpn_str', `ALPN Next Protocol: ${proto}`, a + 1, n, proto));
        a += 1 + n;
      }
    }
  });
}

/** Returns true when the ServerHello is really a HelloRetryRequest. */
function serverHello(
  d: Dissection,
  hk: Field[] | undefined,
  o: number,
  end: number,
  hello: Hello,
  complete: boolean,
): boolean {
  const b = d.data;
  if (o + 34 > end) {
    if (complete) d.malformed(undefined, 'TLS', 'Server Hello shorter than its fields', o, end - o);
    return false;
  }
  const hrr = isHrr(b, o + 2);
  const ver = u16(b, o);
  if (VERSIONS.has(ver)) hello.selected = ver;
  const p = helloHead(d, hk, o, end, false);
  if (p < 0) {
    if (complete) d.malformed(undefined, 'TLS', 'Server Hello shorter than its fields', o, end - o);
    return hrr;
  }
  extensions(d, hk, p, end, (type, e, len, kids) => {
    if (type === 43 && len === 2) {
      const v = u16(b, e);
      if (VERSIONS.has(v)) hello.selected = v;
      kids?.push(
        field(
          'tls.handshake.extensions.supported_version',
          `Supported Version: ${versionName(v)} (${hex16(v)})`,
          e,
          2,
          v,
        ),
      );
    }
  });
  return hrr;
}
