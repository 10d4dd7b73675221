"""compare.sh's JSON lines -> markdown tables: anchor vs attend medians, ratios, % of FP32 peak, peak memory.

Usage: /usr/bin/python3 bench/compare_table.py RESULTS.jsonl
Each configuration's value is the median over rounds of the per-run ms_median; "rounds" lists the per-run medians.
Matmul also gives the median of the per-round paired ratios (attend vs sgemm in the same round), the number that
is robust to the host drifting between rounds.
"""
import json
import statistics
import sys

PEAK_PER_CORE = 117.0  # FP32 GFLOP/s per core (3.65 GHz x 32 FLOP/cycle), see bench.md


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def med(values):
    return statistics.median(values) if values else float("nan")


def probe_line(recs):
    out = []
    for r in recs:
        if r.get("side") == "probe" and r.get("kind") == "timeline":
            c = r["chunks"]
            low = sum(1 for v in c if v < 200) / max(len(c), 1)
            out.append(f"- FMA probe ({r.get('when')}, 2 threads, {len(c)} chunks of ~50 ms): median "
                       f"{med(c):.0f} GFLOP/s, min {min(c):.0f}, max {max(c):.0f}; {100 * low:.0f}% of chunks < 200")
    return out


def config_name(r):
    if r.get("side") == "attend":
        name = f"attend [{r.get('alloc', 'glibc')}]"
        return name + " out= (row kernel)" if r.get("out") else name
    if r["bench"] == "sgemm_openblas":
        return "OpenBLAS sgemm (raw, OpenMP build)"
    if r["bench"] == "torch_matmul":
        return f"torch.matmul [{r.get('alloc')}]"
    name = f"torch.softmax cfg {r.get('cfg')} [{r.get('alloc')}]"
    return name + " out=" if r.get("out") else name


def group(recs, keyfn):
    out = {}
    for r in recs:
        out.setdefault(keyfn(r), []).append(r)
    return out


def matmul_tables(recs):
    lines = []
    runs = [r for r in recs if r.get("bench") in ("matmul", "torch_matmul", "sgemm_openblas")]
    for (n, t), rs in sorted(group(runs, lambda r: (r["n"], r["threads"])).items()):
        flop = 2.0 * n ** 3
        lines += [f"\n### matmul n={n}, {t} thread(s) (peak {PEAK_PER_CORE * t:.0f} GFLOP/s)\n",
                  "| side | config | ms median | GFLOP/s | % of FP32 peak | vs sgemm | peak RSS MiB | rounds (ms) |",
                  "|---|---|---|---|---|---|---|---|"]
        by_cfg = group(rs, config_name)
        sgemm = by_cfg.get("OpenBLAS sgemm (raw, OpenMP build)", [])
        sgemm_ms = med([r["ms_median"] for r in sgemm])
        sgemm_round = {r.get("round"): r["ms_median"] for r in sgemm}
        for name, cr in sorted(by_cfg.items(), key=lambda kv: (kv[1][0]["side"] != "anchor", kv[0])):
            ms = med([r["ms_median"] for r in cr])
            gf = flop / (ms * 1e-3) / 1e9
            paired = [sgemm_round[r.get("round")] / r["ms_median"] for r in cr if r.get("round") in sgemm_round]
            vs = f"{100 * sgemm_ms / ms:.1f}% (paired {100 * med(paired):.1f}%)" if sgemm else "-"
            rss = max((r.get("peak_rss_mib", float("nan")) for r in cr), default=float("nan"))
            rss_s = "-" if rss != rss else f"{rss:.0f}"
            rounds = ", ".join(f"{r['ms_median']:.2f}" for r in cr)
            lines.append(f"| {cr[0]['side']} | {name} | {ms:.2f} | {gf:.1f} | {100 * gf / (PEAK_PER_CORE * t):.0f}% "
                         f"| {vs} | {rss_s} | {rounds} |")
    return lines


def softmax_tables(recs):
    lines = []
    runs = [r for r in recs if r.get("bench") == "softmax"]
    for shape, rs in group(runs, lambda r: tuple(r["shape"])).items():
        lines += [f"\n### softmax over the last dim, shape {list(shape)} (memory-bound: GB/s = read x + write y)\n",
                  "| side | config | threads | ms median | GB/s | peak RSS MiB | rounds (ms) |", "|---|---|---|---|---|---|---|"]
        best = {}
        for (name, t), cr in sorted(group(rs, lambda r: (config_name(r), r["threads"])).items(),
                                    key=lambda kv: (kv[1][0]["side"] != "anchor", kv[0])):
            ms = med([r["ms_median"] for r in cr])
            gbs = med([r["gbs_median"] for r in cr])
            rss = max(r["peak_rss_mib"] for r in cr)
            side = cr[0]["side"]
            lines.append(f"| {side} | {name} | {t} | {ms:.2f} | {gbs:.1f} | {rss:.0f} | "
                         + ", ".join(f"{r['ms_median']:.2f}" for r in cr) + " |")
            out = " out=" if cr[0].get("out") else ""
            for key in (side + out, f"{side} [{cr[0].get('alloc')}]{out}"):
                if key not in best or ms < best[key][0]:
                    best[key] = (ms, f"{name}, {t} thread(s)")
        for out in ("", " out="):
            if "anchor" + out not in best:
                continue
            a_ms, a_cfg = best["anchor" + out]
            what = "preallocated output" if out else "fresh output per call"
            lines.append(f"\n{what}: best torch (<= 2 cores): {a_ms:.2f} ms ({a_cfg}).")
            for key in sorted(k for k in best if k.startswith("attend [") and k.endswith(out) and
                              (out or not k.endswith(" out="))):
                ms, cfg = best[key]
                lines.append(f"  best {key}: {ms:.2f} ms ({cfg}) -> {a_ms / ms:.2f}x the best torch's speed.")
    return lines


def main():
    recs = load(sys.argv[1])
    out = ["## FMA probe"] + probe_line(recs)
    out += matmul_tables(recs)
    out += softmax_tables(recs)
    print("\n".join(out))


if __name__ == "__main__":
    main()
