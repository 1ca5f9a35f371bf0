#!/usr/bin/env node
// An Express app whose logins sse-server accepts: express-session keeps its sessions in Redis
// through connect-redis, and the daemon reads them there (docs/integration.md, "Sessions").
// Its API posts a notification after each change, carrying the origin of the tab that made
// it; public/ is a page that listens.
//
//   npm ci
//   sse-server --config sse-server.toml &   # the daemon's side of the same settings
//   node app.mjs                            # then open http://localhost:3000 in two tabs
//
// Environment: REDIS_URL (default redis://127.0.0.1:6379/0), SESSION_SECRET and
// SSE_NOTIFY_TOKEN (defaults: the development values of sse-server.toml), SSE_NOTIFY_URL
// (default http://127.0.0.1:8081/notify), SSE_EVENTS_URL (where the page opens its stream;
// default http://localhost:8080/events), PORT (default 3000; 0 = any free port).
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { fileURLToPath } from 'node:url';
import { notify, revalidate } from '../notify.mjs';

// Development defaults, equal to those of sse-server.toml; production must set its own.
function setting(name, development) {
  const value = process.env[name];
  if (value) return value;
  if (process.env.NODE_ENV === 'production') throw new Error(`${name} is not set`);
  return development;
}
const sessionSecret = setting('SESSION_SECRET', 'dev-session-secret');
const notifyToken = setting('SSE_NOTIFY_TOKEN', 'dev-notify-token');

const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0' });
redis.on('error', (err) => console.error(`redis: ${err.message}`));
await redis.connect();

const app = express();
app.use(express.json());
app.use(session({
  // The four settings sse-server must be told, in sse-server.toml:
  name: 'connect.sid',           // auth.session.cookie (express-session's default name)
  secret: sessionSecret,         // one of auth.session.secrets
  store: new RedisStore({ client: redis, prefix: 'sess:' }), // auth.session.key_prefix
  // and the user id is stored as req.session.userId: auth.session.user_id_pointer = "/userId"
  resave: false,
  saveUninitialized: false,      // no session, hence no cookie, before the login
  cookie: {
    httpOnly: true,
    // Lax is sent to sse.example.com by a page of app.example.com (same site). A daemon on
    // another site would need SameSite=None with Secure, which browsers may still block.
    sameSite: 'lax',
    secure: process.env.NODE_ENV === 'production', // HTTPS only, in production
    // domain: '.example.com',   // when the stream comes from another host of the same site
  },
}));

// Stands for your own users, their password check and what each may see.
const users = new Map([['alice', { id: 42, password: 'wonderland', teams: ['acme'] }]]);

app.post('/login', (req, res, next) => {
  const user = users.get(req.body?.username);
  if (!user || user.password !== req.body?.password) return res.status(401).json({ error: 'bad login' });
  // A new session id at login, so that an id planted before it is worthless.
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.userId = user.id; // what auth.session.user_id_pointer points at
    // What the daemon lets this user subscribe to and which audiences reach it
    // (auth.session.grants_pointer = "/sse/grants", groups_pointer = "/sse/groups").
    req.session.sse = { grants: ['orders', 'inbox:{user}'], groups: user.teams };
    req.session.save((err) => (err ? next(err) : res.json({ user: user.id })));
  });
});

// Deletes the session from Redis, then has the daemon check the user's open streams now: they
// end within a second (not at the next auth.revalidate_interval), their reconnects get 401.
// Call revalidate() the same way after changing what a user may see.
app.post('/logout', (req, res, next) => {
  const { userId } = req.session;
  req.session.destroy(async (err) => {
    if (err) return next(err);
    if (userId !== undefined) {
      await revalidate([userId], { token: notifyToken })
        .catch((e) => console.error(`user ${userId}: not revalidated: ${e.message}`));
    }
    res.status(204).end();
  });
});

function loggedIn(req, res, next) {
  if (req.session.userId === undefined) return res.status(401).json({ error: 'log in first' });
  next();
}

const orders = new Map([[12, { id: 12, status: 'new' }]]); // stands for your database

app.patch('/api/orders/:id', loggedIn, (req, res) => {
  const id = Number(req.params.id);
  const order = orders.get(id);
  if (!order) return res.status(404).json({ error: 'no such order' });
  Object.assign(order, { status: String(req.body?.status ?? order.status) }); // committed
  res.json(order);
  // After the commit and off the request's path. `origin` is the tab that made the change:
  // it skips this event, having applied the answer above; every other tab applies it.
  notify({ name: 'orders', type: 'update', id, data: order,
           origin: req.get('X-SSE-Origin') ?? null }, { token: notifyToken })
    .catch((err) => console.error(`order ${id}: not notified: ${err.message}`));
});

// Where the page opens its stream: the daemon, directly or behind the same nginx.
app.get('/config.json', (req, res) => {
  res.json({ eventsUrl: process.env.SSE_EVENTS_URL ?? 'http://localhost:8080/events' });
});
app.use(express.static(fileURLToPath(new URL('public', import.meta.url))));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address();
  // The page's origin is localhost: the one sse-server.toml allows (client.cors_origins).
  console.log(`listening on http://127.0.0.1:${port}: open http://localhost:${port}`);
});
