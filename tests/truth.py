"""Read the tshark truth files beside the test captures."""
from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data"


def captures() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.suffix in (".pcap", ".pcapng")
                  and Path(str(p) + ".fields.tsv").exists())


def fields_truth(capture: Path) -> tuple[list[str], dict[int, list[str]]]:
    lines = Path(str(capture) + ".fields.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = {}
    for line in lines[1:]:
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        rows[int(cells[0])] = cells
    return header, rows


def filters_truth(capture: Path, decrypted: bool = False) -> dict[str, list[int]]:
    suffix = ".decrypted.filters.json" if decrypted else ".filters.json"
    return json.loads(Path(str(capture) + suffix).read_text())
