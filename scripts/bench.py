#!/usr/bin/env python3
"""custos overhead benchmark (`make bench`; methodology in docs/PERFORMANCE.md).

Per case, PAIRS pairs of runs of tests/bench/workload: one without the agent,
one with a freshly started agent, the order alternating from pair to pair
(without-with, with-without, ...).  Reports per case the median overhead ratio
(ns/op with / ns/op without) and its min-max over the pairs, ns added per op,
the agent's CPU time over the workload run, its peak RSS (VmHWM) and its
start-to-ready time; for the matching cases, records delivered vs violations
caused.  Table on stdout, everything in --out (JSON).

Every bit of traffic goes to 127.0.0.1 (the workload's own listener).
Root is needed (the agent loads BPF programs).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ---- agent ------------------------------------------------------------------

class Monitor:
    """A monitoring daemon under test (self.proc: its Popen): what it costs."""
    stderr_lines = ()

    def count(self, jsonl, rule_id, wpid, by_kind=None):
        return count_sink(jsonl, rule_id, by_kind)


class Agent(Monitor):
    """custos run, with the time from spawn to `custos: ready` measured."""

    def __init__(self, binary, rules, jsonl, extra=(), ready_timeout=30.0):
        args = [binary, "run"] + list(extra)
        for r in rules:
            args += ["--rules", r]
        # the status socket gives the kernel's drop counters by kind of record
        self.binary = binary
        self.sock = os.path.join(os.path.dirname(os.path.abspath(jsonl)), "agent.sock")
        if len(self.sock.encode()) >= 100:  # sun_path: a deep TMPDIR goes without
            self.sock = "none"
        # nothing pinned (the next case's agent must not inherit this one's
        # programs), and its own seq: the state directory next to its output
        args += ["--output", "jsonl:" + jsonl, "--status-socket", self.sock, "--no-pin",
                 "--state-dir", os.path.join(os.path.dirname(os.path.abspath(jsonl)),
                                             "agent-state")]
        self.stderr_lines = []
        self.ready = threading.Event()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.ready_at = None
        # the reader keeps draining stderr after ready, so the agent never
        # blocks on a full pipe
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(ready_timeout) or self.ready_at is None:
            self.stop()
            raise RuntimeError("agent not ready after %.0f s; stderr:\n%s"
                               % (ready_timeout, "".join(self.stderr_lines)))
        self.ready_s = self.ready_at - t0

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            self.stderr_lines.append(line)
            if line.strip() == "custos: ready" and not self.ready.is_set():
                self.ready_at = time.monotonic()
                self.ready.set()
        self.ready.set()  # exited: wake the waiter

    def bpf_counters(self):
        """The BPF counters (`custos status --json`: bpf.ring_drops,
        bpf.ring_drops_file, ...), or {} when they cannot be read."""
        if self.sock == "none":
            return {}
        try:
            out = subprocess.run([self.binary, "status", "--json", "--socket", self.sock],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 timeout=10, check=True).stdout
            return json.loads(out).get("bpf", {})
        except (OSError, ValueError, subprocess.SubprocessError):
            return {}

    def hooks(self):
        for line in self.stderr_lines:
            m = re.search(r"hooks: (.*)", line)
            if m:
                return m.group(1).split()
        return []

    def cpu_s(self):
        """utime + stime of the agent so far, seconds (/proc/PID/stat)."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after "pid (comm)": state is field 3, utime 14, stime 15
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def sched_s(self):
        """CPU time of all the agent's threads from schedstat (ns resolution,
        where utime+stime count whole clock ticks); None without schedstats."""
        total = 0
        try:
            tdir = "/proc/%d/task" % self.proc.pid
            for tid in os.listdir(tdir):
                with open("%s/%s/schedstat" % (tdir, tid)) as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return total / 1e9

    def bpf_map_rss_kib(self):
        """Rss of the agent's mmap'd BPF maps (the ring buffer: its data
        pages are mapped twice, and both count), from /proc/PID/smaps."""
        total, in_map = 0, False
        try:
            with open("/proc/%d/smaps" % self.proc.pid) as f:
                for line in f:
                    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                        in_map = line.rstrip().endswith("anon_inode:bpf-map")
                    elif in_map and line.startswith("Rss:"):
                        total += int(line.split()[1])
        except OSError:
            return None
        return total

    def hwm_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def stop(self, timeout=20.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        return self.proc.returncode


# ---- workload ---------------------------------------------------------------

def start_workload(binary, mode, secs, extra):
    return subprocess.Popen([binary, mode, "-t", str(secs)] + extra,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish_workload(p, mode):
    so, se = p.communicate()
    if p.returncode != 0:
        raise RuntimeError("workload %s failed: %s" % (mode, se.decode().strip()))
    kv = dict(tok.split("=", 1) for tok in so.decode().split())
    return {"pid": p.pid, "ops": int(kv["ops"]), "warmup": int(kv["warmup"]),
            "setup": int(kv.get("setup", 0)),
            "secs": float(kv["secs"]), "ops_per_s": float(kv["ops_per_s"]),
            "ns_per_op": float(kv["ns_per_op"])}


def run_workload(binary, mode, secs, extra):
    return finish_workload(start_workload(binary, mode, secs, extra), mode)


# ---- per-program BPF run time (kernel.bpf_stats_enabled) ----------------------

STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"


class BpfStats:
    """kernel.bpf_stats_enabled set to 1 while in use, restored afterwards.
    With it on, the kernel times every run of every BPF program (two clock
    reads per run), so it is on only for the separate profile runs, never
    for the timed pairs."""

    def __init__(self):
        with open(STATS_SYSCTL) as f:
            self.saved = f.read().strip()

    def __enter__(self):
        with open(STATS_SYSCTL, "w") as f:
            f.write("1")
        return self

    def __exit__(self, *exc):
        with open(STATS_SYSCTL, "w") as f:
            f.write(self.saved)


def prog_counters(pid):
    """{prog_id: (run_time_ns, run_cnt)} of the BPF programs the process
    holds open (from /proc/PID/fdinfo: one entry per program fd)."""
    out = {}
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        kv = {}
        try:
            with open(os.path.join(d, fd)) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    kv[k.strip()] = v.strip()
        except OSError:
            continue
        if "prog_id" in kv and "run_cnt" in kv:
            out[int(kv["prog_id"])] = (int(kv["run_time_ns"]), int(kv["run_cnt"]))
    return out


def prog_names(ids):
    """{prog_id: name} from bpftool (prog<ID> where bpftool is missing)."""
    names = {i: "prog%d" % i for i in ids}
    if shutil.which("bpftool"):
        try:
            out = subprocess.run(["bpftool", "prog", "show", "--json"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, check=True).stdout
            for p in json.loads(out):
                if p.get("id") in names and p.get("name"):
                    names[p["id"]] = p["name"]
        except (OSError, ValueError, subprocess.CalledProcessError):
            pass
    return names


def profile_run(args, case, tmp):
    """One more run with the agent, kernel.bpf_stats_enabled on: the kernel's
    run count and run time of each of the agent's programs over the workload
    run.  Returns {prog name: {...}}, programs that did not run left out."""
    jsonl = os.path.join(tmp, "%s-profile.jsonl" % case["name"])
    agent = Agent(args.agent, case["rules"], jsonl, args.agent_arg)
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


# the kernel's count of dropped records of the kind a workload mode causes
DROPS_OF_MODE = {"open": "ring_drops_file", "connect": "ring_drops_connect",
                 "exec": "ring_drops_exec"}
# the loss records' loss.by.kind key of what a workload mode causes
KIND_OF_MODE = {"open": "file", "connect": "connect", "exec": "exec"}


def accounting(recs, lost, violations, lost_kind):
    """ok (all delivered), accounted (records + the reported losses of the
    violations' kind = violations), or MISMATCH.  lost_kind: the kernel's
    drops of that kind (None: unknown, the total reported loss is used)."""
    if recs == violations and lost == 0:
        return "ok"
    if recs + (lost if lost_kind is None else lost_kind) == violations:
        return "accounted"
    return "MISMATCH"


def count_sink(path, rule_id, by_kind=None):
    """(events of rule_id, all records, sum of loss.lost) in a jsonl file.  A
    record that stands for coalesced events counts repeat.count of them; the
    loss records' loss.by.kind is added up into by_kind (a dict) if given."""
    recs = allrecs = lost = 0
    bad = 0
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return 0, 0, 0, 0
    with f:
        for raw in f:
            try:
                ev = json.loads(raw)
            except ValueError:
                bad += 1
                continue
            allrecs += 1
            if ev.get("kind") == "loss":
                lost += int(ev.get("loss", {}).get("lost", 0))
                for k, n in ev.get("loss", {}).get("by", {}).get("kind", {}).items():
                    if by_kind is not None:
                        by_kind[k] = by_kind.get(k, 0) + int(n)
            elif rule_id and ev.get("rule") == rule_id:
                recs += int(ev.get("repeat", {}).get("count", 1))
    return recs, allrecs, lost, bad


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
    cases = [
        dict(name="open-innocent", mode="open", rules=[shipped], extra=[], rule=None),
        dict(name="connect-innocent", mode="connect", rules=[shipped], extra=[], rule=None),
        dict(name="exec-innocent", mode="exec", rules=[shipped], extra=[], rule=None),
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


AUDIT_KEY = "custos-bench"


def auditctl(*a, check=True):
    out = subprocess.run(["auditctl"] + list(a), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    if check and out.returncode != 0:
        raise RuntimeError("auditctl %s: %s" % (" ".join(a), out.stdout.decode().strip()))
    return out.stdout.decode()


def audit_status():
    st = {}
    for line in auditctl("-s").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            st[parts[0]] = parts[1]
    return st


class Auditd(Agent):
    """auditd -n with the given auditctl rules (each a list of arguments).
    Ready: when the kernel reports auditd's pid as the audit daemon and the
    rules are in.  Stopping deletes every rule (the driver checked there were
    none before), restores enabled/backlog_limit and stops auditd."""

    def __init__(self, rules, saved, confdir, mode, ready_timeout=20.0):
        self.saved = saved
        self.mode = mode
        self.stderr_lines = []
        self.LOG = os.path.join(confdir, "audit.log")
        if os.path.exists(self.LOG):
            os.unlink(self.LOG)
        self.log_off = 0
        t0 = time.monotonic()
        self.proc = subprocess.Popen(["auditd", "-n", "-c", confdir], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while audit_status().get("pid") != str(self.proc.pid):
                if self.proc.poll() is not None or time.monotonic() - t0 > ready_timeout:
                    raise RuntimeError("auditd did not register (exit %s)" % self.proc.poll())
                time.sleep(0.005)
            auditctl("-b", "8192")
            auditctl("-e", "1")
            for r in rules:
                auditctl(*r)
        except BaseException:
            self.stop()
            raise
        self.ready_s = time.monotonic() - t0
        self.lost0 = int(audit_status().get("lost", 0))

    def hooks(self):
        return []

    def bpf_counters(self):
        return {}

    def stop(self, timeout=20.0):
        # let auditd read what the kernel still queues before it is stopped
        # (it does not on SIGTERM, and those records are not counted as lost)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5 and self.proc.poll() is None:
            if audit_status().get("backlog", "0") == "0":
                break
            time.sleep(0.01)
        time.sleep(0.05)
        self.lost1 = int(audit_status().get("lost", 0))
        audit_restore(self.saved)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def count(self, jsonl, rule_id, wpid, by_kind=None):
        """SYSCALL records with our key appended to audit.log by the workload
        (pid) or its children (ppid) -- the execve rule logs every exec on
        the host --, all lines appended, and the kernel's lost counter."""
        recs = lines = 0
        mine = re.compile(rb"\b%s=%d\b" % (b"ppid" if self.mode == "exec" else b"pid", wpid))
        try:
            with open(self.LOG, "rb") as f:
                f.seek(self.log_off)
                for raw in f:
                    lines += 1
                    if raw.startswith(b"type=SYSCALL") and (b'key="%s"' % AUDIT_KEY.encode()) in raw \
                            and mine.search(raw):
                        recs += 1
        except OSError:
            pass
        return recs, lines, max(0, self.lost1 - self.lost0), 0


def audit_restore(saved):
    auditctl("-D", check=False)
    auditctl("-e", saved.get("enabled", "0"), check=False)
    auditctl("-b", saved.get("backlog_limit", "64"), check=False)


def audit_cases(args, tmp):
    """auditd side by side, or the reason it cannot run."""
    if not shutil.which("auditd") or not shutil.which("auditctl"):
        return None, "auditd not installed (scripts/deps.sh bench installs it)"
    st = audit_status()
    if st.get("pid", "0") != "0" or "No rules" not in auditctl("-l"):
        return None, "the audit subsystem is in use on this host (daemon or rules); not touching it"
    # auditd with a config of its own: its log in the temp dir, never rotated
    # (so a run's records are all in one file) and /var/log/audit untouched
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
    watched = os.path.join(tmp, "audit-watched")
    other = os.path.join(tmp, "audit-other")
    os.mkdir(watched)
    os.mkdir(other)
    mk = lambda rules, mode: (lambda jsonl: Auditd(rules, st, confdir, mode))
    k = ["-k", AUDIT_KEY]
    cases = [
        dict(name="auditd-open-innocent", mode="open", extra=[], rule=None,
             start=mk([["-w", other, "-p", "r"] + k], "open")),
        dict(name="auditd-open-every-match", mode="open", extra=["-d", watched], rule=AUDIT_KEY,
             setup_matches=False,  # -p r: the creating opens are writes
             start=mk([["-w", watched, "-p", "r"] + k], "open")),
        dict(name="auditd-exec-every-match", mode="exec", extra=[], rule=AUDIT_KEY,
             start=mk([["-a", "always,exit", "-F", "arch=b64", "-S", "execve"] + k], "exec")),
    ]
    return (cases, st), None


def run_case(args, case, tmp):
    pairs = []
    for i in range(args.pairs):
        order = ("without", "with") if i % 2 == 0 else ("with", "without")
        pair = {"order": "-".join(order)}
        for which in order:
            if which == "without":
                pair["without"] = run_workload(args.workload, case["mode"],
                                               args.seconds, case["extra"])
                continue
            jsonl = os.path.join(tmp, "%s-%d.jsonl" % (case["name"], i))
            agent = (case["start"](jsonl) if "start" in case
                     else Agent(args.agent, case["rules"], jsonl, args.agent_arg))
            try:
                cpu0, sch0 = agent.cpu_s(), agent.sched_s()
                w = run_workload(args.workload, case["mode"], args.seconds, case["extra"])
                cpu1, sch1 = agent.cpu_s(), agent.sched_s()
                drops = agent.bpf_counters()
                hwm = agent.hwm_kib()
                maprss = agent.bpf_map_rss_kib()
                cpu_total = cpu1
            finally:
                rc = agent.stop()
            by_kind = {}
            recs, allrecs, lost, bad = agent.count(jsonl, case["rule"], w["pid"], by_kind)
            if os.path.exists(jsonl):
                os.unlink(jsonl)
            w.update(agent_ready_s=agent.ready_s, agent_cpu_s=cpu1 - cpu0,
                     agent_cpu_total_s=cpu_total,
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
                log("%s: agent exited %s; stderr:\n%s" % (case["name"], rc,
                    "".join(agent.stderr_lines[-10:])))
            pair["with"] = w
        pair["ratio"] = pair["with"]["ns_per_op"] / pair["without"]["ns_per_op"]
        pair["ns_added"] = pair["with"]["ns_per_op"] - pair["without"]["ns_per_op"]
        pairs.append(pair)
        log("%s pair %d/%d (%s): ratio %.3f" % (case["name"], i + 1, args.pairs,
                                              pair["order"], pair["ratio"]))
    return pairs


def summarize(case, pairs):
    med = statistics.median
    ratios = [p["ratio"] for p in pairs]
    w = [p["with"] for p in pairs]
    s = {
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


# ---- output -----------------------------------------------------------------

def table(results):
    hdr = ("case", "ratio", "min-max", "ns/op w/o", "+ns/op", "agent cpu", "(sched)",
           "peak RSS", "(bpf maps)", "ready", "records/lost/violations")
    rows = []
    for r in results:
        if r.get("skipped"):
            rows.append((r["name"], "skipped: " + r["skipped"]))
            continue
        s = r["summary"]
        rec = ""
        if "records" in s:
            lk = s["lost"] if s.get("lost_of_kind") is None else s["lost_of_kind"]
            rec = "%d/%d/%d %s" % (s["records"], lk, s["violations"], s["accounting"])
            if lk != s["lost"]:
                rec += " (lost, all kinds: %d)" % s["lost"]
            rec += " %.0f/s" % s["delivered_per_s_median"]
        rows.append((r["name"], "%.3f" % s["ratio_median"],
                     "%.3f-%.3f" % (s["ratio_min"], s["ratio_max"]),
                     "%.0f" % s["ns_per_op_without_median"],
                     "%+.0f" % s["ns_added_median"],
                     "%.0f ms %.1f%%" % (1000 * s["agent_cpu_s_median"],
                                         s["agent_cpu_pct_median"]),
                     "-" if s["agent_cpu_sched_s_median"] is None
                     else "%.1f ms" % (1000 * s["agent_cpu_sched_s_median"]),
                     "%.1f MiB" % (s["agent_hwm_kib_max"] / 1024.0),
                     "%.1f MiB" % (s["agent_bpf_map_rss_kib_max"] / 1024.0),
                     "%.0f ms" % (1000 * s["agent_ready_s_median"]), rec))
    full = [r for r in rows if len(r) == len(hdr)]
    widths = [max(len(str(x[i])) for x in [hdr] + full) for i in range(len(hdr))]
    widths[0] = max(len(r[0]) for r in rows + [hdr])
    lines = ["  ".join(str(v).ljust(widths[i]) for i, v in enumerate(hdr)).rstrip()]
    for r in rows:
        if len(r) == len(hdr):
            lines.append("  ".join(str(v).ljust(widths[i]) for i, v in enumerate(r)).rstrip())
        else:
            lines.append(r[0].ljust(widths[0]) + "  " + r[1])
    return "\n".join(lines)


def bpf_table(results):
    """Per case and program: runs per workload op, ns per run, ns per op."""
    hdr = ("case", "bpf program", "runs/op", "ns/run", "ns/op", "runs")
    rows = []
    for r in results:
        prof = r.get("bpf_profile")
        if not prof:
            continue
        for name, p in sorted(prof["programs"].items(), key=lambda kv: -kv[1]["run_time_ns"]):
            rows.append((r["name"], name, "%.2f" % p["runs_per_op"], "%.0f" % p["ns_per_run"],
                         "%.0f" % p["ns_per_op"], "%d" % p["run_cnt"]))
    widths = [max(len(x[i]) for x in [hdr] + rows) for i in range(len(hdr))]
    out = ["BPF run time per program (kernel.bpf_stats_enabled, a separate run per case;"
           " runs of other processes on the host included)"]
    for r in [hdr] + rows:
        out.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip())
    return "\n".join(out)


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
              "accounted": verdict != "MISMATCH", "no_loss": recs == viol and lost == 0,
              "workload_runs": ws}
        levels.append(lv)
        log("sweep %d workload(s): %d records + %s file records lost vs %d violations (%s)"
            % (k, recs, lost_file, viol, verdict))
    return {"levels": levels}


def sweep_table(sweep):
    if sweep.get("skipped"):
        return "saturation sweep skipped: " + sweep["skipped"]
    hdr = ("workloads", "caused/s", "delivered/s", "agent cpu", "cpu/record",
           "records/lost/violations")
    rows = []
    for lv in sweep["levels"]:
        lk = lv["lost"] if lv.get("lost_of_kind") is None else lv["lost_of_kind"]
        rec = "%d/%d/%d %s" % (lv["records"], lk, lv["violations"], lv["accounting"])
        if lk != lv["lost"]:
            rec += " (lost, all kinds: %d)" % lv["lost"]
        rows.append(("%d" % lv["workloads"], "%.0f" % lv["caused_per_s"],
                     "%.0f" % lv["delivered_per_s"],
                     "-" if lv["agent_cpu_sched_s"] is None
                     else "%.0f%%" % (100 * lv["agent_cpu_sched_s"] / lv["secs"]),
                     "-" if lv["agent_us_per_record"] is None
                     else "%.2f us" % lv["agent_us_per_record"],
                     rec))
    widths = [max(len(x[i]) for x in [hdr] + rows) for i in range(len(hdr))]
    out = ["saturation sweep (open-every-match, k workloads in parallel, one agent)"]
    for r in [hdr] + rows:
        out.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip())
    return "\n".join(out)


def targets(results):
    """The issue's targets, each: name, target, measured, verdict
    (pass / FAIL / n/a when the case did not run)."""
    by = {r["name"]: r.get("summary") for r in results}
    out = []

    def add(name, target, case, measure, ok):
        s = by.get(case)
        if not s:
            out.append(dict(target=name, goal=target, measured=None, verdict="n/a"))
            return
        v = measure(s)
        out.append(dict(target=name, goal=target, measured=v[1], value=v[0],
                        verdict="pass" if ok(v[0]) else "FAIL"))

    add("innocent open: ns added", "<= 200 ns", "open-innocent",
        lambda s: (s["ns_added_median"], "%+.0f ns" % s["ns_added_median"]), lambda v: v <= 200)
    add("innocent open: ratio", "<= 1.04", "open-innocent",
        lambda s: (s["ratio_median"], "%.3f" % s["ratio_median"]), lambda v: v <= 1.04)
    for c in ("connect", "exec"):
        add("innocent %s: ratio" % c, "<= 1.03", c + "-innocent",
            lambda s: (s["ratio_median"], "%.3f" % s["ratio_median"]), lambda v: v <= 1.03)
    add("every open matches: ratio", "<= 1.5", "open-every-match",
        lambda s: (s["ratio_median"], "%.3f" % s["ratio_median"]), lambda v: v <= 1.5)
    add("violations delivered, no loss", ">= 300000/s", "open-every-match",
        lambda s: (s["delivered_per_s_median"] if s["no_loss"] else 0,
                   "%.0f/s%s" % (s["delivered_per_s_median"], "" if s["no_loss"] else " WITH LOSS")),
        lambda v: v >= 300000)
    ship = [r["summary"] for r in results
            if r.get("summary") and r["name"].endswith("-innocent")
            and not r["name"].startswith("auditd")]
    if ship:
        m = max(s["agent_hwm_kib_max"] for s in ship) / 1024.0
        out.append(dict(target="agent peak RSS, shipped rules", goal="<= 32 MiB", value=m,
                        measured="%.1f MiB" % m, verdict="pass" if m <= 32 else "FAIL"))
    ran = [r["summary"] for r in results
           if r.get("summary") and not r["name"].startswith("auditd")]
    if ran:
        m = max(s["agent_ready_s_max"] for s in ran)
        out.append(dict(target="start to ready (max)", goal="<= 1 s", value=m,
                        measured="%.0f ms" % (1000 * m), verdict="pass" if m <= 1 else "FAIL"))
    return out


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
    ap.add_argument("--auditd", action="store_true",
                    help="also run auditd with equivalent rules, side by side")
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
    try:
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
            results.append(res)
        sweep = None
        if args.sweep:
            sweep = run_sweep(args, tmp)
        if args.auditd:
            got, why = audit_cases(args, tmp)
            if why:
                log("auditd skipped: %s" % why)
                results.append({"name": "auditd", "mode": "-", "skipped": why})
            else:
                acases, saved = got
                try:
                    for case in acases:
                        pairs = run_case(args, case, tmp)
                        results.append({"name": case["name"], "mode": case["mode"],
                                        "match_rule": case["rule"], "pairs": pairs,
                                        "summary": summarize(case, pairs)})
                finally:
                    audit_restore(saved)
    finally:
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
        "seconds_per_run": args.seconds,
        "cases": results,
        "sweep": sweep,
        "targets": targets(results),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("custos bench  commit %s%s  kernel %s  %s  %d pairs x %gs  loadavg %.2f..%.2f"
          % ((doc["commit"] or "?")[:12], "-dirty" if doc["dirty"] else "",
             doc["kernel"], doc["date"], args.pairs, args.seconds,
             doc["loadavg_start"][0], doc["loadavg_end"][0]))
    if others:
        print("other monitors running at start: %s" % " ".join(others))
    print(table(results))
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
