-- 0017_polar_webhook.sql -- Polar's partner webhook: the one registration
-- this client holds at Polar, and the events Polar posted to apid.
--
-- apid stores each delivery as it came (raw body and signature header)
-- and answers Polar at once; syncd verifies the signature with the sealed
-- secret, which only it can open, and syncs the user's affected streams.
-- A delivery is never lost to a syncd that is down: the row waits.

-- At most one row (Polar allows one webhook per client).
CREATE TABLE polar_webhook (
	id			integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	polar_id		text NOT NULL,		-- Polar's webhook id
	url			text NOT NULL,
	events			jsonb NOT NULL DEFAULT '[]',
	secret_enc		text,		-- crypto.h sealed, never plain
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

-- status: queued -> working -> synced | ping | bad_signature |
-- unknown_user | stale | refused (a user who must authorise again) |
-- ignored (an event type nothing maps to).
CREATE TABLE polar_webhook_events (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	received_at		timestamptz NOT NULL DEFAULT now(),
	event			text NOT NULL CHECK (length(event) <= 64),
	polar_user_id		text CHECK (length(polar_user_id) <= 32),
	body			text NOT NULL CHECK (length(body) <= 16384),
	signature		text NOT NULL CHECK (length(signature) <= 128),
	-- a second delivery of the same bytes is a replay
	body_sha256		bytea NOT NULL UNIQUE,
	status			text NOT NULL DEFAULT 'queued',
	attempts		integer NOT NULL DEFAULT 0,
	claimed_at		timestamptz,
	processed_at		timestamptz,
	-- ours, once known; not "user_id": a delivery is Polar's record,
	-- pruned after a week, not user data
	matched_user		text,
	sync_id			text,
	note			text
);
CREATE INDEX polar_webhook_events_todo_idx ON polar_webhook_events (id)
	WHERE status IN ('queued', 'working');
CREATE INDEX polar_webhook_events_at_idx ON polar_webhook_events
	(received_at);

GRANT ALL ON polar_webhook, polar_webhook_events TO polarflow_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON polar_webhook, polar_webhook_events
	TO polarflow_sync;
-- apid queues deliveries and sees which are pending (never the secret).
GRANT INSERT ON polar_webhook_events TO polarflow_api;
GRANT SELECT (id, status, body_sha256) ON polar_webhook_events
	TO polarflow_api;
GRANT SELECT (polar_id, url, events, created_at) ON polar_webhook
	TO polarflow_api;
