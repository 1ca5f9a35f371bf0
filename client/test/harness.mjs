// What the browser tests run against: a real redis-server and the project's daemon on free
// loopback ports, a page server for the client's modules, a TCP proxy that can cut the
// network, and headless Chromium. Everything started here is stopped by stop().
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

export const daemonBinary = process.env.SSE_SERVER_BINARY;
export const redisBinary = process.env.REDIS_SERVER_BINARY || 'redis-server';
export const chromiumBinary = process.env.CHROMIUM_BINARY || '/usr/bin/chromium';
export const notifyToken = 'browser-test-token';
const clientDir = new URL('..', import.meta.url);

/** Resolves with what `predicate` returns once truthy, polling every 20 ms; rejects after `ms`. */
export async function until(what, predicate, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });

/** A child process whose output is kept, to wait for a line of it. */
function start(command, args) {
  // The daemon reads SSE_SERVER_* variables as settings: it gets none of the test's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SSE_SERVER_')));
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.output = '';
  const keep = (chunk) => (child.output += chunk);
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.on('exit', resolve));
  return child;
}

export async function startRedis() {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort(); // another process may take it first: then try another
    const child = start(redisBinary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no']);
    try {
      await until('redis-server to listen', () => child.output.includes('Ready to accept') || child.exitCode !== null);
      if (child.exitCode === null) return { port, child, url: `redis://127.0.0.1:${port}/0` };
    } catch (error) {
      child.kill('SIGKILL');
      if (attempt >= 4) throw error;
    }
    if (attempt >= 4) throw new Error(`redis-server did not start:\n${child.output}`);
  }
}

/** One command to redis-server, by its inline protocol (no client library needed). */
export function redis(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
      if (answer.endsWith('\r\n')) socket.end(), resolve(answer.trim());
    });
    socket.on('error', reject);
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

/** `redisToml`: more keys of [redis]; `extraToml`: other tables. */
export async function startDaemon(redisUrl, extraToml = '', redisToml = '') {
  const dir = await mkdtemp(join(tmpdir(), 'sse-client-test-'));
  const config = join(dir, 'sse-server.toml');
  await writeFile(config, `[listen]\nclients = "127.0.0.1:0"\nnotify = "127.0.0.1:0"\n` +
    `[redis]\nurl = "${redisUrl}"\n${redisToml}\n[notify]\ntoken = "${notifyToken}"\n${extraToml}`);
  const child = start(daemonBinary, ['--config', config]);
  const port = (what) => Number(child.output.match(new RegExp(`listening for ${what} on [^\\n]*:(\\d+)`))?.[1]);
  try {
    await until('the daemon to listen for clients', () => {
      if (child.exitCode !== null) throw new Error(`sse-server exited:\n${child.output}`);
      return child.output.includes('listening for clients on');
    }, 20000);
  } catch (error) {
    await stopAll([{ child, dir }]);
    throw error;
  }
  return { child, dir, clientsPort: port('clients'), notifyPort: port('notifications') };
}

/** Serves the client's modules and the test page on a port of its own: another origin. */
export async function startPageServer() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = path === '/' ? 'test/page.html' : path.slice(1);
    if (!/^(test\/page\.html|sse-[a-z]+\.js|demo\.html)$/.test(file)) return res.writeHead(404).end();
    const type = file.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'Content-Type': type }).end(await readFile(new URL(file, clientDir)));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** A TCP proxy to `port`; cut() drops every connection and refuses new ones until mend();
    received() is the latest bytes (at most 64 KiB) the daemon sent through it. */
export async function startProxy(port) {
  const sockets = new Set();
  let refusing = false;
  let received = '';
  const server = net.createServer((inbound) => {
    if (refusing) return inbound.destroy();
    const outbound = net.connect(port, '127.0.0.1');
    outbound.on('data', (bytes) => (received = (received + bytes.toString('latin1')).slice(-65536)));
    for (const [a, b] of [[inbound, outbound], [outbound, inbound]]) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => (sockets.delete(a), b.destroy()));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: server.address().port,
    connections: () => sockets.size / 2,
    received: () => received,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    mend() {
      refusing = false;
    },
  };
}

export async function notify(notifyPort, notifications) {
  const answer = await fetch(`http://127.0.0.1:${notifyPort}/notify`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${notifyToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(notifications),
  });
  if (answer.status !== 202) throw new Error(`notify answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()).ids;
}

export async function streamsOf(notifyPort, user) {
  const answer = await fetch(`http://127.0.0.1:${notifyPort}/streams?user=${user}`, {
    headers: { Authorization: `Bearer ${notifyToken}` },
  });
  return answer.json();
}

export function launchBrowser() {
  return puppeteer.launch({
    executablePath: chromiumBinary,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
}

/** Stops what was started, in reverse order, whatever failed before. */
export async function stopAll(things) {
  for (const thing of things.reverse()) {
    try {
      if (thing.close) await thing.close();
      else if (thing.child) {
        thing.child.kill('SIGTERM');
        const timer = setTimeout(() => thing.child.kill('SIGKILL'), 5000);
        await thing.child.exited;
        clearTimeout(timer);
        if (thing.dir) await rm(thing.dir, { recursive: true, force: true });
      } else if (thing.server) await new Promise((resolve) => (thing.server.closeAllConnections?.(), thing.server.close(resolve)));
    } catch {
      // keep stopping the others
    }
  }
}
