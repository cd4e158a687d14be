"""Time and peak memory of `jatsgen crossref` on one CSV sheet of 10,000 and 100,000 rows.

    python bench/csv_scale.py                 # both sizes; writes its table to stdout
    python bench/csv_scale.py 10000 50000     # other sizes

A sheet is read as a stream (issue 16): rows are checked, built, planned and serialized one at
a time, so the peak resident set size should not grow with the number of rows. Each row is a
paper of one proceedings volume (Kazakh, Russian or English title with an English translation,
two authors, one with an ORCID, an abstract, keywords, two references). The sheet is written
into bench/data/ once; the real CLI runs in a child process and a wrapper reads its peak RSS
(getrusage(RUSAGE_CHILDREN)), then every DOI in the batches is counted once.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from crossref_scale import measure_crossref  # bench/ is on the path when run as a script
from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = (10_000, 100_000)
_COLUMNS = [
    "id",
    "language",
    "title",
    "title_en",
    "author1_surname",
    "author1_given_names",
    "author1_orcid",
    "author1_affiliation",
    "author1_country_code",
    "author2_surname",
    "author2_given_names",
    "abstract",
    "keywords",
    "section",
    "number",
    "pages",
    "references",
    "container_type",
    "container_title",
    "isbn",
    "publisher",
    "container_published",
    "event_name",
    "event_location",
    "event_start",
]
_TITLES = {
    "kk": "Жастардың цифрлық сауаттылығы: {n}-зерттеу",
    "ru": "Молодёжные инициативы в регионе: исследование {n}",
    "en": "Water quality monitoring with low-cost sensors, study {n}",
}


def write_sheet(n: int, path: Path, start: int = 1) -> None:
    """A sheet of n papers, all in one volume, numbered start..start+n-1 with 4-page ranges
    (with the bundled config, DOIs 10.5555/ysc.2025.NUMBER; the service's tests and load
    bench use it too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(_COLUMNS)
        for i in range(start, start + n):
            lang = ("kk", "ru", "en")[i % 3]
            first = 4 * i - 3
            out.writerow(
                [
                    f"p{i}",
                    lang,
                    _TITLES[lang].format(n=i),
                    f"Study number {i}" if lang != "en" else "",
                    f"Writer{i}",
                    "Aigerim",
                    "https://orcid.org/0000-0002-1825-0097" if i % 2 else "",
                    "Atyrau University",
                    "KZ",
                    f"Coauthor{i}",
                    "Dias",
                    f"We report study {i}; the method and the results are described.",
                    "sensors; water quality; youth",
                    "Section I",
                    str(i),
                    f"{first}-{first + 3}",
                    "Akhmetov N. Digital education. Almaty, 2021.\n"
                    "Smith J. Digital skills // Computers & Education. 2020. "
                    "https://doi.org/10.1016/j.compedu.2019.103778",
                    "proceedings",
                    "Youth and Science: conference proceedings",
                    "978-601-262-587-5",
                    "Atyrau University",
                    "2025",
                    "Youth and Science conference",
                    "Atyrau",
                    "2025-04-07",
                ]
            )
    tmp.replace(path)


def run_size(n: int) -> dict[str, float]:
    sheet = HERE / "data" / f"sheet{n}.csv"
    if not sheet.exists():
        write_sheet(n, sheet)
    config = ROOT / "examples" / "jatsgen.toml"
    elapsed, peak_kb, batches = measure_crossref([str(sheet)], config, f"csv-{n}")
    files = sorted(batches.glob("*.xml"))
    dois: set[str] = set()
    for f in files:
        for _, el in etree.iterparse(str(f), tag="{*}doi"):
            if el.getparent().getparent().tag.endswith("conference_paper"):
                dois.add(el.text or "")
            el.clear()
    assert len(dois) == n, (len(dois), n)
    return {
        "rows": n,
        "seconds": elapsed,
        "rows_per_s": n / elapsed,
        "peak_mb": peak_kb / 1024,
        "batches": len(files),
        "sheet_mb": sheet.stat().st_size / 1e6,
    }


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or list(SIZES)
    rows = [run_size(n) for n in sizes]
    print("| rows | sheet (MB) | batches | seconds | rows/s | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['rows']:,} | {r['sheet_mb']:.1f} | {r['batches']} | {r['seconds']:.1f} | "
            f"{r['rows_per_s']:.0f} | {r['peak_mb']:.0f} |"
        )
    if len(rows) > 1:
        ratio = rows[-1]["peak_mb"] / rows[0]["peak_mb"]
        big, small = rows[-1]["rows"], rows[0]["rows"]
        print(f"\npeak memory {big:,} / {small:,} = {ratio:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main(sys.argv[1:])
