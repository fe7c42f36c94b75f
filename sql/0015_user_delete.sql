-- 0015_user_delete.sql -- a user's rows, every one of them: erased or
-- exported in one call.
--
-- Both functions find the tables from the catalog: every ordinary or
-- partitioned table of the schema with a user_id column, so a table added
-- by a later migration is covered without being listed anywhere.  Both
-- run with their owner's rights (no program's role may read or delete
-- every table) and are granted only to the programs that offer them.

-- Erases every row of p_user in one transaction (the caller's): the users
-- row last, after the rows that name the user; earlier audit rows of the
-- user too, and one audit row that says an erasure happened without
-- naming the user (the SHA-256 of the id lets an administrator who knows
-- it check).  Returns {"table": rows, ...} with the tables that had rows,
-- or NULL when no table had a row of p_user.
CREATE FUNCTION pf_user_delete(p_user text, p_actor text) RETURNS jsonb
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

-- Every row of p_user, table by table, as JSON: {"table": [row, ...]}.
-- Columns that hold secrets or their hashes (*_enc, *_hash) are left out.
-- NULL when the user has no row at all.
CREATE FUNCTION pf_user_export(p_user text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
	t	regclass;
	hide	text[];
	rows	jsonb;
	doc	jsonb := '{}';
BEGIN
	FOR t IN SELECT c.oid::regclass FROM pg_class c
	    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id'
	    AND NOT a.attisdropped
	    WHERE c.relnamespace = 'public'::regnamespace
	    AND c.relkind IN ('r', 'p') AND NOT c.relispartition
	    ORDER BY c.relname LOOP
		SELECT coalesce(array_agg(attname::text), '{}') INTO hide
		FROM pg_attribute WHERE attrelid = t AND attnum > 0
		AND NOT attisdropped AND attname ~ '(_enc|_hash)$';
		EXECUTE format('SELECT jsonb_agg(to_jsonb(x) - $2) FROM %s x '
		    'WHERE user_id = $1', t) INTO rows USING p_user, hide;
		IF rows IS NOT NULL THEN
			doc := doc || jsonb_build_object(t::text, rows);
		END IF;
	END LOOP;
	IF doc = '{}' THEN
		RETURN NULL;
	END IF;
	RETURN doc;
END $$;

REVOKE ALL ON FUNCTION pf_user_delete(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pf_user_export(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pf_user_delete(text, text) TO polarflow_admin,
	polarflow_sync;
GRANT EXECUTE ON FUNCTION pf_user_export(text) TO polarflow_admin,
	polarflow_api;
