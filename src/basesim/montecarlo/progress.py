"""A progress callback that draws itself where it runs: a widget in Jupyter, a text bar elsewhere.

``basesim.run(..., progress=ProgressBar())`` and ``basesim.sweep(...,
progress=ProgressBar("sweep"))`` take it as their ``progress(done, total)``
callback. In a Jupyter kernel with ipywidgets installed the bar is a widget
(``tqdm.notebook``); without ipywidgets, and in a terminal or a script, it is
tqdm's text bar on stderr (which Jupyter shows in place too). Nothing warns
either way. The bar closes itself when ``done`` reaches ``total``.

The library itself never prints: without a ``progress`` argument nothing is drawn.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import IO, Any

__all__ = ["ProgressBar", "in_notebook"]


def in_notebook() -> bool:
    """True inside a Jupyter (IPython kernel) session."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    get_ipython = getattr(shell, "get_ipython", None)
    ip = get_ipython() if get_ipython is not None else None
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class ProgressBar:
    """``progress(done, total)`` callback drawing a bar (see the module docstring).

    - ``description``: text in front of the bar;
    - ``file``: where the text bar goes (default stderr); giving one forces the text bar;
    - ``unit``: what is counted (``runs`` for :func:`basesim.run`, ``points`` for a sweep).
    """

    def __init__(self, description: str = "", *, file: IO[str] | None = None, unit: str = "runs") -> None:
        self.description = description
        self.file = file
        self.unit = unit
        self._bar: Any = None
        self.done = 0
        self.total: int | None = None

    def _widget(self) -> bool:
        return self.file is None and in_notebook() and importlib.util.find_spec("ipywidgets") is not None

    def _open(self, total: int) -> Any:
        if self._widget():
            from tqdm.notebook import tqdm
        else:
            from tqdm.std import tqdm
        return tqdm(total=total, desc=self.description or None, unit=f" {self.unit}", unit_scale=False,
                    file=None if self._widget() else (self.file or sys.stderr), leave=True, dynamic_ncols=True)

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = self._open(total)
        if self._bar.total != total:
            self._bar.total = total
        self._bar.update(max(0, done - self.done))
        self.done, self.total = done, total
        if done >= total:
            self.close()

    def close(self) -> None:
        """Close the bar (done automatically when the count reaches the total)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        total = "?" if self.total is None else f"{self.total:,}"
        return f"ProgressBar({self.description!r}, {self.done:,}/{total} {self.unit})"
