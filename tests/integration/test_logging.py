"""Log lines of the daemons: under journald (stderr is the stream that
JOURNAL_STREAM names) a text line carries only its syslog priority and
level, because journald adds time, program and pid itself; elsewhere every
line is "<program>[<pid>]: <level>: <message>"; apid's request lines follow
log_format like every other line; and one event is worded alike in every
daemon."""
import os
import re

import harness
from fx_analyticsd import analyticsd  # noqa: F401
from fx_apid import MASTER, Apid
from fx_syncd import polarsim, polarsim_factory, syncd_factory  # noqa: F401


def journal_stream(logdir, name):
    """JOURNAL_STREAM naming the log file harness.Daemon will write: the
    file is made now and only truncated when the daemon starts."""
    path = os.path.join(str(logdir), name + ".log")
    open(path, "wb").close()
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}"


def test_analyticsd_under_journald(analyticsd, tmp_path):
    a = analyticsd(extra_env={"JOURNAL_STREAM": journal_stream(
        tmp_path, "polarflow-analyticsd")}).start()
    assert a.stop() == 0
    lines = [x for x in a.log().splitlines() if x]
    assert lines, a.log()
    assert all(x.startswith(("<6>info: ", "<7>debug: ")) for x in lines), \
        a.log()
    assert any(x.startswith("<6>info: started") for x in lines)


def test_analyticsd_elsewhere(analyticsd, tmp_path):
    # another stream than the one JOURNAL_STREAM names: the full prefix
    a = analyticsd(extra_env={"JOURNAL_STREAM": "1:1"}).start()
    assert a.stop() == 0
    lines = [x for x in a.log().splitlines() if x]
    assert all(x.startswith("polarflow-analyticsd[") for x in lines), \
        a.log()


def test_apid_request_lines_follow_log_format(migrated, tmp_path):
    env = {"JOURNAL_STREAM": journal_stream(tmp_path, "polarflow-apid")}
    a = Apid(migrated, tmp_path, extra_conf="log_format = text\n", env=env)
    try:
        a.get("/api/v1/users/nobody/sleep", MASTER)
        harness.wait_until(lambda: "msg=" in a.proc.logtext() or
                           "info: request " in a.proc.logtext(),
                           timeout=5, what="the request line")
    finally:
        a.stop()
    log = a.proc.logtext()
    req = [x for x in log.splitlines() if " request " in x]
    assert req and all(x.startswith("<6>info: request method=GET ")
                       for x in req), log
    assert "path=/api/v1/users/nobody/sleep status=200" in req[-1]
    assert not any(x.startswith("{") for x in log.splitlines()), log
    assert "polarflow-apid[" not in log


def test_log_verbose_worded_alike(analyticsd, syncd_factory):
    a = analyticsd().start(args=())
    s = syncd_factory(extra={"log_level": "info"})
    for d in (a, s):
        assert d.call({"v": 1, "type": "log.verbose"})["ok"] is True
    harness.wait_until(lambda: "log level set to debug" in s.log(),
                       timeout=5, what="syncd's line")
    lines = [x.split(": ", 1)[1] for d in (a, s)
             for x in d.log().splitlines() if "log level set" in x]
    assert lines == ["info: log level set to debug"] * 2, lines
    # and start alike: "started (schema N, ...)"
    for d in (a, s):
        assert re.search(r"\]: info: started \(schema \d+, ", d.log()), \
            d.log()
    assert a.stop() == 0
