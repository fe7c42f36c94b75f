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
	source			text NOT NULL CHECK (source IN ('api', 'polar')),
	-- the HRV Metrics API's own user_id (an e-mail) when it differs
	client_user		text,
	recorded_at		timestamptz NOT NULL,
	tags			text[] NOT NULL DEFAULT '{}',
	device			jsonb NOT NULL DEFAULT '{}',
	heart_rate		integer,	-- as the client reported it
	motion_artifacts	boolean NOT NULL DEFAULT false,
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
CREATE INDEX hrv_sessions_tags_idx ON hrv_sessions USING gin (tags);
CREATE INDEX hrv_sessions_client_idx ON hrv_sessions (client_user)
	WHERE client_user IS NOT NULL;
CREATE INDEX hrv_sessions_recording_idx ON hrv_sessions (recording_id);
CREATE INDEX hrv_sessions_algo_idx ON hrv_sessions (algo_version);

-- A posted or deleted session changes the user's analytics (the morning
-- lnRMSSD series): mark the user for analyticsd.  Sessions analyticsd
-- makes itself from Polar exercises do not, or its own writes would make
-- the user stale again after every run.
CREATE FUNCTION pf_hrv_mark() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
	r hrv_sessions;
BEGIN
	IF TG_OP = 'DELETE' THEN
		r := OLD;
	ELSE
		r := NEW;
	END IF;
	IF r.source = 'api' THEN
		INSERT INTO analytics_state AS s (user_id, data_changed_at)
		VALUES (r.user_id, now())
		ON CONFLICT (user_id) DO UPDATE
			SET data_changed_at = excluded.data_changed_at;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER hrv_sessions_mark AFTER INSERT OR DELETE ON hrv_sessions
	FOR EACH ROW EXECUTE FUNCTION pf_hrv_mark();

-- apid stores and deletes posted sessions; analyticsd makes Polar's and
-- recomputes old results; polarctl administers.
GRANT SELECT, INSERT, DELETE ON hrv_sessions TO polarflow_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON hrv_sessions TO polarflow_analytics;
GRANT ALL ON hrv_sessions TO polarflow_admin;
