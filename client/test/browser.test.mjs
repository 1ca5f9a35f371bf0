// The client in headless Chromium against the daemon and a real redis-server. Each test has
// its own user, event names and browser context (its own locks, channels and cookies).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import http from 'node:http';
import {
  launchBrowser, notify, redis, startDaemon, startPageServer, startProxy, startRedis, stopAll,
  streamsOf, until,
} from './harness.mjs';

const started = [];
let redisServer;
let daemon;
let pages;
let browser;
let eventsUrl;
const replayCapacity = 50;
const streamsPerUser = 4; // no test but the 429 one opens more than 2 streams for one user

before(async () => {
  redisServer = await startRedis();
  started.push(redisServer);
  pages = await startPageServer();
  started.push(pages);
  daemon = await startDaemon(redisServer.url, `
[client]
retry = "200ms"
heartbeat = "1s"
cors_origins = ["${pages.url.slice(0, -1)}"]
[replay]
capacity = ${replayCapacity}
[limits]
max_connections_per_user = ${streamsPerUser}
`, 'timeout = "500ms"');
  started.push(daemon);
  eventsUrl = `http://127.0.0.1:${daemon.clientsPort}/events`;
  browser = await launchBrowser();
  started.push(browser);
});

after(() => stopAll(started));

/** A browser context in which `user` is logged in (the daemon's default cookie, `sid`). */
async function loggedIn(user) {
  const context = await browser.createBrowserContext();
  if (user) {
    await redis(redisServer.port, 'SET', `sess:s-${user}`, JSON.stringify({ userId: user }));
    await context.setCookie({ name: 'sid', value: `s-${user}`, domain: '127.0.0.1', path: '/' });
  }
  return context;
}

/** A tab of `context` connected with `options`, recording what its handlers get for `names`. */
async function openTab(context, options, names = options.events ?? [], url = eventsUrl, before = null) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page: ${error.message}`));
  if (before) await page.evaluateOnNewDocument(before);
  await page.goto(pages.url);
  await page.waitForFunction('window.ready === true');
  page.origin = await page.evaluate((u, o, n) => window.start(u, o, n), url, options, names);
  return page;
}

const seen = (page) => page.evaluate(() => window.seen);
const statusOf = async (page) => (await seen(page)).statuses.at(-1);
const untilStatus = (page, status, ms) =>
  until(`status ${status}`, async () => (await statusOf(page)) === status, ms);
const idsOf = async (page, name) =>
  (await seen(page)).events.filter((e) => !name || e.name === name).map((e) => e.id);
const untilCount = (page, count, name, ms) =>
  until(`${count} events`, async () => {
    const ids = await idsOf(page, name);
    assert.ok(ids.length <= count, `more events than posted: ${ids}`);
    return ids.length === count && ids;
  }, ms);
const post = (name, id, extra = {}) => notify(daemon.notifyPort, { name, type: 'update', id, ...extra });
const after_ = (a, b) => {
  const [x, y] = [a, b].map((id) => id.split('-').map(Number));
  return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
};

test('tabs of one browser share one stream; self is set for the tab whose origin it is', async () => {
  const context = await loggedIn('u-share');
  const tabs = [];
  for (let i = 0; i < 3; i++) {
    tabs.push(await openTab(context, { events: ['share.orders'], withCredentials: true, share: true }));
    await untilStatus(tabs[i], 'open');
  }
  const streams = await streamsOf(daemon.notifyPort, 'u-share');
  assert.equal(streams.length, 1, JSON.stringify(streams));

  const ids = [];
  for (let n = 0; n < 5; n++) ids.push(...(await post('share.orders', n)));
  ids.push(...(await post('share.orders', 5, { origin: tabs[1].origin })));
  ids.push(...(await post('user', 'u-share')));
  for (const tab of tabs) {
    assert.deepEqual(await untilCount(tab, 6), ids.slice(0, 6));
    const { events, account } = await seen(tab);
    assert.deepEqual(events.map((e) => e.self), [false, false, false, false, false, tab === tabs[1]]);
    await until('the account event', async () => (await seen(tab)).account.length === 1);
  }
  assert.equal((await streamsOf(daemon.notifyPort, 'u-share')).length, 1);
  await context.close();
});

test('when the leader tab closes mid-stream, another takes over within 1 s: no gap, no duplicate', async () => {
  const context = await loggedIn('u-leader');
  const tabs = [];
  for (let i = 0; i < 3; i++) {
    tabs.push(await openTab(context, { events: ['leader.orders'], withCredentials: true, share: true }));
    await untilStatus(tabs[i], 'open');
  }
  const [before_] = await streamsOf(daemon.notifyPort, 'u-leader');
  const ids = [];
  let takeover;
  for (let n = 0; n < 30; n++) {
    ids.push(...(await post('leader.orders', n)));
    if (n === 10) {
      await tabs[0].close(); // the first tab took the lock first
      const closedAt = Date.now();
      takeover = until('another tab to lead', async () => {
        const streams = await streamsOf(daemon.notifyPort, 'u-leader');
        return streams.length === 1 && streams[0].origin !== before_.origin && Date.now() - closedAt;
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // a steady flow, not a wait for anything
  }
  const took = await takeover;
  console.log(`the new leader's stream was open ${took} ms after the old leader closed`);
  assert.ok(took <= 1000, `the new leader's stream was open ${took} ms after the old leader closed`);
  for (const tab of tabs.slice(1)) assert.deepEqual(await untilCount(tab, 30), ids);
  await context.close();
});

test('a network cut: the stream resumes from its cursor without loss', async () => {
  const proxy = await startProxy(daemon.clientsPort);
  const context = await loggedIn('u-cut');
  const tab = await openTab(context, { events: ['cut.orders'], withCredentials: true },
    ['cut.orders'], `http://127.0.0.1:${proxy.port}/events`);
  await untilStatus(tab, 'open');
  const ids = [];
  for (let n = 0; n < 3; n++) ids.push(...(await post('cut.orders', n)));
  await untilCount(tab, 3);
  proxy.cut();
  await untilStatus(tab, 'retrying');
  for (let n = 3; n < 8; n++) ids.push(...(await post('cut.orders', n)));
  proxy.mend();
  assert.deepEqual(await untilCount(tab, 8), ids);
  await untilStatus(tab, 'open');
  await context.close();
  await stopAll([proxy]);
});

test('plain EventSource: the heartbeat moves lastEventId, so a reconnect past the history gets no resync', async () => {
  // SPEC §2.3: once an event was issued, a heartbeat is `id: <newest>` with no data. The
  // browser takes it as its last event id without firing an event, and sends it on reconnect.
  const proxy = await startProxy(daemon.clientsPort);
  const context = await loggedIn('u-beat');
  const page = await context.newPage();
  await page.goto(pages.url);
  await page.evaluate((url) => {
    const plain = (window.plain = { events: [], resyncs: 0, opens: 0 });
    const source = (window.plainSource = new EventSource(url, { withCredentials: true }));
    source.addEventListener('connected', () => plain.opens++);
    source.addEventListener('db', (e) => plain.events.push(e.lastEventId));
    source.addEventListener('resync', () => plain.resyncs++);
  }, `http://127.0.0.1:${proxy.port}/events?events=beat.orders`);
  const plain = () => page.evaluate(() => window.plain);
  await until('connected', async () => (await plain()).opens === 1);
  await post('beat.orders', 0);
  await until('its event', async () => (await plain()).events.length === 1);
  // Events it does not receive push its own out of the replay buffer.
  const others = Array.from({ length: replayCapacity + 10 }, (_, n) => ({ name: 'beat.other', type: 'update', id: n }));
  const newest = (await notify(daemon.notifyPort, others)).at(-1);
  await until('the cursor heartbeat', async () => proxy.received().includes(`id: ${newest}\n\n`), 15000);
  proxy.cut();
  proxy.mend();
  await until('the reconnect', async () => (await plain()).opens === 2);
  await post('beat.orders', 1);
  await until('the next event', async () => (await plain()).events.length === 2);
  assert.equal((await plain()).resyncs, 0, 'resumed from the heartbeat\'s id, not from its last event');
  await page.evaluate(() => window.plainSource.close());
  await context.close();
  await stopAll([proxy]);
});

test('history lost while cut off: the resync reaches onResync', async () => {
  const proxy = await startProxy(daemon.clientsPort);
  const context = await loggedIn('u-resync');
  const tab = await openTab(context, { events: ['resync.orders'], withCredentials: true },
    ['resync.orders'], `http://127.0.0.1:${proxy.port}/events`);
  await untilStatus(tab, 'open');
  await post('resync.orders', 0);
  await untilCount(tab, 1);
  proxy.cut();
  await untilStatus(tab, 'retrying');
  const batch = Array.from({ length: replayCapacity + 10 }, (_, n) => ({ name: 'resync.other', type: 'update', id: n }));
  await notify(daemon.notifyPort, batch); // pushes the tab's cursor out of the replay buffer
  proxy.mend();
  await until('the resync', async () => (await seen(tab)).resyncs.length === 1);
  assert.deepEqual((await seen(tab)).resyncs, [{ reason: 'history-lost' }]);
  await context.close();
  await stopAll([proxy]);
});

for (const share of [false, true]) {
  test(`subscribe and unsubscribe under a steady flow lose nothing (share: ${share})`, async () => {
    const context = await loggedIn(`u-subs-${share}`);
    const names = ['subs.a', 'subs.b'];
    // Shared: a second tab changes its subscriptions while the first one leads.
    const leader = await openTab(context, { events: ['subs.a'], withCredentials: true, share }, names);
    await untilStatus(leader, 'open');
    const tab = share
      ? await openTab(context, { events: ['subs.a'], withCredentials: true, share }, names)
      : leader;
    await untilStatus(tab, 'open');
    const posted = [];
    let subscribedAt = '';
    let unsubscribedAt = '';
    // Each change happens between two posts; its cursor is the last event the tab had then.
    for (let step = 0; step < 40; step++) {
      const [a, b] = await notify(daemon.notifyPort, names.map((name) => ({ name, type: 'update', id: step })));
      posted.push({ a, b });
      if (step === 10) subscribedAt = await tab.evaluate(() => (window.sse.subscribe(['subs.b']), window.seen.events.at(-1)?.id ?? ''));
      if (step === 30) unsubscribedAt = await tab.evaluate(() => (window.sse.unsubscribe(['subs.a']), window.seen.events.at(-1)?.id ?? ''));
      await new Promise((resolve) => setTimeout(resolve, 15)); // a steady flow, not a wait
    }
    assert.ok(subscribedAt && unsubscribedAt, `${subscribedAt} ${unsubscribedAt}`);
    const wantB = posted.map((p) => p.b).filter((id) => after_(id, subscribedAt));
    const wantA = posted.map((p) => p.a).filter((id) => !after_(id, unsubscribedAt));
    assert.deepEqual(await untilCount(tab, wantB.length, 'subs.b'), wantB);
    assert.deepEqual(await idsOf(tab, 'subs.a'), wantA);
    if (share) assert.equal((await streamsOf(daemon.notifyPort, `u-subs-${share}`)).length, 1);
    await context.close();
  });
}

test('401: the status ends in unauthorized, with no retry loop', async () => {
  const context = await loggedIn(null);
  const tab = await openTab(context, { events: ['nobody'], withCredentials: true });
  await untilStatus(tab, 'unauthorized');
  assert.deepEqual((await seen(tab)).statuses, ['connecting', 'unauthorized']);
  await context.close();
});

test('503 while Redis does not answer, then open once it does', async () => {
  const context = await loggedIn('u-503');
  redisServer.child.kill('SIGSTOP'); // lookups time out (redis.timeout): 503 + Retry-After
  let tab;
  try {
    tab = await openTab(context, { events: ['later.orders'], withCredentials: true });
    await untilStatus(tab, 'retrying');
  } finally {
    redisServer.child.kill('SIGCONT');
  }
  await untilStatus(tab, 'open', 20000);
  const ids = await post('later.orders', 1);
  assert.deepEqual(await untilCount(tab, 1), ids);
  await context.close();
});

test('an API key: the fetch path opens, receives, and resumes after a cut', async () => {
  await redis(redisServer.port, 'SET', 'apikey:k-browser', 'u-key');
  const proxy = await startProxy(daemon.clientsPort);
  const context = await loggedIn(null);
  const tab = await openTab(context, { events: ['key.orders'], apiKey: 'k-browser' },
    ['key.orders'], `http://127.0.0.1:${proxy.port}/events`);
  await untilStatus(tab, 'open');
  const [stream] = await streamsOf(daemon.notifyPort, 'u-key');
  assert.match(JSON.stringify(stream), /api.?key/i);
  const ids = [];
  ids.push(...(await post('key.orders', 1, { data: { text: 'two\nlines' } })));
  await untilCount(tab, 1);
  proxy.cut();
  await untilStatus(tab, 'retrying');
  ids.push(...(await post('key.orders', 2)));
  proxy.mend();
  assert.deepEqual(await untilCount(tab, 2), ids);

  const refused = await openTab(context, { events: ['key.orders'], apiKey: 'k-wrong' });
  await untilStatus(refused, 'unauthorized');
  assert.deepEqual((await seen(refused)).statuses, ['connecting', 'unauthorized']);
  await context.close();
  await stopAll([proxy]);
});

test('the demo page shows the notifications it receives', async () => {
  await redis(redisServer.port, 'SET', 'sess:s-demo', JSON.stringify({ userId: 'u-demo' }));
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(`${pages.url}demo.html?events=${encodeURIComponent(eventsUrl)}&sid=s-demo`);
  await until('the demo to open', async () => (await page.$eval('#status', (e) => e.textContent)) === 'open');
  const [id] = await post('orders', 12, { data: { status: 'shipped' } });
  const shown = await until('the notification on the page', () =>
    page.$eval('#received', (list) => list.textContent));
  assert.match(shown, new RegExp(`${id} .*"status":"shipped"`));
  await context.close();
});

test('429 at the per-user limit: retrying, then open once a stream of that user ends', async () => {
  const context = await loggedIn('u-429');
  // The user's other streams, held from here: the limit is reached before the tab connects.
  const held = await Promise.all(Array.from({ length: streamsPerUser }, () => new Promise((resolve, reject) => {
    const request = http.get(`${eventsUrl}?events=busy`, { headers: { Cookie: 'sid=s-u-429' } }, (answer) => {
      assert.equal(answer.statusCode, 200);
      resolve(request);
    });
    request.on('error', reject);
  })));
  try {
    const tab = await openTab(context, { events: ['busy'], withCredentials: true });
    await untilStatus(tab, 'retrying');
    held.pop().destroy();
    await untilStatus(tab, 'open', 20000);
    const ids = await post('busy', 1);
    assert.deepEqual(await untilCount(tab, 1), ids);
  } finally {
    held.forEach((request) => request.destroy());
    await context.close();
  }
});

test('without Web Locks or BroadcastChannel, share falls back to one stream per tab', async () => {
  const context = await loggedIn('u-fallback');
  const withoutLocks = () => delete Navigator.prototype.locks;
  const tabs = [];
  for (let i = 0; i < 2; i++) {
    tabs.push(await openTab(context, { events: ['fallback'], withCredentials: true, share: true },
      ['fallback'], eventsUrl, withoutLocks));
    await untilStatus(tabs[i], 'open');
  }
  assert.equal((await streamsOf(daemon.notifyPort, 'u-fallback')).length, 2);
  const ids = await post('fallback', 1);
  for (const tab of tabs) assert.deepEqual(await untilCount(tab, 1), ids);
  await context.close();
});
