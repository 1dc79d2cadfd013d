"""Peak memory and time of parsing and chunking very large files, one fresh process per case.

    python benchmarks/reliability_memory.py            # 200 MB refusal/parse, 20 MB chunking
    python benchmarks/reliability_memory.py --full     # also chunk the 200 MB file

Each case runs in its own interpreter (peak RSS = `ru_maxrss` of that process, imports
included) on generated filing-like text: paged text (form feeds), Markdown with one huge
paragraph (the shape that used to cost 10.6 GB for 20 MB) and Markdown with many paragraphs.
Prints one table row per case. The machine may be shared: times are indicative.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PARA = (
    "Operating lease expense was $212 million in fiscal 2024, up from $198 million, as we "
    "opened 14 new distribution sites in Denver and Tromso; see Note 12 for the maturities. "
)

CASE = r"""
import json, resource, sys, time
from ragkit.parsers import load_document
from ragkit.chunkers import get_chunker
path, max_bytes, chunker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
row = {"error": None, "chunks": None}
try:
    doc = load_document(path, max_bytes=max_bytes)
    t1 = time.perf_counter()
    row["parse_s"] = round(t1 - t0, 1)
    if chunker != "none":
        row["chunks"] = len(get_chunker(chunker).chunk(doc))
        row["chunk_s"] = round(time.perf_counter() - t1, 1)
except Exception as exc:  # the row reports it
    row["error"] = type(exc).__name__
row["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
row["imports_mb"] = round(base / 1024)
print(json.dumps(row))
"""


def write_case(folder: Path, shape: str, mb: int) -> Path:
    """A generated file of about `mb` megabytes in one of three shapes."""
    n = mb * 1_000_000 // len(PARA)
    if shape == "paged":
        path = folder / f"paged-{mb}mb.txt"
        page = "ITEM 7. MANAGEMENT'S DISCUSSION\n\n" + (PARA + "\n") * 20 + "\f"
        with open(path, "w", encoding="utf-8") as fh:
            for _ in range(n // 20):
                fh.write(page)
    elif shape == "md-one-paragraph":
        path = folder / f"one-{mb}mb.md"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("# Annual report\n\n")
            for _ in range(n):
                fh.write(PARA)
    else:
        path = folder / f"paras-{mb}mb.md"
        with open(path, "w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write((f"## Section {i}\n\n" if i % 50 == 0 else "") + PARA + "\n\n")
    return path


def run_case(path: Path, max_bytes: int, chunker: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", CASE, str(path), str(max_bytes), chunker],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-200:]}"}
    row: dict[str, object] = json.loads(lines[-1])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also chunk the 200 MB file")
    args = parser.parse_args()
    cases = [
        ("paged", 200, 100 * 2**20, "none"),  # the default limit: refused before reading
        ("paged", 200, 300 * 2**20, "none"),
        ("md-one-paragraph", 20, 100 * 2**20, "hierarchical"),
        ("md-one-paragraph", 20, 100 * 2**20, "naive"),
        ("md-paragraphs", 20, 100 * 2**20, "hierarchical"),
    ]
    if args.full:
        cases.append(("paged", 200, 300 * 2**20, "hierarchical"))
    print("| file | size | limit | chunker | parse s | chunk s | chunks | peak RSS MB | error |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        made: dict[tuple[str, int], Path] = {}
        for shape, mb, limit, chunker in cases:
            path = made.get((shape, mb)) or write_case(Path(tmp), shape, mb)
            made[(shape, mb)] = path
            row = run_case(path, limit, chunker)
            size = path.stat().st_size / 1e6
            print(
                f"| {shape} | {size:.0f} MB | {limit // 2**20} MiB | {chunker} | "
                f"{row.get('parse_s', '-')} | {row.get('chunk_s', '-')} | "
                f"{row.get('chunks') or '-'} | {row.get('peak_mb', '-')} | "
                f"{row.get('error') or ''} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
