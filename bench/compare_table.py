"""compare.sh's JSON lines -> markdown tables: anchor vs attend medians, ratios, % of FP32 peak, peak memory.

Usage: /usr/bin/python3 bench/compare_table.py RESULTS.jsonl
Each configuration's value is the median over rounds of the per-run ms_median; "rounds" lists the per-run medians.
Matmul also gives the median of the per-round paired ratios (attend vs sgemm in the same round), the number that
is robust to the host drifting between rounds. Attention and mha (records of bench "attention") give each
configuration's speed relative to the best torch configuration, % of FP32 peak (attention core FLOP; for mha the
total with the projections), and the paired per-round ratio of the best attend to the best torch.
LSTM/GRU (bench "rnn") and seq2seq training (bench "seq2seq") give the same columns with tokens/s (target tokens/s
for seq2seq) in place of GFLOP/s where it is the anchor's unit, and attend's "notes" (what differs from the anchor).
One TransformerEncoderLayer (bench "transformer_layer") gives tok/s, GFLOP/s and % of FP32 peak (transformer.py's
FLOP count) with the same ratio columns and lines.
LSTM/GRU fwd tables may also hold oneDNN's fused RNN (records with anchor "onednn_rnn"): their ratios are then against
the best anchor (torch or oneDNN), plus one line for the best attend against the best oneDNN.
"""
import json
import statistics
import sys

PEAK_PER_CORE = 117.0  # FP32 GFLOP/s per core (3.65 GHz x 32 FLOP/cycle), see bench.md
# The run's own FMA peak per core: the fastest 50 ms chunk of its 2-thread probes, halved (set by main; None without
# a probe). On a host whose cores retire two 512-bit FMAs per cycle it is about twice bench.md's figure, so the
# tables print both: "bench.md's % / the probe's %".
PROBE_PER_CORE = None
PEAK_HEADER = "% of FP32 peak (bench.md / probe)"


def pct_of_peak(gflops, threads):
    """GFLOP/s on `threads` cores as % of bench.md's peak and, after a slash, of the run's probe peak."""
    text = f"{100 * gflops / (PEAK_PER_CORE * threads):.0f}%"
    if PROBE_PER_CORE:
        text += f" / {100 * gflops / (PROBE_PER_CORE * threads):.0f}%"
    return text


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


def is_onednn(r):
    return r.get("side") == "anchor" and r.get("anchor") == "onednn_rnn"


def config_name(r):
    if r.get("side") == "attend":
        name = f"attend [{r.get('alloc', 'glibc')}]"
        if r.get("attention_impl", "auto") != "auto":
            name += f" --impl {r['attention_impl']}"
        return name + " out= (row kernel)" if r.get("out") else name
    if r["bench"] == "sgemm_openblas":
        return "OpenBLAS sgemm (raw, OpenMP build)"
    if r["bench"] == "torch_matmul":
        return f"torch.matmul [{r.get('alloc')}]"
    if r["bench"] == "rnn" and is_onednn(r):
        return f"oneDNN {r.get('dnnl')} fused RNN (forward_inference)"
    if r["bench"] == "rnn":
        return f"torch nn.{r.get('cell')} cfg {r.get('cfg')} [{r.get('alloc')}]"
    if r["bench"] == "seq2seq":
        return f"torch seq2seq.py cfg {r.get('cfg')} [{r.get('alloc')}]"
    if r["bench"] == "transformer_layer":
        return f"torch nn.TransformerEncoderLayer cfg {r.get('cfg')} [{r.get('alloc')}]"
    if r["bench"] == "attention":
        what = ("nn.MultiheadAttention" if r.get("variant") == "mha"
                else "attention_bf16.py" if r.get("precision") == "bf16" else "attention.py")
        return f"torch {what} cfg {r.get('cfg')} [{r.get('alloc')}]"
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
                  f"| side | config | ms median | GFLOP/s | {PEAK_HEADER} | vs sgemm | peak RSS MiB | rounds (ms) |",
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
            lines.append(f"| {cr[0]['side']} | {name} | {ms:.2f} | {gf:.1f} | {pct_of_peak(gf, t)} "
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


ATTENTION_WHAT = {
    "naive": "softmax(Q Kᵀ/√d) V",
    "causal": "softmax(causal(Q Kᵀ/√d)) V, full scores",
    "mha": "multi-head self-attention module, projections included",
    "naive bf16": "softmax(Q Kᵀ/√d) V with bf16 products (torch: bf16 tensors)",
    "causal bf16": "softmax(causal(Q Kᵀ/√d)) V with bf16 products (torch: bf16 tensors, full scores)",
}


def variant_of(r):  # a bf16 run is its own table
    return r["variant"] + (" bf16" if r.get("precision") == "bf16" else "")


def attention_tables(recs):
    lines = []
    runs = [r for r in recs if r.get("bench") == "attention"]
    order = {"naive": 0, "causal": 1, "mha": 2}
    keyfn = lambda r: (order.get(r["variant"], 9), variant_of(r), r["mode"], r["n"], r.get("B"), r.get("H"), r.get("d"))
    for (_, variant, mode, n, b, h, d), rs in sorted(group(runs, keyfn).items()):
        mha = variant == "mha"
        gkey = "gflops_total_median" if mha else "gflops_core_median"
        flop_note = ("GFLOP/s and % of peak count the core and the projections" if mha
                     else "GFLOP/s and % of peak count the core's 4·B·H·n²·d (x3 for fwdbwd)")
        if variant.endswith(" bf16"):
            flop_note += " against the FP32 peak (AVX512-BF16's is twice it)"
        shape = f"B={b} H={h} d={d}" + (f" E={h * d}" if mha and h and d else "")
        lines += [f"\n### attention {variant} {mode}, n={n}, {shape}: {ATTENTION_WHAT.get(variant, variant)}\n",
                  f"{flop_note}; \"vs best torch\" > 1 means faster than the best torch configuration.\n",
                  f"| side | config | threads | ms median | GFLOP/s | {PEAK_HEADER} | vs best torch | peak RSS MiB "
                  "| rounds (ms) |", "|---|---|---|---|---|---|---|---|---|"]
        by_cfg = sorted(group(rs, lambda r: (config_name(r), r["threads"])).items(),
                        key=lambda kv: (kv[1][0]["side"] != "anchor", kv[0]))
        meds = {k: med([r["ms_median"] for r in cr]) for k, cr in by_cfg}
        anchor = [(meds[k], k) for k, cr in by_cfg if cr[0]["side"] == "anchor"]
        a_ms, a_key = min(anchor) if anchor else (float("nan"), None)
        best = {}
        for (name, t), cr in by_cfg:
            ms = meds[(name, t)]
            gf = med([r[gkey] for r in cr if gkey in r])
            rss = max(r.get("peak_rss_mib", float("nan")) for r in cr)
            side = cr[0]["side"]
            vs = f"{a_ms / ms:.2f}x" if anchor else "-"
            lines.append(f"| {side} | {name} | {t} | {ms:.2f} | {gf:.1f} | {pct_of_peak(gf, t)} | {vs} "
                         f"| {rss:.0f} | " + ", ".join(f"{r['ms_median']:.2f}" for r in cr) + " |")
            if side == "attend":
                key = name
                if key not in best or ms < best[key][0]:
                    best[key] = (ms, f"{t} thread(s)")
        if not anchor:
            continue
        lines.append(f"\nbest torch (<= 2 cores): {a_ms:.2f} ms ({a_key[0]}, {a_key[1]} thread(s)).")
        for key in sorted(best):
            ms, cfg = best[key]
            lines.append(f"  best {key}: {ms:.2f} ms ({cfg}) -> {a_ms / ms:.2f}x the best torch's speed.")
        rounds = group(rs, lambda r: r.get("round"))
        paired = []
        for rr in rounds.values():
            a = [r["ms_median"] for r in rr if r["side"] == "anchor"]
            m = [r["ms_median"] for r in rr if r["side"] == "attend"]
            if a and m:
                paired.append(min(a) / min(m))
        if paired:
            lines.append(f"  paired per round (best torch / best attend of the same round): median {med(paired):.2f}x "
                         f"over {len(paired)} round(s): " + ", ".join(f"{p:.2f}" for p in paired))
    return lines


def best_and_paired(rs, by_cfg, meds, who="torch"):
    """Lines after a table: the best anchor configuration (who: "torch", or "anchor" when oneDNN is among them), each
    allocator's best attend, the paired per-round ratio; with oneDNN rows, the best attend against the best oneDNN."""
    anchor = [(meds[k], k) for k, cr in by_cfg if cr[0]["side"] == "anchor"]
    if not anchor:
        return []
    a_ms, a_key = min(anchor)
    lines = [f"\nbest {who} (<= 2 cores): {a_ms:.2f} ms ({a_key[0]}, {a_key[1]} thread(s))."]
    best = {}
    for (name, t), cr in by_cfg:
        if cr[0]["side"] == "attend":
            key = f"attend [{cr[0].get('alloc', 'glibc')}]"
            if key not in best or meds[(name, t)] < best[key][0]:
                best[key] = (meds[(name, t)], f"{t} thread(s)")
    for key in sorted(best):
        ms, cfg = best[key]
        lines.append(f"  best {key}: {ms:.2f} ms ({cfg}) -> {a_ms / ms:.2f}x the best {who}'s speed.")
    paired = []
    for rr in group(rs, lambda r: r.get("round")).values():
        a = [r["ms_median"] for r in rr if r["side"] == "anchor"]
        m = [r["ms_median"] for r in rr if r["side"] == "attend"]
        if a and m:
            paired.append(min(a) / min(m))
    if paired:
        lines.append(f"  paired per round (best {who} / best attend of the same round): median {med(paired):.2f}x "
                     f"over {len(paired)} round(s): " + ", ".join(f"{p:.2f}" for p in paired))
    one = [(meds[k], k) for k, cr in by_cfg if is_onednn(cr[0])]
    att = [(meds[k], k, cr[0].get("alloc", "glibc")) for k, cr in by_cfg if cr[0]["side"] == "attend"]
    if one and att:
        (o_ms, o_key), (m_ms, m_key, alloc) = min(one), min(att)
        lines.append(f"  best oneDNN: {o_ms:.2f} ms ({o_key[1]} thread(s)); best attend: {m_ms:.2f} ms ([{alloc}], "
                     f"{m_key[1]} thread(s)) -> attend at {o_ms / m_ms:.2f}x oneDNN's fused RNN speed.")
    return lines


def speed_table(title, rs, columns, who="torch"):
    """One table of per-configuration medians. columns: (header, fn(records, ms median, threads) -> str)."""
    lines = [title, "| side | config | threads | ms median | " + " | ".join(h for h, _ in columns) +
             f" | vs best {who} | peak RSS MiB | rounds (ms) |", "|---" * (len(columns) + 7) + "|"]
    by_cfg = sorted(group(rs, lambda r: (config_name(r), r["threads"])).items(),
                    key=lambda kv: (kv[1][0]["side"] != "anchor", kv[0]))
    meds = {k: med([r["ms_median"] for r in cr]) for k, cr in by_cfg}
    a_ms = min((meds[k] for k, cr in by_cfg if cr[0]["side"] == "anchor"), default=None)
    for (name, t), cr in by_cfg:
        ms = meds[(name, t)]
        rss = max(r.get("peak_rss_mib", float("nan")) for r in cr)
        vs = f"{a_ms / ms:.2f}x" if a_ms is not None else "-"
        cols = " | ".join(fn(cr, ms, t) for _, fn in columns)
        lines.append(f"| {cr[0]['side']} | {name} | {t} | {ms:.2f} | {cols} | {vs} | {rss:.0f} | "
                     + ", ".join(f"{r['ms_median']:.2f}" for r in cr) + " |")
    return lines + best_and_paired(rs, by_cfg, meds, who)


def throughput_columns(tokens):
    """speed_table's tok/s, GFLOP/s and % of FP32 peak columns for records with gflops_median; tokens per call."""
    tok = lambda cr, ms, t: f"{tokens / (ms * 1e-3):,.0f}"
    # GFLOP of one call (GFLOP/s x seconds), over the configuration's median time
    gflops = lambda cr, ms: med([r["gflops_median"] * r["ms_median"] for r in cr]) / ms
    gf = lambda cr, ms, t: f"{gflops(cr, ms):.1f}"
    pct = lambda cr, ms, t: pct_of_peak(gflops(cr, ms), t)
    return [("tok/s", tok), ("GFLOP/s", gf), (PEAK_HEADER, pct)]


def rnn_tables(recs):
    lines = []
    runs = [r for r in recs if r.get("bench") == "rnn"]
    keyfn = lambda r: (r["cell"], r["mode"], r["bidirectional"], r["seq"], r["batch"], r["input"], r["hidden"])
    for (cell, mode, bi, seq, batch, inp, hid), rs in sorted(group(runs, keyfn).items()):
        who = "anchor" if any(is_onednn(r) for r in rs) else "torch"
        title = (f"\n### {cell} {mode}, {'bidirectional' if bi else 'unidirectional'}, seq {seq}, batch {batch}, "
                 f"input {inp}, hidden {hid}\n\ntok/s = seq·batch / time; GFLOP/s counts the GEMM work only "
                 f"(gates·2·hidden·(input + hidden) per token and direction, x3 for fwdbwd); \"vs best {who}\" > 1 "
                 f"means faster than the best {who} configuration"
                 + (" (torch or oneDNN)" if who == "anchor" else "") + ".\n")
        lines += speed_table(title, rs, throughput_columns(seq * batch), who)
    return lines


TRANSFORMER_SIZES = {"batch": 16, "seq": 128, "d_model": 512, "heads": 8, "ffn": 2048}  # transformer.py's shape


def transformer_tables(recs):
    lines = []
    runs = [r for r in recs if r.get("bench") == "transformer_layer"]
    # transformer.py's records carry no sizes (its fixed ones), so they join the attend runs of those sizes
    keyfn = lambda r: (r["mode"] != "fwd", r["mode"]) + tuple(r.get(k, v) for k, v in TRANSFORMER_SIZES.items())
    for (_, mode, b, n, c, h, f), rs in sorted(group(runs, keyfn).items()):
        what = "eval, no grad" if mode == "fwd" else "train, forward + backward of x and the parameters"
        title = (f"\n### TransformerEncoderLayer {mode} ({what}), x [{b}, {n}, {c}], {h} heads, ffn {f}, ReLU, "
                 f"post-norm, dropout 0\n\ntok/s = B·N / time; GFLOP/s counts 2·B·N·(4·C² + 2·C·F) + 4·B·H·N²·(C/H) "
                 f"(x3 for fwdbwd); \"vs best torch\" > 1 means faster than the best torch configuration.\n")
        lines += speed_table(title, rs, throughput_columns(b * n))
    return lines


def seq2seq_tables(recs):
    lines = []
    runs = [r for r in recs if r.get("bench") == "seq2seq"]
    order = {"bahdanau": 0, "luong_general": 1, "luong_dot": 2}
    for (_, model), rs in sorted(group(runs, lambda r: (order.get(r["model"], 9), r["model"])).items()):
        a = next((r for r in rs if r.get("side") == "attend"), {})
        shape = (f"batch {a.get('batch', 32)}, source {a.get('src_len', 30)}, target {a.get('tgt_len', 30)}, "
                 f"vocab {a.get('vocab', 8000)}, emb {a.get('emb', 256)}, hidden {a.get('hidden', 512)}")
        params = {r["side"]: r.get("params") for r in rs}
        title = (f"\n### seq2seq training step, {model} ({shape}; Adam lr 1e-3)\n\ntok/s = target tokens / step time; "
                 f"parameters: torch {params.get('anchor', '-')}, attend {params.get('attend', '-')}. "
                 f"\"vs best torch\" > 1 means faster than the best torch configuration.\n")
        if a.get("notes"):
            title += f"\nDifferences from the anchor's model: {a['notes']}.\n"
        ntok = a.get("batch", 32) * a.get("tgt_len", 30)
        tok = lambda cr, ms, t: f"{ntok / (ms * 1e-3):,.0f}"
        fwd = lambda cr, ms, t: f"{med([r['fwd_nograd_ms_median'] for r in cr]):.1f}"
        lines += speed_table(title, rs, [("tgt tok/s", tok), ("fwd no-grad ms", fwd)])
    return lines


def main():
    global PROBE_PER_CORE
    recs = load(sys.argv[1])
    chunks = [v for r in recs if r.get("side") == "probe" and r.get("kind") == "timeline" for v in r["chunks"]]
    PROBE_PER_CORE = max(chunks) / 2 if chunks else None
    out = ["## FMA probe"] + probe_line(recs)
    out += matmul_tables(recs)
    out += softmax_tables(recs)
    out += attention_tables(recs)
    out += transformer_tables(recs)
    out += rnn_tables(recs)
    out += seq2seq_tables(recs)
    print("\n".join(out))


if __name__ == "__main__":
    main()
