// The fetch path's parser against the HTML standard's rules for interpreting an event stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvents } from '../sse-parse.js';

/** What the parser reports for `chunks`: events, id-only cursor moves and retry values. */
function parse(...chunks) {
  const out = [];
  const feed = parseEvents(
    (type, data, id) => out.push(type === null ? { id } : { type, data, id }),
    (ms) => out.push({ retry: ms }),
  );
  chunks.forEach(feed);
  return out;
}

test('an event: its type, its data lines joined by LF, the last id', () => {
  assert.deepEqual(parse('id: 1-0\nevent: db\ndata: a\ndata: b\n\n'), [{ type: 'db', data: 'a\nb', id: '1-0' }]);
});

test('lines end with LF, CRLF or CR, also when a CRLF is split between two chunks', () => {
  assert.deepEqual(parse('data: x\r\n\r\ndata: y\r\rdata: z\r', '\n\r', '\n'), [
    { type: 'message', data: 'x', id: '' },
    { type: 'message', data: 'y', id: '' },
    { type: 'message', data: 'z', id: '' },
  ]);
});

test('a line split anywhere between chunks reads the same', () => {
  const stream = 'retry: 250\nid: 7-1\nevent: db\ndata: {"a":1}\n\n';
  for (let at = 1; at < stream.length; at++)
    assert.deepEqual(parse(stream.slice(0, at), stream.slice(at)), [
      { retry: 250 },
      { type: 'db', data: '{"a":1}', id: '7-1' },
    ]);
});

test('comments are ignored; one space after the colon is removed, no more; a field without colon is empty', () => {
  assert.deepEqual(parse(':\n: hi\ndata:  two spaces\ndata\ndata:no space\n\n'), [
    { type: 'message', data: ' two spaces\n\nno space', id: '' },
  ]);
});

test('an id alone moves the cursor without an event; the id is kept for the next events', () => {
  assert.deepEqual(parse('id: 5-0\n\ndata: x\n\n'), [{ id: '5-0' }, { type: 'message', data: 'x', id: '5-0' }]);
});

test('an id holding NUL is ignored; a retry that is not all digits is ignored; unknown fields too', () => {
  assert.deepEqual(parse('id: 1-0\n\nid: 2\u00000\nretry: 1s\nfoo: bar\ndata: x\n\n'), [
    { id: '1-0' },
    { type: 'message', data: 'x', id: '1-0' },
  ]);
});

test('a block without data dispatches nothing and resets the event type; an unfinished event is dropped', () => {
  assert.deepEqual(parse('event: db\n\ndata: x\n\ndata: unfinished\n'), [{ type: 'message', data: 'x', id: '' }]);
});
