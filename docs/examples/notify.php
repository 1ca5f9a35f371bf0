<?php
// Tells sse-server about database changes, as an API does after a write: one notification,
// then a batch. PHP 7.4+ with the curl extension (php-curl).
//
//   SSE_NOTIFY_URL=http://127.0.0.1:8081/notify SSE_NOTIFY_TOKEN=secret php notify.php
//
// Prints the daemon's answers; exits 1 with the reason when a post is refused.
// Include this file and call sse_notify() to use it in an API, sse_revalidate() at logout
// (see docs/integration.md).

declare(strict_types=1);

final class SseNotifyError extends RuntimeException
{
}

/**
 * POSTs one notification (an associative array) or a list of them (a batch: all accepted or
 * none). Returns the 202 answer: accepted, recipients, ids (no recipients in cluster mode).
 * A 503 (Redis or the bus briefly away, or the daemon stopping) and a failed connection are
 * retried; anything else throws SseNotifyError, its code being the HTTP status (0: no answer).
 */
function sse_notify(array $notifications, ?string $url = null, ?string $token = null, int $attempts = 3): array
{
    $url = $url ?? (getenv('SSE_NOTIFY_URL') ?: 'http://127.0.0.1:8081/notify');
    $token = $token ?? (getenv('SSE_NOTIFY_TOKEN') ?: '');
    $body = json_encode($notifications, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    $headers = ['Content-Type: application/json'];
    if ($token !== '') {
        $headers[] = 'Authorization: Bearer ' . $token;
    }
    for ($attempt = 1; ; $attempt++) {
        $retryAfter = 1;
        $curl = curl_init($url);
        curl_setopt_array($curl, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 2,
            CURLOPT_TIMEOUT => 10,
            CURLOPT_HEADERFUNCTION => function ($curl, string $line) use (&$retryAfter): int {
                if (stripos($line, 'Retry-After:') === 0) {
                    $retryAfter = max(1, min(30, (int) trim(substr($line, 12))));
                }
                return strlen($line);
            },
        ]);
        $text = curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $failure = curl_error($curl);
        curl_close($curl);

        if ($text === false) {
            // An answer lost after the daemon took the post makes this retry deliver it
            // twice: clients should treat notifications as idempotent (they carry the row).
            if ($attempt >= $attempts) {
                throw new SseNotifyError("sse-server unreachable: $failure", 0);
            }
            sleep(1);
            continue;
        }
        if ($status === 202) {
            return json_decode($text, true, 512, JSON_THROW_ON_ERROR);
        }
        if ($status === 503 && $attempt < $attempts) {
            sleep($retryAfter);
            continue;
        }
        // 400 and 413 are bugs in the caller (the message names the field and batch index),
        // 401 a wrong or missing token: retrying would not help.
        $answer = json_decode($text, true);
        $reason = is_array($answer) && isset($answer['error']) ? $answer['error'] : $text;
        throw new SseNotifyError("sse-server answered $status: $reason", $status);
    }
}

/**
 * POST /revalidate: the daemon checks those users' open streams now (at logout, or when their
 * rights changed) and closes those that lost the right; returns ['users' => n]. The same URL
 * as sse_notify() but for its path, the same token, retries and errors.
 */
function sse_revalidate(array $userIds, ?string $url = null, ?string $token = null, int $attempts = 3): array
{
    $url = $url ?? preg_replace('~/notify$~', '/revalidate', getenv('SSE_NOTIFY_URL') ?: 'http://127.0.0.1:8081/notify');
    return sse_notify(['users' => array_values($userIds)], $url, $token, $attempts);
}

if (realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    try {
        $one = sse_notify(['name' => 'orders', 'type' => 'update', 'id' => 12,
                           'data' => ['id' => 12, 'status' => 'shipped'], 'origin' => null]);
        echo 'one: ', json_encode($one, JSON_UNESCAPED_SLASHES), "\n";
        $batch = sse_notify([
            ['name' => 'orders', 'type' => 'create', 'id' => 13, 'data' => ['id' => 13, 'status' => 'new']],
            ['name' => 'orders', 'type' => 'delete', 'id' => 11],
        ]);
        echo 'batch: ', json_encode($batch, JSON_UNESCAPED_SLASHES), "\n";
    } catch (SseNotifyError $error) {
        fwrite(STDERR, $error->getMessage() . "\n");
        exit(1);
    }
}
