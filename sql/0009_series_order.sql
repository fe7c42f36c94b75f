-- 0009_series_order.sql -- sample series keep their time order.
--
-- Polar sends a night's hypnogram and its heart-rate, HRV and breathing
-- samples as objects keyed by clock time ("23:55": 58, ..., "00:05": 61).
-- A jsonb object sorts its keys (by length, then bytes), so a night stored
-- that way came back starting at "00:00" with its evening at the end.
-- These columns now hold an array of [time, value] pairs in the order
-- Polar sent them (its time order), which jsonb keeps.

-- The clock time "HH:MM" of a local instant (NULL stays NULL).
CREATE FUNCTION pf_local_clock(t timestamptz, off_minutes integer)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT to_char((t AT TIME ZONE 'UTC') +
	    make_interval(mins => coalesce(off_minutes, 0)), 'HH24:MI')
$$;

-- A series stored as an object, as [time, value] pairs in time order: the
-- night runs from its start's clock time (pivot) across midnight, so the
-- times at or after the pivot come first.  Without a known start, noon.
-- Anything but an object is returned as it is.
CREATE FUNCTION pf_clock_pairs(v jsonb, pivot text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN jsonb_typeof(v) = 'object' THEN
	    (SELECT coalesce(jsonb_agg(jsonb_build_array(e.key, e.value)
		ORDER BY e.key < coalesce(pivot, '12:00'), e.key), '[]')
	     FROM jsonb_each(v) AS e)
	    ELSE v END
$$;

-- The documented shape of such a series in the REST API: an object of
-- time -> value, as json (not jsonb) so it keeps the pairs' order.  A
-- series still stored as an object is shown as it is.
CREATE FUNCTION pf_clock_object(v jsonb) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE jsonb_typeof(v)
	    WHEN 'array' THEN (SELECT coalesce(json_object_agg(p.e->>0,
		p.e->1 ORDER BY p.i), '{}') FROM jsonb_array_elements(v)
		WITH ORDINALITY AS p (e, i) WHERE jsonb_typeof(p.e) = 'array'
		AND jsonb_typeof(p.e->0) = 'string')
	    ELSE v::json END
$$;

UPDATE sleep SET
	hypnogram = pf_clock_pairs(hypnogram,
	    pf_local_clock(sleep_start_time, sleep_start_offset_minutes)),
	heart_rate_samples = pf_clock_pairs(heart_rate_samples,
	    pf_local_clock(sleep_start_time, sleep_start_offset_minutes)),
	updated_at = now()
WHERE jsonb_typeof(hypnogram) = 'object'
   OR jsonb_typeof(heart_rate_samples) = 'object';

-- A recharge is the same night as the sleep of its date.
UPDATE nightly_recharge n SET
	hrv_samples = pf_clock_pairs(n.hrv_samples, (SELECT
	    pf_local_clock(s.sleep_start_time, s.sleep_start_offset_minutes)
	    FROM sleep s WHERE (s.user_id, s.date) = (n.user_id, n.date))),
	breathing_samples = pf_clock_pairs(n.breathing_samples, (SELECT
	    pf_local_clock(s.sleep_start_time, s.sleep_start_offset_minutes)
	    FROM sleep s WHERE (s.user_id, s.date) = (n.user_id, n.date))),
	updated_at = now()
WHERE jsonb_typeof(n.hrv_samples) = 'object'
   OR jsonb_typeof(n.breathing_samples) = 'object';
