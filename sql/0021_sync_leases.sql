-- Several syncd instances on one database: a user is synced by the
-- instance holding the user's lease, and by no other.  A lease is taken
-- (or taken over once expired) by one INSERT ... ON CONFLICT DO UPDATE
-- whose WHERE is re-checked on the locked row, so two instances racing
-- for the same user cannot both win; the holder renews it while the sync
-- runs and clears it at the end.  An instance that dies leaves a lease
-- that expires within sync_lease_seconds, after which any instance takes
-- the user over.
ALTER TABLE sync_state
	ADD COLUMN lease_owner text
		CHECK (length(lease_owner) BETWEEN 1 AND 200),
	ADD COLUMN lease_until timestamptz;
CREATE INDEX sync_state_lease_idx ON sync_state (lease_owner)
	WHERE lease_owner IS NOT NULL;
