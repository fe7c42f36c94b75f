"""Deterministic synthetic physiology for polarsim.

Every value is a pure function of (seed, user index, date, revision), so
any day can be generated lazily, in any order, and the same seed always
gives the same bytes.  Standard library only.
"""

import hashlib
import math
import random
from datetime import date, datetime, timedelta

API_HOST = "https://www.polaraccesslink.com"

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

FIRST = [("Aino", "FEMALE"), ("Mikko", "MALE"), ("Sofia", "FEMALE"),
         ("Juha", "MALE"), ("Emma", "FEMALE"), ("Lars", "MALE"),
         ("Ingrid", "FEMALE"), ("Pekka", "MALE")]
LAST = ["Virtanen", "Korhonen", "Nieminen", "Lindqvist", "Mäkinen",
        "Hansen", "Laine", "Heikkinen"]
HOMES = [(60.1699, 24.9384, 120), (61.4978, 23.7610, 120),
         (59.3293, 18.0686, 60), (65.0121, 25.4651, 120),
         (52.5200, 13.4050, 60), (40.0150, -105.2705, -420)]
# name, has biosensing (ECG/SpO2/temperature), has SleepWise, TLP/energy
DEVICES = [("Polar Vantage V3", True, True, True),
           ("Polar Grit X2 Pro", True, True, True),
           ("Polar Ignite 3", False, True, False),
           ("Polar Pacer Pro", False, False, True)]
PROFILES = ["runner", "triathlete", "generalist"]

# day-of-week (Mon=0) session templates: (sport key, intensity, minutes)
PLANS = {
    "runner": {0: [], 1: [("run", "intervals", 55)], 2: [("run", "easy", 45)],
               3: [("run", "tempo", 50)], 4: [("strength", "easy", 40)],
               5: [("run", "long", 95)], 6: [("run", "easy", 40)]},
    "triathlete": {0: [("swim", "easy", 45)], 1: [("bike", "intervals", 75)],
                   2: [("run", "easy", 40), ("swim", "tempo", 40)],
                   3: [("bike", "easy", 60)], 4: [],
                   5: [("bike", "long", 150)], 6: [("run", "long", 80)]},
    "generalist": {0: [("strength", "tempo", 50)], 1: [("walk", "easy", 50)],
                   2: [("run", "easy", 35)], 3: [("strength", "tempo", 50)],
                   4: [], 5: [("walk", "easy", 80)],
                   6: [("run", "tempo", 40), ("yoga", "easy", 45)]},
}
SPORTS = {
    # key: sport, detailed, outdoor prob, speed km/h by intensity, cadence
    "run": ("RUNNING", "RUNNING", 0.9, {"easy": 10.0, "tempo": 13.0,
                                         "intervals": 12.0, "long": 10.5}),
    "bike": ("CYCLING", "ROAD_BIKING", 0.8, {"easy": 26.0, "tempo": 31.0,
                                              "intervals": 29.0, "long": 28.0}),
    "walk": ("WALKING", "WALKING", 1.0, {"easy": 5.6, "tempo": 6.2,
                                          "intervals": 6.0, "long": 5.5}),
    "swim": ("SWIMMING", "POOL_SWIMMING", 0.0, {"easy": 2.6, "tempo": 3.0,
                                                 "intervals": 2.9, "long": 2.6}),
    "strength": ("STRENGTH_TRAINING", "STRENGTH_TRAINING", 0.0, None),
    "yoga": ("OTHER", "YOGA", 0.0, None),
}
INTENSITY = {"easy": 0.58, "tempo": 0.78, "intervals": 0.80, "long": 0.64}
LEVELS = ["VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH"]


def r1(x):
    return round(x + 0.0, 1)


def r2(x):
    return round(x + 0.0, 2)


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def iso_dur(sec):
    """ISO-8601 duration as Polar prints it: PT1H10M5S, PT0S, PT1.012S."""
    if isinstance(sec, float) and sec != int(sec):
        ms = int(round(sec * 1000))
        whole, frac = divmod(ms, 1000)
    else:
        whole, frac = int(sec), 0
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    out = "PT"
    if h:
        out += "%dH" % h
    if m:
        out += "%dM" % m
    if frac:
        out += "%d.%03dS" % (s, frac)
    elif s or out == "PT":
        out += "%dS" % s
    return out


def hhmm(dt):
    return "%02d:%02d" % (dt.hour, dt.minute)


def fmt_offset(mins):
    sign = "+" if mins >= 0 else "-"
    h, m = divmod(abs(mins), 60)
    return "%s%02d:%02d" % (sign, h, m)


def ymd(d):
    return d.isoformat()


def b62(data, n):
    v = int.from_bytes(hashlib.sha1(data.encode()).digest(), "big")
    s = ""
    for _ in range(n):
        v, r = divmod(v, 62)
        s += B62[r]
    return s


class User:
    """One simulated Polar account with its own physiology."""

    def __init__(self, seed, index, data_start, quirks):
        self.seed = seed
        self.index = index
        self.data_start = data_start
        self.quirks = quirks          # shared dict, mutable at run time
        r = self.rng("profile")
        self.user_id = 10000000 + r.randrange(89999999)
        fn, gender = FIRST[(index + r.randrange(2) * 3) % len(FIRST)]
        self.first_name, self.gender = fn, gender
        self.last_name = LAST[r.randrange(len(LAST))]
        self.age = r.randint(24, 52)
        self.birthdate = date(2026 - self.age, r.randint(1, 12), r.randint(1, 28))
        female = gender == "FEMALE"
        self.height = r1(r.gauss(167 if female else 180, 6))
        self.weight = r1(r.gauss(61 if female else 77, 6))
        self.hrmax = int(208 - 0.7 * self.age + r.gauss(0, 4))
        self.rhr = r.uniform(42, 58)
        self.hrv = clamp(r.gauss(95 - self.rhr + 20 - 0.5 * self.age, 10), 30, 90)
        self.vo2max = int(clamp(r.gauss(52 - 0.25 * (self.age - 30), 5), 36, 68))
        self.lat, self.lon, self.tz = HOMES[index % len(HOMES)]
        self.lat += r.uniform(-0.02, 0.02)
        self.lon += r.uniform(-0.02, 0.02)
        dev = DEVICES[index % len(DEVICES)]
        self.device, self.biosensing, self.sleepwise, self.energy = dev
        self.device_id = "%08X" % r.getrandbits(32)
        self.profile = PROFILES[index % len(PROFILES)]
        self.phase = r.randrange(28)
        self.ill_phase = r.randrange(45)
        self.bedtime = r.uniform(22.4, 23.9)      # local hours
        self.sleep_need = r.uniform(7.0, 8.4)      # hours
        self.sleep_goal = 28800 if self.sleep_need > 7.4 else 27000
        self.skin_base = r.uniform(33.6, 34.6)
        self.physical_info = True
        self.consents_ok = True
        self.member_id = None
        self.registered = False
        self.registration_date = None
        self.rev = 0
        self.extra_nights = {}      # date -> revision (forced present)
        self.extra_exercises = []   # dicts: date, start(local dt), sport, ...
        self.cache = {}
        self.typical_load = None

    # ---- randomness -------------------------------------------------
    def rng(self, *parts):
        return random.Random("%s|%d|%s" % (self.seed, self.index,
                                            "|".join(str(p) for p in parts)))

    def invalidate(self):
        self.rev += 1
        self.cache.clear()

    def memo(self, key, fn):
        c = self.cache
        if key in c:
            return c[key]
        v = fn()
        c[key] = v
        return v

    @property
    def polar_user(self):
        return "%s/v3/users/%d" % (API_HOST, self.user_id)

    # ---- day-level state -------------------------------------------
    def illness(self, d):
        o = d.toordinal() + self.ill_phase
        seg = o // 45
        r = self.rng("ill", seg)
        if r.random() < 0.55:
            start = seg * 45 + r.randrange(5, 38)
            length = r.randint(3, 6)
            if start <= o < start + length:
                x = (o - start + 0.5) / length
                return math.sin(math.pi * x) * r.uniform(0.6, 1.0)
        return 0.0

    def block(self, d):
        """Position in the 4-week block: 3 build weeks, 1 recovery week."""
        w = (d.toordinal() + self.phase) // 7
        return [0.9, 1.0, 1.15, 0.6][w % 4]

    def sessions(self, d):
        """Planned exercise sessions for one local date (generated only)."""
        def make():
            ill = self.illness(d)
            if ill > 0.25:
                return []
            r = self.rng("plan", d)
            out = []
            hour = r.choice([6.5, 7.0, 12.0, 17.5, 18.0, 18.5])
            for i, (key, inten, mins) in enumerate(PLANS[self.profile][d.weekday()]):
                if r.random() < 0.1:
                    continue
                m = mins * self.block(d) * r.uniform(0.85, 1.15)
                if self.block(d) < 0.7 and inten == "intervals":
                    inten = "easy"
                out.append((key, inten, max(15, int(m)), hour + i * 1.6 + r.uniform(-0.3, 0.3)))
            return out
        return self.memo(("sessions", d), make)

    def exercises_on(self, d):
        """Exercise summary records (internal form) for a local date."""
        def make():
            out = []
            for i, (key, inten, mins, hour) in enumerate(self.sessions(d)):
                out.append(self._exercise_record(d, i, key, inten, mins, hour, False))
            for j, ex in enumerate(self.extra_exercises):
                if ex["date"] == d:
                    out.append(ex)
            return out
        return self.memo(("ex", d), make)

    def _exercise_record(self, d, i, key, inten, mins, hour, extra, upload=None):
        r = self.rng("ex", d, i, key, "x" if extra else "")
        sport, detailed, outdoor_p, speeds = SPORTS[key]
        dur = int(mins * 60 + r.randrange(60))
        start = datetime.combine(d, datetime.min.time()) + timedelta(hours=hour)
        start = start.replace(microsecond=0) + timedelta(seconds=r.randrange(60))
        frac = INTENSITY[inten] + r.gauss(0, 0.03)
        if key in ("strength", "yoga", "walk"):
            frac -= 0.08 if key != "yoga" else 0.2
        hr_avg = int(self.rhr + (self.hrmax - self.rhr) * frac)
        hr_max = min(self.hrmax, hr_avg + r.randint(8, 25) + (12 if inten == "intervals" else 0))
        hrr = (hr_avg - self.rhr) / (self.hrmax - self.rhr)
        trimp = dur / 60.0 * hrr * 0.64 * math.exp(1.92 * hrr) * 1.1
        kcal = int(dur / 60.0 * (hr_avg * 0.6309 + self.weight * 0.1988 + self.age * 0.2017 - 55.0969) / 4.184
                   * (0.85 if self.gender == "FEMALE" else 1.0))
        outdoor = r.random() < outdoor_p
        rec = {"date": d, "i": i, "key": key, "inten": inten, "dur": dur,
               "start": start, "hr_avg": hr_avg, "hr_max": hr_max,
               "trimp": r1(trimp), "kcal": max(kcal, 40), "outdoor": outdoor,
               "sport": sport, "detailed": detailed, "extra": extra}
        if key == "run" and not outdoor:
            rec["detailed"] = "TREADMILL_RUNNING"
        if key == "bike" and not outdoor:
            rec["detailed"] = "INDOOR_CYCLING"
        if speeds:
            v = speeds[inten] * (self.vo2max / 52.0) ** (0.7 if key == "run" else 0.4)
            rec["speed"] = v * r.uniform(0.95, 1.05)
            rec["distance"] = r1(rec["speed"] / 3.6 * dur)
        rec["upload"] = upload or (start - timedelta(minutes=self.tz) +
                                   timedelta(seconds=dur + r.randrange(300, 2700)))
        rec["id"] = b62("%s|%d|%s|%d|%s|%s" % (self.seed, self.index, d, i, key, extra), 8)
        rec["rpe"] = r.choice(["RPE_NONE", "RPE_EASY", "RPE_MODERATE", "RPE_HARD",
                               "RPE_FAIRLY_HARD", "UNKNOWN"])
        rec["no_device_id"] = r.random() < 0.05
        rec["no_hr"] = key == "swim" and r.random() < 0.3
        rec["seed"] = r.getrandbits(32)
        return rec

    def add_exercise_now(self, now_local, key="run", inten="easy", minutes=45,
                         rr=False):
        d = now_local.date()
        i = 100 + len(self.extra_exercises)
        start = now_local - timedelta(minutes=minutes + 10)
        hour = (start - datetime.combine(d, datetime.min.time())).total_seconds() / 3600.0
        if hour < 0:
            hour = 0.0
        rec = self._exercise_record(d, i, key, inten, minutes, hour, True,
                                    upload=now_local - timedelta(minutes=self.tz))
        if rr:
            # RR samples whatever the device (a chest strap's recording)
            rec["rr"] = True
            rec["no_hr"] = False
        self.extra_exercises.append(rec)
        self.invalidate()
        return rec

    def day_load(self, d):
        return self.memo(("load", d), lambda: sum(e["trimp"] for e in self.exercises_on(d)))

    def typical(self):
        if self.typical_load is None:
            base = date(2026, 1, 5)
            self.typical_load = sum(self.day_load(base + timedelta(days=k)) for k in range(28)) / 28.0 or 1.0
        return self.typical_load

    def state(self, d):
        """HRV (RMSSD ms) and resting HR for the night ending on date d."""
        def make():
            r = self.rng("state", d)
            acute = sum(self.day_load(d - timedelta(days=k)) * math.exp(-k / 3.0)
                        for k in range(1, 8)) / sum(math.exp(-k / 3.0) for k in range(1, 8))
            ratio = acute / self.typical()
            ill = max(self.illness(d), self.illness(d - timedelta(days=1)) * 0.6)
            hard_yday = self.day_load(d - timedelta(days=1)) > 1.6 * self.typical()
            f = 1 - 0.14 * clamp(ratio - 1, -0.3, 1.0) - 0.35 * ill - (0.07 if hard_yday else 0)
            if r.random() < 0.04:
                f -= 0.2            # a late night / alcohol-like dip
            hrv = self.hrv * f * math.exp(r.gauss(0, 0.08))
            rhr = self.rhr * (1 + 0.04 * (ratio - 1) + 0.13 * ill) + r.gauss(0, 1.3)
            return {"hrv": clamp(hrv, 12, 160), "rhr": clamp(rhr, 36, 95),
                    "ill": ill, "ratio": ratio}
        return self.memo(("state", d), make)

    def in_history(self, d, today):
        return self.data_start <= d <= today

    # ---- sleep ---------------------------------------------------------
    def has_night(self, d, today):
        if not self.in_history(d, today):
            return False
        if d in self.extra_nights:
            return True
        return self.rng("nightp", d).random() >= 0.06

    def night(self, d, today):
        """Internal night record for the night ending on local date d."""
        if not self.has_night(d, today):
            return None
        return self.memo(("night", d), lambda: self._make_night(d))

    def _make_night(self, d):
        r = self.rng("night", d, self.extra_nights.get(d, 0))
        st = self.state(d)
        ill = st["ill"]
        bed_h = self.bedtime + r.gauss(0, 0.4) + (0.5 if d.weekday() in (5, 6) else 0)
        start = datetime.combine(d - timedelta(days=1), datetime.min.time()) + timedelta(hours=bed_h)
        start = start.replace(microsecond=0)
        need_min = (self.sleep_need + r.gauss(0, 0.55) + 0.6 * ill) * 60
        segs = []          # (stage, minutes)
        t = 0
        cyc = 0
        segs.append((2, r.randint(4, 14)))
        t += segs[-1][1]
        while t < need_min - 20:
            cyc += 1
            deep = max(0, int(r.gauss(42 - 9 * cyc, 6)))
            rem = max(4, int(r.gauss(8 + 7 * cyc, 4)))
            light = int(r.gauss(38, 8))
            parts = [(3, max(8, light // 2))]
            if deep > 3:
                parts.append((4, deep))
            parts.append((3, max(5, light - light // 2)))
            if r.random() < 0.08:
                parts.append((5, r.randint(2, 6)))
            parts.append((1, rem))
            wake_p = 0.45 + 0.4 * ill
            if r.random() < wake_p:
                parts.append((0, 1 if r.random() < 0.6 else r.randint(2, 12)))
                parts.append((2, r.randint(2, 7)))
            for p in parts:
                segs.append(p)
                t += p[1]
        total_min = t
        hyp = {}
        light = deep = rem = unk = short_i = long_i = 0
        cur = start.replace(second=0)
        last = None
        for stage, m in segs:
            if stage != last:
                hyp[hhmm(cur)] = stage
            last = stage
            cur += timedelta(minutes=m)
            s = m * 60
            if stage in (2, 3):
                light += s
            elif stage == 4:
                deep += s
            elif stage == 1:
                rem += s
            elif stage == 5:
                unk += s
            else:
                if s < 90:
                    short_i += s
                else:
                    long_i += s
        hyp[hhmm(cur)] = 0
        end = start + timedelta(minutes=total_min)
        # heart rate every 5 minutes, lowest in the middle of the night
        hr = {}
        st_rhr = st["rhr"]
        first = start.replace(second=0) + timedelta(minutes=5 - start.minute % 5)
        k = first
        n = 0
        while k < end:
            x = (k - start).total_seconds() / (total_min * 60.0)
            v = st_rhr + 6 * (1 - x) ** 3 + 3 * math.sin(x * 9) ** 2 + r.gauss(0, 1.2) + 1
            hr[hhmm(k)] = 0 if r.random() < 0.01 else int(round(v))
            k += timedelta(minutes=5)
            n += 1
        inter = short_i + long_i
        asleep = light + deep + rem + unk
        dur_score = clamp(100 - abs(asleep / 3600.0 - self.sleep_need) * 22, 10, 100)
        solid = clamp(95 - inter / 60.0 * 1.6 - r.uniform(0, 8), 5, 100)
        regen = clamp(45 + deep / float(asleep) * 120 + rem / float(asleep) * 60 - ill * 20 + r.gauss(0, 5), 5, 100)
        score = int(clamp(0.4 * dur_score + 0.3 * solid + 0.3 * regen, 1, 100))
        continuity = r1(clamp(5 - inter / 60.0 / 12 + r.gauss(0, 0.3), 1.0, 5.0))
        return {"date": d, "start": start, "end": end, "hyp": hyp, "hr": hr,
                "light": light, "deep": deep, "rem": rem, "unk": unk,
                "short": short_i, "long": long_i, "cycles": cyc,
                "score": score, "continuity": continuity,
                "cont_class": int(clamp(round(continuity), 1, 5)),
                "charge": -1 if r.random() < 0.03 else int(clamp(round(score / 20.0), 1, 5)),
                "rating": r.choice([0, 0, 0, 0, 3, 4, 5, 2]),
                "gdur": r1(dur_score), "gsol": r1(solid), "greg": r1(regen),
                "rng": r.getrandbits(32)}

    def sleep_obj(self, d, today):
        n = self.night(d, today)
        if n is None:
            return None
        off = fmt_offset(self.tz)
        return {
            "polar_user": self.polar_user,
            "date": ymd(d),
            "sleep_start_time": n["start"].isoformat() + off,
            "sleep_end_time": n["end"].isoformat() + off,
            "device_id": self.device_id,
            "continuity": n["continuity"],
            "continuity_class": n["cont_class"],
            "light_sleep": n["light"],
            "deep_sleep": n["deep"],
            "rem_sleep": n["rem"],
            "unrecognized_sleep_stage": n["unk"],
            "sleep_score": n["score"],
            "total_interruption_duration": n["short"] + n["long"],
            "sleep_charge": n["charge"],
            "sleep_goal": self.sleep_goal,
            "sleep_rating": n["rating"],
            "short_interruption_duration": n["short"],
            "long_interruption_duration": n["long"],
            "sleep_cycles": n["cycles"],
            "group_duration_score": n["gdur"],
            "group_solidity_score": n["gsol"],
            "group_regeneration_score": n["greg"],
            "hypnogram": n["hyp"],
            "heart_rate_samples": n["hr"],
        }

    def available_obj(self, d, today):
        n = self.night(d, today)
        if n is None:
            return None
        off = fmt_offset(self.tz)
        return {"date": ymd(d), "start_time": n["start"].isoformat() + off,
                "end_time": n["end"].isoformat() + off}

    # ---- nightly recharge ----------------------------------------------
    def recharge_obj(self, d, today):
        n = self.night(d, today)
        if n is None:
            return None
        r = random.Random(n["rng"] ^ 0x5EED)
        if r.random() < 0.03 and d not in self.extra_nights:
            return None
        st = self.state(d)
        w0 = n["start"] + timedelta(minutes=30)
        w1 = min(w0 + timedelta(hours=4), n["end"])
        hrs = [v for k, v in self._hr_items(n) if w0 <= k <= w1 and v > 0]
        hr_avg = int(round(sum(hrs) / len(hrs))) if hrs else int(st["rhr"] + 2)
        hrv_avg = int(round(st["hrv"]))
        br_avg = r1(13.2 + (self.index % 3) * 0.6 + 1.6 * st["ill"] + r.gauss(0, 0.3))
        hrv_s, br_s = {}, {}
        k = w0.replace(second=0) + timedelta(minutes=r.randrange(5))
        while k < w1:
            hrv_s[hhmm(k)] = int(round(clamp(hrv_avg * math.exp(r.gauss(0, 0.12)), 5, 250)))
            br_s[hhmm(k - timedelta(minutes=1))] = r1(br_avg + r.gauss(0, 0.35))
            k += timedelta(minutes=5)
        dev = math.log(st["hrv"] / self.hrv) * 18 + (self.rhr - st["rhr"]) * 0.4
        ans = r1(clamp(dev + r.gauss(0, 1.0), -10, 10))
        ans_status = 1 if ans < -6 else 2 if ans < -2 else 3 if ans <= 2 else 4 if ans <= 6 else 5
        sc = n["charge"] if n["charge"] > 0 else 3
        nr = int(clamp(round((ans_status + sc) / 10.0 * 6), 1, 6))
        return {"polar_user": self.polar_user, "date": ymd(d),
                "heart_rate_avg": hr_avg,
                "beat_to_beat_avg": 0 if r.random() < 0.01 else int(round(60000.0 / hr_avg)),
                "heart_rate_variability_avg": hrv_avg,
                "breathing_rate_avg": br_avg,
                "nightly_recharge_status": nr,
                "ans_charge": ans, "ans_charge_status": ans_status,
                "hrv_samples": hrv_s, "breathing_samples": br_s}

    def _hr_items(self, n):
        out = []
        base = n["start"].replace(hour=0, minute=0, second=0)
        for key, v in n["hr"].items():
            hh, mm = int(key[:2]), int(key[3:])
            t = base + timedelta(hours=hh, minutes=mm)
            if t < n["start"] - timedelta(minutes=5):
                t += timedelta(days=1)
            out.append((t, v))
        return out

    # ---- daily activity ----------------------------------------------
    def has_activity(self, d, today):
        return self.in_history(d, today) and self.rng("actp", d).random() >= 0.02

    def activity_day(self, d, today):
        if not self.has_activity(d, today):
            return None
        return self.memo(("act", d, d >= today), lambda: self._make_activity(d, today))

    def _asleep_minutes(self, d, today):
        asleep = [False] * 1440
        day0 = datetime.combine(d, datetime.min.time())
        for nd in (d, d + timedelta(days=1)):
            n = self.night(nd, today) if nd <= today else None
            if n is None:
                # assume habitual sleep when no data was recorded
                s = datetime.combine(nd - timedelta(days=1), datetime.min.time()) + timedelta(hours=self.bedtime)
                e = s + timedelta(hours=self.sleep_need)
            else:
                s, e = n["start"], n["end"]
            a = int((s - day0).total_seconds() // 60)
            b = int((e - day0).total_seconds() // 60)
            for m in range(max(a, 0), min(b, 1440)):
                asleep[m] = True
        return asleep

    def _make_activity(self, d, today):
        r = self.rng("act", d)
        asleep = self._asleep_minutes(d, today)
        steps = [0] * 1440
        zone = ["SEDENTARY"] * 1440
        for m in range(1440):
            if asleep[m]:
                zone[m] = "SLEEP"
        # walking bouts during waking hours
        nbouts = r.randint(26, 46) + (6 if d.weekday() >= 5 else 0)
        for _ in range(nbouts):
            m0 = r.randrange(6 * 60, 22 * 60)
            ln = r.choice([1, 2, 3, 4, 6, 10, 15, 25])
            for m in range(m0, min(m0 + ln, 1440)):
                if not asleep[m]:
                    steps[m] = r.randint(20, 118)
        for ex in self.exercises_on(d):
            m0 = ex["start"].hour * 60 + ex["start"].minute
            spm = {"run": 168, "walk": 112}.get(ex["key"], 0)
            for m in range(m0, min(m0 + ex["dur"] // 60, 1440)):
                steps[m] = max(0, int(spm + r.gauss(0, 6))) if spm else r.randint(0, 12)
                zone[m] = "VIGOROUS" if ex["inten"] != "easy" or ex["key"] == "run" else "MODERATE"
        for m in range(1440):
            if zone[m] in ("SEDENTARY",):
                if steps[m] > 100:
                    zone[m] = "MODERATE"
                elif steps[m] > 15:
                    zone[m] = "LIGHT"
        # inactivity alerts: 60 sedentary awake minutes in a row, 07-22h
        stamps = []
        run = 0
        for m in range(7 * 60, 22 * 60):
            if zone[m] == "SEDENTARY":
                run += 1
                if run == 60:
                    stamps.append(m)
                    run = 0
            else:
                run = 0
        total = sum(steps)
        active_min = sum(1 for z in zone if z in ("LIGHT", "MODERATE", "VIGOROUS"))
        inactive_min = sum(1 for z in zone if z == "SEDENTARY")
        bmr = (10 * self.weight + 6.25 * self.height - 5 * self.age + (5 if self.gender == "MALE" else -161))
        ex_kcal = sum(e["kcal"] for e in self.exercises_on(d))
        active_kcal = int(total * 0.04 * self.weight / 70.0 + ex_kcal * 0.8 + active_min * 1.2)
        stride = self.height / 100.0 * 0.42
        return {"steps": steps, "zone": zone, "stamps": stamps, "total": total,
                "active_min": active_min, "inactive_min": inactive_min,
                "calories": int(bmr * 1.05 + active_kcal),
                "active_calories": active_kcal,
                "daily_activity": r1(active_kcal / (620.0 + 8 * self.index) * 100),
                "distance": r1(total * stride)}

    def activity_summary(self, d, today):
        a = self.activity_day(d, today)
        if a is None:
            return None
        kind = self.quirks.get("activity_start")
        off = fmt_offset(self.tz) if kind == "zoned" else ""
        start = ymd(d) if kind == "date" else ymd(d) + "T00:00:00" + off
        return {"start_time": start,
                "end_time": ymd(d) + "T23:59:59" + off,
                "active_duration": iso_dur(a["active_min"] * 60),
                "inactive_duration": iso_dur(a["inactive_min"] * 60),
                "daily_activity": a["daily_activity"],
                "calories": a["calories"],
                "active_calories": a["active_calories"],
                "steps": a["total"],
                "inactivity_alert_count": len(a["stamps"]),
                "distance_from_steps": a["distance"]}

    def activity_samples(self, d, today, steps=True, zones=True, stamps=True):
        a = self.activity_day(d, today)
        if a is None:
            return None
        ds = ymd(d)
        out = {"date": ds}
        if steps:
            ss = []
            prev = None
            for m, v in enumerate(a["steps"]):
                if v != prev:
                    ss.append({"steps": v, "timestamp": "%sT%02d:%02d" % (ds, m // 60, m % 60)})
                    prev = v
            out["steps"] = {"interval_ms": 60000, "total_steps": a["total"], "samples": ss}
        if zones:
            zs = []
            prev = None
            for m, z in enumerate(a["zone"]):
                if z != prev:
                    zs.append({"zone": z, "timestamp": "%sT%02d:%02d:00" % (ds, m // 60, m % 60)})
                    prev = z
            out["activity_zones"] = {"samples": zs}
        if stamps:
            st = [{"stamp": "%sT%02d:%02d" % (ds, m // 60, m % 60)} for m in a["stamps"]]
            out["inactivity_stamps"] = {"samples": st} if self.quirks.get("inactivity_stamps") == "samples" else st
        return out

    # ---- continuous heart rate -----------------------------------------
    def chr_obj(self, d, today):
        if not self.has_activity(d, today):
            return None
        return self.memo(("chr", d, d >= today), lambda: self._make_chr(d, today))

    def _make_chr(self, d, today):
        r = self.rng("chr", d)
        a = self.activity_day(d, today)
        st = self.state(d)
        exmins = {}
        for ex in self.exercises_on(d):
            m0 = ex["start"].hour * 60 + ex["start"].minute
            for m in range(m0, min(m0 + ex["dur"] // 60, 1440)):
                exmins[m] = ex["hr_avg"]
        gap0 = r.randrange(8 * 3600, 20 * 3600) if r.random() < 0.3 else -1
        gap1 = gap0 + r.randrange(1200, 3600)
        samples = []
        t = r.randrange(5, 295)
        while t < 86400:
            m = t // 60
            if not (gap0 <= t < gap1):
                if m in exmins:
                    v = exmins[m] + r.gauss(0, 6)
                    step = r.randrange(55, 65)
                elif a["zone"][m] == "SLEEP":
                    v = st["rhr"] + 3 + r.gauss(0, 2)
                    step = 300
                else:
                    v = st["rhr"] + 14 + a["steps"][m] * 0.25 + r.gauss(0, 5)
                    step = 300 if r.random() > 0.08 else r.randrange(40, 120)
                samples.append({"heart_rate": int(clamp(v, 35, 210)),
                                "sample_time": "%02d:%02d:%02d" % (t // 3600, t // 60 % 60, t % 60)})
            else:
                step = 300
            t += step + r.choice([0, 0, 0, 1, -1, 2])
        return {"polar_user": self.polar_user, "date": ymd(d), "heart_rate_samples": samples}

    # ---- exercises ---------------------------------------------------
    def all_exercises(self, today):
        out = []
        d = max(self.data_start, today - timedelta(days=40))
        while d <= today:
            for ex in self.exercises_on(d):
                out.append(ex)
            d += timedelta(days=1)
        return out

    def exercise_summary(self, ex):
        key = ex["key"]
        o = {"id": ex["id"],
             "upload_time": ex["upload"].strftime("%Y-%m-%dT%H:%M:%S") + ".000Z",
             "polar_user": self.polar_user,
             "device": self.device}
        if not ex["no_device_id"]:
            o["device_id"] = self.device_id
        o["start_time"] = ex["start"].isoformat()
        o["start_time_utc_offset"] = self.tz
        o["duration"] = iso_dur(ex["dur"])
        o["calories"] = ex["kcal"]
        if "distance" in ex:
            o["distance"] = ex["distance"]
        if not ex["no_hr"]:
            o["heart_rate"] = {"average": ex["hr_avg"], "maximum": ex["hr_max"]}
            o["training_load"] = ex["trimp"]
        o["sport"] = ex["sport"]
        o["has_route"] = bool(ex["outdoor"] and "speed" in ex)
        o["detailed_sport_info"] = ex["detailed"]
        if self.energy and not ex["no_hr"]:
            r = random.Random(ex["seed"])
            fat = int(clamp(70 - (ex["hr_avg"] / float(self.hrmax)) * 55 + r.gauss(0, 4), 10, 80))
            prot = r.randint(1, 3)
            o["fat_percentage"] = fat
            o["carbohydrate_percentage"] = 100 - fat - prot
            o["protein_percentage"] = prot
        if key == "run" and ex["outdoor"]:
            o["running-index"] = int(clamp(self.vo2max + random.Random(ex["seed"] + 1).gauss(0, 2), 30, 80))
        if self.energy and not ex["no_hr"]:
            L = self.typical() * 7 / 5.0
            def interp(v):
                if v < 0:
                    return "NOT_AVAILABLE"
                idx = int(clamp(v / L * 2.5, 0, 4))
                return LEVELS[idx]
            muscle = r1(ex["dur"] / 60.0 * 1.9) if key == "bike" and ex["outdoor"] else -1.0
            rpe_scale = {"RPE_EASY": 2, "RPE_MODERATE": 4, "RPE_FAIRLY_HARD": 5, "RPE_HARD": 7}
            perceived = r1(ex["dur"] / 60.0 * rpe_scale[ex["rpe"]]) if ex["rpe"] in rpe_scale else -1.0
            o["training_load_pro"] = {
                "date": ymd(ex["date"]),
                "cardio-load": ex["trimp"],
                "muscle-load": muscle,
                "perceived-load": perceived,
                "cardio-load-interpretation": interp(ex["trimp"]),
                "muscle-load-interpretation": interp(muscle),
                "perceived-load-interpretation": interp(perceived),
                "user-rpe": ex["rpe"],
            }
        return o

    def exercise_parts(self, ex):
        """Samples, zones and route for one exercise (large; cached)."""
        return self.memo(("exparts", ex["id"]), lambda: self._make_parts(ex))

    def _make_parts(self, ex):
        r = random.Random(ex["seed"])
        n = ex["dur"]
        key = ex["key"]
        # heart rate: warm-up ramp, intervals or steady, cool-down
        hr = []
        target = ex["hr_avg"]
        cur = self.rhr + 30
        for t in range(n):
            goal = target
            if ex["inten"] == "intervals" and 600 < t < n - 600:
                goal = target + (12 if (t // 180) % 2 == 0 else -10)
            if t < 300:
                goal = cur + (target - cur) * t / 300.0
            cur += (goal - cur) * 0.04 + r.gauss(0, 0.8)
            hr.append(cur)
        mean = sum(hr) / n
        hr = [int(round(clamp(v + target - mean, 50, ex["hr_max"]))) for v in hr]
        hr[max(range(n), key=lambda i: hr[i])] = ex["hr_max"]
        samples = []
        if not ex["no_hr"]:
            samples.append({"recording-rate": 1, "sample-type": "0",
                            "data": ",".join(map(str, hr))})
        speed = None
        if "speed" in ex:
            v0 = ex["speed"]
            speed = []
            s = 0.0
            for t in range(n):
                g = v0 * (1.12 if ex["inten"] == "intervals" and (t // 180) % 2 == 0 and 600 < t < n - 600 else 1.0)
                s += (g - s) * 0.08 + r.gauss(0, 0.15)
                speed.append(max(0.0, s))
            scale = (ex["distance"] * 3.6 / n) / (sum(speed) / n or 1)
            speed = [round(v * scale, 1) for v in speed]
            samples.append({"recording-rate": 1, "sample-type": "1",
                            "data": ",".join("%.1f" % v for v in speed)})
        if ex["outdoor"] and speed is not None:
            ph = r.uniform(0, 6.28)
            alt = [round(18 + 12 * math.sin(t / 700.0 + ph) + 4 * math.sin(t / 173.0), 1) for t in range(n)]
            samples.append({"recording-rate": 1, "sample-type": "3",
                            "data": ",".join("%.1f" % v for v in alt)})
        if key == "bike" and ex["outdoor"]:
            cad = [int(clamp(r.gauss(88, 5), 0, 130)) if speed[t] > 3 else 0 for t in range(n)]
            pw = [int(clamp(speed[t] * 7.2 + r.gauss(0, 25), 0, 900)) for t in range(n)]
            samples.append({"recording-rate": 1, "sample-type": "2", "data": ",".join(map(str, cad))})
            samples.append({"recording-rate": 1, "sample-type": "4", "data": ",".join(map(str, pw))})
        if key == "run":
            cad = [int(clamp(r.gauss(168, 4), 0, 210)) if speed[t] > 4 else int(speed[t] * 20) for t in range(n)]
            samples.append({"recording-rate": 1, "sample-type": "8", "data": ",".join(map(str, cad))})
        if speed is not None:
            dist = []
            acc = 0.0
            for v in speed:
                acc += v / 3.6
                dist.append("%.1f" % acc)
            samples.append({"recording-rate": 1, "sample-type": "10", "data": ",".join(dist)})
        if not ex["no_hr"] and (self.energy or ex.get("rr")):
            rr = []
            t = 0.0
            while t < n:
                h = hr[min(int(t), n - 1)]
                v = 60000.0 / h + r.gauss(0, 12)
                rr.append("null" if r.random() < 0.004 else str(int(v)))
                t += v / 1000.0
            samples.append({"recording-rate": None, "sample-type": "11", "data": ",".join(rr)})
        zones = []
        if not ex["no_hr"]:
            bounds = [int(self.hrmax * p) for p in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)]
            counts = [0] * 5
            for v in hr:
                for z in range(5):
                    if bounds[z] <= v < bounds[z + 1] or (z == 4 and v >= bounds[5]):
                        counts[z] += 1
                        break
            for z in range(5):
                zones.append({"index": z + 1, "lower-limit": bounds[z],
                              "upper-limit": bounds[z + 1], "in-zone": iso_dur(counts[z])})
        route = []
        if ex["outdoor"] and speed is not None:
            lat, lon = self.lat, self.lon
            head = r.uniform(0, 6.28)
            for t in range(n):
                if t == n // 2:
                    head += math.pi
                head += r.gauss(0, 0.03)
                m = speed[t] / 3.6
                lat += m * math.cos(head) / 111320.0
                lon += m * math.sin(head) / (111320.0 * math.cos(math.radians(lat)))
                route.append({"latitude": round(lat, 7), "longitude": round(lon, 7),
                              "time": iso_dur(t + 1.012), "satellites": r.randint(8, 14), "fix": 1})
        return {"samples": samples, "zones": zones, "route": route, "hr": hr}

    # ---- cardio load -------------------------------------------------
    def cardio_obj(self, d, today, level_key):
        hist = (d - self.data_start).days
        if hist < 7 or d > today or d < self.data_start:
            return {"date": ymd(d), "cardio_load_status": "LOAD_STATUS_NOT_AVAILABLE",
                    "cardio_load": -1.0, "strain": 0.0, "tolerance": -1.0,
                    "cardio_load_ratio": -1.0,
                    "cardio_load_level": {"very_low": 0.0, "low": 0.0, "medium": 0.0,
                                          "high": 0.0, level_key: 0.0}}
        loads = [self.day_load(d - timedelta(days=k)) for k in range(28)]
        strain = sum(loads[:7]) / 7.0
        tol = sum(loads) / 28.0
        ratio = strain / tol if tol > 0 else 0.0
        if ratio < 0.8:
            status = "DETRAINING"
        elif ratio < 1.0:
            status = "MAINTAINING"
        elif ratio < 1.3:
            status = "PRODUCTIVE"
        elif ratio < 1.5:
            status = "PRODUCTIVE_ALMOST_OVERREACHING"
        else:
            status = "OVERREACHING"
        L = self.typical() * 7 / 5.0
        return {"date": ymd(d), "cardio_load_status": status,
                "cardio_load": r1(loads[0]), "strain": r1(strain), "tolerance": r1(tol),
                "cardio_load_ratio": r2(ratio),
                "cardio_load_level": {"very_low": r1(L * 0.25), "low": r1(L * 0.5),
                                      "medium": r1(L), "high": r1(L * 1.5),
                                      level_key: r1(L * 2.0)}}

    # ---- SleepWise ---------------------------------------------------
    def sleepwise_ok(self, d, today):
        if not self.sleepwise:
            return False
        return (d - self.data_start).days >= 5

    def alertness_obj(self, d, today):
        if not self.sleepwise_ok(d, today):
            return None
        n = self.night(d, today)
        if n is None:
            return None
        r = random.Random(n["rng"] ^ 0xA1E7)
        utc = timedelta(minutes=self.tz)
        s, e = n["start"] - utc, n["end"] - utc
        pend = e + timedelta(hours=16, minutes=r.randrange(0, 40))
        grade = r1(clamp(n["score"] / 10.0 + r.gauss(0, 0.6), 1.0, 10.0))
        cls = ("GRADE_CLASSIFICATION_WEAK" if grade < 4 else "GRADE_CLASSIFICATION_FAIR" if grade < 6.5
               else "GRADE_CLASSIFICATION_STRONG" if grade < 8.5 else "GRADE_CLASSIFICATION_EXCELLENT")
        frac = ".%02d" % r.randrange(100)
        hourly = []
        t = e.replace(second=0) + timedelta(minutes=1)
        pred = d >= today
        while t < pend:
            nxt = min(t.replace(minute=0) + timedelta(hours=1), pend)
            h = (t - e).total_seconds() / 3600.0
            lvl = 2.5 + 2.0 * math.sin(min(h, 15) / 15 * math.pi) - (1.2 if h < 1 else 0) \
                - (0.8 if 6.5 < h < 8.5 else 0) + (grade - 6) * 0.2
            idx = int(clamp(round(lvl), 0, 4))
            hourly.append({"validity": "VALIDITY_ESTIMATE" if pred and h > 2 else "VALIDITY_VALID",
                           "alertness_level": ["ALERTNESS_LEVEL_MINIMAL", "ALERTNESS_LEVEL_VERY_LOW",
                                               "ALERTNESS_LEVEL_LOW", "ALERTNESS_LEVEL_HIGH",
                                               "ALERTNESS_LEVEL_VERY_HIGH"][idx],
                           "start_time": t.isoformat(), "end_time": nxt.isoformat()})
            t = nxt
        inertia = ("SLEEP_INERTIA_NO_INERTIA" if n["deep"] < 3600 else "SLEEP_INERTIA_MILD"
                   if n["deep"] < 5400 else "SLEEP_INERTIA_MODERATE")
        return {"grade": grade, "grade_validity_seconds": int((pend - e).total_seconds()),
                "grade_type": "GRADE_TYPE_PRIMARY", "grade_classification": cls,
                "validity": "VALIDITY_ESTIMATE" if pred else "VALIDITY_VALID",
                "sleep_inertia": inertia, "sleep_type": "SLEEP_TYPE_PRIMARY",
                "result_type": "ALERTNESS_TYPE_PREDICTION" if pred else "ALERTNESS_TYPE_HISTORY",
                "period_start_time": s.isoformat(), "period_end_time": pend.isoformat(),
                "sleep_period_start_time": s.isoformat() + frac,
                "sleep_period_end_time": e.isoformat() + frac,
                "sleep_timezone_offset_minutes": self.tz, "hourly_data": hourly}

    def bedtime_obj(self, d, today):
        """Circadian bedtime for the night that ends on d (d = today+1: prediction)."""
        if not self.sleepwise_ok(d - timedelta(days=1), today):
            return None
        r = self.rng("bed", d)
        utc = timedelta(minutes=self.tz)
        pred = d > today
        base = datetime.combine(d - timedelta(days=1), datetime.min.time()) + \
            timedelta(hours=self.bedtime - 0.2 + r.gauss(0, 0.15))
        base = base.replace(second=0, microsecond=0) - timedelta(minutes=base.minute % 5)
        ps = base - utc
        pe = ps + timedelta(hours=round(self.sleep_need * 2) / 2.0)
        q = r.random()
        return {"validity": "VALIDITY_ESTIMATE" if pred else "VALIDITY_VALID",
                "quality": "CIRCADIAN_BEDTIME_QUALITY_CLEARLY_RECOGNIZABLE" if q < 0.7 else
                           "CIRCADIAN_BEDTIME_QUALITY_COMPROMISED" if q < 0.92 else "CIRCADIAN_BEDTIME_QUALITY_WEAK",
                "result_type": "CIRCADIAN_BEDTIME_TYPE_PREDICTION" if pred else "CIRCADIAN_BEDTIME_TYPE_HISTORY",
                "period_start_time": ps.isoformat(), "period_end_time": pe.isoformat(),
                "preferred_sleep_period_start_time": ps.isoformat(),
                "preferred_sleep_period_end_time": pe.isoformat(),
                "sleep_gate_start_time": (ps - timedelta(minutes=15)).isoformat(),
                "sleep_gate_end_time": (ps + timedelta(minutes=15)).isoformat(),
                "sleep_timezone_offset_minutes": self.tz}

    # ---- biosensing --------------------------------------------------
    def skin_temp_obj(self, d, today):
        if not self.biosensing:
            return None
        n = self.night(d, today)
        if n is None:
            return None
        r = random.Random(n["rng"] ^ 0x7E3)
        ill = self.state(d)["ill"]
        dev = r2(ill * 0.9 + r.gauss(0, 0.18))
        return {"sleep_time_skin_temperature_celsius": r2(self.skin_base + dev),
                "deviation_from_baseline_celsius": dev, "sleep_date": ymd(d)}

    def body_temp_obj(self, d, today):
        if not self.biosensing:
            return None
        n = self.night(d, today)
        if n is None:
            return None
        r = random.Random(n["rng"] ^ 0xB0D)
        utc = timedelta(minutes=self.tz)
        s = (n["start"] - utc).replace(second=0)
        e = (n["end"] - utc).replace(second=0)
        ill = self.state(d)["ill"]
        samples = []
        cur = self.skin_base - 0.8
        k = 0
        while s + timedelta(minutes=k) <= e:
            cur += (self.skin_base + ill * 0.9 - cur) * 0.03 + r.gauss(0, 0.04)
            samples.append({"temperature_celsius": r2(cur), "recording_time_delta_milliseconds": k * 60000})
            k += 1
        return {"source_device_id": self.device_id, "measurement_type": "TM_SKIN_TEMPERATURE",
                "sensor_location": "SL_DISTAL", "start_time": s.isoformat(), "end_time": e.isoformat(),
                "modified_time": (e + timedelta(minutes=r.randint(5, 40), seconds=r.randrange(60))).isoformat(),
                "samples": samples}

    def skin_contact_obj(self, d, today):
        if not self.biosensing or not self.has_activity(d, today):
            return None
        r = self.rng("contact", d)
        utc = timedelta(minutes=self.tz)
        s = datetime.combine(d, datetime.min.time()) - utc
        ch = [{"skin_contact": True, "recording_time_delta_milliseconds": 0}]
        if r.random() < 0.5:
            off = r.randrange(8 * 3600, 20 * 3600)
            ch.append({"skin_contact": False, "recording_time_delta_milliseconds": off * 1000})
            ch.append({"skin_contact": True, "recording_time_delta_milliseconds": (off + r.randrange(600, 3600)) * 1000})
        return {"source_device_id": self.device_id, "start_time": s.isoformat(),
                "end_time": (s + timedelta(seconds=86399)).isoformat(),
                "modified_time": (s + timedelta(seconds=86399 - r.randrange(3600))).isoformat(),
                "skin_contact_changes": ch}

    def _test_time(self, dt_local):
        epoch = int((dt_local - timedelta(minutes=self.tz) - datetime(1970, 1, 1)).total_seconds())
        return epoch * 1000 if self.quirks.get("test_time") == "ms" else epoch

    def spo2_obj(self, d, today):
        if not self.biosensing or not self.in_history(d, today):
            return None
        r = self.rng("spo2", d)
        if r.random() > 0.16:
            return None
        t = datetime.combine(d, datetime.min.time()) + timedelta(seconds=r.randrange(7 * 3600, 21 * 3600))
        st = self.state(d)
        spo2 = int(clamp(round(r.gauss(97 - st["ill"] * 3, 1)), 88, 100))
        status = "SPO2_TEST_PASSED" if r.random() > 0.1 else "SPO2_TEST_INCONCLUSIVE_TOO_LOW_OVERALL_QUALITY"
        o = {"source_device_id": self.device_id, "test_time": self._test_time(t),
             "time_zone_offset": self.tz, "test_status": status,
             "blood_oxygen_percent": spo2,
             "spo2_class": "SPO2_CLASS_NORMAL" if spo2 >= 95 else "SPO2_CLASS_LOW" if spo2 >= 90 else "SPO2_CLASS_VERY_LOW",
             "spo2_value_deviation_from_baseline": "DEVIATION_USUAL" if spo2 >= 95 else "DEVIATION_BELOW_USUAL",
             "spo2_quality_average_percent": r1(r.uniform(80, 98)),
             "average_heart_rate_bpm": int(st["rhr"] + r.randint(4, 14)),
             "heart_rate_variability_ms": r1(st["hrv"] * r.uniform(0.8, 1.1)),
             "spo2_hrv_deviation_from_baseline": "DEVIATION_USUAL" if st["hrv"] > self.hrv * 0.85 else "DEVIATION_BELOW_USUAL"}
        if r.random() < 0.8:
            o["altitude_meters"] = r1(r.uniform(5, 60))
        return o

    def ecg_obj(self, d, today):
        if not self.biosensing or not self.in_history(d, today):
            return None
        r = self.rng("ecg", d)
        if r.random() > 0.08:
            return None
        return self.memo(("ecg", d), lambda: self._make_ecg(d, r))

    def _make_ecg(self, d, r):
        t = datetime.combine(d, datetime.min.time()) + timedelta(seconds=r.randrange(7 * 3600, 21 * 3600))
        st = self.state(d)
        hr = st["rhr"] + r.randint(3, 10)
        rri = 60000.0 / hr
        samples = []
        # 30 s at 130 Hz: a synthetic P-QRS-T complex per beat
        beat_t = 0.0
        for k in range(3900):
            ms = k * 1000.0 / 130.0
            if ms - beat_t > rri:
                beat_t += rri + r.gauss(0, 25)
            x = (ms - beat_t) / 1000.0
            v = (0.12 * math.exp(-((x - 0.10) / 0.025) ** 2) - 0.10 * math.exp(-((x - 0.18) / 0.008) ** 2)
                 + 1.05 * math.exp(-((x - 0.20) / 0.010) ** 2) - 0.22 * math.exp(-((x - 0.225) / 0.010) ** 2)
                 + 0.28 * math.exp(-((x - 0.42) / 0.045) ** 2) + r.gauss(0, 0.012))
            samples.append({"recording_time_delta_ms": int(ms), "amplitude_mv": round(v, 3)})
        hrv = st["hrv"] * r.uniform(0.85, 1.1)
        lvl = ("ECG_HRV_LEVEL_BELOW_USUAL" if hrv < self.hrv * 0.8 else "ECG_HRV_LEVEL_ABOVE_USUAL"
               if hrv > self.hrv * 1.2 else "ECG_HRV_LEVEL_USUAL")
        o = {"source_device_id": self.device_id, "test_time": self._test_time(t),
             "time_zone_offset": self.tz, "average_heart_rate_bpm": int(hr),
             "heart_rate_variability_ms": r1(hrv), "heart_rate_variability_level": lvl,
             "rri_ms": r1(rri)}
        if r.random() < 0.7:
            o["pulse_transit_time_systolic_ms"] = r1(r.uniform(210, 250))
            o["pulse_transit_time_diastolic_ms"] = r1(r.uniform(245, 285))
            o["pulse_transit_time_quality_index"] = r1(r.uniform(60, 98))
        o["samples"] = samples
        q = [{"recording_time_delta_ms": 0, "quality_level": "ECG_QUALITY_HIGH"}]
        if r.random() < 0.3:
            q.append({"recording_time_delta_ms": 15000, "quality_level": "ECG_QUALITY_LOW"})
            q.append({"recording_time_delta_ms": 17000, "quality_level": "ECG_QUALITY_HIGH"})
        o["quality_measurements"] = q
        return o

    # ---- user / physical info -------------------------------------------
    def user_obj(self):
        return {"polar-user-id": self.user_id, "member-id": self.member_id or str(self.user_id),
                "registration-date": self.registration_date or "",
                "first-name": self.first_name, "last-name": self.last_name,
                "birthdate": ymd(self.birthdate), "gender": self.gender,
                "weight": self.weight, "height": self.height, "extra-info": []}

    def physical_obj(self):
        if not self.physical_info:
            return None
        r = self.rng("phys")
        created = datetime.combine(self.data_start, datetime.min.time()) - timedelta(days=r.randint(100, 900), seconds=r.randrange(86400))
        modified = datetime.combine(self.data_start, datetime.min.time()) + timedelta(days=r.randint(0, 10), seconds=r.randrange(86400))
        return {"weight": self.weight, "height": self.height,
                "created": created.isoformat() + "Z", "modified": modified.isoformat() + "Z",
                "birthday": ymd(self.birthdate), "gender": self.gender,
                "maximum_heart_rate": self.hrmax, "resting_heart_rate": int(round(self.rhr)),
                "aerobic_threshold": int(self.hrmax * 0.75), "anaerobic_threshold": int(self.hrmax * 0.89),
                "vo2_max": self.vo2max, "weight_source": "SOURCE_USER",
                "training_background": ["REGULAR", "FREQUENT", "HEAVY"][self.index % 3],
                "typical_day": ["MOSTLY_SITTING", "MOSTLY_STANDING", "MOSTLY_MOVING"][self.index % 3],
                "sleep_goal": iso_dur(self.sleep_goal)}
