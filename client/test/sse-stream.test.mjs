// The fetch path of sse-stream.js in Node (which has fetch and TextDecoderStream), against a
// scripted server: what the browser tests cannot see (a heartbeat's id, Retry-After, which
// a daemon on another origin does not expose to the page).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { openStream } from '../sse-stream.js';
import { until } from './harness.mjs';

/** A server answering its n-th request with answers[n](req, res); records each request. */
async function scripted(answers) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push({ url: new URL(req.url, 'http://x'), headers: req.headers, at: Date.now() });
    answers[Math.min(requests.length, answers.length) - 1](req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Also when a test fails: an open connection would keep the test process alive.
  const stop = () => (server.close(), server.closeAllConnections());
  return { stop, requests, url: `http://127.0.0.1:${server.address().port}/events` };
}

const stream = (...blocks) => (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  res.end(blocks.join(''));
};

function open(url, reports) {
  return openStream(url, { events: ['a'], origin: 'tab-1', cursor: '', apiKey: 'k' },
    (kind, value, id) => reports.push({ kind, value, id }));
}

test('an id alone (the heartbeat) moves the cursor the stream resumes from', async () => {
  const hello = 'retry: 10\nid: 1-0\nevent: connected\ndata: {"events":["a"]}\n\n';
  const { stop, requests, url } = await scripted([
    stream(hello, 'id: 2-0\nevent: db\ndata: {"name":"a"}\n\n', 'id: 9-0\n\n'),
    stream(hello),
  ]);
  const reports = [];
  const s = open(url, reports);
  // At least: with `retry: 10` the client may have come back more than once between polls.
  try {
    await until('the second request', () => requests.length >= 2);
  } finally {
    s.close();
    stop();
  }
  assert.equal(requests[0].headers.authorization, 'Bearer k');
  assert.equal(requests[0].url.searchParams.get('lastEventId'), null);
  assert.equal(requests[1].url.searchParams.get('lastEventId'), '9-0');
  assert.deepEqual(reports.filter((r) => r.kind === 'cursor'), [{ kind: 'cursor', value: null, id: '9-0' }]);
  assert.deepEqual(reports.find((r) => r.kind === 'db'), { kind: 'db', value: { name: 'a' }, id: '2-0' });
});

test('401 and 403 end in unauthorized after one request', async () => {
  for (const status of [401, 403]) {
    const { stop, requests, url } = await scripted([(req, res) => res.writeHead(status).end()]);
    const reports = [];
    const s = open(url, reports);
    try {
      await until('unauthorized', () => reports.some((r) => r.value === 'unauthorized'));
    } finally {
      s.close();
      stop();
    }
    assert.equal(requests.length, 1);
    assert.deepEqual(reports.map((r) => r.value), ['connecting', 'unauthorized']);
  }
});

test('503: retrying, and the next attempt not before Retry-After', async () => {
  const { stop, requests, url } = await scripted([
    (req, res) => res.writeHead(503, { 'Retry-After': '1' }).end(),
    stream('id: 1-0\nevent: connected\ndata: {"events":["a"]}\n\n'),
  ]);
  const reports = [];
  const s = open(url, reports);
  try {
    await until('open', () => reports.some((r) => r.value === 'open'), 10000);
  } finally {
    s.close();
    stop();
  }
  assert.ok(requests[1].at - requests[0].at >= 1000, `${requests[1].at - requests[0].at} ms`);
  // (then the scripted stream ends, and the stream retries again)
  assert.deepEqual(reports.filter((r) => r.kind === 'status').map((r) => r.value).slice(0, 4),
    ['connecting', 'retrying', 'connecting', 'open']);
});
