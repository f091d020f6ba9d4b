// Messages from the capture panel's webview are checked against packet/protocol.ts before the host
// acts on them: what the real webview sends passes unchanged; anything else is refused with a reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWebviewMessage, MAX_COPIED_TEXT, MAX_MESSAGE_LIST, MAX_MESSAGE_TEXT } from '../../packet/protocol.js';

const request = (method: string, params: unknown, id: unknown = 1) => ({ type: 'request', id, method, params });

/** What the webview sends (webview/panel.ts, webview/capture-form.ts), after structured clone. */
const VALID: unknown[] = [
  { type: 'ready' },
  { type: 'countersShown' },
  { type: 'followTail', rows: 42 },
  { type: 'followTail', rows: 0 },
  request('listInterfaces', { target: 'local' }),
  request('startCapture', { target: 'local:netns:blue', interfaces: ['eth0', 'lo'], filter: 'tcp port 443' }),
  request('startCapture', { target: 'local', interfaces: [], filter: '', snaplen: 128 }),
  request('addSshHost', {}),
  request('removeSshHost', { target: 'ssh:dev@build.example.test' }),
  request('stopCapture', {}),
  request('setCaptureFilter', { filter: 'udp,53' }),
  request('getRows', { start: 0, count: 200 }, 0),
  request('getDetail', { index: 41 }),
  request('setDisplayFilter', { text: 'x'.repeat(MAX_MESSAGE_TEXT) }),
  request('setDisplayFilter', { text: 'Client Hello', textSearch: true }),
  request('rowOf', { number: 22 }),
  request('selectPacket', { number: 22 }),
  request('selectPacket', {}), // nothing selected
  request('followConversation', { index: 3 }),
  request('validateCaptureFilter', { filter: 'tcp' }),
  request('saveCapture', {}),
  request('saveCapture', { format: 'pcap' }),
  request('saveCapture', { format: undefined }), // an optional field left undefined
  request('openInWireshark', {}, Number.MAX_SAFE_INTEGER),
  request('markPacket', { index: 9 }),
  request('ignorePacket', { index: 9 }),
  request('saveColumnWidths', { widths: { number: 56, time: 112, source: 200, info: 0 } }),
  request('sortRows', { column: 'length', descending: true }),
  request('sortRows', {}),
  request('copyText', { text: 'ab'.repeat(262144) }), // a packet of the largest snapshot length, as hex
];

test('every message the webview sends is accepted as it is', () => {
  for (const message of VALID) {
    const checked = checkWebviewMessage(structuredClone(message));
    assert.ok(checked.ok, `${JSON.stringify(message)}: ${checked.ok ? '' : checked.error}`);
    assert.deepEqual(checked.message, message);
  }
});

/** [what is wrong, message, the reason must match] */
const INVALID: [string, unknown, RegExp][] = [
  ['not an object', 'ready', /message\.type/],
  ['null', null, /message\.type/],
  ['an array', [{ type: 'ready' }], /message\.type/],
  ['an unknown kind', { type: 'response', id: 1, result: 1 }, /message\.type/],
  ['a kind of the wrong type', { type: ['ready'] }, /message\.type/],
  ['an inherited kind', Object.create({ type: 'ready' }), /message\.type/],
  ['ready with more', { type: 'ready', extra: 1 }, /unexpected field/],
  ['countersShown with more', { type: 'countersShown', rows: 1 }, /unexpected field/],
  ['followTail without its rows', { type: 'followTail' }, /message\.rows is missing/],
  ['followTail with rows that are not whole', { type: 'followTail', rows: -3 }, /message\.rows is not a whole number/],
  ['"constructor" as the kind', { type: 'constructor' }, /message\.type/],
  ['an unknown method', request('deleteEverything', {}), /method is not a known request/],
  ['a method from Object.prototype', request('toString', {}), /method is not a known request/],
  ['"__proto__" as the method', request('__proto__', {}), /method is not a known request/],
  ['"constructor" as the method', request('constructor', {}), /method is not a known request/],
  ['no id', { type: 'request', method: 'stopCapture', params: {} }, /message\.id is missing/],
  ['a text id', request('stopCapture', {}, '1'), /message\.id is not a whole number/],
  ['a negative id', request('stopCapture', {}, -1), /message\.id/],
  ['a fractional id', request('stopCapture', {}, 1.5), /message\.id/],
  ['an id past 2^53', request('stopCapture', {}, 2 ** 60), /message\.id/],
  ['no params', { type: 'request', id: 1, method: 'stopCapture' }, /message\.params is missing/],
  ['params that are not an object', request('stopCapture', 'all'), /params is not an object/],
  ['params as an array', request('getRows', [0, 10]), /params is not an object/],
  ['a missing field', request('getRows', { start: 0 }), /params\.count is missing/],
  ['a field of the wrong type', request('getRows', { start: '0', count: 10 }), /params\.start is not a whole number/],
  ['NaN', request('getDetail', { index: Number.NaN }), /params\.index/],
  ['Infinity', request('getRows', { start: 0, count: Number.POSITIVE_INFINITY }), /params\.count/],
  ['a field the method does not take', request('stopCapture', { force: true }), /params has an unexpected field/],
  ['a filter as an object', request('setDisplayFilter', { text: { toString: 'x' } }), /params\.text is not text/],
  ['a huge string', request('setDisplayFilter', { text: 'x'.repeat(MAX_MESSAGE_TEXT + 1) }), /longer than/],
  ['a copy longer than a packet', request('copyText', { text: 'x'.repeat(MAX_COPIED_TEXT + 1) }), /longer than/],
  ['text search as text', request('setDisplayFilter', { text: 'x', textSearch: 'yes' }), /textSearch is not true/],
  ['a packet number that is not whole', request('rowOf', { number: 1.5 }), /params\.number/],
  ['a packet number as text', request('selectPacket', { number: '22' }), /params\.number/],
  ['interfaces as text', request('startCapture', { target: 'l', interfaces: 'eth0', filter: '' }), /not a list/],
  ['an interface that is not text', request('startCapture', { target: 'l', interfaces: [7], filter: '' }), /\[0\]/],
  [
    'too many interfaces',
    request('startCapture', { target: 'l', interfaces: Array(MAX_MESSAGE_LIST + 1).fill('a'), filter: '' }),
    /more than/,
  ],
  [
    'a snaplen out of range',
    request('startCapture', { target: 'l', interfaces: [], filter: '', snaplen: 1e9 }),
    /snaplen/,
  ],
  ['column widths as a list', request('saveColumnWidths', { widths: [56, 112] }), /widths is not an object/],
  [
    'a negative column width',
    request('saveColumnWidths', { widths: { source: -1 } }),
    /widths \[source\] is not a whole/,
  ],
  ['a column width past any screen', request('saveColumnWidths', { widths: { source: 1e6 } }), /widths \[source\]/],
  ['a column id that is not one', request('saveColumnWidths', { widths: { '<img src=x>': 5 } }), /not a column id/],
  ['a sort by a column the table has not', request('sortRows', { column: '__proto__' }), /column is not one of/],
  ['a sort direction that is not a flag', request('sortRows', { column: 'info', descending: 'yes' }), /descending/],
  [
    'more column widths than columns',
    request('saveColumnWidths', {
      widths: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`c${'a'.repeat(i % 20)}${i}`, 1])),
    }),
    /more than 32 columns/,
  ],
  ['an unknown save format', request('saveCapture', { format: 'exe' }), /params\.format is not one of pcapng, pcap/],
  ['an own "__proto__" field', request('stopCapture', JSON.parse('{"__proto__": {"polluted": true}}')), /unexpected/],
  ['a "__proto__" at the top', JSON.parse('{"type":"ready","__proto__":{"x":1}}'), /unexpected field/],
  ['a symbol key', request('stopCapture', { [Symbol('x')]: 1 }), /unexpected field/],
  ['params with a prototype', request('stopCapture', Object.create({ force: true })), /params is not an object/],
  ['params as a Date', request('stopCapture', new Date()), /params is not an object/],
];

test('malformed messages are refused with a reason, never acted on', () => {
  for (const [what, message, reason] of INVALID) {
    const checked = checkWebviewMessage(message);
    assert.equal(checked.ok, false, `${what} is refused`);
    if (!checked.ok) {
      assert.match(checked.error, reason, what);
      assert.ok(checked.error.length < 200, `${what}: the reason never echoes the value`);
    }
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted');
});
