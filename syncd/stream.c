/*
 * stream.c -- the fourteen Polar streams, one table row each.
 *
 * A row says where AccessLink serves the stream, how far back a first
 * sync reads it, which table and key hold it, and, field by field, which
 * Polar key fills which column with which checks.  Polar's "no data"
 * sentinels (0, -1, any negative, "") are named per field and become SQL
 * NULL.  Columns that are computed rather than copied are listed as
 * FK_DERIVED and filled by the stream's derive hook (transform.c).
 *
 * A later answer never erases what a richer one stored: a row's series
 * groups (.series) and its other columns follow the rule written at
 * struct stream_def, and the row it replaces is kept in replaced_rows.
 *
 * Adding a stream: an ST_ value in syncd.h, a row here, its table in a
 * migration, and a derive hook only if some column is computed.
 */
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"

#include "syncd.h"

#define I32	2147483647.0
#define DAYSEC	86400.0
#define OFFMAX	((double)PF_TIME_OFFSET_MAX)

static const char *const E_CARDIO_STATUS[] = {
	"LOAD_STATUS_NOT_AVAILABLE", "DETRAINING", "MAINTAINING",
	"PRODUCTIVE", "OVERREACHING", "RECOVERY_AFTER_OVERREACHING",
	"PRODUCTIVE_DROPPED_FROM_OVERREACHING",
	"PRODUCTIVE_ALMOST_OVERREACHING", "UNRECOGNIZED", NULL };
static const char *const E_GRADE_TYPE[] = {
	"GRADE_TYPE_UNKNOWN", "GRADE_TYPE_PRIMARY", "GRADE_TYPE_ADDITIONAL",
	NULL };
static const char *const E_GRADE_CLASS[] = {
	"GRADE_CLASSIFICATION_UNKNOWN", "GRADE_CLASSIFICATION_WEAK",
	"GRADE_CLASSIFICATION_FAIR", "GRADE_CLASSIFICATION_STRONG",
	"GRADE_CLASSIFICATION_EXCELLENT", NULL };
static const char *const E_VALIDITY[] = {
	"VALIDITY_UNKNOWN", "VALIDITY_RESET", "VALIDITY_NOT_VALID",
	"VALIDITY_ESTIMATE", "VALIDITY_VALID", NULL };
static const char *const E_INERTIA[] = {
	"SLEEP_INERTIA_UNKNOWN", "SLEEP_INERTIA_NO_INERTIA",
	"SLEEP_INERTIA_MILD", "SLEEP_INERTIA_MODERATE",
	"SLEEP_INERTIA_HEAVY", NULL };
static const char *const E_SLEEP_TYPE[] = {
	"SLEEP_TYPE_UNKNOWN", "SLEEP_TYPE_PRIMARY", "SLEEP_TYPE_SECONDARY",
	"SLEEP_TYPE_ARTIFICIAL", NULL };
static const char *const E_ALERT_RESULT[] = {
	"ALERTNESS_TYPE_UNKNOWN", "ALERTNESS_TYPE_PREDICTION",
	"ALERTNESS_TYPE_HISTORY", NULL };
static const char *const E_BED_QUALITY[] = {
	"CIRCADIAN_BEDTIME_QUALITY_UNKNOWN", "CIRCADIAN_BEDTIME_QUALITY_WEAK",
	"CIRCADIAN_BEDTIME_QUALITY_COMPROMISED",
	"CIRCADIAN_BEDTIME_QUALITY_CLEARLY_RECOGNIZABLE", NULL };
static const char *const E_BED_RESULT[] = {
	"CIRCADIAN_BEDTIME_TYPE_UNKNOWN", "CIRCADIAN_BEDTIME_TYPE_PREDICTION",
	"CIRCADIAN_BEDTIME_TYPE_HISTORY", NULL };
static const char *const E_SPO2_STATUS[] = {
	"SPO2_TEST_PASSED", "SPO2_TEST_INCONCLUSIVE_TOO_LOW_QUALITY_IN_SAMPLES",
	"SPO2_TEST_INCONCLUSIVE_TOO_LOW_OVERALL_QUALITY",
	"SPO2_TEST_INCONCLUSIVE_TOO_MANY_MISSING_SAMPLES", NULL };
static const char *const E_SPO2_CLASS[] = {
	"SPO2_CLASS_UNKNOWN", "SPO2_CLASS_VERY_LOW", "SPO2_CLASS_LOW",
	"SPO2_CLASS_NORMAL", NULL };
static const char *const E_DEVIATION[] = {
	"DEVIATION_NO_BASELINE", "DEVIATION_BELOW_USUAL", "DEVIATION_USUAL",
	"DEVIATION_ABOVE_USUAL", NULL };
static const char *const E_HRV_LEVEL[] = {
	"ECG_HRV_LEVEL_NO_BASELINE", "ECG_HRV_LEVEL_BELOW_USUAL",
	"ECG_HRV_LEVEL_USUAL", "ECG_HRV_LEVEL_ABOVE_USUAL", NULL };
static const char *const E_MEASUREMENT[] = {
	"TM_UNKNOWN", "TM_SKIN_TEMPERATURE", "TM_CORE_TEMPERATURE", NULL };
static const char *const E_LOCATION[] = {
	"SL_UNKNOWN", "SL_DISTAL", "SL_PROXIMAL", NULL };
static const char *const E_GENDER[] = { "MALE", "FEMALE", NULL };
static const char *const E_WEIGHT_SOURCE[] = {
	"SOURCE_DEFAULT", "SOURCE_ESTIMATE", "SOURCE_USER", "SOURCE_MEASURED",
	"SOURCE_KEEP", NULL };
static const char *const E_BACKGROUND[] = {
	"OCCASIONAL", "REGULAR", "FREQUENT", "HEAVY", "SEMI_PRO", "PRO",
	NULL };
static const char *const E_TYPICAL_DAY[] = {
	"MOSTLY_SITTING", "MOSTLY_STANDING", "MOSTLY_MOVING", NULL };

/*
 * Rows of fields[]: column, Polar key, flags, then the kind's range
 * (numbers), longest length (strings) or allowed values (enums).
 */
#define FIELD(c, k, kind, fl, lo, hi)	{ c, k, kind, fl, lo, hi, NULL }
#define INT(c, k, fl, lo, hi)	FIELD(c, k, FK_INT, fl, lo, hi)
#define DBL(c, k, fl, lo, hi)	FIELD(c, k, FK_DBL, fl, lo, hi)
#define STR(c, k, fl, len)	FIELD(c, k, FK_STR, fl, 0, len)
#define BOOL(c, k, fl)		FIELD(c, k, FK_BOOL, fl, 0, 0)
#define ENUM(c, k, fl, v)	{ c, k, FK_ENUM, fl, 0, 0, v }
#define DATE(c, k, fl)		FIELD(c, k, FK_DATE, fl, 0, 0)
#define TIME(c, k, fl)		FIELD(c, k, FK_TIME, fl, 0, 0)
#define ZONE(c, k, fl)		FIELD(c, k, FK_ZONE, fl, 0, 0)
#define EPOCH(c, k, fl)		FIELD(c, k, FK_EPOCH, fl, 0, 0)
#define DURATION(c, k, fl)	FIELD(c, k, FK_DURATION, fl, 0, 0)
#define OBJECT(c, k, fl)	FIELD(c, k, FK_OBJECT, fl, 0, 0)
#define ARRAY(c, k, fl)		FIELD(c, k, FK_ARRAY, fl, 0, 0)
#define CLOCKMAP(c, k, fl, lo, hi) FIELD(c, k, FK_CLOCKMAP, fl, lo, hi)
#define DERIVED(c)		FIELD(c, NULL, FK_DERIVED, 0, 0, 0)
#define END			FIELD(NULL, NULL, FK_DERIVED, 0, 0, 0)

static const struct field sleep_fields[] = {
	DATE("date", "date", F_REQ | F_DAY),
	/* Polar gives the offset; a time without one is local */
	TIME("sleep_start_time", "sleep_start_time", F_LOCAL),
	ZONE("sleep_start_offset_minutes", "sleep_start_time", F_LOCAL),
	TIME("sleep_end_time", "sleep_end_time", F_LOCAL),
	ZONE("sleep_end_offset_minutes", "sleep_end_time", F_LOCAL),
	STR("device_id", "device_id", F_EMPTY_NULL, 100),
	INT("light_sleep_seconds", "light_sleep", 0, 0, DAYSEC),
	INT("deep_sleep_seconds", "deep_sleep", 0, 0, DAYSEC),
	INT("rem_sleep_seconds", "rem_sleep", 0, 0, DAYSEC),
	INT("unrecognized_sleep_seconds", "unrecognized_sleep_stage", 0, 0,
	    DAYSEC),
	DERIVED("total_sleep_seconds"),
	INT("interruptions_seconds", "total_interruption_duration", 0, 0,
	    DAYSEC),
	INT("short_interruption_seconds", "short_interruption_duration", 0, 0,
	    DAYSEC),
	INT("long_interruption_seconds", "long_interruption_duration", 0, 0,
	    DAYSEC),
	INT("sleep_score", "sleep_score", F_ZERO_NULL, 1, 100),
	INT("sleep_rating", "sleep_rating", F_ZERO_NULL, 1, 5),
	INT("sleep_charge", "sleep_charge", F_NEG_NULL | F_ZERO_NULL, 1, 5),
	INT("sleep_goal_seconds", "sleep_goal", F_ZERO_NULL, 0, DAYSEC),
	INT("sleep_cycles", "sleep_cycles", 0, 0, 100),
	DBL("continuity", "continuity", F_ZERO_NULL, 1, 5),
	INT("continuity_class", "continuity_class", F_ZERO_NULL, 1, 5),
	DBL("group_duration_score", "group_duration_score", F_ZERO_NULL, 0,
	    100),
	DBL("group_solidity_score", "group_solidity_score", F_ZERO_NULL, 0,
	    100),
	DBL("group_regeneration_score", "group_regeneration_score", F_ZERO_NULL,
	    0, 100),
	CLOCKMAP("hypnogram", "hypnogram", 0, 0, 5),
	CLOCKMAP("heart_rate_samples", "heart_rate_samples", 0, 0, 300),
	DERIVED("heart_rate_avg"),
	DERIVED("heart_rate_min"),
	DERIVED("heart_rate_max"),
	END
};
static const char *const sleep_drop[] = { "hypnogram", "heart_rate_samples",
    NULL };
static const char *const sleep_series[] = { "hypnogram",
    "heart_rate_samples, heart_rate_avg, heart_rate_min, heart_rate_max", NULL };

static const struct field recharge_fields[] = {
	DATE("date", "date", F_REQ | F_DAY),
	DBL("heart_rate_avg", "heart_rate_avg", F_ZERO_NULL, 1, 300),
	DBL("beat_to_beat_avg", "beat_to_beat_avg", F_ZERO_NULL, 1, 10000),
	/* the same value under upstream's two column names */
	DBL("hrv_avg", "heart_rate_variability_avg", F_ZERO_NULL, 0, 1000),
	DBL("heart_rate_variability_avg", "heart_rate_variability_avg",
	    F_ZERO_NULL, 0, 1000),
	DBL("breathing_rate_avg", "breathing_rate_avg", F_ZERO_NULL, 0, 100),
	INT("nightly_recharge_status", "nightly_recharge_status", F_ZERO_NULL,
	    1, 6),
	DBL("ans_charge", "ans_charge", 0, -10, 10),
	INT("ans_charge_status", "ans_charge_status", F_ZERO_NULL, 1, 5),
	CLOCKMAP("hrv_samples", "hrv_samples", 0, 0, 1000),
	CLOCKMAP("breathing_samples", "breathing_samples", 0, 0, 100),
	END
};
static const char *const recharge_drop[] = { "hrv_samples",
    "breathing_samples", NULL };
static const char *const recharge_series[] = { "hrv_samples",
    "breathing_samples", NULL };

static const struct field activity_fields[] = {
	DATE("date", "start_time", F_REQ | F_LENIENT | F_DAY),
	/* day boundaries in local time: only when start_time has a zone */
	DERIVED("start_time"),
	DERIVED("end_time"),
	DERIVED("offset_minutes"),
	INT("steps", "steps", 0, 0, 1000000),
	DBL("distance_meters", "distance_from_steps", 0, 0, 1e6),
	INT("calories_active", "active_calories", 0, 0, 100000),
	INT("calories_total", "calories", 0, 0, 100000),
	DURATION("active_time_seconds", "active_duration", F_ROUND),
	DURATION("inactive_time_seconds", "inactive_duration", F_ROUND),
	DBL("daily_activity_percent", "daily_activity", 0, 0, 10000),
	DERIVED("activity_score"),
	INT("inactivity_alerts", "inactivity_alert_count", 0, 0, 10000),
	END
};

static const struct field activity_samples_fields[] = {
	DATE("date", "date", F_REQ | F_DAY),
	/* from the "steps" object and "activity_zones" */
	DERIVED("total_steps"),
	DERIVED("interval_ms"),
	DERIVED("sample_count"),
	DERIVED("samples"),
	DERIVED("zone_samples"),
	END
};
static const char *const activity_samples_drop[] = { "steps",
    "activity_zones", NULL };
static const char *const activity_samples_series[] = {
    "samples, total_steps, interval_ms, sample_count", "zone_samples", NULL };

static const struct field exercise_fields[] = {
	STR("polar_exercise_id", "id", F_REQ | F_IDENT, 64),
	INT("start_offset_minutes", "start_time_utc_offset", F_OFFSET, -OFFMAX,
	    OFFMAX),
	TIME("start_time", "start_time", F_REQ | F_DAY | F_LOCAL),
	DURATION("duration_seconds", "duration", 0),
	DERIVED("stop_time"),
	STR("device", "device", 0, 200),
	STR("device_id", "device_id", F_EMPTY_NULL, 100),
	STR("sport", "sport", 0, 100),
	STR("detailed_sport_info", "detailed_sport_info", 0, 200),
	DBL("distance_meters", "distance", F_NEG_NULL, 0, 1e7),
	INT("average_heart_rate", "heart_rate/average",
	    F_ZERO_NULL | F_NEG_NULL, 1, 300),
	INT("max_heart_rate", "heart_rate/maximum", F_ZERO_NULL | F_NEG_NULL, 1,
	    300),
	INT("calories", "calories", F_NEG_NULL, 0, 100000),
	DBL("training_load", "training_load", F_NEG_NULL, 0, 100000),
	INT("running_index", "running-index", F_ZERO_NULL | F_NEG_NULL, 1, 200),
	INT("fat_percentage", "fat_percentage", F_NEG_NULL, 0, 100),
	INT("carbohydrate_percentage", "carbohydrate_percentage", F_NEG_NULL, 0,
	    100),
	INT("protein_percentage", "protein_percentage", F_NEG_NULL, 0, 100),
	BOOL("has_route", "has_route", F_DEFAULT),
	OBJECT("training_load_pro", "training_load_pro", 0),
	ARRAY("heart_rate_zones", "heart_rate_zones", 0),
	ARRAY("samples", "samples", 0),
	ARRAY("route", "route", 0),
	END
};
static const char *const exercise_drop[] = { "samples", "route",
    "heart_rate_zones", NULL };
static const char *const exercise_series[] = { "samples", "route",
    "heart_rate_zones", NULL };

/* -1 is "no data"; 0 too when the status says the load is not available */
static const struct field cardio_fields[] = {
	DATE("date", "date", F_REQ | F_DAY),
	ENUM("cardio_load_status", "cardio_load_status", 0, E_CARDIO_STATUS),
	DBL("cardio_load", "cardio_load", F_M1_NULL, 0, 1e5),
	DBL("cardio_load_ratio", "cardio_load_ratio", F_M1_NULL, 0, 100),
	DBL("strain", "strain", F_M1_NULL, 0, 1e5),
	DBL("tolerance", "tolerance", F_M1_NULL, 0, 1e5),
	DBL("load_very_low", "cardio_load_level/very_low", F_M1_NULL, 0, 1e5),
	DBL("load_low", "cardio_load_level/low", F_M1_NULL, 0, 1e5),
	DBL("load_medium", "cardio_load_level/medium", F_M1_NULL, 0, 1e5),
	DBL("load_high", "cardio_load_level/high", F_M1_NULL, 0, 1e5),
	DBL("load_very_high", "cardio_load_level/very_high", F_M1_NULL, 0, 1e5),
	END
};

static const struct field alertness_fields[] = {
	INT("sleep_timezone_offset_minutes", "sleep_timezone_offset_minutes",
	    F_OFFSET, -OFFMAX, OFFMAX),
	TIME("period_start_time", "period_start_time", F_REQ | F_DAY),
	TIME("period_end_time", "period_end_time", 0),
	TIME("sleep_period_start_time", "sleep_period_start_time", 0),
	TIME("sleep_period_end_time", "sleep_period_end_time", 0),
	DBL("grade", "grade", 0, 0, 100),
	INT("grade_validity_seconds", "grade_validity_seconds", 0, 0, I32),
	ENUM("grade_type", "grade_type", 0, E_GRADE_TYPE),
	ENUM("grade_classification", "grade_classification", 0, E_GRADE_CLASS),
	ENUM("validity", "validity", 0, E_VALIDITY),
	ENUM("sleep_inertia", "sleep_inertia", 0, E_INERTIA),
	ENUM("sleep_type", "sleep_type", 0, E_SLEEP_TYPE),
	ENUM("result_type", "result_type", 0, E_ALERT_RESULT),
	ARRAY("hourly_data", "hourly_data", 0),
	END
};
static const char *const alertness_drop[] = { "hourly_data", NULL };
static const char *const alertness_series[] = { "hourly_data", NULL };

static const struct field bedtime_fields[] = {
	INT("sleep_timezone_offset_minutes", "sleep_timezone_offset_minutes",
	    F_OFFSET, -OFFMAX, OFFMAX),
	TIME("period_start_time", "period_start_time", F_REQ | F_DAY),
	TIME("period_end_time", "period_end_time", 0),
	TIME("preferred_sleep_start", "preferred_sleep_period_start_time", 0),
	TIME("preferred_sleep_end", "preferred_sleep_period_end_time", 0),
	TIME("sleep_gate_start", "sleep_gate_start_time", 0),
	TIME("sleep_gate_end", "sleep_gate_end_time", 0),
	ENUM("validity", "validity", 0, E_VALIDITY),
	ENUM("quality", "quality", 0, E_BED_QUALITY),
	ENUM("result_type", "result_type", 0, E_BED_RESULT),
	END
};

static const struct field chr_fields[] = {
	DATE("date", "date", F_REQ | F_DAY),
	ARRAY("samples", "heart_rate_samples", 0),
	DERIVED("sample_count"),
	DERIVED("hr_min"),
	DERIVED("hr_max"),
	DERIVED("hr_avg"),
	END
};
static const char *const chr_drop[] = { "heart_rate_samples", NULL };
static const char *const chr_series[] = {
    "samples, sample_count, hr_min, hr_max, hr_avg", NULL };

static const struct field spo2_fields[] = {
	INT("timezone_offset_minutes", "time_zone_offset", F_OFFSET, -OFFMAX,
	    OFFMAX),
	EPOCH("test_time", "test_time", F_REQ | F_DAY),
	STR("device_id", "source_device_id", F_EMPTY_NULL, 100),
	ENUM("test_status", "test_status", 0, E_SPO2_STATUS),
	INT("blood_oxygen_percent", "blood_oxygen_percent", F_ZERO_NULL, 1,
	    100),
	ENUM("spo2_class", "spo2_class", 0, E_SPO2_CLASS),
	ENUM("spo2_deviation", "spo2_value_deviation_from_baseline", 0,
	    E_DEVIATION),
	DBL("quality_percent", "spo2_quality_average_percent", 0, 0, 100),
	INT("avg_heart_rate", "average_heart_rate_bpm", F_ZERO_NULL, 1, 300),
	DBL("hrv_ms", "heart_rate_variability_ms", F_ZERO_NULL, 0, 10000),
	ENUM("hrv_deviation", "spo2_hrv_deviation_from_baseline", 0,
	    E_DEVIATION),
	DBL("altitude_meters", "altitude_meters", 0, -1000, 10000),
	END
};

static const struct field ecg_fields[] = {
	INT("timezone_offset_minutes", "time_zone_offset", F_OFFSET, -OFFMAX,
	    OFFMAX),
	EPOCH("test_time", "test_time", F_REQ | F_DAY),
	STR("device_id", "source_device_id", F_EMPTY_NULL, 100),
	INT("avg_heart_rate", "average_heart_rate_bpm", F_ZERO_NULL, 1, 300),
	DBL("hrv_ms", "heart_rate_variability_ms", F_ZERO_NULL, 0, 10000),
	ENUM("hrv_level", "heart_rate_variability_level", 0, E_HRV_LEVEL),
	DBL("rri_ms", "rri_ms", F_ZERO_NULL, 0, 10000),
	DBL("ptt_systolic_ms", "pulse_transit_time_systolic_ms", F_ZERO_NULL, 0,
	    10000),
	DBL("ptt_diastolic_ms", "pulse_transit_time_diastolic_ms", F_ZERO_NULL,
	    0, 10000),
	DBL("ptt_quality_index", "pulse_transit_time_quality_index", 0, 0, 100),
	ARRAY("quality", "quality_measurements", 0),
	ARRAY("samples", "samples", 0),
	DERIVED("sample_count"),
	DERIVED("duration_seconds"),
	END
};
static const char *const ecg_drop[] = { "samples", "quality_measurements",
    NULL };
static const char *const ecg_series[] = { "samples, sample_count, duration_seconds",
    "quality", NULL };

static const struct field body_temp_fields[] = {
	TIME("start_time", "start_time", F_REQ | F_DAY),
	TIME("end_time", "end_time", 0),
	TIME("modified_time", "modified_time", 0),
	STR("device_id", "source_device_id", F_EMPTY_NULL, 100),
	ENUM("measurement_type", "measurement_type", F_DEFAULT, E_MEASUREMENT),
	ENUM("sensor_location", "sensor_location", F_DEFAULT, E_LOCATION),
	ARRAY("samples", "samples", 0),
	DERIVED("temp_min"),
	DERIVED("temp_max"),
	DERIVED("temp_avg"),
	DERIVED("sample_count"),
	END
};
static const char *const body_temp_drop[] = { "samples", NULL };
static const char *const body_temp_series[] = {
    "samples, temp_min, temp_max, temp_avg, sample_count", NULL };

static const struct field skin_temp_fields[] = {
	DATE("sleep_date", "sleep_date", F_REQ | F_DAY),
	DBL("temperature_celsius", "sleep_time_skin_temperature_celsius",
	    F_ZERO_NULL, 0, 60),
	DBL("deviation_from_baseline", "deviation_from_baseline_celsius", 0,
	    -30, 30),
	DERIVED("is_elevated"),
	END
};

static const struct field physical_fields[] = {
	/* modified, else created, else today */
	DERIVED("recorded_at"),
	DBL("weight_kg", "weight", F_ZERO_NULL | F_NEG_NULL, 1, 700),
	DBL("height_cm", "height", F_ZERO_NULL | F_NEG_NULL, 20, 300),
	DATE("birthday", "birthday", 0),
	ENUM("gender", "gender", 0, E_GENDER),
	INT("maximum_heart_rate", "maximum_heart_rate",
	    F_ZERO_NULL | F_NEG_NULL, 1, 300),
	INT("resting_heart_rate", "resting_heart_rate",
	    F_ZERO_NULL | F_NEG_NULL, 1, 300),
	INT("aerobic_threshold", "aerobic_threshold", F_ZERO_NULL | F_NEG_NULL,
	    1, 300),
	INT("anaerobic_threshold", "anaerobic_threshold",
	    F_ZERO_NULL | F_NEG_NULL, 1, 300),
	INT("vo2_max", "vo2_max", F_ZERO_NULL | F_NEG_NULL, 1, 150),
	ENUM("weight_source", "weight_source", 0, E_WEIGHT_SOURCE),
	ENUM("training_background", "training_background", 0, E_BACKGROUND),
	ENUM("typical_day", "typical_day", 0, E_TYPICAL_DAY),
	DURATION("sleep_goal_seconds", "sleep_goal", F_ROUND),
	END
};

/* Sample arrays that may be long: read from a big body's text (bigbody.c). */
static const char *const exercise_big[] = { "samples", "route", NULL };
static const char *const chr_big[] = { "heart_rate_samples", NULL };
static const char *const ecg_big[] = { "samples", NULL };
static const char *const body_temp_big[] = { "samples", NULL };
static const char *const activity_samples_big[] = { "steps/samples", NULL };
/*
 * A 404 is "no data" only where Polar documents it for the request:
 * continuous heart rate per day, physical info, and an exercise's detail
 * (sync.c).  Elsewhere it is an error, never a silent empty answer.
 *
 * Polar keeps 28 days of most streams; daily activity, activity samples
 * and cardio load reach back a year.  A from..to range spans at most 28
 * days, so a year of activity takes 14 requests.
 */
const struct stream_def streams[ST__COUNT] = {
	[ST_SLEEP] = {
		.name = "sleep", .table = "sleep",
		.conflict = "date",
		.path = "/v3/users/sleep",
		.fetch = SF_LIST, .range = "", .records = "nights",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = sleep_fields, .derive = derive_sleep,
		.raw_drop = sleep_drop,
		.series = sleep_series,
	},
	[ST_RECHARGE] = {
		.name = "nightly_recharge", .table = "nightly_recharge",
		.conflict = "date",
		.path = "/v3/users/nightly-recharge",
		.fetch = SF_LIST, .records = "recharges",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = recharge_fields,
		.raw_drop = recharge_drop,
		.series = recharge_series,
	},
	[ST_ACTIVITY] = {
		.name = "activity", .table = "activity",
		.conflict = "date",
		.path = "/v3/users/activities",
		.fetch = SF_LIST, .range = "", .records = "",
		.history_days = SYNCD_HISTORY_DAYS,
		.range_days = SYNCD_RANGE_DAYS,
		.fields = activity_fields, .derive = derive_activity,
	},
	[ST_ACTIVITY_SAMPLES] = {
		.name = "activity_samples", .table = "activity_samples",
		.conflict = "date",
		.path = "/v3/users/activities/samples",
		.fetch = SF_LIST, .range = "", .records = "",
		.history_days = SYNCD_HISTORY_DAYS,
		.range_days = SYNCD_RANGE_DAYS,
		.fields = activity_samples_fields,
		.derive = derive_activity_samples,
		.raw_drop = activity_samples_drop,
		.series_changes = activity_samples_series,
		.big = activity_samples_big,
	},
	[ST_EXERCISE] = {
		.name = "exercise", .table = "exercise",
		.conflict = "polar_exercise_id",
		.path = "/v3/exercises",
		.fetch = SF_EXERCISE,
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = exercise_fields, .derive = derive_exercise,
		.raw_drop = exercise_drop,
		.series = exercise_series,
		.big = exercise_big,
	},
	[ST_CARDIO_LOAD] = {
		.name = "cardio_load", .table = "cardio_load",
		.conflict = "date",
		.path = "/v3/users/cardio-load",
		.fetch = SF_LIST, .range = "/date", .records = "",
		.history_days = SYNCD_HISTORY_DAYS, .period_days = true,
		.fields = cardio_fields, .derive = derive_cardio,
	},
	[ST_ALERTNESS] = {
		.name = "sleepwise_alertness", .table = "sleepwise_alertness",
		.conflict = "period_start_time",
		.path = "/v3/users/sleepwise/alertness",
		.fetch = SF_LIST, .range = "/date", .records = "",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = alertness_fields,
		.raw_drop = alertness_drop,
		.series = alertness_series,
	},
	[ST_BEDTIME] = {
		.name = "sleepwise_bedtime", .table = "sleepwise_bedtime",
		.conflict = "period_start_time",
		.path = "/v3/users/sleepwise/circadian-bedtime",
		.fetch = SF_LIST, .range = "/date", .records = "",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = bedtime_fields,
	},
	[ST_CHR] = {
		.name = "continuous_heart_rate",
		.table = "continuous_heart_rate",
		.conflict = "date",
		.path = "/v3/users/continuous-heart-rate",
		.fetch = SF_PER_DAY,
		.history_days = SYNCD_POLAR_WINDOW, .range_days = 1,
		.nodata_404 = true,
		.fields = chr_fields, .derive = derive_chr,
		.raw_drop = chr_drop,
		.series = chr_series,
		.big = chr_big,
	},
	[ST_SPO2] = {
		.name = "spo2", .table = "spo2",
		.conflict = "test_time",
		.path = "/v3/users/biosensing/spo2",
		.fetch = SF_LIST, .range = "", .records = "",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = spo2_fields,
	},
	[ST_ECG] = {
		.name = "ecg", .table = "ecg",
		.conflict = "test_time",
		.path = "/v3/users/biosensing/ecg",
		.fetch = SF_LIST, .range = "", .records = "",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = ecg_fields, .derive = derive_ecg,
		.raw_drop = ecg_drop,
		.series = ecg_series,
		.big = ecg_big,
	},
	[ST_BODY_TEMP] = {
		.name = "body_temperature", .table = "body_temperature",
		.conflict = "start_time, measurement_type, sensor_location",
		.path = "/v3/users/biosensing/bodytemperature",
		.fetch = SF_LIST, .range = "", .records = "",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = body_temp_fields, .derive = derive_body_temp,
		.raw_drop = body_temp_drop,
		.series = body_temp_series,
		.big = body_temp_big,
	},
	[ST_SKIN_TEMP] = {
		.name = "skin_temperature", .table = "skin_temperature",
		.conflict = "sleep_date",
		.path = "/v3/users/biosensing/skintemperature",
		.fetch = SF_LIST, .range = "", .records = "",
		.history_days = SYNCD_POLAR_WINDOW,
		.fields = skin_temp_fields, .derive = derive_skin_temp,
	},
	[ST_PHYSICAL] = {
		.name = "physical_info", .table = "physical_info",
		.conflict = "recorded_at",
		.path = "/v3/users/physical-info",
		.fetch = SF_SNAPSHOT,
		.history_days = SYNCD_POLAR_WINDOW, .nodata_404 = true,
		.fields = physical_fields, .derive = derive_physical,
	},
};

const char *
stream_name(enum stream st)
{
	if ((int)st < 0 || st >= ST__COUNT)
		return "unknown";
	return streams[st].name;
}

int
stream_from_name(const char *name, enum stream *out)
{
	int	 i;

	for (i = 0; i < ST__COUNT; i++)
		if (strcmp(streams[i].name, name) == 0) {
			*out = (enum stream)i;
			return PF_OK;
		}
	return PF_ERR_NOTFOUND;
}

const char *
stream_list_next(const char **p, size_t *len)
{
	const char	*s = *p + strspn(*p, ", ");

	if (*s == '\0')
		return NULL;
	*len = strcspn(s, ",");
	*p = s + *len;
	return s;
}

bool
stream_list_has(const char *list, const char *col)
{
	const char	*c;
	size_t		 len;

	while ((c = stream_list_next(&list, &len)) != NULL)
		if (strlen(col) == len && strncmp(c, col, len) == 0)
			return true;
	return false;
}

bool
stream_key_has(const struct stream_def *def, const char *col)
{
	return stream_list_has(def->conflict, col);
}
