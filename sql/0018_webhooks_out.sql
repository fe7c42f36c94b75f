-- 0018_webhooks_out.sql -- signed webhooks out: subscriptions, the outbox
-- of events and the delivery of each event to each subscription.
--
-- An event is written by pf_webhook_emit() in the transaction of the
-- change it reports, so it exists exactly when the change does.  The same
-- call fans it out to a delivery row per matching enabled subscription and
-- notifies "pf_webhook" (sent at commit), which wakes syncd's sender.
--
-- No column of these tables is called user_id: pf_user_delete() erases
-- every row of a user in tables that have one, and the user.deleted event
-- that reports an erasure must outlive it.

CREATE TABLE webhook_subscriptions (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	url			text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048
				AND url ~ '^https?://'),
	-- "whsec_" + base64 of 24..64 random bytes (Standard Webhooks)
	secret			text NOT NULL CHECK (secret ~
				'^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'),
	-- event types delivered; empty = every type
	events			text[] NOT NULL DEFAULT '{}',
	description		text NOT NULL DEFAULT ''
				CHECK (length(description) <= 200),
	-- the service key that made it (api_keys.id), NULL = an administrator
	owner_key_id		bigint,
	enabled			boolean NOT NULL DEFAULT true,
	disabled_at		timestamptz,
	disabled_reason		text,
	-- since when every attempt failed (NULL: the last one succeeded)
	failing_since		timestamptz,
	failure_streak		integer NOT NULL DEFAULT 0,
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_owner_idx
	ON webhook_subscriptions (owner_key_id);

CREATE TABLE webhook_outbox (
	seq			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id		text NOT NULL UNIQUE,	-- "evt_" + 32 hex
	type			text NOT NULL,
	subject			text,			-- the user, if any
	-- the exact body sent, so every retry carries the same bytes
	body			text NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_outbox_created_idx ON webhook_outbox (created_at);

-- One row per event and subscription, updated by each attempt.
CREATE TABLE webhook_deliveries (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	subscription_id		bigint NOT NULL
				REFERENCES webhook_subscriptions (id)
				ON DELETE CASCADE,
	seq			bigint NOT NULL REFERENCES webhook_outbox (seq)
				ON DELETE CASCADE,
	subject			text NOT NULL DEFAULT '',	-- ordering key
	state			text NOT NULL DEFAULT 'pending'
				CHECK (state IN ('pending', 'delivered',
				'failed')),
	attempts		integer NOT NULL DEFAULT 0,
	status_code		integer,
	latency_ms		integer,
	error			text,
	next_attempt_at		timestamptz NOT NULL DEFAULT now(),
	last_attempt_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now()
);
-- The sender's scan: the oldest pending delivery of each
-- (subscription, user) is the only one that may go.
CREATE INDEX webhook_deliveries_pending_idx
	ON webhook_deliveries (subscription_id, subject, id)
	WHERE state = 'pending';
CREATE INDEX webhook_deliveries_sub_idx
	ON webhook_deliveries (subscription_id, id);
CREATE INDEX webhook_deliveries_seq_idx ON webhook_deliveries (seq);

-- Adds an event of type p_type about p_user (may be NULL) with p_data,
-- fanned out to every enabled subscription that wants the type.  Returns
-- the event id.  Runs with its owner's rights: the daemons that emit
-- events may not read the subscriptions' secrets.
CREATE FUNCTION pf_webhook_emit(p_type text, p_user text, p_data jsonb)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
	eid	text := 'evt_' || replace(gen_random_uuid()::text, '-', '');
	s	bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled
	    AND (events = '{}' OR p_type = ANY (events))) THEN
		RETURN NULL;	-- nobody listens: nothing to keep
	END IF;
	INSERT INTO webhook_outbox (event_id, type, subject, body)
	VALUES (eid, p_type, p_user, jsonb_build_object('id', eid,
	    'type', p_type, 'user_id', p_user,
	    'time', to_char(now() AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
	    'data', coalesce(p_data, '{}'))::text)
	RETURNING seq INTO s;
	INSERT INTO webhook_deliveries (subscription_id, seq, subject)
	SELECT id, s, coalesce(p_user, '') FROM webhook_subscriptions
	WHERE enabled AND (events = '{}' OR p_type = ANY (events));
	PERFORM pg_notify('pf_webhook', '');
	RETURN eid;
END $$;
REVOKE ALL ON FUNCTION pf_webhook_emit(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pf_webhook_emit(text, text, jsonb)
	TO polarflow_sync, polarflow_analytics, polarflow_api,
	polarflow_admin;

-- syncd delivers: it reads everything and writes the delivery state and
-- a subscription's health.
GRANT SELECT ON webhook_subscriptions, webhook_outbox TO polarflow_sync;
GRANT UPDATE (enabled, disabled_at, disabled_reason, failing_since,
	failure_streak) ON webhook_subscriptions TO polarflow_sync;
GRANT SELECT, UPDATE, DELETE ON webhook_deliveries TO polarflow_sync;
GRANT DELETE ON webhook_outbox TO polarflow_sync;
-- apid manages a service key's subscriptions and shows their deliveries;
-- it writes a secret once and never reads one back.
GRANT SELECT (id, url, events, description, owner_key_id, enabled,
	disabled_at, disabled_reason, failing_since, failure_streak,
	created_at) ON webhook_subscriptions TO polarflow_api;
GRANT INSERT (url, secret, events, description, owner_key_id),
	DELETE ON webhook_subscriptions TO polarflow_api;
GRANT SELECT (seq, event_id, type, subject, created_at) ON webhook_outbox
	TO polarflow_api;
GRANT SELECT ON webhook_deliveries TO polarflow_api;
GRANT ALL ON webhook_subscriptions, webhook_outbox, webhook_deliveries
	TO polarflow_admin;
