/**
 * OVSDB's wire: concatenated JSON-RPC objects split back into messages however
 * the bytes arrive, and connection targets in Open vSwitch's notation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonStreamError, JsonStreamSplitter } from '../../agents/ovs/json-stream.js';
import { parseTarget } from '../../agents/ovs/target.js';

/** messages whose strings hold every character that could fool a brace counter */
const MESSAGES = [
  { id: 1, result: [{ rows: [{ name: 'br-int', external_ids: ['map', [['note', '} { ] [ , :']]] }] }], error: null },
  { method: 'echo', params: [], id: 'echo' },
  { id: 2, result: [{ rows: [{ name: 'quote " and backslash \\', other: '\\"}', tail: '\\\\' }] }], error: null },
  { id: 3, result: [{ rows: [{ name: 'tap-é€😀', description: 'multi-byte: ü ß ☃' }] }], error: null },
  { id: 4, result: [], error: { error: 'syntax error', details: 'a "details" string with }' } },
  [1, [2, { three: '[' }]],
];
const TEXTS = MESSAGES.map((m) => JSON.stringify(m));

describe('JSON-RPC stream framing', () => {
  it('splits back-to-back messages, with or without whitespace between them', () => {
    assert.deepEqual(new JsonStreamSplitter().push(Buffer.from(TEXTS.join(''))), TEXTS);
    assert.deepEqual(new JsonStreamSplitter().push(Buffer.from(`\n ${TEXTS.join(' \r\n\t')}\n`)), TEXTS);
  });

  it('gives the same messages wherever the bytes are cut, multi-byte characters included', () => {
    const bytes = Buffer.from(TEXTS.join('\n'));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const splitter = new JsonStreamSplitter();
      const out = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
      assert.deepEqual(out, TEXTS, `cut at ${cut}`);
      assert.ok(splitter.idle);
    }
    const splitter = new JsonStreamSplitter();
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...splitter.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(out, TEXTS, 'byte by byte');
    assert.deepEqual(out.map((t) => JSON.parse(t) as unknown), MESSAGES);
  });

  it('holds an unfinished message until its end arrives', () => {
    const splitter = new JsonStreamSplitter();
    assert.deepEqual(splitter.push(Buffer.from('{"id":1,"result":["}')), []);
    assert.equal(splitter.idle, false);
    assert.deepEqual(splitter.push(Buffer.from('"]}{"id":')), ['{"id":1,"result":["}"]}']);
    assert.deepEqual(splitter.push(Buffer.from('2}')), ['{"id":2}']);
  });

  it('rejects bytes that cannot start a message, and a message beyond the size limit', () => {
    assert.throws(() => new JsonStreamSplitter().push(Buffer.from('{"id":1} x')), JsonStreamError);
    assert.throws(() => new JsonStreamSplitter().push(Buffer.from('}')), /unexpected byte 0x7d/);
    const small = new JsonStreamSplitter(16);
    assert.deepEqual(small.push(Buffer.from('{"a":"0123456"}')), ['{"a":"0123456"}']);
    assert.throws(() => small.push(Buffer.from('{"a":"0123456789abcdef"')), /exceeds 16 bytes/);
  });
});

describe('OVSDB targets', () => {
  it("reads Open vSwitch's unix: and tcp: notations", () => {
    assert.deepEqual(parseTarget('unix:/var/run/openvswitch/db.sock'), { path: '/var/run/openvswitch/db.sock' });
    assert.deepEqual(parseTarget('tcp:127.0.0.1:6641'), { host: '127.0.0.1', port: 6641 });
    assert.deepEqual(parseTarget('tcp:127.0.0.1'), { host: '127.0.0.1', port: 6640 });
    assert.deepEqual(parseTarget('tcp:[::1]:6640'), { host: '::1', port: 6640 });
  });

  it('refuses what it cannot connect to, naming the target', () => {
    assert.throws(() => parseTarget('ssl:10.0.0.1:6640'), /ssl:10\.0\.0\.1:6640: unsupported/);
    assert.throws(() => parseTarget('punix:/tmp/x'), /punix:\/tmp\/x: unsupported/);
    assert.throws(() => parseTarget('tcp:host:99999'), /bad port/);
    assert.throws(() => parseTarget('unix:'), /no socket path/);
  });
});
