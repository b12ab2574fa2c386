"""Compile the translation catalogues (src/mentorfold/locale/*/LC_MESSAGES/django.po → django.mo).

Pure Python (polib), so `make run` works on a machine without GNU gettext; `make test` also checks every
catalogue with `msgfmt -c`. A .mo is rebuilt only when its .po is newer. Compiled files are not committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[1] / "src" / "mentorfold" / "locale"


def main() -> int:
    built = 0
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        built += 1
    print(f"translation catalogues: {built} compiled, {len(list(LOCALE.glob('*/LC_MESSAGES/*.po')))} in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
