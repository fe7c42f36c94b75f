-- 0001_init.sql -- the whole schema of polar-flow-server in C.
--
-- Rules (ARCHITECTURE.md, "Database"):
--  * every table of user data has user_id text NOT NULL, and every primary
--    and unique key of user data begins with user_id, so the schema can be
--    distributed by user_id later without rewriting;
--  * natural keys are the upsert targets (INSERT ... ON CONFLICT);
--  * Polar "no data" sentinels are stored as NULL; raw series are jsonb;
--    "raw" keeps the whole object Polar sent, so no field is ever lost;
--  * instants are timestamptz (UTC), calendar days are date, and the
--    wall-clock offset Polar reported is kept in *_offset_minutes.

-- ------------------------------------------------------------------
-- Users, keys, settings, audit
-- ------------------------------------------------------------------

CREATE TABLE users (
	user_id			text PRIMARY KEY
				CHECK (user_id ~ '^[A-Za-z0-9_-]{1,100}$'),
	polar_member_id		text,
	access_token_enc	text,		-- crypto.h sealed, never plain
	token_expires_at	timestamptz,
	registered_at		timestamptz,	-- AccessLink POST /v3/users done
	is_active		boolean NOT NULL DEFAULT true,
	needs_reauth		boolean NOT NULL DEFAULT false,
	consent_missing		boolean NOT NULL DEFAULT false,
	reauth_reason		text,
	last_synced_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key_hash		char(64) NOT NULL UNIQUE
				CHECK (key_hash ~ '^[0-9a-f]{64}$'),
	key_prefix		text NOT NULL,	-- "pfk_" + 8 hex, for display
	name			text NOT NULL DEFAULT '',
	-- NULL = service-level key (any user); else only this user's data
	user_id			text REFERENCES users (user_id) ON DELETE CASCADE,
	is_active		boolean NOT NULL DEFAULT true,
	rate_limit_requests	integer NOT NULL DEFAULT 1000
				CHECK (rate_limit_requests > 0),
	created_at		timestamptz NOT NULL DEFAULT now(),
	last_used_at		timestamptz,
	revoked_at		timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);
CREATE INDEX api_keys_prefix_idx ON api_keys (key_prefix);

-- Fixed hourly windows, one row per key and window, shared by every apid
-- worker and instance on this database.
CREATE TABLE api_rate_windows (
	key_id			bigint NOT NULL REFERENCES api_keys (id)
				ON DELETE CASCADE,
	window_start		timestamptz NOT NULL,
	requests		integer NOT NULL DEFAULT 0,
	PRIMARY KEY (key_id, window_start)
);

-- Short-lived single-use codes of the SaaS OAuth bridge (upstream §2.9).
CREATE TABLE temp_auth_codes (
	code_hash		char(64) PRIMARY KEY,
	user_id			text NOT NULL REFERENCES users (user_id)
				ON DELETE CASCADE,
	client_id		text,
	is_used			boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL
);
CREATE INDEX temp_auth_codes_user_idx ON temp_auth_codes (user_id);

-- OAuth "state" values handed to Polar's authorize page (CSRF guard).
CREATE TABLE oauth_states (
	state_hash		char(64) PRIMARY KEY,
	redirect_uri		text NOT NULL,
	client_id		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL,
	used_at			timestamptz
);

CREATE TABLE app_settings (
	id			integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	polar_client_id		text,
	polar_client_secret_enc	text,		-- crypto.h sealed
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT now(),
	actor			text NOT NULL,	-- "polarctl:root", "apid:key:12"
	action			text NOT NULL,	-- "user.add", "key.revoke", ...
	user_id			text,		-- subject, if any (not an FK:
						-- the trail outlives the user)
	details			jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);

-- ------------------------------------------------------------------
-- Sync bookkeeping (syncd)
-- ------------------------------------------------------------------

CREATE TABLE sync_logs (
	user_id			text NOT NULL,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	sync_id			uuid NOT NULL DEFAULT gen_random_uuid(),
	trigger			text NOT NULL CHECK (trigger IN
				('scheduler', 'manual', 'webhook', 'startup',
				 'api', 'polarctl')),
	status			text NOT NULL DEFAULT 'started' CHECK (status IN
				('started', 'success', 'partial', 'failed',
				 'skipped')),
	started_at		timestamptz NOT NULL DEFAULT now(),
	completed_at		timestamptz,
	duration_ms		integer,
	days_requested		integer,
	first_day		date,
	last_day		date,
	records_synced		jsonb NOT NULL DEFAULT '{}',	-- {stream: n}
	stream_status		jsonb NOT NULL DEFAULT '{}',	-- {stream: s}
	api_calls_made		integer NOT NULL DEFAULT 0,
	error_type		text,
	error_message		text,
	error_details		jsonb,
	rate_limit_usage_15m	integer,
	rate_limit_limit_15m	integer,
	rate_limit_usage_24h	integer,
	rate_limit_limit_24h	integer,
	PRIMARY KEY (user_id, id),
	UNIQUE (user_id, sync_id)
);
CREATE INDEX sync_logs_started_idx ON sync_logs (started_at);
CREATE INDEX sync_logs_status_idx ON sync_logs (status, started_at);

-- Per user: when the next routine sync is due; survives restarts.
CREATE TABLE sync_state (
	user_id			text PRIMARY KEY,
	next_due_at		timestamptz NOT NULL DEFAULT now(),
	last_started_at		timestamptz,
	last_finished_at	timestamptz,
	last_status		text,
	consecutive_failures	integer NOT NULL DEFAULT 0,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_state_due_idx ON sync_state (next_due_at);

-- Per user and stream: how far the stream is known to be complete.
CREATE TABLE sync_cursors (
	user_id			text NOT NULL,
	stream			text NOT NULL,
	last_success_at		timestamptz,
	last_attempt_at		timestamptz,
	covered_until		date,		-- newest day fully synced
	cursor			jsonb NOT NULL DEFAULT '{}',
	last_error		text,
	consecutive_failures	integer NOT NULL DEFAULT 0,
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, stream)
);

-- ------------------------------------------------------------------
-- Polar data streams (syncd writes, everybody reads)
-- ------------------------------------------------------------------

CREATE TABLE sleep (
	user_id			text NOT NULL,
	date			date NOT NULL,	-- the day the user woke up
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	sleep_start_time	timestamptz,
	sleep_end_time		timestamptz,
	sleep_start_offset_minutes integer,
	sleep_end_offset_minutes integer,
	device_id		text,
	total_sleep_seconds	integer,
	light_sleep_seconds	integer,
	deep_sleep_seconds	integer,
	rem_sleep_seconds	integer,
	unrecognized_sleep_seconds integer,
	interruptions_seconds	integer,
	short_interruption_seconds integer,
	long_interruption_seconds integer,
	sleep_score		integer,
	sleep_rating		integer,
	sleep_charge		integer,
	sleep_goal_seconds	integer,
	sleep_cycles		integer,
	continuity		double precision,
	continuity_class	integer,
	group_duration_score	double precision,
	group_solidity_score	double precision,
	group_regeneration_score double precision,
	hrv_avg			double precision,
	hrv_samples		integer,
	heart_rate_avg		double precision,
	heart_rate_min		integer,
	heart_rate_max		integer,
	breathing_rate_avg	double precision,
	skin_temperature_avg	double precision,
	hypnogram		jsonb,
	heart_rate_samples	jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, date)
);

CREATE TABLE nightly_recharge (
	user_id			text NOT NULL,
	date			date NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	heart_rate_avg		double precision,
	beat_to_beat_avg	double precision,
	hrv_avg			double precision,	-- RMSSD, ms
	breathing_rate_avg	double precision,
	heart_rate_variability_avg double precision,
	ans_charge		double precision,	-- -10..+10
	ans_charge_status	integer,
	hrv_status		integer,
	breathing_rate_status	integer,
	heart_rate_status	integer,
	nightly_recharge_status	integer,		-- 1..6
	sleep_score		integer,
	sleep_charge		double precision,
	sleep_charge_status	integer,
	hrv_samples		jsonb,
	breathing_samples	jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, date)
);

CREATE TABLE activity (
	user_id			text NOT NULL,
	date			date NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	start_time		timestamptz,
	end_time		timestamptz,
	offset_minutes		integer,
	steps			integer,
	distance_meters		double precision,
	calories_active		integer,
	calories_total		integer,
	active_time_seconds	integer,
	inactive_time_seconds	integer,
	activity_score		integer,
	daily_activity_percent	double precision,
	inactivity_alerts	integer,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, date)
);

CREATE TABLE activity_samples (
	user_id			text NOT NULL,
	date			date NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	total_steps		integer,
	interval_ms		integer,
	sample_count		integer NOT NULL DEFAULT 0,
	samples			jsonb,		-- steps per interval
	met_samples		jsonb,
	zone_samples		jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, date)
);

CREATE TABLE exercise (
	user_id			text NOT NULL,
	polar_exercise_id	text NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	start_time		timestamptz NOT NULL,
	start_offset_minutes	integer,
	stop_time		timestamptz,
	duration_seconds	double precision,
	device			text,
	device_id		text,
	sport			text,
	detailed_sport_info	text,
	distance_meters		double precision,
	average_speed_mps	double precision,
	max_speed_mps		double precision,
	average_heart_rate	integer,
	max_heart_rate		integer,
	min_heart_rate		integer,
	calories		integer,
	training_load		double precision,
	ascent_meters		double precision,
	descent_meters		double precision,
	average_cadence		double precision,
	max_cadence		integer,
	average_power		double precision,
	max_power		integer,
	running_index		integer,
	fat_percentage		integer,
	carbohydrate_percentage	integer,
	protein_percentage	integer,
	notes			text,
	has_route		boolean NOT NULL DEFAULT false,
	training_load_pro	jsonb,
	heart_rate_zones	jsonb,
	samples			jsonb,
	route			jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, polar_exercise_id),
	UNIQUE (user_id, id)
);
CREATE INDEX exercise_user_start_idx ON exercise (user_id, start_time);

CREATE TABLE cardio_load (
	user_id			text NOT NULL,
	date			date NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	cardio_load		double precision,	-- NULL for Polar's -1
	cardio_load_status	text,
	cardio_load_ratio	double precision,	-- NULL for Polar's -1
	strain			double precision,
	tolerance		double precision,
	load_very_low		double precision,
	load_low		double precision,
	load_medium		double precision,
	load_high		double precision,
	load_very_high		double precision,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, date)
);

CREATE TABLE sleepwise_alertness (
	user_id			text NOT NULL,
	period_start_time	timestamptz NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	period_end_time		timestamptz,
	grade			double precision,
	grade_validity_seconds	integer,
	grade_type		text,
	grade_classification	text,
	validity		text,
	sleep_inertia		text,
	sleep_type		text,
	result_type		text,
	sleep_period_start_time	timestamptz,
	sleep_period_end_time	timestamptz,
	sleep_timezone_offset_minutes integer,
	hourly_data		jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, period_start_time)
);

CREATE TABLE sleepwise_bedtime (
	user_id			text NOT NULL,
	period_start_time	timestamptz NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	period_end_time		timestamptz,
	validity		text,
	quality			text,
	result_type		text,		-- HISTORY / PREDICTION
	preferred_sleep_start	timestamptz,
	preferred_sleep_end	timestamptz,
	sleep_gate_start	timestamptz,
	sleep_gate_end		timestamptz,
	sleep_timezone_offset_minutes integer,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, period_start_time)
);

CREATE TABLE continuous_heart_rate (
	user_id			text NOT NULL,
	date			date NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	sample_count		integer NOT NULL DEFAULT 0,
	hr_min			integer,	-- NULL when no non-zero sample
	hr_max			integer,
	hr_avg			integer,
	resting_hr_estimate	integer,
	samples			jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, date)
);

-- The four biosensing tables carry the unique keys upstream forgot
-- (its ON CONFLICT statements failed on PostgreSQL).
CREATE TABLE spo2 (
	user_id			text NOT NULL,
	test_time		timestamptz NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	device_id		text,
	timezone_offset_minutes	integer,
	blood_oxygen_percent	integer,
	spo2_class		text,
	spo2_deviation		text,
	quality_percent		double precision,
	avg_heart_rate		integer,
	hrv_ms			double precision,
	hrv_deviation		text,
	altitude_meters		double precision,
	test_status		text,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, test_time)
);

CREATE TABLE ecg (
	user_id			text NOT NULL,
	test_time		timestamptz NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	device_id		text,
	timezone_offset_minutes	integer,
	avg_heart_rate		integer,
	hrv_ms			double precision,
	hrv_level		text,
	rri_ms			double precision,
	ptt_systolic_ms		double precision,
	ptt_diastolic_ms	double precision,
	ptt_quality_index	double precision,
	sample_count		integer NOT NULL DEFAULT 0,
	duration_seconds	double precision,
	samples			jsonb,		-- waveform
	quality			jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, test_time)
);

CREATE TABLE body_temperature (
	user_id			text NOT NULL,
	start_time		timestamptz NOT NULL,
	measurement_type	text NOT NULL DEFAULT '',
	sensor_location		text NOT NULL DEFAULT '',
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	end_time		timestamptz,
	modified_time		timestamptz,
	device_id		text,
	temp_min		double precision,
	temp_max		double precision,
	temp_avg		double precision,
	sample_count		integer NOT NULL DEFAULT 0,
	samples			jsonb,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, start_time, measurement_type, sensor_location)
);

CREATE TABLE skin_temperature (
	user_id			text NOT NULL,
	sleep_date		date NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	temperature_celsius	double precision,
	deviation_from_baseline	double precision,
	is_elevated		boolean,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, sleep_date)
);

CREATE TABLE physical_info (
	user_id			text NOT NULL,
	recorded_at		timestamptz NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	weight_kg		double precision,
	height_cm		double precision,
	birthday		date,
	gender			text,
	maximum_heart_rate	integer,
	resting_heart_rate	integer,
	aerobic_threshold	integer,
	anaerobic_threshold	integer,
	vo2_max			integer,
	weight_source		text,
	training_background	text,
	typical_day		text,
	sleep_goal_seconds	integer,
	raw			jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, recorded_at)
);

-- ------------------------------------------------------------------
-- Analytics (analyticsd writes, apid reads)
-- ------------------------------------------------------------------

-- Which users need recomputing: data_changed_at is bumped by the triggers
-- below whenever a stream row of the user is inserted or really changed
-- (a re-sync that only moves updated_at does not count), whoever wrote
-- it.  analyticsd recomputes every user with data_changed_at >
-- analytics_run_at, so a lost event never leaves a user stale.
CREATE TABLE analytics_state (
	user_id			text PRIMARY KEY,
	data_changed_at		timestamptz NOT NULL DEFAULT now(),
	analytics_started_at	timestamptz,
	analytics_run_at	timestamptz,	-- data seen up to this run
	last_duration_ms	integer,
	last_error		text,
	run_count		bigint NOT NULL DEFAULT 0
);
CREATE INDEX analytics_state_stale_idx
	ON analytics_state (data_changed_at, analytics_run_at);

CREATE TABLE user_baselines (
	user_id			text NOT NULL,
	metric_name		text NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	baseline_value		double precision NOT NULL,
	baseline_7d		double precision,
	baseline_30d		double precision,
	baseline_90d		double precision,
	std_dev			double precision,
	median_value		double precision,
	q1			double precision,
	q3			double precision,
	min_value		double precision,
	max_value		double precision,
	sample_count		integer NOT NULL DEFAULT 0,
	status			text NOT NULL CHECK (status IN
				('ready', 'partial', 'insufficient')),
	data_start_date		date,
	data_end_date		date,
	calculated_at		timestamptz NOT NULL DEFAULT now(),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, metric_name)
);

CREATE TABLE pattern_analyses (
	user_id			text NOT NULL,
	pattern_type		text NOT NULL,
	pattern_name		text NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	metrics_involved	jsonb NOT NULL DEFAULT '[]',
	analysis_window_days	integer NOT NULL DEFAULT 30,
	score			double precision,
	confidence		double precision,
	significance		text NOT NULL CHECK (significance IN
				('high', 'medium', 'low', 'insufficient')),
	details			jsonb,
	sample_count		integer NOT NULL DEFAULT 0,
	analyzed_at		timestamptz NOT NULL DEFAULT now(),
	valid_until		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, pattern_type, pattern_name)
);

-- Anomaly alerts: what was flagged, when first seen, when it cleared.
CREATE TABLE analytics_alerts (
	user_id			text NOT NULL,
	metric_name		text NOT NULL,
	day			date NOT NULL,
	severity		text NOT NULL CHECK (severity IN
				('warning', 'critical')),
	value			double precision NOT NULL,
	lower_bound		double precision,
	upper_bound		double precision,
	direction		text,		-- "low" / "high"
	first_seen_at		timestamptz NOT NULL DEFAULT now(),
	last_seen_at		timestamptz NOT NULL DEFAULT now(),
	cleared_at		timestamptz,
	PRIMARY KEY (user_id, metric_name, day)
);
CREATE INDEX analytics_alerts_open_idx
	ON analytics_alerts (user_id, cleared_at);

-- Day-indexed derived series: rolling averages, HRV band, ACWR, CTL/ATL/
-- TSB, sleep debt, recovery score ...
CREATE TABLE analytics_daily (
	user_id			text NOT NULL,
	metric_name		text NOT NULL,
	day			date NOT NULL,
	value			double precision,
	details			jsonb,
	computed_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, metric_name, day)
);

-- Whole documents computed per user (insights, readiness, status).
CREATE TABLE analytics_documents (
	user_id			text NOT NULL,
	kind			text NOT NULL,
	payload			jsonb NOT NULL,
	computed_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, kind)
);

-- ------------------------------------------------------------------
-- Change tracking for analytics (see analytics_state)
-- ------------------------------------------------------------------

CREATE FUNCTION pf_mark_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO analytics_state AS s (user_id, data_changed_at)
	SELECT DISTINCT n.user_id, now() FROM new_rows n
	ON CONFLICT (user_id) DO UPDATE
		SET data_changed_at = excluded.data_changed_at;
	RETURN NULL;
END $$;

-- A row counts as changed when anything but created_at/updated_at differs.
CREATE FUNCTION pf_mark_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO analytics_state AS s (user_id, data_changed_at)
	SELECT DISTINCT d.user_id, now() FROM (
		SELECT n.user_id, to_jsonb(n) - 'updated_at' - 'created_at'
		FROM new_rows n
		EXCEPT
		SELECT o.user_id, to_jsonb(o) - 'updated_at' - 'created_at'
		FROM old_rows o
	) AS d (user_id, j)
	ON CONFLICT (user_id) DO UPDATE
		SET data_changed_at = excluded.data_changed_at;
	RETURN NULL;
END $$;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['sleep', 'nightly_recharge', 'activity',
	    'activity_samples', 'exercise', 'cardio_load',
	    'sleepwise_alertness', 'sleepwise_bedtime',
	    'continuous_heart_rate', 'spo2', 'ecg', 'body_temperature',
	    'skin_temperature', 'physical_info']
	LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I '
		    'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
		    'EXECUTE FUNCTION pf_mark_inserted()', t || '_ins', t);
		EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I '
		    'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
		    'FOR EACH STATEMENT EXECUTE FUNCTION pf_mark_updated()',
		    t || '_upd', t);
	END LOOP;
END $$;
