-- 0008_hrv.sql -- HRV sessions: RR recordings and their analysis.
--
-- One row per recording: what the client (or Polar) sent -- the raw RR
-- intervals, its tags, time and device -- and what common/hrv made of it:
-- the corrected (NN) series, every metric, the HRV Metrics API's view of
-- them, and the algorithm version that computed them, so that a newer
-- version can recompute older rows.  Sessions posted to apid are stored
-- with their results in the one INSERT that answers the POST; sessions
-- from Polar exercises with RR samples are made by analyticsd.

CREATE TABLE hrv_sessions (
	user_id			text NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	-- the client's recordingSessionId, or "polar:<polar_exercise_id>"
	recording_id		text NOT NULL
				CHECK (length(recording_id) BETWEEN 1 AND 200),
	source			text NOT NULL
				CHECK (source IN ('api', 'polar')),
	-- the HRV Metrics API's own user_id (an e-mail) when it differs
	client_user		text,
	recorded_at		timestamptz NOT NULL,
	-- the zone the recording was made in (its local day): the body's
	-- offset, Polar's start_time_utc_offset
	utc_offset_minutes	integer NOT NULL DEFAULT 0
				CHECK (abs(utc_offset_minutes) <= 1080),
	tags			text[] NOT NULL DEFAULT '{}',
	device			jsonb NOT NULL DEFAULT '{}',
	heart_rate		integer,	-- as the client reported it
	motion_artifacts	boolean NOT NULL DEFAULT false,
	-- a posted session with a tag of hrv_morning_tags (the morning
	-- lnRMSSD series): its insert or delete marks the user for analyticsd
	feeds_analytics		boolean NOT NULL DEFAULT false,
	rr			double precision[] NOT NULL,
	nn			double precision[] NOT NULL,
	algo_version		integer NOT NULL,
	-- every metric of the analysis (null where undefined), the warnings
	-- and the artifact counts
	metrics			jsonb NOT NULL,
	-- the HRV Metrics API's "metrics" and "indexes" objects
	compat			jsonb NOT NULL,
	rmssd			double precision,
	valid			boolean NOT NULL,
	reason			text,
	computed_at		timestamptz NOT NULL DEFAULT now(),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, id),
	UNIQUE (user_id, recording_id)
);
CREATE INDEX hrv_sessions_user_time_idx
	ON hrv_sessions (user_id, recorded_at);
CREATE INDEX hrv_sessions_client_idx ON hrv_sessions (client_user)
	WHERE client_user IS NOT NULL;
CREATE INDEX hrv_sessions_recording_idx ON hrv_sessions (recording_id);

-- A posted or deleted session that feeds the analytics (a morning tag)
-- marks the user for analyticsd.  Only those: every mark also tells apid
-- (NOTIFY from analytics_state), which would halve the rate of posts, and
-- other sessions change no analytics.  Sessions analyticsd makes itself
-- from Polar exercises never do, or its own writes would make the user
-- stale again after every run.
CREATE FUNCTION pf_hrv_mark() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
	u text;
BEGIN
	IF TG_OP = 'DELETE' THEN
		u := OLD.user_id;
	ELSE
		u := NEW.user_id;
	END IF;
	INSERT INTO analytics_state AS s (user_id, data_changed_at)
	VALUES (u, now())
	ON CONFLICT (user_id) DO UPDATE
		SET data_changed_at = excluded.data_changed_at;
	RETURN NULL;
END $$;
CREATE TRIGGER hrv_sessions_mark_ins AFTER INSERT ON hrv_sessions
	FOR EACH ROW WHEN (NEW.feeds_analytics)
	EXECUTE FUNCTION pf_hrv_mark();
CREATE TRIGGER hrv_sessions_mark_del AFTER DELETE ON hrv_sessions
	FOR EACH ROW WHEN (OLD.feeds_analytics)
	EXECUTE FUNCTION pf_hrv_mark();

-- apid stores and deletes posted sessions; analyticsd makes Polar's and
-- recomputes old results; polarctl administers.
GRANT SELECT, INSERT, DELETE ON hrv_sessions TO polarflow_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON hrv_sessions TO polarflow_analytics;
GRANT ALL ON hrv_sessions TO polarflow_admin;
