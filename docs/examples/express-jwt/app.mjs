#!/usr/bin/env node
// An Express app issuing the signed tokens (JWT) sse-server verifies itself, with Node's
// built-in crypto only: no session store the daemon must read, no lookup per stream
// (docs/integration.md, "Express"). The daemon's side is sse-server.toml beside this file.
//
//   npm ci
//   head -c 48 /dev/urandom | base64 > jwt-secret   # shared with the daemon, mode 600
//   sse-server --config sse-server.toml &
//   JWT_SECRET_FILE=jwt-secret node app.mjs
//
// HS256 with one secret file: the app and the daemon are run by one team on one host, and
// HMAC is a few lines of node:crypto. When the daemon is run by others, or must not be able
// to mint tokens, sign with EdDSA instead (crypto.generateKeyPairSync('ed25519'), then
// crypto.sign(null, input, privateKey)) and give the daemon the public PEM as
// auth.jwt.key_file; the claims stay the same.
//
// Environment: JWT_SECRET_FILE (required: the file auth.jwt.secret_file names),
// TOKEN_TTL_SECONDS (default 900), PORT (default 3000; 0 = any free port).
import express from 'express';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The daemon reads the file's bytes less one final line end (auth.jwt.secret_file): the same.
const secretFile = process.env.JWT_SECRET_FILE;
if (!secretFile) throw new Error('JWT_SECRET_FILE is not set');
let secret = readFileSync(secretFile);
if (secret.at(-1) === 0x0a) secret = secret.subarray(0, -1);
if (secret.at(-1) === 0x0d) secret = secret.subarray(0, -1);
if (secret.length < 32) throw new Error(`${secretFile}: a secret of at least 32 bytes is needed`);
const ttlSeconds = Number(process.env.TOKEN_TTL_SECONDS ?? 900);

const base64url = (value) => Buffer.from(value).toString('base64url');

/** A compact JWS: base64url(header).base64url(claims).base64url(HMAC-SHA256 of both). */
function sign(claims) {
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.` +
                base64url(JSON.stringify(claims));
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The claims sse-server.toml names: the user (sub), when it ends (exp), who issued it for
    whom (iss, aud: a token made for another service is refused), and the user's rights. */
function tokenFor(user) {
  const now = Math.floor(Date.now() / 1000);
  return sign({
    sub: String(user.id),
    iss: 'http://localhost:3000',
    aud: 'sse',
    iat: now,
    exp: now + ttlSeconds,
    grants: ['orders', 'inbox:{user}'], // auth.jwt.grants_claim: what the user may subscribe to
    groups: user.teams,                 // auth.jwt.groups_claim: the audiences that reach it
  });
}

const app = express();

// GET /login?user=42: the user is logged in (an example: a real app checks a password and
// reads the user's teams from its database). The token goes back in the body, for a client
// that sends `Authorization: Bearer`, and in a cookie, for EventSource (which sends no
// headers of its own) when the daemon is on the same site (auth.jwt.cookie).
app.get('/login', (req, res) => {
  const id = req.query.user;
  if (typeof id !== 'string' || !/^[0-9]+$/.test(id)) return res.status(400).json({ error: 'user= is missing' });
  const token = tokenFor({ id, teams: ['acme'] });
  res.cookie('sse_token', token, { httpOnly: true, sameSite: 'lax', maxAge: ttlSeconds * 1000,
                                   secure: process.env.NODE_ENV === 'production' });
  res.json({ token, expiresIn: ttlSeconds });
});

// A token cannot be taken back before its exp: the logout drops the cookie, and a stream
// opened with it ends at its exp at the latest. Keep TOKEN_TTL_SECONDS short; the page asks
// for a new token (here: /login again) when its stream ends.
app.post('/logout', (req, res) => {
  res.clearCookie('sse_token').status(204).end();
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
