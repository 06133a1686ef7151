#!/usr/bin/env python3
"""Two builds of custos side by side (`make bench-pair A=... B=...`; method in
docs/PERFORMANCE.md, "Two builds at once").

Both agents run at the same time, on the same hooks, over the same run of
tests/bench/workload: every event runs both builds' programs back to back,
so what the machine does meanwhile (other tenants, frequency, caches) falls
on both alike.  Per round, the kernel's run time of one program (--prog,
kernel.bpf_stats_enabled) is read for each agent; the agent started first
runs first on each event, so the order alternates from round to round.
Reports each round's ns a run of both, the median of each, and the number to
read: the per-round differences (B - A) averaged within each order, then the
two orders' averages averaged (the second program finds the event's data in
the caches the first warmed, ~30-40 ns a run here).

This is a profile of the BPF side, next to `make bench`, never instead: it
says what one program costs a run, not what a workload pays.  Root is
needed; nothing leaves loopback (the workload's open and exec modes touch
only files and processes).
"""
import argparse
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from bench_monitors import Agent, BpfStats, log, prog_counters, prog_names, run_workload  # noqa: E402


def write_rules(tmp, workload, files):
    """The shipped rules, and one that every open of the workload under files matches."""
    path = os.path.join(tmp, "pair-match.yaml")
    with open(path, "w") as f:
        f.write("custos: 1\nrules:\n"
                "  - id: bench-pair-match\n"
                "    description: bench-pair - every open in the workload's directory\n"
                "    on: file\n    severity: low\n"
                "    when:\n      path: \"%s/**\"\n      exe: \"%s\"\n"
                % (files, os.path.realpath(workload)))
    return [os.path.join(ROOT, "rules"), path]


def prog_time(agent, name, names):
    """(run_time_ns, run_cnt) of the agent's program called name, or of its
    name_cast sibling (the loader takes file__btf_cast instead of file__btf
    where the kernel has bpf_rdonly_cast: docs/KERNELS.md)."""
    counters = prog_counters(agent.proc.pid)
    for pid_, (ns, cnt) in counters.items():
        if pid_ not in names:
            names.update(prog_names([pid_]))
        if names.get(pid_) in (name, name + "_cast"):
            return ns, cnt
    raise RuntimeError("agent %s has no program %s (see its hooks: %s)"
                       % (agent.binary, name, " ".join(agent.hooks())))


def one_round(first, second, args, tmp, rules, extra):
    """Both agents up (first, then second); the workload once; each one's ns a run."""
    agents, names = {}, {}
    try:
        for label, binary in (first, second):
            d = os.path.join(tmp, label)
            os.makedirs(d, exist_ok=True)
            agents[label] = Agent(binary, rules, os.path.join(d, "out.jsonl"))
        with BpfStats():
            before = {k: prog_time(a, args.prog, names) for k, a in agents.items()}
            w = run_workload(args.workload, args.mode, args.secs, extra)
            after = {k: prog_time(a, args.prog, names) for k, a in agents.items()}
    finally:
        for a in agents.values():
            a.stop()
    out = {}
    for k in agents:
        runs = after[k][1] - before[k][1]
        if runs <= 0:
            raise RuntimeError("%s: %s never ran" % (k, args.prog))
        out[k] = (after[k][0] - before[k][0]) / runs
    return out, w


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", help="custos binary A (the reference)")
    ap.add_argument("b", help="custos binary B (the change)")
    ap.add_argument("--workload", default=os.path.join(ROOT, "build/bench/workload"))
    ap.add_argument("--mode", default="open", choices=("open", "exec"),
                    help="the workload's mode (default open)")
    ap.add_argument("--innocent", action="store_true",
                    help="shipped rules only: nothing matches (default: every open matches)")
    ap.add_argument("--prog", default="file__btf",
                    help="the program to time, or its _cast sibling (default file__btf)")
    ap.add_argument("--rounds", type=int, default=6, help="rounds, even (default 6)")
    ap.add_argument("--secs", type=float, default=2.0, help="workload seconds a round")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-pair: needs root (the agents load BPF programs)")
    if args.rounds < 2 or args.rounds % 2:
        sys.exit("bench-pair: --rounds must be even and at least 2 (each order as often)")
    for b in (args.a, args.b, args.workload):
        if not os.access(b, os.X_OK):
            sys.exit("bench-pair: %s is not an executable (make all build/bench/workload?)" % b)
    with tempfile.TemporaryDirectory(prefix="custos-pair-") as tmp:
        files = os.path.join(tmp, "files")
        os.mkdir(files)
        rules = [os.path.join(ROOT, "rules")]
        extra = []
        if not args.innocent and args.mode == "open":
            rules = write_rules(tmp, args.workload, files)
            extra = ["-d", files]
        pairs = (("A", args.a), ("B", args.b))
        rows = []
        for r in range(args.rounds):
            order = pairs if r % 2 == 0 else pairs[::-1]
            ns, w = one_round(order[0], order[1], args, tmp, rules, extra)
            rows.append(ns)
            log("round %d (%s first): A %.0f, B %.0f ns a run of %s, B - A %+.0f; workload %.0f ns/op"
                % (r + 1, order[0][0], ns["A"], ns["B"], args.prog, ns["B"] - ns["A"],
                   w["ns_per_op"]))
    a = [x["A"] for x in rows]
    b = [x["B"] for x in rows]
    d = [x["B"] - x["A"] for x in rows]
    # the program that runs second finds the event's data in the caches the
    # first one warmed: each order's mean difference carries that bias with
    # opposite signs, and their average cancels it
    a_first = statistics.mean(d[0::2])
    b_first = statistics.mean(d[1::2])
    print("%s ns a run, %d rounds (%s):" % (args.prog, args.rounds,
                                            "innocent" if args.innocent else "every open matching"))
    print("  A %s: median %.0f (%s)" % (args.a, statistics.median(a),
                                        ", ".join("%.0f" % x for x in a)))
    print("  B %s: median %.0f (%s)" % (args.b, statistics.median(b),
                                        ", ".join("%.0f" % x for x in b)))
    print("  B - A: %+.0f, the mean of A first (%+.0f) and B first (%+.0f); per round: %s"
          % ((a_first + b_first) / 2, a_first, b_first, ", ".join("%+.0f" % x for x in d)))


if __name__ == "__main__":
    main()
