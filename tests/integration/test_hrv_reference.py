"""The HRV analysis (common/hrv.c, through tools/pf_hrv) against an
independent reference written here from the published definitions with
NumPy and SciPy (Task Force 1996 for the time domain and bands; Welch with
a Hann window on a 4 Hz cubic-spline resampling detrended by smoothness
priors, Tarvainen 2002; Lomb-Scargle; Richman & Moorman SampEn, Pincus
ApEn, Peng DFA).

On synthetic RR series of known content: time-domain and nonlinear metrics
agree to 1e-9 relative, spectral powers within 1 %, sinusoidal modulation
at 0.1 and 0.25 Hz puts the LF and HF peaks there, and injected ectopic,
missed and extra beats are found and corrected."""
import json
import math
import os
import subprocess

import numpy as np
import pytest
from scipy import signal, sparse
from scipy.interpolate import CubicSpline
from scipy.sparse.linalg import spsolve

from harness import BUILD

TOOL = os.path.join(BUILD, "tools", "pf_hrv")
TIME_TOL = 1e-9
SPEC_TOL = 0.01
FS = 4.0
LAMBDA = 500.0
WINDOW_S = 256.0
BANDS = {"vlf": (0.003, 0.04), "lf": (0.04, 0.15), "hf": (0.15, 0.4)}


def pf_hrv(rr, *args):
    assert os.access(TOOL, os.X_OK), f"{TOOL} is not built"
    p = subprocess.run([TOOL, *args], input="".join(f"{v!r}\n" for v in rr),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


# --- synthetic series -----------------------------------------------------

def modulated(n=400, mean=900.0, lf=40.0, hf=25.0, noise=5.0, seed=1):
    """RR whose value follows sinusoids at 0.1 and 0.25 Hz of its own time
    axis, plus white noise."""
    rng = np.random.default_rng(seed)
    rr, t = [], 0.0
    for _ in range(n):
        v = (mean + lf * math.sin(2 * math.pi * 0.1 * t) +
             hf * math.sin(2 * math.pi * 0.25 * t) + rng.normal(0, noise))
        rr.append(v)
        t += v / 1000.0
    return np.array(rr)


def white(n=400, mean=800.0, sd=40.0, seed=2):
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(mean, sd, n), 300.0, 2000.0)


# --- the reference --------------------------------------------------------

def ref_time(nn):
    nn = np.asarray(nn, dtype=float)
    d = np.diff(nn)
    hr = 60000.0 / nn
    avg = np.convolve(hr, np.ones(5) / 5, mode="valid")
    out = {
        "mean_rr": nn.mean(),
        "sdnn": nn.std(ddof=1),
        "mean_hr": hr.mean(),
        "sd_hr": hr.std(ddof=1),
        "min_hr": avg.min(),
        "max_hr": avg.max(),
        "rmssd": math.sqrt(np.mean(d ** 2)),
        "sdsd": d.std(ddof=1),
        "nn50": int(np.sum(np.abs(d) > 50.0)),
        # pNN50 over the n - 1 successive differences
        "pnn50": np.sum(np.abs(d) > 50.0) / len(d) * 100.0,
    }
    out["cv"] = out["sdnn"] / out["mean_rr"] * 100.0
    # histogram of 1/128 s bins from 0 ms
    w = 1000.0 / 128.0
    bins = np.floor(nn / w).astype(int)
    counts = np.bincount(bins)
    out["hti"] = len(nn) / counts.max()
    out["tinn"] = ref_tinn(counts, w)
    # Baevsky: 50 ms bins, Mo = median (s), MxDMn = range (s)
    c50 = np.bincount(np.floor(nn / 50.0).astype(int))
    amo = c50.max() / len(nn) * 100.0
    out["si"] = amo / (2 * np.median(nn) / 1000.0 *
                       (nn.max() - nn.min()) / 1000.0)
    out["si_sqrt"] = math.sqrt(out["si"])
    out["sd1"] = math.sqrt(out["sdsd"] ** 2 / 2)
    out["sd2"] = math.sqrt(2 * out["sdnn"] ** 2 - out["sdsd"] ** 2 / 2)
    out["sd2_sd1"] = out["sd2"] / out["sd1"]
    return out


def ref_tinn(h, w):
    """The triangle on the mode bin that fits the histogram best in least
    squares; its corners among the occupied bins and the empty one beyond
    each end."""
    occ = np.nonzero(h)[0]
    lo, hi = occ[0], occ[-1]
    x = int(np.argmax(h))
    y = h[x]
    hp = np.concatenate([h, np.zeros(2)]).astype(float)
    best, bj = None, None
    for j in range(max(lo - 1, 0), x):
        b = np.arange(lo, x)
        q = np.where(b > j, y * (b - j) / (x - j), 0.0)
        e = np.sum((hp[b] - q) ** 2)
        if best is None or e < best:
            best, bj = e, j
    best, bk = None, None
    for k in range(x + 1, hi + 2):
        b = np.arange(x + 1, hi + 1)
        q = np.where(b < k, y * (k - b) / (k - x), 0.0)
        e = np.sum((hp[b] - q) ** 2)
        if best is None or e < best:
            best, bk = e, k
    return (bk - bj) * w


def band_metrics(f, psd, df):
    out = {}
    for name, (lo, hi) in BANDS.items():
        sel = (f >= lo) & (f < hi)
        out[name] = np.sum(psd[sel]) * df
        out[name + "_peak"] = f[sel][np.argmax(psd[sel])]
    out["total"] = out["vlf"] + out["lf"] + out["hf"]
    out["lf_nu"] = out["lf"] / (out["lf"] + out["hf"]) * 100
    out["hf_nu"] = out["hf"] / (out["lf"] + out["hf"]) * 100
    out["lf_hf"] = out["lf"] / out["hf"]
    out["resp_rate"] = out["hf_peak"] * 60
    return out


def ref_welch(nn):
    t = np.cumsum(nn) / 1000.0
    cs = CubicSpline(t, nn, bc_type="natural")
    n = int(math.floor((t[-1] - t[0]) * FS)) + 1
    z = cs(t[0] + np.arange(n) / FS)
    # smoothness priors: z - (I + l^2 D2'D2)^-1 z
    d2 = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n))
    a = sparse.identity(n) + LAMBDA ** 2 * (d2.T @ d2)
    z = z - spsolve(a.tocsc(), z)
    seg = min(int(round(WINDOW_S * FS)), n)
    nfft = 1 << (seg - 1).bit_length()
    f, psd = signal.welch(z, fs=FS, window="hann", nperseg=seg,
                          noverlap=seg // 2, nfft=nfft, detrend="constant",
                          scaling="density")
    return band_metrics(f, psd, FS / nfft)


def ref_lomb(nn):
    t = np.cumsum(nn) / 1000.0
    y = nn - nn.mean()
    span = t[-1] - t[0]
    df = 1.0 / span
    f = df * np.arange(1, int(math.ceil(0.4 / df)))
    f = f[f < 0.4]
    p = signal.lombscargle(t, y, 2 * math.pi * f)
    return band_metrics(f, 2 * p * span / len(nn), df)


def ref_sampen(x, m, r):
    n = len(x)
    tm = np.array([x[i:i + m] for i in range(n - m)])
    tm1 = np.array([x[i:i + m + 1] for i in range(n - m)])
    b = a = 0
    for i in range(n - m):
        b += np.sum(np.max(np.abs(tm[i + 1:] - tm[i]), axis=1) <= r)
        a += np.sum(np.max(np.abs(tm1[i + 1:] - tm1[i]), axis=1) <= r)
    return -math.log(a / b) if a > 0 and b > 0 else None


def ref_apen(x, m, r):
    def phi(mm):
        tm = np.array([x[i:i + mm] for i in range(len(x) - mm + 1)])
        c = [np.mean(np.max(np.abs(tm - row), axis=1) <= r) for row in tm]
        return np.mean(np.log(c))
    return phi(m) - phi(m + 1)


def ref_dfa(x, lo, hi):
    y = np.cumsum(x - np.mean(x))
    scales = np.arange(lo, hi + 1)
    f = []
    for s in scales:
        nb = len(y) // s
        res = 0.0
        for b in range(nb):
            seg = y[b * s:(b + 1) * s]
            k = np.arange(s)
            fit = np.polyval(np.polyfit(k, seg, 1), k)
            res += np.sum((seg - fit) ** 2)
        f.append(math.sqrt(res / (nb * s)))
    return np.polyfit(np.log10(scales), np.log10(f), 1)[0]


# --- comparisons ----------------------------------------------------------

def rel(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def check_time(got, nn):
    ref = ref_time(nn)
    sd = ref["sdnn"]
    ref["sampen"] = ref_sampen(np.asarray(nn), 2, 0.2 * sd)
    ref["apen"] = ref_apen(np.asarray(nn), 2, 0.2 * sd)
    ref["dfa_a1"] = ref_dfa(np.asarray(nn), 4, 16)
    if len(nn) >= 128:
        ref["dfa_a2"] = ref_dfa(np.asarray(nn), 16, 64)
    worst = 0.0
    for k, v in ref.items():
        if v is None:		# undefined: no number made up
            assert got[k] is None, k
            continue
        e = rel(got[k], v)
        worst = max(worst, e)
        assert e <= TIME_TOL, (k, got[k], v)
    return worst


def check_spectrum(got, ref):
    worst = 0.0
    for k in ("vlf", "lf", "hf", "total", "lf_nu", "hf_nu", "lf_hf"):
        e = rel(got[k], ref[k])
        worst = max(worst, e)
        assert e <= SPEC_TOL, (k, got[k], ref[k])
    for k in ("vlf_peak", "lf_peak", "hf_peak", "resp_rate"):
        assert got[k] == pytest.approx(ref[k], rel=1e-9), k
    return worst


def test_modulated_series_peaks_and_reference_agreement():
    rr = modulated()
    got = pf_hrv(rr)
    assert got["n_corrected"] == 0 and got["n_nn"] == len(rr)
    assert got["algo_version"] >= 1
    np.testing.assert_array_equal(np.array(got["nn"]), rr)
    check_time(got, rr)
    w = ref_welch(rr)
    check_spectrum(got["welch"], w)
    check_spectrum(got["lomb"], ref_lomb(rr))
    # the modulation is where the bands' peaks are, within one bin
    for spec, res in (("welch", FS / 1024), ("lomb", 1.0 / got["duration_s"])):
        assert abs(got[spec]["lf_peak"] - 0.1) <= res, spec
        assert abs(got[spec]["hf_peak"] - 0.25) <= res, spec
        # 40 ms and 25 ms amplitudes: A^2 / 2 in each band, within 10 %
        assert got[spec]["lf"] == pytest.approx(800.0, rel=0.1), spec
        assert got[spec]["hf"] == pytest.approx(312.5, rel=0.1), spec
    assert got["welch"]["resp_rate"] == pytest.approx(15.0, abs=0.25)
    # 400 beats of 0.9 s (6 min): long enough for every band
    assert got["warnings"] == 0


def test_white_noise_reference_agreement():
    rr = white()
    got = pf_hrv(rr, "-a", "none")
    check_time(got, rr)
    check_spectrum(got["welch"], ref_welch(rr))
    check_spectrum(got["lomb"], ref_lomb(rr))
    # white noise: no dominant band, LF/HF near the bandwidth ratio 0.44
    assert 0.2 < got["welch"]["lf_hf"] < 1.0


def test_long_recording_has_several_welch_segments():
    rr = modulated(n=800, mean=1000.0, seed=3)
    got = pf_hrv(rr)
    assert got["duration_s"] > 2 * WINDOW_S * 1.2
    check_spectrum(got["welch"], ref_welch(rr))
    assert got["warnings"] == 0


def inject(rr):
    """Ectopic (premature beat and its compensatory pause) at 100, missed
    (two intervals read as one) at 200, extra (one interval split in two)
    at 300.  Returns the corrupted series and where each artifact sits in
    it."""
    rr = list(rr)
    clean = list(rr)
    rr[100], rr[101] = rr[100] * 0.65, rr[101] * 1.35
    rr[200:202] = [rr[200] + rr[201]]
    # an extra R peak at 40 % of interval 299
    a = rr[299] * 0.4
    rr[299:300] = [a, rr[299] - a]
    return np.array(rr), np.array(clean), {"ectopic": 101, "missed": 200,
                                           "extra": 299}


def test_injected_artifacts_found_and_corrected():
    base = modulated(noise=3.0, seed=4)
    rr, clean, where = inject(base)
    got = pf_hrv(rr)
    for kind, i in where.items():
        assert got["class"][i] == kind, (kind, i, got["class"][i - 2:i + 3])
    assert got["n_corrected"] == 3
    assert got["corrected_pct"] == pytest.approx(3 / len(rr) * 100)
    assert got["n_ectopic"] == got["n_missed"] == got["n_extra"] == 1
    # the corrected series is the clean one's length and close to it
    nn = np.array(got["nn"])
    assert len(nn) == len(clean)
    assert np.max(np.abs(nn - clean)) < 40.0
    # time is kept: the same total duration, the corrected beats' sum
    assert nn.sum() == pytest.approx(rr.sum(), rel=1e-12)
    # and every metric of the corrected series matches the reference
    check_time(got, nn)
    check_spectrum(got["welch"], ref_welch(nn))
    # uncorrected, the same series is far off in RMSSD
    raw = pf_hrv(rr, "-a", "none")
    assert raw["rmssd"] > 2 * got["rmssd"]


def test_threshold_levels():
    base = modulated(noise=3.0, seed=5)
    rr = base.copy()
    rr[150] += 300.0		# a long interval, one third above its neighbours
    strong = pf_hrv(rr, "-a", "threshold", "-l", "2")   # 0.25 s at 60 bpm
    assert strong["class"][150] == "longshort"
    assert strong["n_corrected"] == 1
    assert abs(strong["nn"][150] - base[150]) < 40.0
    assert len(strong["nn"]) == len(rr)
    weak = pf_hrv(rr, "-a", "threshold", "-l", "0")     # 0.45 s: let through
    assert weak["n_corrected"] == 0
    check_time(strong, np.array(strong["nn"]))


def test_artifact_limit_flags_the_session():
    rr = modulated(noise=3.0, seed=6)
    for i in range(20, 395, 15):	# 25 ectopic beats: 6.25 %
        rr[i], rr[i + 1] = rr[i] * 0.6, rr[i + 1] * 1.4
    got = pf_hrv(rr)
    assert got["n_ectopic"] == 25
    assert got["corrected_pct"] > 5.0
    assert got["warnings"] & 0x0001


def test_short_recording_warns_and_refuses_what_it_cannot_compute():
    rr = modulated(n=50, seed=7)	# about 45 s: too short for HF and LF
    got = pf_hrv(rr)
    assert got["warnings"] & 0x0002 and got["warnings"] & 0x0004
    assert got["warnings"] & 0x0008
    assert got["warnings"] & 0x0020	# no DFA alpha2 under 128 beats
    assert got["dfa_a2"] is None
    check_time(got, rr)
    clean = pf_hrv(modulated(seed=7))
    assert clean["warnings"] & 0x0001 == 0


def test_bad_input_is_refused():
    assert subprocess.run([TOOL], input="800\n" * 29, capture_output=True,
                          text=True).returncode != 0
    rr = ["800\n"] * 40
    rr[7] = "150\n"
    p = subprocess.run([TOOL], input="".join(rr), capture_output=True,
                       text=True)
    assert p.returncode != 0 and "at least 30" in p.stderr
