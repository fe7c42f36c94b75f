-- 0019_partition_history.sql -- monthly partitions for the sample
-- tables that grow for years (issue 19).
--
-- activity_samples and continuous_heart_rate (one row per user and day,
-- each with a day of samples as jsonb) become range-partitioned by month
-- of date, like health_samples (0010): partitions named <table>_YYYYMM,
-- a BRIN index on the key (rows arrive in time order), the primary key
-- (user_id, date) unchanged -- it already holds the partition key, so
-- syncd's ON CONFLICT (user_id, date) upserts keep their target.
--
-- exercise is not partitioned: it has one row per training session, and
-- its identities -- Polar's exercise id, the uuid apid's routes address
-- -- are not bound to a time; every unique key of a partitioned table
-- must hold the partition key, so both would lose their uniqueness.
--
-- Online: polarctl runs each migration file in one transaction, so the
-- rows cannot move in committed batches inside it.  This file therefore
-- does only what costs no copy of the history: the old table is renamed
-- to <table>_default and attached as the DEFAULT partition of the new
-- parent (one read-only scan to validate it, no rows written), the rows
-- of the current month and later move to monthly partitions, and the
-- partitions of the next three months are made.  Readers and syncd see
-- every row through the parent from the commit on.  The older months are
-- then moved out of the default partition one month per transaction by
-- pf_history_split(), which "polarctl db partitions --split" calls until
-- the default is empty; between two months the tables are fully usable.
-- The default partition stays (empty): a row for a month that has no
-- partition yet -- a user's old history synced late -- is never refused,
-- and the next split moves it.
--
-- Partitions ahead are made by pf_history_ahead(), which syncd (the only
-- writer of these tables) calls at start and once a day: the upsert path
-- then costs no extra statement per batch, and three months ahead leave
-- weeks of slack if syncd is down; the default partition catches the
-- rest.

-- Makes the monthly partition of p_parent holding p_month (any instant in
-- it, UTC), moving the rows of that month out of the parent's default
-- partition if it has one; returns the rows moved, or -1 when the
-- partition existed already.  SECURITY DEFINER: the daemons' roles may
-- not create tables.  Serialised per parent by an advisory lock.
CREATE FUNCTION pf_history_partition(p_parent text, p_month timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
	lo	timestamp;
	keycol	text;
	keytype	text;
	name	text;
	deflt	text;
	vlo	text;
	vhi	text;
	moved	bigint := 0;
BEGIN
	IF p_parent NOT IN ('activity_samples', 'continuous_heart_rate',
	    'health_samples') THEN
		RAISE EXCEPTION 'not a partitioned history table: %', p_parent;
	END IF;
	lo := date_trunc('month', p_month AT TIME ZONE 'UTC');
	IF lo < '1900-01-01' OR lo > '2200-01-01' THEN
		RETURN -1;
	END IF;
	name := p_parent || '_' || to_char(lo, 'YYYYMM');
	IF to_regclass(name) IS NOT NULL THEN
		RETURN -1;
	END IF;
	-- health_samples_ensure() takes the same lock for its parent
	PERFORM pg_advisory_xact_lock(hashtext(p_parent || '_ensure'));
	IF to_regclass(name) IS NOT NULL THEN
		RETURN -1;
	END IF;
	SELECT a.attname, format_type(a.atttypid, a.atttypmod)
	    INTO keycol, keytype
	    FROM pg_partitioned_table p JOIN pg_attribute a
	    ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
	    WHERE p.partrelid = p_parent::regclass;
	IF keytype = 'date' THEN
		vlo := lo::date::text;
		vhi := (lo + interval '1 month')::date::text;
	ELSE
		vlo := (lo AT TIME ZONE 'UTC')::text;
		vhi := ((lo + interval '1 month') AT TIME ZONE 'UTC')::text;
	END IF;
	SELECT c.relname INTO deflt FROM pg_partitioned_table p
	    JOIN pg_class c ON c.oid = p.partdefid
	    WHERE p.partrelid = p_parent::regclass;
	IF deflt IS NULL THEN
		EXECUTE format('CREATE TABLE %I PARTITION OF %I '
		    'FOR VALUES FROM (%L) TO (%L)', name, p_parent, vlo, vhi);
		RETURN 0;
	END IF;
	-- Made outside the parent, filled, then attached: attaching scans
	-- the default partition once to prove the month left it.
	EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS '
	    'INCLUDING CONSTRAINTS)', name, p_parent);
	EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I >= %L::%s '
	    'AND %I < %L::%s)', name, name || '_bound', keycol, vlo, keytype,
	    keycol, vhi, keytype);
	EXECUTE format('WITH d AS (DELETE FROM %I WHERE %I >= %L::%s AND '
	    '%I < %L::%s RETURNING *) INSERT INTO %I SELECT * FROM d',
	    deflt, keycol, vlo, keytype, keycol, vhi, keytype, name);
	GET DIAGNOSTICS moved = ROW_COUNT;
	EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I '
	    'FOR VALUES FROM (%L) TO (%L)', p_parent, name, vlo, vhi);
	EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', name,
	    name || '_bound');
	RETURN moved;
END $$;
REVOKE ALL ON FUNCTION pf_history_partition(text, timestamptz) FROM PUBLIC;

-- The partitions of the current month and the next p_ahead months of
-- every partitioned history table; returns how many were made.
CREATE FUNCTION pf_history_ahead(p_ahead integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
	t	text;
	m	timestamptz;
	made	integer := 0;
BEGIN
	FOREACH t IN ARRAY ARRAY['activity_samples', 'continuous_heart_rate',
	    'health_samples'] LOOP
		FOR m IN SELECT generate_series(date_trunc('month', now()
		    AT TIME ZONE 'UTC'), date_trunc('month', now() AT TIME
		    ZONE 'UTC') + make_interval(months => least(greatest(
		    p_ahead, 0), 24)), interval '1 month') AT TIME ZONE 'UTC'
		LOOP
			IF pf_history_partition(t, m) >= 0 THEN
				made := made + 1;
			END IF;
		END LOOP;
	END LOOP;
	RETURN made;
END $$;
REVOKE ALL ON FUNCTION pf_history_ahead(integer) FROM PUBLIC;

-- Moves the newest month still in p_parent's default partition to its
-- own partition; returns the rows moved, or 0 when the default is empty.
-- One call is one month in one transaction: the online part of the
-- migration above.
CREATE FUNCTION pf_history_split(p_parent text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
	keycol	text;
	deflt	text;
	m	timestamptz;
BEGIN
	IF p_parent NOT IN ('activity_samples', 'continuous_heart_rate',
	    'health_samples') THEN
		RAISE EXCEPTION 'not a partitioned history table: %', p_parent;
	END IF;
	SELECT a.attname, c.relname INTO keycol, deflt
	    FROM pg_partitioned_table p JOIN pg_attribute a
	    ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
	    LEFT JOIN pg_class c ON c.oid = p.partdefid
	    WHERE p.partrelid = p_parent::regclass;
	IF deflt IS NULL THEN
		RETURN 0;
	END IF;
	EXECUTE format('SELECT max(%I)::timestamp AT TIME ZONE ''UTC'' '
	    'FROM %I', keycol, deflt) INTO m;
	IF m IS NULL THEN
		RETURN 0;
	END IF;
	RETURN greatest(pf_history_partition(p_parent, m), 0);
END $$;
REVOKE ALL ON FUNCTION pf_history_split(text) FROM PUBLIC;

-- The old table becomes the default partition of a new parent of the
-- same columns; its change-tracking triggers move to the parent (the
-- rows a split moves are not changes).
CREATE FUNCTION pf_history_convert(p_table text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	deflt	text := p_table || '_default';
	m	timestamptz;
	cut	timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC')
		    AT TIME ZONE 'UTC';
BEGIN
	EXECUTE format('ALTER TABLE %I RENAME TO %I', p_table, deflt);
	EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', deflt,
	    p_table || '_pkey', deflt || '_pkey');
	EXECUTE format('DROP TRIGGER %I ON %I', p_table || '_ins', deflt);
	EXECUTE format('DROP TRIGGER %I ON %I', p_table || '_upd', deflt);
	EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS '
	    'INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION, '
	    'PRIMARY KEY (user_id, date)) PARTITION BY RANGE (date)',
	    p_table, deflt);
	EXECUTE format('CREATE INDEX %I ON %I USING brin (date)',
	    p_table || '_brin', p_table);
	EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT',
	    p_table, deflt);
	-- the current month and any later one leave the default now
	FOR m IN EXECUTE format('SELECT DISTINCT date_trunc(''month'', '
	    'date)::timestamp AT TIME ZONE ''UTC'' FROM %I WHERE date >= %L',
	    deflt, cut::date) LOOP
		PERFORM pf_history_partition(p_table, m);
	END LOOP;
	EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I '
	    'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
	    'EXECUTE FUNCTION pf_mark_inserted()', p_table || '_ins',
	    p_table);
	EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I '
	    'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
	    'FOR EACH STATEMENT EXECUTE FUNCTION pf_mark_updated()',
	    p_table || '_upd', p_table);
END $$;

SELECT pf_history_convert('activity_samples');
SELECT pf_history_convert('continuous_heart_rate');
DROP FUNCTION pf_history_convert(text);
SELECT pf_history_ahead(3);

GRANT SELECT, INSERT, UPDATE, DELETE ON activity_samples,
	continuous_heart_rate TO polarflow_sync;
GRANT SELECT ON activity_samples, continuous_heart_rate
	TO polarflow_analytics, polarflow_api;
GRANT ALL ON activity_samples, continuous_heart_rate TO polarflow_admin;
GRANT EXECUTE ON FUNCTION pf_history_ahead(integer) TO polarflow_sync,
	polarflow_admin;
GRANT EXECUTE ON FUNCTION pf_history_partition(text, timestamptz),
	pf_history_split(text) TO polarflow_admin;
