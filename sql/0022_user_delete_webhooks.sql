-- A user's deletion reaches the webhook tables too.  Their rows name the
-- user in columns other than user_id (an outbox event's subject, the user
-- a Polar delivery was matched to), which pf_user_delete's catalog walk
-- does not see; the same function, replaced, deletes them as well, so a
-- deleted user leaves no row behind but the user.deleted event itself.
-- (CREATE OR REPLACE keeps its grants.)
CREATE OR REPLACE FUNCTION pf_user_delete(p_user text, p_actor text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	t	regclass;
	n	bigint;
	counts	jsonb := '{}';
BEGIN
	-- a sync that writes while we erase waits for us, then finds no user
	PERFORM 1 FROM users WHERE user_id = p_user FOR UPDATE;
	FOR t IN SELECT c.oid::regclass FROM pg_class c
	    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id'
	    AND NOT a.attisdropped
	    WHERE c.relnamespace = 'public'::regnamespace
	    AND c.relkind IN ('r', 'p') AND NOT c.relispartition
	    -- analytics_state after the tables whose triggers mark the user
	    -- in it, users last
	    ORDER BY c.relname::text IN ('analytics_state', 'users'),
	    c.relname::text = 'users', c.relname LOOP
		EXECUTE format('DELETE FROM %s WHERE user_id = $1', t)
		    USING p_user;
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n > 0 THEN
			counts := counts || jsonb_build_object(t::text, n);
		END IF;
	END LOOP;
	-- the webhook records that name the user without a user_id column:
	-- the events sent (or still to send) about them, with their
	-- deliveries, and Polar's deliveries matched to them; the
	-- user.deleted event is written after this, by the caller
	DELETE FROM webhook_outbox WHERE subject = p_user;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		counts := counts || jsonb_build_object('webhook_outbox', n);
	END IF;
	DELETE FROM polar_webhook_events WHERE matched_user = p_user;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		counts := counts || jsonb_build_object('polar_webhook_events',
		    n);
	END IF;
	IF counts = '{}' THEN
		RETURN NULL;
	END IF;
	-- apid's response caches, in every worker and instance, forget the
	-- user (tables without apid's triggers included)
	PERFORM pg_notify('apid_data', p_user);
	INSERT INTO audit_log (actor, action, user_id, details)
	VALUES (p_actor, 'user.delete', NULL, jsonb_build_object(
	    'user_sha256', encode(sha256(convert_to(p_user, 'UTF8')), 'hex'),
	    'rows', counts));
	RETURN counts;
END $$;
