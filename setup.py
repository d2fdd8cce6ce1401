"""The build hook: every package build (`pip install .`, a wheel) ships compiled translations.

The project's metadata lives in pyproject.toml; this file only teaches ``build_py`` to compile
``network/translations/*/LC_MESSAGES/messages.po`` into ``.mo`` files inside the built package,
so an install speaks Swedish without `make translations`. The ``.mo`` files stay out of git.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = Path("network") / "translations"


def compile_catalogs(source_root: Path, target_root: Path) -> list[Path]:
    """Compile each ``messages.po`` under ``source_root`` into the same place under ``target_root``.

    Fuzzy entries are left out, as `pybabel compile` does. Returns the written ``.mo`` files.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted((source_root / CATALOGS).glob("*/LC_MESSAGES/messages.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        mo_path = target_root / po_path.relative_to(source_root).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


class BuildWithCatalogs(build_py):
    """build_py, then the compiled catalogs next to the copied ``.po`` files."""

    def run(self) -> None:
        super().run()
        if not self.dry_run:
            compile_catalogs(Path(__file__).resolve().parent, Path(self.build_lib))


if __name__ == "__main__":  # also true when setuptools' build backend runs this file
    setup(cmdclass={"build_py": BuildWithCatalogs})
