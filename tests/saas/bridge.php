<?php
/*
 * bridge.php -- a SaaS backend's side of the OAuth bridge, in PHP with
 * Guzzle (Debian's php-cli and php-guzzlehttp-guzzle), as a Laravel app
 * would do it:
 *
 *   php bridge.php APID_URL CALLBACK_URL
 *
 * It sends the "user" to /oauth/start, follows the redirect to Polar's
 * consent page (polarsim, which consents at once) and back to apid's
 * /oauth/callback, reads the temporary code from the final redirect to
 * CALLBACK_URL (not followed: nothing listens there), exchanges it at
 * /oauth/exchange for the user's API key, triggers a sync with that key
 * and reads the user's sleep.  Prints one JSON line; exits non-zero on
 * any failure.  Run by tests/integration/test_oauth_bridge.py.
 */
require_once '/usr/share/php/GuzzleHttp/autoload.php';

use GuzzleHttp\Client;

function fail(string $msg): void
{
	fwrite(STDERR, "bridge.php: $msg\n");
	exit(1);
}

if ($argc !== 3)
	fail("usage: php bridge.php APID_URL CALLBACK_URL");
[$apid, $callback] = [rtrim($argv[1], '/'), $argv[2]];

/* The browser: redirects followed by hand, to stop at the callback. */
$browser = new Client(['allow_redirects' => false, 'http_errors' => false,
    'timeout' => 120]);
$url = $apid . '/oauth/start?' . http_build_query(['callback_url' => $callback]);
for ($hops = 0; ; $hops++) {
	if ($hops > 5)
		fail("too many redirects");
	$r = $browser->get($url);
	if ($r->getStatusCode() !== 302)
		fail("GET $url: HTTP " . $r->getStatusCode() . ": " . $r->getBody());
	$url = $r->getHeaderLine('Location');
	if (str_starts_with($url, $callback))
		break;
}
parse_str((string)parse_url($url, PHP_URL_QUERY), $q);
if (($q['status'] ?? '') !== 'connected' || !isset($q['code']))
	fail("callback without a code: $url");
$uid = $q['polar_user_id'];

/* The SaaS backend: code for key, then the API with that key. */
$backend = new Client(['base_uri' => $apid . '/', 'timeout' => 240]);
$r = $backend->post('oauth/exchange', ['json' => ['code' => $q['code']]]);
if ($r->getStatusCode() !== 201)
	fail("exchange: HTTP " . $r->getStatusCode());
$doc = json_decode((string)$r->getBody(), true, 8, JSON_THROW_ON_ERROR);
$key = $doc['api_key'];
if ($doc['polar_user_id'] !== $uid)
	fail("exchange answered another user");

/* A replayed code is refused. */
$r = $backend->post('oauth/exchange', ['json' => ['code' => $q['code']],
    'http_errors' => false]);
if ($r->getStatusCode() !== 401)
	fail("replayed code: HTTP " . $r->getStatusCode());

$auth = ['headers' => ['X-API-Key' => $key]];
$r = $backend->post("api/v1/users/$uid/sync/trigger", $auth);
$sync = json_decode((string)$r->getBody(), true, 16, JSON_THROW_ON_ERROR);
$r = $backend->get("api/v1/users/$uid/sleep?days=28", $auth);
$sleep = json_decode((string)$r->getBody(), true, 16, JSON_THROW_ON_ERROR);

echo json_encode([
    'status' => $q['status'],
    'user_id' => $uid,
    'key_prefix' => substr($key, 0, 4),
    'synced' => $sync['total_records'] ?? null,
    'sleep_nights' => is_array($sleep) ? count($sleep) : -1,
]), "\n";
