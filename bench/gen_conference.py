"""Generate a synthetic conference collection as YAML record files.

    python bench/gen_conference.py 20000 bench/data/c20000 [--per-file 200]

Each file is one proceedings volume of `--per-file` papers with three authors, affiliations,
abstracts in two languages, keywords, pages and ten references (half with DOIs), so the
Crossref writer has realistic work to do.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml


def paper(i: int) -> dict[str, object]:
    return {
        "id": f"p{i:06d}",
        "language": "en",
        "title": f"Synthetic paper number {i} on metadata quality and deposit throughput",
        "translated_titles": [{"lang": "kk", "title": f"Синтетикалық мақала {i}"}],
        "contributors": [
            {
                "surname": f"Author{i % 97}",
                "given_names": "Aigerim",
                "affiliations": ["u1"],
                "orcid": "https://orcid.org/0000-0002-1825-0097",
            },
            {"surname": "Seitkali", "given_names": "Daulet", "affiliations": ["u2"]},
            {"surname": "Smith", "given_names": "John", "affiliations": ["u1", "u2"]},
        ],
        "affiliations": [
            {
                "id": "u1",
                "institution": "Example University",
                "city": "Astana",
                "country": "Kazakhstan",
                "country_code": "KZ",
            },
            {
                "id": "u2",
                "institution": "Another Institute",
                "department": "Informatics",
                "city": "Almaty",
                "country_code": "KZ",
            },
        ],
        "abstracts": [
            {"lang": "en", "text": "A synthetic abstract. " * 12},
            {"lang": "kk", "text": "Синтетикалық аңдатпа. " * 8},
        ],
        "number": f"{i:06d}",
        "pages": f"{i * 5 % 900 + 1}-{i * 5 % 900 + 5}",
        "references": [
            {
                "text": f"Reference {k} of paper {i}. Journal of Examples. 2020;{k}:1-10.",
                **({"doi": f"10.5555/ref.{i}.{k}"} if k % 2 == 0 else {}),
            }
            for k in range(1, 11)
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("count", type=int)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--per-file", type=int, default=200)
    args = ap.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    for start in range(0, args.count, args.per_file):
        volume = start // args.per_file + 1
        data = {
            "container": {
                "type": "proceedings",
                "title": f"Proceedings of the Synthetic Conference, volume {volume}",
                "isbn": "978-601-262-587-5",
                "published": 2025,
                "event": {
                    "name": "Synthetic Conference on Metadata",
                    "location": "Astana",
                    "start": "2025-04-07",
                },
            },
            "articles": [
                paper(i) for i in range(start + 1, min(start + args.per_file, args.count) + 1)
            ],
        }
        path = args.outdir / f"volume-{volume:04d}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


if __name__ == "__main__":
    main()
