"""Coverage-guided fuzzing of the whole pipeline with atheris (libFuzzer for Python).

    pip install atheris
    python fuzz/atheris_run.py -runs=100000 -max_len=65536 fuzz/corpus   # corpus: see --make-corpus
    python fuzz/atheris_run.py --make-corpus fuzz/corpus                  # seed it from tests/data

Every tlstui module is instrumented, so libFuzzer steers mutations towards new branches in the
reader, dissectors, reassembly, TLS/DTLS, certificates, findings and filters.  A crash stops the
run and writes the input to crash-<hash> in the current directory; keep each fixed one in
tests/fuzz/regressions/.  The mutation fuzzer (fuzz/run.py) needs nothing installed.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DATA = HERE.parent / "tests" / "data"


def make_corpus(out: Path, max_size: int = 64 * 1024) -> int:
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for p in sorted(DATA.iterdir()):
        if p.suffix in (".pcap", ".pcapng") and p.stat().st_size <= max_size:
            (out / p.name).write_bytes(p.read_bytes())
            n += 1
    return n


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--make-corpus":
        print(f"{make_corpus(Path(sys.argv[2]))} seed captures in {sys.argv[2]}")
        return
    import atheris

    with atheris.instrument_imports(include=["tlstui"]):
        from pipeline import run_pipeline

    def one_input(data: bytes) -> None:
        run_pipeline(data)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
