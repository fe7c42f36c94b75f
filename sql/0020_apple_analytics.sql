-- 0020_apple_analytics.sql -- Apple Health pushes feed the analytics.
--
-- analyticsd reads Apple's steps, active energy, resting heart rate and
-- HRV (SDNN) from health_samples and its sleep from health_sleep_nights
-- (see polarflow-analyticsd(8), APPLE HEALTH).  A push that changes
-- any of those marks its user in analytics_state, as the triggers of the
-- Polar tables do, so that a lost wake-up still leaves the user stale
-- for analyticsd's reconcile.
--
-- Marked by the ingest once per push rather than by a trigger on
-- health_samples: a statement trigger with a transition table would
-- copy every row of every batch (hundreds of thousands per push) only
-- to find one user, and most samples (heart rate, energy of every
-- minute) feed no analytics.  Runs with its owner's rights: apid's and
-- polarctl's roles may not write analytics_state.
CREATE FUNCTION health_mark_changed(p_user text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
	INSERT INTO analytics_state AS s (user_id, data_changed_at)
	VALUES (p_user, now())
	ON CONFLICT (user_id) DO UPDATE
		SET data_changed_at = excluded.data_changed_at;
$$;
REVOKE ALL ON FUNCTION health_mark_changed(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION health_mark_changed(text)
	TO polarflow_api, polarflow_admin;


-- Two pushes that need the same new month at once: the second one's
-- check after the advisory lock did not see the partition the first had
-- just made (taking an advisory lock reads no catalog invalidations), and
-- its CREATE TABLE failed the whole batch.  The partition being there is
-- what was wanted, so "already exists" now counts as made by the other.
CREATE OR REPLACE FUNCTION health_samples_ensure(p_months timestamptz[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
	m	timestamptz;
	lo	timestamp;
	name	text;
	made	integer := 0;
BEGIN
	FOREACH m IN ARRAY p_months LOOP
		lo := date_trunc('month', m AT TIME ZONE 'UTC');
		IF lo < '1900-01-01' OR lo > '2200-01-01' THEN
			CONTINUE;
		END IF;
		name := 'health_samples_' || to_char(lo, 'YYYYMM');
		IF to_regclass(name) IS NOT NULL THEN
			CONTINUE;
		END IF;
		PERFORM pg_advisory_xact_lock(hashtext('health_samples_ensure'));
		BEGIN
			EXECUTE format('CREATE TABLE %I PARTITION OF '
			    'health_samples FOR VALUES FROM (%L) TO (%L)',
			    name, (lo AT TIME ZONE 'UTC'),
			    ((lo + interval '1 month') AT TIME ZONE 'UTC'));
			made := made + 1;
		EXCEPTION WHEN duplicate_table THEN
			NULL;
		END;
	END LOOP;
	RETURN made;
END $$;
