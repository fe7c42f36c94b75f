/*
 * store.c -- every SQL statement apid runs.
 *
 * Each route statement returns exactly one row (code integer, body text):
 * code 200 with the response body rendered by PostgreSQL, or 404 with the
 * "detail" text.  Parameters: $1 is the path's user_id, then the other
 * path captures in order, then "days" when the route takes it.  "Today"
 * is current_date in UTC (apid sets TimeZone=UTC on its connections), and
 * a window of N days holds the rows with date >= today - N, as upstream.
 * Numbers are rounded as upstream does (round(x, 2) and friends), with the
 * Python "0 or NULL -> null" rules written out as NULLIF.
 */
#include "apid/apid.h"

/*
 * A float as upstream's JSON writes it: the shortest digits that read
 * back as the double, and "29.0", not "29", for a whole number -- typed
 * clients decode 29 as an integer.  (PostgreSQL prints a whole float8 as
 * 29; a numeric keeps the scale it is given.)
 */
#define JF(x)	"round((" x ")::float8::text::numeric," \
		" greatest(scale((" x ")::float8::text::numeric), 1))"
#define R2(x)	JF("round((" x ")::numeric, 2)")
#define R1(x)	JF("round((" x ")::numeric, 1)")
#define HOURS(s) JF("nullif(" s ", 0)::float8 / 3600")
#define SINCE(n) "(current_date - $" #n "::int)"
#define LIST(obj, from, order) \
	"SELECT 200, coalesce(json_agg(" obj " ORDER BY " order "), " \
	"'[]')::text FROM " from

const char store_sql_lease[] =
    "SELECT key_id, coalesce(key_user, ''), lim, granted, used "
    "FROM apid_key_lease($1, to_timestamp($2::bigint), $3::int, $4::int)";

const char store_sql_ready[] =
    "SELECT 200, coalesce((SELECT max(version) FROM schema_migrations), 0)"
    "::text";

const char store_sql_sleep_list[] = LIST(
    "json_build_object('date', date, 'sleep_score', sleep_score,"
    " 'total_sleep_hours', " HOURS("total_sleep_seconds") ","
    " 'light_sleep_hours', " HOURS("light_sleep_seconds") ","
    " 'deep_sleep_hours', " HOURS("deep_sleep_seconds") ","
    " 'rem_sleep_hours', " HOURS("rem_sleep_seconds") ","
    " 'hrv_avg', " JF("hrv_avg") ", 'heart_rate_avg', " JF("heart_rate_avg") ","
    " 'breathing_rate_avg', " JF("breathing_rate_avg") ","
    " 'skin_temperature_avg', " JF("skin_temperature_avg") ")",
    "sleep WHERE user_id = $1 AND date >= " SINCE(2), "date DESC");

const char store_sql_sleep_day[] =
    "SELECT 200, coalesce((SELECT json_build_object('date', date,"
    " 'sleep_start_time', sleep_start_time,"
    " 'sleep_end_time', sleep_end_time, 'sleep_score', sleep_score,"
    " 'sleep_rating', sleep_rating,"
    " 'total_sleep_hours', " HOURS("total_sleep_seconds") ","
    " 'light_sleep_hours', " HOURS("light_sleep_seconds") ","
    " 'deep_sleep_hours', " HOURS("deep_sleep_seconds") ","
    " 'rem_sleep_hours', " HOURS("rem_sleep_seconds") ","
    " 'interruptions_hours',"
    "   " HOURS("interruptions_seconds") ","
    " 'hrv_avg', " JF("hrv_avg") ", 'hrv_samples', hrv_samples,"
    " 'heart_rate_avg', " JF("heart_rate_avg") ", 'heart_rate_min', heart_rate_min,"
    " 'heart_rate_max', heart_rate_max,"
    " 'breathing_rate_avg', " JF("breathing_rate_avg") ","
    " 'skin_temperature_avg', " JF("skin_temperature_avg") ","
    " 'device_id', device_id, 'continuity', " JF("continuity") ","
    " 'continuity_class', continuity_class, 'sleep_cycles', sleep_cycles,"
    " 'unrecognized_sleep_seconds', unrecognized_sleep_seconds,"
    " 'short_interruption_seconds', short_interruption_seconds,"
    " 'long_interruption_seconds', long_interruption_seconds,"
    " 'sleep_charge', sleep_charge,"
    " 'sleep_goal_hours', " HOURS("sleep_goal_seconds") ","
    " 'group_duration_score', " JF("group_duration_score") ","
    " 'group_solidity_score', " JF("group_solidity_score") ","
    " 'group_regeneration_score', " JF("group_regeneration_score") ","
    " 'hypnogram', pf_clock_object(hypnogram),"
    " 'heart_rate_samples', pf_clock_object(heart_rate_samples))"
    " FROM sleep WHERE user_id = $1 AND date = $2::date)::text, 'null')";

const char store_sql_activity_list[] = LIST(
    "json_build_object('date', date, 'steps', steps,"
    " 'calories_active', calories_active, 'calories_total', calories_total,"
    " 'distance_km', " R2("distance_meters / 1000") ","
    " 'active_minutes', " R1("active_time_seconds::float8 / 60") ","
    " 'activity_score', activity_score)",
    "activity WHERE user_id = $1 AND date >= " SINCE(2), "date DESC");

const char store_sql_activity_day[] =
    "SELECT CASE WHEN j IS NULL THEN 404 ELSE 200 END,"
    " coalesce(j::text, 'No activity data for ' || $2) FROM (SELECT"
    " (SELECT json_build_object('date', date, 'steps', steps,"
    " 'calories_active', calories_active, 'calories_total', calories_total,"
    " 'distance_meters', " JF("distance_meters") ","
    " 'active_time_seconds', active_time_seconds,"
    " 'activity_score', activity_score,"
    " 'inactivity_alerts', inactivity_alerts)"
    " FROM activity WHERE user_id = $1 AND date = $2::date) AS j) s";

const char store_sql_recharge_list[] = LIST(
    "json_build_object('date', date, 'hrv_avg', " JF("hrv_avg") ","
    " 'ans_charge', " JF("ans_charge") ", 'ans_charge_status', ans_charge_status,"
    " 'breathing_rate_avg', " JF("breathing_rate_avg") ","
    " 'heart_rate_avg', " JF("heart_rate_avg") ","
    " 'nightly_recharge_status', nightly_recharge_status,"
    " 'beat_to_beat_avg', beat_to_beat_avg)",
    "nightly_recharge WHERE user_id = $1 AND date >= " SINCE(2),
    "date DESC");

#define PHYS \
    "'recorded_at', recorded_at, 'weight_kg', " JF("weight_kg") "," \
    " 'height_cm', " JF("height_cm") ", 'maximum_heart_rate', maximum_heart_rate," \
    " 'resting_heart_rate', resting_heart_rate," \
    " 'aerobic_threshold', aerobic_threshold," \
    " 'anaerobic_threshold', anaerobic_threshold, 'vo2_max', vo2_max," \
    " 'weight_source', weight_source," \
    " 'training_background', training_background," \
    " 'typical_day', typical_day," \
    " 'sleep_goal_hours', " HOURS("sleep_goal_seconds")

const char store_sql_physical_info[] =
    "WITH p AS (SELECT *, row_number() OVER (ORDER BY recorded_at DESC) rn"
    " FROM physical_info WHERE user_id = $1)"
    " SELECT 200, coalesce((SELECT json_build_object(" PHYS ","
    " 'history', (SELECT coalesce(json_agg(json_build_object(" PHYS ")"
    "   ORDER BY recorded_at DESC), '[]') FROM p WHERE rn BETWEEN 2 AND 11))"
    " FROM p WHERE rn = 1)::text, 'null')";

const char store_sql_cardio_list[] = LIST(
    "json_build_object('date', date,"
    " 'strain', " R2("nullif(strain, 0)") ","
    " 'tolerance', " R2("nullif(tolerance, 0)") ","
    " 'cardio_load', " R2("nullif(cardio_load, 0)") ","
    " 'cardio_load_ratio', " R2("nullif(cardio_load_ratio, 0)") ","
    " 'cardio_load_status', cardio_load_status)",
    "cardio_load WHERE user_id = $1 AND date >= " SINCE(2), "date DESC");

const char store_sql_hr_list[] = LIST(
    "json_build_object('date', date, 'hr_min', hr_min, 'hr_avg', hr_avg,"
    " 'hr_max', hr_max, 'sample_count', sample_count)",
    "continuous_heart_rate WHERE user_id = $1 AND date >= " SINCE(2),
    "date DESC");

const char store_sql_hr_samples[] =
    "SELECT CASE WHEN h.date IS NULL OR nullif(h.samples, '[]') IS NULL"
    " THEN 404 ELSE 200 END,"
    " CASE WHEN h.date IS NULL THEN 'No heart rate data for ' || $2"
    " WHEN nullif(h.samples, '[]') IS NULL THEN 'Heart rate data for ' ||"
    " $2 || ' has no samples'"
    " ELSE json_build_object('date', h.date, 'hr_min', h.hr_min,"
    " 'hr_avg', h.hr_avg, 'hr_max', h.hr_max,"
    " 'sample_count', h.sample_count, 'samples', h.samples)::text END"
    " FROM (SELECT 1) one LEFT JOIN continuous_heart_rate h"
    " ON h.user_id = $1 AND h.date = $2::date";

const char store_sql_exercise_list[] = LIST(
    "json_build_object('id', id, 'polar_exercise_id', polar_exercise_id,"
    " 'start_time', start_time, 'sport', sport,"
    " 'duration_minutes', " R1("duration_seconds / 60") ","
    " 'distance_km', " R2("distance_meters / 1000") ","
    " 'calories', calories, 'average_heart_rate', average_heart_rate,"
    " 'max_heart_rate', max_heart_rate, 'training_load', " JF("training_load") ")",
    "exercise WHERE user_id = $1 AND start_time >= " SINCE(2),
    "start_time DESC");

const char store_sql_exercise_one[] =
    "SELECT CASE WHEN e.id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN e.id IS NULL THEN 'Exercise ' || $2 || ' not found'"
    " ELSE json_build_object('id', e.id,"
    " 'polar_exercise_id', e.polar_exercise_id,"
    " 'start_time', e.start_time, 'sport', e.sport,"
    " 'duration_seconds', e.duration_seconds,"
    " 'distance_meters', " JF("e.distance_meters") ", 'calories', e.calories,"
    " 'average_heart_rate', e.average_heart_rate,"
    " 'max_heart_rate', e.max_heart_rate,"
    " 'average_speed_mps', " JF("e.average_speed_mps") ","
    " 'max_speed_mps', " JF("e.max_speed_mps") ","
    " 'average_cadence', " JF("e.average_cadence") ", 'max_cadence', e.max_cadence,"
    " 'average_power', " JF("e.average_power") ", 'max_power', e.max_power,"
    " 'training_load', " JF("e.training_load") ", 'ascent_meters', " JF("e.ascent_meters") ","
    " 'descent_meters', " JF("e.descent_meters") ", 'notes', e.notes,"
    " 'running_index', e.running_index,"
    " 'training_load_pro', e.training_load_pro,"
    " 'heart_rate_zones', coalesce(e.heart_rate_zones, '[]'),"
    " 'has_samples', coalesce(e.samples, '[]') <> '[]',"
    " 'has_route_data', coalesce(e.route, '[]') <> '[]')::text END"
    " FROM (SELECT 1) one LEFT JOIN exercise e"
    " ON e.user_id = $1 AND e.id = $2::uuid";

#define EXSERIES(col, what, key) \
    "SELECT CASE WHEN e.id IS NULL OR coalesce(e." col ", '[]') = '[]'" \
    " THEN 404 ELSE 200 END," \
    " CASE WHEN e.id IS NULL THEN 'Exercise ' || $2 || ' not found'" \
    " WHEN coalesce(e." col ", '[]') = '[]' THEN 'Exercise ' || $2 ||" \
    " ' has no " what "'" \
    " ELSE json_build_object('exercise_id', e.id, 'sport', e.sport," \
    " 'start_time', e.start_time, " key ")::text END" \
    " FROM (SELECT 1) one LEFT JOIN exercise e" \
    " ON e.user_id = $1 AND e.id = $2::uuid"

const char store_sql_exercise_samples[] = EXSERIES("samples",
    "sample data", "'samples', e.samples");
const char store_sql_exercise_route[] = EXSERIES("route", "route data",
    "'point_count', CASE WHEN jsonb_typeof(e.route) = 'array' THEN"
    " jsonb_array_length(e.route) ELSE 0 END, 'route', e.route");

const char store_sql_alertness_list[] = LIST(
    "json_build_object('period_start_time', period_start_time,"
    " 'period_end_time', period_end_time, 'grade', " JF("grade") ","
    " 'grade_classification', grade_classification)",
    "sleepwise_alertness WHERE user_id = $1 AND period_start_time >= "
    SINCE(2), "period_start_time DESC");

const char store_sql_bedtime_list[] = LIST(
    "json_build_object('period_start_time', period_start_time,"
    " 'period_end_time', period_end_time,"
    " 'preferred_sleep_start', preferred_sleep_start,"
    " 'preferred_sleep_end', preferred_sleep_end,"
    " 'sleep_gate_start', sleep_gate_start,"
    " 'sleep_gate_end', sleep_gate_end, 'quality', quality)",
    "sleepwise_bedtime WHERE user_id = $1 AND period_start_time >= "
    SINCE(2), "period_start_time DESC");

const char store_sql_actsamples_list[] = LIST(
    "json_build_object('date', date, 'sample_count', sample_count,"
    " 'total_steps', total_steps,"
    " 'has_samples', coalesce(samples, '[]') <> '[]')",
    "activity_samples WHERE user_id = $1 AND date >= " SINCE(2),
    "date DESC");

const char store_sql_actsamples_day[] =
    "SELECT CASE WHEN a.date IS NULL OR coalesce(a.samples, '[]') = '[]'"
    " THEN 404 ELSE 200 END,"
    " CASE WHEN a.date IS NULL THEN 'No activity samples for ' || $2"
    " WHEN coalesce(a.samples, '[]') = '[]' THEN 'Activity data for ' ||"
    " $2 || ' has no samples'"
    " ELSE json_build_object('date', a.date, 'total_steps', a.total_steps,"
    " 'interval_ms', a.interval_ms, 'sample_count', a.sample_count,"
    " 'samples', a.samples)::text END"
    " FROM (SELECT 1) one LEFT JOIN activity_samples a"
    " ON a.user_id = $1 AND a.date = $2::date";

const char store_sql_spo2_list[] = LIST(
    "json_build_object('test_time', test_time,"
    " 'blood_oxygen_percent', blood_oxygen_percent,"
    " 'spo2_class', spo2_class, 'avg_heart_rate', avg_heart_rate,"
    " 'hrv_ms', " JF("hrv_ms") ", 'altitude_meters', " JF("altitude_meters") ")",
    "spo2 WHERE user_id = $1 AND test_time >= " SINCE(2), "test_time DESC");

const char store_sql_ecg_list[] = LIST(
    "json_build_object('id', id, 'test_time', test_time,"
    " 'avg_heart_rate', avg_heart_rate, 'hrv_ms', " JF("hrv_ms") ","
    " 'hrv_level', hrv_level, 'rri_ms', " JF("rri_ms") ","
    " 'duration_seconds', " JF("duration_seconds") ", 'sample_count', sample_count,"
    " 'has_samples', coalesce(samples, '[]') <> '[]')",
    "ecg WHERE user_id = $1 AND test_time >= " SINCE(2), "test_time DESC");

const char store_sql_ecg_one[] =
    "SELECT CASE WHEN e.id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN e.id IS NULL THEN 'ECG test ' || $2 || ' not found'"
    " ELSE json_build_object('id', e.id, 'test_time', e.test_time,"
    " 'device_id', e.device_id, 'avg_heart_rate', e.avg_heart_rate,"
    " 'hrv_ms', " JF("e.hrv_ms") ", 'hrv_level', e.hrv_level, 'rri_ms', " JF("e.rri_ms") ","
    " 'ptt_systolic_ms', " JF("e.ptt_systolic_ms") ","
    " 'ptt_diastolic_ms', " JF("e.ptt_diastolic_ms") ","
    " 'ptt_quality_index', " JF("e.ptt_quality_index") ","
    " 'duration_seconds', " JF("e.duration_seconds") ","
    " 'sample_count', e.sample_count, 'samples', e.samples,"
    " 'quality', e.quality)::text END"
    " FROM (SELECT 1) one LEFT JOIN ecg e"
    " ON e.user_id = $1 AND e.id = $2::uuid";

const char store_sql_bodytemp_list[] = LIST(
    "json_build_object('start_time', start_time, 'end_time', end_time,"
    " 'measurement_type', nullif(measurement_type, ''),"
    " 'sensor_location', nullif(sensor_location, ''),"
    " 'temp_min', " JF("temp_min") ", 'temp_avg', " JF("temp_avg") ", 'temp_max', " JF("temp_max") ","
    " 'sample_count', sample_count)",
    "body_temperature WHERE user_id = $1 AND start_time >= " SINCE(2),
    "start_time DESC");

const char store_sql_skintemp_list[] = LIST(
    "json_build_object('sleep_date', sleep_date,"
    " 'temperature_celsius', " JF("temperature_celsius") ","
    " 'deviation_from_baseline', " JF("deviation_from_baseline") ","
    " 'is_elevated', is_elevated::int)",
    "skin_temperature WHERE user_id = $1 AND sleep_date >= " SINCE(2),
    "sleep_date DESC");

const char store_sql_export_summary[] =
    "WITH c AS (SELECT"
    " (SELECT count(*) FROM sleep WHERE user_id = $1 AND date >= "
    SINCE(2) ") s,"
    " (SELECT count(*) FROM activity WHERE user_id = $1 AND date >= "
    SINCE(2) ") a,"
    " (SELECT count(*) FROM nightly_recharge WHERE user_id = $1"
    "  AND date >= " SINCE(2) ") r,"
    " (SELECT count(*) FROM cardio_load WHERE user_id = $1 AND date >= "
    SINCE(2) ") cl,"
    " (SELECT count(*) FROM continuous_heart_rate WHERE user_id = $1"
    "  AND date >= " SINCE(2) ") h,"
    " (SELECT count(*) FROM exercise WHERE user_id = $1"
    "  AND start_time >= " SINCE(2) ") e)"
    " SELECT 200, json_build_object('user_id', $1::text,"
    " 'days', $2::int, 'from_date', " SINCE(2) ", 'to_date', current_date,"
    " 'record_counts', json_build_object('sleep', s, 'activity', a,"
    " 'recharge', r, 'cardio_load', cl, 'heart_rate', h, 'exercises', e),"
    " 'total_records', s + a + r + cl + h + e)::text FROM c";

/*
 * CSV: Python csv module rules -- CRLF, a field quoted only when it holds
 * a comma, quote, CR or LF; empty for NULL and, as upstream's "x or ''",
 * for 0.
 */
#define CSVF(x) "coalesce(nullif(nullif((" x ")::text, '0'), '0.0'), '')"
#define CSVS(x) "coalesce(CASE WHEN (" x ") ~ '[\",\\r\\n]' THEN '\"' ||" \
    " replace((" x "), '\"', '\"\"') || '\"' ELSE (" x ") END, '')"
#define CSV(header, row, from, order) \
    "SELECT 200, '" header "' || E'\\r\\n' || coalesce(string_agg(" row \
    ", E'\\r\\n' ORDER BY " order ") || E'\\r\\n', '') FROM " from

const char store_sql_csv_sleep[] = CSV(
    "date,sleep_score,total_hours,deep_hours,light_hours,rem_hours,"
    "hrv_avg,heart_rate_avg,breathing_rate_avg",
    "concat_ws(',', date, " CSVF("sleep_score") ","
    CSVF(R2("total_sleep_seconds::float8 / 3600")) ","
    CSVF(R2("deep_sleep_seconds::float8 / 3600")) ","
    CSVF(R2("light_sleep_seconds::float8 / 3600")) ","
    CSVF(R2("rem_sleep_seconds::float8 / 3600")) ","
    CSVF("hrv_avg") "," CSVF("heart_rate_avg") ","
    CSVF("breathing_rate_avg") ")",
    "sleep WHERE user_id = $1 AND date >= " SINCE(2), "date");

const char store_sql_csv_activity[] = CSV(
    "date,steps,calories_active,calories_total,distance_km,active_minutes",
    "concat_ws(',', date, " CSVF("steps") "," CSVF("calories_active") ","
    CSVF("calories_total") "," CSVF(R2("distance_meters / 1000")) ","
    CSVF(R1("active_time_seconds::float8 / 60")) ")",
    "activity WHERE user_id = $1 AND date >= " SINCE(2), "date");

const char store_sql_csv_recharge[] = CSV(
    "date,hrv_avg,ans_charge,status,breathing_rate,heart_rate_avg",
    "concat_ws(',', date, " CSVF("hrv_avg") "," CSVF("ans_charge") ","
    CSVF("ans_charge_status") "," CSVF("breathing_rate_avg") ","
    CSVF("heart_rate_avg") ")",
    "nightly_recharge WHERE user_id = $1 AND date >= " SINCE(2), "date");

const char store_sql_csv_cardio[] = CSV(
    "date,strain,tolerance,cardio_load,load_ratio,status",
    "concat_ws(',', date, " CSVF("strain") "," CSVF("tolerance") ","
    CSVF("cardio_load") "," CSVF(R2("cardio_load_ratio")) ","
    CSVS("cardio_load_status") ")",
    "cardio_load WHERE user_id = $1 AND date >= " SINCE(2), "date");

#define BASELINE \
    "json_build_object('metric_name', metric_name," \
    " 'baseline_value', " JF("baseline_value") "," \
    " 'baseline_7d', " JF("baseline_7d") "," \
    " 'baseline_30d', " JF("baseline_30d") "," \
    " 'baseline_90d', " JF("baseline_90d") "," \
    " 'median', " JF("median_value") ", 'q1', " JF("q1") "," \
    " 'q3', " JF("q3") ", 'iqr', " JF("iqr") "," \
    " 'std_dev', " JF("std_dev") ", 'min', " JF("min_value") "," \
    " 'max', " JF("max_value") "," \
    " 'lower_bound', " JF("lower_bound") "," \
    " 'upper_bound', " JF("upper_bound") "," \
    " 'sample_count', sample_count, 'status', status," \
    " 'data_start_date', data_start_date," \
    " 'data_end_date', data_end_date, 'calculated_at', calculated_at)"

/* upstream's metrics in its order, then ours by name */
#define BASELINE_ORDER \
    "array_position(ARRAY['hrv_rmssd', 'sleep_score', 'resting_hr'," \
    " 'training_load', 'training_load_ratio'], metric_name), metric_name"

const char store_sql_baselines[] = LIST(BASELINE,
    "user_baselines WHERE user_id = $1", BASELINE_ORDER);

const char store_sql_baseline_one[] =
    "SELECT 200, coalesce((SELECT " BASELINE " FROM user_baselines"
    " WHERE user_id = $1 AND metric_name = $2)::text, 'null')";

const char store_sql_baselines_calculated[] =
    "SELECT 200, json_build_object('user_id', $1::text,"
    " 'baselines_calculated', coalesce((SELECT json_object_agg(metric_name,"
    " status ORDER BY " BASELINE_ORDER ") FROM user_baselines"
    " WHERE user_id = $1), '{}'))::text";

/* The value against the bounds analyticsd stored with the baseline. */
const char store_sql_baseline_check[] =
    "WITH b AS (SELECT * FROM user_baselines"
    " WHERE user_id = $1 AND metric_name = $2), v AS (SELECT $3::float8 x)"
    " SELECT 200, coalesce((SELECT json_build_object('value', " JF("x") ","
    " 'metric_name', metric_name,"
    " 'is_anomaly', q1 IS NOT NULL AND (x < lower_bound OR x > upper_bound),"
    " 'severity', CASE WHEN q1 IS NULL THEN NULL"
    "   WHEN x < critical_lower_bound OR x > critical_upper_bound"
    "   THEN 'critical'"
    "   WHEN x < lower_bound OR x > upper_bound THEN 'warning' END,"
    " 'baseline', " JF("baseline_value") ","
    " 'baseline_7d', " JF("baseline_7d") ","
    " 'lower_bound', " JF("lower_bound") ","
    " 'upper_bound', " JF("upper_bound") ","
    " 'status', status) FROM b, v)::text,"
    " '{\"is_anomaly\":false,\"reason\":\"No baseline data available\","
    "\"status\":\"insufficient\"}')";

/*
 * analyticsd's status document, rendered as upstream's body (its key
 * order, the features in the order they unlock).  Until analyticsd has
 * run for a user, the document of no user (user_id '', the status of a
 * user without data) stands in.
 */
const char store_sql_analytics_status[] =
    "WITH d AS (SELECT coalesce((SELECT payload FROM analytics_documents"
    "  WHERE user_id = $1 AND kind = 'status'),"
    "  (SELECT payload FROM analytics_documents"
    "  WHERE user_id = '' AND kind = 'status')) p),"
    " f AS (SELECT e.key AS name, e.value AS u,"
    "  (e.value ->> 'days_required')::int AS ord"
    "  FROM d, jsonb_each(d.p -> 'unlock_progress') e)"
    " SELECT CASE WHEN p IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN p IS NULL THEN 'No status document for user ' || $1"
    " ELSE json_build_object('user_id', $1::text,"
    " 'data_days', json_build_object("
    "  'sleep', (p #>> '{data_days,sleep}')::int,"
    "  'recharge', (p #>> '{data_days,recharge}')::int,"
    "  'activity', (p #>> '{data_days,activity}')::int,"
    "  'cardio_load', (p #>> '{data_days,cardio_load}')::int),"
    " 'min_data_days', (p ->> 'min_data_days')::int,"
    " 'features_available', (SELECT json_object_agg(name,"
    "  (u ->> 'unlocked')::boolean ORDER BY ord, name) FROM f),"
    " 'unlock_progress', (SELECT json_object_agg(name, json_build_object("
    "  'unlocked', (u ->> 'unlocked')::boolean,"
    "  'days_required', (u ->> 'days_required')::int,"
    "  'days_remaining', (u ->> 'days_remaining')::int,"
    "  'progress_percent', u -> 'progress_percent')"
    "  ORDER BY ord, name) FROM f),"
    " 'recommendations', json_build_array(p #>> '{recommendations,0}'))"
    "::text END FROM d";

#define PATTERN \
    "json_build_object('pattern_type', pattern_type," \
    " 'pattern_name', pattern_name, 'score', " JF("score") "," \
    " 'confidence', " JF("confidence") ", 'significance', significance," \
    " 'metrics_involved', metrics_involved, 'sample_count', sample_count," \
    " 'details', details, 'analyzed_at', analyzed_at)"

const char store_sql_patterns[] = LIST(PATTERN,
    "pattern_analyses WHERE user_id = $1", "analyzed_at DESC, pattern_name");

const char store_sql_pattern_one[] =
    "SELECT CASE WHEN j IS NULL THEN 404 ELSE 200 END,"
    " coalesce(j::text, 'Pattern ''' || $2 || ''' not found for user')"
    " FROM (SELECT (SELECT " PATTERN " FROM pattern_analyses"
    " WHERE user_id = $1 AND pattern_name = $2"
    " ORDER BY analyzed_at DESC LIMIT 1) AS j) s";

const char store_sql_patterns_detected[] =
    "SELECT 200, json_build_object('user_id', $1::text,"
    " 'patterns_detected', coalesce((SELECT json_object_agg(pattern_name,"
    " significance) FROM pattern_analyses WHERE user_id = $1), '{}'))::text";

/*
 * analyticsd's anomalies document (the newest value of each metric against
 * its baseline's bounds), rendered as upstream's body; none before
 * analyticsd has run for the user.
 */
const char store_sql_anomalies[] =
    "SELECT 200, coalesce((SELECT json_build_object('user_id', $1::text,"
    " 'anomaly_count', (payload ->> 'anomaly_count')::int,"
    " 'anomalies', coalesce((SELECT json_agg(json_build_object("
    "  'metric_name', e ->> 'metric_name',"
    "  'current_value', e -> 'current_value',"
    "  'baseline_value', e -> 'baseline_value',"
    "  'median_value', e -> 'median_value',"
    "  'lower_bound', e -> 'lower_bound',"
    "  'upper_bound', e -> 'upper_bound',"
    "  'direction', e ->> 'direction', 'severity', e ->> 'severity',"
    "  'deviation_percent', e -> 'deviation_percent') ORDER BY n)"
    "  FROM jsonb_array_elements(payload -> 'anomalies')"
    "  WITH ORDINALITY AS a(e, n)), '[]'))"
    " FROM analytics_documents WHERE user_id = $1 AND kind = 'anomalies'),"
    " json_build_object('user_id', $1::text, 'anomaly_count', 0,"
    " 'anomalies', '[]'::json))::text";

/*
 * Insights are computed by analyticsd into analytics_documents; until it
 * has run for a user the document says so instead of inventing numbers.
 */
const char store_sql_insights[] =
    "SELECT 200, coalesce((SELECT payload::text FROM analytics_documents"
    " WHERE user_id = $1 AND kind = 'insights'),"
    " json_build_object('user_id', $1::text, 'generated_at',"
    " date_trunc('second', now()),"
    " 'data_freshness', NULL, 'data_age_days', 0,"
    " 'status', 'unavailable', 'feature_availability', '{}'::json,"
    " 'unlock_progress', NULL, 'current_metrics', '{}'::json,"
    " 'baselines', '{}'::json, 'patterns', '[]'::json,"
    " 'anomalies', '[]'::json, 'observations', '[]'::json,"
    " 'suggestions', '[]'::json)::text)";

const char store_sql_daily[] = LIST(
    "json_build_object('date', day, 'value', value, 'details', details,"
    " 'computed_at', computed_at)",
    "analytics_daily WHERE user_id = $1 AND metric_name = $2"
    " AND day >= " SINCE(3), "day DESC");

const char store_sql_alerts[] = LIST(
    "json_build_object('metric_name', metric_name, 'date', day,"
    " 'severity', severity, 'value', value, 'lower_bound', lower_bound,"
    " 'upper_bound', upper_bound, 'direction', direction,"
    " 'first_seen_at', first_seen_at, 'last_seen_at', last_seen_at,"
    " 'cleared_at', cleared_at, 'active', cleared_at IS NULL)",
    "analytics_alerts WHERE user_id = $1 AND day >= " SINCE(2),
    "day DESC, metric_name");

const char store_sql_document[] =
    "SELECT CASE WHEN d.payload IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN d.payload IS NULL THEN 'No ' || $2 ||"
    " ' document for user ' || $1 ELSE json_build_object('kind', d.kind,"
    " 'computed_at', d.computed_at, 'payload', d.payload)::text END"
    " FROM (SELECT 1) one"
    " LEFT JOIN analytics_documents d ON d.user_id = $1 AND d.kind = $2";

/*
 * Key regeneration: $2 hash and $3 prefix of the new key, made in C; the
 * quota starts over (upstream resets it).  Returns the key id replaced.
 */
const char store_sql_key_regen[] =
    "WITH k AS (SELECT id FROM api_keys WHERE user_id = $1 AND is_active"
    " ORDER BY id DESC LIMIT 1 FOR UPDATE),"
    " u AS (UPDATE api_keys a SET key_hash = $2, key_prefix = $3,"
    " created_at = now(), last_used_at = NULL FROM k WHERE a.id = k.id"
    " RETURNING a.id),"
    " w AS (DELETE FROM api_rate_windows r USING u WHERE r.key_id = u.id),"
    " l AS (INSERT INTO audit_log (actor, action, user_id, details)"
    " SELECT 'apid', 'key.regenerate', $1, json_build_object('key_id', id)"
    " FROM u)"
    " SELECT CASE WHEN (SELECT id FROM u) IS NULL THEN 404 ELSE 200 END,"
    " coalesce((SELECT id::text FROM u),"
    " 'No active API key found for user ' || $1)";

const char store_sql_key_revoke[] =
    "WITH k AS (SELECT id FROM api_keys WHERE user_id = $1 AND is_active"
    " FOR UPDATE),"
    " u AS (UPDATE api_keys a SET is_active = false, revoked_at = now()"
    " FROM k WHERE a.id = k.id RETURNING a.id),"
    " l AS (INSERT INTO audit_log (actor, action, user_id, details)"
    " SELECT 'apid', 'key.revoke', $1, json_build_object('key_id', id)"
    " FROM u)"
    " SELECT CASE WHEN (SELECT count(*) FROM u) = 0 THEN 404 ELSE 200 END,"
    " CASE WHEN (SELECT count(*) FROM u) = 0"
    " THEN 'No active API key found for user ' || $1"
    " ELSE json_build_object('message', 'API key revoked successfully',"
    " 'user_id', $1::text, 'revoked_key_ids', (SELECT json_agg(id)"
    " FROM u))::text END";

/*
 * $2/$3: the calling key and the quota left that its answer's headers
 * show.  Its workers spend leased quota without writing it back, so for
 * the calling key that figure, and this very use, are the true ones; for
 * another key the stored window counts its workers' unspent leases as
 * used and last_used_at moves once per lease.
 */
const char store_sql_key_info[] =
    "SELECT 200, coalesce((SELECT json_build_object('key_prefix',"
    " key_prefix, 'user_id', user_id, 'is_active', is_active,"
    " 'rate_limit_requests', rate_limit_requests,"
    " 'rate_limit_remaining', CASE WHEN a.id = $2::bigint THEN $3::int"
    "  ELSE GREATEST(rate_limit_requests - coalesce(("
    "  SELECT requests FROM api_rate_windows w WHERE w.key_id = a.id AND"
    "  w.window_start = date_trunc('hour', now())), 0), 0) END,"
    " 'created_at', created_at, 'last_used_at', CASE WHEN a.id = $2::bigint"
    "  THEN now() ELSE last_used_at END)"
    " FROM api_keys a WHERE user_id = $1"
    " ORDER BY is_active DESC, id DESC LIMIT 1)::text, 'null')";

const char store_sql_user_status[] =
    "SELECT CASE WHEN u.user_id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN u.user_id IS NULL THEN 'User ' || $1 || ' not found'"
    " ELSE json_build_object('polar_user_id', u.user_id,"
    " 'is_active', u.is_active, 'last_synced_at', u.last_synced_at,"
    " 'has_api_key', k.key_prefix IS NOT NULL,"
    " 'api_key_prefix', k.key_prefix)::text END"
    " FROM (SELECT 1) one LEFT JOIN users u ON u.user_id = $1"
    " LEFT JOIN LATERAL (SELECT key_prefix FROM api_keys"
    " WHERE user_id = $1 AND is_active ORDER BY id DESC LIMIT 1) k ON true";

/*
 * The user's latest sync; syncd records a sync before it answers
 * "started", so after a 202 this is the sync that was started.
 */
const char store_sql_sync_status[] =
    "SELECT CASE WHEN u.user_id IS NULL OR l.sync_id IS NULL THEN 404"
    " ELSE 200 END,"
    " CASE WHEN u.user_id IS NULL THEN 'User ' || $1 || ' not found'"
    " WHEN l.sync_id IS NULL THEN 'No sync recorded for user ' || $1"
    " ELSE json_build_object('user_id', $1, 'sync_id', l.sync_id,"
    " 'trigger', l.trigger, 'status', l.status,"
    " 'started_at', l.started_at, 'completed_at', l.completed_at,"
    " 'duration_ms', l.duration_ms, 'records_synced', l.records_synced,"
    " 'error_type', l.error_type, 'error_message', l.error_message)::text"
    " END"
    " FROM (SELECT 1) one LEFT JOIN users u ON u.user_id = $1"
    " LEFT JOIN LATERAL (SELECT * FROM sync_logs s WHERE s.user_id = $1"
    " ORDER BY s.started_at DESC, s.id DESC LIMIT 1) l ON true";

/* Before asking syncd: does the user exist at all? */
const char store_sql_sync_user[] =
    "SELECT CASE WHEN u.user_id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN u.user_id IS NULL THEN 'User ' || $1 || ' not found'"
    " ELSE '' END FROM (SELECT 1) one LEFT JOIN users u ON u.user_id = $1";
