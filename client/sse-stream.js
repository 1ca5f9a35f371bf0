// One stream to the daemon, reopened after each failure with the cursor (the newest event id
// seen), so that the daemon replays what the stream missed. Two ways to read it:
//   - the browser's EventSource (cookies): it cannot report an answer's status, so when it gives
//     up (readyState CLOSED: any answer but 200) one plain fetch of the same URL asks the daemon
//     why, and is cut as soon as its status arrives;
//   - fetch + ReadableStream (API keys: EventSource cannot send Authorization), parsed by
//     sse-parse.js.
import { parseEvents } from './sse-parse.js';

const maxBackoff = 30000;

/**
 * Opens GET <url>?events=…&origin=…&lastEventId=… and reports to `report(kind, value, id)`:
 *   'status'  value: 'connecting' | 'open' | 'retrying' | 'unauthorized' | 'closed'
 *   'connected', 'db', 'resync'  value: the event's parsed data; id: its id
 *   'cursor'  id: the newest id, from a heartbeat (fetch path only: EventSource hides it)
 * Returns { close() }.
 */
export function openStream(url, { events, origin, cursor, apiKey, withCredentials }, report) {
  let retryMs = 1000; // until the daemon's `retry:` says otherwise (fetch path only)
  let failures = 0;
  let current = null;
  let timer = 0;
  let ended = false;
  let subscribed = [];

  const target = () => {
    const u = new URL(url, globalThis.location?.href);
    if (events.length) u.searchParams.set('events', events.join(','));
    u.searchParams.set('origin', origin);
    if (cursor) u.searchParams.set('lastEventId', cursor);
    return u.href;
  };
  const credentials = withCredentials ? 'include' : 'same-origin';

  const received = (type, data, id) => {
    if (id) cursor = id;
    // An id alone: the heartbeat moved the cursor. Tabs that may take the stream over keep it
    // too, so that they resume from it rather than from an event older than replay.max_age.
    if (type === null) return report('cursor', null, id);
    let value = null;
    try {
      value = JSON.parse(data);
    } catch {
      return; // not the daemon's; nothing to hand over
    }
    if (type === 'connected') {
      failures = 0;
      subscribed = value.events || [];
      report('status', 'open');
    } else if (type === 'db') {
      // The daemon sends only subscribed names and the user's account events.
      report('db', value, id, !subscribed.includes(value.name));
      return;
    }
    report(type, value, id);
  };

  // status: the HTTP status of the refusal, 0 for a network error or a stream that ended.
  const failed = (status, retryAfter) => {
    current?.close();
    current = null;
    if (ended) return;
    if (status === 401 || status === 403) return finish('unauthorized');
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) return finish('closed');
    report('status', 'retrying');
    // Jittered exponential backoff from the daemon's retry, never before its Retry-After.
    const base = Math.max(Number(retryAfter) * 1000 || 0, Math.min(maxBackoff, retryMs * 2 ** failures++));
    timer = setTimeout(start, base * (1 + Math.random() / 2));
  };

  const finish = (status) => {
    ended = true;
    clearTimeout(timer);
    current?.close();
    report('status', status);
  };

  const start = () => {
    report('status', 'connecting');
    current = apiKey ? readByFetch() : readByEventSource();
  };

  const readByEventSource = () => {
    const href = target();
    const source = new EventSource(href, { withCredentials });
    const probe = new AbortController();
    for (const type of ['connected', 'db', 'resync'])
      source.addEventListener(type, (e) => received(type, e.data, e.lastEventId));
    source.onerror = () => {
      // CONNECTING: the stream dropped and the browser reconnects by itself, after the
      // daemon's `retry:` and with Last-Event-ID.
      if (source.readyState !== EventSource.CLOSED) return report('status', 'retrying');
      source.close();
      fetch(target(), { credentials, signal: probe.signal, cache: 'no-store' }).then(
        (answer) => {
          probe.abort();
          failed(answer.status === 200 ? 0 : answer.status, answer.headers.get('Retry-After'));
        },
        () => failed(0),
      );
    };
    return { close: () => (source.close(), probe.abort()) };
  };

  const readByFetch = () => {
    const abort = new AbortController();
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${apiKey}` };
    fetch(target(), { headers, credentials, signal: abort.signal, cache: 'no-store' })
      .then(async (answer) => {
        if (answer.status !== 200 || !answer.body) {
          answer.body?.cancel();
          return failed(answer.status, answer.headers.get('Retry-After'));
        }
        const parse = parseEvents(received, (ms) => (retryMs = ms));
        const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
        for (let chunk; !(chunk = await reader.read()).done; ) parse(chunk.value);
        failed(0); // the daemon ended the stream (restart, max lifetime): resume
      })
      .catch(() => abort.signal.aborted || failed(0));
    return { close: () => abort.abort() };
  };

  start();
  return {
    get cursor() {
      return cursor;
    },
    close() {
      // Silent: the caller reopens with other subscriptions, or reports 'closed' itself.
      ended = true;
      clearTimeout(timer);
      current?.close();
    },
  };
}
