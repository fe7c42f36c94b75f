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
#include "apid/console.h"

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
/*
 * One timestamp format in every answer: RFC 3339 in UTC with exactly three
 * fractional digits, as analyticsd writes the instants inside its
 * documents -- PostgreSQL's own JSON rendering drops trailing zeros and
 * prints an offset.  NULL stays NULL.
 */
#define TS(x)	"to_char((" x ") AT TIME ZONE 'UTC'," \
		" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
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
    " 'sleep_start_time', " TS("sleep_start_time") ","
    " 'sleep_end_time', " TS("sleep_end_time") ", 'sleep_score', sleep_score,"
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
    "'recorded_at', " TS("recorded_at") ", 'weight_kg', " JF("weight_kg") "," \
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
    " 'start_time', " TS("start_time") ", 'sport', sport,"
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
    " 'start_time', " TS("e.start_time") ", 'sport', e.sport,"
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
    " 'start_time', " TS("e.start_time") ", " key ")::text END" \
    " FROM (SELECT 1) one LEFT JOIN exercise e" \
    " ON e.user_id = $1 AND e.id = $2::uuid"

const char store_sql_exercise_samples[] = EXSERIES("samples",
    "sample data", "'samples', e.samples");
const char store_sql_exercise_route[] = EXSERIES("route", "route data",
    "'point_count', CASE WHEN jsonb_typeof(e.route) = 'array' THEN"
    " jsonb_array_length(e.route) ELSE 0 END, 'route', e.route");

const char store_sql_alertness_list[] = LIST(
    "json_build_object('period_start_time', " TS("period_start_time") ","
    " 'period_end_time', " TS("period_end_time") ", 'grade', " JF("grade") ","
    " 'grade_classification', grade_classification)",
    "sleepwise_alertness WHERE user_id = $1 AND period_start_time >= "
    SINCE(2), "period_start_time DESC");

const char store_sql_bedtime_list[] = LIST(
    "json_build_object('period_start_time', " TS("period_start_time") ","
    " 'period_end_time', " TS("period_end_time") ","
    " 'preferred_sleep_start', " TS("preferred_sleep_start") ","
    " 'preferred_sleep_end', " TS("preferred_sleep_end") ","
    " 'sleep_gate_start', " TS("sleep_gate_start") ","
    " 'sleep_gate_end', " TS("sleep_gate_end") ", 'quality', quality)",
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
    "json_build_object('test_time', " TS("test_time") ","
    " 'blood_oxygen_percent', blood_oxygen_percent,"
    " 'spo2_class', spo2_class, 'avg_heart_rate', avg_heart_rate,"
    " 'hrv_ms', " JF("hrv_ms") ", 'altitude_meters', " JF("altitude_meters") ")",
    "spo2 WHERE user_id = $1 AND test_time >= " SINCE(2), "test_time DESC");

const char store_sql_ecg_list[] = LIST(
    "json_build_object('id', id, 'test_time', " TS("test_time") ","
    " 'avg_heart_rate', avg_heart_rate, 'hrv_ms', " JF("hrv_ms") ","
    " 'hrv_level', hrv_level, 'rri_ms', " JF("rri_ms") ","
    " 'duration_seconds', " JF("duration_seconds") ", 'sample_count', sample_count,"
    " 'has_samples', coalesce(samples, '[]') <> '[]')",
    "ecg WHERE user_id = $1 AND test_time >= " SINCE(2), "test_time DESC");

const char store_sql_ecg_one[] =
    "SELECT CASE WHEN e.id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN e.id IS NULL THEN 'ECG test ' || $2 || ' not found'"
    " ELSE json_build_object('id', e.id, 'test_time', " TS("e.test_time") ","
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
    "json_build_object('start_time', " TS("start_time") ","
    " 'end_time', " TS("end_time") ","
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
    " 'data_end_date', data_end_date, 'calculated_at', " TS("calculated_at") ")"

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
    " 'details', details, 'analyzed_at', " TS("analyzed_at") ")"

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
/* The anomaly objects of analyticsd's anomalies document d (a json). */
#define ANOMALY_LIST(d) \
    "coalesce((SELECT json_agg(json_build_object(" \
    "  'metric_name', e ->> 'metric_name'," \
    "  'current_value', e -> 'current_value'," \
    "  'baseline_value', e -> 'baseline_value'," \
    "  'median_value', e -> 'median_value'," \
    "  'lower_bound', e -> 'lower_bound'," \
    "  'upper_bound', e -> 'upper_bound'," \
    "  'direction', e ->> 'direction', 'severity', e ->> 'severity'," \
    "  'deviation_percent', e -> 'deviation_percent') ORDER BY n)" \
    "  FROM jsonb_array_elements(" d " -> 'anomalies')" \
    "  WITH ORDINALITY AS a(e, n)), '[]')"

const char store_sql_anomalies[] =
    "SELECT 200, coalesce((SELECT json_build_object('user_id', $1::text,"
    " 'anomaly_count', (payload ->> 'anomaly_count')::int,"
    " 'anomalies', " ANOMALY_LIST("payload") ")"
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
    " " TS("now()") ","
    " 'data_freshness', NULL, 'data_age_days', 0,"
    " 'status', 'unavailable', 'feature_availability', '{}'::json,"
    " 'unlock_progress', NULL, 'current_metrics', '{}'::json,"
    " 'baselines', '{}'::json, 'patterns', '[]'::json,"
    " 'anomalies', '[]'::json, 'observations', '[]'::json,"
    " 'suggestions', '[]'::json)::text)";

const char store_sql_daily[] = LIST(
    "json_build_object('date', day, 'value', value, 'details', details,"
    " 'computed_at', " TS("computed_at") ")",
    "analytics_daily WHERE user_id = $1 AND metric_name = $2"
    " AND day >= " SINCE(3), "day DESC");

const char store_sql_alerts[] = LIST(
    "json_build_object('metric_name', metric_name, 'date', day,"
    " 'severity', severity, 'value', value, 'lower_bound', lower_bound,"
    " 'upper_bound', upper_bound, 'direction', direction,"
    " 'first_seen_at', " TS("first_seen_at") ","
    " 'last_seen_at', " TS("last_seen_at") ","
    " 'cleared_at', " TS("cleared_at") ", 'active', cleared_at IS NULL)",
    "analytics_alerts WHERE user_id = $1 AND day >= " SINCE(2),
    "day DESC, metric_name");

const char store_sql_document[] =
    "SELECT CASE WHEN d.payload IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN d.payload IS NULL THEN 'No ' || $2 ||"
    " ' document for user ' || $1 ELSE json_build_object('kind', d.kind,"
    " 'computed_at', " TS("d.computed_at") ", 'payload', d.payload)::text END"
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
    " 'created_at', " TS("created_at") ","
    " 'last_used_at', " TS("CASE WHEN a.id = $2::bigint THEN now()"
    "  ELSE last_used_at END") ")"
    " FROM api_keys a WHERE user_id = $1"
    " ORDER BY is_active DESC, id DESC LIMIT 1)::text, 'null')";

/*
 * Data portability: every row of the user in every table
 * (pf_user_export, secrets and their hashes left out).
 */
const char store_sql_user_export[] =
    "SELECT CASE WHEN x IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN x IS NULL THEN 'User ' || $1 || ' not found'"
    " ELSE json_build_object('user_id', $1::text, 'exported_at', "
    TS("now()") ", 'tables', x)::text END"
    " FROM pf_user_export($1) x";

const char store_sql_user_status[] =
    "SELECT CASE WHEN u.user_id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN u.user_id IS NULL THEN 'User ' || $1 || ' not found'"
    " ELSE json_build_object('polar_user_id', u.user_id,"
    " 'is_active', u.is_active, 'last_synced_at', " TS("u.last_synced_at") ","
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
    " 'started_at', " TS("l.started_at") ","
    " 'completed_at', " TS("l.completed_at") ","
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

/*
 * MCP tools (mcp_tools.c): each statement returns (200, the tool's
 * structuredContent) or (404, the tool error's text).  $1 is the
 * resolved user, $2 "days" for the windowed tools, $3 the tool's other
 * argument.  A window that holds nothing says why (upstream's staleness
 * hint): there is data, only older, or none at all.
 */
#define MCP_HINT_OLD(x) \
    "'most_recent_record', " x ", 'hint', 'No records in the requested" \
    " window, but data exists up to ' || " x " || '. Increase `days` to" \
    " reach it, and consider checking get_sync_status for staleness.'"
#define MCP_HINT_NONE	"'hint', 'No records exist for this user yet.'"
/* head: leading "key, value, " pairs; n, j, x: count, records, latest */
#define MCP_SHAPE(head, n, j, x) \
    "CASE WHEN " n " > 0 THEN json_build_object(" head \
    " 'count', " n ", 'records', " j ")" \
    " WHEN " x " IS NULL THEN json_build_object(" head " 'count', 0, " \
    MCP_HINT_NONE ", 'records', " j ")" \
    " ELSE json_build_object(" head " 'count', 0, " MCP_HINT_OLD(x) "," \
    " 'records', " j ") END"
/* The latest value of col as upstream prints it (ISO text). */
#define MCP_ISO(col)	"(to_json(" col ") #>> '{}')"
/* One windowed list: rows of table (with extra conditions) since $2. */
#define MCP_WINDOW(head, obj, table, extra, col, order) \
    "WITH w AS (SELECT * FROM " table " WHERE user_id = $1" extra \
    " AND " col " >= (current_date - $2::int))," \
    " r AS (SELECT count(*) n, coalesce(json_agg(" obj " ORDER BY " order \
    "), '[]') j FROM w)," \
    " m AS (SELECT " MCP_ISO("max(" col ")") " x FROM " table \
    " WHERE user_id = $1" extra ")" \
    " SELECT 200, (" MCP_SHAPE(head, "r.n", "r.j", "m.x") ")::text FROM r, m"
#define MCP_DAYS	"'days', $2::int,"
/* upstream's hours: rounded to 2 places, 0 -> null */
#define MCP_HOURS(s)	R2("nullif(" s ", 0)::float8 / 3600")

/* With a service or master key and no user_id: the connected user. */
const char store_sql_mcp_first_user[] =
    "SELECT user_id FROM users WHERE is_active"
    " ORDER BY created_at, user_id LIMIT 1";

const char store_sql_mcp_sleep[] = MCP_WINDOW(MCP_DAYS,
    "json_build_object('date', date, 'sleep_score', sleep_score,"
    " 'sleep_start_time', " TS("sleep_start_time") ","
    " 'sleep_end_time', " TS("sleep_end_time") ","
    " 'total_sleep_hours', " MCP_HOURS("total_sleep_seconds") ","
    " 'light_sleep_hours', " MCP_HOURS("light_sleep_seconds") ","
    " 'deep_sleep_hours', " MCP_HOURS("deep_sleep_seconds") ","
    " 'rem_sleep_hours', " MCP_HOURS("rem_sleep_seconds") ","
    " 'interruptions_hours', " MCP_HOURS("interruptions_seconds") ","
    " 'hrv_avg_ms', " JF("hrv_avg") ","
    " 'heart_rate_avg_bpm', " JF("heart_rate_avg") ","
    " 'heart_rate_min_bpm', nullif(heart_rate_min, 0),"
    " 'heart_rate_max_bpm', nullif(heart_rate_max, 0),"
    " 'breathing_rate_avg', " JF("breathing_rate_avg") ","
    " 'skin_temperature_avg', " JF("skin_temperature_avg") ","
    " 'continuity_score', " JF("continuity") ","
    " 'sleep_cycles', sleep_cycles, 'sleep_charge', sleep_charge,"
    " 'regeneration_score', " JF("group_regeneration_score") ")",
    "sleep", "", "date", "date DESC");

const char store_sql_mcp_recovery[] =
    "WITH nr AS (SELECT count(*) n, coalesce(json_agg(json_build_object("
    " 'date', date, 'ans_charge', " JF("ans_charge") ","
    " 'ans_charge_status', ans_charge_status,"
    " 'nightly_recharge_status', nightly_recharge_status,"
    " 'hrv_avg_ms', " JF("hrv_avg") ","
    " 'beat_to_beat_avg_ms', " JF("beat_to_beat_avg") ","
    " 'breathing_rate_avg', " JF("breathing_rate_avg") ","
    " 'heart_rate_avg_bpm', " JF("heart_rate_avg") ") ORDER BY date DESC),"
    " '[]') j FROM nightly_recharge WHERE user_id = $1"
    " AND date >= (current_date - $2::int)),"
    " cl AS (SELECT count(*) n, coalesce(json_agg(json_build_object("
    " 'date', date, 'strain', " R2("nullif(strain, 0)") ","
    " 'tolerance', " R2("nullif(tolerance, 0)") ","
    " 'cardio_load', " R2("nullif(cardio_load, 0)") ","
    " 'cardio_load_ratio', "
    R2("CASE WHEN cardio_load_ratio > 0 THEN cardio_load_ratio END") ","
    " 'cardio_load_status', cardio_load_status) ORDER BY date DESC), '[]') j"
    " FROM cardio_load WHERE user_id = $1"
    " AND date >= (current_date - $2::int)),"
    " m AS (SELECT " MCP_ISO("greatest((SELECT max(date) FROM"
    " nightly_recharge WHERE user_id = $1), (SELECT max(date) FROM"
    " cardio_load WHERE user_id = $1))") " x)"
    " SELECT 200, (CASE WHEN nr.n + cl.n > 0 THEN json_build_object("
    " 'days', $2::int, 'nightly_recharge', nr.j, 'cardio_load', cl.j)"
    " WHEN m.x IS NULL THEN json_build_object('days', $2::int, "
    MCP_HINT_NONE ", 'nightly_recharge', nr.j, 'cardio_load', cl.j)"
    " ELSE json_build_object('days', $2::int, " MCP_HINT_OLD("m.x") ","
    " 'nightly_recharge', nr.j, 'cardio_load', cl.j) END)::text"
    " FROM nr, cl, m";

const char store_sql_mcp_activity[] = MCP_WINDOW(MCP_DAYS,
    "json_build_object('date', date, 'steps', steps,"
    " 'calories_active', calories_active, 'calories_total', calories_total,"
    " 'distance_km', " R2("distance_meters / 1000") ","
    " 'active_minutes', " R1("active_time_seconds::float8 / 60") ","
    " 'activity_score', activity_score)",
    "activity", "", "date", "date DESC");

/* Upstream drops calories under 1 kcal per 10 minutes as implausible. */
const char store_sql_mcp_exercises[] = MCP_WINDOW(MCP_DAYS,
    "json_build_object('id', id, 'start_time', " TS("start_time") ", 'sport', sport,"
    " 'duration_minutes', " R1("duration_seconds / 60") ","
    " 'distance_km', " R2("distance_meters / 1000") ","
    " 'calories', CASE WHEN calories >= coalesce(duration_seconds, 0) / 600"
    " THEN calories END,"
    " 'average_heart_rate_bpm', nullif(average_heart_rate, 0),"
    " 'max_heart_rate_bpm', nullif(max_heart_rate, 0),"
    " 'training_load', " JF("training_load") ")",
    "exercise", "", "start_time", "start_time DESC");

const char store_sql_mcp_exercise[] =
    "SELECT CASE WHEN e.id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN e.id IS NULL THEN 'Exercise ' || $2 || ' not found'"
    " ELSE json_build_object('id', e.id,"
    " 'polar_exercise_id', e.polar_exercise_id,"
    " 'start_time', " TS("e.start_time") ", 'sport', e.sport,"
    " 'duration_seconds', " JF("e.duration_seconds") ","
    " 'distance_meters', " JF("e.distance_meters") ","
    " 'calories', e.calories,"
    " 'average_heart_rate_bpm', nullif(e.average_heart_rate, 0),"
    " 'max_heart_rate_bpm', nullif(e.max_heart_rate, 0),"
    " 'average_speed_mps', " JF("e.average_speed_mps") ","
    " 'max_speed_mps', " JF("e.max_speed_mps") ","
    " 'average_cadence', " JF("e.average_cadence") ","
    " 'max_cadence', e.max_cadence,"
    " 'average_power_watts', " JF("e.average_power") ","
    " 'max_power_watts', e.max_power,"
    " 'training_load', " JF("e.training_load") ","
    " 'ascent_meters', " JF("e.ascent_meters") ","
    " 'descent_meters', " JF("e.descent_meters") ", 'notes', e.notes,"
    " 'running_index', e.running_index,"
    " 'training_load_pro', e.training_load_pro,"
    " 'heart_rate_zones', coalesce(e.heart_rate_zones, '[]'),"
    " 'has_samples', coalesce(e.samples, '[]') <> '[]',"
    " 'route_point_count', CASE WHEN jsonb_typeof(e.route) = 'array'"
    " THEN jsonb_array_length(e.route) ELSE 0 END)::text END"
    " FROM (SELECT 1) one LEFT JOIN exercise e"
    " ON e.user_id = $1 AND e.id = $2::uuid";

#define MCP_METRIC(m)	"'metric', '" m "'::text, " MCP_DAYS

const char store_sql_mcp_spo2[] = MCP_WINDOW(MCP_METRIC("spo2"),
    "json_build_object('test_time', " TS("test_time") ","
    " 'blood_oxygen_percent', blood_oxygen_percent,"
    " 'spo2_class', spo2_class,"
    " 'avg_heart_rate_bpm', nullif(avg_heart_rate, 0),"
    " 'hrv_ms', " JF("hrv_ms") ","
    " 'altitude_meters', " JF("altitude_meters") ")",
    "spo2", "", "test_time", "test_time DESC");

const char store_sql_mcp_ecg[] = MCP_WINDOW(MCP_METRIC("ecg"),
    "json_build_object('test_time', " TS("test_time") ","
    " 'avg_heart_rate_bpm', nullif(avg_heart_rate, 0),"
    " 'hrv_ms', " JF("hrv_ms") ", 'hrv_level', hrv_level,"
    " 'rri_ms', " JF("rri_ms") ","
    " 'duration_seconds', " JF("duration_seconds") ","
    " 'sample_count', sample_count)",
    "ecg", "", "test_time", "test_time DESC");

const char store_sql_mcp_bodytemp[] = MCP_WINDOW(
    MCP_METRIC("body_temperature"),
    "json_build_object('start_time', " TS("start_time") ", 'end_time', " TS("end_time") ","
    " 'measurement_type', nullif(measurement_type, ''),"
    " 'sensor_location', nullif(sensor_location, ''),"
    " 'temp_min_celsius', " JF("temp_min") ","
    " 'temp_avg_celsius', " JF("temp_avg") ","
    " 'temp_max_celsius', " JF("temp_max") ", 'sample_count', sample_count)",
    "body_temperature", "", "start_time", "start_time DESC");

const char store_sql_mcp_skintemp[] = MCP_WINDOW(
    MCP_METRIC("skin_temperature"),
    "json_build_object('sleep_date', sleep_date,"
    " 'temperature_celsius', " JF("temperature_celsius") ","
    " 'deviation_from_baseline', " JF("deviation_from_baseline") ","
    " 'is_elevated', is_elevated::int)",
    "skin_temperature", "", "sleep_date", "sleep_date DESC");

const char store_sql_mcp_hr[] = MCP_WINDOW(MCP_METRIC("heart_rate"),
    "json_build_object('date', date, 'hr_min_bpm', nullif(hr_min, 0),"
    " 'hr_avg_bpm', nullif(hr_avg, 0), 'hr_max_bpm', nullif(hr_max, 0),"
    " 'sample_count', sample_count)",
    "continuous_heart_rate", "", "date", "date DESC");

const char store_sql_mcp_alertness[] = MCP_WINDOW(MCP_METRIC("alertness"),
    "json_build_object('period_start_time', " TS("period_start_time") ","
    " 'period_end_time', " TS("period_end_time") ", 'grade', " JF("grade") ","
    " 'grade_classification', grade_classification)",
    "sleepwise_alertness", "", "period_start_time",
    "period_start_time DESC");

const char store_sql_mcp_bedtime[] = MCP_WINDOW(MCP_METRIC("bedtime"),
    "json_build_object('period_start_time', " TS("period_start_time") ","
    " 'period_end_time', " TS("period_end_time") ","
    " 'preferred_sleep_start', " TS("preferred_sleep_start") ","
    " 'preferred_sleep_end', " TS("preferred_sleep_end") ","
    " 'sleep_gate_start', " TS("sleep_gate_start") ","
    " 'sleep_gate_end', " TS("sleep_gate_end") ", 'quality', quality)",
    "sleepwise_bedtime", "", "period_start_time", "period_start_time DESC");

const char store_sql_mcp_baselines[] =
    "WITH p AS (SELECT * FROM physical_info WHERE user_id = $1"
    " ORDER BY recorded_at DESC LIMIT 1),"
    " b AS (SELECT count(*) n, coalesce(json_agg(" BASELINE " ORDER BY "
    BASELINE_ORDER "), '[]') j FROM user_baselines WHERE user_id = $1)"
    " SELECT 200, json_build_object('count', b.n, 'physical_info',"
    " (SELECT json_build_object('recorded_at', " TS("recorded_at") ","
    " 'vo2_max', vo2_max, 'maximum_heart_rate_bpm', maximum_heart_rate,"
    " 'resting_heart_rate_bpm', resting_heart_rate,"
    " 'aerobic_threshold_bpm', aerobic_threshold,"
    " 'anaerobic_threshold_bpm', anaerobic_threshold,"
    " 'weight_kg', " JF("weight_kg") ", 'height_cm', " JF("height_cm") ","
    " 'sleep_goal_hours', " MCP_HOURS("sleep_goal_seconds") ")"
    " FROM p), 'baselines', b.j)::text FROM b";

const char store_sql_mcp_patterns[] =
    "SELECT 200, json_build_object('patterns', coalesce((SELECT json_agg("
    PATTERN " ORDER BY analyzed_at DESC, pattern_name) FROM pattern_analyses"
    " WHERE user_id = $1), '[]'),"
    " 'anomaly_count', coalesce((SELECT (payload ->> 'anomaly_count')::int"
    " FROM analytics_documents WHERE user_id = $1 AND kind = 'anomalies'),"
    " 0), 'anomalies', coalesce((SELECT " ANOMALY_LIST("payload")
    " FROM analytics_documents WHERE user_id = $1 AND kind = 'anomalies'),"
    " '[]'))::text";

/* trigger_sync: only an active user is synced (syncd checks the rest). */
const char store_sql_mcp_sync_user[] =
    "SELECT CASE WHEN u.is_active THEN 200 ELSE 404 END,"
    " CASE WHEN u.is_active THEN '' ELSE 'No connected Polar user ''' ||"
    " $1 || ''' to sync' END"
    " FROM (SELECT 1) one LEFT JOIN users u ON u.user_id = $1";

/*
 * A sync is "running" while its row says started, for at most an hour
 * (a crashed syncd leaves the row behind).  Polar's quota is what the
 * latest sync read from Polar's rate-limit headers.
 */
const char store_sql_mcp_sync_status[] =
    "WITH l AS (SELECT * FROM sync_logs WHERE user_id = $1"
    " ORDER BY started_at DESC, id DESC LIMIT 1),"
    " q AS (SELECT * FROM sync_logs WHERE user_id = $1"
    " AND rate_limit_limit_15m IS NOT NULL"
    " ORDER BY started_at DESC, id DESC LIMIT 1)"
    " SELECT 200, json_build_object('user_id', $1::text,"
    " 'currently_syncing', EXISTS (SELECT 1 FROM sync_logs"
    " WHERE user_id = $1 AND status = 'started'"
    " AND started_at > now() - interval '1 hour'),"
    " 'last_sync', (SELECT json_build_object('status', status,"
    " 'trigger', trigger, 'started_at', " TS("started_at") ","
    " 'completed_at', " TS("completed_at") ", 'duration_ms', duration_ms,"
    " 'records_synced', records_synced, 'api_calls_made', api_calls_made,"
    " 'error_type', error_type, 'error_message', error_message) FROM l),"
    " 'polar_rate_limit', coalesce((SELECT json_build_object("
    " 'usage_15m', rate_limit_usage_15m, 'limit_15m', rate_limit_limit_15m,"
    " 'usage_24h', rate_limit_usage_24h, 'limit_24h', rate_limit_limit_24h,"
    " 'observed_at', coalesce(completed_at, started_at)) FROM q),"
    " '{}'::json))::text";

/* analyticsd's daily series beyond upstream (hrv_band, training_load...) */
const char store_sql_mcp_daily[] = MCP_WINDOW(
    "'metric', $3::text, " MCP_DAYS,
    "json_build_object('date', day, 'value', " JF("value") ","
    " 'details', details)",
    "analytics_daily", " AND metric_name = $3", "day", "day DESC");

const char store_sql_mcp_recovery_score[] =
    "WITH w AS (SELECT * FROM analytics_daily WHERE user_id = $1"
    " AND metric_name = 'recovery' AND day >= (current_date - $2::int))"
    " SELECT 200, json_build_object('days', $2::int,"
    " 'today', (SELECT payload FROM analytics_documents"
    " WHERE user_id = $1 AND kind = 'recovery'),"
    " 'count', (SELECT count(*) FROM w),"
    " 'records', coalesce((SELECT json_agg(json_build_object('date', day,"
    " 'score', " JF("value") ", 'details', details) ORDER BY day DESC)"
    " FROM w), '[]'))::text";

const char store_sql_mcp_alerts[] = MCP_WINDOW(MCP_DAYS,
    "json_build_object('metric_name', metric_name, 'date', day,"
    " 'severity', severity, 'value', " JF("value") ","
    " 'lower_bound', " JF("lower_bound") ","
    " 'upper_bound', " JF("upper_bound") ", 'direction', direction,"
    " 'first_seen_at', " TS("first_seen_at") ", 'last_seen_at', " TS("last_seen_at") ","
    " 'cleared_at', " TS("cleared_at") ", 'active', cleared_at IS NULL)",
    "analytics_alerts", "", "day", "day DESC, metric_name");

/*
 * The SaaS OAuth bridge (oauth.c).  States and temporary codes are stored
 * as SHA-256 hashes only, each single-use: a state is consumed by the
 * first callback that presents it whatever happens next, a code by the
 * first exchange.  Rows a day past their expiry are purged as new ones
 * are written; until then a replay is recognised as one and audited.
 */
/* $1 state hash, $2 the caller's callback URL, $3 client_id ('' none) */
const char store_sql_oauth_state_new[] =
    "WITH d AS (DELETE FROM oauth_states"
    " WHERE expires_at < now() - interval '1 day'),"
    " i AS (INSERT INTO oauth_states (state_hash, redirect_uri, client_id,"
    " expires_at) VALUES ($1, $2, nullif($3::text, ''),"
    " now() + interval '10 minutes') RETURNING 1)"
    " SELECT 200, 'ok' FROM i";

/*
 * $1 state hash -> (200, verdict, callback URL, client_id) when the state
 * is known: verdict "ok", "state_expired" or "state_replayed"; else
 * (401, "state_unknown").  The row is marked used in the same statement,
 * so two callbacks racing with one state see one "ok".
 */
const char store_sql_oauth_state_take[] =
    "WITH s AS (SELECT state_hash, redirect_uri, client_id, used_at,"
    " expires_at FROM oauth_states WHERE state_hash = $1 FOR UPDATE),"
    " v AS (SELECT s.*, CASE WHEN s.used_at IS NOT NULL"
    " THEN 'state_replayed' WHEN s.expires_at <= now()"
    " THEN 'state_expired' ELSE 'ok' END AS verdict FROM s),"
    " u AS (UPDATE oauth_states o SET used_at = now() FROM v"
    " WHERE o.state_hash = v.state_hash AND v.used_at IS NULL),"
    " a AS (INSERT INTO audit_log (actor, action, details)"
    " SELECT 'apid:oauth', 'oauth.' || v.verdict,"
    " json_build_object('callback_url', v.redirect_uri,"
    " 'client_id', v.client_id) FROM v WHERE v.verdict <> 'ok')"
    " SELECT CASE WHEN v.verdict IS NULL THEN 401 ELSE 200 END,"
    " coalesce(v.verdict, 'state_unknown'), v.redirect_uri, v.client_id"
    " FROM (SELECT 1) one LEFT JOIN v ON true";

/* $1 code hash, $2 user, $3 client_id ('' none): a 5-minute code */
const char store_sql_oauth_code_new[] =
    "WITH d AS (DELETE FROM temp_auth_codes"
    " WHERE expires_at < now() - interval '1 day'),"
    " i AS (INSERT INTO temp_auth_codes (code_hash, user_id, client_id,"
    " expires_at) VALUES ($1, $2::text, nullif($3::text, ''),"
    " now() + interval '5 minutes') RETURNING 1),"
    " a AS (INSERT INTO audit_log (actor, action, user_id, details)"
    " VALUES ('apid:oauth', 'oauth.connected', $2::text,"
    " json_build_object('client_id', nullif($3::text, ''))))"
    " SELECT 200, 'ok' FROM i";

/*
 * $1 code hash, $2 client_id ('' none), $3/$4 the new key's hash and
 * prefix, $5 its hourly limit -> (200, user) with the key stored, or
 * (401, message, verdict).  A code is spent by its first presentation,
 * even a refused one.  The user's earlier bridge keys are revoked: a
 * SaaS that connects a user again holds only the newest key; keys made
 * otherwise (polarctl) are left alone.
 */
const char store_sql_oauth_exchange[] =
    "WITH c AS (SELECT code_hash, user_id, client_id, is_used, expires_at"
    " FROM temp_auth_codes WHERE code_hash = $1 FOR UPDATE),"
    " v AS (SELECT c.*, CASE WHEN c.is_used THEN 'code_replayed'"
    " WHEN c.expires_at <= now() THEN 'code_expired'"
    " WHEN c.client_id IS NOT NULL AND"
    " c.client_id IS DISTINCT FROM nullif($2::text, '')"
    " THEN 'code_client_mismatch' ELSE 'ok' END AS verdict FROM c),"
    " u AS (UPDATE temp_auth_codes t SET is_used = true FROM v"
    " WHERE t.code_hash = v.code_hash RETURNING v.user_id, v.verdict),"
    " r AS (UPDATE api_keys k SET is_active = false, revoked_at = now()"
    " FROM u WHERE u.verdict = 'ok' AND k.user_id = u.user_id"
    " AND k.is_active AND k.name = 'OAuth bridge' RETURNING k.id),"
    " k AS (INSERT INTO api_keys (key_hash, key_prefix, name, user_id,"
    " rate_limit_requests) SELECT $3, $4, 'OAuth bridge', u.user_id,"
    " $5::integer FROM u WHERE u.verdict = 'ok' RETURNING id, user_id),"
    " a AS (INSERT INTO audit_log (actor, action, user_id, details)"
    " SELECT 'apid:oauth', CASE WHEN v.verdict = 'ok'"
    " THEN 'oauth.exchange' ELSE 'oauth.' || v.verdict END, v.user_id,"
    " json_build_object('key_id', (SELECT id FROM k),"
    " 'revoked_keys', (SELECT count(*) FROM r)) FROM v)"
    " SELECT CASE WHEN (SELECT id FROM k) IS NULL THEN 401 ELSE 200 END,"
    " coalesce((SELECT user_id FROM k),"
    " 'Invalid or expired authorization code'),"
    " coalesce((SELECT verdict FROM v), 'code_unknown')";

/*
 * HRV sessions.  A POST is one INSERT of the session, its RR series and
 * its analysis (made in C by common/hrv before the statement runs):
 * $1 user, $2 recording id ("" for a new one), $3 the body's metadata
 * (hrvbody.c), $4 the RR and $5 the corrected series (float8[] literals),
 * $6 pf_hrv_json_result()'s document.  Answers 201 with the session, 404
 * for an unknown user, or 409 with the existing session's id in the third
 * column: a recording id is never stored twice, never overwritten.
 */
#define HRV_INSERT(body) \
    "WITH p AS (SELECT $3::jsonb AS m, $6::jsonb AS r)," \
    " u AS (SELECT user_id FROM users WHERE user_id = $1)," \
    " ins AS (INSERT INTO hrv_sessions (user_id, recording_id, source," \
    " client_user, recorded_at, utc_offset_minutes, tags, device," \
    " heart_rate, motion_artifacts, feeds_analytics, rr, nn," \
    " algo_version, metrics, compat, rmssd, valid, reason)" \
    " SELECT u.user_id, coalesce(nullif($2, ''), gen_random_uuid()::text)," \
    " 'api', nullif(m->>'client_user', u.user_id)," \
    " (m->>'recorded_at')::timestamptz, (m->>'utc_offset')::int," \
    " ARRAY(SELECT jsonb_array_elements_text(m->'tags'))," \
    " m->'device', (m->>'heart_rate')::int, (m->>'motion')::boolean," \
    " (m->>'feeds')::boolean," \
    " $4::float8[], $5::float8[], (r->>'algo_version')::int," \
    " r->'metrics', r->'compat', (r->'metrics'->>'rmssd')::float8," \
    " (r->>'valid')::boolean, r->>'reason' FROM u, p" \
    " ON CONFLICT (user_id, recording_id) DO NOTHING RETURNING *) " \
    "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM u) THEN 404" \
    " WHEN s.id IS NULL THEN 409 ELSE 201 END," \
    " CASE WHEN NOT EXISTS (SELECT 1 FROM u) THEN 'User ' || $1 ||" \
    " ' not found' WHEN s.id IS NULL THEN 'A session with recording id '" \
    " || $2 || ' already exists' ELSE (" body ")::text END," \
    " (SELECT e.id::text FROM hrv_sessions e WHERE s.id IS NULL" \
    " AND e.user_id = $1 AND e.recording_id = $2)" \
    " FROM (SELECT 1) one LEFT JOIN ins s ON true"

#define HRV_SESSION(s) \
    "jsonb_build_object('id', " s ".id, 'user_id', " s ".user_id," \
    " 'recording_id', " s ".recording_id, 'source', " s ".source," \
    " 'recorded_at', " TS(s ".recorded_at") ", 'tags', " s ".tags," \
    " 'device', " s ".device, 'heart_rate', " s ".heart_rate," \
    " 'motion_artifacts', " s ".motion_artifacts, 'valid', " s ".valid," \
    " 'reason', " s ".reason, 'algo_version', " s ".algo_version," \
    " 'computed_at', " TS(s ".computed_at") "," \
    " 'created_at', " TS(s ".created_at") "," \
    " 'metrics', " s ".metrics)"

/* The HRV Metrics API's POST answer (invalid sessions: metadata only). */
#define HRV_COMPAT_POSTED(s) \
    "jsonb_build_object('status', CASE WHEN " s ".valid THEN 'success'" \
    " ELSE 'error' END, 'message', CASE WHEN " s ".valid THEN" \
    " 'Session processed and stored successfully' ELSE" \
    " 'Invalid HRV session: ' || " s ".reason END, 'data'," \
    " jsonb_build_object('metadata', jsonb_build_object('id', " s ".id," \
    " 'timestamp', " s ".recorded_at," \
    " 'recordingSessionId', " s ".recording_id," \
    " 'user_id', coalesce(" s ".client_user, " s ".user_id)," \
    " 'device_info', " s ".device, 'tags', " s ".tags," \
    " 'valid', " s ".valid, 'reason', " s ".reason," \
    " 'motionArtifacts', " s ".motion_artifacts)" \
    " || (" s ".compat->'quality'))" \
    " || CASE WHEN " s ".valid THEN jsonb_build_object('metrics'," \
    " " s ".compat->'metrics', 'indexes', " s ".compat->'indexes')" \
    " ELSE '{}' END)"

const char store_sql_hrv_post[] = HRV_INSERT(HRV_SESSION("s"));
const char store_sql_hrv_compat_post[] =
    HRV_INSERT(HRV_COMPAT_POSTED("s"));

/*
 * $1 user, $2 tag ("" any), $3 from, $4 to (canonical timestamps, "" for
 * open), $5 limit, $6 offset.
 */
const char store_sql_hrv_list[] =
    "WITH f AS (SELECT * FROM hrv_sessions WHERE user_id = $1"
    " AND (nullif($2, '') IS NULL OR $2 = ANY(tags))"
    " AND recorded_at >= coalesce(nullif($3, '')::timestamptz,"
    " '-infinity') AND recorded_at < coalesce(nullif($4, '')::timestamptz,"
    " 'infinity')) "
    "SELECT 200, json_build_object('total', (SELECT count(*) FROM f),"
    " 'limit', $5::int, 'offset', $6::int, 'sessions',"
    " coalesce((SELECT json_agg(json_build_object('id', id,"
    " 'recording_id', recording_id, 'source', source,"
    " 'recorded_at', " TS("recorded_at") ", 'tags', tags, 'valid', valid,"
    " 'algo_version', algo_version, 'n_nn', metrics->'n_nn',"
    " 'duration_s', metrics->'duration_s', 'mean_hr', metrics->'mean_hr',"
    " 'rmssd', metrics->'rmssd', 'ln_rmssd', metrics->'ln_rmssd',"
    " 'sdnn', metrics->'sdnn', 'corrected_pct', metrics->'corrected_pct')"
    " ORDER BY recorded_at DESC, id) FROM (SELECT * FROM f"
    " ORDER BY recorded_at DESC, id LIMIT $5::int OFFSET $6::int) g),"
    " '[]'))::text";

/* $1 user, $2 session id, $3 "true": with the RR and corrected series. */
const char store_sql_hrv_one[] =
    "SELECT CASE WHEN j IS NULL THEN 404 ELSE 200 END,"
    " coalesce(j::text, 'HRV session ' || $2 || ' not found') FROM (SELECT"
    " (SELECT " HRV_SESSION("s") " || CASE WHEN $3::boolean THEN"
    " jsonb_build_object('rr', s.rr, 'nn', s.nn) ELSE '{}' END"
    " FROM hrv_sessions s WHERE s.user_id = $1 AND s.id = $2::uuid) AS j) x";

const char store_sql_hrv_delete[] =
    "WITH d AS (DELETE FROM hrv_sessions WHERE user_id = $1"
    " AND id = $2::uuid RETURNING id) "
    "SELECT CASE WHEN count(*) = 0 THEN 404 ELSE 200 END,"
    " CASE WHEN count(*) = 0 THEN 'HRV session ' || $2 || ' not found'"
    " ELSE json_build_object('deleted', true, 'id', $2)::text END FROM d";

/*
 * The HRV Metrics API's reads.  Its user_id is an e-mail: a session
 * matches by our user id or by the client's own (client_user).  $2 is the
 * calling key's user ("" for a service or master key): a user's key sees
 * only that user's sessions.  Lists: $3 skip, $4 limit.
 */
#define HRV_COMPAT_LIST(where) \
    "SELECT 200, coalesce(json_agg(json_build_object('id', id," \
    " 'recordingSessionId', recording_id, 'timestamp', recorded_at," \
    " 'valid', valid, 'quality_score', compat->'quality'->'quality_score'," \
    " 'quality_label', compat->'quality'->'quality_label', 'tags', tags)" \
    " ORDER BY recorded_at DESC, id), '[]')::text FROM (SELECT * FROM" \
    " hrv_sessions WHERE " where " AND (nullif($2, '') IS NULL OR" \
    " user_id = $2) ORDER BY recorded_at DESC, id OFFSET $3::int" \
    " LIMIT $4::int) s"

const char store_sql_hrv_compat_user[] =
    HRV_COMPAT_LIST("(user_id = $1 OR client_user = $1)");
const char store_sql_hrv_compat_tag[] = HRV_COMPAT_LIST("$1 = ANY(tags)");

const char store_sql_hrv_compat_one[] =
    "SELECT CASE WHEN j IS NULL THEN 404 ELSE 200 END,"
    " coalesce(j::text, 'Session not found') FROM (SELECT (SELECT"
    " jsonb_build_object('id', s.id, 'recordingSessionId', s.recording_id,"
    " 'timestamp', s.recorded_at,"
    " 'user_id', coalesce(s.client_user, s.user_id),"
    " 'device', jsonb_build_object('model', s.device->'model',"
    " 'firmware_version', s.device->'firmwareVersion'),"
    " 'valid', s.valid, 'reason', s.reason,"
    " 'quality_score', s.compat->'quality'->'quality_score',"
    " 'quality_label', s.compat->'quality'->'quality_label',"
    " 'tags', s.tags, 'metrics', (SELECT jsonb_object_agg(k, v) FROM"
    " jsonb_each(s.compat->'metrics') AS e(k, v) WHERE k = ANY(ARRAY["
    " 'mean_rr', 'sdnn', 'rmssd', 'pnn50', 'cv_rr', 'rr_count', 'lfPower',"
    " 'hfPower', 'lfHfRatio', 'breathingRate'])),"
    " 'indexes', s.compat->'indexes', 'algo_version', s.algo_version)"
    " FROM hrv_sessions s WHERE s.recording_id = $1"
    " AND (nullif($2, '') IS NULL OR s.user_id = $2)"
    " ORDER BY s.created_at DESC LIMIT 1) AS j) x";

/*
 * Apple Health reads.  $2 name ('' lists the metrics stored), $3 from and
 * $4 to (dates, '' for the last 30 days to today), $5 agg: 'raw' (the
 * samples, at most 10000, oldest first) or 'day' (per local day, as the
 * sample's own offset had it).  Values are SI with the sent ones beside.
 */
#define HWIN \
    " (SELECT coalesce(nullif($3, '')::date, coalesce(nullif($4, '')::date," \
    " current_date) - 30) AS f," \
    " coalesce(nullif($4, '')::date, current_date) AS t) w"
#define HLOCALDAY \
    "((s.start_at AT TIME ZONE 'UTC') + coalesce(s.utc_offset_min, 0) *" \
    " interval '1 minute')::date"
/* local days lie within 14 h of the UTC ones */
#define HRANGE \
    " s.start_at >= w.f - interval '14 hours'" \
    " AND s.start_at < w.t + 1 + interval '14 hours'" \
    " AND " HLOCALDAY " BETWEEN w.f AND w.t"

const char store_sql_health_metrics[] =
    "SELECT 200, CASE WHEN $2 = '' THEN"
    " (SELECT coalesce(json_agg(json_build_object('name', metric,"
    " 'unit', unit, 'count', n, 'first', first, 'last', last,"
    " 'known', known) ORDER BY metric), '[]')::text FROM"
    " (SELECT metric, max(unit) AS unit, count(*) AS n,"
    " min(start_at) AS first, max(start_at) AS last,"
    " bool_and(known) AS known FROM health_samples"
    " WHERE user_id = $1 GROUP BY metric) m)"
    " WHEN $5 = 'day' THEN"
    " (SELECT json_build_object('name', $2, 'agg', 'day', 'from', w.f,"
    " 'to', w.t, 'days', coalesce((SELECT json_agg(json_build_object("
    " 'date', d, 'count', n, 'sum', sm, 'avg', av, 'min', mn, 'max', mx,"
    " 'unit', u) ORDER BY d) FROM (SELECT " HLOCALDAY " AS d,"
    " count(*) AS n, sum(s.value) AS sm, avg(coalesce(s.vavg, s.value))"
    " AS av, min(coalesce(s.vmin, s.value)) AS mn,"
    " max(coalesce(s.vmax, s.value)) AS mx, max(s.unit) AS u"
    " FROM health_samples s WHERE s.user_id = $1 AND s.metric = $2 AND"
    HRANGE " GROUP BY 1) x), '[]'))::text FROM" HWIN ")"
    " ELSE"
    " (SELECT json_build_object('name', $2, 'agg', 'raw', 'from', w.f,"
    " 'to', w.t, 'samples', coalesce((SELECT json_agg(json_build_object("
    " 'start', s.start_at, 'end', s.end_at,"
    " 'utc_offset_min', s.utc_offset_min, 'source', s.source,"
    " 'value', s.value, 'unit', s.unit, 'value_orig', s.value_orig,"
    " 'unit_orig', s.unit_orig, 'min', s.vmin, 'avg', s.vavg,"
    " 'max', s.vmax, 'extra', s.extra) ORDER BY s.start_at, s.source)"
    " FROM (SELECT s.* FROM health_samples s WHERE s.user_id = $1 AND"
    " s.metric = $2 AND" HRANGE " ORDER BY s.start_at, s.source"
    " LIMIT 10000) s), '[]'))::text FROM" HWIN ")"
    " END";

const char store_sql_health_workouts[] =
    "SELECT 200, json_build_object('from', w.f, 'to', w.t, 'workouts',"
    " coalesce((SELECT json_agg(json_build_object('id', s.workout_key,"
    " 'format', s.format, 'name', s.name, 'start', s.start_at,"
    " 'end', s.end_at, 'utc_offset_min', s.utc_offset_min,"
    " 'duration_s', s.duration_s, 'location', s.location,"
    " 'summary', s.summary, 'heart_rate', s.heart_rate,"
    " 'heart_rate_recovery', s.hr_recovery, 'series', s.series,"
    " 'route_points', s.route_points, 'route', s.route,"
    " 'metadata', s.metadata) ORDER BY s.start_at)"
    " FROM health_workouts s WHERE s.user_id = $1"
    " AND ($2 = '' OR s.name = $2) AND" HRANGE
    /* agg ($5, always one of these) has no use here but needs a type */
    " AND $5 IN ('raw', 'day')), '[]'))::text"
    " FROM" HWIN;

/*
 * The webhooks out.  $1 is the calling key's id (0: the master key, which
 * sees every subscription), $2 its quota left (unused), then what the
 * route binds.  The secret is bound by webhook.c and only echoed: apid may
 * write a secret, never read one.
 */
#define HOOK_JSON(s) "json_build_object('id', " s ".id, 'url', " s ".url," \
    " 'events', " s ".events, 'description', " s ".description," \
    " 'enabled', " s ".enabled, 'disabled_at', " TS(s ".disabled_at") "," \
    " 'disabled_reason', " s ".disabled_reason, 'failing_since', " \
    TS(s ".failing_since") ", 'failure_streak', " s ".failure_streak," \
    " 'created_at', " TS(s ".created_at") ")"
#define HOOK_MAX_PER_KEY "50"

/* $3 url, $4 secret, $5 events (JSON array), $6 description */
const char store_sql_webhook_add[] =
    "WITH n AS (SELECT count(*) AS c FROM webhook_subscriptions"
    " WHERE owner_key_id IS NOT DISTINCT FROM nullif($1::bigint, 0)),"
    " i AS (INSERT INTO webhook_subscriptions (url, secret, events,"
    " description, owner_key_id) SELECT $3, $4, coalesce((SELECT"
    " array_agg(e) FROM jsonb_array_elements_text($5::jsonb) e), '{}'),"
    " $6, nullif($1::bigint, 0) FROM n WHERE n.c < " HOOK_MAX_PER_KEY
    " AND $2::int IS NOT NULL RETURNING id, url, events, description,"
    " enabled, disabled_at, disabled_reason, failing_since,"
    " failure_streak, created_at) "
    "SELECT CASE WHEN i.id IS NULL THEN 409 ELSE 200 END,"
    " CASE WHEN i.id IS NULL THEN 'This key has " HOOK_MAX_PER_KEY
    " webhooks already' ELSE (" HOOK_JSON("i") "::jsonb ||"
    " jsonb_build_object('secret', $4::text))::text END"
    " FROM (SELECT 1) one LEFT JOIN i ON true";

const char store_sql_webhook_list[] =
    "SELECT 200, coalesce(json_agg(" HOOK_JSON("s") " ORDER BY s.id),"
    " '[]')::text FROM webhook_subscriptions s"
    " WHERE ($1::bigint = 0 OR s.owner_key_id = $1::bigint)"
    " AND $2::int IS NOT NULL";

/* $1 the webhook, $2 the key, $3 its quota */
const char store_sql_webhook_delete[] =
    "WITH d AS (DELETE FROM webhook_subscriptions WHERE id = $1::bigint"
    " AND ($2::bigint = 0 OR owner_key_id = $2::bigint)"
    " AND $3::int IS NOT NULL RETURNING id) "
    "SELECT CASE WHEN count(*) = 0 THEN 404 ELSE 200 END,"
    " CASE WHEN count(*) = 0 THEN 'Webhook ' || $1 || ' not found'"
    " ELSE json_build_object('deleted', true, 'id', $1::bigint)::text END"
    " FROM d";

/* the last 100 deliveries of the webhook, newest first */
const char store_sql_webhook_deliveries[] =
    "SELECT CASE WHEN s.id IS NULL THEN 404 ELSE 200 END,"
    " CASE WHEN s.id IS NULL THEN 'Webhook ' || $1 || ' not found'"
    " ELSE coalesce((SELECT json_agg(json_build_object('id', x.id,"
    " 'event_id', x.event_id, 'type', x.type, 'user_id', x.osubject,"
    " 'state', x.state, 'attempts', x.attempts, 'status_code',"
    " x.status_code, 'latency_ms', x.latency_ms, 'error', x.error,"
    " 'next_attempt_at', " TS("x.next_attempt_at") ", 'last_attempt_at', "
    TS("x.last_attempt_at") ", 'created_at', " TS("x.created_at") ")"
    " ORDER BY x.id DESC) FROM (SELECT d.*, o.event_id, o.type, o.subject"
    " AS osubject FROM webhook_deliveries d JOIN webhook_outbox o"
    " ON o.seq = d.seq WHERE d.subscription_id = s.id"
    " ORDER BY d.id DESC LIMIT 100) x), '[]')::text END"
    " FROM (SELECT 1) one LEFT JOIN webhook_subscriptions s"
    " ON s.id = $1::bigint AND ($2::bigint = 0 OR"
    " s.owner_key_id = $2::bigint) AND $3::int IS NOT NULL";

/*
 * Polar's webhook (polarhook.c).  $1 event, $2 Polar user id ('' none),
 * $3 the raw body, $4 the signature header -> (200, "queued"), or
 * (200, "duplicate") for bytes seen before: a replay, or Polar sending
 * again an answer it missed; either way it is audited and not queued.
 */
const char store_sql_polarhook_queue[] =
    "WITH i AS (INSERT INTO polar_webhook_events (event, polar_user_id,"
    " body, signature, body_sha256) VALUES ($1::text, nullif($2::text, ''),"
    " $3::text, $4::text, sha256(convert_to($3::text, 'UTF8')))"
    " ON CONFLICT (body_sha256) DO NOTHING RETURNING id),"
    " a AS (INSERT INTO audit_log (actor, action, details)"
    " SELECT 'apid:polar-webhook', 'polar_webhook.replayed',"
    " json_build_object('event', $1::text, 'polar_user_id',"
    " nullif($2::text, '')) WHERE NOT EXISTS (SELECT 1 FROM i))"
    " SELECT 200, CASE WHEN EXISTS (SELECT 1 FROM i) THEN 'queued'"
    " ELSE 'duplicate' END";

/* $1 action suffix, $2 reason, $3 event ('' unknown) -> (401, reason) */
const char store_sql_polarhook_refused[] =
    "WITH a AS (INSERT INTO audit_log (actor, action, details)"
    " VALUES ('apid:polar-webhook', 'polar_webhook.' || $1::text,"
    " json_build_object('reason', $2::text, 'event', nullif($3::text, ''))))"
    " SELECT 401, $2::text";

/*
 * The admin console (console*.c).  Sessions and setup tokens are stored
 * by their SHA-256 (a session) or as is (the setup token, which the log
 * shows anyway); "failures" are the client's failed logins and setup
 * attempts of the last CONSOLE_FAIL_WINDOW_MIN minutes.
 */
#define CONSOLE_WINDOW	"interval '15 minutes'"
#define CONSOLE_LIFE	"interval '24 hours'"

/* $1 a fresh token: the one stored, or none once an admin exists. */
const char store_sql_console_setup_token[] =
    "WITH i AS (INSERT INTO console_setup (id, token) SELECT 1, $1"
    " WHERE NOT EXISTS (SELECT 1 FROM console_admins)"
    " ON CONFLICT (id) DO NOTHING RETURNING token)"
    " SELECT token FROM i UNION ALL SELECT token FROM console_setup"
    " WHERE NOT EXISTS (SELECT 1 FROM console_admins) LIMIT 1";

/*
 * $1 the session cookie's hash ('' none), $2 the client address: (an
 * admin exists, the session's admin id, name, CSRF token, failures).
 */
const char store_sql_console_state[] =
    "SELECT EXISTS (SELECT 1 FROM console_admins), s.admin_id, a.name,"
    " s.csrf_token, (SELECT count(*) FROM console_login_failures"
    " WHERE client_addr = $2 AND at > now() - " CONSOLE_WINDOW ")"
    " FROM (SELECT 1) one"
    " LEFT JOIN console_sessions s ON s.id_hash = $1"
    " AND s.expires_at > now()"
    " LEFT JOIN console_admins a ON a.id = s.admin_id";

/* $1 name: its password hash, '' for no such admin. */
const char store_sql_console_admin_hash[] =
    "SELECT coalesce((SELECT password_hash FROM console_admins"
    " WHERE name = $1), '')";

/*
 * A login: $1 the new session's hash, $2 its CSRF token, $3 the admin's
 * name, $4 the old session's hash (rotated away), $5 the client address
 * (its failures forgotten).  Returns the sessions made (0 or 1).
 */
const char store_sql_console_login[] =
    "WITH d AS (DELETE FROM console_sessions WHERE id_hash = $4"
    " OR expires_at < now()),"
    " f AS (DELETE FROM console_login_failures WHERE client_addr = $5),"
    " i AS (INSERT INTO console_sessions (id_hash, admin_id, csrf_token,"
    " expires_at) SELECT $1, id, $2, now() + " CONSOLE_LIFE
    " FROM console_admins WHERE name = $3 RETURNING 1)"
    " SELECT count(*) FROM i";

/* A failed login or setup from $1; older failures are purged. */
const char store_sql_console_fail[] =
    "WITH d AS (DELETE FROM console_login_failures"
    " WHERE at < now() - " CONSOLE_WINDOW ")"
    " INSERT INTO console_login_failures (client_addr) VALUES ($1)"
    " RETURNING 1";

/*
 * The first admin: $1 the setup token given, $2 name, $3 password hash,
 * $4 the new session's hash, $5 its CSRF token, $6 the client address
 * (a wrong token counts as a failure).  The token row is locked, so two
 * setups at once make one admin; the admin's insert drops the token (the
 * trigger).  Returns the sessions made (0: wrong token or too late).
 */
const char store_sql_console_setup[] =
    "WITH t AS (SELECT 1 FROM console_setup WHERE id = 1 AND token = $1"
    " AND NOT EXISTS (SELECT 1 FROM console_admins) FOR UPDATE),"
    " a AS (INSERT INTO console_admins (name, password_hash)"
    " SELECT $2, $3 FROM t RETURNING id),"
    " s AS (INSERT INTO console_sessions (id_hash, admin_id, csrf_token,"
    " expires_at) SELECT $4, id, $5, now() + " CONSOLE_LIFE " FROM a"
    " RETURNING 1),"
    " f AS (INSERT INTO console_login_failures (client_addr)"
    " SELECT $6 WHERE NOT EXISTS (SELECT 1 FROM t))"
    " SELECT count(*) FROM s";

const char store_sql_console_logout[] =
    "DELETE FROM console_sessions WHERE id_hash = $1";

const char store_sql_console_users[] =
    "SELECT coalesce(json_agg(json_build_object('user_id', user_id,"
    " 'is_active', is_active, 'needs_reauth', needs_reauth,"
    " 'last_synced_at', " TS("last_synced_at") ","
    " 'created_at', " TS("created_at") ","
    " 'active_keys', (SELECT count(*) FROM api_keys k"
    " WHERE k.user_id = u.user_id AND k.is_active))"
    " ORDER BY created_at, user_id), '[]')::text FROM users u";

/*
 * Today's tiles of user $1: each the latest value with its date (the
 * page shows how old it is).  HRV is analyticsd's band of ln RMSSD, shown
 * in milliseconds.  No row: no such user.
 */
#define CONSOLE_EXP(x)	"round(exp((" x ")::float8)::numeric, 0)"
const char store_sql_console_tiles[] =
    "SELECT json_build_object('user_id', u.user_id, 'today', current_date,"
    " 'sleep', (SELECT json_build_object('date', date, 'value',"
    " sleep_score) FROM sleep WHERE user_id = $1 AND sleep_score > 0"
    " ORDER BY date DESC LIMIT 1),"
    " 'hrv', (SELECT json_build_object('date', day,"
    " 'value', " CONSOLE_EXP("details->>'ln_rmssd'") ","
    " 'low', " CONSOLE_EXP("details->>'band_low'") ","
    " 'high', " CONSOLE_EXP("details->>'band_high'") ","
    " 'status', details->>'status') FROM analytics_daily"
    " WHERE user_id = $1 AND metric_name = 'hrv_band'"
    " AND details->>'ln_rmssd' IS NOT NULL ORDER BY day DESC LIMIT 1),"
    " 'resting_hr', (SELECT json_build_object('date', date, 'value',"
    " round(heart_rate_avg::numeric, 0)) FROM nightly_recharge"
    " WHERE user_id = $1 AND heart_rate_avg > 0 ORDER BY date DESC LIMIT 1),"
    " 'load_ratio', (SELECT json_build_object('date', date, 'value',"
    " round(cardio_load_ratio::numeric, 2), 'status', cardio_load_status)"
    " FROM cardio_load WHERE user_id = $1 AND cardio_load_ratio > 0"
    " ORDER BY date DESC LIMIT 1),"
    " 'recovery', (SELECT json_build_object('date', day, 'value',"
    " round(value::numeric, 0)) FROM analytics_daily WHERE user_id = $1"
    " AND metric_name = 'recovery' AND value IS NOT NULL"
    " ORDER BY day DESC LIMIT 1))::text"
    " FROM users u WHERE u.user_id = $1";

/* (every key, newest active first; every user id) */
const char store_sql_console_keys[] =
    "SELECT coalesce(json_agg(json_build_object('id', id, 'key_prefix',"
    " key_prefix, 'name', name, 'user_id', user_id, 'is_active', is_active,"
    " 'rate_limit_requests', rate_limit_requests,"
    " 'created_at', " TS("created_at") ","
    " 'last_used_at', " TS("last_used_at") ")"
    " ORDER BY is_active DESC, id DESC), '[]')::text,"
    " (SELECT coalesce(json_agg(user_id ORDER BY user_id), '[]')::text"
    " FROM users) FROM api_keys";

/*
 * A new key: $1 its user ('' a service key), $2 hash and $3 prefix made
 * in C, $4 its name, $5 the admin.  (code, key id): 404 no such user,
 * 409 the user has an active key already (one per user, as upstream).
 */
const char store_sql_console_key_new[] =
    "WITH u AS (SELECT nullif($1, '') uid),"
    " c AS (SELECT CASE WHEN uid IS NOT NULL AND NOT EXISTS (SELECT 1"
    " FROM users WHERE user_id = uid) THEN 404 WHEN uid IS NOT NULL AND"
    " EXISTS (SELECT 1 FROM api_keys WHERE user_id = uid AND is_active)"
    " THEN 409 ELSE 200 END code, uid FROM u),"
    " i AS (INSERT INTO api_keys (key_hash, key_prefix, name, user_id)"
    " SELECT $2, $3, $4, uid FROM c WHERE code = 200"
    " RETURNING id, user_id),"
    " l AS (INSERT INTO audit_log (actor, action, user_id, details)"
    " SELECT 'console:' || $5, 'key.create', user_id,"
    " json_build_object('key_id', id) FROM i)"
    " SELECT code, coalesce((SELECT id::text FROM i), '') FROM c";

/* $1 key id, $2 the admin: (code, the key's user or ''). */
const char store_sql_console_key_revoke[] =
    "WITH u AS (UPDATE api_keys SET is_active = false, revoked_at = now()"
    " WHERE id = $1::bigint AND is_active RETURNING id, user_id),"
    " l AS (INSERT INTO audit_log (actor, action, user_id, details)"
    " SELECT 'console:' || $2, 'key.revoke', user_id,"
    " json_build_object('key_id', id) FROM u)"
    " SELECT CASE WHEN EXISTS (SELECT 1 FROM u) THEN 200 ELSE 404 END,"
    " coalesce((SELECT user_id FROM u), '')";
