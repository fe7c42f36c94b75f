"""`make install` and `make uninstall` into a DESTDIR, and the installed
suite at work: the tree (files and modes), the systemd units checked by
systemd-analyze (verify, security), sysusers.d and tmpfiles.d applied to
a scratch root, the installed programs run from the DESTDIR against the
test database (apid loading the installed module), then uninstall leaving
no file behind -- except an edited polarflow.conf, which is the
administrator's and survives both a re-install and an uninstall.

make is run with the BUILD the other tests use ($PF_BUILD), so an
up-to-date build is installed as it is, never rebuilt elsewhere."""
import filecmp
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import urllib.error
import urllib.request

import pytest

import harness
from fx_apid import free_port
from fx_syncd import KEY, polarsim, polarsim_factory  # noqa: F401

PREFIX = "/usr/local"
SBIN = "usr/local/sbin"
MODDIR = "usr/local/lib/polarflow"
DATA = "usr/local/share/polarflow"
MAN = "usr/local/share/man"
UNITDIR = "usr/local/lib/systemd/system"
CONF = "etc/polarflow/polarflow.conf"
PROGS = ("polarctl", "polarflow-syncd", "polarflow-analyticsd",
         "polarflow-apid")
DAEMONS = PROGS[1:]
SERVICES = tuple(d + ".service" for d in DAEMONS)
MAKE_VARS = ("PREFIX", "DESTDIR", "SBINDIR", "LIBDIR", "DATADIR", "MANDIR",
             "SYSCONFDIR", "SYSTEMDUNITDIR", "SYSUSERSDIR", "TMPFILESDIR",
             "BUILD", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")


def make(target, destdir):
    """make TARGET into destdir with the tests' build directory."""
    build = harness.BUILD
    if build.startswith(harness.TOP + os.sep):
        build = os.path.relpath(build, harness.TOP)
    env = harness.clean_env()
    for v in MAKE_VARS:     # nothing from the caller's make or shell
        env.pop(v, None)
    p = subprocess.run(
        ["make", "--no-print-directory", target, f"DESTDIR={destdir}",
         f"PREFIX={PREFIX}", f"BUILD={build}",
         "SANITIZE=" + os.environ.get("SANITIZE", "0")],
        cwd=harness.TOP, env=env, capture_output=True, text=True,
        timeout=600)
    assert p.returncode == 0, f"make {target}:\n{p.stdout}\n{p.stderr}"
    return p.stdout + p.stderr


def expected_files():
    """{path under DESTDIR: mode} of everything make install puts there."""
    files = {f"{SBIN}/{p}": 0o755 for p in PROGS}
    files[f"{MODDIR}/apid.so"] = 0o644
    files[f"{DATA}/polarflow.conf.sample"] = 0o644
    files[CONF] = 0o640
    for f in glob.glob(os.path.join(harness.TOP, "sql", "[0-9]*_*.sql")):
        files[f"{DATA}/sql/{os.path.basename(f)}"] = 0o644
    for f in glob.glob(os.path.join(harness.TOP, "man", "*.[578]")):
        name = os.path.basename(f)
        files[f"{MAN}/man{name[-1]}/{name}"] = 0o644
    for u in SERVICES + ("polarflow.target",):
        files[f"{UNITDIR}/{u}"] = 0o644
    files["usr/local/lib/sysusers.d/polarflow.conf"] = 0o644
    files["usr/local/lib/tmpfiles.d/polarflow.conf"] = 0o644
    return files


def tree(root):
    """Every non-directory under root, relative to it."""
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


@pytest.fixture
def destdir():
    d = tempfile.mkdtemp(prefix="pfinst.", dir="/tmp")
    make("install", d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def polarctl_at(destdir, *args, env=None):
    e = harness.clean_env(**(env or {}))
    return harness.run([os.path.join(destdir, SBIN, "polarctl"), "-f",
                        os.path.join(destdir, CONF), *args], env=e)


# -------------------------------------------------------------- tree ----

def test_install_puts_every_file_in_place_with_its_mode(destdir):
    want = expected_files()
    assert tree(destdir) == set(want)
    for rel, mode in want.items():
        st = os.lstat(os.path.join(destdir, rel))
        assert stat.S_ISREG(st.st_mode), rel
        assert stat.S_IMODE(st.st_mode) == mode, (rel, oct(st.st_mode))
    for f in glob.glob(os.path.join(harness.TOP, "sql", "[0-9]*_*.sql")):
        assert filecmp.cmp(f, os.path.join(
            destdir, DATA, "sql", os.path.basename(f)), shallow=False)
    # the programs installed are the ones built
    for p in PROGS:
        assert filecmp.cmp(harness.binary(p), os.path.join(destdir, SBIN, p),
                           shallow=False), p


def test_units_run_the_installed_programs(destdir):
    for d in DAEMONS:
        text = open(os.path.join(destdir, UNITDIR, d + ".service")).read()
        assert not re.search(r"@[A-Z]+@", text), text
        assert re.findall(r"^ExecStart=(.*)$", text, re.M) == [
            f"{PREFIX}/sbin/{d} -f /etc/polarflow/polarflow.conf"], text
        if d == "polarflow-apid":
            # kore's parent starts as root and its workers drop to
            # _polarapi (scripts/check-boot.sh shows them at it)
            assert "Environment=POLARFLOW_API_USER=_polarapi" in text
            assert not re.search(r"^User=", text, re.M), text
        else:
            assert "User=_polar" in text and "Group=polarflow" in text
        assert "WantedBy=polarflow.target" in text
        if d != "polarflow-apid":
            assert re.search(r"^WatchdogSec=60s$", text, re.M), d
    target = open(os.path.join(destdir, UNITDIR, "polarflow.target")).read()
    assert not re.search(r"@[A-Z]+@", target), target
    assert all(s in target for s in SERVICES)
    tmpfiles = open(os.path.join(
        destdir, "usr/local/lib/tmpfiles.d/polarflow.conf")).read()
    assert re.search(r"^d /run/polarflow 0770 root polarflow", tmpfiles,
                     re.M)
    assert not re.search(r"@[A-Z]+@", tmpfiles), tmpfiles
    assert re.search(r"^z /etc/polarflow/polarflow.conf 0640 root "
                     r"polarflow", tmpfiles, re.M)


def test_installed_config_is_the_commented_sample(destdir, tmp_path):
    conf = os.path.join(destdir, CONF)
    sample = os.path.join(destdir, DATA, "polarflow.conf.sample")
    assert filecmp.cmp(conf, sample, shallow=False)
    lines = open(sample).read().splitlines()
    # every line a comment: the installed file changes no default
    assert all(ln.startswith("#") for ln in lines if ln.strip()), lines
    assert "polarflow.conf(5)" in lines[0]
    # ... and it names every key the programs know
    p = polarctl_at(destdir, "show", "config")
    assert p.returncode == 0, p.stderr
    known = set(re.findall(r"^([a-z_]+) = ", p.stdout, re.M))
    assert len(known) > 20
    shown = {re.sub(r"_file$", "", k) for k in
             re.findall(r"^#([a-z_]+) = ", "\n".join(lines), re.M)}
    assert shown == known, (known - shown, shown - known)
    # each value shown is the default: uncommented, nothing changes (the
    # *_file examples name files an administrator would create)
    unc = tmp_path / "uncommented.conf"
    unc.write_text("\n".join(re.sub(r"^#([a-z_]+ = )", r"\1", ln)
                             for ln in lines
                             if not re.match(r"^#[a-z_]+_file = ", ln)))
    q = harness.run([os.path.join(destdir, SBIN, "polarctl"), "-f",
                     str(unc), "show", "config"], env=harness.clean_env())
    assert q.returncode == 0, q.stderr
    assert q.stdout.split("\n", 1)[1] == p.stdout.split("\n", 1)[1]
    for d in DAEMONS:
        r = harness.run([os.path.join(destdir, SBIN, d), "-n", "-f", conf],
                        env=harness.clean_env(ENCRYPTION_KEY=KEY))
        assert r.returncode == 0, (d, r.stdout, r.stderr)


# ----------------------------------------------------------- systemd ----

def analyze():
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed")
    return path


def test_units_pass_systemd_analyze_verify(destdir, tmp_path):
    """The installed units name /usr/local/sbin/...; verify checks that the
    command exists, so it sees copies whose ExecStart points into the
    DESTDIR (--root would want a whole system there), and MANPATH points
    at the installed manuals it checks Documentation= against."""
    sa = analyze()
    copies = []
    for u in SERVICES + ("polarflow.target",):
        text = open(os.path.join(destdir, UNITDIR, u)).read()
        text = text.replace(f"ExecStart={PREFIX}/sbin/",
                            f"ExecStart={destdir}/{SBIN}/")
        (tmp_path / u).write_text(text)
        copies.append(str(tmp_path / u))
    env = harness.clean_env(MANPATH=os.path.join(destdir, MAN))
    p = harness.run([sa, "verify", "--man=yes", *copies], env=env)
    # warnings (unknown keys, missing pages) leave the status 0: any
    # output at all is a failure
    assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), \
        p.stdout + p.stderr


def test_units_score_ok_in_systemd_analyze_security(destdir):
    sa = analyze()
    scores = {}
    for u in SERVICES:
        path = os.path.join(destdir, UNITDIR, u)
        # --threshold: exposure 0..100, "OK" ends below 50 (MEDIUM)
        p = harness.run([sa, "security", "--offline=true", "--no-pager",
                         "--threshold=49", path], env=harness.clean_env())
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)",
                      p.stdout + p.stderr)
        assert m, p.stdout + p.stderr
        scores[u] = (float(m.group(1)), m.group(2))
        assert p.returncode == 0, p.stdout + p.stderr
    print("systemd-analyze security:", scores)
    for u, (value, level) in scores.items():
        assert level in ("OK", "SAFE", "PERFECT") and value < 5.0, scores


@pytest.mark.skipif(os.geteuid() != 0, reason="tmpfiles chown needs root")
def test_sysusers_and_tmpfiles_prepare_a_system(destdir, tmp_path):
    """README's order on a scratch root: make install, systemd-sysusers,
    systemd-tmpfiles --create.  The daemons' users and group appear, the
    run directory is made, the config becomes readable by the group."""
    for tool in ("systemd-sysusers", "systemd-tmpfiles"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    root = tmp_path / "root"
    (root / "etc" / "polarflow").mkdir(parents=True)
    shutil.copy(os.path.join(destdir, CONF), root / CONF)
    os.chmod(root / CONF, 0o600)
    p = harness.run(["systemd-sysusers", f"--root={root}", os.path.join(
        destdir, "usr/local/lib/sysusers.d/polarflow.conf")])
    assert p.returncode == 0, p.stderr
    group = {ln.split(":")[0]: ln.split(":")
             for ln in (root / "etc/group").read_text().splitlines()}
    assert set(group["polarflow"][3].split(",")) == {
        "_polarsync", "_polaranalytics", "_polarapi"}
    gid = int(group["polarflow"][2])
    p = harness.run(["systemd-tmpfiles", f"--root={root}", "--create",
                     os.path.join(destdir,
                                  "usr/local/lib/tmpfiles.d/polarflow.conf")])
    assert p.returncode == 0, p.stderr
    st = os.stat(root / "run" / "polarflow")
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o770
    assert (st.st_uid, st.st_gid) == (0, gid)
    st = os.stat(root / CONF)
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == gid
    # the credentials store exists before any unit's LoadCredential= reads
    # it, and is root's alone
    for d in ("", "/syncd", "/apid"):
        st = os.stat(root / f"etc/polarflow/credentials{d}")
        assert stat.S_IMODE(st.st_mode) == 0o700, d
        assert (st.st_uid, st.st_gid) == (0, 0), d


# ----------------------------------------------- the installed suite ----

class Installed(harness.Daemon):
    """A daemon run from the DESTDIR with the installed config."""

    def __init__(self, destdir, name, env, logdir):
        super().__init__(name, ["-f", os.path.join(destdir, CONF)], env=env,
                         logdir=logdir, path=os.path.join(destdir, SBIN, name))

    def stop(self, timeout=20):
        return super().stop(timeout)


class Suite:
    """The installed programs from the DESTDIR, each with -f the installed
    (all-commented) polarflow.conf and the test's settings in the
    environment, sharing one short rundir as in /run/polarflow."""

    def __init__(self, destdir, db, sim, logdir):
        self.destdir = destdir
        self.logdir = logdir
        # ipc:// paths must stay short: not under tmp_path
        self.rundir = tempfile.mkdtemp(prefix="pfir.", dir="/tmp")
        self.port = free_port()
        self.env = harness.clean_env(
            DATABASE_URL=db.url, ENCRYPTION_KEY=KEY,
            POLARFLOW_RUNDIR=self.rundir, POLARFLOW_API_PORT=self.port,
            SYNC_ENABLED="false", POLAR_CLIENT_ID="polarsim-client",
            POLAR_CLIENT_SECRET="polarsim-secret",
            POLARFLOW_POLAR_API_URL=sim.url,
            POLARFLOW_POLAR_TOKEN_URL=sim.url + "/v2/oauth2/token",
            POLARFLOW_POLAR_AUTH_URL=sim.url + "/oauth2/authorization")
        if os.environ.get("PF_APID_PRELOAD"):   # see fx_apid
            self.env["LD_PRELOAD"] = os.environ["PF_APID_PRELOAD"]
        assert "POLARFLOW_APID_SO" not in self.env
        self.daemons = {}

    def ctl(self, *args):
        p = harness.run([os.path.join(self.destdir, SBIN, "polarctl"), "-f",
                         os.path.join(self.destdir, CONF), *args],
                        env=self.env)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    def migrate(self):
        doc = json.loads(self.ctl("-j", "db", "status"))
        assert doc["schema_version"] == 0 and doc["pending"] >= 1
        assert "applying 0001_init ... ok" in self.ctl("db", "migrate")
        doc = json.loads(self.ctl("-j", "db", "status"))
        assert doc["pending"] == 0 and \
            doc["schema_version"] == doc["build_version"]

    def start(self, name):
        d = self.daemons[name] = Installed(self.destdir, name, self.env,
                                           self.logdir)
        if name == "polarflow-apid":
            harness.wait_until(lambda: self._answers(d, "/health"),
                               timeout=30, what="apid /health")
        else:
            short = name.replace("polarflow-", "")
            url = f"ipc://{self.rundir}/{short}.ctl"
            harness.wait_until(lambda: self._answers(d, url), timeout=30,
                               what=url)
        return d

    def _answers(self, d, where):
        assert d.running(), d.logtext()
        if where.startswith("ipc://"):
            return harness.nng_call(where, {"v": 1, "type": "status"},
                                    timeout=1) is not None
        try:
            return self.get(where)[0] == 200
        except OSError:
            return False

    def get(self, path):
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        """SIGTERM to each, in reverse; {name: (exit status, log)}."""
        out = {}
        for name in reversed(list(self.daemons)):
            d = self.daemons[name]
            out[name] = (d.stop(), d.logtext())
        self.daemons = {}
        shutil.rmtree(self.rundir, ignore_errors=True)
        return out


@pytest.fixture
def suite(destdir, db, polarsim, tmp_path):  # noqa: F811
    s = Suite(destdir, db, polarsim, tmp_path)
    yield s
    s.stop()


def assert_clean_exits(res):
    for name, (rc, log) in res.items():
        if name == "polarflow-apid":    # kore: see the apid fixture
            assert rc in (0, -15, 143), log
        else:
            assert rc == 0, log


def test_installed_polarctl_and_daemons_run(suite):
    suite.migrate()
    for name in ("polarflow-syncd", "polarflow-analyticsd"):
        suite.start(name)
    assert_clean_exits(suite.stop())


def test_installed_apid_loads_the_installed_module(suite, destdir):
    suite.migrate()
    for name in DAEMONS:
        suite.start(name)
    # kore loaded the installed module, found relative to the launcher
    # (POLARFLOW_APID_SO is not set)
    kconf = open(os.path.join(suite.rundir, "apid-kore.conf")).read()
    so = os.path.realpath(os.path.join(destdir, MODDIR, "apid.so"))
    assert re.search(rf"^load {re.escape(so)}$", kconf, re.M), kconf
    code, body = suite.get("/ready")
    ready = json.loads(body)
    assert code == 200, ready
    assert ready["status"] == "ready" and ready["database"] == "ok"
    assert ready["syncd"] == "ok", ready
    # the installed admin tool sees every installed daemon (exit 0)
    assert json.loads(suite.ctl("-j", "show", "status"))
    assert_clean_exits(suite.stop())


# --------------------------------------------------------- uninstall ----

def test_uninstall_removes_everything_it_installed(destdir):
    out = make("uninstall", destdir)
    assert tree(destdir) == set(), out
    # and the directories that were its own
    for d in (DATA, MODDIR, "etc/polarflow"):
        assert not os.path.exists(os.path.join(destdir, d)), d
    # a second uninstall finds nothing to do and does not fail
    make("uninstall", destdir)


def test_edited_config_survives_reinstall_and_uninstall(destdir):
    conf = os.path.join(destdir, CONF)
    with open(conf, "a") as f:
        f.write("api_port = 8123\n")
    os.chmod(conf, 0o600)
    edited = open(conf).read()
    out = make("install", destdir)
    assert "kept the existing" in out, out
    assert open(conf).read() == edited
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
    # the sample next to it is the pristine one
    assert filecmp.cmp(os.path.join(harness.TOP, "etc/polarflow.conf.sample"),
                       os.path.join(destdir, DATA, "polarflow.conf.sample"),
                       shallow=False)
    out = make("uninstall", destdir)
    assert f"kept {conf}" in out, out
    assert tree(destdir) == {CONF}
    assert open(conf).read() == edited
    # once the administrator removes it, uninstall tidies the directory
    os.unlink(conf)
    make("uninstall", destdir)
    assert not os.path.exists(os.path.dirname(conf))
