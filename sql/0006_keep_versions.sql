-- 0006_keep_versions.sql -- never lose what Polar sent.
--
-- Polar keeps about 28 days; this database keeps the rest, so a stored
-- row is the only copy.  polarflow-syncd therefore never lets a later,
-- poorer answer erase a richer row (the rule is in polarflow-syncd(8)),
-- and every stored version it replaces is first copied here, whole.

CREATE TABLE replaced_rows (
	user_id			text NOT NULL,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	stream			text NOT NULL,	-- sync_cursors.stream
	replaced_at		timestamptz NOT NULL DEFAULT now(),
	version			jsonb NOT NULL,	-- the row as it was stored
	PRIMARY KEY (user_id, id)
);
CREATE INDEX replaced_rows_stream_idx ON replaced_rows (user_id, stream,
	replaced_at);

-- How many samples a series column holds (object keys or array items),
-- 0 for NULL: a series with fewer samples than the stored one is poorer.
CREATE FUNCTION pf_series_len(v jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE jsonb_typeof(v)
		WHEN 'array' THEN jsonb_array_length(v)
		WHEN 'object' THEN (SELECT count(*)::integer
		    FROM jsonb_object_keys(v))
		ELSE 0 END
$$;

-- What a sync did not take as Polar sent it: per stream, records skipped
-- whole and records of which a poorer field was not taken; and, per
-- record, the fields dropped and why.
ALTER TABLE sync_logs
	ADD COLUMN records_skipped	jsonb NOT NULL DEFAULT '{}',
	ADD COLUMN records_degraded	jsonb NOT NULL DEFAULT '{}',
	ADD COLUMN dropped		jsonb NOT NULL DEFAULT '[]';

-- Daily activity whose start_time carried an offset east of UTC
-- ("...T00:00:00+02:00") was stored under the previous day, and a later
-- sync added the right day beside it: the day is the date written in
-- start_time.  A misdated row whose right day is also stored is a
-- duplicate and goes (kept in replaced_rows); one without is moved.
WITH bad AS (
	SELECT a.user_id, a.date, left(a.raw->>'start_time', 10)::date AS day
	FROM activity a
	WHERE a.raw->>'start_time' ~ '^\d{4}-\d{2}-\d{2}T'
	  AND left(a.raw->>'start_time', 10)::date <> a.date
), saved AS (
	INSERT INTO replaced_rows (user_id, stream, version)
	SELECT a.user_id, 'activity', to_jsonb(a) FROM activity a
	JOIN bad b ON (a.user_id, a.date) = (b.user_id, b.date)
	WHERE EXISTS (SELECT 1 FROM activity r
	    WHERE (r.user_id, r.date) = (b.user_id, b.day))
)
DELETE FROM activity a USING bad b
WHERE (a.user_id, a.date) = (b.user_id, b.date)
  AND EXISTS (SELECT 1 FROM activity r
      WHERE (r.user_id, r.date) = (b.user_id, b.day));

UPDATE activity a SET date = left(a.raw->>'start_time', 10)::date,
	updated_at = now()
WHERE a.raw->>'start_time' ~ '^\d{4}-\d{2}-\d{2}T'
  AND left(a.raw->>'start_time', 10)::date <> a.date
  AND NOT EXISTS (SELECT 1 FROM activity r WHERE r.user_id = a.user_id
      AND r.date = left(a.raw->>'start_time', 10)::date);
