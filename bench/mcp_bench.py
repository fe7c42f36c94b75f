#!/usr/bin/env python3
"""mcp_bench.py -- "make bench" for MCP at POST /mcp.

Seeds 1,000 users (each with a user key and an insights document) into a
private PostgreSQL cluster, starts polarflow-apid (kore, 2 workers) and
runs wrk (64 connections, random users with their own keys) sending
JSON-RPC `tools/call get_health_insights`: API-key lookup, the quota
lease, JSON-RPC parsing, the tool and its result envelope included.  The
same run measures REST GET /insights for comparison, and the RSS of each
kore worker when it is up, after a warm-up and after the measured runs.
It measures; it does not pass or fail on a number.
"""
import json
import os
import re
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apid_bench as ab  # noqa: E402
import benchlib  # noqa: E402

ab.DAYS = int(os.environ.get("MCP_BENCH_DAYS", "30"))

BODY = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "get_health_insights",
                              "arguments": {}}})


def lua_script(path, keys, method, target, body):
    with open(path, "w") as f:
        f.write("local u = {\n")
        for uid, k in keys:
            f.write(f'{{"{uid}","{k}"}},\n')
        f.write("}\n")
        f.write("request = function()\n"
                "  local x = u[math.random(#u)]\n")
        if body:
            f.write(f"  return wrk.format(\"{method}\", \"{target}\", "
                    "{[\"X-API-Key\"] = x[2], "
                    "[\"Content-Type\"] = \"application/json\", "
                    "[\"Accept\"] = \"application/json, text/event-stream\"},"
                    f" {json.dumps(body)})\n")
        else:
            f.write(f"  return wrk.format(\"{method}\", "
                    f"\"/api/v1/users/\" .. x[1] .. \"{target}\", "
                    "{[\"X-API-Key\"] = x[2]})\n")
        f.write("end\n")
        # wrk counts only non-2xx; a JSON-RPC error is a 200: count them
        f.write("local threads = {}\n"
                "setup = function(thread) table.insert(threads, thread) end\n"
                "errors = 0\n"
                "response = function(status, headers, body)\n"
                "  if string.find(body, '\"isError\":true', 1, true) or\n"
                "     string.find(body, '\"error\":', 1, true) then\n"
                "    errors = errors + 1\n"
                "  end\n"
                "end\n"
                "done = function(summary, latency, requests)\n"
                "  local n = 0\n"
                "  for _, t in ipairs(threads) do n = n + t:get('errors') end\n"
                "  io.write(string.format('rpc errors: %d\\n', n))\n"
                "end\n")


def wrk(port, script):
    """apid_bench's wrk run, plus the JSON-RPC errors the script counted."""
    r = benchlib.wrk(port, script, ab.CONNS, ab.DUR)
    m = re.search(r"rpc errors: (\d+)", r.pop("out"))
    r["rpc_errors"] = int(m.group(1)) if m else -1
    return r


def mb(rss):
    return ", ".join(f"{v / 1024:.1f} MB" for v in sorted(rss.values()))


def main():
    with benchlib.ApidStack("pfmb.", seed=ab.seed,
                            max_connections=300) as st:
        print(f"seeded {ab.USERS} users x {ab.DAYS} days in "
              f"{st.seed_s:.1f} s")
        run(st)


def run(st):
    work, port = st.work, st.port
    rss_start = benchlib.rss_kb(st.pid)
    keys = ab.keys()
    mcp_lua = os.path.join(work, "mcp.lua")
    rest_lua = os.path.join(work, "rest.lua")
    lua_script(mcp_lua, keys, "POST", "/mcp", BODY)
    lua_script(rest_lua, keys, "GET", "/insights", None)
    # warm-up: every key leased, every answer cached, once
    subprocess.run(["wrk", "-t2", "-c64", "-d3s", "-s", mcp_lua,
                    f"http://127.0.0.1:{port}"], capture_output=True)
    rss_warm = benchlib.rss_kb(st.pid)
    results = {}
    for name, lua in (("mcp tools/call get_health_insights", mcp_lua),
                      ("rest GET /insights", rest_lua),
                      ("mcp tools/call get_health_insights (again)",
                       mcp_lua)):
        before = ab.server_hist(port)
        r = wrk(port, lua)
        r["server_p99"] = ab.hist_p99(before, ab.server_hist(port))
        results[name] = r
        print(f"{name}: {r['rps']:.0f} calls/s, p50 {r['p50']:.2f} ms, "
              f"p99 {r['p99']:.2f} ms (in apid: <= "
              f"{r['server_p99']:g} ms), non-2xx {r['non2xx']}, "
              f"JSON-RPC or tool errors {r['rpc_errors']}"
              f"{', socket errors ' + r['errors'] if r['errors'] else ''}")
    # one answer, checked: the bench must measure successful calls
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", data=BODY.encode(),
        method="POST", headers={"X-API-Key": keys[0][1],
                                "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        doc = json.loads(r.read())
    ok = doc["result"]["isError"] is False and doc["result"][
        "structuredContent"]["user_id"] == keys[0][0]
    rss_end = benchlib.rss_kb(st.pid)
    print(f"worker RSS: at start {mb(rss_start)}; after warm-up "
          f"{mb(rss_warm)}; after {3 * ab.DUR} s of calls "
          f"{mb(rss_end)}")
    growth = {p: (rss_end.get(p, 0) - rss_warm.get(p, 0)) / 1024
              for p in rss_warm}
    print("worker RSS change after warm-up: " + ", ".join(
        f"{v:+.1f} MB" for v in growth.values()))
    print(f"answer checked: {'ok' if ok else 'WRONG: ' + str(doc)}")
    print(json.dumps({"routes": results, "rss_kb": {
        "start": rss_start, "warm": rss_warm, "end": rss_end}}))


if __name__ == "__main__":
    main()
