<?php
/*
 * webhook_receiver.php -- a SaaS backend's webhook endpoint, as a Laravel
 * app would write it, run with PHP's built-in server:
 *
 *   PF_WEBHOOK_SECRET=whsec_... PF_WEBHOOK_LOG=events.jsonl \
 *       php -S 127.0.0.1:PORT webhook_receiver.php
 *
 * It verifies each request per the Standard Webhooks spec itself (no
 * library): HMAC-SHA256 under the base64 key after "whsec_", over
 * "webhook-id.webhook-timestamp.body", compared in constant time with each
 * "v1,<base64>" of webhook-signature; a timestamp more than five minutes
 * off is refused too.  A verified event is appended to PF_WEBHOOK_LOG as
 * one JSON line {id, type, user_id, verified} (once per webhook-id: a
 * repeat is acknowledged, not recorded twice) and answered 204; anything
 * else gets 400 or 401.  Run by tests/integration/test_webhooks_out.py.
 */

function answer(int $code, string $why = ''): void
{
	http_response_code($code);
	if ($why !== '')
		error_log("webhook_receiver: $why");
	exit;
}

$secret = getenv('PF_WEBHOOK_SECRET');
$log = getenv('PF_WEBHOOK_LOG');
if ($secret === false || $log === false || !str_starts_with($secret, 'whsec_'))
	answer(500, 'PF_WEBHOOK_SECRET and PF_WEBHOOK_LOG must be set');
if ($_SERVER['REQUEST_METHOD'] !== 'POST')
	answer(405);

$id = $_SERVER['HTTP_WEBHOOK_ID'] ?? '';
$ts = $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '';
$sigs = $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '';
$body = file_get_contents('php://input');
if ($id === '' || !ctype_digit($ts) || $sigs === '' || $body === false)
	answer(400, 'missing webhook headers');
if (abs(time() - (int)$ts) > 300)
	answer(401, 'timestamp too far off');

$key = base64_decode(substr($secret, 6), true);
$want = base64_encode(hash_hmac('sha256', "$id.$ts.$body", $key, true));
$ok = false;
foreach (explode(' ', $sigs) as $s) {
	[$ver, $sig] = array_pad(explode(',', $s, 2), 2, '');
	if ($ver === 'v1' && hash_equals($want, $sig))
		$ok = true;
}
if (!$ok)
	answer(401, "bad signature for $id");

$ev = json_decode($body, true);
if (!is_array($ev) || ($ev['id'] ?? null) !== $id)
	answer(400, 'body is not the event the headers name');

$fp = fopen($log, 'c+');
flock($fp, LOCK_EX);
$seen = false;
while (($line = fgets($fp)) !== false)
	if ((json_decode($line, true)['id'] ?? null) === $id)
		$seen = true;
if (!$seen)
	fwrite($fp, json_encode(['id' => $id, 'type' => $ev['type'],
	    'user_id' => $ev['user_id'], 'verified' => true]) . "\n");
flock($fp, LOCK_UN);
fclose($fp);
answer(204);
