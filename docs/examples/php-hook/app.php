<?php
// A plain PHP app answering sse-server's auth hook with PHP's own sessions, kept in Redis by
// the php-redis extension (docs/integration.md, section 8). PHP serialises its sessions in its
// own format, which the daemon cannot read: the app says who a request is instead. A login
// puts the user in the session, a logout ends it and has the daemon check the user's streams,
// and GET /sse/auth is what the daemon calls with the browser's cookies for every new stream.
// PHP 7.4+ with the redis (php-redis) and curl (php-curl) extensions.
//
//   PHP_CLI_SERVER_WORKERS=4 SESSION_SAVE_PATH=tcp://127.0.0.1:6379 \
//       php -S 127.0.0.1:8000 app.php
//
// and in sse-server.toml:
//
//   [auth]
//   methods = ["hook"]
//   [auth.hook]
//   url = "http://127.0.0.1:8000/sse/auth"
//
// PHP_CLI_SERVER_WORKERS: the built-in server otherwise answers one request at a time, and the
// logout waits for the daemon's POST /revalidate, during which the daemon calls /sse/auth back:
// with one worker that call waits behind the logout, times out, and the stream stays open.
// Several tabs' streams also reach the hook at once. Behind php-fpm the pool does the same.
//
// Environment: SESSION_SAVE_PATH (php-redis's session.save_path; default
// tcp://127.0.0.1:6379), SSE_NOTIFY_URL and SSE_NOTIFY_TOKEN (as for notify.php).

declare(strict_types=1);

require __DIR__ . '/../notify.php';

// Sessions in Redis (keys PHPREDIS_SESSION:<id>), the same settings a php.ini would hold.
ini_set('session.save_handler', 'redis');
ini_set('session.save_path', getenv('SESSION_SAVE_PATH') ?: 'tcp://127.0.0.1:6379');
// Only ids this app issued are used: a planted or made-up id starts no session.
ini_set('session.use_strict_mode', '1');
ini_set('session.cookie_httponly', '1');
ini_set('session.cookie_samesite', 'Lax');

function answer(int $status, ?array $json = null): void
{
    http_response_code($status);
    if ($json !== null) {
        header('Content-Type: application/json');
        echo json_encode($json, JSON_UNESCAPED_SLASHES);
    }
}

/** GET /login?user=42: the user is logged in (an example: a real app checks a password). */
function login(): void
{
    $user = $_GET['user'] ?? '';
    if (!is_string($user) || $user === '') {
        answer(400, ['error' => 'user= is missing']);
        return;
    }
    session_start();
    // A new id at login, so that an id planted before it is worthless.
    session_regenerate_id(true);
    $_SESSION['user_id'] = $user;
    $_SESSION['groups'] = ['team-a'];
    answer(200, ['user' => $_SESSION['user_id']]);
}

/** Ends the session in Redis, then has the daemon check the user's open streams now: they end
    at once (not at the next auth.revalidate_interval) and their reconnects get 401. */
function logout(): void
{
    session_start();
    $user = $_SESSION['user_id'] ?? null;
    $_SESSION = [];
    session_destroy();
    setcookie(session_name(), '', ['expires' => 1, 'path' => '/', 'httponly' => true]);
    if ($user !== null) {
        try {
            sse_revalidate([$user]);
        } catch (SseNotifyError $error) {
            error_log("user $user: not revalidated: " . $error->getMessage());
        }
    }
    answer(204);
}

/** The auth hook: who the request's session is, and what the user may subscribe to. */
function sse_auth(): void
{
    // No cookie, no session: starting one here would only make an empty one.
    if (!isset($_COOKIE[session_name()])) {
        answer(401, ['error' => 'not logged in']);
        return;
    }
    // Read without keeping the session locked or writing it back: the daemon's call must not
    // hold up the browser's own requests.
    session_start(['read_and_close' => true]);
    $user = $_SESSION['user_id'] ?? null;
    if ($user === null) {
        answer(401, ['error' => 'not logged in']);
        return;
    }
    answer(200, ['user' => $user,
                 'grants' => ['orders:*', 'inbox:{user}'],
                 'groups' => $_SESSION['groups'] ?? []]);
}

switch (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH)) {
    case '/login':
        login();
        break;
    case '/logout':
        logout();
        break;
    case '/sse/auth':
        sse_auth();
        break;
    default:
        answer(404, ['error' => 'not found']);
}
