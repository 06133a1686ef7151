#!/usr/bin/env python3
"""The monitors `make bench` times (scripts/bench.py): custos (Agent), the
reference monitor (Floor: tests/bench/floor.bpf.c, a bare program on each
hook custos uses), auditd (Auditd); the workload runner; the kernel's
per-program run time (BpfStats); counting a sink's records."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ---- monitors -------------------------------------------------------------

class Monitor:
    """A monitoring daemon under test (self.proc: its Popen): what it costs."""
    stderr_lines = ()

    def count(self, jsonl, rule_id, wpid, by_kind=None):
        return count_sink(jsonl, rule_id, by_kind)

    def _terminate(self, timeout):
        """SIGTERM, then SIGKILL after timeout seconds; waits for the exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Agent(Monitor):
    """custos run, with the time from spawn to `custos: ready` measured."""
    READY = "custos: ready"

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
        self._spawn(args, ready_timeout)

    def _spawn(self, args, ready_timeout):
        """Starts args; returns once it printed READY on stderr (ready_s: how
        long that took), or raises."""
        self.stderr_lines = []
        self.ready = threading.Event()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.ready_at = None
        # the reader keeps draining stderr after ready, so the monitor never
        # blocks on a full pipe
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(ready_timeout) or self.ready_at is None:
            self.stop()
            raise RuntimeError("%s not ready after %.0f s; stderr:\n%s"
                               % (os.path.basename(args[0]), ready_timeout,
                                  "".join(self.stderr_lines)))
        self.ready_s = self.ready_at - t0

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            self.stderr_lines.append(line)
            if line.strip() == self.READY and not self.ready.is_set():
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

    def backend(self):
        for line in self.stderr_lines:
            m = re.search(r"agent: backend (\w+);", line)
            if m:
                return m.group(1)
        return None

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
        self._terminate(timeout)
        self.reader.join(5)
        return self.proc.returncode


class Floor(Agent):
    """tests/bench/floor: the floor programs on the hooks of one backend;
    ready when it says so.  It keeps no records and no state."""
    READY = "floor: ready"

    def __init__(self, binary, backend, net=True, ready_timeout=30.0):
        self.binary = binary
        self.sock = "none"
        self._spawn([binary, "--backend", backend] + ([] if net else ["--no-net"]),
                    ready_timeout)

    def hooks(self):
        return []

    def bpf_counters(self):
        return {}

    def count(self, jsonl, rule_id, wpid, by_kind=None):
        return 0, 0, 0, 0


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


# ---- sinks ------------------------------------------------------------------

# the kernel's count of dropped records of the kind a workload mode causes
DROPS_OF_MODE = {"open": "ring_drops_file", "connect": "ring_drops_connect",
                 "exec": "ring_drops_exec", "pyimport": "ring_drops_file"}
# the loss records' loss.by.kind key of what a workload mode causes
KIND_OF_MODE = {"open": "file", "connect": "connect", "exec": "exec", "pyimport": "file"}


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


# ---- auditd -----------------------------------------------------------------

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
        self._terminate(timeout)
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
