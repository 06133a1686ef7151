#!/usr/bin/env python3
"""custos overhead benchmark (`make bench`; methodology in docs/PERFORMANCE.md).

Per case, PAIRS rounds of runs of tests/bench/workload: one without any
monitor, one with a freshly started agent, and, for the innocent cases, one
under each reference monitor (the floor: a bare program on each hook custos
uses, tests/bench/floor.bpf.c; auditd with a watch and a syscall rule that
match nothing), the order rotated from round to round.  Reports per case the
median overhead ratio (ns/op with / ns/op without) and its min-max over the
rounds, ns added per op by custos and by each reference, custos's added cost
as a multiple of the floor's, the agent's CPU time over the workload run,
its peak RSS (VmHWM) and its start-to-ready time; for the matching cases,
records delivered vs violations caused.  Table on stdout, everything in
--out (JSON).

Every bit of traffic goes to 127.0.0.1 (the workload's own listener).
Root is needed (the agent loads BPF programs).
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from bench_monitors import (AUDIT_KEY, DROPS_OF_MODE, KIND_OF_MODE, Agent, Auditd, BpfStats, Floor,  # noqa: E402
                            accounting, audit_restore, audit_status, auditctl, count_sink,
                            finish_workload, log, prog_counters, prog_names, run_workload,
                            start_workload)
from bench_report import bpf_table, reference_table, sweep_table, table, targets  # noqa: E402


# ---- cases ------------------------------------------------------------------

def rule_file(tmp, name, body):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write("custos: 1\nrules:\n" + body)
    return path


def make_cases(args, tmp):
    """Each case: name, mode, rules, workload args, match rule id (or None),
    and the hook family a matching case needs (to skip it when absent)."""
    shipped = os.path.join(ROOT, "rules")
    workload_real = os.path.realpath(args.workload)
    true_real = os.path.realpath("/bin/true")
    open_dir = os.path.join(tmp, "files")
    os.mkdir(open_dir)
    refs = ("floor", "auditd")
    cases = [
        # 64 files in one directory
        dict(name="open-innocent", mode="open", rules=[shipped], extra=[], rule=None,
             refs=refs),
        # 2000 files in 20 directories 5 deep, each op in another directory
        dict(name="open-deep-innocent", mode="open", rules=[shipped],
             extra=["-f", "2000", "-l", "5", "-b", "20"], rule=None, refs=refs),
        # a model/data cache: 10 000 small shards in 100 directories 8 deep
        dict(name="dataloader-innocent", mode="open", rules=[shipped],
             extra=["-f", "10000", "-l", "8", "-b", "100"], rule=None, refs=refs),
        # a fresh interpreter importing its standard library, repeatedly
        dict(name="import-storm-innocent", mode="pyimport", rules=[shipped], rule=None,
             extra=["-x", args.python], refs=refs, needs=args.python),
        dict(name="connect-innocent", mode="connect", rules=[shipped], extra=[], rule=None,
             refs=("floor",)),
        dict(name="exec-innocent", mode="exec", rules=[shipped], extra=[], rule=None,
             refs=("floor",)),
    ]
    # every exec of the workload's children matches; parent_exe keeps other
    # engineers' /bin/true out of the count
    cases.append(dict(
        name="exec-every-match", mode="exec", extra=[], rule="bench-exec-match",
        rules=[shipped, rule_file(tmp, "exec-match",
            "  - id: bench-exec-match\n"
            "    description: bench - every exec of true by the workload\n"
            "    on: exec\n    severity: low\n"
            "    when:\n      exe: %s\n      parent_exe: %s\n"
            % (json.dumps(true_real), json.dumps(workload_real)))]))
    cases.append(dict(
        name="open-every-match", mode="open", extra=["-d", open_dir],
        rule="bench-open-match", family="file",
        rules=[shipped, rule_file(tmp, "open-match",
            "  - id: bench-open-match\n"
            "    description: bench - every open in the workload's directory\n"
            "    on: file\n    severity: low\n"
            "    when:\n      path: %s\n      exe: %s\n"
            % (json.dumps(open_dir + "/**"), json.dumps(workload_real)))]))
    cases.append(dict(
        name="connect-every-match", mode="connect", extra=[],
        rule="bench-connect-unapproved", family="connect",
        rules=[shipped, rule_file(tmp, "connect-match",
            "  - id: bench-connect-unapproved\n"
            "    description: bench - every connect to loopback is unapproved\n"
            "    on: connect\n    severity: low\n"
            "    when:\n      dest: 127.0.0.0/8\n      proto: tcp\n      exe: %s\n"
            % json.dumps(workload_real))]))
    args.all_cases = cases  # the sweep reuses open-every-match when it is not selected
    want = set(args.cases.split(",")) if args.cases else None
    if want:
        unknown = want - {c["name"] for c in cases}
        if unknown:
            sys.exit("bench: unknown case(s): %s" % ", ".join(sorted(unknown)))
        cases = [c for c in cases if c["name"] in want]
    return cases


def supported(args, case, tmp):
    """None if the case can run, else the reason it is skipped.  A rule kind
    is supported when `rules check` accepts it AND a matching op produces a
    record (an agent may accept `on: file` rules with no file hook yet)."""
    if case.get("needs") and not os.access(case["needs"], os.X_OK):
        return "%s not found (--python)" % case["needs"]
    if "family" not in case:
        return None
    chk = subprocess.run([args.agent, "rules", "check"] + case["rules"][1:],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if chk.returncode != 0:
        return ("`on: %s` rules not supported by this build (rules check: %s)"
                % (case["family"], chk.stdout.decode().strip().splitlines()[0]))
    jsonl = os.path.join(tmp, "probe-%s.jsonl" % case["name"])
    try:
        agent = Agent(args.agent, case["rules"], jsonl, args.agent_arg)
    except RuntimeError as e:
        return ("`on: %s` rules: the agent does not start with one, not supported by this "
                "build (%s)" % (case["family"], str(e).splitlines()[-1]))
    try:
        subprocess.run([args.workload, case["mode"], "-n", "64"] + case["extra"],
                       stdout=subprocess.DEVNULL, check=True)
        time.sleep(0.2)
    finally:
        agent.stop()
    recs = count_sink(jsonl, case["rule"])[0]
    os.unlink(jsonl)
    if recs == 0:
        return ("`on: %s` rules accepted but no record for a matching op: "
                "not supported by this build (hooks: %s)"
                % (case["family"], " ".join(agent.hooks()) or "?"))
    return None


def start_monitor(args, case, jsonl, which):
    """Monitor which (custos, floor, auditd) started for case, ready."""
    if which == "floor":
        return Floor(args.floor, args.backend, net=args.floor_net)
    if which == "auditd":
        return Auditd(args.audit_rules, args.audit_saved, args.audit_conf, case["mode"])
    if "start" in case:
        return case["start"](jsonl)
    return Agent(args.agent, case["rules"], jsonl, args.agent_arg)


def profile_run(args, case, tmp, which="custos"):
    """One more run with the agent (which "floor": the floor), with
    kernel.bpf_stats_enabled on: the kernel's run count and run time of each
    of its programs over the workload run.  Returns {prog name: {...}},
    programs that did not run left out."""
    jsonl = os.path.join(tmp, "%s-profile.jsonl" % case["name"])
    agent = start_monitor(args, case, jsonl, which)
    try:
        with BpfStats():
            c0 = prog_counters(agent.proc.pid)
            w = run_workload(args.workload, case["mode"], args.seconds, case["extra"])
            c1 = prog_counters(agent.proc.pid)
        names = prog_names(c1.keys())  # while the agent still holds them
    finally:
        agent.stop()
        if os.path.exists(jsonl):
            os.unlink(jsonl)
    progs = {}
    ops = w["ops"] + w["warmup"] + w["setup"]
    for pid_, (t1, n1) in sorted(c1.items()):
        t0, n0 = c0.get(pid_, (0, 0))
        runs, ns = n1 - n0, t1 - t0
        if runs <= 0:
            continue
        progs[names[pid_]] = {"prog_id": pid_, "run_cnt": runs, "run_time_ns": ns,
                              "ns_per_run": ns / runs, "runs_per_op": runs / ops,
                              "ns_per_op": ns / ops}
    return {"workload": w, "programs": progs}


def audit_setup(args, tmp):
    """auditd ready to be started as a reference: its config (its log in
    the temp dir, never rotated, /var/log/audit untouched), the saved audit
    state, and the innocent cases' rules (a watch on a directory no
    workload touches, and a syscall rule on the opens that matches no uid);
    or the reason it cannot run."""
    if not shutil.which("auditd") or not shutil.which("auditctl"):
        return "auditd not installed (scripts/deps.sh bench installs it)"
    st = audit_status()
    if st.get("pid", "0") != "0" or "No rules" not in auditctl("-l"):
        return "the audit subsystem is in use on this host (daemon or rules); not touching it"
    confdir = os.path.join(tmp, "auditd")
    os.mkdir(confdir, 0o700)
    conf = {}
    try:
        with open("/etc/audit/auditd.conf") as f:
            for line in f:
                if "=" in line and not line.lstrip().startswith("#"):
                    k_, v_ = line.split("=", 1)
                    conf[k_.strip()] = v_.strip()
    except OSError:
        pass
    conf.update(log_file=os.path.join(confdir, "audit.log"), max_log_file_action="ignore",
                space_left_action="ignore", admin_space_left_action="ignore",
                disk_full_action="ignore", disk_error_action="ignore", log_group="root")
    with open(os.path.join(confdir, "auditd.conf"), "w") as f:
        os.fchmod(f.fileno(), 0o600)
        for k_, v_ in conf.items():
            f.write("%s = %s\n" % (k_, v_))
    other = os.path.join(tmp, "audit-other")
    os.mkdir(other)
    args.audit_saved, args.audit_conf = st, confdir
    args.audit_rules = [["-w", other, "-p", "r", "-k", AUDIT_KEY],
                        ["-a", "always,exit", "-F", "arch=b64", "-S", "open", "-S", "openat",
                         "-F", "uid=%d" % AUDIT_NOBODY_UID, "-k", AUDIT_KEY]]
    return None


# a uid no process has: the syscall rule is evaluated on every open, matches none
AUDIT_NOBODY_UID = 3999999


def audit_matching_cases(args, tmp):
    """auditd's own matching cases: a watch on the directory every open
    reads, a rule on every execve."""
    watched = os.path.join(tmp, "audit-watched")
    os.mkdir(watched)
    mk = lambda rules, mode: (lambda jsonl: Auditd(rules, args.audit_saved, args.audit_conf,
                                                   mode))
    k = ["-k", AUDIT_KEY]
    return [
        dict(name="auditd-open-every-match", mode="open", extra=["-d", watched], rule=AUDIT_KEY,
             setup_matches=False,  # -p r: the creating opens are writes
             start=mk([["-w", watched, "-p", "r"] + k], "open")),
        dict(name="auditd-exec-every-match", mode="exec", extra=[], rule=AUDIT_KEY,
             start=mk([["-a", "always,exit", "-F", "arch=b64", "-S", "execve"] + k], "exec")),
    ]


def detect_backend(args, tmp):
    """The backend and hooks custos attaches here (the floor uses the same)."""
    forced = [a.split("=", 1)[1] for a in args.agent_arg if a.startswith("--backend=")]
    agent = Agent(args.agent, [os.path.join(ROOT, "rules")], os.path.join(tmp, "probe.jsonl"),
                  args.agent_arg)
    try:
        backend, hooks = agent.backend(), agent.hooks()
    finally:
        agent.stop()
    return (forced[0] if forced else backend), hooks


def monitored_run(args, case, tmp, i, which):
    """One workload run under monitor which (custos, floor, auditd), with
    what it cost the monitor itself and what it recorded."""
    jsonl = os.path.join(tmp, "%s-%s-%d.jsonl" % (case["name"], which, i))
    mon = start_monitor(args, case, jsonl, which)
    try:
        cpu0, sch0 = mon.cpu_s(), mon.sched_s()
        w = run_workload(args.workload, case["mode"], args.seconds, case["extra"])
        cpu1, sch1 = mon.cpu_s(), mon.sched_s()
        drops = mon.bpf_counters()
        hwm = mon.hwm_kib()
        maprss = mon.bpf_map_rss_kib()
    finally:
        rc = mon.stop()
    by_kind = {}
    recs, allrecs, lost, bad = mon.count(jsonl, case["rule"], w["pid"], by_kind)
    if os.path.exists(jsonl):
        os.unlink(jsonl)
    w.update(agent_ready_s=mon.ready_s, agent_cpu_s=cpu1 - cpu0, agent_cpu_total_s=cpu1,
             agent_cpu_sched_s=(sch1 - sch0) if sch0 is not None and sch1 is not None
             else None,
             agent_hwm_kib=hwm, agent_bpf_map_rss_kib=maprss, agent_exit=rc, sink_lines=allrecs,
             sink_bad_lines=bad, records=recs, lost=lost)
    w["ring_drops"] = drops.get("ring_drops")
    # what the loss records say was lost of that kind (ring, rate limit,
    # repeats), else the kernel's drops of it
    w["ring_drops_of_kind"] = (by_kind.get(KIND_OF_MODE[case["mode"]], 0) if by_kind
                               else drops.get(DROPS_OF_MODE[case["mode"]]))
    if case["rule"]:
        # every timed, warm-up and setup op of the workload matches (the
        # setup opens create files: not for a watch on reads only)
        w["violations"] = w["ops"] + w["warmup"] + (
            w["setup"] if case.get("setup_matches", True) else 0)
    if rc != 0:
        log("%s: %s exited %s; stderr:\n%s" % (case["name"], which, rc,
            "".join(mon.stderr_lines[-10:])))
    return w


def references(args, case):
    """The reference monitors this case runs against (those available)."""
    return [r for r in case.get("refs", ()) if r in args.refs]


def run_case(args, case, tmp):
    """PAIRS rounds; in each, the workload without a monitor, under custos
    and under each reference, the order rotated from round to round so that
    a drift of the machine favours none of them.  Per round, each
    monitor's ratio to the run without and ns added per op."""
    mons = ["without", "with"] + references(args, case)
    rounds = []
    for i in range(args.pairs):
        k = i % len(mons)
        order = mons[k:] + mons[:k]
        rnd = {"order": "-".join({"with": "custos"}.get(m, m) for m in order)}
        for which in order:
            if which == "without":
                rnd["without"] = run_workload(args.workload, case["mode"], args.seconds,
                                              case["extra"])
            else:
                rnd[which] = monitored_run(args, case, tmp, i,
                                           "custos" if which == "with" else which)
        base = rnd["without"]["ns_per_op"]
        for which in mons[1:]:
            key = "" if which == "with" else which + "_"
            rnd[key + "ratio"] = rnd[which]["ns_per_op"] / base
            rnd[key + "ns_added"] = rnd[which]["ns_per_op"] - base
        rounds.append(rnd)
        log("%s round %d/%d (%s): custos %.3f%s" % (
            case["name"], i + 1, args.pairs, rnd["order"], rnd["ratio"],
            "".join(", %s %.3f" % (r, rnd[r + "_ratio"]) for r in mons[2:])))
    return rounds


def summarize(case, pairs):
    med = statistics.median
    ratios = [p["ratio"] for p in pairs]
    w = [p["with"] for p in pairs]
    s = {
        "rounds": len(pairs),
        "ratio_median": med(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
        "ns_added_median": med(p["ns_added"] for p in pairs),
        "ns_per_op_without_median": med(p["without"]["ns_per_op"] for p in pairs),
        "ns_per_op_with_median": med(x["ns_per_op"] for x in w),
        "ops_per_s_without_median": med(p["without"]["ops_per_s"] for p in pairs),
        "ops_per_s_with_median": med(x["ops_per_s"] for x in w),
        "agent_cpu_s_median": med(x["agent_cpu_s"] for x in w),
        "agent_cpu_sched_s_median": (med(x["agent_cpu_sched_s"] for x in w)
                                     if all(x["agent_cpu_sched_s"] is not None for x in w)
                                     else None),
        # agent CPU as a share of one core over the workload's run
        "agent_cpu_pct_median": med(100.0 * x["agent_cpu_s"] / x["secs"] for x in w),
        "agent_hwm_kib_max": max(x["agent_hwm_kib"] or 0 for x in w),
        "agent_bpf_map_rss_kib_max": max(x["agent_bpf_map_rss_kib"] or 0 for x in w),
        "agent_ready_s_median": med(x["agent_ready_s"] for x in w),
        "agent_ready_s_max": max(x["agent_ready_s"] for x in w),
        "agent_exit_codes": sorted({x["agent_exit"] for x in w}),
    }
    for ref in ("floor", "auditd"):
        if ref not in pairs[0]:
            continue
        added = [p[ref + "_ns_added"] for p in pairs]
        s[ref] = {"ratio_median": med(p[ref + "_ratio"] for p in pairs),
                  "ratio_min": min(p[ref + "_ratio"] for p in pairs),
                  "ratio_max": max(p[ref + "_ratio"] for p in pairs),
                  "ns_added_median": med(added),
                  "agent_hwm_kib_max": max(p[ref]["agent_hwm_kib"] or 0 for p in pairs)}
        # custos's added cost as a multiple of the reference's: of the
        # medians (steadier than a median of per-round quotients, whose
        # denominators are small and noisy)
        s[ref]["custos_multiple"] = (s["ns_added_median"] / med(added)
                                     if med(added) > 0 else None)
    if case["rule"]:
        recs = sum(x["records"] for x in w)
        lost = sum(x["lost"] for x in w)
        viol = sum(x["violations"] for x in w)
        kinds = [x.get("ring_drops_of_kind") for x in w]
        lost_kind = None if None in kinds else sum(kinds)
        verdict = accounting(recs, lost, viol, lost_kind)
        s.update(records=recs, lost=lost, lost_of_kind=lost_kind, violations=viol,
                 accounting=verdict, accounted=verdict != "MISMATCH",
                 no_loss=(recs == viol and lost == 0),
                 delivered_per_s_median=med(x["records"] / x["secs"] for x in w))
    return s


def run_sweep(args, tmp):
    """Saturation sweep: for each level k, one agent with every open of the
    workloads matching, k open workloads started together (each in its own
    directory).  Records + reported losses must equal the violations caused
    at every load, below and beyond the rate the agent can deliver."""
    case = [c for c in args.all_cases if c["name"] == "open-every-match"][0]
    why = supported(args, case, tmp)
    if why:
        log("sweep skipped: %s" % why)
        return {"skipped": why}
    base = case["extra"][1]
    levels = []
    for k in args.sweep:
        jsonl = os.path.join(tmp, "sweep-%d.jsonl" % k)
        dirs = []
        for j in range(k):
            d = os.path.join(base, "s%d-%d" % (k, j))
            os.mkdir(d)
            dirs.append(d)
        agent = Agent(args.agent, case["rules"], jsonl, args.agent_arg)
        try:
            cpu0 = agent.sched_s()
            procs = [start_workload(args.workload, "open", args.seconds, ["-d", d]) for d in dirs]
            ws = [finish_workload(p, "open") for p in procs]
            cpu1 = agent.sched_s()
            drops = agent.bpf_counters()
        finally:
            rc = agent.stop()
        by_kind = {}
        recs, allrecs, lost, bad = count_sink(jsonl, case["rule"], by_kind)
        if os.path.exists(jsonl):
            os.unlink(jsonl)
        for d in dirs:
            os.rmdir(d)
        viol = sum(w["ops"] + w["warmup"] + w["setup"] for w in ws)
        secs = max(w["secs"] for w in ws)
        lost_file = by_kind.get("file", 0) if by_kind else drops.get("ring_drops_file")
        verdict = accounting(recs, lost, viol, lost_file)
        lv = {"workloads": k, "violations": viol, "records": recs, "lost": lost,
              "lost_of_kind": lost_file, "ring_drops": drops.get("ring_drops"),
              "accounting": verdict,
              "sink_lines": allrecs, "sink_bad_lines": bad, "agent_exit": rc,
              "secs": secs, "caused_per_s": viol / secs, "delivered_per_s": recs / secs,
              "agent_cpu_sched_s": (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None
              else None,
              "agent_us_per_record": (1e6 * (cpu1 - cpu0) / recs)
              if recs and cpu0 is not None and cpu1 is not None else None,
              # a coalesced line stands for many records: what one line costs
              "agent_us_per_line": (1e6 * (cpu1 - cpu0) / allrecs)
              if allrecs and cpu0 is not None and cpu1 is not None else None,
              "accounted": verdict != "MISMATCH", "no_loss": recs == viol and lost == 0,
              "workload_runs": ws}
        levels.append(lv)
        log("sweep %d workload(s): %d records + %s file records lost vs %d violations (%s)"
            % (k, recs, lost_file, viol, verdict))
    return {"levels": levels}


def other_monitors():
    """Other custos agents and audit daemons running now: their hooks run in
    both the with and the without runs, and make the numbers noisier."""
    found = []
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm in ("custos", "auditd"):
            found.append("%s:%s" % (comm, pid))
    return found


def git(*a):
    try:
        return subprocess.run(["git", "-C", ROOT] + list(a), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True).stdout.decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agent", default=os.path.join(ROOT, "build/custos"))
    ap.add_argument("--workload", default=os.path.join(ROOT, "build/bench/workload"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build/bench/results.json"))
    ap.add_argument("--pairs", type=int, default=5, help="pairs per case (default 5)")
    ap.add_argument("--seconds", type=float, default=2.0,
                    help="seconds per workload run (default 2)")
    ap.add_argument("--cases", help="comma-separated subset of the cases")
    ap.add_argument("--agent-arg", action="append", default=[], metavar="ARG",
                    help="pass ARG to every `custos run` (repeat; e.g. --agent-arg=--ring-size=4M)")
    ap.add_argument("--no-bpf-stats", dest="bpf_stats", action="store_false",
                    help="skip the per-case profile run with kernel.bpf_stats_enabled")
    ap.add_argument("--sweep", default="1,2,4",
                    help="saturation sweep: numbers of parallel open workloads, each level "
                         "one agent run with every open matching (default 1,2,4; '' skips)")
    ap.add_argument("--floor", default=os.path.join(ROOT, "build/bench/floor"),
                    help="the reference monitor (tests/bench/floor.c); '' leaves it out")
    ap.add_argument("--no-auditd", dest="auditd_ref", action="store_false",
                    help="leave auditd out of the innocent cases' references")
    ap.add_argument("--auditd", action="store_true",
                    help="also auditd's own matching cases (every open, every exec)")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="the interpreter of the import storm (default /usr/bin/python3)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (the agent loads BPF programs)")
    if args.pairs < 1:
        sys.exit("bench: --pairs must be >= 1")
    try:
        args.sweep = [int(x) for x in args.sweep.split(",") if x.strip()]
    except ValueError:
        sys.exit("bench: --sweep takes numbers, e.g. 1,2,4")
    if any(k < 1 for k in args.sweep):
        sys.exit("bench: --sweep levels must be >= 1")
    for b in (args.agent, args.workload):
        if not os.access(b, os.X_OK):
            sys.exit("bench: %s missing (make bench builds it)" % b)

    # SIGTERM unwinds like Ctrl-C: agents stopped, audit rules removed, temp dir gone
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))
    started = datetime.datetime.now(datetime.timezone.utc)
    others = other_monitors()
    started_load = os.getloadavg()
    if others:
        log("warning: other monitors running (%s): numbers will be noisy" % " ".join(others))
    tmp = tempfile.mkdtemp(prefix="custos-bench-")
    results = []
    args.refs = set()
    try:
        args.backend, hooks = detect_backend(args, tmp)
        args.floor_net = any("__cg_" in h for h in hooks)
        if args.floor and os.access(args.floor, os.X_OK):
            args.refs.add("floor")
        else:
            log("floor left out: %s missing (make bench builds it)" % args.floor)
        why = audit_setup(args, tmp) if args.auditd_ref or args.auditd else "not asked"
        if why:
            log("auditd left out: %s" % why)
        elif args.auditd_ref:
            args.refs.add("auditd")
        for case in make_cases(args, tmp):
            why = supported(args, case, tmp)
            if why:
                log("%s skipped: %s" % (case["name"], why))
                results.append({"name": case["name"], "mode": case["mode"], "skipped": why})
                continue
            pairs = run_case(args, case, tmp)
            res = {"name": case["name"], "mode": case["mode"],
                   "match_rule": case["rule"], "pairs": pairs,
                   "summary": summarize(case, pairs)}
            if args.bpf_stats:
                res["bpf_profile"] = profile_run(args, case, tmp)
                if "floor" in references(args, case):
                    res["bpf_profile_floor"] = profile_run(args, case, tmp, "floor")
            results.append(res)
        sweep = None
        if args.sweep:
            sweep = run_sweep(args, tmp)
        if args.auditd and not why:
            for case in audit_matching_cases(args, tmp):
                pairs = run_case(args, case, tmp)
                results.append({"name": case["name"], "mode": case["mode"],
                                "match_rule": case["rule"], "pairs": pairs,
                                "summary": summarize(case, pairs)})
    finally:
        if getattr(args, "audit_saved", None):
            audit_restore(args.audit_saved)
        shutil.rmtree(tmp, ignore_errors=True)

    doc = {
        "schema": "custos.bench/1",
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "describe": git("describe", "--always", "--dirty"),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "loadavg_start": started_load,
        "loadavg_end": os.getloadavg(),
        "other_monitors_at_start": others,
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pairs": args.pairs,
        "backend": getattr(args, "backend", None),
        "references": sorted(getattr(args, "refs", ())),
        "seconds_per_run": args.seconds,
        "cases": results,
        "sweep": sweep,
        "targets": targets(results),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("custos bench  commit %s%s  kernel %s  backend %s  %s  %d rounds x %gs  loadavg %.2f..%.2f"
          % ((doc["commit"] or "?")[:12], "-dirty" if doc["dirty"] else "",
             doc["kernel"], doc["backend"], doc["date"], args.pairs, args.seconds,
             doc["loadavg_start"][0], doc["loadavg_end"][0]))
    if others:
        print("other monitors running at start: %s" % " ".join(others))
    print(table(results))
    print()
    ref = reference_table(results)
    if ref:
        print(ref)
        print()
    if any(r.get("bpf_profile") for r in results):
        print(bpf_table(results))
        print()
    if sweep:
        print(sweep_table(sweep))
        print()
    tg = doc["targets"]
    w0 = max(len(t["target"]) for t in tg)
    w1 = max(len(t["goal"]) for t in tg)
    w2 = max(len(t["measured"] or "-") for t in tg)
    for t in tg:
        print("%s  %s  %s  %s" % (t["target"].ljust(w0), t["goal"].ljust(w1),
                                  (t["measured"] or "-").ljust(w2), t["verdict"]))
    print("results: %s" % args.out)


if __name__ == "__main__":
    main()
