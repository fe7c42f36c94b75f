-- 0010_ingest.sql -- Apple Health pushes (Health Auto Export, issue 18).
--
-- raw_ingestions keeps every pushed body before anything parses it: a
-- body that fails to parse, or that a later parser reads better, is
-- replayed from here (polarctl ingest replay).  The bytes are split in
-- chunks of at most 1 MiB (raw_ingestion_chunks) so that neither apid
-- nor polarctl ever holds a whole body of hundreds of MB in memory.
-- (user_id, payload_sha256) is unique: HAE resends identical bodies by
-- design, and the second one is answered with the first one's id.
--
-- health_samples is the long table of every metric point, keyed by
-- (user, metric, start, source) so that the overlapping windows HAE
-- resends change nothing; range-partitioned by month of start_at (UTC),
-- with BRIN time indexes (rows arrive roughly in time order).  The
-- partitions are made on demand by health_samples_ensure(), which the
-- ingest calls with the months a batch touches (and the next three), so
-- apid's role needs no ownership of the table.
--
-- Shapes that are not one number per instant have tables of their own:
-- workouts (with their series and routes as jsonb), ECG recordings (the
-- voltages as jsonb), aggregated sleep nights, and the other arrays of
-- the format (stateOfMind, medications, symptoms, cycleTracking,
-- heartRateNotifications, and any array not known yet) as events.

CREATE TABLE raw_ingestions (
	user_id		text NOT NULL,
	id		bigint GENERATED ALWAYS AS IDENTITY,
	api_key_id	bigint,
	payload_sha256	text NOT NULL CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
	payload_size	bigint NOT NULL CHECK (payload_size >= 0),
	content_type	text,
	chunks		integer NOT NULL DEFAULT 0,
	received_at	timestamptz NOT NULL DEFAULT now(),
	status		text NOT NULL DEFAULT 'received'
			CHECK (status IN ('received', 'processed',
			    'partial_success', 'error')),
	processed_at	timestamptz,
	replays		integer NOT NULL DEFAULT 0,
	counts		jsonb,		-- per metric/section counts
	errors		jsonb,		-- item errors, the first 1000
	error_count	integer NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, id),
	UNIQUE (user_id, payload_sha256)
);
CREATE UNIQUE INDEX raw_ingestions_id ON raw_ingestions (id);
CREATE INDEX raw_ingestions_received ON raw_ingestions (user_id,
	received_at);

CREATE TABLE raw_ingestion_chunks (
	user_id		text NOT NULL,
	ingestion_id	bigint NOT NULL,
	seq		integer NOT NULL CHECK (seq >= 0),
	data		bytea NOT NULL,
	PRIMARY KEY (user_id, ingestion_id, seq),
	FOREIGN KEY (user_id, ingestion_id) REFERENCES raw_ingestions
	    ON DELETE CASCADE
);

-- The per-key byte quota of the ingest routes, per wall-clock hour.
CREATE TABLE ingest_byte_windows (
	user_id		text NOT NULL,
	key_id		bigint NOT NULL,
	window_start	timestamptz NOT NULL,
	bytes		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, key_id, window_start)
);

-- The key's text columns compare bytewise (COLLATE "C"): every upsert
-- probes the primary key, and a locale's collation costs a fifth more.
CREATE TABLE health_samples (
	user_id		text COLLATE "C" NOT NULL,
	metric		text COLLATE "C" NOT NULL,
	start_at	timestamptz NOT NULL,
	source		text COLLATE "C" NOT NULL DEFAULT '',
	end_at		timestamptz,
	utc_offset_min	smallint,	-- the zone the date was written in
	value		double precision,	-- SI (unit)
	unit		text,
	value_orig	double precision,	-- as sent (unit_orig)
	unit_orig	text,
	vmin		double precision,	-- Min/Avg/Max shapes, SI
	vavg		double precision,
	vmax		double precision,
	extra		jsonb,		-- the rest of the point
	known		boolean NOT NULL DEFAULT true,
	ingestion_id	bigint,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, metric, start_at, source)
) PARTITION BY RANGE (start_at);
CREATE INDEX health_samples_brin ON health_samples USING brin (start_at);

-- Makes the monthly partitions of the given month starts (UTC) that do
-- not exist yet; runs with its owner's rights (apid's role may not
-- create tables).  Making one is serialised by an advisory lock: two
-- pushes that need the same new month must not both create it.
CREATE FUNCTION health_samples_ensure(p_months timestamptz[])
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
		IF to_regclass(name) IS NULL THEN
			EXECUTE format('CREATE TABLE %I PARTITION OF '
			    'health_samples FOR VALUES FROM (%L) TO (%L)',
			    name, (lo AT TIME ZONE 'UTC'),
			    ((lo + interval '1 month') AT TIME ZONE 'UTC'));
			made := made + 1;
		END IF;
	END LOOP;
	RETURN made;
END $$;
REVOKE ALL ON FUNCTION health_samples_ensure(timestamptz[]) FROM PUBLIC;

SELECT health_samples_ensure(ARRAY(SELECT generate_series(
	date_trunc('month', now()), date_trunc('month', now()) +
	interval '3 months', interval '1 month')));

CREATE TABLE health_sleep_nights (
	user_id		text NOT NULL,
	day		date NOT NULL,
	source		text NOT NULL DEFAULT '',
	total_sleep_s	double precision,
	asleep_s	double precision,
	core_s		double precision,
	deep_s		double precision,
	rem_s		double precision,
	awake_s		double precision,
	in_bed_s	double precision,
	sleep_start	timestamptz,
	sleep_end	timestamptz,
	in_bed_start	timestamptz,
	in_bed_end	timestamptz,
	utc_offset_min	smallint,
	extra		jsonb,
	ingestion_id	bigint,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, day, source)
);

CREATE TABLE health_workouts (
	user_id		text NOT NULL,
	workout_key	text NOT NULL,	-- HAE's id, or v1's name@start
	format		smallint NOT NULL,	-- 1 or 2
	name		text,
	start_at	timestamptz NOT NULL,
	end_at		timestamptz,
	utc_offset_min	smallint,
	duration_s	double precision,
	location	text,
	summary		jsonb,	-- {field: {value, unit, value_orig, unit_orig}}
	heart_rate	jsonb,	-- heartRateData, SI and as sent
	hr_recovery	jsonb,
	series		jsonb,	-- the other time series, by field
	route		jsonb,	-- [{t, lat, lon, alt, ...}]
	route_points	integer NOT NULL DEFAULT 0,
	metadata	jsonb,
	ingestion_id	bigint,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, workout_key)
);
CREATE INDEX health_workouts_start ON health_workouts (user_id, start_at);

CREATE TABLE health_ecg (
	user_id		text NOT NULL,
	start_at	timestamptz NOT NULL,
	source		text NOT NULL DEFAULT '',
	end_at		timestamptz,
	utc_offset_min	smallint,
	classification	text,
	severity	text,
	average_hr	double precision,
	sampling_hz	double precision,
	n_voltages	integer,
	voltages_v	jsonb,	-- volts, in order
	voltage_unit_orig text,
	extra		jsonb,
	ingestion_id	bigint,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, start_at, source)
);

CREATE TABLE health_events (
	user_id		text NOT NULL,
	kind		text NOT NULL,	-- the array's name
	start_at	timestamptz NOT NULL,
	event_key	text NOT NULL,	-- id, or name, or '' (one per start)
	end_at		timestamptz,
	utc_offset_min	smallint,
	data		jsonb NOT NULL,	-- the item as sent
	ingestion_id	bigint,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, kind, start_at, event_key)
);

-- apid stores the pushes and their rows (the ingest runs in apid, see
-- apid/ingest.c); polarctl replays them; analyticsd reads the samples.
GRANT SELECT, INSERT, UPDATE ON raw_ingestions, raw_ingestion_chunks,
	ingest_byte_windows, health_samples, health_sleep_nights,
	health_workouts, health_ecg, health_events
	TO polarflow_api;
GRANT DELETE ON ingest_byte_windows TO polarflow_api;
GRANT EXECUTE ON FUNCTION health_samples_ensure(timestamptz[])
	TO polarflow_api, polarflow_admin;
GRANT SELECT ON health_samples, health_sleep_nights, health_workouts,
	health_ecg, health_events TO polarflow_analytics;
GRANT ALL ON raw_ingestions, raw_ingestion_chunks, ingest_byte_windows,
	health_samples, health_sleep_nights, health_workouts, health_ecg,
	health_events TO polarflow_admin;
