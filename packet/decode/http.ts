// HTTP/1.x (RFC 9112): request or status line, header lines, and where the body starts. Only
// the segment at hand is decoded (no reassembly): a request whose headers continue in the next
// segment shows what this one holds. Info as Wireshark's: the first line followed by a space,
// then " (media/type)" when this segment carries body bytes with a Content-Type. Requests and
// responses are paired by the streams pass (http-transactions.ts); the tree shows the links.

import { type Dissection, field } from './dissection.js';
import { escapeBytes, seconds } from './format.js';
import type { HttpPairing } from './http-transactions.js';
import type { Field } from './types.js';

/** Longest first line or header line looked at; longer ones are cut with "…". */
const MAX_LINE = 4096;
/** Header lines decoded into the tree at most. */
const MAX_HEADERS = 200;

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'HEAD',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
  'MKACTIVITY',
  'CHECKOUT',
  'MERGE',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'M-SEARCH',
  'PURGE',
];
/** Methods as byte arrays, grouped by first letter for a quick check. */
const BY_FIRST = new Map<number, Uint8Array[]>();
for (const m of METHODS) {
  const bytes = Uint8Array.from(m, (c) => c.charCodeAt(0));
  const list = BY_FIRST.get(bytes[0]!) ?? [];
  list.push(bytes);
  BY_FIRST.set(bytes[0]!, list);
}

const HEADER_FIELDS: ReadonlyMap<string, string> = new Map([
  ['host', 'http.host'],
  ['user-agent', 'http.user_agent'],
  ['accept', 'http.accept'],
  ['accept-encoding', 'http.accept_encoding'],
  ['accept-language', 'http.accept_language'],
  ['content-type', 'http.content_type'],
  ['content-length', 'http.content_length_header'],
  ['content-encoding', 'http.content_encoding'],
  ['transfer-encoding', 'http.transfer_encoding'],
  ['connection', 'http.connection'],
  ['cookie', 'http.cookie'],
  ['set-cookie', 'http.set_cookie'],
  ['location', 'http.location'],
  ['referer', 'http.referer'],
  ['server', 'http.server'],
  ['authorization', 'http.authorization'],
  ['cache-control', 'http.cache_control'],
  ['date', 'http.date'],
  ['last-modified', 'http.last_modified'],
  ['upgrade', 'http.upgrade'],
  ['x-forwarded-for', 'http.x_forwarded_for'],
]);

/** Length of the method at `off` followed by a space, or 0. */
function methodLength(b: Uint8Array, off: number, end: number): number {
  const list = off < end ? BY_FIRST.get(b[off]!) : undefined;
  if (!list) return 0;
  outer: for (const m of list) {
    if (off + m.length >= end) continue;
    for (let i = 1; i < m.length; i++) if (b[off + i] !== m[i]) continue outer;
    if (b[off + m.length] === 0x20) return m.length;
  }
  return 0;
}

/** Methods Wireshark calls notifications: such a message is in no transaction. */
const NOTIFICATIONS = new Set(['NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE']);

/** Whether a TCP payload starts as an HTTP message does (a method and a space, or a status line):
 *  the streams pass leaves only such payloads to the decoders, to pair them. */
export function startsHttpMessage(b: Uint8Array, off: number, end: number): boolean {
  return methodLength(b, off, end) > 0 || isStatusLine(b, off, end);
}

/** "HTTP/1." followed by a digit and a space. */
function isStatusLine(b: Uint8Array, off: number, end: number): boolean {
  return (
    end - off >= 9 &&
    b[off] === 0x48 &&
    b[off + 1] === 0x54 &&
    b[off + 2] === 0x54 &&
    b[off + 3] === 0x50 &&
    b[off + 4] === 0x2f &&
    b[off + 5] === 0x31 &&
    b[off + 6] === 0x2e &&
    b[off + 7]! >= 0x30 &&
    b[off + 7]! <= 0x39 &&
    b[off + 8] === 0x20
  );
}

/** End of the line starting at `o` (index of "\r\n" or "\n", or `end`). */
function lineEnd(b: Uint8Array, o: number, end: number): number {
  const i = b.indexOf(0x0a, o);
  if (i < 0 || i >= end) return end;
  return i > o && b[i - 1] === 0x0d ? i - 1 : i;
}

/** Index of `c` in [o, e), or -1. */
function find(b: Uint8Array, c: number, o: number, e: number): number {
  for (let i = o; i < e; i++) if (b[i] === c) return i;
  return -1;
}

/** Port-registered HTTP (80, 8080, …): a request line or a status line. */
export function dissectHttp(d: Dissection, off: number, end: number): boolean {
  const m = methodLength(d.data, off, end);
  if (m === 0 && !isStatusLine(d.data, off, end)) return false;
  http(d, off, end, m);
  return true;
}

/** Any other TCP port: the first line must end in " HTTP/1.x" (request) or start "HTTP/1.x ". */
export function dissectHttpHeuristic(d: Dissection, off: number, end: number): boolean {
  const b = d.data;
  const m = methodLength(b, off, end);
  if (m === 0) {
    if (!isStatusLine(b, off, end)) return false;
  } else {
    const le = lineEnd(b, off, Math.min(end, off + MAX_LINE));
    if (le - off < m + 10) return false;
    const v = le - 9;
    if (
      !(
        b[v] === 0x20 &&
        b[v + 1] === 0x48 &&
        b[v + 2] === 0x54 &&
        b[v + 3] === 0x54 &&
        b[v + 4] === 0x50 &&
        b[v + 5] === 0x2f &&
        b[v + 6] === 0x31 &&
        b[v + 7] === 0x2e
      )
    )
      return false;
  }
  http(d, off, end, m);
  return true;
}

function http(d: Dissection, off: number, end: number, methodLen: number): void {
  const b = d.data;
  d.protocol = 'HTTP';
  const L = d.treeLayer('http', 'Hypertext Transfer Protocol', off, end - off);
  const request = methodLen > 0;
  const notification = request && NOTIFICATIONS.has(escapeBytes(b, off, off + methodLen));
  const pairing = notification ? undefined : d.streams?.http?.(request);
  if (d.transportOnly) return; // the streams pass pairs the message and needs nothing more of it
  const le = lineEnd(b, off, Math.min(end, off + MAX_LINE));
  const line = escapeBytes(b, off, le, MAX_LINE);
  let info = `${line} `;
  if (L) {
    const kids: Field[] = [];
    if (request) {
      let uriEnd = le;
      for (let i = le - 1; i > off + methodLen; i--)
        if (b[i] === 0x20) {
          uriEnd = i;
          break;
        }
      const method = escapeBytes(b, off, off + methodLen);
      const uri = escapeBytes(b, off + methodLen + 1, uriEnd, MAX_LINE);
      kids.push(field('http.request.method', `Request Method: ${method}`, off, methodLen, method));
      kids.push(
        field('http.request.uri', `Request URI: ${uri}`, off + methodLen + 1, uriEnd - off - methodLen - 1, uri),
      );
      if (uriEnd < le) {
        const version = escapeBytes(b, uriEnd + 1, le);
        kids.push(field('http.request.version', `Request Version: ${version}`, uriEnd + 1, le - uriEnd - 1, version));
      }
    } else {
      const version = escapeBytes(b, off, off + 8);
      const codeEnd = Math.min(le, off + 12);
      const code = Number.parseInt(escapeBytes(b, off + 9, codeEnd), 10);
      const phrase = codeEnd < le ? escapeBytes(b, codeEnd + 1, le, MAX_LINE) : '';
      kids.push(field('http.response.version', `Response Version: ${version}`, off, 8, version));
      if (Number.isFinite(code))
        kids.push(field('http.response.code', `Status Code: ${code}`, off + 9, codeEnd - off - 9, code));
      kids.push(
        field(
          'http.response.phrase',
          `Response Phrase: ${phrase}`,
          Math.min(codeEnd + 1, le),
          Math.max(le - codeEnd - 1, 0),
          phrase,
        ),
      );
    }
    const kind = notification ? 'http.notification' : request ? 'http.request' : 'http.response';
    L.fields.push(field(kind, `${line}\\r\\n`, off, le - off, true, kids));
  }
  // Header lines, up to the empty line.
  let o = nextLine(b, le, end);
  let contentType = '';
  let headersDone = false;
  let n = 0;
  while (o < end) {
    const e = lineEnd(b, o, Math.min(end, o + MAX_LINE));
    if (e === o) {
      headersDone = e < end;
      o = nextLine(b, e, end);
      if (L) L.fields.push(field('http.end_of_headers', '\\r\\n', e, o - e));
      break;
    }
    if (e >= end && e - o < MAX_LINE) break; // header line continues in the next segment
    const colon = find(b, 0x3a, o, e);
    if (colon > o) {
      const nameLen = colon - o;
      // Content-Type is what Info needs; the other names only matter to the tree.
      if (nameLen === 12 && lower(b, o, 12) === 'content-type') contentType = headerValue(b, o + 13, e);
      if (L && n < MAX_HEADERS) {
        const name = lower(b, o, nameLen);
        const value = headerValue(b, o + nameLen + 1, e);
        const key = HEADER_FIELDS.get(name) ?? (request ? 'http.request.line' : 'http.response.line');
        L.fields.push(
          field(
            key,
            `${escapeBytes(b, o, e, MAX_LINE)}\\r\\n`,
            o,
            e - o,
            key.endsWith('.line') ? escapeBytes(b, o, e, MAX_LINE) : value,
          ),
        );
      }
    } else if (L && n < MAX_HEADERS) {
      L.fields.push(
        field(
          request ? 'http.request.line' : 'http.response.line',
          `${escapeBytes(b, o, e, MAX_LINE)}\\r\\n`,
          o,
          e - o,
        ),
      );
    }
    n++;
    o = nextLine(b, e, end);
  }
  if (headersDone && o < end && contentType) {
    const media = mediaType(contentType);
    if (media === 'application/json') {
      d.protocol = 'HTTP/JSON';
      info += ', JavaScript Object Notation (application/json)';
    } else if (media === 'application/xml' || media === 'text/xml') {
      d.protocol = 'HTTP/XML';
    } else {
      info += ` (${media})`;
    }
  }
  if (L && pairing) L.fields.push(...transactionFields(pairing, o));
  if (L && headersDone && o < end) L.fields.push(field('http.file_data', `File Data: ${end - o} bytes`, o, end - o));
  d.info = info;
}

/** The message's links, as Wireshark's tree shows them after the headers (frame links "Go to
 *  Linked Packet" follows). */
function transactionFields(p: HttpPairing, at: number): Field[] {
  const fields: Field[] = [];
  const frame = (name: string, label: string, n: number) => {
    if (n === 0) return;
    const f = field(name, `[${label}: ${n}]`, at, 0, n);
    f.link = n;
    fields.push(f);
  };
  const kind = p.request ? 'request' : 'response';
  const total = p.total > 0 ? `/${p.total}` : '';
  fields.push(field(`http.${kind}_number`, `[HTTP ${kind} ${p.number}${total}]`, at, 0, p.number));
  if (!p.request && !Number.isNaN(p.timeNs))
    fields.push(field('http.time', `[Time since request: ${seconds(p.timeNs)} seconds]`, at, 0, p.timeNs / 1e9));
  frame('http.prev_request_in', 'Prev request in frame', p.prevRequest);
  if (!p.request) frame('http.prev_response_in', 'Prev response in frame', p.prevResponse);
  frame(
    p.request ? 'http.response_in' : 'http.request_in',
    p.request ? 'Response in frame' : 'Request in frame',
    p.linkFrame,
  );
  frame('http.next_request_in', 'Next request in frame', p.nextRequest);
  if (!p.request) frame('http.next_response_in', 'Next response in frame', p.nextResponse);
  return fields;
}

function nextLine(b: Uint8Array, e: number, end: number): number {
  if (e < end && b[e] === 0x0d) e++;
  if (e < end && b[e] === 0x0a) e++;
  return e;
}

/** ASCII-lowercased header name (escaped, so it stays safe for labels). */
function lower(b: Uint8Array, o: number, n: number): string {
  return escapeBytes(b, o, o + n, 256).toLowerCase();
}

function headerValue(b: Uint8Array, o: number, e: number): string {
  while (o < e && (b[o] === 0x20 || b[o] === 0x09)) o++;
  while (e > o && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
  return escapeBytes(b, o, e, MAX_LINE);
}

/** "text/html; charset=utf-8" → "text/html". */
function mediaType(ct: string): string {
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}
