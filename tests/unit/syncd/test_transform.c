/*
 * test_transform.c -- Polar JSON to rows, on bodies shaped as AccessLink
 * sends them and on bad input.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"

#include "syncd/syncd.h"

#define NOW_MS	INT64_C(1795392000000)	/* 2026-11-23T00:00:00Z */

static int	 warnings;

static void
sink(enum pf_log_level level, const char *line)
{
	(void)line;
	if (level >= PF_LOG_WARNING)
		warnings++;
}

static json_t *
load(const char *s)
{
	json_t	*j = NULL;
	char	 err[PF_JSON_ERR_LEN];

	if (pf_json_parse(s, strlen(s), 0, &j, err, sizeof(err)) != PF_OK)
		fail_msg("fixture does not parse: %s", err);
	return j;
}

/* Transforms body and returns row i as a JSON object (caller decrefs). */
static json_t *
row_of(const struct rowset *rs, size_t i)
{
	assert_true(i < rs->n);
	return load(rs->row[i]);
}

static size_t
run(enum stream st, const char *body, struct rowset *rs)
{
	json_t	*doc = load(body);
	int	 r;

	rowset_init(rs);
	warnings = 0;
	r = transform(st, doc, "u1", NOW_MS, rs);
	json_decref(doc);
	assert_int_equal(r, PF_OK);
	return rs->n;
}

static void
assert_col_int(const json_t *row, const char *col, json_int_t v)
{
	json_t	*c = json_object_get(row, col);

	if (c == NULL || !json_is_integer(c))
		fail_msg("column %s missing or not integer", col);
	assert_int_equal(json_integer_value(c), v);
}

static void
assert_col_dbl(const json_t *row, const char *col, double v)
{
	json_t	*c = json_object_get(row, col);

	if (c == NULL || !json_is_number(c))
		fail_msg("column %s missing or not a number", col);
	assert_true(fabs(json_number_value(c) - v) < 1e-9);
}

static void
assert_col_str(const json_t *row, const char *col, const char *v)
{
	json_t	*c = json_object_get(row, col);

	if (c == NULL || !json_is_string(c))
		fail_msg("column %s missing or not a string", col);
	assert_string_equal(json_string_value(c), v);
}

static void
assert_col_null(const json_t *row, const char *col)
{
	if (json_object_get(row, col) != NULL)
		fail_msg("column %s should be NULL (absent)", col);
}

static const char SLEEP[] = "{\"nights\":[{"
    "\"polar_user\":\"https://www.polaraccesslink.com/v3/users/48213957\","
    "\"date\":\"2026-11-21\","
    "\"sleep_start_time\":\"2026-11-20T23:40:05+02:00\","
    "\"sleep_end_time\":\"2026-11-21T06:31:44+02:00\","
    "\"device_id\":\"A1B2C3D4\",\"continuity\":3.1,\"continuity_class\":3,"
    "\"light_sleep\":12960,\"deep_sleep\":4380,\"rem_sleep\":4620,"
    "\"unrecognized_sleep_stage\":120,\"sleep_score\":72,"
    "\"total_interruption_duration\":2619,\"sleep_charge\":-1,"
    "\"sleep_goal\":28800,\"sleep_rating\":0,"
    "\"short_interruption_duration\":1539,"
    "\"long_interruption_duration\":1080,\"sleep_cycles\":4,"
    "\"group_duration_score\":68.3,\"group_solidity_score\":71.0,"
    "\"group_regeneration_score\":74.6,"
    "\"hypnogram\":{\"23:40\":2,\"23:52\":3,\"00:20\":4},"
    "\"heart_rate_samples\":{\"23:45\":63,\"23:50\":0,\"23:55\":58,"
    "\"00:00\":57},\"new_field\":{\"x\":1}},"
    "{\"date\":\"2026-02-30\",\"sleep_score\":80},"
    "{\"date\":\"2026-11-22\",\"sleep_score\":\"81\"},"
    "{\"date\":\"2026-11-23\",\"sleep_score\":81,\"hypnogram\":{\"xx\":1}},"
    "{\"date\":\"2026-11-24\",\"sleep_score\":81,\"hypnogram\":{\"01:00\":9}},"
    "7]}";

static void
test_sleep(void **state)
{
	struct rowset	 rs;
	json_t		*row, *raw;
	char		*text;

	(void)state;
	/*
	 * An impossible date and a non-object are skipped; a wrongly typed
	 * score is left out and bad hypnogram entries are dropped alone,
	 * keeping their nights.
	 */
	assert_int_equal(run(ST_SLEEP, SLEEP, &rs), 4);
	assert_int_equal(rs.skipped, 2);
	assert_int_equal(warnings, 5);
	assert_int_equal(json_array_size(rs.dropped), 5);
	row = row_of(&rs, 1);
	assert_col_str(row, "date", "2026-11-22");
	assert_col_null(row, "sleep_score");
	json_decref(row);
	row = row_of(&rs, 2);
	assert_col_int(row, "sleep_score", 81);
	assert_true(json_is_array(json_object_get(row, "hypnogram")));
	assert_int_equal(json_array_size(json_object_get(row, "hypnogram")), 0);
	json_decref(row);
	row = row_of(&rs, 0);
	assert_col_str(row, "date", "2026-11-21");
	assert_col_str(row, "sleep_start_time",
	    "2026-11-20T23:40:05.000+02:00");
	assert_col_int(row, "sleep_start_offset_minutes", 120);
	assert_col_int(row, "light_sleep_seconds", 12960);
	assert_col_int(row, "total_sleep_seconds", 12960 + 4380 + 4620 + 120);
	assert_col_int(row, "interruptions_seconds", 2619);
	assert_col_int(row, "sleep_score", 72);
	assert_col_null(row, "sleep_charge");	/* -1 sentinel */
	assert_col_null(row, "sleep_rating");	/* 0 = not rated */
	assert_col_dbl(row, "continuity", 3.1);
	assert_col_int(row, "heart_rate_min", 57);	/* 0 ignored */
	assert_col_int(row, "heart_rate_max", 63);
	assert_col_dbl(row, "heart_rate_avg", 59.3);
	/* [time, value] pairs in Polar's order, across midnight */
	text = json_dumps(json_object_get(row, "hypnogram"), JSON_COMPACT);
	assert_string_equal(text, "[[\"23:40\",2],[\"23:52\",3],[\"00:20\",4]]");
	free(text);
	raw = json_object_get(row, "raw");
	assert_non_null(json_object_get(raw, "new_field"));
	assert_null(json_object_get(raw, "hypnogram"));
	assert_int_equal(rs.day[0], 20778);	/* 2026-11-21 */
	json_decref(row);
	rowset_cleanup(&rs);
}

static void
test_recharge(void **state)
{
	struct rowset	 rs;
	json_t		*row;

	(void)state;
	run(ST_RECHARGE, "{\"recharges\":[{\"date\":\"2026-11-22\","
	    "\"heart_rate_avg\":54,\"beat_to_beat_avg\":0,"
	    "\"heart_rate_variability_avg\":46,\"breathing_rate_avg\":13.8,"
	    "\"nightly_recharge_status\":4,\"ans_charge\":2.1,"
	    "\"ans_charge_status\":4,\"hrv_samples\":{\"23:43\":41},"
	    "\"breathing_samples\":{\"23:42\":13.9}},"
	    "{\"date\":\"2026-11-23\",\"ans_charge\":11.5},"
	    "{\"date\":\"2026-11-24\",\"nightly_recharge_status\":\"BAD\"}]}",
	    &rs);
	/* out-of-range and unknown values are left out, nights kept */
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.skipped, 0);
	row = row_of(&rs, 1);
	assert_col_null(row, "ans_charge");
	json_decref(row);
	row = row_of(&rs, 0);
	assert_col_dbl(row, "hrv_avg", 46);
	assert_col_dbl(row, "heart_rate_variability_avg", 46);
	assert_col_null(row, "beat_to_beat_avg");
	assert_col_dbl(row, "ans_charge", 2.1);
	assert_non_null(json_object_get(row, "hrv_samples"));
	json_decref(row);
	rowset_cleanup(&rs);
}

static void
test_activity(void **state)
{
	struct rowset	 rs;
	json_t		*row;

	(void)state;
	run(ST_ACTIVITY, "[{\"start_time\":\"2026-11-21T00:00:00\","
	    "\"end_time\":\"2026-11-21T23:59:59\","
	    "\"active_duration\":\"PT4H3M\","
	    "\"inactive_duration\":\"PT10H47M30S\",\"daily_activity\":127.5,"
	    "\"calories\":2986,\"active_calories\":1281,\"steps\":17655,"
	    "\"inactivity_alert_count\":0,\"distance_from_steps\":14120.2},"
	    "{\"start_time\":\"2026-09-08\",\"steps\":10},"
	    "{\"start_time\":\"2026-13-08\",\"steps\":10},"
	    "{\"start_time\":\"2026-09-09\",\"active_duration\":\"4 hours\"}]",
	    &rs);
	assert_int_equal(rs.n, 3);		/* a bad duration is left out */
	assert_int_equal(rs.skipped, 1);	/* an impossible day is not */
	row = row_of(&rs, 2);
	assert_col_null(row, "active_time_seconds");
	json_decref(row);
	row = row_of(&rs, 0);
	assert_col_str(row, "date", "2026-11-21");
	assert_col_int(row, "active_time_seconds", 4 * 3600 + 3 * 60);
	assert_col_int(row, "inactive_time_seconds", 38850);
	assert_col_int(row, "calories_total", 2986);
	assert_col_int(row, "calories_active", 1281);
	assert_col_dbl(row, "distance_meters", 14120.2);
	assert_col_int(row, "activity_score", 128);
	assert_col_null(row, "start_time");	/* local, zone unknown */
	json_decref(row);
	row = row_of(&rs, 1);
	assert_col_str(row, "date", "2026-09-08");	/* bare date */
	json_decref(row);
	rowset_cleanup(&rs);
}

static void
test_activity_samples(void **state)
{
	struct rowset	 rs;
	json_t		*row, *raw;

	(void)state;
	run(ST_ACTIVITY_SAMPLES, "[{\"date\":\"2026-11-22\",\"steps\":"
	    "{\"interval_ms\":60000,\"total_steps\":8412,\"samples\":["
	    "{\"steps\":0,\"timestamp\":\"2026-11-22T00:00\"},"
	    "{\"steps\":14,\"timestamp\":\"2026-11-22T06:42\"}]},"
	    "\"activity_zones\":{\"samples\":[{\"zone\":\"SLEEP\","
	    "\"timestamp\":\"2026-11-22T00:00:00\"}]},"
	    "\"inactivity_stamps\":{\"samples\":[{\"stamp\":"
	    "\"2026-11-22T15:47\"}]}},"
	    "{\"date\":\"2026-11-23\",\"steps\":{\"samples\":[{\"steps\":-4,"
	    "\"timestamp\":\"x\"}]}}]", &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.skipped, 1);
	row = row_of(&rs, 0);
	assert_col_int(row, "total_steps", 8412);
	assert_col_int(row, "interval_ms", 60000);
	assert_col_int(row, "sample_count", 2);
	assert_non_null(json_object_get(row, "zone_samples"));
	raw = json_object_get(row, "raw");
	/* {samples:[...]} is normalised to the spec's array */
	assert_true(json_is_array(json_object_get(raw, "inactivity_stamps")));
	json_decref(row);
	rowset_cleanup(&rs);
}

static const char EXERCISE[] = "{\"id\":\"2XkR9pLq\","
    "\"upload_time\":\"2026-11-21T17:21:44.000Z\","
    "\"device\":\"Polar Vantage V3\",\"device_id\":\"A1B2C3D4\","
    "\"start_time\":\"2026-11-21T18:02:11\",\"start_time_utc_offset\":120,"
    "\"duration\":\"PT52M13S\",\"calories\":612,\"distance\":10123.4,"
    "\"heart_rate\":{\"average\":152,\"maximum\":181},"
    "\"training_load\":143.2,\"sport\":\"RUNNING\",\"has_route\":true,"
    "\"detailed_sport_info\":\"RUNNING\",\"fat_percentage\":31,"
    "\"carbohydrate_percentage\":67,\"protein_percentage\":2,"
    "\"running-index\":52,\"training_load_pro\":{\"date\":\"2026-11-21\","
    "\"cardio-load\":143.2,\"muscle-load\":-1.0,"
    "\"muscle-load-interpretation\":\"NOT_AVAILABLE\"},"
    "\"heart_rate_zones\":[{\"index\":1,\"lower-limit\":94,"
    "\"upper-limit\":113,\"in-zone\":\"PT1M20S\"}],"
    "\"samples\":[{\"recording-rate\":null,\"sample-type\":\"11\","
    "\"data\":\"652,648,null,655\"}],"
    "\"route\":[{\"latitude\":60.1699121,\"longitude\":24.9383807,"
    "\"time\":\"PT1.012S\",\"satellites\":11,\"fix\":1}]}";

static void
test_exercise(void **state)
{
	struct rowset	 rs;
	json_t		*row, *raw;

	(void)state;
	run(ST_EXERCISE, EXERCISE, &rs);
	assert_int_equal(rs.n, 1);
	/* Polar's decimals come out as sent, not as their binary neighbours */
	assert_non_null(strstr(rs.row[0], "\"latitude\":60.1699121,"));
	assert_non_null(strstr(rs.row[0], "\"training_load\":143.2,"));
	row = row_of(&rs, 0);
	assert_col_str(row, "polar_exercise_id", "2XkR9pLq");
	assert_col_str(row, "start_time", "2026-11-21T18:02:11.000+02:00");
	assert_col_str(row, "stop_time", "2026-11-21T18:54:24.000+02:00");
	assert_col_int(row, "start_offset_minutes", 120);
	assert_col_dbl(row, "duration_seconds", 3133);
	assert_col_int(row, "average_heart_rate", 152);
	assert_col_int(row, "max_heart_rate", 181);
	assert_col_int(row, "running_index", 52);
	assert_true(json_is_true(json_object_get(row, "has_route")));
	assert_non_null(json_object_get(row, "training_load_pro"));
	assert_int_equal(json_array_size(json_object_get(row, "samples")), 1);
	raw = json_object_get(row, "raw");
	assert_null(json_object_get(raw, "route"));
	assert_non_null(json_object_get(raw, "upload_time"));
	assert_int_equal(rs.day[0], 20778);
	json_decref(row);
	rowset_cleanup(&rs);

	/* Missing optional fields are NULL; a bad id skips the record. */
	run(ST_EXERCISE, "{\"id\":\"abc\",\"start_time\":\"2026-11-21T18:02:11\","
	    "\"start_time_utc_offset\":0,\"duration\":\"PT1M\",\"sport\":\"OTHER\"}",
	    &rs);
	assert_int_equal(rs.n, 1);
	row = row_of(&rs, 0);
	assert_col_null(row, "calories");
	assert_col_null(row, "average_heart_rate");
	assert_true(json_is_false(json_object_get(row, "has_route")));
	json_decref(row);
	rowset_cleanup(&rs);
	run(ST_EXERCISE, "{\"id\":\"../etc\",\"start_time\":"
	    "\"2026-11-21T18:02:11\"}", &rs);
	assert_int_equal(rs.n, 0);
	assert_int_equal(rs.skipped, 1);
	rowset_cleanup(&rs);
}

static void
test_cardio(void **state)
{
	struct rowset	 rs;
	json_t		*row;

	(void)state;
	run(ST_CARDIO_LOAD, "[{\"date\":\"2026-11-21\","
	    "\"cardio_load_status\":\"PRODUCTIVE\",\"cardio_load\":143.2,"
	    "\"strain\":81.9,\"tolerance\":69.7,\"cardio_load_ratio\":1.18,"
	    "\"cardio_load_level\":{\"very_low\":17.5,\"low\":35.0,"
	    "\"medium\":70.1,\"high\":105.1,\"very_high\":140.2}},"
	    "{\"date\":\"2026-10-24\","
	    "\"cardio_load_status\":\"LOAD_STATUS_NOT_AVAILABLE\","
	    "\"cardio_load\":-1.0,\"strain\":0.0,\"tolerance\":-1.0,"
	    "\"cardio_load_ratio\":-1.0,\"cardio_load_level\":{\"very_low\":0.0,"
	    "\"low\":0.0,\"medium\":0.0,\"high\":0.0,\"very-high\":0.0}},"
	    "{\"date\":\"2026-10-25\",\"cardio_load_status\":\"SOMETHING_NEW\"},"
	    "{\"date\":\"2026-10-26\",\"cardio_load_level\":{\"very-high\":7}}]",
	    &rs);
	assert_int_equal(rs.n, 4);
	assert_int_equal(rs.skipped, 0);	/* unknown enum: left out */
	row = row_of(&rs, 0);
	assert_col_dbl(row, "load_very_high", 140.2);
	assert_col_dbl(row, "cardio_load_ratio", 1.18);
	json_decref(row);
	row = row_of(&rs, 1);
	assert_col_null(row, "cardio_load");
	assert_col_null(row, "cardio_load_ratio");
	assert_col_null(row, "tolerance");
	assert_col_null(row, "strain");
	assert_col_null(row, "load_very_high");
	assert_col_str(row, "cardio_load_status", "LOAD_STATUS_NOT_AVAILABLE");
	json_decref(row);
	row = row_of(&rs, 2);
	assert_col_null(row, "cardio_load_status");
	json_decref(row);
	row = row_of(&rs, 3);
	assert_col_dbl(row, "load_very_high", 7);	/* spec spelling */
	json_decref(row);
	rowset_cleanup(&rs);
}

static void
test_sleepwise(void **state)
{
	struct rowset	 rs;
	json_t		*row;

	(void)state;
	run(ST_ALERTNESS, "[{\"grade\":7.4,\"grade_validity_seconds\":57600,"
	    "\"grade_type\":\"GRADE_TYPE_PRIMARY\","
	    "\"grade_classification\":\"GRADE_CLASSIFICATION_FAIR\","
	    "\"validity\":\"VALIDITY_VALID\",\"sleep_inertia\":\"SLEEP_INERTIA_MILD\","
	    "\"sleep_type\":\"SLEEP_TYPE_PRIMARY\","
	    "\"result_type\":\"ALERTNESS_TYPE_HISTORY\","
	    "\"period_start_time\":\"2026-11-21T21:12:30\","
	    "\"period_end_time\":\"2026-11-22T20:55:00\","
	    "\"sleep_period_start_time\":\"2026-11-21T21:12:30.42\","
	    "\"sleep_period_end_time\":\"2026-11-22T04:41:10.42\","
	    "\"sleep_timezone_offset_minutes\":120,\"hourly_data\":[]},"
	    "{\"period_start_time\":\"2026-11-31T21:12:30\"}]", &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.skipped, 1);
	row = row_of(&rs, 0);
	assert_col_str(row, "period_start_time", "2026-11-21T21:12:30.000Z");
	assert_col_str(row, "sleep_period_start_time",
	    "2026-11-21T21:12:30.420Z");
	assert_int_equal(rs.day[0], 20778);	/* 23:12 local, Nov 21 */
	json_decref(row);
	rowset_cleanup(&rs);

	run(ST_BEDTIME, "[{\"validity\":\"VALIDITY_VALID\",\"quality\":"
	    "\"CIRCADIAN_BEDTIME_QUALITY_CLEARLY_RECOGNIZABLE\","
	    "\"result_type\":\"CIRCADIAN_BEDTIME_TYPE_HISTORY\","
	    "\"period_start_time\":\"2026-11-21T20:50:00\","
	    "\"period_end_time\":\"2026-11-22T04:50:00\","
	    "\"preferred_sleep_period_start_time\":\"2026-11-21T20:50:00\","
	    "\"preferred_sleep_period_end_time\":\"2026-11-22T04:50:00\","
	    "\"sleep_gate_start_time\":\"2026-11-21T20:35:00\","
	    "\"sleep_gate_end_time\":\"2026-11-21T21:05:00\","
	    "\"sleep_timezone_offset_minutes\":120}]", &rs);
	assert_int_equal(rs.n, 1);
	row = row_of(&rs, 0);
	assert_col_str(row, "sleep_gate_start", "2026-11-21T20:35:00.000Z");
	assert_col_str(row, "preferred_sleep_end", "2026-11-22T04:50:00.000Z");
	json_decref(row);
	rowset_cleanup(&rs);
}

static void
test_chr(void **state)
{
	struct rowset	 rs;
	json_t		*row;

	(void)state;
	run(ST_CHR, "{\"date\":\"2026-11-22\",\"heart_rate_samples\":["
	    "{\"heart_rate\":61,\"sample_time\":\"00:02:08\"},"
	    "{\"heart_rate\":0,\"sample_time\":\"00:07:08\"},"
	    "{\"heart_rate\":92,\"sample_time\":\"07:59:30\"}]}", &rs);
	assert_int_equal(rs.n, 1);
	row = row_of(&rs, 0);
	assert_col_int(row, "sample_count", 3);
	assert_col_int(row, "hr_min", 61);
	assert_col_int(row, "hr_max", 92);
	assert_col_int(row, "hr_avg", 77);	/* (61 + 92) / 2, 0 ignored */
	json_decref(row);
	rowset_cleanup(&rs);
	run(ST_CHR, "{\"date\":\"2026-11-22\",\"heart_rate_samples\":["
	    "{\"heart_rate\":\"61\",\"sample_time\":\"00:02:08\"}]}", &rs);
	assert_int_equal(rs.n, 0);
	assert_int_equal(rs.skipped, 1);
	rowset_cleanup(&rs);
}

static void
test_biosensing(void **state)
{
	struct rowset	 rs;
	json_t		*row;

	(void)state;
	/* test_time in seconds (spec) and in milliseconds (SDK) agree */
	run(ST_SPO2, "[{\"source_device_id\":\"A1B2C3D4\","
	    "\"test_time\":1795333270,\"time_zone_offset\":120,"
	    "\"test_status\":\"SPO2_TEST_PASSED\",\"blood_oxygen_percent\":97,"
	    "\"spo2_class\":\"SPO2_CLASS_NORMAL\","
	    "\"spo2_value_deviation_from_baseline\":\"DEVIATION_USUAL\","
	    "\"spo2_quality_average_percent\":92.5,"
	    "\"average_heart_rate_bpm\":59,\"heart_rate_variability_ms\":44.8,"
	    "\"spo2_hrv_deviation_from_baseline\":\"DEVIATION_USUAL\","
	    "\"altitude_meters\":18.0},"
	    "{\"test_time\":1795333270000,\"time_zone_offset\":120},"
	    "{\"test_time\":1795333271000,\"blood_oxygen_percent\":140}]", &rs);
	assert_int_equal(rs.n, 3);	/* 140 % is left out, the test kept */
	assert_int_equal(rs.skipped, 0);
	row = row_of(&rs, 0);
	assert_col_str(row, "test_time", "2026-11-22T09:41:10.000+02:00");
	assert_col_int(row, "blood_oxygen_percent", 97);
	assert_col_str(row, "spo2_deviation", "DEVIATION_USUAL");
	json_decref(row);
	row = row_of(&rs, 1);
	assert_col_str(row, "test_time", "2026-11-22T09:41:10.000+02:00");
	json_decref(row);
	rowset_cleanup(&rs);

	run(ST_ECG, "[{\"source_device_id\":\"A1B2C3D4\",\"test_time\":1795332896,"
	    "\"time_zone_offset\":120,\"average_heart_rate_bpm\":58,"
	    "\"heart_rate_variability_ms\":47.3,"
	    "\"heart_rate_variability_level\":\"ECG_HRV_LEVEL_USUAL\","
	    "\"rri_ms\":1032.5,\"samples\":[{\"recording_time_delta_ms\":0,"
	    "\"amplitude_mv\":0.012},{\"recording_time_delta_ms\":38,"
	    "\"amplitude_mv\":-0.104}],\"quality_measurements\":["
	    "{\"recording_time_delta_ms\":0,\"quality_level\":"
	    "\"ECG_QUALITY_HIGH\"}]}]", &rs);
	assert_int_equal(rs.n, 1);
	row = row_of(&rs, 0);
	assert_col_int(row, "sample_count", 2);
	assert_col_dbl(row, "duration_seconds", 0.038);
	assert_col_str(row, "hrv_level", "ECG_HRV_LEVEL_USUAL");
	json_decref(row);
	rowset_cleanup(&rs);

	run(ST_BODY_TEMP, "[{\"source_device_id\":\"A1B2C3D4\","
	    "\"measurement_type\":\"TM_SKIN_TEMPERATURE\","
	    "\"sensor_location\":\"SL_DISTAL\","
	    "\"start_time\":\"2026-11-21T21:12:00\","
	    "\"end_time\":\"2026-11-22T04:41:00\","
	    "\"modified_time\":\"2026-11-22T05:03:27\",\"samples\":["
	    "{\"temperature_celsius\":33.61,"
	    "\"recording_time_delta_milliseconds\":0},"
	    "{\"temperature_celsius\":34.05,"
	    "\"recording_time_delta_milliseconds\":60000}]}]", &rs);
	row = row_of(&rs, 0);
	assert_col_dbl(row, "temp_min", 33.61);
	assert_col_dbl(row, "temp_max", 34.05);
	assert_col_dbl(row, "temp_avg", 33.83);
	assert_col_int(row, "sample_count", 2);
	json_decref(row);
	rowset_cleanup(&rs);

	run(ST_SKIN_TEMP, "[{\"sleep_time_skin_temperature_celsius\":34.31,"
	    "\"deviation_from_baseline_celsius\":0.62,\"sleep_date\":"
	    "\"2026-11-21\"},{\"sleep_date\":\"2026-11-22\","
	    "\"deviation_from_baseline_celsius\":-0.21}]", &rs);
	assert_int_equal(rs.n, 2);
	row = row_of(&rs, 0);
	assert_true(json_is_true(json_object_get(row, "is_elevated")));
	json_decref(row);
	row = row_of(&rs, 1);
	assert_true(json_is_false(json_object_get(row, "is_elevated")));
	json_decref(row);
	rowset_cleanup(&rs);
}

static void
test_physical(void **state)
{
	struct rowset	 rs;
	json_t		*row;

	(void)state;
	run(ST_PHYSICAL, "{\"weight\":63.5,\"height\":168.0,"
	    "\"created\":\"2026-10-30T09:14:05Z\","
	    "\"modified\":\"2026-11-15T18:22:41Z\",\"birthday\":\"1988-04-17\","
	    "\"gender\":\"FEMALE\",\"maximum_heart_rate\":188,"
	    "\"resting_heart_rate\":51,\"aerobic_threshold\":141,"
	    "\"anaerobic_threshold\":169,\"vo2_max\":49,"
	    "\"weight_source\":\"SOURCE_USER\",\"training_background\":"
	    "\"FREQUENT\",\"typical_day\":\"MOSTLY_SITTING\",\"sleep_goal\":"
	    "\"PT7H30M\"}", &rs);
	row = row_of(&rs, 0);
	assert_col_str(row, "recorded_at", "2026-11-15T18:22:41.000Z");
	assert_col_int(row, "sleep_goal_seconds", 27000);
	assert_col_dbl(row, "weight_kg", 63.5);
	json_decref(row);
	rowset_cleanup(&rs);
	/* The SDK's minimal payload: keyed by today, idempotent per day. */
	run(ST_PHYSICAL, "{\"weight\":82.0,\"height\":180}", &rs);
	row = row_of(&rs, 0);
	assert_col_str(row, "recorded_at", "2026-11-23T00:00:00.000Z");
	assert_col_dbl(row, "height_cm", 180);
	json_decref(row);
	rowset_cleanup(&rs);
}

static void
test_bad_documents(void **state)
{
	static const struct {
		enum stream	 st;
		const char	*body;
	} bad[] = {
		{ ST_SLEEP, "[]" },
		{ ST_SLEEP, "{\"nights\":{}}" },
		{ ST_RECHARGE, "{}" },
		{ ST_ACTIVITY, "{\"x\":1}" },
		{ ST_EXERCISE, "[1]" },
		{ ST_CHR, "[]" },
	};
	struct rowset	 rs;
	json_t		*doc;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = load(bad[i].body);
		rowset_init(&rs);
		assert_int_equal(transform(bad[i].st, doc, "u", NOW_MS, &rs),
		    PF_ERR_PROTO);
		assert_int_equal(rs.n, 0);
		json_decref(doc);
	}
	rowset_init(&rs);
	assert_int_equal(transform(ST_SLEEP, NULL, "u", NOW_MS, &rs),
	    PF_ERR_PROTO);
	/* Every stream survives a list of junk records. */
	for (i = 0; i < ST__COUNT; i++) {
		doc = load(i == ST_SLEEP ? "{\"nights\":[null,1,\"x\",[],{}]}" :
		    i == ST_RECHARGE ? "{\"recharges\":[null,1,{}]}" :
		    i == ST_EXERCISE || i == ST_PHYSICAL || i == ST_CHR ?
		    "{\"date\":17,\"id\":[],\"start_time\":{},\"modified\":5}" :
		    "[null,true,1.5,\"s\",[],{},{\"date\":\"2026-02-29\"}]");
		rowset_init(&rs);
		assert_int_equal(transform((enum stream)i, doc, "u", NOW_MS,
		    &rs), PF_OK);
		assert_int_equal(rs.n, 0);
		assert_true(rs.skipped > 0);
		rowset_cleanup(&rs);
		json_decref(doc);
	}
}

static void
test_exercise_ids(void **state)
{
	const char	**ids;
	size_t		  n;
	json_t		 *doc;

	(void)state;
	doc = load("[{\"id\":\"7bNq3WzT\"},{\"id\":\"a/b\"},{\"id\":5},1,"
	    "{\"id\":\"2XkR9pLq\"}]");
	assert_int_equal(transform_exercise_ids(doc, "u", &ids, &n), PF_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "7bNq3WzT");
	assert_string_equal(ids[1], "2XkR9pLq");
	free(ids);
	json_decref(doc);
	doc = load("{}");
	assert_int_equal(transform_exercise_ids(doc, "u", &ids, &n),
	    PF_ERR_PROTO);
	json_decref(doc);
}

/* Each invalid byte becomes U+FFFD; valid text is left alone. */
static void
test_utf8_fix(void **state)
{
	char	*out;
	size_t	 len;

	(void)state;
	assert_int_equal(transform_utf8_fix("caf\xc3\xa9 \xf0\x9f\x98\x80", 10,
	    &out, &len), 0);
	assert_null(out);
	/* a lone Latin-1 byte, a surrogate, a truncated sequence */
	assert_int_equal(transform_utf8_fix("caf\xe9!\xed\xa0\x80\xe2\x82", 10,
	    &out, &len), 6);
	assert_int_equal(len, 3 + 3 + 1 + 5 * 3);
	assert_memory_equal(out, "caf\xef\xbf\xbd!\xef\xbf\xbd", 10);
	free(out);
}

/* A zone-less local time takes its day's offset, else the next day's. */
static void
test_local_offsets(void **state)
{
	int64_t			 days[] = { 20778, 20780 };
	int			 offs[] = { 120, 180 }, off = 0;
	struct day_offsets	 known = { 2, days, offs };
	struct rowset		 rs;
	json_t			*doc, *row;

	(void)state;
	assert_true(day_offsets_find(&known, 20778, &off) && off == 120);
	assert_true(day_offsets_find(&known, 20779, &off) && off == 120);
	assert_true(day_offsets_find(&known, 20781, &off) && off == 180);
	assert_false(day_offsets_find(&known, 20790, &off));
	assert_false(day_offsets_find(NULL, 20778, &off));
	doc = load("{\"nights\":[{\"date\":\"2026-11-21\","
	    "\"sleep_start_time\":\"2026-11-20T23:40:05\"}]}");
	rowset_init(&rs);
	assert_int_equal(transform_at(ST_SLEEP, doc, "u1", NOW_MS, &known,
	    &rs), PF_OK);
	row = row_of(&rs, 0);
	assert_col_str(row, "sleep_start_time",
	    "2026-11-20T23:40:05.000+02:00");
	assert_col_int(row, "sleep_start_offset_minutes", 120);
	json_decref(row);
	assert_null(rs.dropped);
	rowset_cleanup(&rs);
	/* none known: UTC, and noted */
	rowset_init(&rs);
	assert_int_equal(transform(ST_SLEEP, doc, "u1", NOW_MS, &rs), PF_OK);
	row = row_of(&rs, 0);
	assert_col_int(row, "sleep_start_offset_minutes", 0);
	json_decref(row);
	assert_int_equal(json_array_size(rs.dropped), 1);
	rowset_cleanup(&rs);
	json_decref(doc);
}

static void
test_pair(void **state)
{
	int64_t		 a, b;

	(void)state;
	assert_int_equal(transform_pair("37,412", &a, &b), PF_OK);
	assert_int_equal(a, 37);
	assert_int_equal(b, 412);
	assert_int_equal(transform_pair(" 37, 412 \r\n", &a, &b), PF_OK);
	assert_int_equal(transform_pair("37", &a, &b), PF_ERR_PARSE);
	assert_int_equal(transform_pair("-1, 2", &a, &b), PF_ERR_PARSE);
	assert_int_equal(transform_pair("1, 2x", &a, &b), PF_ERR_PARSE);
	assert_int_equal(transform_pair(NULL, &a, &b), PF_ERR_PARSE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sleep),
		cmocka_unit_test(test_recharge),
		cmocka_unit_test(test_activity),
		cmocka_unit_test(test_activity_samples),
		cmocka_unit_test(test_exercise),
		cmocka_unit_test(test_cardio),
		cmocka_unit_test(test_sleepwise),
		cmocka_unit_test(test_chr),
		cmocka_unit_test(test_biosensing),
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_exercise_ids),
		cmocka_unit_test(test_pair),
		cmocka_unit_test(test_utf8_fix),
		cmocka_unit_test(test_local_offsets),
	};

	pf_log_set_sink(sink);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
