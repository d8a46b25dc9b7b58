"""Summarize worst errors per case family from a K2J_ERROR_LOG file.

    K2J_ERROR_LOG=/tmp/errors.tsv python -m pytest tests/ ; python scripts/error_report.py /tmp/errors.tsv
"""
import sys
from collections import defaultdict


def main(path: str) -> None:
    fam = defaultdict(float)
    count = defaultdict(int)
    for line in open(path, encoding="utf-8"):
        case, err = line.rstrip("\n").split("\t")
        key = case.split("/")[0]
        fam[key] = max(fam[key], float(err))
        count[key] += 1
    print("| family | cases | worst error |\n|---|---|---|")
    for key in sorted(fam):
        print(f"| {key} | {count[key]} | {fam[key]:.2e} |")


if __name__ == "__main__":
    main(sys.argv[1])
