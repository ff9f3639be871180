"""Structure-aware mutation run over the certificate code (tls/x509.py): names by attribute syntax,
GeneralNames inside extensions, embedded SCT lists.  Seeds are real DER certificates: those in the test
captures (tests/data) and the chain of tests/unit/tls/make_x509_capture.py (every kind of name tshark
decodes, made with ``cryptography``).  Each case takes one, parses it into its DER tree and mutates
nodes (tag, length form, content, a child duplicated, dropped, swapped in from another certificate,
an SCT list's inner lengths), re-encoding the lengths around the change most of the time so the
damage reaches deep, or leaving them wrong; or flips raw bytes.  Then, with the checks of
tests/fuzz/test_x509_never_raises.py:

- ``certificate_field`` and ``dname_field`` never raise; every field lies inside the certificate's
  bytes; every label and every tshark-formatted value can be built; ``certificate_protocols`` runs;
- ``cert_info`` and ``issued_by`` never raise (they say why in ``error`` / None);
- ``sct_list`` over mutated SCT list bytes never raises and stays inside them;
- one case in ``--pipeline-every`` also runs the whole pipeline (fuzz/pipeline.py, strict rules,
  hidden errors) on a seed capture (s01, s03, s05b, starttls_ftp, x509_names) with one certificate's bytes overwritten in place
  by a same-length mutation (the handshake, analyzer, findings and filters see it).

    python fuzz/x509.py --cases 50000 [--seed 1] [--pipeline-every 25]
    python fuzz/x509.py --atheris CORPUS_DIR -runs=50000      # coverage-guided (pip install atheris)

With --atheris, libFuzzer mutates raw DER from CORPUS_DIR (filled with the seed certificates when empty),
every tlstui module instrumented, each input through the same checks (certificate and SCT entry points);
a failing input is written to crash-<hash> in the current directory.

Crashing inputs go to fuzz/crashes/x509-SEED-N.der (or .pcap) with their traceback.
"""
from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "fuzz")]


def atheris_main(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["tlstui"]):
        from test_x509_never_raises import SEEDS, check_cert, check_sct
    corpus = Path(argv[0])
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for i, d in enumerate(SEEDS):
            (corpus / f"seed-{i}.der").write_bytes(d)

    def one_input(data: bytes) -> None:
        check_cert(data)
        if data[:1] == b"\x00":
            check_sct(data[1:])

    atheris.Setup([sys.argv[0]] + argv[1:] + [str(corpus)], one_input)
    atheris.Fuzz()


def main() -> int:
    if sys.argv[1:2] == ["--atheris"]:
        atheris_main(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pipeline-every", type=int, default=25)
    args = ap.parse_args()
    from pipeline import run_pipeline
    from test_x509_never_raises import CERT_SPANS, SCT_LISTS, SEEDS, check_cert, check_sct, mutate_der, mutate_raw

    rng = random.Random(args.seed)
    t0, crashes, fields, piped = time.time(), [], 0, 0
    for k in range(args.cases):
        if k % 500 == 0:
            gc.collect()
        pipe = args.pipeline_every and k % args.pipeline_every == 0
        kind = "pcap" if pipe else ("sct" if k % 7 == 3 else "der")
        if pipe:  # a certificate of the capture overwritten in place: every length around it still holds
            cap, a, b = rng.choice(CERT_SPANS)
            data = cap[:a] + mutate_raw(cap[a:b], rng, same_length=True) + cap[b:]
        elif kind == "sct":
            data = mutate_raw(rng.choice(SCT_LISTS), rng)
        else:
            data = mutate_der(rng.choice(SEEDS), rng, SEEDS)
        try:
            if pipe:
                run_pipeline(data, dissect_all=True, strict_rules=True, hidden_errors=True)
                piped += 1
            elif kind == "sct":
                fields += check_sct(data)
            else:
                fields += check_cert(data)
        except Exception:  # noqa: BLE001 - every escape is a finding of this run
            out = HERE / "crashes" / f"x509-{args.seed}-{k}.{kind if kind != 'sct' else 'sct.bin'}"
            out.parent.mkdir(exist_ok=True)
            out.write_bytes(data)
            out.with_suffix(".txt").write_text(traceback.format_exc())
            crashes.append(str(out))
        if k % 500 == 499:
            print(f"\r{k + 1}/{args.cases} cases, {len(crashes)} crashes, {time.time() - t0:.0f} s", end="", flush=True)
    print(f"\r{args.cases} cases ({piped} through the pipeline, {fields} fields), {len(crashes)} crashes, "
          f"{time.time() - t0:.0f} s")
    for c in crashes[:20]:
        print("crash:", c)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
