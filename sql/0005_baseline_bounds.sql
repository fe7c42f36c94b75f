-- 0005_baseline_bounds.sql -- the anomaly bounds of each baseline, stored.
--
-- polarflow-analyticsd computes every derived number; polarflow-apid only
-- selects what was stored.  The IQR and the bounds outside which a value
-- is a "warning" (k = 1.5) or "critical" (k = 3) anomaly are computed by
-- analyticsd with each baseline and written beside it, so apid compares a
-- value with stored bounds instead of knowing the rule.
--
-- Rows written before this migration get the same values once, so the
-- answers do not change while analyticsd has not yet rewritten them.

ALTER TABLE user_baselines
	ADD COLUMN iqr			double precision,
	ADD COLUMN lower_bound		double precision,
	ADD COLUMN upper_bound		double precision,
	ADD COLUMN critical_lower_bound	double precision,
	ADD COLUMN critical_upper_bound	double precision;

UPDATE user_baselines SET iqr = q3 - q1,
	lower_bound = q1 - 1.5 * (q3 - q1), upper_bound = q3 + 1.5 * (q3 - q1),
	critical_lower_bound = q1 - 3 * (q3 - q1),
	critical_upper_bound = q3 + 3 * (q3 - q1)
WHERE q1 IS NOT NULL OR q3 IS NOT NULL;
