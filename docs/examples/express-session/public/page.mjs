// The page's side (docs/integration.md, "The browser"): it opens its stream with its own
// origin, reads the origin back from `connected`, and sends it with every API call, so that
// the API can put it in the notification and this tab can skip its own echo.
const { eventsUrl } = await (await fetch('/config.json')).json();
const list = document.getElementById('events');
const show = (text) => list.appendChild(document.createElement('li')).append(text);

let source = null;
let origin = crypto.randomUUID(); // this tab's id: [A-Za-z0-9_-]{1,64}

function listen() {
  const query = new URLSearchParams({ events: 'orders', origin });
  // Another origin than the page's: the session cookie goes only with withCredentials, and
  // only when the daemon lists this page's origin in client.cors_origins.
  source = new EventSource(`${eventsUrl}?${query}`, { withCredentials: true });
  source.addEventListener('connected', (e) => {
    const hello = JSON.parse(e.data); // {"origin":"…","user":"42","events":["orders"]}
    origin = hello.origin; // the origin as the daemon announces it: the one the API must send
    show(`live as user ${hello.user}`);
  });
  source.addEventListener('db', (e) => {
    const n = JSON.parse(e.data);
    if (n.origin === origin) return; // this tab's own change, applied from the API's answer
    show(`order ${n.id} is now ${n.data.status} (changed in another tab)`);
  });
  source.addEventListener('resync', () => show('events were lost: reload what the page shows'));
  source.onerror = () => {
    // Closed for good: the daemon refused the stream (401 after a logout, 429, 503).
    if (source.readyState === EventSource.CLOSED) show('stream refused');
  };
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-SSE-Origin': origin },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok && res.status !== 204) throw new Error(`${method} ${path}: ${res.status}`);
  return res.status === 204 ? null : res.json();
}

document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  await api('POST', '/login', { username: form.get('username'), password: form.get('password') });
  listen(); // after the login: the stream needs the session cookie
  document.getElementById('ship').disabled = false;
  document.getElementById('logout').disabled = false;
});
document.getElementById('ship').addEventListener('click', async () => {
  const order = await api('PATCH', '/api/orders/12', { status: 'shipped' });
  show(`order ${order.id} is now ${order.status} (changed here)`);
});
document.getElementById('logout').addEventListener('click', async () => {
  await api('POST', '/logout');
  source?.close();
  show('logged out');
});
