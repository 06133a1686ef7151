#!/usr/bin/env python3
"""The tables and target verdicts of `make bench` (scripts/bench.py)."""


def columns(hdr, rows):
    """rows (each a tuple as long as hdr, or (name, text) for a skipped
    case) as aligned lines under hdr."""
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
    return columns(hdr, rows)


def reference_table(results):
    """Per case with references: ns added per op by custos, by the floor
    (the hooks alone) and by auditd, in the same rounds; custos's added
    cost as a multiple of the floor's, and of auditd's."""
    hdr = ("case", "ns/op w/o", "+custos", "+floor", "+auditd", "custos/floor",
           "custos/auditd", "ratios custos floor auditd")
    rows = []
    for r in results:
        s = r.get("summary")
        if not s or not ("floor" in s or "auditd" in s):
            continue
        f, a = s.get("floor"), s.get("auditd")
        mult = lambda ref: ("-" if not ref or ref["custos_multiple"] is None
                            else "%.2fx" % ref["custos_multiple"])
        rows.append((r["name"], "%.0f" % s["ns_per_op_without_median"],
                     "%+.0f" % s["ns_added_median"],
                     "-" if not f else "%+.0f" % f["ns_added_median"],
                     "-" if not a else "%+.0f" % a["ns_added_median"],
                     mult(f), mult(a),
                     "%.3f %s %s" % (s["ratio_median"],
                                     "-" if not f else "%.3f" % f["ratio_median"],
                                     "-" if not a else "%.3f" % a["ratio_median"])))
    if not rows:
        return ""
    return ("added per op, the same rounds (a multiple of the floor: what custos adds beyond "
            "the hooks it needs)\n" + columns(hdr, rows))


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
    out = ["BPF run time per program (kernel.bpf_stats_enabled, a separate run per case;"
           " runs of other processes on the host included)", columns(hdr, rows)]
    vs = bpf_vs_floor(results)
    if vs:
        out += ["", vs]
    return "\n".join(out)


def bpf_vs_floor(results):
    """Per case: the BPF run time per op of all of custos's programs and of
    all of the floor's (the same hooks, each in its own profile run).  The
    hooks' own cost is the same for both, so the difference is what custos's
    programs add beyond the floor's, without the wall clock's noise."""
    hdr = ("case", "custos bpf ns/op", "floor bpf ns/op", "custos - floor", "custos/floor")
    rows = []
    for r in results:
        mine, floor = r.get("bpf_profile"), r.get("bpf_profile_floor")
        if not mine or not floor:
            continue
        a = sum(p["ns_per_op"] for p in mine["programs"].values())
        b = sum(p["ns_per_op"] for p in floor["programs"].values())
        rows.append((r["name"], "%.0f" % a, "%.0f" % b, "%+.0f" % (a - b),
                     "%.2fx" % (a / b) if b > 0 else "-"))
    if not rows:
        return ""
    return ("BPF run time per op, all programs, custos against the floor (the same hooks;"
            " the hooks' dispatch is not in it)\n" + columns(hdr, rows))


def sweep_table(sweep):
    if sweep.get("skipped"):
        return "saturation sweep skipped: " + sweep["skipped"]
    hdr = ("workloads", "caused/s", "delivered/s", "agent cpu", "cpu/record", "cpu/line",
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
                     "-" if lv.get("agent_us_per_line") is None
                     else "%.2f us" % lv["agent_us_per_line"],
                     rec))
    widths = [max(len(x[i]) for x in [hdr] + rows) for i in range(len(hdr))]
    out = ["saturation sweep (open-every-match, k workloads in parallel, one agent)"]
    for r in [hdr] + rows:
        out.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip())
    return "\n".join(out)


# the innocent open workloads: custos's added cost within 1.25x the floor's,
# below auditd's (docs/PERFORMANCE.md, "Targets")
OPEN_INNOCENT = ("open-innocent", "open-deep-innocent", "dataloader-innocent",
                 "import-storm-innocent")


def targets(results):
    """The targets, each: name, target, measured, verdict (pass / FAIL / n/a
    when the case or the reference it needs did not run)."""
    by = {r["name"]: r.get("summary") for r in results}
    out = []

    def add(name, target, case, measure, ok):
        s = by.get(case)
        v = measure(s) if s else None
        if not v or v[0] is None:
            out.append(dict(target=name, goal=target, measured=None, verdict="n/a"))
            return
        out.append(dict(target=name, goal=target, measured=v[1], value=v[0],
                        verdict="pass" if ok(v[0]) else "FAIL"))

    def multiple(ref):
        return lambda s: ((s[ref]["custos_multiple"], "%.2fx (%+.0f vs %+.0f ns)" % (
            s[ref]["custos_multiple"], s["ns_added_median"], s[ref]["ns_added_median"]))
            if s.get(ref) and s[ref]["custos_multiple"] is not None else None)

    for c in OPEN_INNOCENT:
        add("%s: added vs floor's" % c, "<= 1.25x", c, multiple("floor"), lambda v: v <= 1.25)
        add("%s: added vs auditd's" % c, "< 1x", c, multiple("auditd"), lambda v: v < 1)
    add("connect-innocent: added vs floor's", "<= 1.25x", "connect-innocent",
        multiple("floor"), lambda v: v <= 1.25)
    add("innocent exec: ratio", "<= 1.03", "exec-innocent",
        lambda s: (s["ratio_median"], "%.3f" % s["ratio_median"]), lambda v: v <= 1.03)
    add("every open matches: ratio, nothing lost", "<= 1.3", "open-every-match",
        lambda s: (s["ratio_median"] if s["no_loss"] else 99, "%.3f%s" % (
            s["ratio_median"], "" if s["no_loss"] else " WITH LOSS")), lambda v: v <= 1.3)
    add("agent CPU per record delivered", "<= 0.7 us", "open-every-match",
        lambda s: ((1e6 * s["agent_cpu_sched_s_median"] * len_rounds(s) / s["records"],
                    "%.2f us" % (1e6 * s["agent_cpu_sched_s_median"] * len_rounds(s) /
                                 s["records"]))
                   if s["records"] and s["agent_cpu_sched_s_median"] is not None else None),
        lambda v: v <= 0.7)
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


def len_rounds(s):
    """The rounds a summary is of (its records are summed over them)."""
    return s.get("rounds", 1)
