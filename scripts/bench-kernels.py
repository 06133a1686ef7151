#!/usr/bin/env python3
"""Reads the serial logs of scripts/bench-kernels.sh's guests: prints a table
per kernel, mode and backend and writes it as JSON.  Exits 1, saying why,
when a result the guest should have printed is missing, a workload failed or
the agent did not attach the file hook its backend stands for.

  bench-kernels.py --out FILE --load LOADLOG --backends "..." --modes "..."
                   --pairs N  NAME=SERIAL_LOG...
"""
import argparse
import json
import re
import statistics
import sys

# the file program a backend must have attached, when the probe offers it
WANT = {"default": ("lsm", "file__lsm"), "lsm": ("lsm", "file__lsm"),
        "fentry": ("fentry", "file__fentry")}


def kv(text):
    return dict(re.findall(r"(\w+)=(\S+)", text))


def parse_log(path):
    """Everything the guest printed, by kind."""
    out = {"probe": "", "hooks": {}, "runs": [], "records": [], "progname": {},
           "profile": {}, "prog": [], "errors": [], "begin": False, "end": False}
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").replace("\r", "").split("\n")
    for line in lines:
        tag, _, rest = line.partition(" ")
        if tag == "CUSTOS-KBENCH-BEGIN":
            out["begin"] = True
        elif tag == "CUSTOS-KBENCH-END":
            out["end"] = True
        elif tag == "CUSTOS-KBENCH-PROBE":
            out["probe"] = " " + rest + " "
        elif tag == "CUSTOS-KBENCH-HOOKS":
            b = kv(rest)["backend"]
            out["hooks"][b] = re.sub(r"^kernel=\S+ backend=\S+ ", "", rest).strip()
        elif tag == "CUSTOS-KBENCH":
            d = kv(rest)
            if "error" in d or "ns_per_op" not in d:
                out["errors"].append(line)
            else:
                out["runs"].append(d)
        elif tag == "CUSTOS-KBENCH-RECORDS":
            out["records"].append(kv(rest))
        elif tag == "CUSTOS-KBENCH-PROGNAME":
            d = kv(rest)
            out["progname"][(d["backend"], d["id"])] = d["name"]
        elif tag == "CUSTOS-KBENCH-PROFILE":
            d = kv(rest)
            if "error" in d or "ops" not in d:
                out["errors"].append(line)
            else:
                out["profile"][(d["backend"], d["mode"])] = d
        elif tag == "CUSTOS-KBENCH-PROG":
            out["prog"].append(kv(rest))
        elif tag == "CUSTOS-KBENCH-ERROR":
            out["errors"].append(line)
    return out


def file_hook(hooks):
    m = re.findall(r"\b(file__\w+)", hooks)
    return m[0] if m else "-"


def summarize(name, log, args, problems):
    release = ""
    rows = []
    if not log["begin"] or not log["end"]:
        problems.append("%s: the guest did not finish (no CUSTOS-KBENCH-%s line)"
                        % (name, "BEGIN" if not log["begin"] else "END"))
    for b in args.backends:
        hooks = log["hooks"].get(b)
        if hooks is None:
            problems.append("%s backend=%s: no hooks line (the agent did not start?)" % (name, b))
            hooks = ""
        want = WANT.get(b)
        if want and (" %s=yes " % want[0]) in log["probe"] and want[1] not in hooks.split():
            problems.append("%s backend=%s: the probe offers %s but the agent did not attach %s: %s"
                            % (name, b, want[0], want[1], hooks))
        recs = sum(int(r["records"]) for r in log["records"]
                   if r["backend"] == b and r["pair"] != "profile")
        for m in args.modes:
            runs = [r for r in log["runs"] if r["backend"] == b and r["mode"] == m]
            release = release or (runs[0]["kernel"] if runs else "")
            pairs, floor = [], []
            for p in range(1, args.pairs + 1):
                w0 = [r for r in runs if r["pair"] == str(p) and r["agent"] == "0"]
                w1 = [r for r in runs if r["pair"] == str(p) and r["agent"] == "1"]
                wf = [r for r in runs if r["pair"] == str(p) and r["agent"] == "floor"]
                if not w0 or not w1 or not wf:
                    problems.append("%s backend=%s mode=%s pair=%d: result line missing"
                                    % (name, b, m, p))
                    continue
                pairs.append((float(w0[0]["ns_per_op"]), float(w1[0]["ns_per_op"])))
                floor.append(float(wf[0]["ns_per_op"]) - float(w0[0]["ns_per_op"]))
            if not pairs:
                continue
            ratios = [w / wo for wo, w in pairs]
            added = [w - wo for wo, w in pairs]
            row = {"kernel": name, "release": release, "mode": m, "backend": b,
                   "file_hook": file_hook(hooks), "hooks": hooks, "pairs": len(pairs),
                   "ns_per_op_without": statistics.median(wo for wo, _ in pairs),
                   "ns_per_op_with": statistics.median(w for _, w in pairs),
                   "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
                   "ratio_max": max(ratios), "ns_added_median": statistics.median(added),
                   "ns_added_min": min(added), "ns_added_max": max(added),
                   "ratios": ratios, "records_in_timed_runs": recs,
                   # the fastest run of each side: other jobs on the host only
                   # ever add time to a run, so the minimum is the least disturbed
                   "ns_per_op_without_best": min(wo for wo, _ in pairs),
                   "ns_per_op_with_best": min(w for _, w in pairs)}
            # the floor (the hooks alone, in the same guest): custos's added
            # cost as a multiple of it, of the medians
            row["floor_ns_added_median"] = statistics.median(floor)
            row["floor_multiple"] = (row["ns_added_median"] / row["floor_ns_added_median"]
                                     if row["floor_ns_added_median"] > 0 else None)
            row["ratio_best"] = row["ns_per_op_with_best"] / row["ns_per_op_without_best"]
            row["ns_added_best"] = row["ns_per_op_with_best"] - row["ns_per_op_without_best"]
            prof = log["profile"].get((b, m))
            if prof:
                ops = int(prof["ops"]) + int(prof.get("warmup", 0)) + int(prof.get("setup", 0))
                progs = {}
                for p in log["prog"]:
                    if p["backend"] == b and p["mode"] == m:
                        pname = log["progname"].get((b, p["id"]), "prog" + p["id"])
                        runs_, ns = int(p["runs"]), int(p["ns"])
                        progs[pname] = {"runs_per_op": runs_ / ops, "ns_per_run": ns / runs_,
                                        "ns_per_op": ns / ops}
                row["bpf_profile"] = {"ns_per_op": float(prof["ns_per_op"]), "programs": progs,
                                      "bpf_ns_per_op": sum(p["ns_per_op"] for p in progs.values())}
            rows.append(row)
    return rows


def fmt_range(lo, hi, f):
    return (f + "–" + f) % (lo, hi)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--backends", required=True)
    ap.add_argument("--modes", required=True)
    ap.add_argument("--pairs", type=int, required=True)
    ap.add_argument("logs", nargs="+", help="NAME=SERIAL_LOG")
    args = ap.parse_args()
    args.backends, args.modes = args.backends.split(), args.modes.split()

    problems, rows = [], []
    for spec in args.logs:
        name, _, path = spec.partition("=")
        try:
            log = parse_log(path)
        except OSError as e:
            problems.append("%s: %s" % (name, e))
            continue
        problems += ["%s: %s" % (name, e) for e in log["errors"]]
        rows += summarize(name, log, args, problems)
    try:
        with open(args.load) as f:
            load = [float(x) for x in f.read().split()]
    except (OSError, ValueError):
        load = []

    print("Under QEMU TCG (times ~7-11x the host's): compare ratios and ns added between backends.")
    print("ratio/ns added: median over the pairs (min-max); best: fastest run with / fastest without;")
    print("BPF ns/op: the agent's programs' run time per op (kernel.bpf_stats_enabled, separate run)")
    print("floor: the bare hooks (tests/bench/floor.bpf.c) in the same guest; x floor: custos's")
    print("ns added / the floor's (medians)")
    print("%-6s %-8s %-10s %-13s %9s %-26s %-30s %9s %8s %6s %8s %9s %7s" % (
        "kernel", "mode", "backend", "file hook", "ns/op w/o", "ratio", "ns added",
        "floor +ns", "x floor", "best", "best +ns", "BPF ns/op", "records"))
    for r in rows:
        bpf = r.get("bpf_profile", {}).get("bpf_ns_per_op")
        print("%-6s %-8s %-10s %-13s %9.0f %-26s %-30s %9.0f %8s %6.3f %8.0f %9s %7d" % (
            r["kernel"], r["mode"], r["backend"], r["file_hook"], r["ns_per_op_without"],
            "%.3f (%s)" % (r["ratio_median"], fmt_range(r["ratio_min"], r["ratio_max"], "%.3f")),
            "%.0f (%s)" % (r["ns_added_median"], fmt_range(r["ns_added_min"], r["ns_added_max"], "%.0f")),
            r["floor_ns_added_median"],
            "-" if r["floor_multiple"] is None else "%.2fx" % r["floor_multiple"],
            r["ratio_best"], r["ns_added_best"],
            "-" if bpf is None else "%.0f" % bpf, r["records_in_timed_runs"]))
    for r in rows:
        progs = r.get("bpf_profile", {}).get("programs", {})
        if progs:
            print("  %s %s %s: %s" % (r["kernel"], r["mode"], r["backend"], ", ".join(
                "%s %.0f ns x %.2f/op" % (n, p["ns_per_run"], p["runs_per_op"])
                for n, p in sorted(progs.items(), key=lambda kv_: -kv_[1]["ns_per_op"]))))
    if load:
        print("host load (1-min, sampled every 10 s): min %.2f, median %.2f, max %.2f"
              % (min(load), statistics.median(load), max(load)))
    with open(args.out, "w") as f:
        json.dump({"rows": rows, "host_load_1min": load, "problems": problems}, f, indent=1)
    print("written: %s" % args.out)
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
