#!/usr/bin/env python3
"""Python multiprocessing baseline for zown's shared-state benchmark.

Measures what the same workloads cost with the standard-library tools a
Python programmer would reach for, so the docs can compare them with zown:

  mgr_value_add   Manager().Value('q', 0) + Manager().Lock();
                  op = `with lock: v.value += 1`   (checked: final == W*N)
  mgr_dict_set    Manager().dict(); op = d[f"k{worker}_{i % 100}"] = i
                  (checked: final dict contents)
  mgr_dict_get    Manager().dict() pre-filled with 100 keys; op = d[key]
                  (checked: every value read)
  value_lock_add  multiprocessing.Value('q', 0, lock=True) in shared memory,
                  no manager; op = `with v.get_lock(): v.value += 1`
                  (checked: final == W*N)

Synchronisation workloads (--sync, or name them in --workloads), for
bench/sync_bench.c; their process counts are fixed and --workers is ignored:

  mgr_lock_pairs      Manager().Lock(), 1 process; op = acquire + release
                      (--pairs, default 2000)
  mgr_lock_contended  Manager().Lock(), 5 processes, each --contended pairs
                      (default 500); ops/s = total pairs / seconds
  mgr_queue           Manager().Queue(): 1 producer puts 1..N then one None
                      per consumer, 4 consumers get until None; ops = items
                      (--queue-items, default 20000); checked: every item
                      received exactly once (count, sum, sum of squares)
  mp_queue            multiprocessing.Queue(), the same pattern
                      (--mp-queue-items, default 200000)

Pool workloads (--pool, or name them in --workloads), for bench/pool_bench.c;
--workers defaults to 1,2,4 there:

  pool_empty      CTX.Pool(W).map(f, range(N), chunksize=1) with f(x) = x
                  (--pool-tasks, default 20000); checked: result == range(N)
  pool_sleep1ms   the same with f(x) = time.sleep(0.001); return x
                  (--pool-sleep-tasks, default 2000)

Each pool cell run starts its Pool in a forked cell runner, warms it (maps of
4 x W tasks of the same work returning os.getpid(), until every worker has
run one; at most 10 s), then times the one map call: perf_counter() before
the call and after it returns (the result list built). Worker start-up is not
timed; startup_ms is the time from Pool() to the end of the warm-up.
peak_rss_kb is getrusage(RUSAGE_SELF).ru_maxrss of the cell runner (the
process that calls Pool.map, with the pool's handler threads), and
children_peak_rss_kb getrusage(RUSAGE_CHILDREN).ru_maxrss after close() and
join(): the largest worker.

There is no lock-death workload: a Manager().Lock() (or any multiprocessing
lock) whose holder is killed is never released, so the next acquire without a
timeout blocks forever (with a timeout, it only ever times out).

Each (workload, W) cell runs in its own forked "cell runner" process, which
starts the manager (if any) and W worker processes with the 'fork' start
method. Workers set up and warm their proxy connections, meet at a barrier,
then wait for a start event. The parent records time.perf_counter() just
before setting the event; each worker records perf_counter() after its last
op (CLOCK_MONOTONIC, the same clock in every process). seconds is the time
from the release to the last worker's last op. Each worker also times every
op with perf_counter_ns(); p50/p99 are over all ops of all workers.

peak_rss_kb is resource.getrusage(RUSAGE_CHILDREN).ru_maxrss read in the
cell runner after it has joined its workers and shut down the manager: the
largest peak RSS of any single process of that cell (the manager server or
a worker), in KiB. server_peak_rss_kb is the manager server's own VmHWM from
/proc (null for value_lock_add, which has no server).

Output: one JSON object per line on stdout, one line for each run of each
(workload, workers) cell. Exit status is 1 if any correctness check fails
or a worker crashes.

Usage:
  python3 bench/mp_baseline.py                  # default: W=1,2,5,8, N=2000
  python3 bench/mp_baseline.py --quick          # smoke test, tiny N
  python3 bench/mp_baseline.py --pool --table   # Pool.map, W=1,2,4
  python3 bench/mp_baseline.py --workers 1,4 --ops 5000 --repeat 3 \\
          --workloads mgr_value_add,value_lock_add --table
"""

import argparse
import json
import multiprocessing
import os
import platform
import resource
import sys
import time
import traceback
from array import array

CTX = multiprocessing.get_context("fork")
WORKLOADS = ("mgr_value_add", "mgr_dict_set", "mgr_dict_get", "value_lock_add")
SYNC_WORKLOADS = ("mgr_lock_pairs", "mgr_lock_contended", "mgr_queue", "mp_queue")
#   Processes of each sync workload (fixed, as in bench/sync_bench.c)
SYNC_PROCS = {"mgr_lock_pairs": 1, "mgr_lock_contended": 5, "mgr_queue": 5, "mp_queue": 5}
POOL_WORKLOADS = ("pool_empty", "pool_sleep1ms")
#   Warm-up maps have POOL_WARM_FACTOR x W tasks; a worker that has run none
#   POOL_WARM_TIMEOUT_S after the pool started fails the cell (generous: on a
#   loaded machine a start can take a while).
POOL_WARM_FACTOR = 4
POOL_WARM_TIMEOUT_S = 10.0
NKEYS = 100
TIMEOUT_S = 600.0


# --------------------------------------------------------------------------
# worker side


def _worker(workload, wid, n, shared, ready, go, results):
    try:
        lat = array("q", bytes(8 * n))
        clock = time.perf_counter_ns
        bad = 0

        # Warm up: open this process's connection(s) to the manager before
        # the timed section. None of these change the state being measured.
        if workload == "mgr_value_add":
            v, lock = shared
            with lock:
                _ = v.value
        elif workload in ("mgr_dict_set", "mgr_dict_get"):
            d = shared
            d.get("__warmup__")
        elif workload == "value_lock_add":
            v = shared
            with v.get_lock():
                _ = v.value
        elif workload in ("mgr_lock_pairs", "mgr_lock_contended"):
            lock = shared
            lock.acquire()
            lock.release()
        elif workload == "mgr_queue":
            q = shared
            q.qsize()
        elif workload == "mp_queue":
            q = shared
        info = None

        ready.wait(TIMEOUT_S)
        if not go.wait(TIMEOUT_S):
            raise RuntimeError("start event never set")

        if workload == "mgr_value_add":
            for i in range(n):
                t = clock()
                with lock:
                    v.value += 1
                lat[i] = clock() - t
        elif workload == "mgr_dict_set":
            for i in range(n):
                t = clock()
                d[f"k{wid}_{i % 100}"] = i
                lat[i] = clock() - t
        elif workload == "mgr_dict_get":
            for i in range(n):
                j = (wid * 37 + i) % NKEYS
                t = clock()
                x = d[f"k{j}"]
                lat[i] = clock() - t
                if x != j:
                    bad += 1
        elif workload == "value_lock_add":
            for i in range(n):
                t = clock()
                with v.get_lock():
                    v.value += 1
                lat[i] = clock() - t
        elif workload in ("mgr_lock_pairs", "mgr_lock_contended"):
            for i in range(n):
                t = clock()
                lock.acquire()
                lock.release()
                lat[i] = clock() - t
        elif workload in ("mgr_queue", "mp_queue") and wid == 0:
            # the producer: n items, then one None per consumer (FIFO: last)
            lat = array("q")
            for i in range(1, n + 1):
                q.put(i)
            for _ in range(SYNC_PROCS[workload] - 1):
                q.put(None)
        elif workload in ("mgr_queue", "mp_queue"):
            # a consumer: get until None; latency of each get
            lat = array("q")
            count = total = total_sq = 0
            while True:
                t = clock()
                x = q.get(timeout=TIMEOUT_S)
                lat.append(clock() - t)
                if x is None:
                    break
                count += 1
                total += x
                total_sq += x * x
            info = (count, total, total_sq)
        end = time.perf_counter()
        results.put((wid, end, lat.tobytes(), bad, None, info))
    except BaseException:  # report, never hang the parent
        ready.abort()  # break the barrier so nobody waits for this worker
        results.put((wid, None, b"", 0, traceback.format_exc(), None))
        raise


# --------------------------------------------------------------------------
# pool tasks (module-level, so that Pool can pickle them by name)


def _pool_empty(x):
    return x


def _pool_sleep1ms(x):
    time.sleep(0.001)
    return x


def _pool_warm_empty(_):
    return os.getpid()


def _pool_warm_sleep1ms(_):
    time.sleep(0.001)
    return os.getpid()


POOL_FUNCTIONS = {"pool_empty": (_pool_empty, _pool_warm_empty),
                  "pool_sleep1ms": (_pool_sleep1ms, _pool_warm_sleep1ms)}


def _run_pool_cell(workload, w, n):
    """Times one Pool.map of n tasks on a warm pool of w workers."""
    f, warm = POOL_FUNCTIONS[workload]
    created = time.perf_counter()
    pool = CTX.Pool(w)
    try:
        seen, rounds = set(), 0
        while len(seen) < w and time.perf_counter() - created < POOL_WARM_TIMEOUT_S:
            rounds += 1
            seen.update(pool.map(warm, range(POOL_WARM_FACTOR * w), chunksize=1))
        if len(seen) < w:
            return {"error": f"warm-up: {len(seen)} of {w} workers ran a task in "
                             f"{POOL_WARM_TIMEOUT_S} s ({rounds} maps)"}
        startup_ms = (time.perf_counter() - created) * 1000
        t0 = time.perf_counter()
        out = pool.map(f, range(n), chunksize=1)
        seconds = time.perf_counter() - t0
        pool.close()
        pool.join()
    finally:
        pool.terminate()  # stops the workers if the warm-up failed or a map raised
    if out != list(range(n)):
        return {"error": "results differ from the inputs"}
    return {
        "seconds": seconds,
        "warm_rounds": rounds,
        "startup_ms": startup_ms,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


# --------------------------------------------------------------------------
# cell runner (a forked child per cell, so RUSAGE_CHILDREN is per cell)


def _vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals))) - 1))
    return sorted_vals[k]


def _run_cell(workload, w, n):
    """Runs one cell; returns a result dict (raises on infrastructure errors)."""
    mgr = None
    server_hwm = None
    errors = []
    if workload == "value_lock_add":
        shared = CTX.Value("q", 0, lock=True)
    elif workload == "mp_queue":
        shared = CTX.Queue()
    else:
        mgr = CTX.Manager()  # already started (forks the server process)
        if workload == "mgr_value_add":
            shared = (mgr.Value("q", 0), mgr.Lock())
        elif workload in ("mgr_lock_pairs", "mgr_lock_contended"):
            shared = mgr.Lock()
        elif workload == "mgr_queue":
            shared = mgr.Queue()
        else:
            shared = mgr.dict()
            if workload == "mgr_dict_get":
                shared.update({f"k{j}": j for j in range(NKEYS)})

    ready = CTX.Barrier(w + 1)
    go = CTX.Event()
    results = CTX.Queue()
    procs = [
        CTX.Process(target=_worker, args=(workload, wid, n, shared, ready, go, results), daemon=True)
        for wid in range(w)
    ]
    for p in procs:
        p.start()
    try:
        ready.wait(TIMEOUT_S)  # every worker is connected and waiting on `go`
    except Exception:  # threading.BrokenBarrierError: a worker failed early
        errors.append("start barrier broken")
    t0 = time.perf_counter()
    go.set()

    got = [results.get(timeout=TIMEOUT_S) for _ in range(w)]
    for p in procs:
        p.join(TIMEOUT_S)
        if p.exitcode != 0:
            errors.append(f"worker pid {p.pid} exit code {p.exitcode}")

    ends, lats, bad = [], array("q"), 0
    received = [0, 0, 0]
    for wid, end, blob, b, err, info in got:
        if err:
            errors.append(f"worker {wid} raised:\n{err}")
            continue
        ends.append(end)
        lats.frombytes(blob)
        bad += b
        if info:
            received = [a + x for a, x in zip(received, info)]

    # correctness
    expect = w * n
    if workload == "mgr_value_add":
        final = shared[0].value
        if final != expect:
            errors.append(f"final value {final} != W*N = {expect}")
    elif workload == "value_lock_add":
        final = shared.value
        if final != expect:
            errors.append(f"final value {final} != W*N = {expect}")
    elif workload == "mgr_dict_set":
        got_d = shared.copy()
        want = {}
        for wid in range(w):
            for i in range(n):
                want[f"k{wid}_{i % 100}"] = i
        if got_d != want:
            errors.append(f"dict contents wrong: {len(got_d)} keys, expected {len(want)}")
    elif workload == "mgr_dict_get":
        if bad:
            errors.append(f"{bad} reads returned the wrong value")
    elif workload in ("mgr_queue", "mp_queue"):
        want = [n, n * (n + 1) // 2, n * (n + 1) * (2 * n + 1) // 6]
        if received != want:
            errors.append(f"received (count, sum, sum of squares) {received}, expected {want}")

    if mgr is not None:
        pid = getattr(getattr(mgr, "_process", None), "pid", None)
        if pid is not None:
            server_hwm = _vm_hwm_kb(pid)
        mgr.shutdown()

    if errors:
        return {"error": "; ".join(errors)}

    seconds = max(ends) - t0
    s = sorted(lats)
    return {
        "seconds": seconds,
        "p50_ns": _pct(s, 50),
        "p99_ns": _pct(s, 99),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "server_peak_rss_kb": server_hwm,
    }


def _cell_runner(conn, workload, w, n):
    try:
        if workload in POOL_WORKLOADS:
            res = _run_pool_cell(workload, w, n)
        else:
            res = _run_cell(workload, w, n)
    except BaseException:
        res = {"error": traceback.format_exc()}
    conn.send(res)
    conn.close()


def run_cell(workload, w, n):
    rx, tx = CTX.Pipe(duplex=False)
    p = CTX.Process(target=_cell_runner, args=(tx, workload, w, n))
    p.start()
    tx.close()
    if not rx.poll(TIMEOUT_S * 2):
        p.kill()
        p.join()
        return {"error": "cell runner timed out"}
    try:
        res = rx.recv()
    except EOFError:
        res = {"error": "cell runner died without a result"}
    p.join()
    if p.exitcode != 0 and "error" not in res:
        res = {"error": f"cell runner exit code {p.exitcode}"}
    return res


# --------------------------------------------------------------------------


def _int_list(s):
    out = [int(x) for x in s.split(",") if x.strip()]
    if not out or any(x < 1 for x in out):
        raise argparse.ArgumentTypeError("need a comma-separated list of positive ints")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=_int_list, default=None,
                    help="comma-separated worker counts (default 1,2,5,8; with --pool, 1,2,4)")
    ap.add_argument("--ops", type=int, default=2000, help="ops per worker (default 2000)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell (default 1)")
    ap.add_argument("--first-run", type=int, default=1,
                    help="number the runs from this (for callers that interleave rounds of "
                    "this and bench/pool_bench; default 1)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 50 ops per worker")
    ap.add_argument("--workloads", default=None,
                    help="comma-separated subset of: "
                    + ",".join(WORKLOADS + SYNC_WORKLOADS + POOL_WORKLOADS)
                    + " (default: the first four; with --sync, the next four; with --pool, "
                    "the last two)")
    ap.add_argument("--sync", action="store_true",
                    help="run the synchronisation workloads (locks, queues)")
    ap.add_argument("--pool", action="store_true",
                    help="run the worker-pool workloads (Pool.map, chunksize 1)")
    ap.add_argument("--pool-tasks", type=int, default=20000,
                    help="pool_empty: tasks in the timed map (default 20000)")
    ap.add_argument("--pool-sleep-tasks", type=int, default=2000,
                    help="pool_sleep1ms: tasks in the timed map (default 2000)")
    ap.add_argument("--pairs", type=int, default=2000,
                    help="mgr_lock_pairs: acquire+release pairs (default 2000)")
    ap.add_argument("--contended", type=int, default=500,
                    help="mgr_lock_contended: pairs per process (default 500)")
    ap.add_argument("--queue-items", type=int, default=20000,
                    help="mgr_queue: items (default 20000)")
    ap.add_argument("--mp-queue-items", type=int, default=200000,
                    help="mp_queue: items (default 200000)")
    ap.add_argument("--table", action="store_true",
                    help="also print a human-readable table on stderr")
    a = ap.parse_args(argv)

    if a.sync and a.pool:
        ap.error("--sync and --pool are separate runs")
    if a.workers is None:
        a.workers = [1, 2, 4] if a.pool else [1, 2, 5, 8]
    if a.workloads is None:
        a.workloads = ",".join(SYNC_WORKLOADS if a.sync else POOL_WORKLOADS if a.pool
                               else WORKLOADS)
    workloads = [x.strip() for x in a.workloads.split(",") if x.strip()]
    known = WORKLOADS + SYNC_WORKLOADS + POOL_WORKLOADS
    unknown = [x for x in workloads if x not in known]
    if unknown or not workloads:
        ap.error(f"unknown workload(s) {unknown}; choose from {','.join(known)}")
    n = 50 if a.quick else a.ops
    if n < 1 or a.repeat < 1 or a.first_run < 1 or min(
            a.pairs, a.contended, a.queue_items, a.mp_queue_items, a.pool_tasks,
            a.pool_sleep_tasks) < 1:
        ap.error("--ops, --repeat, --first-run, --pairs, --contended and the item and task "
                 "counts must be >= 1")
    # per-process ops of the sync workloads (producer: items; consumers: all)
    sync_n = {
        "mgr_lock_pairs": 50 if a.quick else a.pairs,
        "mgr_lock_contended": 20 if a.quick else a.contended,
        "mgr_queue": 500 if a.quick else a.queue_items,
        "mp_queue": 2000 if a.quick else a.mp_queue_items,
    }
    # tasks of one timed map
    pool_n = {
        "pool_empty": 200 if a.quick else a.pool_tasks,
        "pool_sleep1ms": 20 if a.quick else a.pool_sleep_tasks,
    }

    failed = False
    rows = []
    for wl in workloads:
        for w in ([SYNC_PROCS[wl]] if wl in SYNC_PROCS else a.workers):
            wn = sync_n.get(wl, pool_n.get(wl, n))
            for run in range(a.first_run, a.first_run + a.repeat):
                res = run_cell(wl, w, wn)
                if "error" in res:
                    print(f"mp_baseline: FAILED {wl} workers={w} run={run}: {res['error']}",
                          file=sys.stderr, flush=True)
                    failed = True
                    continue
                if wl in POOL_WORKLOADS:
                    line = {
                        "impl": "python-mp",
                        "workload": wl,
                        "mode": "processes",
                        "workers": w,
                        "chunksize": 1,
                        "run": run,
                        "ops": wn,
                        "seconds": round(res["seconds"], 6),
                        "ops_per_s": round(wn / res["seconds"], 1),
                        "warm_rounds": res["warm_rounds"],
                        "startup_ms": round(res["startup_ms"], 1),
                        "peak_rss_kb": res["peak_rss_kb"],
                        "children_peak_rss_kb": res["children_peak_rss_kb"],
                        "rss_source": "getrusage ru_maxrss in a per-cell runner after "
                                      "close() and join(): RUSAGE_SELF = the process that "
                                      "calls Pool.map; RUSAGE_CHILDREN = the largest worker",
                        "verified": True,
                        "python": platform.python_version(),
                        "start_method": "fork",
                    }
                    print(json.dumps(line), flush=True)
                    rows.append(line)
                    continue
                # queues: ops = items moved (consumers' gets); locks: pairs
                total = wn if wl in ("mgr_queue", "mp_queue") else w * wn
                line = {
                    "impl": "python-mp",
                    "workload": wl,
                    "workers": w,
                    "run": run,
                    "ops": total,
                    "ops_per_worker": wn,
                    "seconds": round(res["seconds"], 6),
                    "ops_per_s": round(total / res["seconds"], 1),
                    "p50_us": round(res["p50_ns"] / 1000.0, 2),
                    "p99_us": round(res["p99_ns"] / 1000.0, 2),
                    "peak_rss_kb": res["peak_rss_kb"],
                    "peak_rss_source": "getrusage(RUSAGE_CHILDREN).ru_maxrss of per-cell runner "
                                       "after join: max over manager server + workers",
                    "server_peak_rss_kb": res["server_peak_rss_kb"],
                    "verified": True,
                    "python": platform.python_version(),
                    "start_method": "fork",
                }
                print(json.dumps(line), flush=True)
                rows.append(line)

    if a.table and rows:
        hdr = f"{'workload':<19}{'W':>3}{'run':>4}{'ops':>7}{'seconds':>10}{'ops/s':>11}" \
              f"{'p50 us':>9}{'p99 us':>10}{'rss KiB':>9}"
        print(hdr, file=sys.stderr)
        for r in rows:
            # pool rows have no latencies
            p50 = (f"{r['p50_us']:>9.1f}{r['p99_us']:>10.1f}" if "p50_us" in r
                   else f"{'-':>9}{'-':>10}")
            print(f"{r['workload']:<19}{r['workers']:>3}{r['run']:>4}{r['ops']:>7}"
                  f"{r['seconds']:>10.3f}{r['ops_per_s']:>11.0f}{p50}"
                  f"{r['peak_rss_kb']:>9}", file=sys.stderr)

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
