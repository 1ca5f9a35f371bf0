#!/usr/bin/env node
// Tells sse-server about database changes, as an API does after a write: one notification,
// then a batch. Node 18+ (built-in fetch), no packages to install.
//
//   SSE_NOTIFY_URL=http://127.0.0.1:8081/notify SSE_NOTIFY_TOKEN=secret node notify.mjs
//
// Prints the daemon's answers; exits 1 with the reason when a post is refused.
// Import `notify` from this file to use it in an API (see docs/integration.md).
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

export class NotifyError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status; // 0 when the daemon could not be reached
  }
}

/**
 * POSTs one notification object, or an array of them (a batch: all accepted or none).
 * Resolves to the 202 answer: {accepted, recipients, ids} ({accepted, ids} in cluster mode).
 * A 503 (Redis or the bus briefly away, or the daemon stopping) and a failed connection are
 * retried; anything else rejects with a NotifyError.
 */
export async function notify(notifications, {
  url = process.env.SSE_NOTIFY_URL ?? 'http://127.0.0.1:8081/notify',
  token = process.env.SSE_NOTIFY_TOKEN ?? '',
  attempts = 3,
} = {}) {
  return post(url, token, attempts, notifications);
}

/**
 * POST /revalidate: the daemon checks those users' open streams now (at logout, or when their
 * rights changed) and closes those that lost the right; resolves to {users}. Same URL as
 * notify() but for its path, same token, same retries.
 */
export async function revalidate(userIds, {
  url = (process.env.SSE_NOTIFY_URL ?? 'http://127.0.0.1:8081/notify').replace(/\/notify$/, '/revalidate'),
  token = process.env.SSE_NOTIFY_TOKEN ?? '',
  attempts = 3,
} = {}) {
  return post(url, token, attempts, { users: userIds });
}

async function post(url, token, attempts, payload) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const body = JSON.stringify(payload);
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      // An answer lost after the daemon took the post makes this retry deliver it twice:
      // clients should treat notifications as idempotent (they carry the whole row).
      if (attempt >= attempts) {
        throw new NotifyError(0, `sse-server unreachable: ${err.cause?.message ?? err.message}`);
      }
      await sleep(1000);
      continue;
    }
    const text = await res.text();
    if (res.status === 202) return JSON.parse(text);
    if (res.status === 503 && attempt < attempts) {
      await sleep(retryAfterMs(res.headers.get('retry-after')));
      continue;
    }
    // 400 and 413 are bugs in the caller (the message names the field and batch index),
    // 401 a wrong or missing token: retrying would not help.
    throw new NotifyError(res.status, `sse-server answered ${res.status}: ${errorOf(text)}`);
  }
}

function retryAfterMs(header) {
  const seconds = Number.parseInt(header ?? '', 10);
  return (Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) : 1) * 1000;
}

function errorOf(text) {
  try {
    return JSON.parse(text).error ?? text;
  } catch {
    return text;
  }
}

async function main() {
  const one = await notify({
    name: 'orders', type: 'update', id: 12, data: { id: 12, status: 'shipped' }, origin: null,
  });
  console.log(`one: ${JSON.stringify(one)}`);
  const batch = await notify([
    { name: 'orders', type: 'create', id: 13, data: { id: 13, status: 'new' } },
    { name: 'orders', type: 'delete', id: 11 },
  ]);
  console.log(`batch: ${JSON.stringify(batch)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err.message);
    process.exitCode = 1;
  });
}
