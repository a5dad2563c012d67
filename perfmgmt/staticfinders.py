"""Serve plotly.min.js from the installed plotly package: no CDN, no copy in the repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
PREFIX = "vendor"
NAME = "plotly.min.js"


class PlotlyStorage(FileSystemStorage):
    prefix = PREFIX  # collectstatic copies the file to STATIC_ROOT/<prefix>/


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = PlotlyStorage(location=str(PLOTLY_DIR))

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return []

    # Not found is [] even for one file, as in Django's own finders: `finders.find()` would turn
    # a None into a match. The stubs say `str | None`, hence the ignore.
    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False, **kwargs: Any
    ) -> str | list[str]:
        if path == f"{PREFIX}/{NAME}":
            found = str(PLOTLY_DIR / NAME)
            return [found] if (find_all or kwargs.get("all")) else found
        return []

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield NAME, self.storage
