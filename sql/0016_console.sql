-- 0016_console.sql -- the admin console apid serves under /admin: its
-- administrators, their sessions, failed logins and the first-run setup
-- token.
--
-- Passwords are libsodium's crypto_pwhash_str (Argon2id) strings; a
-- session's id and the setup token reach the browser, so a session is
-- stored by the SHA-256 of its id only.  The setup token is stored as is:
-- apid's log and "polarctl admin setup-token" both show it, and it goes
-- as soon as an administrator exists (the trigger below).

CREATE TABLE console_admins (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name			text NOT NULL UNIQUE
				CHECK (name ~ '^[A-Za-z0-9._@+-]{1,64}$'),
	password_hash		text NOT NULL
				CHECK (password_hash LIKE '$argon2id$%'),
	created_at		timestamptz NOT NULL DEFAULT now(),
	password_changed_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console_sessions (
	id_hash			char(64) PRIMARY KEY
				CHECK (id_hash ~ '^[0-9a-f]{64}$'),
	admin_id		bigint NOT NULL
				REFERENCES console_admins (id) ON DELETE CASCADE,
	csrf_token		text NOT NULL CHECK (csrf_token ~ '^[0-9a-f]{64}$'),
	created_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL
);
CREATE INDEX console_sessions_admin_idx ON console_sessions (admin_id);
CREATE INDEX console_sessions_expiry_idx ON console_sessions (expires_at);

-- One row per failed login or setup attempt; the throttle counts a
-- client's rows of the last 15 minutes, older rows are purged as new ones
-- are written.
CREATE TABLE console_login_failures (
	client_addr		text NOT NULL CHECK (length(client_addr) <= 64),
	at			timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_login_failures_idx
	ON console_login_failures (client_addr, at);

-- At most one token, only while no administrator exists.
CREATE TABLE console_setup (
	id			integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	token			text NOT NULL CHECK (token ~ '^[0-9a-f]{32,64}$'),
	created_at		timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION console_setup_drop() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	DELETE FROM console_setup;
	RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION console_setup_drop() FROM PUBLIC;
-- FOR EACH ROW: a statement trigger would fire for an INSERT of no row
-- too (a wrong token at setup), and drop the token.
CREATE TRIGGER console_admins_setup_drop AFTER INSERT ON console_admins
	FOR EACH ROW EXECUTE FUNCTION console_setup_drop();

-- apid: the setup page creates the first administrator; the sessions and
-- the throttle are its own.  polarctl: everything.
GRANT SELECT, INSERT ON console_admins TO polarflow_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON console_sessions,
	console_login_failures, console_setup TO polarflow_api;
GRANT ALL ON console_admins, console_sessions, console_login_failures,
	console_setup TO polarflow_admin;
GRANT USAGE ON SEQUENCE console_admins_id_seq TO polarflow_api,
	polarflow_admin;
