/*
 * hae_util.c -- HAE's dates, units and names (see hae.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/hae.h"
#include "common/time.h"

#define DATE_MAX	64

/*
 * Rewrites HAE's forms into what pf_time_parse_datetime reads: the
 * blank before the zone goes ("07:00:00 +0100" is HAE's own form), a
 * 12-hour clock with AM/PM becomes 24-hour, a one-digit hour gets its
 * zero.  Returns the new length, or 0 when s is not such a date-time.
 */
static size_t
canonical(const char *s, size_t len, char *out, size_t cap)
{
	size_t	i = 0, o = 0, h0;
	int	hour, ampm = 0;

	if (len < 12 || len >= cap)
		return 0;
	memcpy(out, s, 10);
	o = 10;
	i = 10;
	if (s[i] != ' ' && s[i] != 'T' && s[i] != 't')
		return 0;
	out[o++] = 'T';
	i++;
	h0 = i;
	while (i < len && isdigit((unsigned char)s[i]) && i - h0 < 3)
		i++;
	if (i - h0 < 1 || i - h0 > 2 || i >= len || s[i] != ':')
		return 0;
	hour = atoi(s + h0);	/* one or two digits, checked above */
	/* the clock up to the first blank or zone sign */
	{
		size_t	c0 = i;

		while (i < len && (isdigit((unsigned char)s[i]) ||
		    s[i] == ':' || s[i] == '.' || s[i] == ','))
			i++;
		/* the clock's tail, after "HH" */
		while (i < len && s[i] == ' ')
			i++;
		if (i + 1 < len && (strncasecmp(s + i, "AM", 2) == 0 ||
		    strncasecmp(s + i, "PM", 2) == 0)) {
			ampm = toupper((unsigned char)s[i]) == 'A' ? 1 : 2;
			i += 2;
			while (i < len && s[i] == ' ')
				i++;
		}
		if (ampm != 0) {
			if (hour < 1 || hour > 12)
				return 0;
			hour = hour % 12 + (ampm == 2 ? 12 : 0);
		}
		o += (size_t)snprintf(out + o, cap - o, "%02d", hour);
		{
			size_t	ce = c0;

			while (ce < len && (isdigit((unsigned char)s[ce]) ||
			    s[ce] == ':' || s[ce] == '.' || s[ce] == ','))
				ce++;
			if (o + (ce - c0) >= cap)
				return 0;
			memcpy(out + o, s + c0, ce - c0);
			o += ce - c0;
		}
	}
	/* the zone, whatever is left */
	if (o + (len - i) >= cap)
		return 0;
	memcpy(out + o, s + i, len - i);
	o += len - i;
	out[o] = '\0';
	return o;
}

int
pf_hae_parse_date(const char *s, size_t len, int64_t *utc_ms,
    int *offset_min, bool *has_offset)
{
	char	buf[DATE_MAX];
	size_t	n;

	while (len > 0 && s[len - 1] == ' ')
		len--;
	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	if ((n = canonical(s, len, buf, sizeof(buf))) == 0)
		return -1;
	if (pf_time_parse_datetime(buf, n, utc_ms, offset_min, has_offset) !=
	    PF_OK)
		return -1;
	return 0;
}

int
pf_hae_parse_day(const char *s, size_t len, int64_t *day)
{
	if (len < 10)
		return -1;
	if (len > 10 && s[10] != ' ' && s[10] != 'T')
		return -1;
	return pf_time_parse_date(s, 10, day) == PF_OK ? 0 : -1;
}

/* Units as HAE writes them, to SI; the first column is matched exactly. */
static const struct unit {
	const char	*name;
	const char	*si;
	double		 factor;
	double		 offset;
} units[] = {
	/* counts and rates */
	{ "count", "count", 1, 0 },
	{ "count/min", "1/s", 1.0 / 60, 0 },
	{ "bpm", "1/s", 1.0 / 60, 0 },
	{ "count/s", "1/s", 1, 0 },
	{ "count/hr", "1/s", 1.0 / 3600, 0 },
	{ "%", "1", 0.01, 0 },
	/* time */
	{ "s", "s", 1, 0 }, { "sec", "s", 1, 0 },
	{ "ms", "s", 0.001, 0 },
	{ "min", "s", 60, 0 },
	{ "hr", "s", 3600, 0 }, { "h", "s", 3600, 0 },
	{ "d", "s", 86400, 0 }, { "day", "s", 86400, 0 },
	/* length */
	{ "m", "m", 1, 0 }, { "km", "m", 1000, 0 }, { "cm", "m", 0.01, 0 },
	{ "mm", "m", 0.001, 0 }, { "mi", "m", 1609.344, 0 },
	{ "ft", "m", 0.3048, 0 }, { "in", "m", 0.0254, 0 },
	{ "yd", "m", 0.9144, 0 },
	/* mass */
	{ "kg", "kg", 1, 0 }, { "g", "kg", 0.001, 0 },
	{ "mg", "kg", 1e-6, 0 }, { "mcg", "kg", 1e-9, 0 },
	{ "µg", "kg", 1e-9, 0 },
	{ "lb", "kg", 0.45359237, 0 }, { "oz", "kg", 0.028349523125, 0 },
	{ "st", "kg", 6.35029318, 0 },
	/* energy and power */
	{ "kcal", "J", 4184, 0 }, { "Cal", "J", 4184, 0 },
	{ "cal", "J", 4.184, 0 }, { "kJ", "J", 1000, 0 }, { "J", "J", 1, 0 },
	{ "W", "W", 1, 0 }, { "kW", "W", 1000, 0 },
	/* speed */
	{ "m/s", "m/s", 1, 0 }, { "km/hr", "m/s", 1.0 / 3.6, 0 },
	{ "km/h", "m/s", 1.0 / 3.6, 0 }, { "mi/hr", "m/s", 0.44704, 0 },
	{ "mph", "m/s", 0.44704, 0 }, { "m/min", "m/s", 1.0 / 60, 0 },
	/* temperature */
	{ "degC", "K", 1, 273.15 }, { "°C", "K", 1, 273.15 },
	{ "degF", "K", 5.0 / 9, 273.15 - 32 * 5.0 / 9 },
	{ "°F", "K", 5.0 / 9, 273.15 - 32 * 5.0 / 9 },
	{ "K", "K", 1, 0 },
	/* pressure */
	{ "mmHg", "Pa", 133.322387415, 0 }, { "kPa", "Pa", 1000, 0 },
	{ "cmAq", "Pa", 98.0665, 0 },
	/* volume */
	{ "L", "m^3", 0.001, 0 }, { "mL", "m^3", 1e-6, 0 },
	{ "fl_oz_us", "m^3", 2.95735295625e-5, 0 },
	{ "cup_us", "m^3", 2.365882365e-4, 0 },
	/* concentrations */
	{ "mg/dL", "kg/m^3", 0.01, 0 },
	{ "mmol/L", "mol/m^3", 1, 0 },
	{ "mmol<180.1558800000541>/L", "mol/m^3", 1, 0 },
	/* oxygen uptake, ml/(kg*min) -> m^3/(kg*s) */
	{ "ml/(kg*min)", "m^3/(kg*s)", 1e-6 / 60, 0 },
	{ "mL/min·kg", "m^3/(kg*s)", 1e-6 / 60, 0 },
	{ "L/min", "m^3/s", 0.001 / 60, 0 },
	/* irradiance-free rest: kept as sent, but named */
	{ "dBASPL", "dB(SPL)", 1, 0 }, { "IU", "IU", 1, 0 },
	{ "kcal/hr·kg", "W/kg", 4184.0 / 3600, 0 },
	{ "S", "S", 1, 0 }, { "µS", "S", 1e-6, 0 },
	{ "V", "V", 1, 0 }, { "mV", "V", 0.001, 0 }, { "µV", "V", 1e-6, 0 },
	{ "lx", "lx", 1, 0 }, { "kg/m^2", "kg/m^2", 1, 0 },
	{ "steps/min", "1/s", 1.0 / 60, 0 },
	{ "rpm", "1/s", 1.0 / 60, 0 },
};

bool
pf_hae_unit_si(const char *unit, const char **si_unit, double *factor,
    double *offset)
{
	size_t	i;

	/* points of one metric share their unit: the last one found */
	static _Thread_local const struct unit	*last;

	*si_unit = NULL;
	*factor = 1;
	*offset = 0;
	if (unit == NULL)
		return false;
	if (last != NULL && strcmp(last->name, unit) == 0) {
		*si_unit = last->si;
		*factor = last->factor;
		*offset = last->offset;
		return true;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].name, unit) == 0) {
			last = &units[i];
			*si_unit = units[i].si;
			*factor = units[i].factor;
			*offset = units[i].offset;
			return true;
		}
	return false;
}

/* HealthKit identifiers of the metrics map form, to HAE's names. */
static const struct hkname {
	const char	*hk;
	const char	*name;
} hknames[] = {
	{ "HKQuantityTypeIdentifierHeartRate", "heart_rate" },
	{ "HKQuantityTypeIdentifierRestingHeartRate", "resting_heart_rate" },
	{ "HKQuantityTypeIdentifierWalkingHeartRateAverage",
	    "walking_heart_rate" },
	{ "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
	    "heart_rate_variability" },
	{ "HKQuantityTypeIdentifierHeartRateRecoveryOneMinute",
	    "cardio_recovery" },
	{ "HKQuantityTypeIdentifierStepCount", "step_count" },
	{ "HKQuantityTypeIdentifierDistanceWalkingRunning",
	    "walking_running_distance" },
	{ "HKQuantityTypeIdentifierDistanceCycling", "cycling_distance" },
	{ "HKQuantityTypeIdentifierDistanceSwimming", "swimming_distance" },
	{ "HKQuantityTypeIdentifierActiveEnergyBurned", "active_energy" },
	{ "HKQuantityTypeIdentifierBasalEnergyBurned",
	    "basal_energy_burned" },
	{ "HKQuantityTypeIdentifierAppleExerciseTime",
	    "apple_exercise_time" },
	{ "HKQuantityTypeIdentifierAppleStandTime", "apple_stand_time" },
	{ "HKQuantityTypeIdentifierFlightsClimbed", "flights_climbed" },
	{ "HKQuantityTypeIdentifierVO2Max", "vo2_max" },
	{ "HKQuantityTypeIdentifierOxygenSaturation",
	    "blood_oxygen_saturation" },
	{ "HKQuantityTypeIdentifierRespiratoryRate", "respiratory_rate" },
	{ "HKQuantityTypeIdentifierBodyMass", "weight_body_mass" },
	{ "HKQuantityTypeIdentifierBodyMassIndex", "body_mass_index" },
	{ "HKQuantityTypeIdentifierBodyFatPercentage",
	    "body_fat_percentage" },
	{ "HKQuantityTypeIdentifierLeanBodyMass", "lean_body_mass" },
	{ "HKQuantityTypeIdentifierHeight", "height" },
	{ "HKQuantityTypeIdentifierBodyTemperature", "body_temperature" },
	{ "HKQuantityTypeIdentifierBloodGlucose", "blood_glucose" },
	{ "HKQuantityTypeIdentifierInsulinDelivery", "insulin_delivery" },
	{ "HKQuantityTypeIdentifierDietaryEnergyConsumed", "dietary_energy" },
	{ "HKQuantityTypeIdentifierDietaryWater", "dietary_water" },
	{ "HKQuantityTypeIdentifierAppleSleepingWristTemperature",
	    "apple_sleeping_wrist_temperature" },
	{ "HKQuantityTypeIdentifierWalkingSpeed", "walking_speed" },
	{ "HKQuantityTypeIdentifierEnvironmentalAudioExposure",
	    "environmental_audio" },
	{ "HKQuantityTypeIdentifierHeadphoneAudioExposure",
	    "headphone_audio" },
	{ "HKCategoryTypeIdentifierSleepAnalysis", "sleep_analysis" },
	{ "HKCategoryTypeIdentifierMindfulSession", "mindful_minutes" },
	{ "HKCorrelationTypeIdentifierBloodPressure", "blood_pressure" },
};

const char *
pf_hae_hk_name(const char *hk)
{
	size_t	i;

	for (i = 0; i < sizeof(hknames) / sizeof(hknames[0]); i++)
		if (strcmp(hknames[i].hk, hk) == 0)
			return hknames[i].name;
	return NULL;
}

/* The documented metric names (HAE's reference server's list). */
static const char *const known_metrics[] = {
	"active_energy", "basal_energy_burned", "apple_exercise_time",
	"apple_move_time", "apple_stand_time", "apple_stand_hour",
	"step_count", "walking_running_distance", "cycling_distance",
	"swimming_distance", "wheelchair_distance", "downhill_snow_sports",
	"flights_climbed", "wheelchair_push_count", "swim_stroke_count",
	"vo2_max", "physical_effort", "cycling_cadence",
	"cycling_functional_threshold_power", "cycling_power",
	"cycling_speed", "running_power", "running_speed",
	"running_ground_contact_time", "running_stride_length",
	"running_vertical_oscillation",
	"heart_rate", "resting_heart_rate", "heart_rate_variability",
	"cardio_recovery", "walking_heart_rate",
	"atrial_fibrillation_burden", "blood_pressure",
	"walking_speed", "walking_step_length",
	"walking_asymmetry_percentage", "walking_double_support_percentage",
	"six_minute_walking_test_distance", "stair_speed_up",
	"stair_speed_down",
	"respiratory_rate", "blood_oxygen_saturation",
	"forced_expiratory_volume", "forced_vital_capacity",
	"peak_expiratory_flow_rate", "peripheral_perfusion_index",
	"inhaler_usage", "breathing_disturbances",
	"height", "weight_body_mass", "body_mass_index",
	"body_fat_percentage", "lean_body_mass", "waist_circumference",
	"body_temperature", "basal_body_temperature",
	"apple_sleeping_wrist_temperature",
	"uv_exposure", "time_in_daylight", "environmental_audio",
	"headphone_audio", "under_water_depth", "under_water_temperature",
	"sleep_analysis", "mindful_minutes",
	"blood_glucose", "insulin_delivery", "blood_alcohol_content",
	"number_of_alcoholic_beverages", "number_of_time_fallen",
	"electrodermal_activity", "sexual_activity", "handwashing",
	"toothbrushing",
	"dietary_energy", "dietary_water", "dietary_sugar", "carbohydrates",
	"protein", "total_fat", "saturated_fat", "monosaturated_fat",
	"polyunsaturated_fat", "cholesterol", "fiber", "sodium",
	"potassium", "calcium", "iron", "magnesium", "zinc", "caffeine",
	"vitamin_a", "vitamin_b6", "vitamin_b12", "vitamin_c", "vitamin_d",
	"vitamin_e", "vitamin_k", "biotin", "chloride", "chromium", "copper",
	"folate", "iodine", "manganese", "molybdenum", "niacin",
	"pantothenic_acid", "phosphorus", "riboflavin", "selenium",
	"thiamin",
};

bool
pf_hae_metric_known(const char *name)
{
	static _Thread_local const char	*last;
	size_t				 i;

	if (last != NULL && strcmp(last, name) == 0)
		return true;
	for (i = 0; i < sizeof(known_metrics) / sizeof(known_metrics[0]); i++)
		if (strcmp(known_metrics[i], name) == 0) {
			last = known_metrics[i];
			return true;
		}
	return false;
}

int
pf_hae_item_date(const json_t *item, const char *key, int64_t *ms,
    int *offset_min, bool *has_offset)
{
	const json_t	*v = json_object_get(item, key);

	if (!json_is_string(v))
		return -1;
	return pf_hae_parse_date(json_string_value(v), json_string_length(v),
	    ms, offset_min, has_offset);
}

double
pf_hae_item_num(const json_t *item, const char *key)
{
	const json_t	*v = json_object_get(item, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *
pf_hae_item_str(const json_t *item, const char *key)
{
	const json_t	*v = json_object_get(item, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *
pf_hae_qty_si(const json_t *v, const char *unit)
{
	const char	*si;
	double		 q, f, off;
	json_t		*o;

	if (json_is_object(v)) {
		q = pf_hae_item_num(v, "qty");
		if (pf_hae_item_str(v, "units") != NULL)
			unit = pf_hae_item_str(v, "units");
	} else if (json_is_number(v))
		q = json_number_value(v);
	else
		return NULL;
	if (!isfinite(q))
		return NULL;
	o = json_object();
	if (pf_hae_unit_si(unit, &si, &f, &off)) {
		json_object_set_new(o, "value", json_real(q * f + off));
		json_object_set_new(o, "unit", json_string(si));
	} else {
		json_object_set_new(o, "value", json_real(q));
		json_object_set_new(o, "unit", unit ? json_string(unit) :
		    json_null());
	}
	json_object_set_new(o, "value_orig", json_real(q));
	json_object_set_new(o, "unit_orig", unit ? json_string(unit) :
	    json_null());
	return o;
}
