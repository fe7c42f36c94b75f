#!/usr/bin/env python3
"""gen_openapi.py -- writes apid/openapi.json (OpenAPI 3.1).

The document is kept in the repository; this script is how it is
maintained: "make openapi" runs it.  The routes, their order and their
"days" parameter come from apid's route table (the apid_routes tool
prints it); the tables below add what the table does not know: schemas,
summaries, tags.  A route without documentation, or documentation
without a route, stops the script.
"""
import json
import subprocess
import sys

U = "/api/v1/users/{user_id}"
NUM = {"type": ["number", "null"]}
INT = {"type": ["integer", "null"]}
STR = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date"}
TS = {"type": ["string", "null"], "format": "date-time"}
BOOL = {"type": "boolean"}
ANY = {}


def obj(props, nullable=False):
    s = {"type": ["object", "null"] if nullable else "object",
         "properties": props}
    return s


def arr(items):
    return {"type": "array", "items": items}


HOOK_EVENTS = {"type": "string", "enum": [
    "data.changed", "analytics.updated", "user.reauth_required",
    "user.deleted", "sync.failed"]}
HOOK = {"id": {"type": "integer"}, "url": {"type": "string"},
        "events": arr(HOOK_EVENTS), "description": {"type": "string"},
        "enabled": BOOL, "disabled_at": TS, "disabled_reason": STR,
        "failing_since": TS, "failure_streak": {"type": "integer"},
        "created_at": TS}

SCHEMAS = {
    "Webhook": obj(HOOK),
    "WebhookCreated": obj(dict(HOOK, secret={
        "type": "string", "pattern": "^whsec_[A-Za-z0-9+/=]+$",
        "description": "Standard Webhooks signing secret; shown once"})),
    "WebhookBody": {"type": "object", "required": ["url"],
                    "additionalProperties": False, "properties": {
                        "url": {"type": "string", "maxLength": 2048,
                                "pattern": "^https?://"},
                        "events": {**arr(HOOK_EVENTS), "maxItems": 16,
                                   "description": "Empty or absent: "
                                   "every event type"},
                        "description": {"type": "string",
                                        "maxLength": 200}}},
    "WebhookDelivery": obj({
        "id": {"type": "integer"}, "event_id": {"type": "string"},
        "type": {"type": "string"}, "user_id": STR,
        "state": {"type": "string", "enum": ["pending", "delivered",
                                             "failed"]},
        "attempts": {"type": "integer"}, "status_code": INT,
        "latency_ms": INT, "error": STR, "next_attempt_at": TS,
        "last_attempt_at": TS, "created_at": TS}),
    "JsonRpcRequest": obj({"jsonrpc": {"const": "2.0"},
                           "id": {"type": ["string", "integer"]},
                           "method": {"type": "string"},
                           "params": {"type": "object"}}),
    "JsonRpcResponse": obj({"jsonrpc": {"const": "2.0"},
                            "id": {"type": ["string", "integer", "null"]},
                            "result": {"type": "object"},
                            "error": obj({"code": {"type": "integer"},
                                          "message": {"type": "string"}})}),
    "Error": obj({"status_code": {"type": "integer"},
                  "detail": {"type": "string"},
                  "extra": {}}),
    "SleepSummary": obj({"date": DATE, "sleep_score": INT,
                         "total_sleep_hours": NUM, "light_sleep_hours": NUM,
                         "deep_sleep_hours": NUM, "rem_sleep_hours": NUM,
                         "hrv_avg": NUM, "heart_rate_avg": NUM,
                         "breathing_rate_avg": NUM,
                         "skin_temperature_avg": NUM}),
    "SleepDetail": obj({"date": DATE, "sleep_start_time": TS,
                        "sleep_end_time": TS, "sleep_score": INT,
                        "sleep_rating": INT, "total_sleep_hours": NUM,
                        "light_sleep_hours": NUM, "deep_sleep_hours": NUM,
                        "rem_sleep_hours": NUM, "interruptions_hours": NUM,
                        "hrv_avg": NUM, "hrv_samples": INT,
                        "heart_rate_avg": NUM, "heart_rate_min": INT,
                        "heart_rate_max": INT, "breathing_rate_avg": NUM,
                        "skin_temperature_avg": NUM, "device_id": STR,
                        "continuity": NUM, "continuity_class": INT,
                        "sleep_cycles": INT,
                        "unrecognized_sleep_seconds": INT,
                        "short_interruption_seconds": INT,
                        "long_interruption_seconds": INT,
                        "sleep_charge": INT, "sleep_goal_hours": NUM,
                        "group_duration_score": NUM,
                        "group_solidity_score": NUM,
                        "group_regeneration_score": NUM,
                        "hypnogram": ANY, "heart_rate_samples": ANY},
                       nullable=True),
    "Activity": obj({"date": DATE, "steps": INT, "calories_active": INT,
                     "calories_total": INT, "distance_km": NUM,
                     "active_minutes": NUM, "activity_score": INT}),
    "ActivityDetail": obj({"date": DATE, "steps": INT,
                           "calories_active": INT, "calories_total": INT,
                           "distance_meters": NUM,
                           "active_time_seconds": INT,
                           "activity_score": INT,
                           "inactivity_alerts": INT}),
    "Recharge": obj({"date": DATE, "hrv_avg": NUM, "ans_charge": NUM,
                     "ans_charge_status": INT, "breathing_rate_avg": NUM,
                     "heart_rate_avg": NUM, "nightly_recharge_status": INT,
                     "beat_to_beat_avg": NUM}),
    "PhysicalInfo": obj({"recorded_at": TS, "weight_kg": NUM,
                         "height_cm": NUM, "maximum_heart_rate": INT,
                         "resting_heart_rate": INT,
                         "aerobic_threshold": INT,
                         "anaerobic_threshold": INT, "vo2_max": INT,
                         "weight_source": STR, "training_background": STR,
                         "typical_day": STR, "sleep_goal_hours": NUM,
                         "history": arr({"type": "object"})},
                        nullable=True),
    "CardioLoad": obj({"date": DATE, "strain": NUM, "tolerance": NUM,
                       "cardio_load": NUM, "cardio_load_ratio": NUM,
                       "cardio_load_status": STR}),
    "HeartRateDay": obj({"date": DATE, "hr_min": INT, "hr_avg": INT,
                         "hr_max": INT, "sample_count": INT}),
    "HeartRateSamples": obj({"date": DATE, "hr_min": INT, "hr_avg": INT,
                             "hr_max": INT, "sample_count": INT,
                             "samples": ANY}),
    "Exercise": obj({"id": {"type": "string", "format": "uuid"},
                     "polar_exercise_id": STR, "start_time": TS,
                     "sport": STR, "duration_minutes": NUM,
                     "distance_km": NUM, "calories": INT,
                     "average_heart_rate": INT, "max_heart_rate": INT,
                     "training_load": NUM}),
    "ExerciseDetail": obj({"id": {"type": "string", "format": "uuid"},
                           "polar_exercise_id": STR, "start_time": TS,
                           "sport": STR, "duration_seconds": NUM,
                           "distance_meters": NUM, "calories": INT,
                           "average_heart_rate": INT,
                           "max_heart_rate": INT,
                           "average_speed_mps": NUM, "max_speed_mps": NUM,
                           "average_cadence": NUM, "max_cadence": INT,
                           "average_power": NUM, "max_power": INT,
                           "training_load": NUM, "ascent_meters": NUM,
                           "descent_meters": NUM, "notes": STR,
                           "running_index": INT, "training_load_pro": ANY,
                           "heart_rate_zones": ANY, "has_samples": BOOL,
                           "has_route_data": BOOL}),
    "ExerciseSamples": obj({"exercise_id": {"type": "string"},
                            "sport": STR, "start_time": TS,
                            "samples": ANY}),
    "ExerciseRoute": obj({"exercise_id": {"type": "string"}, "sport": STR,
                          "start_time": TS, "point_count": INT,
                          "route": ANY}),
    "Alertness": obj({"period_start_time": TS, "period_end_time": TS,
                      "grade": NUM, "grade_classification": STR}),
    "Bedtime": obj({"period_start_time": TS, "period_end_time": TS,
                    "preferred_sleep_start": TS,
                    "preferred_sleep_end": TS, "sleep_gate_start": TS,
                    "sleep_gate_end": TS, "quality": STR}),
    "ActivitySamplesDay": obj({"date": DATE, "sample_count": INT,
                               "total_steps": INT, "has_samples": BOOL}),
    "ActivitySamples": obj({"date": DATE, "total_steps": INT,
                            "interval_ms": INT, "sample_count": INT,
                            "samples": ANY}),
    "SpO2": obj({"test_time": TS, "blood_oxygen_percent": INT,
                 "spo2_class": STR, "avg_heart_rate": INT, "hrv_ms": NUM,
                 "altitude_meters": NUM}),
    "Ecg": obj({"id": {"type": "string", "format": "uuid"},
                "test_time": TS, "avg_heart_rate": INT, "hrv_ms": NUM,
                "hrv_level": STR, "rri_ms": NUM, "duration_seconds": NUM,
                "sample_count": INT, "has_samples": BOOL}),
    "EcgDetail": obj({"id": {"type": "string", "format": "uuid"},
                      "test_time": TS, "device_id": STR,
                      "avg_heart_rate": INT, "hrv_ms": NUM,
                      "hrv_level": STR, "rri_ms": NUM,
                      "ptt_systolic_ms": NUM, "ptt_diastolic_ms": NUM,
                      "ptt_quality_index": NUM, "duration_seconds": NUM,
                      "sample_count": INT, "samples": ANY,
                      "quality": ANY}),
    "BodyTemperature": obj({"start_time": TS, "end_time": TS,
                            "measurement_type": STR,
                            "sensor_location": STR, "temp_min": NUM,
                            "temp_avg": NUM, "temp_max": NUM,
                            "sample_count": INT}),
    "SkinTemperature": obj({"sleep_date": DATE,
                            "temperature_celsius": NUM,
                            "deviation_from_baseline": NUM,
                            "is_elevated": INT}),
    "ExportSummary": obj({"user_id": {"type": "string"},
                          "days": {"type": "integer"}, "from_date": DATE,
                          "to_date": DATE,
                          "record_counts": {"type": "object"},
                          "total_records": {"type": "integer"}}),
    "Baseline": obj({"metric_name": {"type": "string"},
                     "baseline_value": NUM, "baseline_7d": NUM,
                     "baseline_30d": NUM, "baseline_90d": NUM,
                     "median": NUM, "q1": NUM, "q3": NUM, "iqr": NUM,
                     "std_dev": NUM, "min": NUM, "max": NUM,
                     "lower_bound": NUM, "upper_bound": NUM,
                     "sample_count": INT, "status": STR,
                     "data_start_date": STR, "data_end_date": STR,
                     "calculated_at": TS}, nullable=True),
    "AnomalyCheck": obj({"value": NUM, "metric_name": STR,
                         "is_anomaly": BOOL, "severity": STR,
                         "baseline": NUM, "baseline_7d": NUM,
                         "lower_bound": NUM, "upper_bound": NUM,
                         "status": STR, "reason": STR}),
    "AnalyticsStatus": obj({"user_id": {"type": "string"},
                            "data_days": {"type": "object"},
                            "min_data_days": {"type": "integer"},
                            "features_available": {"type": "object"},
                            "unlock_progress": {"type": "object"},
                            "recommendations": arr({"type": "string"})}),
    "Pattern": obj({"pattern_type": STR, "pattern_name": STR,
                    "score": NUM, "confidence": NUM, "significance": STR,
                    "metrics_involved": ANY, "sample_count": INT,
                    "details": ANY, "analyzed_at": TS}),
    "Anomalies": obj({"user_id": {"type": "string"},
                      "anomaly_count": {"type": "integer"},
                      "anomalies": arr({"type": "object"})}),
    "Insights": obj({"user_id": {"type": "string"},
                     "status": {"type": "string"}}),
    "DailyValue": obj({"date": DATE, "value": NUM, "details": ANY,
                       "computed_at": TS}),
    "Alert": obj({"metric_name": STR, "date": DATE, "severity": STR,
                  "value": NUM, "lower_bound": NUM, "upper_bound": NUM,
                  "direction": STR, "first_seen_at": TS,
                  "last_seen_at": TS, "cleared_at": TS, "active": BOOL}),
    "Document": obj({"kind": STR, "computed_at": TS, "payload": ANY}),
    "KeyInfo": obj({"key_prefix": STR, "user_id": STR, "is_active": BOOL,
                    "rate_limit_requests": INT,
                    "rate_limit_remaining": INT, "created_at": TS,
                    "last_used_at": TS}, nullable=True),
    "IngestCounts": obj({"accepted": {"type": "integer"},
                         "duplicate": {"type": "integer"},
                         "rejected": {"type": "integer"}}),
    "IngestResult": {
        "type": "object",
        "required": ["ingestion_id", "processing_status"],
        "description": "Counts per metric (metrics) and per other array "
        "(workouts, ecg, stateOfMind, medications, symptoms, "
        "cycleTracking, heartRateNotifications, and any unknown array, "
        "each as IngestCounts); duplicate = already stored unchanged.",
        "properties": {
            "ingestion_id": {"type": "integer"},
            "processing_status": {"type": "string", "enum": [
                "processed", "partial_success", "error"]},
            "duplicate_payload": BOOL,
            "metrics": {"type": "object", "additionalProperties":
                        {"$ref": "#/components/schemas/IngestCounts"}},
            "unknown_metrics": {"type": "object",
                                "additionalProperties": {"type": "integer"}},
            "errors": arr(obj({"section": {"type": "string"},
                               "metric": {"type": "string"},
                               "index": {"type": "integer"},
                               "reason": {"type": "string"}})),
            "error_count": {"type": "integer"},
            "samples_stored": {"type": "integer"},
            "parse_error": {"type": "string"}},
        "additionalProperties": True},
    "HealthSample": obj({"start": TS, "end": TS, "utc_offset_min": INT,
                         "source": {"type": "string"}, "value": NUM,
                         "unit": STR, "value_orig": NUM, "unit_orig": STR,
                         "min": NUM, "avg": NUM, "max": NUM,
                         "extra": ANY}),
    "HealthDay": obj({"date": DATE, "count": {"type": "integer"},
                      "sum": NUM, "avg": NUM, "min": NUM, "max": NUM,
                      "unit": STR}),
    "HealthMetricInfo": obj({"name": {"type": "string"}, "unit": STR,
                             "count": {"type": "integer"}, "first": TS,
                             "last": TS, "known": BOOL}),
    "HealthWorkout": obj({"id": {"type": "string"},
                          "format": {"type": "integer"}, "name": STR,
                          "start": TS, "end": TS, "utc_offset_min": INT,
                          "duration_s": NUM, "location": STR,
                          "summary": ANY, "heart_rate": ANY,
                          "heart_rate_recovery": ANY, "series": ANY,
                          "route_points": {"type": "integer"},
                          "route": ANY, "metadata": ANY}),
    "UserStatus": obj({"polar_user_id": STR, "is_active": BOOL,
                       "last_synced_at": TS, "has_api_key": BOOL,
                       "api_key_prefix": STR}),
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def err(desc):
    return {"description": desc, "content": {"application/json": {
        "schema": ref("Error")}}}


def days(default, hi):
    return {"name": "days", "in": "query", "required": False,
            "description": f"Window: rows dated today - days .. today "
                           f"(default {default}).",
            "schema": {"type": "integer", "minimum": 1, "maximum": hi,
                       "default": default}}


PATHP = {
    "user_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,100}$"},
    "sleep_date": {"type": "string", "format": "date"},
    "target_date": {"type": "string", "format": "date"},
    "exercise_id": {"type": "string", "format": "uuid"},
    "ecg_id": {"type": "string", "format": "uuid"},
    "metric_name": {"type": "string", "enum": [
        "hrv_rmssd", "sleep_score", "resting_hr", "training_load",
        "training_load_ratio"]},
    "pattern_name": {"type": "string", "enum": [
        "sleep_hrv_correlation", "overtraining_risk", "hrv_trend",
        "sleep_trend", "training_recovery_lag",
        "activity_sleep_correlation", "recovery_readiness"]},
    "value": {"type": "number"},
    "metric": {"type": "string", "pattern": "^[a-z0-9_.]{1,64}$"},
    "kind": {"type": "string", "pattern": "^[a-z0-9_.]{1,64}$"},
    "session_id": {"type": "string", "format": "uuid"},
    "webhook_id": {"type": "string", "pattern": "^[1-9][0-9]{0,17}$"},
    "hrv_user_id": {"type": "string", "minLength": 1, "maxLength": 254,
                    "description": "The HRV Metrics API's user_id (an "
                    "e-mail) or a user id of this server"},
    "tag_name": {"type": "string", "minLength": 1, "maxLength": 64},
    "recording_session_id": {"type": "string", "minLength": 1,
                             "maxLength": 200},
}

RR = {"type": "array", "minItems": 30, "maxItems": 10000,
      "description": "RR intervals in milliseconds, each 200-3000 "
      "(at most hrv_max_beats)",
      "items": {"type": "number", "minimum": 200, "maximum": 3000}}
TAGS = {"type": "array", "maxItems": 16,
        "items": {"type": "string", "minLength": 1, "maxLength": 64}}
DEVICE = {"type": "object", "maxProperties": 8,
          "additionalProperties": {"type": "string", "maxLength": 100}}
SCHEMAS.update({
    "HrvSessionBody": {
        "type": "object", "required": ["recorded_at", "rr_intervals"],
        "properties": {
            "recording_id": {"type": "string", "minLength": 1,
                             "maxLength": 200,
                             "description": "Unique per user; made when "
                             "absent. A repeated one is 409."},
            "recorded_at": {"type": "string", "format": "date-time",
                            "description": "Start of the recording; "
                            "without a zone, UTC"},
            "rr_intervals": RR, "tags": TAGS, "device": DEVICE,
            "heart_rate": {"type": "integer", "minimum": 20,
                           "maximum": 300},
            "motion_artifacts": BOOL}},
    "HrvSession": obj({"id": {"type": "string", "format": "uuid"},
                       "user_id": {"type": "string"},
                       "recording_id": {"type": "string"},
                       "source": {"type": "string",
                                  "enum": ["api", "polar"]},
                       "recorded_at": TS, "tags": arr({"type": "string"}),
                       "device": {"type": "object"}, "heart_rate": INT,
                       "motion_artifacts": BOOL, "valid": BOOL,
                       "reason": STR, "algo_version": {"type": "integer"},
                       "computed_at": TS, "created_at": TS,
                       "metrics": {"type": "object", "description":
                                   "Every metric of common/hrv (null "
                                   "where undefined), warnings, beat "
                                   "classes, corrected intervals"},
                       "rr": arr({"type": "number"}),
                       "nn": arr({"type": "number"})}),
    "HrvSessionList": obj({
        "total": {"type": "integer"}, "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "sessions": arr(obj({"id": {"type": "string"},
                             "recording_id": {"type": "string"},
                             "source": {"type": "string"},
                             "recorded_at": TS,
                             "tags": arr({"type": "string"}),
                             "valid": BOOL,
                             "algo_version": {"type": "integer"},
                             "n_nn": INT, "duration_s": NUM,
                             "mean_hr": NUM, "rmssd": NUM,
                             "ln_rmssd": NUM, "sdnn": NUM,
                             "corrected_pct": NUM}))}),
    "HrvCompatBody": {
        "type": "object",
        "required": ["user_id", "recordingSessionId", "timestamp",
                     "rrIntervals"],
        "properties": {
            "user_id": {"type": "string", "maxLength": 254},
            "device_info": DEVICE,
            "recordingSessionId": {"type": "string", "minLength": 1,
                                   "maxLength": 200},
            "timestamp": {"type": "string", "format": "date-time"},
            "rrIntervals": RR,
            "heartRate": {"type": ["integer", "null"], "minimum": 20,
                          "maximum": 300},
            "motionArtifacts": BOOL, "tags": TAGS}},
    "HrvCompatPosted": obj({
        "status": {"type": "string", "enum": ["success", "error"]},
        "message": {"type": "string"},
        "data": obj({"metadata": {"type": "object"},
                     "metrics": {"type": "object"},
                     "indexes": {"type": "object"}})}),
    "HrvCompatSummary": obj({"id": {"type": "string"},
                             "recordingSessionId": {"type": "string"},
                             "timestamp": TS, "valid": BOOL,
                             "quality_score": NUM, "quality_label": STR,
                             "tags": arr({"type": "string"})}),
    "HrvCompatDetail": obj({"id": {"type": "string"},
                            "recordingSessionId": {"type": "string"},
                            "timestamp": TS, "user_id": {"type": "string"},
                            "device": {"type": "object"}, "valid": BOOL,
                            "reason": STR, "quality_score": NUM,
                            "quality_label": STR,
                            "tags": arr({"type": "string"}),
                            "metrics": {"type": "object"},
                            "indexes": {"type": "object"},
                            "algo_version": {"type": "integer"}}),
})


def qp(name, schema, desc):
    return {"name": name, "in": "query", "required": False,
            "description": desc, "schema": schema}

SYNC_RESULT = {
    "type": "object",
    "required": ["status", "user_id", "records", "errors", "total_records"],
    "properties": {
        "status": {"type": "string", "enum": ["success", "partial"]},
        "user_id": {"type": "string"},
        "records": {"type": "object",
                    "description": "Records received per stream, "
                    "upstream's 14 keys: sleep, recharge, activity, "
                    "exercises, cardio_load, sleepwise_alertness, "
                    "sleepwise_bedtime, activity_samples, continuous_hr, "
                    "spo2, ecg, body_temperature, skin_temperature, "
                    "physical_info",
                    "additionalProperties": {"type": "integer"}},
        "errors": {"type": ["object", "null"],
                   "additionalProperties": {"type": "string"}},
        "total_records": {"type": "integer"},
        "sync_id": STR, "api_calls": INT, "duration_ms": INT}}

# Documentation of each route apid serves, by (method, path): summary,
# tag, response schema, whether it answers 404.  Which routes exist, in
# which order, and their "days" parameter come from the route table
# (apid_routes, printed by the apid_routes tool).
DOC = {r[:2]: r[2:] for r in [
    ("get", "/health", "Process liveness", "operations",
     obj({"status": {"type": "string"}, "version": {"type": "string"}}), False),
    ("get", "/ready", "Database, schema and syncd reachability",
     "operations", {"type": "object"}, False),
    ("get", "/metrics", "Prometheus metrics", "operations", "text",
     False),
    ("get", "/schema/openapi.json", "This document", "operations",
     {"type": "object"}, False),
    ("post", "/mcp", "MCP (Model Context Protocol) over Streamable HTTP: "
     "one JSON-RPC message per request, no session", "mcp",
     ref("JsonRpcResponse"), False),
    ("get", U + "/sleep", "Nightly sleep summaries", "data",
     arr(ref("SleepSummary")), False),
    ("get", U + "/sleep/{sleep_date}", "One night in detail (null if none)",
     "data", ref("SleepDetail"), False),
    ("get", U + "/activity", "Daily activity", "data", arr(ref("Activity")), False),
    ("get", U + "/activity/{target_date}", "One day of activity", "data",
     ref("ActivityDetail"), True),
    ("get", U + "/recharge", "Nightly Recharge", "data",
     arr(ref("Recharge")), False),
    ("get", U + "/physical-info", "Latest physical info with history",
     "data", ref("PhysicalInfo"), False),
    ("get", U + "/cardio-load", "Cardio load", "data",
     arr(ref("CardioLoad")), False),
    ("get", U + "/heart-rate", "Continuous heart rate per day", "data",
     arr(ref("HeartRateDay")), False),
    ("get", U + "/heart-rate/{target_date}/samples",
     "Continuous heart rate samples of one day", "data",
     ref("HeartRateSamples"), True),
    ("get", U + "/exercises", "Exercises", "data", arr(ref("Exercise")), False),
    ("get", U + "/exercises/{exercise_id}", "One exercise", "data",
     ref("ExerciseDetail"), True),
    ("get", U + "/exercises/{exercise_id}/samples", "Exercise samples",
     "data", ref("ExerciseSamples"), True),
    ("get", U + "/exercises/{exercise_id}/route", "Exercise GPS route",
     "data", ref("ExerciseRoute"), True),
    ("get", U + "/sleepwise/alertness", "SleepWise alertness", "data",
     arr(ref("Alertness")), False),
    ("get", U + "/sleepwise/bedtime", "SleepWise circadian bedtime", "data",
     arr(ref("Bedtime")), False),
    ("get", U + "/activity-samples", "Activity sample days", "data",
     arr(ref("ActivitySamplesDay")), False),
    ("get", U + "/activity-samples/{target_date}",
     "Activity samples of one day", "data", ref("ActivitySamples"),
     True),
    ("get", U + "/spo2", "SpO2 tests", "data", arr(ref("SpO2")),
     False),
    ("get", U + "/ecg", "ECG tests", "data", arr(ref("Ecg")),
     False),
    ("get", U + "/ecg/{ecg_id}", "One ECG test with waveform", "data",
     ref("EcgDetail"), True),
    ("get", U + "/temperature/body", "Body temperature", "data",
     arr(ref("BodyTemperature")), False),
    ("get", U + "/temperature/skin", "Skin temperature", "data",
     arr(ref("SkinTemperature")), False),
    ("get", U + "/export/summary", "Record counts of a window", "export",
     ref("ExportSummary"), False),
    ("get", U + "/export/sleep.csv", "Sleep CSV", "export", "csv", False),
    ("get", U + "/export/activity.csv", "Activity CSV", "export", "csv", False),
    ("get", U + "/export/recharge.csv", "Nightly Recharge CSV", "export",
     "csv", False),
    ("get", U + "/export/cardio-load.csv", "Cardio load CSV", "export",
     "csv", False),
    ("post", U + "/sync/trigger", "Sync this user now: the answer waits "
     "for the sync (upstream's behaviour) unless Prefer: respond-async asks "
     "for 202 at once", "sync", SYNC_RESULT, True),
    ("get", U + "/sync/status", "The user's latest sync: where an "
     "asynchronous trigger's 202 points (Location)", "sync",
     obj({"user_id": {"type": "string"}, "sync_id": {"type": "string"},
          "trigger": {"type": "string"},
          "status": {"type": "string", "enum": [
              "started", "success", "partial", "failed", "skipped"]},
          "started_at": {"type": "string", "format": "date-time"},
          "completed_at": {"type": ["string", "null"],
                           "format": "date-time"},
          "duration_ms": {"type": ["integer", "null"]},
          "records_synced": {"type": "object"},
          "error_type": {"type": ["string", "null"]},
          "error_message": {"type": ["string", "null"]}}), True),
    ("get", U + "/baselines", "Stored personal baselines", "analytics",
     arr(ref("Baseline")), False),
    ("post", U + "/baselines/calculate",
     "Recompute baselines (asks analyticsd)", "analytics",
     obj({"user_id": {"type": "string"},
          "baselines_calculated": {"type": "object"}}), False),
    ("get", U + "/baselines/check/{metric_name}/{value}",
     "Is a value anomalous against the baseline?", "analytics",
     ref("AnomalyCheck"), False),
    ("get", U + "/baselines/{metric_name}", "One baseline (null if none)",
     "analytics", ref("Baseline"), False),
    ("get", U + "/analytics/status", "Data days and feature unlocks",
     "analytics", ref("AnalyticsStatus"), False),
    ("get", U + "/patterns", "Detected patterns", "analytics",
     arr(ref("Pattern")), False),
    ("post", U + "/patterns/detect", "Re-run pattern detection (asks "
     "analyticsd)", "analytics",
     obj({"user_id": {"type": "string"},
          "patterns_detected": {"type": "object"}}), False),
    ("get", U + "/patterns/{pattern_name}", "One pattern", "analytics",
     ref("Pattern"), True),
    ("get", U + "/anomalies", "Latest values outside the baseline bounds",
     "analytics", ref("Anomalies"), False),
    ("get", U + "/insights", "Insights document computed by analyticsd",
     "analytics", ref("Insights"), False),
    ("get", U + "/analytics/daily/{metric}",
     "A daily derived series (rolling averages, HRV band, load/PMC, sleep "
     "debt, recovery score)", "analytics", arr(ref("DailyValue")), False),
    ("get", U + "/analytics/alerts", "Anomaly alerts", "analytics",
     arr(ref("Alert")), False),
    ("get", U + "/analytics/documents/{kind}",
     "A whole analytics document: recovery (readiness score with inputs "
     "and weights), insights, status or anomalies", "analytics",
     ref("Document"), True),
    ("post", U + "/hrv/sessions", "Store an HRV session (RR intervals) "
     "with its analysis", "hrv", ref("HrvSession"), True),
    ("get", U + "/hrv/sessions", "HRV sessions, newest first", "hrv",
     ref("HrvSessionList"), False),
    ("get", U + "/hrv/sessions/{session_id}", "One HRV session with every "
     "metric", "hrv", ref("HrvSession"), True),
    ("delete", U + "/hrv/sessions/{session_id}", "Delete an HRV session",
     "hrv", obj({"deleted": BOOL, "id": {"type": "string"}}), True),
    ("post", "/api/hrv/session", "HRV Metrics API: store and analyse a "
     "session", "hrv", ref("HrvCompatPosted"), True),
    ("get", "/api/hrv/sessions/user/{hrv_user_id}", "HRV Metrics API: a "
     "user's sessions", "hrv", arr(ref("HrvCompatSummary")), False),
    ("get", "/api/hrv/sessions/tag/{tag_name}", "HRV Metrics API: sessions "
     "with a tag", "hrv", arr(ref("HrvCompatSummary")), False),
    ("get", "/api/hrv/session/{recording_session_id}", "HRV Metrics API: "
     "one session by its recordingSessionId", "hrv",
     ref("HrvCompatDetail"), True),
    ("post", U + "/api-key/regenerate", "Replace the user's key", "keys",
     obj({"api_key": {"type": "string"}, "message": {"type": "string"}}), True),
    ("post", U + "/api-key/revoke", "Revoke the user's key", "keys",
     obj({"message": {"type": "string"}, "user_id": {"type": "string"}}), True),
    ("get", U + "/api-key/info", "The user's key (null if none)", "keys",
     ref("KeyInfo"), False),
    ("get", U + "/status", "User status", "keys", ref("UserStatus"),
     True),
    ("delete", "/api/v1/users/{user_id}", "Erase the user: deregistered at "
     "Polar, then every row in every table (service or master key)",
     "keys", obj({"user_id": STR, "deleted": BOOL,
                  "polar_deregistered": BOOL, "polar_error": STR,
                  "rows": {"type": "object", "additionalProperties": {
                      "type": "integer"}}}), True),
    ("get", U + "/export", "Every row of the user in every table, for a "
     "data-portability request (secret columns left out)", "keys",
     obj({"user_id": STR, "exported_at": {"type": "string",
                                          "format": "date-time"},
          "tables": {"type": "object", "additionalProperties": {
              "type": "array", "items": {"type": "object"}}}}), True),
    ("post", "/api/v1/ingest", "Push Apple Health data (Health Auto Export "
     "JSON) with the user's key: stored raw first, then parsed", "health",
     ref("IngestResult"), False),
    ("post", "/api/v1/sync", "The same as POST /api/v1/ingest (the Health "
     "Export REST API's path)", "health", ref("IngestResult"), False),
    ("get", U + "/health/metrics", "Apple Health samples of one metric "
     "(name), per day (agg=day), or without name the metrics stored",
     "health", {"oneOf": [
         arr(ref("HealthMetricInfo")),
         obj({"name": {"type": "string"}, "agg": {"type": "string"},
              "from": DATE, "to": DATE,
              "samples": arr(ref("HealthSample")),
              "days": arr(ref("HealthDay"))})]}, False),
    ("get", U + "/health/workouts", "Apple Health workouts", "health",
     obj({"from": DATE, "to": DATE,
          "workouts": arr(ref("HealthWorkout"))}), False),
    ("post", "/api/v1/webhooks", "Subscribe a URL to the signed webhooks "
     "out (service or master key); the secret is returned once",
     "webhooks", ref("WebhookCreated"), False),
    ("get", "/api/v1/webhooks", "The caller's webhook subscriptions "
     "(the master key: every one)", "webhooks", arr(ref("Webhook")), False),
    ("delete", "/api/v1/webhooks/{webhook_id}", "Remove a webhook "
     "subscription and its pending deliveries", "webhooks",
     obj({"deleted": BOOL, "id": {"type": "integer"}}), True),
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries", "The last 100 "
     "deliveries of a webhook, newest first", "webhooks",
     arr(ref("WebhookDelivery")), True),
]}

MCP_ERR = {"application/json": {"schema": obj({
    "error": {"type": "string"}})}}
RPC_ERR = {"application/json": {"schema": ref("JsonRpcResponse")}}

HEALTHQ = [
    {"name": "name", "in": "query", "required": False,
     "description": "The metric (HAE's name, e.g. heart_rate); absent: "
     "list the metrics stored.",
     "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,100}$"}},
    {"name": "from", "in": "query", "required": False,
     "description": "First local day (default: to - 30 days).",
     "schema": DATE},
    {"name": "to", "in": "query", "required": False,
     "description": "Last local day (default: today, UTC).",
     "schema": DATE},
    {"name": "agg", "in": "query", "required": False,
     "description": "raw: the samples (at most 10000); day: per local day.",
     "schema": {"type": "string", "enum": ["raw", "day"],
                "default": "raw"}},
]

INGEST = {
    "ok": "Processed, or the same body was received before "
    "(duplicate_payload, the first ingestion's id)",
    "body": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "description": "Health Auto Export's "
                   "JSON: {data: {metrics, workouts, stateOfMind, "
                   "medications, symptoms, cycleTracking, ecg, "
                   "heartRateNotifications}}"}}}},
    "responses": {
        "207": {"description": "Stored with item errors (see errors)",
                "content": {"application/json": {
                    "schema": ref("IngestResult")}}},
        "403": err("Not a user-scoped key"),
        "413": err("Body over api_ingest_body_max_kb"),
        "422": {"description": "Nothing readable (not JSON); the body is "
                "kept for polarctl ingest replay",
                "content": {"application/json": {
                    "schema": ref("IngestResult")}}}},
}

# What a route documents beyond the common shape: the 200's description,
# extra parameters, extra responses (after the common ones).
EXTRA = {
    ("post", "/mcp"): {
        "ok": "The JSON-RPC response: application/json, or one SSE "
        "event when the request accepts only text/event-stream",
        "security": [{"ApiKey": []}, {"Bearer": []}],
        "body": {"required": True, "content": {"application/json": {
            "schema": ref("JsonRpcRequest")}}},
        "responses": {
            "202": {"description": "A notification or a response: "
                    "accepted, no body"},
            "400": {"description": "Not JSON (-32700), not one JSON-RPC "
                    "message (-32600; batches included), or an unknown "
                    "MCP-Protocol-Version (-32000)", "content": RPC_ERR},
            "401": {"description": "Missing or invalid API key "
                    "(WWW-Authenticate: Bearer)", "content": MCP_ERR},
            "403": {"description": "Origin not in mcp_allowed_origins",
                    "content": MCP_ERR},
            "406": {"description": "Accept allows neither JSON nor SSE",
                    "content": RPC_ERR},
            "413": {"description": "Body over 64 KiB",
                    "content": RPC_ERR},
            "415": {"description": "Content-Type is not application/json",
                    "content": RPC_ERR},
            "429": {"description": "Hourly quota exhausted; see "
                    "Retry-After", "content": MCP_ERR}}},
    ("post", U + "/sync/trigger"): {
        "ok": "The sync finished (status partial when any stream failed)",
        "params": [{"name": "Prefer", "in": "header", "required": False,
                    "description": "respond-async (RFC 7240): answer 202 "
                    "as soon as syncd has started the sync, instead of "
                    "waiting for it.", "schema": {"type": "string"}}],
        "responses": {"202": {
            "description": "Prefer: respond-async: the sync has started",
            "headers": {
                "Location": {"description": "The sync-status resource to "
                             "poll", "schema": {"type": "string"}},
                "Preference-Applied": {"description": "respond-async",
                                       "schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["status", "user_id"],
                "properties": {
                    "status": {"type": "string", "enum": ["started"]},
                    "user_id": {"type": "string"}}}}}}},
    },
}

EXTRA[("post", "/api/v1/ingest")] = INGEST
EXTRA[("post", "/api/v1/sync")] = INGEST
EXTRA[("get", U + "/health/metrics")] = {"params": HEALTHQ}
EXTRA[("get", U + "/health/workouts")] = {"params": [
    dict(HEALTHQ[0], description="Only workouts of this name."),
    HEALTHQ[1], HEALTHQ[2]]}

# POST .../sync/trigger passes "days" on to syncd; absent, syncd syncs its
# own default window, documented as the default.
SYNCD_DAYS_DEFAULT = 30


CONFLICT = {"409": err("A session with this recording id exists already "
                       "(its id in extra/data.session_id); never "
                       "overwritten")}
PAGE = [qp("skip", {"type": "integer", "minimum": 0, "default": 0},
           "Sessions to skip"),
        qp("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                     "default": 100}, "Sessions to return")]
EXTRA.update({
    ("post", U + "/hrv/sessions"): {
        "status": "201", "ok": "Stored, with its analysis",
        "body": ref("HrvSessionBody"), "responses": CONFLICT},
    ("get", U + "/hrv/sessions"): {"params": [
        qp("tag", {"type": "string", "maxLength": 64}, "Only sessions "
           "with this tag"),
        qp("from", {"type": "string"}, "Recorded at or after (date or "
           "date-time, UTC)"),
        qp("to", {"type": "string"}, "Recorded before (a date includes "
           "its day)"),
        qp("limit", {"type": "integer", "minimum": 1, "maximum": 500,
                     "default": 50}, "Sessions to return"),
        qp("offset", {"type": "integer", "minimum": 0, "default": 0},
           "Sessions to skip")]},
    ("get", U + "/hrv/sessions/{session_id}"): {"params": [
        qp("rr", {"type": "boolean", "default": False}, "Include the RR "
           "series as posted (rr) and as corrected (nn)")]},
    ("post", "/api/hrv/session"): {
        "ok": "Stored (status success, or error for a stored session "
        "that is not valid: motion, too many corrected beats)",
        "body": ref("HrvCompatBody"), "responses": CONFLICT},
    ("get", "/api/hrv/sessions/user/{hrv_user_id}"): {"params": PAGE},
    ("get", "/api/hrv/sessions/tag/{tag_name}"): {"params": PAGE},
    ("post", "/api/v1/webhooks"): {
        "ok": "Subscribed", "body": ref("WebhookBody"),
        "responses": {
            "403": err("A user's own key"),
            "409": err("The key has 50 webhooks already"),
            "413": err("Body over 16 KiB")}},
})


def read_routes(tool):
    """(method, path, (days default, max) or None) per route, in order."""
    out = subprocess.run([tool], check=True, capture_output=True,
                         text=True).stdout
    routes = []
    for line in out.splitlines():
        method, path, ddef, dmin, dmax = line.split("\t")
        d = None
        if int(dmin) > 0:
            d = (int(ddef) or SYNCD_DAYS_DEFAULT, int(dmax))
        routes.append((method.lower(), path, d))
    return routes


def build(routes):
    paths = {}
    missing = [r[:2] for r in routes if r[:2] not in DOC]
    extra = set(DOC) - {r[:2] for r in routes}
    if missing or extra:
        sys.exit(f"gen_openapi: routes without documentation {missing}, "
                 f"documentation without a route {sorted(extra)}")
    for method, path, d in routes:
        summary, tag, schema, has404 = DOC[(method, path)]
        extra = EXTRA.get((method, path), {})
        op = {"operationId": (method + path).replace("/", "_")
              .replace("{", "").replace("}", "").replace(".", "_")
              .replace("-", "_"),
              "summary": summary, "tags": [tag]}
        params = []
        for seg in path.split("/"):
            if seg.startswith("{"):
                n = seg[1:-1]
                params.append({"name": n, "in": "path", "required": True,
                               "schema": PATHP[n]})
        if d:
            params.append(days(*d))
        params += extra.get("params", [])
        if "body" in extra:
            op["requestBody"] = extra["body"]
        if params:
            op["parameters"] = params
        if schema == "csv":
            content = {"text/csv": {"schema": {"type": "string"}}}
        elif schema == "text":
            content = {"text/plain": {"schema": {"type": "string"}}}
        else:
            content = {"application/json": {"schema": schema}}
            if path == "/mcp":
                content["text/event-stream"] = {"schema": {
                    "type": "string"}}
        resp = {extra.get("status", "200"): {
            "description": extra.get("ok", "OK"), "content": content}}
        if "security" in extra:
            op["security"] = extra["security"]
            op["requestBody"] = extra["body"]
        elif "body" in extra and "content" in extra["body"]:
            op["requestBody"] = extra["body"]     # a whole requestBody
        elif "body" in extra:                     # the JSON body's schema
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": extra["body"]}}}
        if "security" not in extra and path.startswith("/api/"):
            op["security"] = [{"ApiKey": []}, {"Bearer": []}]
            resp["400"] = err("Validation failed")
            resp["401"] = err("Missing, invalid or foreign API key")
            resp["429"] = err("Hourly quota exhausted; see Retry-After")
            resp["503"] = err("Database or daemon unavailable")
        else:
            op["security"] = []
            resp["405"] = err("Method Not Allowed")
        if has404:
            resp["404"] = err("Not found")
        if path.endswith("/sync/trigger"):
            resp["409"] = err("A sync is already running for this user")
        if path == "/ready":
            resp["503"] = err("Not ready")
        resp.update(extra.get("responses", {}))
        op["responses"] = resp
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "polar-flow-server API", "version": "0.1.0",
                 "description": "REST API of polarflow-apid: Polar health "
                 "data, exports and analytics per user.",
                 "license": {"name": "MIT",
                             "identifier": "MIT"}},
        "servers": [{"url": "http://127.0.0.1:8000"}],
        "tags": [{"name": t, "description": t.capitalize() + " routes"}
                 for t in ("operations", "data", "export", "sync",
                           "analytics", "hrv", "health", "keys", "mcp",
                           "webhooks")],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header",
                           "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"}}},
    }


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen_openapi.py apid_routes-binary out.json")
    doc = build(read_routes(sys.argv[1]))
    with open(sys.argv[2], "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
