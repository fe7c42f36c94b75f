-- 0007_roles.sql -- what each program may do in the database.
--
-- Four group roles carry the privileges; the login roles the programs
-- connect as are members ("polarctl setup" makes _polarsync,
-- _polaranalytics and _polarapi, the system users of the units, so that
-- peer authentication works as installed).  Each role gets what its
-- program's statements need and nothing else:
--   polarflow_sync       writes the synced data, users and their tokens,
--                        the sync bookkeeping and the replaced versions;
--   polarflow_analytics  reads the data, writes the analytics tables;
--   polarflow_api        reads data and analytics, never a token or a
--                        secret; writes only what it owns: API keys, rate
--                        windows, OAuth states and codes, the audit log;
--   polarflow_admin      everything (polarctl).
-- A later migration that creates a table grants it here too.
--
-- Creating the roles needs CREATEROLE (or a superuser) once; where they
-- exist already (another database of the same cluster) they are reused.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['polarflow_sync', 'polarflow_analytics',
	    'polarflow_api', 'polarflow_admin'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO polarflow_sync, polarflow_analytics,
	polarflow_api, polarflow_admin;

-- polarctl administers every table and sequence of the schema.
GRANT ALL ON ALL TABLES IN SCHEMA public TO polarflow_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO polarflow_admin;

-- The synced data: syncd writes it, analyticsd and apid read it.
GRANT SELECT, INSERT, UPDATE, DELETE ON sleep, nightly_recharge, activity,
	activity_samples, exercise, cardio_load, sleepwise_alertness,
	sleepwise_bedtime, continuous_heart_rate, spo2, ecg, body_temperature,
	skin_temperature, physical_info, replaced_rows
	TO polarflow_sync;
GRANT SELECT ON sleep, nightly_recharge, activity, activity_samples,
	exercise, cardio_load, sleepwise_alertness, sleepwise_bedtime,
	continuous_heart_rate, spo2, ecg, body_temperature, skin_temperature,
	physical_info
	TO polarflow_analytics, polarflow_api;

-- Users: syncd owns them with their sealed tokens; the others see every
-- column but the token.
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO polarflow_sync;
GRANT SELECT (user_id, polar_member_id, token_expires_at, registered_at,
	is_active, needs_reauth, consent_missing, reauth_reason,
	last_synced_at, created_at, updated_at)
	ON users TO polarflow_analytics, polarflow_api;

-- The sync's bookkeeping; apid shows the sync log (sync status).
GRANT SELECT, INSERT, UPDATE, DELETE ON sync_logs, sync_state, sync_cursors
	TO polarflow_sync;
GRANT SELECT ON sync_logs, sync_state TO polarflow_api, polarflow_analytics;
GRANT SELECT ON app_settings, schema_migrations TO polarflow_sync,
	polarflow_analytics, polarflow_api;

-- Analytics: analyticsd writes, apid reads.
GRANT SELECT, INSERT, UPDATE, DELETE ON analytics_state, user_baselines,
	pattern_analyses, analytics_alerts, analytics_daily,
	analytics_documents
	TO polarflow_analytics;
GRANT SELECT ON analytics_state, user_baselines, pattern_analyses,
	analytics_alerts, analytics_daily, analytics_documents
	TO polarflow_api;

-- What apid owns.  syncd keeps the OAuth states of the flows it runs.
GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys, api_rate_windows,
	temp_auth_codes, oauth_states
	TO polarflow_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_states, temp_auth_codes
	TO polarflow_sync;
GRANT INSERT ON audit_log TO polarflow_sync, polarflow_analytics,
	polarflow_api;

-- A data change marks the user for analyticsd (analytics_state) from a
-- trigger; the trigger runs with its owner's rights so that syncd needs
-- no write access to an analytics table.
ALTER FUNCTION pf_mark_inserted() SECURITY DEFINER SET search_path = public;
ALTER FUNCTION pf_mark_updated() SECURITY DEFINER SET search_path = public;

-- polarctl setup: a login role for a program's system user, member of its
-- group role (made, or joined if it exists).  Only polarctl may call it.
CREATE FUNCTION pf_login_role(login text, grp text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	IF grp NOT IN ('polarflow_sync', 'polarflow_analytics',
	    'polarflow_api', 'polarflow_admin') THEN
		RAISE EXCEPTION 'not a polarflow group role: %', grp;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
		IF NOT pg_has_role(login, grp, 'MEMBER') THEN
			EXECUTE format('GRANT %I TO %I', grp, login);
			RETURN 'joined';
		END IF;
		RETURN 'present';
	END IF;
	EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', login, grp);
	RETURN 'created';
END $$;
REVOKE ALL ON FUNCTION pf_login_role(text, text) FROM PUBLIC;
