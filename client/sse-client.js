// sse-server's browser client: SPEC §7. connect() gives one tab its view of the stream:
// handlers per notification name, the account event, resync and status. With `share`, all tabs
// of the page's origin use one stream: the tab holding a Web Lock leads, opens the stream with
// every tab's subscriptions and relays what it reads on a BroadcastChannel; when it goes, the
// next tab waiting for the lock takes over from the last id it saw.
import { openStream } from './sse-stream.js';

const statuses = ['connecting', 'open', 'retrying', 'unauthorized', 'closed'];
const rememberedIds = 1024; // ids delivered lately, so that a replay delivers nothing twice

const newId = () =>
  globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2) + Date.now().toString(36);

export function connect(url, { events = [], apiKey, withCredentials = false, share = false } = {}) {
  const origin = newId();
  const names = new Set(events);
  const handlers = new Map(); // name → handlers; '' holds the account handlers
  const resyncHandlers = [];
  const statusHandlers = [];
  const delivered = new Set();
  let status = 'connecting';
  let cursor = ''; // the newest id this tab has seen: where a stream it opens resumes
  let closed = false;

  const call = (list, ...args) =>
    list?.forEach((handler) => {
      try {
        handler(...args);
      } catch (error) {
        setTimeout(() => {
          throw error; // the page's error, reported as uncaught, without stopping the others
        });
      }
    });

  // What this tab does with an event of the stream, its own or relayed by the leader.
  const receive = (kind, value, id, account) => {
    if (closed) return;
    if (id) cursor = id;
    if (kind === 'status') {
      if (value !== status && statuses.includes(value)) call(statusHandlers, (status = value));
    } else if (kind === 'resync') {
      call(resyncHandlers, { reason: value?.reason });
    } else if (kind === 'db' && !delivered.has(id)) {
      if (!account && !names.has(value.name)) return; // another tab's subscription
      delivered.add(id);
      if (delivered.size > rememberedIds) delivered.delete(delivered.values().next().value);
      call(handlers.get(account ? '' : value.name), value, { id, self: value.origin === origin });
    }
  };

  const options = { origin, apiKey, withCredentials };
  const canShare = share && globalThis.navigator?.locks && globalThis.BroadcastChannel;
  const link = canShare
    ? shareStream(url, options, { names, origin, cursor: () => cursor }, receive)
    : ownStream(url, options, names, () => cursor, receive);

  const change = (list, add) => {
    const before = names.size;
    for (const name of list) add ? names.add(name) : names.delete(name);
    if (names.size !== before && !closed) link.changed();
  };

  return {
    origin,
    on(name, handler) {
      handlers.set(name, [...(handlers.get(name) || []), handler]);
      return this;
    },
    onAccount(handler) {
      return this.on('', handler);
    },
    onResync(handler) {
      resyncHandlers.push(handler);
      return this;
    },
    onStatus(handler) {
      statusHandlers.push(handler);
      call([handler], status); // the status now, then each change
      return this;
    },
    subscribe: (list) => change(list, true),
    unsubscribe: (list) => change(list, false),
    close() {
      if (closed) return;
      link.close();
      receive('status', 'closed');
      closed = true;
    },
  };
}

// One stream for this tab alone.
function ownStream(url, options, names, cursor, receive) {
  let stream;
  const open = () =>
    (stream = openStream(url, { ...options, events: [...names], cursor: stream?.cursor || cursor() }, receive));
  open();
  return {
    changed() {
      stream.close();
      open();
    },
    close: () => stream.close(),
  };
}

// The stream shared by every tab of this origin that connects to `url`. Messages on the channel:
//   {t:'subs', tab, names, from}  a tab's subscriptions (from: its cursor when they changed,
//                                 so that the leader resumes early enough for new names)
//   {t:'bye', tab}                a tab leaves
//   {t:'ev', kind, value, id, account}  the leader relays the stream
function shareStream(url, options, tab, receive) {
  // Tabs share a stream only when they would open the same one. The key stays in this origin's
  // lock and channel names, which only this origin's scripts see (they see the key anyway).
  const credential = options.apiKey ? `key ${options.apiKey}` : `cookie ${!!options.withCredentials}`;
  const key = `sse-server-client ${new URL(url, location.href).href} ${credential}`;
  const channel = new BroadcastChannel(key);
  const tabs = new Map([[tab.origin, tab.names]]); // every tab's subscriptions, as announced
  let stream = null; // while this tab leads
  let opened = ''; // the subscriptions the stream was opened with
  let lastStatus = 'connecting';
  let leave;

  const relay = (kind, value, id, account) => {
    if (kind === 'status') lastStatus = value;
    channel.postMessage({ t: 'ev', kind, value, id, account });
    receive(kind, value, id, account);
  };
  const union = () => [...new Set([...tabs.values()].flatMap((names) => [...names]))].sort();
  const reopen = (from) => {
    const events = union();
    if (stream && events.join() === opened) return;
    const cursor = older(from, stream ? stream.cursor : tab.cursor());
    stream?.close();
    opened = events.join();
    stream = openStream(url, { ...options, events, cursor }, relay);
  };
  const announce = (from) => channel.postMessage({ t: 'subs', tab: tab.origin, names: tab.names, from });

  channel.onmessage = ({ data: m }) => {
    if (m.t === 'ev') return receive(m.kind, m.value, m.id, m.account);
    const known = tabs.has(m.tab);
    if (m.t === 'bye') tabs.delete(m.tab);
    else tabs.set(m.tab, m.names);
    if (m.t === 'subs' && !known) announce(); // the newcomer learns who is here, should it lead
    if (stream) {
      reopen(m.from);
      channel.postMessage({ t: 'ev', kind: 'status', value: lastStatus });
    }
  };

  const done = new Promise((resolve) => (leave = resolve));
  navigator.locks.request(key, () => {
    if (!leave) return; // closed while waiting
    reopen();
    return done; // hold the lock until close(), or until the tab goes
  });
  // A page kept in the back-forward cache says goodbye, and hello again when it comes back.
  const bye = () => channel.postMessage({ t: 'bye', tab: tab.origin });
  const hello = (e) => e.persisted && announce();
  addEventListener('pagehide', bye);
  addEventListener('pageshow', hello);
  announce();

  return {
    changed() {
      if (stream) reopen(tab.cursor());
      announce(tab.cursor());
    },
    close() {
      removeEventListener('pagehide', bye);
      removeEventListener('pageshow', hello);
      bye();
      stream?.close();
      stream = null;
      leave();
      leave = null;
      channel.close();
    },
  };
}

// The older of two event ids (`<ms>-<seq>`); an empty or unreadable one loses.
function older(a, b) {
  const parts = (id) => (/^\d+-\d+$/.test(id || '') ? id.split('-').map(Number) : null);
  const x = parts(a);
  const y = parts(b);
  if (!x) return b;
  if (!y) return a;
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]) ? a : b;
}
