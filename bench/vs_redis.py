#!/usr/bin/env python3
"""vs_redis.py - zown against Redis and Python multiprocessing, cell by cell.

Every cell of CELLS is measured three ways in each round, one right after the
other: zown (bench/zown_bench.c's forked worker processes over ipc against a
`zown serve`), Redis (redis-benchmark against a redis-server on a unix
socket) and, where the cell has one, Python's recipe (bench/mp_baseline.py).
Rounds repeat the whole list, so drift of a shared machine hits all three
alike; ratios are taken inside each round, then their median is printed.

All servers run in one private temporary directory, each with its own
persistence: none, a journal / AOF with fsync always, or everysec. The
memory cell starts fresh servers each round and compares the growth of the
server's RSS for 1M entries of 16-byte keys and 16-byte values (zown's
dict, a Redis hash's used_memory_rss, a Manager().dict()'s server process).

CPU per op of the server: utime + stime of the server process (all its
threads, libzmq's I/O threads included) from /proc/PID/stat, read before
and after each cell; `perf stat -p PID` counts nothing on the VM this was
written on, and /proc gives the same figure at 10 ms resolution.

Redis is optional: without redis-server and redis-benchmark on PATH (Debian
packages redis-server and redis-tools; `scripts/setup --bench` installs
them) the Redis columns say "skipped" and the rest still runs.

A cell is one row of CELLS: add one there to measure something new.

Usage: bench/vs_redis.py --bench build/zown_bench [--zown build/zown]
                         [--repeat R] [--quick] [--no-python] [--no-redis]
                         [--json FILE] | --report FILE [--quick] [--no-python]
Prints Markdown tables on stdout; --json also writes one JSON line per
round; --report prints the tables of such a file again. Exit 1 if any
measurement fails.
"""

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")

#   Sizes per kind of cell: zown ops per worker, Redis requests in all,
#   Python ops per worker; then the same for --quick.
#   Each cell lasts about a second or less, which a loaded machine disturbs
#   less than shorter ones.
SIZES = {
    "rt": ((4000, 50000, 1000), (50, 500, 50)),
    "rt_always": ((500, 1000, 0), (20, 50, 0)),
    "pipe": ((100000, 1000000, 1000), (500, 5000, 50)),
    "batch": ((400000, 2000000, 1000), (1000, 10000, 50)),
}
MEMORY_ENTRIES = (1000000, 10000)
PERSISTENCE = ("none", "always", "everysec")


def cell(key, label, workers, zown, redis, python=None, size="rt", window=None,
         persistence="none", python_workers=None, zown_args=()):
    """One row: zown_bench workload (zown_args: more zown_bench options),
    Redis benchmark command(s) (each a redis-benchmark argument string;
    several run one after the other and count together), mp_baseline.py
    workload (or None)."""
    return {"key": key, "label": label, "workers": workers, "zown": zown, "redis": redis,
            "python": python, "python_workers": python_workers or workers, "size": size,
            "window": window, "persistence": persistence, "zown_args": list(zown_args)}


INCR = "INCR counter"
HSET = "-r 100000 HSET h key:__rand_int__ v"
CELLS = [
    cell("add_rt_1", "round-trip add", 1, "value_add", [f"-c 1 {INCR}"], "mgr_value_add"),
    cell("add_rt_5", "round-trip add", 5, "value_add", [f"-c 5 {INCR}"], "mgr_value_add"),
    cell("set_rt_1", "round-trip dict set", 1, "dict_set", [f"-c 1 {HSET}"], "mgr_dict_set"),
    cell("queue_rt_1", "round-trip queue put, get", 1, "queue_rt",
         ["-c 1 RPUSH q v", "-c 1 LPOP q"]),
    cell("get_rt_1", "round-trip value get", 1, "value_get", ["-c 1 GET counter"]),
    cell("add_pipe_1", "pipelined single adds, 100 in flight", 1, "pipe_add",
         [f"-c 1 -P 100 {INCR}"], "mgr_value_add", size="pipe"),
    cell("add_pipe_5", "pipelined single adds, 100 in flight", 5, "pipe_add",
         [f"-c 5 -P 100 {INCR}"], "mgr_value_add", size="pipe"),
    cell("add_buf_5", "buffered single adds (a plain loop)", 5, "buf_add",
         [f"-c 5 -P 100 {INCR}"], "mgr_value_add", size="pipe"),
    cell("set_buf_5", "buffered single dict sets (a plain loop)", 5, "buf_set",
         [f"-c 5 -P 100 {HSET}"], "mgr_dict_set", size="pipe"),
    cell("add_batch_1", "100-op batches of adds, 1 in flight", 5, "batch_add",
         [f"-c 5 -P 100 {INCR}"], "mgr_value_add", size="batch", window=1),
    cell("add_batch_4", "100-op batches of adds, 4 in flight", 5, "batch_add",
         [f"-c 5 -P 100 {INCR}"], "mgr_value_add", size="batch", window=4),
    cell("set_batch_1", "100-op batches of dict sets, 1 in flight", 5, "batch_set",
         [f"-c 5 -P 100 {HSET}"], "mgr_dict_set", size="batch", window=1),
    cell("set_batch_4", "100-op batches of dict sets, 4 in flight", 5, "batch_set",
         [f"-c 5 -P 100 {HSET}"], "mgr_dict_set", size="batch", window=4),
]
#   Persistence: the same loads against servers with a journal / AOF, each
#   compared with its cell above (the ratio of ratios of the second table).
JOURNAL_BASES = ("add_rt_1", "add_rt_5", "add_pipe_5", "add_buf_5")
for _mode in ("always", "everysec"):
    for _base in [c for c in CELLS if c["key"] in JOURNAL_BASES]:
        _size = "rt_always" if _mode == "always" and _base["size"] == "rt" else _base["size"]
        CELLS.append(dict(_base, key=f"{_base['key']}_{_mode}", python=None, size=_size,
                          persistence=_mode, base=_base["key"]))


class Failure(Exception):
    pass


def proc_cpu_s(pid):
    """utime + stime of a process, all threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure(f"no VmRSS for {pid}")


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise Failure(f"{' '.join(argv)} exited {result.returncode}: "
                      f"{(result.stderr or result.stdout).strip()[-400:]}")
    return result.stdout


class ZownServer:
    def __init__(self, cli, tmp, name, persistence):
        argv = [cli, "serve", "--name", name]
        if persistence != "none":
            argv += ["--data", os.path.join(tmp, f"{name}.journal"), "--fsync", persistence]
        env = dict(os.environ, ZOWN_RUNDIR=tmp)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env)
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint.startswith("ipc://"):
            self.stop()
            raise Failure(f"zown serve {name} did not start")
        self.pid = self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class RedisServer:
    def __init__(self, tmp, name, persistence):
        self.dir = os.path.join(tmp, name)
        os.mkdir(self.dir)
        self.socket = os.path.join(self.dir, "redis.sock")
        argv = ["redis-server", "--port", "0", "--unixsocket", self.socket,
                "--unixsocketperm", "700", "--dir", self.dir, "--save", "",
                "--logfile", os.path.join(self.dir, "log")]
        if persistence == "none":
            argv += ["--appendonly", "no"]
        else:
            argv += ["--appendonly", "yes", "--appendfsync", persistence]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-s", self.socket, "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise Failure(f"redis-server {name} did not start")
            time.sleep(0.05)

    def rss(self):
        out = run(["redis-cli", "-s", self.socket, "info", "memory"])
        for line in out.splitlines():
            if line.startswith("used_memory_rss:"):
                return int(line.split(":")[1])
        raise Failure("no used_memory_rss")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


class Bench:
    def __init__(self, args, tmp):
        self.a = args
        self.tmp = tmp
        self.quick = 1 if args.quick else 0
        self.zown = {}
        self.redis = {}
        self.serial = 0

    def start(self):
        for mode in PERSISTENCE:
            self.zown[mode] = self.new_zown(mode)
            if self.a.redis:
                self.redis[mode] = self.new_redis(mode)

    def new_zown(self, mode):
        self.serial += 1
        return ZownServer(self.a.zown, self.tmp, f"z{self.serial}-{mode}", mode)

    def new_redis(self, mode):
        self.serial += 1
        return RedisServer(self.tmp, f"r{self.serial}-{mode}", mode)

    def stop(self):
        for server in list(self.zown.values()) + list(self.redis.values()):
            server.stop()

    def sizes(self, c):
        return SIZES[c["size"]][self.quick]

    def zown_cell(self, c):
        per_worker = self.sizes(c)[0]
        server = self.zown[c["persistence"]]
        argv = [self.a.bench, "--endpoint", server.endpoint, "--workloads", c["zown"],
                "--workers", str(c["workers"]), "--repeat", "1", "--json",
                "--ops", str(per_worker), "--pipe-ops", str(per_worker)]
        if c["window"]:
            argv += ["--batch-window", str(c["window"])]
        argv += c["zown_args"]
        cpu = proc_cpu_s(server.pid)
        out = run(argv)
        cpu = proc_cpu_s(server.pid) - cpu
        rows = [json.loads(x) for x in out.splitlines() if x.startswith('{"kind":"cell"')]
        if len(rows) != 1:
            raise Failure(f"zown_bench printed {len(rows)} cells for {c['key']}")
        return {"ops": rows[0]["ops"], "ops_per_s": rows[0]["ops_per_s"],
                "cpu_us_per_op": cpu * 1e6 / rows[0]["ops"]}

    def redis_cell(self, c):
        total = self.sizes(c)[1]
        server = self.redis[c["persistence"]]
        seconds = ops = 0
        cpu = proc_cpu_s(server.pid)
        for command in c["redis"]:
            argv = ["redis-benchmark", "-s", server.socket, "-n", str(total), "--csv"]
            out = run(argv + command.split())
            rps = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
            seconds += total / rps
            ops += total
        cpu = proc_cpu_s(server.pid) - cpu
        return {"ops": ops, "ops_per_s": ops / seconds, "cpu_us_per_op": cpu * 1e6 / ops}

    def python_cell(self, workload, workers, round_):
        ops = SIZES["rt"][self.quick][2]
        out = run([sys.executable, os.path.join(ROOT, "bench", "mp_baseline.py"),
                   "--workloads", workload, "--workers", str(workers), "--ops", str(ops),
                   "--repeat", "1", "--first-run", str(round_)])
        row = [json.loads(x) for x in out.splitlines() if x.startswith("{")][0]
        return {"ops": row["ops"], "ops_per_s": row["ops_per_s"]}

    def memory(self):
        """Bytes per entry of 1M 16-byte keys to 16-byte values, as growth
        of each server's RSS; fresh servers."""
        entries = MEMORY_ENTRIES[self.quick]
        result = {}
        zown = self.new_zown("none")
        try:
            before = proc_rss_kb(zown.pid)
            run([self.a.bench, "--endpoint", zown.endpoint, "--workloads", "fill_dict",
                 "--workers", "1", "--repeat", "1", "--json", "--pipe-ops", str(entries)])
            result["zown"] = (proc_rss_kb(zown.pid) - before) * 1024 / entries
        finally:
            zown.stop()
        if self.a.redis:
            redis = self.new_redis("none")
            try:
                before = redis.rss()
                protocol = "".join(
                    f"*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$16\r\nk{i:015d}\r\n$16\r\nv{i:015d}\r\n"
                    for i in range(entries))
                run(["redis-cli", "-s", redis.socket, "--pipe"], input=protocol)
                if int(run(["redis-cli", "-s", redis.socket, "hlen", "h"])) != entries:
                    raise Failure("the Redis hash does not hold every entry")
                result["redis"] = (redis.rss() - before) / entries
            finally:
                redis.stop()
        if self.a.python:
            result["python"] = manager_dict_bytes(entries)
        return result


def manager_dict_bytes(entries):
    """RSS growth of a Manager's server process per entry of a dict of 16-byte
    str keys and values, filled 10,000 at a time."""
    manager = multiprocessing.get_context("fork").Manager()
    try:
        shared = manager.dict()
        pid = manager._process.pid
        before = proc_rss_kb(pid)
        for start in range(0, entries, 10000):
            shared.update({f"k{i:015d}": f"v{i:015d}"
                           for i in range(start, min(entries, start + 10000))})
        if len(shared) != entries:
            raise Failure("the Manager dict does not hold every entry")
        return (proc_rss_kb(pid) - before) * 1024 / entries
    finally:
        manager.shutdown()


def round_ratios(rows, key, num, den, field="ops_per_s"):
    """num / den of each round that has both."""
    return sorted(r[key][num][field] / r[key][den][field] for r in rows
                  if num in r.get(key, {}) and den in r.get(key, {}) and r[key][den][field])


def median_ratio(rows, key, num, den, field="ops_per_s", spread=False):
    """Median over rounds of num / den of the same round, as text; with
    spread, the range of the single rounds after it."""
    vals = round_ratios(rows, key, num, den, field)
    if not vals:
        return "-"
    text = f"{statistics.median(vals):.2f}"
    if spread and len(vals) > 1:
        text += f" ({vals[0]:.2f}-{vals[-1]:.2f})"
    return text


def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def med(rows, key, impl, field="ops_per_s"):
    vals = [r[key][impl][field] for r in rows if impl in r.get(key, {})]
    return statistics.median(vals) if vals else None


def redis_label(c):
    return " then ".join(f"`{x}`" for x in c["redis"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "zown_bench"))
    ap.add_argument("--zown", default=None, help="zown CLI (default: beside --bench)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-python", dest="python", action="store_false")
    ap.add_argument("--no-redis", dest="redis", action="store_false")
    ap.add_argument("--json", default=None, help="also write the measurements here")
    ap.add_argument("--report", default=None, help="print the tables of a --json file")
    a = ap.parse_args()
    if a.report:
        with open(a.report) as f:
            rounds = [json.loads(line)["cells"] for line in f if line.strip()]
        has_redis = any("redis" in r[c["key"]] for r in rounds for c in CELLS)
        report(rounds, a, None if has_redis else "skipped")
        return 0
    a.zown = a.zown or os.path.join(os.path.dirname(a.bench), "zown")
    for path in (a.bench, a.zown):
        if not os.access(path, os.X_OK):
            sys.exit(f"vs_redis.py: no program at {path}")
    missing = [p for p in ("redis-server", "redis-benchmark", "redis-cli") if not shutil.which(p)]
    skip_redis = None
    if not a.redis:
        skip_redis = "skipped (--no-redis)"
    elif missing:
        a.redis = False
        skip_redis = f"skipped: no {', '.join(missing)} (`scripts/setup --bench` installs them)"
    if skip_redis:
        print(f"vs_redis.py: Redis cells {skip_redis}", file=sys.stderr)

    tmp = tempfile.mkdtemp(prefix="zown-vs-redis-")
    bench = Bench(a, tmp)
    rounds = []
    out = open(a.json, "w") if a.json else None
    try:
        bench.start()
        for round_ in range(1, a.repeat + 1):
            print(f"vs_redis.py: round {round_} of {a.repeat}", file=sys.stderr)
            results = {}
            python_cache = {}
            for c in CELLS:
                res = results[c["key"]] = {"zown": bench.zown_cell(c)}
                if a.redis:
                    res["redis"] = bench.redis_cell(c)
                if a.python and c["python"]:
                    pkey = (c["python"], c["python_workers"])
                    if pkey not in python_cache:
                        python_cache[pkey] = bench.python_cell(*pkey, round_)
                    res["python"] = python_cache[pkey]
            results["memory"] = {k: {"bytes_per_entry": v} for k, v in bench.memory().items()}
            rounds.append(results)
            if out:
                print(json.dumps({"round": round_, "cells": results}), file=out, flush=True)
    except Failure as e:
        print(f"vs_redis.py: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        bench.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if out:
            out.close()
    report(rounds, a, skip_redis)
    return 0


def report(rounds, a, skip_redis):
    n = len(rounds)
    print(f"### zown ÷ Redis and zown ÷ Python, cell by cell\n")
    print(f"Medians of {n} interleaved round(s) (zown, Redis, Python, cell after cell); ratios "
          "are medians of the same-round ratios. ops/s are totals over the W processes (Redis: "
          "`-c W` connections of one redis-benchmark). Server CPU: µs of CPU of the server "
          "process (all threads) per op. zown ÷ Redis: median (range of the single rounds)."
          + (f" Redis: {skip_redis}." if skip_redis else "")
          + "\n")
    print("| cell | W | zown ops/s | Redis | Redis ops/s | zown ÷ Redis | Python recipe "
          "| Python ops/s | zown ÷ Python | server CPU µs/op, zown / Redis |")
    print("|---|--:|--:|---|--:|--:|---|--:|--:|--:|")
    recipes = {"mgr_value_add": "Manager Value + Lock", "mgr_dict_set": "Manager dict"}
    for c in CELLS:
        k = c["key"]
        label = c["label"]
        if c["persistence"] != "none":
            label += f", journal / AOF {c['persistence']}"
        redis = "skipped" if skip_redis else redis_label(c)
        if c["persistence"] != "none" and not skip_redis:
            redis += f" (appendfsync {c['persistence']})"
        py = recipes.get(c["python"], "-") if c["python"] and a.python else "-"
        if py != "-" and c["python_workers"] != c["workers"]:
            py += f" (W={c['python_workers']})"
        cpu = f"{fmt(med(rounds, k, 'zown', 'cpu_us_per_op'), 2)} / " \
              f"{fmt(med(rounds, k, 'redis', 'cpu_us_per_op'), 2)}"
        print(f"| {label} | {c['workers']} | {fmt(med(rounds, k, 'zown'))} | {redis} "
              f"| {fmt(med(rounds, k, 'redis'))} "
              f"| {median_ratio(rounds, k, 'zown', 'redis', spread=True)} "
              f"| {py} | {fmt(med(rounds, k, 'python'))} "
              f"| {median_ratio(rounds, k, 'zown', 'python')} | {cpu} |")
    f = "bytes_per_entry"
    print(f"| memory, bytes per entry of {MEMORY_ENTRIES[1 if a.quick else 0]:,} 16-byte keys "
          f"and values (lower is better) | 1 | {fmt(med(rounds, 'memory', 'zown', f))} "
          f"| {'skipped' if skip_redis else 'HSET, `used_memory_rss` growth'} "
          f"| {fmt(med(rounds, 'memory', 'redis', f))} "
          f"| {median_ratio(rounds, 'memory', 'zown', 'redis', f, spread=True)} "
          f"| {'Manager dict, server RSS growth' if a.python else '-'} "
          f"| {fmt(med(rounds, 'memory', 'python', f))} "
          f"| {median_ratio(rounds, 'memory', 'zown', 'python', f)} | - |")
    print()
    print("### What persistence keeps: zown's journal against Redis's AOF\n")
    print("Same rounds; each ratio of ops/s within a round. Target: zown keeps at least what Redis "
          "keeps (≥ 1).\n")
    print("| load | W | fsync | zown, journal ÷ none | Redis, AOF ÷ none | zown ÷ Redis of those (≥ 1) |")
    print("|---|--:|---|--:|--:|--:|")
    for c in CELLS:
        if c["persistence"] == "none":
            continue

        def kept(impl):
            vals = [r[c["key"]][impl]["ops_per_s"] / r[c["base"]][impl]["ops_per_s"]
                    for r in rounds if impl in r[c["key"]]]
            return vals

        zk, rk = kept("zown"), kept("redis")
        both = [z / r for z, r in zip(zk, rk)]
        verdict = "-"
        if both:
            m = statistics.median(both)
            verdict = f"{m:.2f} {'yes' if m >= 1 else '**no**'}"
        print(f"| {c['label']} | {c['workers']} | {c['persistence']} "
              f"| {fmt(statistics.median(zk) if zk else None, 3)} "
              f"| {fmt(statistics.median(rk) if rk else None, 3)} | {verdict} |")


if __name__ == "__main__":
    sys.exit(main())
