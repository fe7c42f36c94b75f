#!/usr/bin/env python3
"""polarsim -- a local simulator of Polar AccessLink v3 and Polar's OAuth2 server.

Standard library only.  Run `polarsim.py --help` for the manual.
"""

import argparse
import asyncio
import base64
import collections
import fnmatch
import gzip
import hashlib
import hmac
import json
import math
import os
import random
import re
import secrets
import signal
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simdata  # noqa: E402
from simdata import User, ymd  # noqa: E402

DEFAULT_CLIENT_ID = "polarsim-client"
DEFAULT_CLIENT_SECRET = "polarsim-secret"

MANPAGE = r"""NAME
    polarsim - local simulator of the Polar AccessLink API v3 and Polar OAuth2

SYNOPSIS
    polarsim.py [--host ADDR] [--port N] [--users N] [--days D] [--seed S]
                [--today YYYY-MM-DD] [--client-id ID] [--client-secret SECRET]
                [--redirect-uri URI]... [--variant spec|live] [--quirk K=V]...
                [--fault SPEC]... [--rate-limit-15m N] [--rate-limit-24h N]
                [--retry-after] [--register-all] [--strict-visibility]
                [--no-gzip] [--invalid-client-status 400|401]
                [--hang-seconds S] [--state-file PATH] [--quiet]

DESCRIPTION
    polarsim serves, over plain HTTP on one port, three things a Polar
    AccessLink v3 client talks to: the authorization page stand-in
    (flow.polar.com), the token endpoint (polarremote.com) and the API
    (www.polaraccesslink.com).  A client configures three base URLs:

        API base        http://HOST:PORT            (paths /v3/...)
        authorize URL   http://HOST:PORT/oauth2/authorization
        token URL       http://HOST:PORT/v2/oauth2/token

    It simulates N users with D days of deterministic synthetic data up
    to "today" (sleep with hypnogram, nightly recharge with HRV, daily
    activity with minute samples, exercises with zones/samples/GPS route
    and training-load-pro, cardio load, SleepWise, continuous HR,
    SpO2/ECG/temperature, physical info).  Same --seed, same bytes.
    Data is generated lazily per user-day and cached as JSON bytes.

    The first line on stdout is "polarsim listening on http://HOST:PORT"
    (flushed), so a harness started with --port 0 can read the URL.
    Users start unregistered: data endpoints answer 403 until the client
    makes POST /v3/users (or --register-all is given).

OPTIONS
    --host ADDR            listen address (default 127.0.0.1)
    --port N               port; 0 picks a free one (default 0)
    --users N              simulated users (default 3)
    --days D               days of history per user, ending today (default 120)
    --seed S               seed of all synthetic data (default 1)
    --today YYYY-MM-DD     the simulator's "today" (default: the real UTC date)
    --client-id ID         partner client id (default polarsim-client)
    --client-secret S      partner client secret (default polarsim-secret)
    --redirect-uri URI     a registered redirect URI (repeatable).  With none,
                           any redirect_uri is accepted.
    --variant spec|live    response shapes where reality differs from the
                           OpenAPI spec (default live):
                             quirk              spec        live
                             cardio_level_key   very-high   very_high
                             chr_range          single      wrapper
                             inactivity_stamps  array       samples
                             register_status    200         201
                             test_time          s           ms
                             activity_start     datetime    datetime
    --quirk K=V            override one quirk above (repeatable);
                           activity_start=date gives bare YYYY-MM-DD,
                           activity_start=zoned the day's bounds with the
                           user's offset (...T00:00:00+02:00)
    --fault SPEC           install a fault (repeatable; see FAULTS)
    --rate-limit-15m N     override the 15-minute limit (default 500+20*N)
    --rate-limit-24h N     override the 24-hour limit (default 5000+100*N)
    --retry-after          add Retry-After to 429 responses (Polar does not
                           document one; default off)
    --register-all         pre-register every user with the client
    --strict-visibility    exercises visible only if uploaded after the
                           user's registration (Polar's rule).  Default: the
                           30-day window only, so a fresh demo shows history.
    --no-gzip              never gzip (default: gzip bodies > 1 KiB when the
                           client sends Accept-Encoding: gzip)
    --invalid-client-status  status for bad Basic credentials on the token
                           endpoint (default 401; body {"error":"invalid_client"})
    --hang-seconds S       how long a "timeout" fault holds a connection
                           before closing it (default 120)
    --state-file PATH      persist tokens, registrations, added data and
                           today across restarts (JSON)
    --quiet                no per-request log on stderr (default: quiet;
                           use --verbose to log)

ENDPOINTS
    OAuth2
      GET  /oauth2/authorization?response_type=code&client_id=&redirect_uri=
           &state=[&scope=accesslink.read_all][&user=N|POLAR_ID][&deny=1]
           302 to redirect_uri?code=<32 hex>&state=..  (error=... on failure).
           user= picks the simulated user (index 0.. or polar user id;
           default 0).  Codes expire after 10 min and are single use.
      POST /v2/oauth2/token   Basic client auth, form grant_type=
           authorization_code&code=..[&redirect_uri=..] -> 200 {access_token,
           token_type:"bearer", expires_in:315359999, x_user_id}.  Errors 400
           {"error":invalid_request|invalid_grant|unsupported_grant_type},
           401 invalid_client.  Re-using a code revokes its tokens.
    AccessLink v3 (Bearer token; 401 bad/revoked token; 403 not registered
    or consents missing; 429 over rate limit)
      POST   /v3/users                        {"member-id"} -> 200/201, 409
      GET    /v3/users/{user-id}              200, 204 not registered
      DELETE /v3/users/{user-id}              204, revokes tokens
      GET    /v3/users/physical-info          200, 404 none
      GET    /v3/exercises[?samples&zones&route]   array (last 30 days)
      GET    /v3/exercises/{id}[?samples=true&zones=true&route=true]  404
      GET    /v3/exercises/{id}/fit|tcx|gpx   FIT/TCX/GPX, 404
      GET    /v3/users/activities[?from&to&steps&activity_zones&inactivity_stamps]
      GET    /v3/users/activities/{date}      204 no data, 400 > 365 d
      GET    /v3/users/activities/samples[?from&to]
      GET    /v3/users/activities/samples/{date}   204 no data
      GET    /v3/users/continuous-heart-rate/{date}   404 no data
      GET    /v3/users/continuous-heart-rate?from&to
      GET    /v3/users/cardio-load[/]          last 28 days
      GET    /v3/users/cardio-load/{date}      array of one
      GET    /v3/users/cardio-load/date?from&to    one per day
      GET    /v3/users/cardio-load/period/days/{n}, .../period/months/{n}
      GET    /v3/users/sleepwise/alertness[/date?from&to]       204 no data
      GET    /v3/users/sleepwise/circadian-bedtime[/date?from&to]  204
      GET    /v3/users/biosensing/{bodytemperature|skintemperature|
             skincontacts|ecg|spo2}[?from&to]  204 no data
      GET    /v3/users/sleep                  {"nights":[...]} last 28 days
      GET    /v3/users/sleep/{date}           404 no data
      GET    /v3/users/sleep/available        {"available":[...]}
      GET    /v3/users/nightly-recharge       {"recharges":[...]}
      GET    /v3/users/nightly-recharge/{date}   404 no data
      GET    /v3/notifications                (Basic) 204, or pending
             EXERCISE items for the deprecated transaction flow
      POST/GET/PUT /v3/users/{id}/exercise-transactions[/{tid}] and
             GET .../exercises/{eid}[/heart-rate-zones|/samples[/{type}]]
             (deprecated flow, kebab-case bodies)
    Webhooks (Basic client auth; one per client)
      POST   /v3/webhooks                     {"events","url"} -> 201 with
             signature_secret_key (once); pings the url first (400 unless
             it answers 200); 409 when one exists
      GET    /v3/webhooks                     {"data":[{id,events,url,active}]}
      PATCH  /v3/webhooks/{id}                {"events"?,"url"?} (pings a
             new url); 404 unknown id
      DELETE /v3/webhooks/{id}                204, 404 unknown id
      POST   /v3/webhooks/activate|deactivate 200, 204 none
    While a webhook is active, new data (/_sim/users/{u}/night, /exercise,
    /physical-info) is announced to it: POST url with the event JSON,
    Polar-Webhook-Event and Polar-Webhook-Signature (hex HMAC-SHA256 of
    the body with the secret), from a background thread.
    Every /v3 response carries RateLimit-Usage, RateLimit-Limit and
    RateLimit-Reset ("short, long"); windows are fixed, per client,
    start at the first request, and count every request.

CONTROL
    JSON over HTTP under /_sim/ (not rate limited, not counted):
      GET    /_sim/health                 {"ok":true}
      GET    /_sim/state                  today, variant, quirks, limits, faults
      GET    /_sim/users                  users (index, user_id, registered,...)
      POST   /_sim/users                  {"days":D,"register":bool,"token":bool,
                                           "physical_info":bool}
                                           -> {index,user_id,code[,access_token]}
      POST   /_sim/users/{u}/code         -> {"code"}  (u = index or user id)
      POST   /_sim/users/{u}/token        {"register":bool} -> {access_token,..}
      POST   /_sim/users/{u}/register     register without a token
      POST   /_sim/users/{u}/night        {"date"?} force a night (default
                                           today; re-generates if present)
      POST   /_sim/users/{u}/exercise     {"sport":run|bike|walk|swim|strength|
                                           yoga,"intensity","minutes","rr":
                                           bool}: an exercise uploaded "now"
                                           (rr: with RR samples, type 11,
                                           whatever the device)
      POST   /_sim/users/{u}/consents     {"ok":false} -> 403 everywhere
      POST   /_sim/users/{u}/physical-info {"present":false} -> 404
      POST   /_sim/revoke                 {"token":T} or {"user":u}
      GET    /_sim/faults                 list
      POST   /_sim/faults                 {"spec":"..."} or {"specs":[...]}
      DELETE /_sim/faults                 clear all
      GET    /_sim/patches                list
      POST   /_sim/patches                {"glob", "where"?, "set"?, "delete"?,
                                           "status"?, "body"?, "body_hex"?,
                                           "grow"?, "count"?}: rewrite /v3
                                           answers (see PATCHES)
      DELETE /_sim/patches                clear all
      GET    /_sim/stats                  {total, by_pattern, by_path, by_status}
      DELETE /_sim/stats                  reset counters (also POST .../reset)
      GET    /_sim/ratelimit              windows, usage, limits
      POST   /_sim/ratelimit              {"limit_15m":N|null,"limit_24h":N|null,
                                           "reset":true,"retry_after":bool}
      POST   /_sim/today                  {"today":"YYYY-MM-DD"} or {"advance":N}
      POST   /_sim/variant                {"variant":"spec"|"live",
                                           "quirks":{K:V}}
      GET    /_sim/webhooks               {webhook (with its secret),
                                           deliveries:[{event,user_id,
                                           status,ms,at}], sent, failed}
      POST   /_sim/webhooks/send          {"user":u,"event":E,"date"?,
                                           "entity_id"?,"timestamp"?,
                                           "bad_signature":bool} -> sends
                                           now, answers {status, body,
                                           signature}
      DELETE /_sim/webhooks/deliveries    forget the delivery log
      POST   /_sim/shutdown               stop the server

FAULTS
    SPEC is KIND[:GLOB[:ARG[:COUNT]]]
      GLOB   fnmatch pattern on the request path (no query), default "*";
             "*" also matches "/".  Example: /v3/users/sleep*
      COUNT  the fault expires after COUNT matching requests (default: never)
    KIND and ARG:
      5xx, 500, 502, 503, 504   respond with that status (5xx = 500);
                               ARG = probability 0..1 (default 1)
      slow          delay the response ARG ms (default 2000)
      timeout       accept the request and never answer (the connection is
                    closed after --hang-seconds)
      malformed     200 with an invalid JSON body; ARG = probability
      truncated     full Content-Length, half the body, then close
      extra-fields  add unexpected keys to every JSON object
      missing-fields  drop optional keys (device_id, calories, distance,
                    heart_rate, training_load_pro, hypnogram, samples ...)
      revoked       after ARG matching calls (default 0) revoke the caller's
                    token; it and later calls get 401
      403           consents missing (403)
      429-burst     the next ARG matching requests (default 5) get 429
      header        ARG = NAME=VALUE: the response (any status, a fault's
                    too) carries that header, replacing one of that name
                    (e.g. Retry-After=99999999999999999 with 429-burst)
    Probabilistic faults draw from a generator seeded by --seed.

PATCHES
    A patch rewrites the answers of /v3 paths matching GLOB (fnmatch, no
    query), in the order given, for COUNT answers (default: all):
      status     answer this status with an empty body
      body       answer 200 (or status) with this text as the body
      body_hex   the same with raw bytes (hex), e.g. invalid UTF-8
      where      {K: V}: only JSON objects (at any depth) holding all these
                 values are changed; without it, every object with a key
                 named in set or delete
      set        {K: V}: keys set in those objects
      delete     [K]: keys removed from those objects
      grow       {"key": K, "bytes": N}: repeat the items of every array K
                 until the body is at least N bytes

EXAMPLES
    polarsim.py --users 3 --days 120 --seed 7 --port 8111
    curl -si 'http://127.0.0.1:8111/oauth2/authorization?response_type=code&client_id=polarsim-client&redirect_uri=http://localhost/cb&state=xyz&user=0'
    curl -s -u polarsim-client:polarsim-secret -d grant_type=authorization_code -d code=CODE -d redirect_uri=http://localhost/cb http://127.0.0.1:8111/v2/oauth2/token
    curl -s -H "Authorization: Bearer TOKEN" -H 'Content-Type: application/json' -d '{"member-id":"u1"}' http://127.0.0.1:8111/v3/users
    curl -s -H "Authorization: Bearer TOKEN" http://127.0.0.1:8111/v3/users/sleep
    polarsim.py --fault '503:/v3/users/sleep*:0.2' --fault 'slow:/v3/exercises/*:1500'
    curl -s -X POST -d '{"users":1}' http://127.0.0.1:8111/_sim/users
"""

PRESETS = {
    "spec": {"cardio_level_key": "very-high", "chr_range": "single",
             "inactivity_stamps": "array", "register_status": "200",
             "test_time": "s", "activity_start": "datetime"},
    "live": {"cardio_level_key": "very_high", "chr_range": "wrapper",
             "inactivity_stamps": "samples", "register_status": "201",
             "test_time": "ms", "activity_start": "datetime"},
}

JSON_CT = "application/json;charset=UTF-8"
REASONS = {200: "OK", 201: "Created", 204: "No Content", 302: "Found",
           400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
           411: "Length Required", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OPTIONAL_KEYS = ("device_id", "calories", "distance", "heart_rate", "training_load",
                 "training_load_pro", "hypnogram", "heart_rate_samples", "hrv_samples",
                 "breathing_samples", "altitude_meters", "samples", "quality_measurements",
                 "first-name", "last-name", "weight", "height", "running-index",
                 "fat_percentage", "carbohydrate_percentage", "protein_percentage",
                 "vo2_max", "sleep_goal", "pulse_transit_time_systolic_ms")


class HTTPError(Exception):
    def __init__(self, status, body=b"", ctype=JSON_CT):
        Exception.__init__(self, status)
        self.status, self.body, self.ctype = status, body, ctype


class Resp:
    __slots__ = ("status", "body", "ctype", "headers", "delay", "hang", "truncate", "gz")

    def __init__(self, status, body=b"", ctype=JSON_CT, headers=None):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or []
        self.delay = 0.0
        self.hang = False
        self.truncate = False
        self.gz = None


def jbytes(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def parse_day(s):
    if not s or not DATE_RE.match(s):
        raise HTTPError(400)
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise HTTPError(400)


def flag(q, name):
    v = q.get(name)
    return bool(v) and v[0].lower() == "true"


def days_between(a, b):
    d = a
    while d <= b:
        yield d
        d += timedelta(days=1)


# ---------------------------------------------------------------------------
# Fault injection

class Fault:
    KINDS = ("5xx", "500", "502", "503", "504", "slow", "timeout", "malformed",
             "truncated", "extra-fields", "missing-fields", "revoked", "403", "429-burst",
             "header")

    def __init__(self, spec):
        parts = spec.split(":")
        # a glob may not contain ':'; "http://" never appears in a path
        self.spec = spec
        self.kind = parts[0].strip().lower()
        if self.kind not in self.KINDS:
            raise ValueError("unknown fault kind %r" % self.kind)
        self.glob = parts[1] if len(parts) > 1 and parts[1] not in ("", "all") else "*"
        self.arg = parts[2] if len(parts) > 2 and parts[2] != "" else None
        self.count = int(parts[3]) if len(parts) > 3 and parts[3] != "" else None
        if len(parts) > 4:
            raise ValueError("too many fields in fault spec %r" % spec)
        self.prob = 1.0
        if self.kind in ("5xx", "500", "502", "503", "504", "malformed") and self.arg:
            self.prob = float(self.arg)
        if self.kind == "429-burst":
            self.count = int(self.arg or 5) if self.count is None else self.count
        self.after = int(self.arg or 0) if self.kind == "revoked" else 0
        self.ms = float(self.arg or 2000) if self.kind == "slow" else 0
        if self.kind == "header" and "=" not in (self.arg or ""):
            raise ValueError("fault %r: header wants NAME=VALUE" % spec)
        self.hits = 0

    def as_dict(self):
        return {"spec": self.spec, "kind": self.kind, "glob": self.glob, "arg": self.arg,
                "remaining": self.count, "hits": self.hits}


# ---------------------------------------------------------------------------
# Rate limiting (per client, fixed windows starting at the first request)

class RateLimiter:
    def __init__(self, lim15=None, lim24=None):
        self.o15, self.o24 = lim15, lim24
        self.reset()

    def reset(self):
        self.s15 = self.s24 = None
        self.u15 = self.u24 = 0

    def limits(self, nreg):
        return (self.o15 if self.o15 is not None else 500 + 20 * nreg,
                self.o24 if self.o24 is not None else 5000 + 100 * nreg)

    def hit(self, nreg, now):
        if self.s15 is None or now - self.s15 >= 900:
            self.s15, self.u15 = now, 0
        if self.s24 is None or now - self.s24 >= 86400:
            self.s24, self.u24 = now, 0
        self.u15 += 1
        self.u24 += 1
        l15, l24 = self.limits(nreg)
        r15 = max(0, int(math.ceil(900 - (now - self.s15))))
        r24 = max(0, int(math.ceil(86400 - (now - self.s24))))
        hdrs = [("RateLimit-Usage", "%d, %d" % (self.u15, self.u24)),
                ("RateLimit-Limit", "%d, %d" % (l15, l24)),
                ("RateLimit-Reset", "%d, %d" % (r15, r24))]
        over = self.u15 > l15 or self.u24 > l24
        return hdrs, over, (r15 if self.u15 > l15 else r24)

    def state(self, nreg, now):
        l15, l24 = self.limits(nreg)
        return {"usage_15m": self.u15, "usage_24h": self.u24, "limit_15m": l15, "limit_24h": l24,
                "reset_15m": None if self.s15 is None else max(0, int(900 - (now - self.s15))),
                "reset_24h": None if self.s24 is None else max(0, int(86400 - (now - self.s24)))}


# ---------------------------------------------------------------------------
# FIT / TCX / GPX exports

_FIT_CRC = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
            0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]


def fit_crc(data, crc=0):
    for b in data:
        tmp = _FIT_CRC[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _FIT_CRC[b & 0xF]
        tmp = _FIT_CRC[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _FIT_CRC[(b >> 4) & 0xF]
    return crc


def make_fit(user, ex, parts):
    """A small but valid FIT activity: file_id, then one record per 10 s."""
    fit_epoch = datetime(1989, 12, 31)
    t0 = int((ex["start"] - timedelta(minutes=user.tz) - fit_epoch).total_seconds())
    recs = bytearray()
    # definition: local 0 = file_id(0): type enum, manufacturer u16, product u16, time_created u32, serial u32z
    recs += bytes([0x40, 0, 0]) + struct.pack("<HB", 0, 5) + bytes([0, 1, 0x00, 1, 2, 0x84, 2, 2, 0x84,
                                                                  4, 4, 0x86, 3, 4, 0x8C])
    recs += bytes([0x00]) + struct.pack("<BHHII", 4, 123, 230, t0, int(user.device_id, 16))
    # definition: local 1 = record(20): timestamp u32 (253), heart_rate u8 (3)
    recs += bytes([0x41, 0, 0]) + struct.pack("<HB", 20, 2) + bytes([253, 4, 0x86, 3, 1, 0x02])
    hr = parts["hr"] or [0]
    for t in range(0, ex["dur"], 10):
        recs += bytes([0x01]) + struct.pack("<IB", t0 + t, min(255, hr[min(t, len(hr) - 1)]))
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(recs), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    body = header + bytes(recs)
    return body + struct.pack("<H", fit_crc(body))


def make_tcx(user, ex, parts):
    start_utc = ex["start"] - timedelta(minutes=user.tz)
    ts = start_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    sport = {"RUNNING": "Running", "CYCLING": "Biking"}.get(ex["sport"], "Other")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">',
           '<Activities><Activity Sport="%s"><Id>%s</Id><Lap StartTime="%s">' % (sport, ts, ts),
           '<TotalTimeSeconds>%d</TotalTimeSeconds><DistanceMeters>%s</DistanceMeters>'
           % (ex["dur"], ex.get("distance", 0.0)),
           '<Calories>%d</Calories>' % ex["kcal"]]
    if not ex["no_hr"]:
        out.append('<AverageHeartRateBpm><Value>%d</Value></AverageHeartRateBpm>'
                   '<MaximumHeartRateBpm><Value>%d</Value></MaximumHeartRateBpm>' % (ex["hr_avg"], ex["hr_max"]))
    out.append('<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>')
    hr, route = parts["hr"], parts["route"]
    for t in range(0, ex["dur"], 1):
        p = ['<Trackpoint><Time>%s</Time>' % (start_utc + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.000Z")]
        if route:
            pt = route[min(t, len(route) - 1)]
            p.append('<Position><LatitudeDegrees>%s</LatitudeDegrees><LongitudeDegrees>%s</LongitudeDegrees></Position>'
                     % (pt["latitude"], pt["longitude"]))
        if hr:
            p.append('<HeartRateBpm><Value>%d</Value></HeartRateBpm>' % hr[min(t, len(hr) - 1)])
        p.append('</Trackpoint>')
        out.append("".join(p))
    out.append('</Track></Lap><Creator xsi:type="Device_t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
               '<Name>%s</Name></Creator></Activity></Activities></TrainingCenterDatabase>' % user.device)
    return "\n".join(out).encode()


def make_gpx(user, ex, parts):
    start_utc = ex["start"] - timedelta(minutes=user.tz)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gpx version="1.1" creator="Polar Flow" xmlns="http://www.topografix.com/GPX/1/1">',
           '<metadata><time>%s</time></metadata>' % start_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
           '<trk><name>%s</name><trkseg>' % ex["detailed"]]
    for i, pt in enumerate(parts["route"]):
        out.append('<trkpt lat="%s" lon="%s"><time>%s</time></trkpt>' % (
            pt["latitude"], pt["longitude"],
            (start_utc + timedelta(seconds=i + 1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")))
    out.append('</trkseg></trk></gpx>')
    return "\n".join(out).encode()


# ---------------------------------------------------------------------------
# The simulator

class Sim:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.basic_ok = "Basic " + base64.b64encode(
            ("%s:%s" % (args.client_id, args.client_secret)).encode()).decode()
        self.redirect_uris = list(args.redirect_uri or [])
        self.today = date.fromisoformat(args.today) if args.today else datetime.utcnow().date()
        self.quirks = dict(PRESETS[args.variant])
        self.variant = args.variant
        for q in args.quirk or []:
            k, _, v = q.partition("=")
            self.quirks[k.strip()] = v.strip()
        self.users = []
        self.by_id = {}
        for i in range(args.users):
            self.new_user(args.days)
        self.tokens = {}          # token -> {"user": User, "code": str, "revoked": bool}
        self.codes = {}           # code -> dict
        self.faults = [Fault(s) for s in (args.fault or [])]
        self.patches = []
        self.frng = random.Random("faults|%s" % self.seed)
        self.rl = RateLimiter(args.rate_limit_15m, args.rate_limit_24h)
        self.retry_after = args.retry_after
        self.cache = collections.OrderedDict()
        self.cache_bytes = 0
        self.cache_max = 256 << 20
        self.stats_reset()
        self.transactions = {}    # (user_id) -> open transaction dict
        self.committed = {}       # user_id -> set of exercise ids delivered via transactions
        self.next_tid = 9000
        self.webhook = None       # {id, events, url, secret, active}
        self.hook_log = []        # deliveries: {event, user_id, status, ms, at}
        self.hook_lock = threading.Lock()
        self.routes = self.build_routes()
        self.stop = None
        if args.register_all:
            for u in self.users:
                self.register(u, str(u.user_id))
        if args.state_file and os.path.exists(args.state_file):
            self.load_state(args.state_file)

    # ---- users and tokens -----------------------------------------------
    def new_user(self, days):
        i = len(self.users)
        u = User(self.seed, i, self.today - timedelta(days=max(1, days) - 1), self.quirks)
        while u.user_id in self.by_id:
            u.user_id += 1
        self.users.append(u)
        self.by_id[u.user_id] = u
        return u

    def find_user(self, ref):
        try:
            n = int(ref)
        except (TypeError, ValueError):
            return None
        if 0 <= n < len(self.users):
            return self.users[n]
        return self.by_id.get(n)

    def nreg(self):
        return sum(1 for u in self.users if u.registered)

    def sim_now_utc(self):
        now = datetime.utcnow()
        return datetime.combine(self.today, now.time()).replace(microsecond=0)

    def register(self, u, member_id):
        u.registered = True
        u.member_id = member_id
        u.registration_date = self.sim_now_utc().strftime("%Y-%m-%dT%H:%M:%S") + ".000Z"
        u.reg_time = self.sim_now_utc()
        u.reg_rev = getattr(u, "reg_rev", 0) + 1

    def issue_code(self, u, redirect_uri=None):
        code = secrets.token_hex(16)
        self.codes[code] = {"user": u, "redirect_uri": redirect_uri, "expires": time.monotonic() + 600,
                            "used": False, "tokens": []}
        return code

    def issue_token(self, u, code=None):
        tok = secrets.token_hex(16)
        self.tokens[tok] = {"user": u, "code": code, "revoked": False}
        if code:
            self.codes[code]["tokens"].append(tok)
        self.save_state()
        return tok

    def revoke_user(self, u):
        for t in self.tokens.values():
            if t["user"] is u:
                t["revoked"] = True

    # ---- state file -------------------------------------------------------
    def save_state(self):
        path = self.args.state_file
        if not path:
            return
        st = {"today": self.today.isoformat(), "users": [], "tokens": {}}
        for u in self.users:
            st["users"].append({"registered": u.registered, "member_id": u.member_id,
                                "registration_date": u.registration_date,
                                "consents_ok": u.consents_ok, "physical_info": u.physical_info,
                                "data_start": u.data_start.isoformat(),
                                "extra_nights": {k.isoformat(): v for k, v in u.extra_nights.items()},
                                "extra_exercises": getattr(u, "extra_params", [])})
        for t, v in self.tokens.items():
            st["tokens"][t] = {"user": v["user"].index, "revoked": v["revoked"]}
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.replace(tmp, path)

    def load_state(self, path):
        with open(path) as f:
            st = json.load(f)
        self.today = date.fromisoformat(st["today"])
        for i, us in enumerate(st["users"]):
            while i >= len(self.users):
                self.new_user(self.args.days)
            u = self.users[i]
            u.data_start = date.fromisoformat(us["data_start"])
            u.registered = us["registered"]
            u.member_id = us["member_id"]
            u.registration_date = us["registration_date"]
            if u.registration_date:
                u.reg_time = datetime.strptime(u.registration_date[:19], "%Y-%m-%dT%H:%M:%S")
            u.consents_ok = us["consents_ok"]
            u.physical_info = us["physical_info"]
            u.extra_nights = {date.fromisoformat(k): v for k, v in us["extra_nights"].items()}
            for p in us.get("extra_exercises", []):
                self.add_exercise(u, p, save=False)
            u.invalidate()
        for t, v in st["tokens"].items():
            self.tokens[t] = {"user": self.users[v["user"]], "code": None, "revoked": v["revoked"]}

    def add_exercise(self, u, p, save=True):
        now_local = datetime.strptime(p["now_local"], "%Y-%m-%dT%H:%M:%S")
        rec = u.add_exercise_now(now_local, p.get("sport", "run"), p.get("intensity", "easy"),
                                 int(p.get("minutes", 45)), bool(p.get("rr", False)))
        if not hasattr(u, "extra_params"):
            u.extra_params = []
        u.extra_params.append(p)
        if save:
            self.save_state()
        return rec

    # ---- stats ------------------------------------------------------------
    def stats_reset(self):
        self.st_total = 0
        self.st_pattern = collections.Counter()
        self.st_path = collections.Counter()
        self.st_status = collections.Counter()

    # ---- response cache ---------------------------------------------------
    def cache_get(self, key):
        v = self.cache.get(key)
        if v is not None:
            self.cache.move_to_end(key)
        return v

    def cache_put(self, key, resp):
        size = len(resp.body) + 200
        self.cache[key] = resp
        self.cache_bytes += size
        while self.cache_bytes > self.cache_max and self.cache:
            _, old = self.cache.popitem(last=False)
            self.cache_bytes -= len(old.body) + 200 + (len(old.gz) if old.gz else 0)

    def clear_cache(self):
        self.cache.clear()
        self.cache_bytes = 0

    # ---- routing ------------------------------------------------------------
    def build_routes(self):
        R = []

        def add(method, pattern, template, fn, auth="reg", cache=True):
            R.append((method, re.compile("^" + pattern + "$"), template, fn, auth, cache))
        D = r"([^/]+)"
        add("POST", r"/v3/users/?", "POST /v3/users", self.h_register, "token", False)
        add("GET", r"/v3/users/physical-info", "GET /v3/users/physical-info", self.h_physical)
        add("GET", r"/v3/users/activities/?", "GET /v3/users/activities", self.h_activities)
        add("GET", r"/v3/users/activities/samples/?", "GET /v3/users/activities/samples", self.h_act_samples)
        add("GET", r"/v3/users/activities/samples/" + D, "GET /v3/users/activities/samples/{date}",
            self.h_act_samples_date)
        add("GET", r"/v3/users/activities/" + D, "GET /v3/users/activities/{date}", self.h_activity_date)
        add("GET", r"/v3/users/continuous-heart-rate/?", "GET /v3/users/continuous-heart-rate", self.h_chr_range)
        add("GET", r"/v3/users/continuous-heart-rate/" + D, "GET /v3/users/continuous-heart-rate/{date}",
            self.h_chr_date)
        add("GET", r"/v3/users/cardio-load/?", "GET /v3/users/cardio-load", self.h_cardio)
        add("GET", r"/v3/users/cardio-load/date", "GET /v3/users/cardio-load/date", self.h_cardio_range)
        add("GET", r"/v3/users/cardio-load/period/days/" + D, "GET /v3/users/cardio-load/period/days/{days}",
            self.h_cardio_days)
        add("GET", r"/v3/users/cardio-load/period/months/" + D,
            "GET /v3/users/cardio-load/period/months/{months}", self.h_cardio_months)
        add("GET", r"/v3/users/cardio-load/" + D, "GET /v3/users/cardio-load/{date}", self.h_cardio_date)
        add("GET", r"/v3/users/sleepwise/alertness/?", "GET /v3/users/sleepwise/alertness", self.h_alertness)
        add("GET", r"/v3/users/sleepwise/alertness/date", "GET /v3/users/sleepwise/alertness/date",
            self.h_alertness_range)
        add("GET", r"/v3/users/sleepwise/circadian-bedtime/?", "GET /v3/users/sleepwise/circadian-bedtime",
            self.h_bedtime)
        add("GET", r"/v3/users/sleepwise/circadian-bedtime/date",
            "GET /v3/users/sleepwise/circadian-bedtime/date", self.h_bedtime_range)
        add("GET", r"/v3/users/biosensing/(bodytemperature|skintemperature|skincontacts|ecg|spo2)/?",
            "GET /v3/users/biosensing/{kind}", self.h_biosensing)
        add("GET", r"/v3/users/sleep/?", "GET /v3/users/sleep", self.h_sleep)
        add("GET", r"/v3/users/sleep/available", "GET /v3/users/sleep/available", self.h_sleep_available)
        add("GET", r"/v3/users/sleep/" + D, "GET /v3/users/sleep/{date}", self.h_sleep_date)
        add("GET", r"/v3/users/nightly-recharge/?", "GET /v3/users/nightly-recharge", self.h_recharge)
        add("GET", r"/v3/users/nightly-recharge/" + D, "GET /v3/users/nightly-recharge/{date}",
            self.h_recharge_date)
        add("GET", r"/v3/exercises/?", "GET /v3/exercises", self.h_exercises)
        add("GET", r"/v3/exercises/([A-Za-z0-9]+)", "GET /v3/exercises/{id}", self.h_exercise)
        add("GET", r"/v3/exercises/([A-Za-z0-9]+)/(fit|tcx|gpx)", "GET /v3/exercises/{id}/{format}",
            self.h_exercise_file)
        add("GET", r"/v3/notifications/?", "GET /v3/notifications", self.h_notifications, "basic", False)
        T = r"/v3/users/(\d+)/exercise-transactions"
        add("POST", T, "POST /v3/users/{user-id}/exercise-transactions", self.h_tx_create, "reg", False)
        add("GET", T + r"/(\d+)", "GET /v3/users/{user-id}/exercise-transactions/{tid}", self.h_tx_list,
            "reg", False)
        add("PUT", T + r"/(\d+)", "PUT /v3/users/{user-id}/exercise-transactions/{tid}", self.h_tx_commit,
            "reg", False)
        add("GET", T + r"/(\d+)/exercises/([A-Za-z0-9]+)(/heart-rate-zones|/samples|/samples/\d+)?",
            "GET /v3/users/{user-id}/exercise-transactions/{tid}/exercises/{eid}[/...]", self.h_tx_exercise,
            "reg", False)
        add("POST", r"/v3/webhooks/?", "POST /v3/webhooks", self.h_hook_create, "basic", False)
        add("GET", r"/v3/webhooks/?", "GET /v3/webhooks", self.h_hook_get, "basic", False)
        add("POST", r"/v3/webhooks/(activate|deactivate)", "POST /v3/webhooks/{activate|deactivate}",
            self.h_hook_activate, "basic", False)
        add("PATCH", r"/v3/webhooks/([^/]+)", "PATCH /v3/webhooks/{id}", self.h_hook_patch, "basic", False)
        add("DELETE", r"/v3/webhooks/([^/]+)", "DELETE /v3/webhooks/{id}", self.h_hook_delete, "basic", False)
        add("GET", r"/v3/users/(\d+)", "GET /v3/users/{user-id}", self.h_user_get, "token", False)
        add("DELETE", r"/v3/users/(\d+)", "DELETE /v3/users/{user-id}", self.h_user_delete, "token", False)
        exact = {}
        for r in R:
            pat = r[1].pattern
            if "(" not in pat:
                for p in ([pat[1:-3], pat[1:-3] + "/"] if pat.endswith("/?$") else [pat[1:-1]]):
                    exact.setdefault((r[0], p), r)
        self.exact = exact
        return R

    def route(self, method, path):
        r = self.exact.get((method, path))
        if r is not None:
            return r, ()
        any_method = False
        for r in self.routes:
            m = r[1].match(path)
            if m:
                if r[0] == method:
                    return r, m.groups()
                any_method = True
        return (None, "405" if any_method else None)

    # ---- main entry -------------------------------------------------------
    def handle(self, method, target, headers, body):
        sp = urlsplit(target)
        path = sp.path
        if path.startswith("/_sim/") or path == "/_sim":
            try:
                return self.control(method, path, parse_qs(sp.query), body)
            except HTTPError as e:
                return Resp(e.status, e.body)
            except (ValueError, KeyError, TypeError) as e:
                return Resp(400, jbytes({"error": str(e)}))
        self.st_total += 1
        self.st_path[method + " " + path] += 1
        if path.startswith("/v3"):
            resp = self.set_headers(path, self.handle_v3(method, path, sp.query, headers))
        elif path == "/oauth2/authorization":
            self.st_pattern["GET /oauth2/authorization"] += 1
            resp = self.apply_faults(path, headers, None) or self.h_authorize(method, parse_qs(sp.query))
        elif path == "/v2/oauth2/token":
            self.st_pattern["POST /v2/oauth2/token"] += 1
            resp = self.apply_faults(path, headers, None) or self.h_token(method, headers, body)
        else:
            self.st_pattern["(unknown)"] += 1
            resp = Resp(404)
        self.st_status[resp.status] += 1
        return resp

    def handle_v3(self, method, path, query, headers):
        r, groups = self.route(method, path)
        self.st_pattern[r[2] if r else "%s (unmatched)" % method] += 1
        rl_headers, over, reset = self.rl.hit(self.nreg(), time.monotonic())
        if over:
            return self.too_many(rl_headers, reset)
        resp = self.apply_faults(path, headers, rl_headers)
        if resp is not None and not isinstance(resp, tuple):
            resp.headers = rl_headers + resp.headers
            return resp
        post = resp  # (mutating-fault list) or None
        try:
            resp = self.dispatch_v3(r, groups, method, path, query, headers)
        except HTTPError as e:
            resp = Resp(e.status, e.body, e.ctype)
        if post:
            resp = self.post_faults(post, resp)
        resp = self.apply_patches(path, resp)
        if resp.headers:
            resp = self.copy_resp(resp)
            resp.headers = rl_headers + resp.headers
        else:
            resp = self.copy_resp(resp)
            resp.headers = rl_headers
        return resp

    @staticmethod
    def copy_resp(r):
        n = Resp(r.status, r.body, r.ctype, list(r.headers))
        n.gz = r.gz
        n.delay, n.hang, n.truncate = r.delay, r.hang, r.truncate
        return n

    def too_many(self, rl_headers, reset):
        h = list(rl_headers)
        if self.retry_after:
            h.append(("Retry-After", str(reset)))
        return Resp(429, b"", JSON_CT, h)

    def auth_user(self, headers):
        a = headers.get("authorization", "")
        if not a[:7].lower() == "bearer ":
            raise HTTPError(401)
        t = self.tokens.get(a[7:].strip())
        if t is None or t["revoked"]:
            raise HTTPError(401)
        return t["user"]

    def dispatch_v3(self, r, groups, method, path, query, headers):
        if r is None:
            if groups == "405":
                raise HTTPError(405)
            # unknown path: still needs auth first, like the real API
            self.auth_user(headers)
            raise HTTPError(404)
        _, _, template, fn, auth, cacheable = r
        if auth == "basic":
            if headers.get("authorization", "") != self.basic_ok:
                raise HTTPError(401)
            return fn(None, groups, parse_qs(query), headers)
        u = self.auth_user(headers)
        if not u.consents_ok:
            raise HTTPError(403)
        if auth == "reg" and not u.registered:
            raise HTTPError(403)
        if not cacheable:
            return fn(u, groups, parse_qs(query), headers)
        key = (u.index, u.rev, getattr(u, "reg_rev", 0), self.today, path, query)
        resp = self.cache_get(key)
        if resp is None:
            try:
                resp = fn(u, groups, parse_qs(query), headers)
            except HTTPError as e:
                resp = Resp(e.status, e.body, e.ctype)
            self.cache_put(key, resp)
        return resp

    # ---- faults -------------------------------------------------------------
    def apply_faults(self, path, headers, rl_headers):
        """Returns a Resp (fault answer), a list of post-processing faults, or None."""
        post = []
        delay = 0.0
        for f in list(self.faults):
            if f.kind == "header" or not fnmatch.fnmatchcase(path, f.glob):
                continue
            if f.prob < 1.0 and self.frng.random() >= f.prob:
                continue
            self.spend(f)
            k = f.kind
            if k in ("5xx", "500", "502", "503", "504"):
                st = 500 if k == "5xx" else int(k)
                return Resp(st, jbytes({"timestamp": self.sim_now_utc().isoformat() + "Z", "status": st,
                                        "errorType": "INTERNAL_ERROR", "message": "simulated failure",
                                        "corrId": secrets.token_hex(8)}))
            if k == "403":
                return Resp(403)
            if k == "429-burst":
                h = []
                if self.retry_after:
                    h.append(("Retry-After", "60"))
                return Resp(429, b"", JSON_CT, h)
            if k == "timeout":
                r = Resp(200)
                r.hang = True
                return r
            if k == "revoked":
                if f.hits > f.after:
                    a = headers.get("authorization", "")
                    t = self.tokens.get(a[7:].strip())
                    if t:
                        t["revoked"] = True
                        self.save_state()
            elif k == "slow":
                delay += f.ms / 1000.0
            else:
                post.append(k)
        if delay:
            post.append(("slow", delay))
        return tuple(post) if post else None

    def spend(self, f):
        """f applies once more: counted, and gone when its count is used."""
        f.hits += 1
        if f.count is not None:
            f.count -= 1
            if f.count <= 0:
                self.faults.remove(f)

    def set_headers(self, path, resp):
        """The "header" faults: NAME=VALUE replaces or adds a header."""
        for f in list(self.faults):
            if f.kind != "header" or not fnmatch.fnmatchcase(path, f.glob):
                continue
            self.spend(f)
            name, value = f.arg.split("=", 1)
            resp = self.copy_resp(resp)     # never the cached one
            resp.headers = [(k, v) for k, v in resp.headers
                            if k.lower() != name.lower()] + [(name, value)]
        return resp

    def post_faults(self, post, resp):
        resp = self.copy_resp(resp)
        for k in post:
            if isinstance(k, tuple):
                resp.delay = k[1]
            elif resp.status != 200 or not resp.ctype.startswith("application/json"):
                continue
            elif k == "malformed":
                resp.body = resp.body[: max(1, len(resp.body) // 3)] + b'}{"unexpected token'
                resp.gz = None
            elif k == "truncated":
                resp.truncate = True
                resp.gz = None
            elif k in ("extra-fields", "missing-fields"):
                obj = json.loads(resp.body)
                obj = self.mutate(obj, k == "extra-fields", random.Random(len(resp.body)))
                resp.body = jbytes(obj)
                resp.gz = None
        return resp

    def apply_patches(self, path, resp):
        for p in list(self.patches):
            if not fnmatch.fnmatchcase(path, p["glob"]):
                continue
            if p.get("count") is not None:
                p["count"] -= 1
                if p["count"] <= 0:
                    self.patches.remove(p)
            p["hits"] = p.get("hits", 0) + 1
            if "body" in p or "body_hex" in p:
                body = bytes.fromhex(p["body_hex"]) if "body_hex" in p else p["body"].encode()
                resp = Resp(int(p.get("status", 200)), body)
                continue
            if "status" in p:
                resp = Resp(int(p["status"]), b"")
                continue
            if resp.status != 200 or not resp.ctype.startswith("application/json"):
                continue
            obj = self.patch_obj(json.loads(resp.body), p)
            body = jbytes(obj)
            if p.get("grow"):
                body = self.grow(obj, p["grow"]["key"], int(p["grow"]["bytes"]), len(body))
            resp = self.copy_resp(resp)
            resp.body = body
            resp.gz = None
        return resp

    def patch_obj(self, obj, p):
        if isinstance(obj, list):
            return [self.patch_obj(v, p) for v in obj]
        if not isinstance(obj, dict):
            return obj
        out = {k: self.patch_obj(v, p) for k, v in obj.items()}
        where = p.get("where")
        if where is not None:
            hit = all(k in out and out[k] == v for k, v in where.items())
        else:
            hit = any(k in out for k in list(p.get("set", {})) + list(p.get("delete", [])))
        if hit:
            for k in p.get("delete", []):
                out.pop(k, None)
            out.update(p.get("set", {}))
        return out

    @staticmethod
    def grow(obj, key, want, have):
        arrays = []

        def find(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k == key and isinstance(v, list) and v:
                        arrays.append(v)
                    else:
                        find(v)
            elif isinstance(o, list):
                for v in o:
                    find(v)
        find(obj)
        if not arrays:
            return jbytes(obj)
        per = sum(len(jbytes(a)) for a in arrays)
        times = max(1, -(-max(0, want - have) // max(1, per)) + 1)
        for a in arrays:
            a[:] = a * times
        return jbytes(obj)

    def mutate(self, obj, extra, r):
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                if not extra and k in OPTIONAL_KEYS:
                    continue
                out[k] = self.mutate(v, extra, r)
            if extra:
                out["x_sim_unexpected"] = r.choice([None, 0, "surprise", [], {"nested": True}])
                out["future-field"] = r.randrange(1000)
            return out
        if isinstance(obj, list):
            return [self.mutate(v, extra, r) for v in obj]
        return obj

    # ---- OAuth2 ---------------------------------------------------------------
    def h_authorize(self, method, q):
        if method != "GET":
            return Resp(405)
        g = lambda k: q.get(k, [None])[0]
        client_id, redirect_uri, state = g("client_id"), g("redirect_uri"), g("state")
        if client_id != self.client_id:
            return Resp(400, jbytes({"error": "unauthorized_client"}))
        if redirect_uri is None:
            if not self.redirect_uris:
                return Resp(400, jbytes({"error": "invalid_request"}))
            target = self.redirect_uris[0]
        else:
            if self.redirect_uris and redirect_uri not in self.redirect_uris:
                return Resp(400, jbytes({"error": "invalid_request"}))
            target = redirect_uri

        def redirect(params):
            if state is not None:
                params["state"] = state
            sep = "&" if "?" in target else "?"
            return Resp(302, b"", "text/html", [("Location", target + sep + urlencode(params))])
        if g("response_type") != "code":
            return redirect({"error": "unsupported_response_type"})
        scope = g("scope")
        if scope is not None and scope != "accesslink.read_all":
            return redirect({"error": "invalid_scope"})
        if g("deny"):
            return redirect({"error": "access_denied"})
        u = self.find_user(g("user") or 0)
        if u is None:
            return redirect({"error": "access_denied"})
        return redirect({"code": self.issue_code(u, redirect_uri)})

    def h_token(self, method, headers, body):
        if method != "POST":
            return Resp(405)

        def err(code, status=400):
            return Resp(status, jbytes({"error": code}))
        if headers.get("authorization", "") != self.basic_ok:
            return err("invalid_client", self.args.invalid_client_status)
        try:
            form = parse_qs(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return err("invalid_request")
        g = lambda k: form.get(k, [None])[0]
        gt = g("grant_type")
        if gt is None:
            return err("invalid_request")
        if gt != "authorization_code":
            return err("unsupported_grant_type")
        code = g("code")
        if not code:
            return err("invalid_request")
        c = self.codes.get(code)
        if c is None:
            return err("invalid_grant")
        if c["used"]:
            for t in c["tokens"]:
                self.tokens[t]["revoked"] = True
            self.save_state()
            return err("invalid_grant")
        if time.monotonic() > c["expires"]:
            return err("invalid_grant")
        if c["redirect_uri"] is not None and g("redirect_uri") != c["redirect_uri"]:
            return err("invalid_grant")
        c["used"] = True
        tok = self.issue_token(c["user"], code)
        return Resp(200, jbytes({"access_token": tok, "token_type": "bearer", "expires_in": 315359999,
                                 "x_user_id": c["user"].user_id}))

    # ---- users ------------------------------------------------------------------
    def h_register(self, u, groups, q, headers):
        try:
            body = json.loads(self._body or b"null")
        except ValueError:
            raise HTTPError(400)
        if not isinstance(body, dict) or not isinstance(body.get("member-id"), str) or not body["member-id"]:
            raise HTTPError(400)
        if u.registered:
            raise HTTPError(409)
        mid = body["member-id"]
        if any(o.registered and o.member_id == mid for o in self.users):
            raise HTTPError(409)
        self.register(u, mid)
        self.save_state()
        return Resp(int(self.quirks.get("register_status", "200")), jbytes(u.user_obj()))

    def h_user_get(self, u, groups, q, headers):
        uid = int(groups[0])
        if uid != u.user_id:
            raise HTTPError(204 if uid not in self.by_id else 403)
        if not u.registered:
            raise HTTPError(204)
        return Resp(200, jbytes(u.user_obj()))

    def h_user_delete(self, u, groups, q, headers):
        uid = int(groups[0])
        if uid != u.user_id:
            raise HTTPError(403 if uid in self.by_id else 204)
        u.registered = False
        u.reg_rev = getattr(u, "reg_rev", 0) + 1
        self.revoke_user(u)
        self.save_state()
        return Resp(204)

    def h_physical(self, u, groups, q, headers):
        o = u.physical_obj()
        if o is None:
            raise HTTPError(404)
        return Resp(200, jbytes(o))

    # ---- window helpers ----------------------------------------------------------
    def last28(self):
        return self.today - timedelta(days=27), self.today

    def opt_range(self, q, required=False, maxdays=28, default=None):
        f, t = q.get("from", [None])[0], q.get("to", [None])[0]
        if f is None and t is None:
            if required:
                raise HTTPError(400)
            return default or self.last28()
        if f is None or t is None:
            raise HTTPError(400)
        a, b = parse_day(f), parse_day(t)
        if a > b or (maxdays is not None and (b - a).days > maxdays):
            raise HTTPError(400)
        return a, b

    def collect(self, fn, a, b):
        out = []
        for d in days_between(a, b):
            o = fn(d, self.today)
            if o is not None:
                out.append(o)
        return out

    # ---- activities ---------------------------------------------------------------
    def act_range(self, q):
        f, t = q.get("from", [None])[0], q.get("to", [None])[0]
        b = parse_day(t) if t is not None else self.today
        a = parse_day(f) if f is not None else b - timedelta(days=27)
        if a > b or (b - a).days > 28 or a < self.today - timedelta(days=365):
            raise HTTPError(400)
        return a, b

    def act_obj(self, u, d, q):
        o = u.activity_summary(d, self.today)
        if o is None:
            return None
        fs, fz, fi = flag(q, "steps"), flag(q, "activity_zones"), flag(q, "inactivity_stamps")
        if fs or fz or fi:
            o = dict(o)
            o["samples"] = u.activity_samples(d, self.today, fs, fz, fi)
        return o

    def h_activities(self, u, groups, q, headers):
        a, b = self.act_range(q)
        return Resp(200, jbytes(self.collect(lambda d, t: self.act_obj(u, d, q), a, b)))

    def h_activity_date(self, u, groups, q, headers):
        d = parse_day(groups[0])
        if d < self.today - timedelta(days=365):
            raise HTTPError(400)
        o = self.act_obj(u, d, q)
        if o is None:
            raise HTTPError(204)
        return Resp(200, jbytes(o))

    def h_act_samples(self, u, groups, q, headers):
        a, b = self.act_range(q)
        return Resp(200, jbytes(self.collect(u.activity_samples, a, b)))

    def h_act_samples_date(self, u, groups, q, headers):
        d = parse_day(groups[0])
        if d < self.today - timedelta(days=365):
            raise HTTPError(400)
        o = u.activity_samples(d, self.today)
        if o is None:
            raise HTTPError(204)
        return Resp(200, jbytes(o))

    # ---- continuous HR ---------------------------------------------------------------
    def h_chr_date(self, u, groups, q, headers):
        o = u.chr_obj(parse_day(groups[0]), self.today)
        if o is None:
            raise HTTPError(404)
        return Resp(200, jbytes(o))

    def h_chr_range(self, u, groups, q, headers):
        a, b = self.opt_range(q, required=True)
        days = self.collect(u.chr_obj, a, b)
        if self.quirks.get("chr_range") == "single":
            samples = []
            for o in days:
                samples.extend(o["heart_rate_samples"])
            return Resp(200, jbytes({"polar_user": u.polar_user, "date": ymd(a), "heart_rate_samples": samples}))
        return Resp(200, jbytes({"heart_rates": days}))

    # ---- cardio load -------------------------------------------------------------------
    def cardio_days(self, u, a, b, only_history=False):
        key = self.quirks.get("cardio_level_key", "very_high")
        out = []
        for d in days_between(a, b):
            if only_history and not u.in_history(d, self.today):
                continue
            out.append(u.cardio_obj(d, self.today, key))
        return out

    def h_cardio(self, u, groups, q, headers):
        a, b = self.last28()
        return Resp(200, jbytes(self.cardio_days(u, a, b, True)))

    def h_cardio_date(self, u, groups, q, headers):
        d = parse_day(groups[0])
        return Resp(200, jbytes(self.cardio_days(u, d, d)))

    def h_cardio_range(self, u, groups, q, headers):
        a, b = self.opt_range(q, required=True, maxdays=366)
        return Resp(200, jbytes(self.cardio_days(u, a, b)))

    def _posint(self, s, hi):
        if not s.isdigit() or not 1 <= int(s) <= hi:
            raise HTTPError(400)
        return int(s)

    def h_cardio_days(self, u, groups, q, headers):
        n = self._posint(groups[0], 365)
        return Resp(200, jbytes(self.cardio_days(u, self.today - timedelta(days=n - 1), self.today)))

    def h_cardio_months(self, u, groups, q, headers):
        n = self._posint(groups[0], 12)
        y, m = self.today.year, self.today.month - n
        while m < 1:
            m += 12
            y -= 1
        day = min(self.today.day, 28)
        a = date(y, m, day) + timedelta(days=1)
        return Resp(200, jbytes(self.cardio_days(u, a, self.today)))

    # ---- SleepWise -----------------------------------------------------------------------
    def h_alertness_range(self, u, groups, q, headers):
        self.opt_range(q, required=True)
        return self.h_alertness(u, groups, q, headers)

    def h_bedtime_range(self, u, groups, q, headers):
        self.opt_range(q, required=True)
        return self.h_bedtime(u, groups, q, headers)

    def h_alertness(self, u, groups, q, headers):
        a, b = self.opt_range(q)
        out = self.collect(u.alertness_obj, a, b)
        if not out:
            raise HTTPError(204)
        return Resp(200, jbytes(out))

    def h_bedtime(self, u, groups, q, headers):
        a, b = self.opt_range(q)
        out = []
        for d in days_between(a + timedelta(days=1), min(b + timedelta(days=1), self.today + timedelta(days=1))):
            o = u.bedtime_obj(d, self.today)
            if o is not None:
                out.append(o)
        if not out:
            raise HTTPError(204)
        return Resp(200, jbytes(out))

    # ---- biosensing ----------------------------------------------------------------------
    def h_biosensing(self, u, groups, q, headers):
        a, b = self.opt_range(q)
        fn = {"bodytemperature": u.body_temp_obj, "skintemperature": u.skin_temp_obj,
              "skincontacts": u.skin_contact_obj, "ecg": u.ecg_obj, "spo2": u.spo2_obj}[groups[0]]
        out = self.collect(fn, a, b)
        if not out:
            raise HTTPError(204)
        return Resp(200, jbytes(out))

    # ---- sleep and recharge ------------------------------------------------------------------
    def h_sleep(self, u, groups, q, headers):
        a, b = self.last28()
        return Resp(200, jbytes({"nights": self.collect(u.sleep_obj, a, b)}))

    def h_sleep_available(self, u, groups, q, headers):
        a, b = self.last28()
        return Resp(200, jbytes({"available": self.collect(u.available_obj, a, b)}))

    def h_sleep_date(self, u, groups, q, headers):
        o = u.sleep_obj(parse_day(groups[0]), self.today)
        if o is None:
            raise HTTPError(404)
        return Resp(200, jbytes(o))

    def h_recharge(self, u, groups, q, headers):
        a, b = self.last28()
        return Resp(200, jbytes({"recharges": self.collect(u.recharge_obj, a, b)}))

    def h_recharge_date(self, u, groups, q, headers):
        o = u.recharge_obj(parse_day(groups[0]), self.today)
        if o is None:
            raise HTTPError(404)
        return Resp(200, jbytes(o))

    # ---- exercises ---------------------------------------------------------------------------
    def visible_exercises(self, u):
        lo = self.today - timedelta(days=30)
        out = []
        for ex in u.all_exercises(self.today):
            up = ex["upload"]
            if up.date() < lo or up.date() > self.today:
                continue
            if self.args.strict_visibility and (not getattr(u, "reg_time", None) or up < u.reg_time):
                continue
            out.append(ex)
        return out

    def find_exercise(self, u, eid):
        for ex in self.visible_exercises(u):
            if ex["id"] == eid:
                return ex
        raise HTTPError(404)

    def ex_obj(self, u, ex, q):
        o = u.exercise_summary(ex)
        fs, fz, fr = flag(q, "samples"), flag(q, "zones"), flag(q, "route")
        if fs or fz or fr:
            p = u.exercise_parts(ex)
            if fz:
                o["heart_rate_zones"] = p["zones"]
            if fs:
                o["samples"] = p["samples"]
            if fr:
                o["route"] = p["route"]
        return o

    def h_exercises(self, u, groups, q, headers):
        return Resp(200, jbytes([self.ex_obj(u, ex, q) for ex in self.visible_exercises(u)]))

    def h_exercise(self, u, groups, q, headers):
        return Resp(200, jbytes(self.ex_obj(u, self.find_exercise(u, groups[0]), q)))

    def h_exercise_file(self, u, groups, q, headers):
        ex = self.find_exercise(u, groups[0])
        parts = u.exercise_parts(ex)
        kind = groups[1]
        if kind == "fit":
            return Resp(200, make_fit(u, ex, parts), "application/octet-stream")
        if kind == "tcx":
            return Resp(200, make_tcx(u, ex, parts), "application/vnd.garmin.tcx+xml")
        if not parts["route"]:
            raise HTTPError(404)
        return Resp(200, make_gpx(u, ex, parts), "application/gpx+xml")

    # ---- notifications and the deprecated exercise-transaction flow ---------------------------
    def pending_exercises(self, u):
        if not u.registered:
            return []
        done = self.committed.get(u.user_id, set())
        reg = getattr(u, "reg_time", None)
        return [ex for ex in self.visible_exercises(u)
                if ex["id"] not in done and (reg is None or ex["upload"] >= reg or ex["extra"])]

    def h_notifications(self, _u, groups, q, headers):
        items = []
        for u in self.users:
            if self.pending_exercises(u):
                items.append({"user-id": u.user_id, "data-type": "EXERCISE",
                              "url": "%s/v3/users/%d/exercise-transactions" % (simdata.API_HOST, u.user_id)})
        if not items:
            raise HTTPError(204)
        return Resp(200, jbytes({"available-user-data": items}))

    def _tx_user(self, u, groups):
        if int(groups[0]) != u.user_id:
            raise HTTPError(403)

    def h_tx_create(self, u, groups, q, headers):
        self._tx_user(u, groups)
        if u.user_id in self.transactions:
            raise HTTPError(204)
        pend = self.pending_exercises(u)[:50]
        if not pend:
            raise HTTPError(204)
        self.next_tid += 1
        tid = self.next_tid
        self.transactions[u.user_id] = {"id": tid, "exercises": pend}
        return Resp(201, jbytes({"transaction-id": tid, "resource-uri": "%s/v3/users/%d/exercise-transactions/%d"
                                 % (simdata.API_HOST, u.user_id, tid)}))

    def _tx(self, u, groups):
        self._tx_user(u, groups)
        t = self.transactions.get(u.user_id)
        if t is None or t["id"] != int(groups[1]):
            raise HTTPError(404)
        return t

    @staticmethod
    def _legacy_id(ex):
        return int.from_bytes(ex["id"].encode()[:6], "big") % 4000000000

    def h_tx_list(self, u, groups, q, headers):
        t = self._tx(u, groups)
        base = "%s/v3/users/%d/exercise-transactions/%d/exercises/" % (simdata.API_HOST, u.user_id, t["id"])
        return Resp(200, jbytes({"exercises": [base + str(self._legacy_id(ex)) for ex in t["exercises"]]}))

    def h_tx_commit(self, u, groups, q, headers):
        t = self._tx(u, groups)
        self.committed.setdefault(u.user_id, set()).update(ex["id"] for ex in t["exercises"])
        del self.transactions[u.user_id]
        return Resp(200)

    def h_tx_exercise(self, u, groups, q, headers):
        t = self._tx(u, groups)
        ex = None
        for e in t["exercises"]:
            if str(self._legacy_id(e)) == groups[2]:
                ex = e
        if ex is None:
            raise HTTPError(404)
        sub = groups[3]
        parts = u.exercise_parts(ex) if sub else None
        base = "%s/v3/users/%d/exercise-transactions/%d/exercises/%s" % (simdata.API_HOST, u.user_id, t["id"],
                                                                          groups[2])
        if sub == "/heart-rate-zones":
            return Resp(200, jbytes({"zone": parts["zones"]}))
        if sub == "/samples":
            return Resp(200, jbytes({"samples": [base + "/samples/" + s["sample-type"] for s in parts["samples"]]}))
        if sub:
            want = sub.rsplit("/", 1)[1]
            for s in parts["samples"]:
                if s["sample-type"] == want:
                    return Resp(200, jbytes(s))
            raise HTTPError(404)
        s = u.exercise_summary(ex)
        o = {"id": self._legacy_id(ex), "upload-time": s["upload_time"], "polar-user": s["polar_user"],
             "transaction-id": t["id"], "device": s["device"]}
        ren = [("device_id", "device-id"), ("start_time", "start-time"),
               ("start_time_utc_offset", "start-time-utc-offset"), ("duration", "duration"),
               ("calories", "calories"), ("distance", "distance"), ("heart_rate", "heart-rate"),
               ("training_load", "training-load"), ("sport", "sport"), ("has_route", "has-route"),
               ("detailed_sport_info", "detailed-sport-info"), ("fat_percentage", "fat-percentage"),
               ("carbohydrate_percentage", "carbohydrate-percentage"),
               ("protein_percentage", "protein-percentage"), ("running-index", "running-index"),
               ("training_load_pro", "training-load-pro")]
        for a, b in ren:
            if a in s:
                o[b] = s[a]
        return Resp(200, jbytes(o))

    # ---- webhooks -------------------------------------------------------------------------
    HOOK_EVENTS = ("EXERCISE", "SLEEP", "CONTINUOUS_HEART_RATE", "SLEEP_WISE_CIRCADIAN_BEDTIME",
                   "SLEEP_WISE_ALERTNESS", "ACTIVITY_SUMMARY", "PHYSICAL_INFORMATION")

    def hook_info(self):
        w = self.webhook
        return {"id": w["id"], "events": w["events"], "url": w["url"], "active": w["active"]}

    def hook_body(self):
        try:
            data = json.loads(self._body or b"{}")
        except ValueError:
            raise HTTPError(400, jbytes({"message": "body is not JSON"}))
        if not isinstance(data, dict):
            raise HTTPError(400, jbytes({"message": "body must be an object"}))
        ev = data.get("events")
        if ev is not None and (not isinstance(ev, list) or not ev
                               or any(e not in self.HOOK_EVENTS for e in ev)):
            raise HTTPError(400, jbytes({"message": "events must list known event types"}))
        url = data.get("url")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise HTTPError(400, jbytes({"message": "url must be an http(s) URL"}))
        return data

    @staticmethod
    def utc_stamp():
        return datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")

    def ping(self, url, secret):
        body = jbytes({"timestamp": self.utc_stamp(), "event": "PING"})
        return self.send_signed(url, secret, body, "PING")

    @staticmethod
    def send_signed(url, secret, body, event, bad=False):
        sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if bad:
            sig = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Polar-Webhook-Event": event,
            "Polar-Webhook-Signature": sig})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                r.read()
                return r.status, sig
        except urllib.error.HTTPError as e:
            return e.code, sig
        except (OSError, ValueError):
            return 0, sig

    def h_hook_create(self, u, groups, q, headers):
        data = self.hook_body()
        if not data.get("url") or not data.get("events"):
            raise HTTPError(400, jbytes({"message": "events and url are required"}))
        if self.webhook is not None:
            raise HTTPError(409, jbytes({"message": "Webhook already exists"}))
        secret = str(__import__("uuid").uuid4())
        st, _ = self.ping(data["url"], secret)
        if st != 200:
            raise HTTPError(400, jbytes({"message": "Ping to %s failed (%d)" % (data["url"], st)}))
        self.webhook = {"id": secrets.token_hex(3), "events": list(data["events"]), "url": data["url"],
                        "secret": secret, "active": True}
        out = self.hook_info()
        del out["active"]
        out["signature_secret_key"] = secret
        return Resp(201, jbytes({"data": out}))

    def h_hook_get(self, u, groups, q, headers):
        return Resp(200, jbytes({"data": [self.hook_info()] if self.webhook else []}))

    def h_hook_activate(self, u, groups, q, headers):
        if self.webhook is None:
            raise HTTPError(204)
        if groups[0] == "activate":
            st, _ = self.ping(self.webhook["url"], self.webhook["secret"])
            if st != 200:
                raise HTTPError(400, jbytes({"message": "Ping failed"}))
        self.webhook["active"] = groups[0] == "activate"
        return Resp(200)

    def h_hook_patch(self, u, groups, q, headers):
        if self.webhook is None or self.webhook["id"] != groups[0]:
            raise HTTPError(404, jbytes({"message": "Webhook not found"}))
        data = self.hook_body()
        if data.get("url") and data["url"] != self.webhook["url"]:
            st, _ = self.ping(data["url"], self.webhook["secret"])
            if st != 200:
                raise HTTPError(400, jbytes({"message": "Ping failed"}))
            self.webhook["url"] = data["url"]
        if data.get("events"):
            self.webhook["events"] = list(data["events"])
        return Resp(200, jbytes({"data": [self.hook_info()]}))

    def h_hook_delete(self, u, groups, q, headers):
        if self.webhook is None or self.webhook["id"] != groups[0]:
            raise HTTPError(404, jbytes({"message": "Webhook not found"}))
        self.webhook = None
        return Resp(204)

    def hook_payload(self, polar_user, event, timestamp=None, extra=None):
        o = {"event": event, "user_id": polar_user}
        o.update(extra or {})
        o["timestamp"] = timestamp or self.utc_stamp()
        paths = {"EXERCISE": "/v3/exercises/%s" % o.get("entity_id", ""),
                 "SLEEP": "/v3/users/sleep/%s" % o.get("date", ""),
                 "CONTINUOUS_HEART_RATE": "/v3/users/continuous-heart-rate/%s" % o.get("date", ""),
                 "ACTIVITY_SUMMARY": "/v3/users/activities/%s" % o.get("date", ""),
                 "PHYSICAL_INFORMATION": "/v3/users/physical-info"}
        if event in paths:
            o["url"] = simdata.API_HOST + paths[event]
        return jbytes(o)

    def hook_post(self, body, event, polar_user, bad=False):
        w = self.webhook
        t0 = time.monotonic()
        st, sig = self.send_signed(w["url"], w["secret"], body, event, bad)
        with self.hook_lock:
            self.hook_log.append({"event": event, "user_id": polar_user, "status": st,
                                  "ms": round((time.monotonic() - t0) * 1000, 1),
                                  "at": time.time()})
        return st, sig

    def announce(self, u, event, **extra):
        """New data: tell the webhook, if one is active and wants the event."""
        w = self.webhook
        if w is None or not w["active"] or event not in w["events"] or not u.registered:
            return
        body = self.hook_payload(u.user_id, event, None, extra)
        threading.Thread(target=self.hook_post, args=(body, event, u.user_id), daemon=True).start()

    # ---- control surface -----------------------------------------------------------------
    def control(self, method, path, q, body):
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            raise HTTPError(400, jbytes({"error": "body is not JSON"}))
        if not isinstance(data, dict):
            raise HTTPError(400, jbytes({"error": "body must be an object"}))
        parts = path.strip("/").split("/")[1:]
        ok = lambda o: Resp(200, jbytes(o))
        now = time.monotonic()
        if parts == ["health"]:
            return ok({"ok": True, "today": self.today.isoformat()})
        if parts == ["state"]:
            return ok({"today": self.today.isoformat(), "variant": self.variant, "quirks": self.quirks,
                       "client_id": self.client_id, "users": len(self.users), "registered": self.nreg(),
                       "ratelimit": self.rl.state(self.nreg(), now),
                       "faults": [f.as_dict() for f in self.faults]})
        if parts == ["users"] and method == "GET":
            return ok([self.user_info(u) for u in self.users])
        if parts == ["users"] and method == "POST":
            u = self.new_user(int(data.get("days", self.args.days)))
            if data.get("physical_info") is False:
                u.physical_info = False
            if data.get("consents") is False:
                u.consents_ok = False
            if data.get("register"):
                self.register(u, data.get("member_id") or str(u.user_id))
            out = self.user_info(u)
            out["code"] = self.issue_code(u, data.get("redirect_uri"))
            if data.get("token"):
                out["access_token"] = self.issue_token(u)
            self.save_state()
            return ok(out)
        if len(parts) >= 3 and parts[0] == "users" and method == "POST":
            u = self.find_user(parts[1])
            if u is None:
                raise HTTPError(404, jbytes({"error": "no such user"}))
            what = parts[2]
            if what == "code":
                return ok({"code": self.issue_code(u, data.get("redirect_uri")), "user_id": u.user_id})
            if what == "token":
                if data.get("register") and not u.registered:
                    self.register(u, data.get("member_id") or str(u.user_id))
                return ok({"access_token": self.issue_token(u), "token_type": "bearer",
                           "expires_in": 315359999, "x_user_id": u.user_id})
            if what == "register":
                self.register(u, data.get("member_id") or str(u.user_id))
                self.save_state()
                return ok(self.user_info(u))
            if what == "night":
                d = date.fromisoformat(data["date"]) if data.get("date") else self.today
                if d > self.today or d < u.data_start:
                    raise HTTPError(400, jbytes({"error": "date outside the user's history"}))
                u.extra_nights[d] = u.extra_nights.get(d, 0) + 1
                u.invalidate()
                self.save_state()
                self.announce(u, "SLEEP", date=d.isoformat())
                return ok({"date": d.isoformat(), "sleep": u.sleep_obj(d, self.today)})
            if what == "exercise":
                minutes = int(data.get("minutes", 45))
                # The wall clock's time of day on the injected "today" can put the
                # user's local time on another calendar day (UTC 23:00 is 01:00 in
                # Helsinki); keep the exercise and its upload inside "today" in both
                # the user's zone and UTC so it is visible and dated as promised.
                day0 = datetime.combine(self.today, datetime.min.time())
                lo = day0 + timedelta(minutes=max(0, -u.tz) + minutes + 10)
                hi = day0 + timedelta(days=1, minutes=-max(0, u.tz), seconds=-1)
                now_utc = min(max(self.sim_now_utc(), lo), hi)
                now_local = now_utc + timedelta(minutes=u.tz)
                p = {"sport": data.get("sport", "run"), "intensity": data.get("intensity", "easy"),
                     "minutes": minutes,
                     "now_local": now_local.strftime("%Y-%m-%dT%H:%M:%S")}
                if p["sport"] not in simdata.SPORTS or p["intensity"] not in simdata.INTENSITY:
                    raise HTTPError(400, jbytes({"error": "bad sport or intensity"}))
                rec = self.add_exercise(u, p)
                self.announce(u, "EXERCISE", entity_id=rec["id"])
                return ok({"id": rec["id"], "exercise": u.exercise_summary(rec)})
            if what == "consents":
                u.consents_ok = bool(data.get("ok", True))
                self.save_state()
                return ok(self.user_info(u))
            if what == "physical-info":
                u.physical_info = bool(data.get("present", True))
                u.invalidate()
                self.save_state()
                self.announce(u, "PHYSICAL_INFORMATION")
                return ok(self.user_info(u))
            raise HTTPError(404)
        if parts == ["revoke"] and method == "POST":
            n = 0
            if "token" in data:
                t = self.tokens.get(data["token"])
                if t:
                    t["revoked"] = True
                    n = 1
            if "user" in data:
                u = self.find_user(data["user"])
                if u:
                    for t in self.tokens.values():
                        if t["user"] is u and not t["revoked"]:
                            t["revoked"] = True
                            n += 1
            self.save_state()
            return ok({"revoked": n})
        if parts == ["faults"]:
            if method == "POST":
                specs = data.get("specs") or ([data["spec"]] if "spec" in data else [])
                try:
                    new = [Fault(s) for s in specs]
                except ValueError as e:
                    raise HTTPError(400, jbytes({"error": str(e)}))
                self.faults.extend(new)
            elif method == "DELETE":
                self.faults = []
            return ok([f.as_dict() for f in self.faults])
        if parts == ["patches"]:
            if method == "POST":
                if not isinstance(data.get("glob"), str):
                    raise HTTPError(400, jbytes({"error": "a patch needs a glob"}))
                self.patches.append(dict(data))
            elif method == "DELETE":
                self.patches = []
            return ok(self.patches)
        if parts[:1] == ["stats"]:
            if method == "DELETE" or parts[1:] == ["reset"]:
                self.stats_reset()
            return ok({"total": self.st_total, "by_pattern": dict(self.st_pattern),
                       "by_path": dict(self.st_path), "by_status": {str(k): v for k, v in self.st_status.items()}})
        if parts == ["ratelimit"]:
            if method == "POST":
                if "limit_15m" in data:
                    self.rl.o15 = data["limit_15m"]
                if "limit_24h" in data:
                    self.rl.o24 = data["limit_24h"]
                if data.get("reset"):
                    self.rl.reset()
                if "retry_after" in data:
                    self.retry_after = bool(data["retry_after"])
            return ok(self.rl.state(self.nreg(), now))
        if parts == ["webhooks"] and method == "GET":
            with self.hook_lock:
                log = list(self.hook_log)
            return ok({"webhook": self.webhook, "deliveries": log, "sent": len(log),
                       "failed": sum(1 for d in log if d["status"] != 200)})
        if parts == ["webhooks", "deliveries"] and method == "DELETE":
            with self.hook_lock:
                self.hook_log = []
            return ok({"ok": True})
        if parts == ["webhooks", "send"] and method == "POST":
            if self.webhook is None:
                raise HTTPError(409, jbytes({"error": "no webhook registered"}))
            u = self.find_user(data.get("user", 0))
            if u is None:
                raise HTTPError(404, jbytes({"error": "no such user"}))
            extra = {k: data[k] for k in ("date", "entity_id", "from", "to") if k in data}
            body = self.hook_payload(u.user_id, data.get("event", "SLEEP"), data.get("timestamp"), extra)
            st, sig = self.hook_post(body, data.get("event", "SLEEP"), u.user_id,
                                     bad=bool(data.get("bad_signature")))
            return ok({"status": st, "body": body.decode(), "signature": sig})
        if parts == ["today"] and method == "POST":
            if data.get("today"):
                self.today = date.fromisoformat(data["today"])
            elif data.get("advance"):
                self.today += timedelta(days=int(data["advance"]))
            self.clear_cache()
            for u in self.users:
                u.cache.clear()
            self.save_state()
            return ok({"today": self.today.isoformat()})
        if parts == ["variant"] and method == "POST":
            if data.get("variant"):
                if data["variant"] not in PRESETS:
                    raise HTTPError(400, jbytes({"error": "variant must be spec or live"}))
                self.variant = data["variant"]
                self.quirks.clear()
                self.quirks.update(PRESETS[self.variant])
            self.quirks.update({k: str(v) for k, v in (data.get("quirks") or {}).items()})
            self.clear_cache()
            for u in self.users:
                u.invalidate()
            return ok({"variant": self.variant, "quirks": self.quirks})
        if parts == ["shutdown"] and method == "POST":
            if self.stop:
                asyncio.get_event_loop().call_later(0.05, self.stop)
            return ok({"ok": True})
        raise HTTPError(404, jbytes({"error": "unknown control path"}))

    def user_info(self, u):
        return {"index": u.index, "user_id": u.user_id, "name": u.first_name + " " + u.last_name,
                "device": u.device, "profile": u.profile, "registered": u.registered,
                "member_id": u.member_id, "consents_ok": u.consents_ok,
                "physical_info": u.physical_info, "data_start": u.data_start.isoformat(),
                "tokens": [t for t, v in self.tokens.items() if v["user"] is u and not v["revoked"]]}


# ---------------------------------------------------------------------------
# HTTP/1.1 server on asyncio (keep-alive, pipelining)

class HttpProto(asyncio.Protocol):
    def __init__(self, sim, log):
        self.sim = sim
        self.log = log
        self.buf = b""
        self.busy = False
        self.tr = None
        self.sent_continue = False

    def connection_made(self, tr):
        self.tr = tr

    def connection_lost(self, exc):
        self.tr = None

    def data_received(self, data):
        self.buf += data
        if not self.busy:
            self.process()

    def process(self):
        while not self.busy and self.tr is not None:
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                if len(self.buf) > 65536:
                    self.simple(431, False)
                return
            head = self.buf[:i].decode("latin-1")
            lines = head.split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self.simple(400, False)
                return
            headers = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                headers[k.strip().lower()] = v.strip()
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self.simple(411, False)
                return
            try:
                n = int(headers.get("content-length", "0"))
            except ValueError:
                self.simple(400, False)
                return
            if len(self.buf) < i + 4 + n:
                if headers.get("expect", "").lower() == "100-continue" and not self.sent_continue:
                    self.tr.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.sent_continue = True
                return
            self.sent_continue = False
            body = self.buf[i + 4:i + 4 + n]
            self.buf = self.buf[i + 4 + n:]
            conn = headers.get("connection", "").lower()
            keep = (version == "HTTP/1.1" and conn != "close") or (version == "HTTP/1.0" and conn == "keep-alive")
            self.sim._body = body
            try:
                resp = self.sim.handle(method, target, headers, body)
            except Exception as e:  # never kill the connection loop on a bug
                import traceback
                traceback.print_exc()
                resp = Resp(500, jbytes({"error": "internal", "detail": str(e)}))
            if self.log:
                sys.stderr.write("%s %s -> %d\n" % (method, target, resp.status))
            gz = "gzip" in headers.get("accept-encoding", "") and not self.sim.args.no_gzip
            self.respond(resp, keep, gz, method == "HEAD")

    def simple(self, status, keep):
        self.respond(Resp(status), keep, False, False)

    def encode(self, resp, keep, gz, head_only):
        body = resp.body
        hdrs = ["HTTP/1.1 %d %s" % (resp.status, REASONS.get(resp.status, "Status"))]
        if resp.status != 204 and resp.status != 302 or body:
            hdrs.append("Content-Type: " + resp.ctype)
        if gz and len(body) > 1024 and not resp.truncate:
            if resp.gz is None:
                resp.gz = gzip.compress(body, 5, mtime=0)
            body = resp.gz
            hdrs.append("Content-Encoding: gzip")
            hdrs.append("Vary: Accept-Encoding")
        for k, v in resp.headers:
            hdrs.append("%s: %s" % (k, v))
        if resp.status != 204:
            hdrs.append("Content-Length: %d" % len(body))
        if not keep:
            hdrs.append("Connection: close")
        hdrs.append("\r\n")
        return "\r\n".join(hdrs).encode("latin-1"), (b"" if head_only else body)

    def respond(self, resp, keep, gz, head_only):
        if resp.hang:
            self.busy = True
            tr = self.tr
            asyncio.get_event_loop().call_later(self.sim.args.hang_seconds, lambda: tr.close())
            return
        head, body = self.encode(resp, keep, gz, head_only)
        if resp.truncate:
            self.tr.write(head + body[: len(body) // 2])
            self.tr.close()
            self.tr = None
            return
        if resp.delay:
            self.busy = True

            def later():
                self.busy = False
                if self.tr is None:
                    return
                self.tr.write(head + body)
                if not keep:
                    self.tr.close()
                    self.tr = None
                else:
                    self.process()
            asyncio.get_event_loop().call_later(resp.delay, later)
            return
        self.tr.write(head + body)
        if not keep:
            self.tr.close()
            self.tr = None


class ManHelp(argparse.Action):
    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, **kw)

    def __call__(self, parser, ns, values, option_string=None):
        sys.stdout.write(MANPAGE)
        sys.exit(0)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="polarsim.py", add_help=False)
    p.add_argument("-h", "--help", action=ManHelp)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--users", type=int, default=3)
    p.add_argument("--days", type=int, default=120)
    p.add_argument("--seed", default="1")
    p.add_argument("--today")
    p.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    p.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    p.add_argument("--redirect-uri", action="append")
    p.add_argument("--variant", choices=["spec", "live"], default="live")
    p.add_argument("--quirk", action="append")
    p.add_argument("--fault", action="append")
    p.add_argument("--rate-limit-15m", type=int)
    p.add_argument("--rate-limit-24h", type=int)
    p.add_argument("--retry-after", action="store_true")
    p.add_argument("--register-all", action="store_true")
    p.add_argument("--strict-visibility", action="store_true")
    p.add_argument("--no-gzip", action="store_true")
    p.add_argument("--invalid-client-status", type=int, choices=[400, 401], default=401)
    p.add_argument("--hang-seconds", type=float, default=120.0)
    p.add_argument("--state-file")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    if a.today:
        try:
            date.fromisoformat(a.today)
        except ValueError:
            p.error("--today must be YYYY-MM-DD")
    for f in a.fault or []:
        try:
            Fault(f)
        except ValueError as e:
            p.error(str(e))
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sim = Sim(args)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: HttpProto(sim, args.verbose), args.host, args.port, reuse_address=True, backlog=512))
    port = server.sockets[0].getsockname()[1]
    host = args.host if ":" not in args.host else "[%s]" % args.host
    sys.stdout.write("polarsim listening on http://%s:%d\n" % (host, port))
    sys.stdout.flush()
    sim.stop = loop.stop
    for s in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(s, loop.stop)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.close()


if __name__ == "__main__":
    main()
