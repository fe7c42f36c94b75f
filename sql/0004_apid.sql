-- 0004_apid.sql -- what polarflow-apid needs beyond 0001.
--
-- apid_key_lease: one round trip that authenticates an API key and leases
-- quota tokens from its fixed hourly window.  Every apid worker of every
-- instance goes through it, so the window row is the single truth; the
-- row lock (SELECT ... FOR UPDATE) makes concurrent leases add up exactly.
-- A lease never grants more than what is left of the key's limit.
--
-- Returns no row for an unknown or revoked key; otherwise the key's id,
-- user (NULL = service key), effective limit, the tokens granted now
-- (0 = quota exhausted) and the window's total after the grant.

CREATE FUNCTION apid_key_lease(p_hash text, p_window timestamptz,
    p_want integer, p_cap integer)
RETURNS TABLE (key_id bigint, key_user text, lim integer, granted integer,
    used integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	k	record;
	cur	integer;
	g	integer;
BEGIN
	SELECT a.id, a.user_id, LEAST(a.rate_limit_requests, p_cap) AS l
	    INTO k FROM api_keys a
	    WHERE a.key_hash = p_hash AND a.is_active;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	INSERT INTO api_rate_windows AS w (key_id, window_start, requests)
	    VALUES (k.id, p_window, 0)
	    ON CONFLICT (key_id, window_start) DO NOTHING;
	SELECT w.requests INTO cur FROM api_rate_windows w
	    WHERE w.key_id = k.id AND w.window_start = p_window FOR UPDATE;
	g := LEAST(p_want, GREATEST(k.l - cur, 0));
	IF g > 0 THEN
		UPDATE api_rate_windows w SET requests = cur + g
		    WHERE w.key_id = k.id AND w.window_start = p_window;
		-- last_used_at to the minute: no write per lease.
		UPDATE api_keys a SET last_used_at = now() WHERE a.id = k.id
		    AND (a.last_used_at IS NULL OR
		    a.last_used_at < now() - interval '1 minute');
	END IF;
	-- Old windows are dead weight; sweep them now and then.
	IF random() < 0.001 THEN
		DELETE FROM api_rate_windows w
		    WHERE w.window_start < p_window - interval '1 day';
	END IF;
	RETURN QUERY SELECT k.id, k.user_id, k.l, g, cur + g;
END $$;

-- Every change of a key row (revoke, regenerate, new limit, delete) is
-- announced on channel apid_keys with the key id, so apid workers drop
-- their cached copy at once whoever made the change.
CREATE FUNCTION apid_keys_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('apid_keys', OLD.id::text);
	RETURN NULL;
END $$;

-- last_used_at moves on every lease: that alone is not news.
CREATE TRIGGER api_keys_notify_upd AFTER UPDATE ON api_keys
	FOR EACH ROW
	WHEN (OLD.key_hash IS DISTINCT FROM NEW.key_hash
	    OR OLD.is_active IS DISTINCT FROM NEW.is_active
	    OR OLD.user_id IS DISTINCT FROM NEW.user_id
	    OR OLD.rate_limit_requests IS DISTINCT FROM NEW.rate_limit_requests)
	EXECUTE FUNCTION apid_keys_notify();
CREATE TRIGGER api_keys_notify_del AFTER DELETE ON api_keys
	FOR EACH ROW EXECUTE FUNCTION apid_keys_notify();

-- apid caches rendered responses per user; channel apid_data says whose
-- data changed.  Stream tables already upsert analytics_state on every
-- real insert or change (0001), so one trigger there covers them; the
-- tables apid reads beyond those notify directly, deletes included.
CREATE FUNCTION apid_data_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('apid_data', OLD.user_id);
	ELSE
		PERFORM pg_notify('apid_data', NEW.user_id);
		IF TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id
		THEN
			PERFORM pg_notify('apid_data', OLD.user_id);
		END IF;
	END IF;
	RETURN NULL;
END $$;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['analytics_state', 'user_baselines',
	    'pattern_analyses', 'analytics_alerts', 'analytics_daily',
	    'analytics_documents', 'users']
	LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR '
		    'DELETE ON %I FOR EACH ROW EXECUTE FUNCTION '
		    'apid_data_notify()', t || '_apid', t);
	END LOOP;
	FOREACH t IN ARRAY ARRAY['sleep', 'nightly_recharge', 'activity',
	    'activity_samples', 'exercise', 'cardio_load',
	    'sleepwise_alertness', 'sleepwise_bedtime',
	    'continuous_heart_rate', 'spo2', 'ecg', 'body_temperature',
	    'skin_temperature', 'physical_info']
	LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I '
		    'FOR EACH ROW EXECUTE FUNCTION apid_data_notify()',
		    t || '_apid_del', t);
	END LOOP;
END $$;
