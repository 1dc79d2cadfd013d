"""Benchmark: what `pip install torch==X` downloads on Linux x86-64 from plain PyPI (the CUDA
build and its NVIDIA wheels) against the CPU-only wheel, read without installing anything.

pip resolves the requirement with `--dry-run --report` (wheels' metadata read by HTTP range
requests, `--use-feature=fast-deps`), then each wheel's size comes from the index's JSON API.
The CPU wheel is measured on https://download.pytorch.org/whl/cpu when it answers, else from
a local copy (`--cpu-wheel`). Prints one row per wheel and the two totals.

    .venv/bin/python benchmarks/install_size.py [--torch 2.13.0] [--cpu-wheel PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

PYPI = "https://pypi.org/simple"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_GPU_PREFIXES = ("nvidia", "cuda", "triton")


def resolve(requirement: str, index: str) -> list[tuple[str, str, str]]:
    """(name, version, wheel file name) of everything pip would install for `requirement`."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--quiet"]
        cmd += ["--ignore-installed", "--use-feature=fast-deps", "--report", str(report)]
        subprocess.run([*cmd, "--index-url", index, requirement], check=True)
        rows = json.loads(report.read_text())["install"]
    return [
        (
            r["metadata"]["name"],
            r["metadata"]["version"],
            r["download_info"]["url"].rsplit("/", 1)[-1],
        )
        for r in rows
    ]


def wheel_size(name: str, filename: str, index: str = PYPI) -> int:
    """The size in bytes of one file of a project, from the index's JSON simple API."""
    req = urllib.request.Request(
        f"{index}/{name.lower().replace('_', '-')}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        files: list[dict[str, Any]] = json.load(resp)["files"]
    return next(int(f["size"]) for f in files if f["filename"] == filename)


def cpu_wheel(version: str, local: Path | None) -> tuple[str, int]:
    """(where, bytes) of the CPU-only torch wheel for CPython 3.11 on Linux x86-64."""
    name = f"torch-{version}+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    try:
        return CPU_INDEX, wheel_size("torch", name, CPU_INDEX)
    except Exception as exc:  # the CPU index is often unreachable from locked-down networks
        if local is None or not local.is_file():
            raise SystemExit(f"{CPU_INDEX} unreachable ({exc}) and no --cpu-wheel given") from exc
        return f"local copy {local.name} ({CPU_INDEX} unreachable)", local.stat().st_size


def main() -> None:
    """Print the per-wheel table and both totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch", default="2.13.0")
    parser.add_argument("--cpu-wheel", type=Path, default=None)
    args = parser.parse_args()
    rows = resolve(f"torch=={args.torch}", PYPI)
    sizes = [(n, v, wheel_size(n, f)) for n, v, f in rows]
    print("| wheel (plain PyPI) | version | MB |\n| --- | --- | --- |")
    for n, v, size in sorted(sizes, key=lambda r: -r[2]):
        print(f"| {n} | {v} | {size / 1e6:,.1f} |")
    total = sum(s for *_, s in sizes)
    gpu = sum(s for n, _, s in sizes if n.lower().startswith(_GPU_PREFIXES))
    torch_pypi = next(s for n, _, s in sizes if n.lower() == "torch")
    where, cpu = cpu_wheel(args.torch, args.cpu_wheel)
    rest = total - gpu - torch_pypi
    print(
        f"\nplain PyPI: {len(sizes)} wheels, {total / 1e9:.2f} GB "
        f"(torch {torch_pypi / 1e6:,.0f} MB, NVIDIA/CUDA/Triton {gpu / 1e9:.2f} GB)"
    )
    print(
        f"CPU wheel index: torch+cpu {cpu / 1e6:,.0f} MB ({where}) + {rest / 1e6:,.1f} MB of "
        f"pure-Python deps = {(cpu + rest) / 1e9:.2f} GB"
    )


if __name__ == "__main__":
    main()
