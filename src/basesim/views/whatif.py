"""A what-if of a scenario: its uncertain inputs as controls, the changes as ``--set`` overrides, a derived file.

The live page (:mod:`basesim.views.live`) shows every uncertain input of a
scenario (each distribution, :func:`basesim.scenario.sampling.uncertain_parameters`,
and each event's chance) as an :class:`Input`: its words
(:func:`basesim.analysis.labels.input_label`), its source
(:meth:`Scenario.source_of`), its value as plain data (a number or
``{dist: ..., ...}``) and the limits of its slider. Moving a slider changes the
value by :func:`with_span` (a distribution's range, its shape kept) or
:func:`with_alpha` (one weight of a Dirichlet); typing in its box reads the text
exactly as ``--set PATH=TEXT`` would (:func:`parse_value`), so a bad value gets
the command line's message.

What differs from the scenario is a set of overrides (:func:`changed`), checked
by :func:`basesim.scenario.loader.with_overrides` as the command line checks
``--set``; :func:`whatif_text` writes them as a scenario file that ``extends``
the original, with the page's runs, seed and protocol, so that
``basesim run FILE`` gives the page's numbers. This module has no web code: it
is what the page does, testable without a browser.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from basesim._version import __version__
from basesim.analysis.labels import input_label
from basesim.errors import BasesimError, OutputError, Problem, ScenarioError
from basesim.scenario.loader import with_overrides
from basesim.scenario.messages import allowed_bounds
from basesim.scenario.overrides import OVERRIDE, parse_override
from basesim.scenario.sampling import uncertain_parameters
from basesim.scenario.schema import Scenario

__all__ = ["Input", "MARKER", "changed", "check", "cli_message", "default_file", "parse_value", "scenario_inputs", "slider_limits",
           "span", "value_text", "whatif_text", "with_alpha", "with_span", "write_whatif"]

#: The first line of every file :func:`write_whatif` writes (and the only kind of file it replaces).
MARKER = "# A what-if written by basesim app"

_UNBOUNDED = (-math.inf, math.inf, True, True)


@dataclass(frozen=True)
class Input:
    """One uncertain input of a scenario, as the page shows it.

    ``path`` is where it lives (what ``--set`` takes); ``value`` its value in
    the scenario as plain data (a number, or a distribution's mapping without
    its ``source``); ``allowed`` the parameter's range ``(low, high, low_open,
    high_open)``; ``whole`` whether it takes whole numbers only.
    """

    path: str
    label: str
    source: str | None
    value: Any
    allowed: tuple[float, float, bool, bool]
    whole: bool = False


def _allowed(path: str, data: dict[str, Any]) -> tuple[float, float, bool, bool]:
    """The range the schema allows at ``path`` of scenario ``data`` (an event's ``set``/``add`` value: its
    target's, to which it is clipped); an infinite end counts as open."""
    parts = path.split(".")
    if parts[0] == "events" and len(parts) > 3 and parts[2] in ("set", "add"):
        return _allowed(".".join(parts[3:]), data)
    low, high, low_open, high_open = allowed_bounds(path, data) or _UNBOUNDED
    return low, high, low_open or math.isinf(low), high_open or math.isinf(high)


def _plain(value: Any) -> Any:
    """A value as plain data without its ``source`` (what an override writes)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "source"}
    return value


def scenario_inputs(scenario: Scenario) -> list[Input]:
    """The scenario's uncertain inputs: every distribution (in the sampler's order), then each event's chance."""
    found: list[Input] = []
    data = scenario.to_data()
    for path, dist in uncertain_parameters(scenario).items():
        value = _plain(dist)
        whole = value.get("dist") == "integers" or path.endswith(".round")
        found.append(Input(path, input_label(scenario, path, short=True), scenario.source_of(path), value,
                           _allowed(path, data), whole))
    for name, event in scenario.events.items():
        path = f"events.{name}.probability"
        if not isinstance(event.probability, (int, float)):
            continue  # already a distribution above
        found.append(Input(path, input_label(scenario, path, short=True), scenario.source_of(path), float(event.probability),
                           _allowed(path, data)))
    return found


def cli_message(error: BasesimError) -> str:
    """The lines the command line prints for ``error`` (``error: ...``, one per problem)."""
    lines = [str(p) for p in error.problems] if isinstance(error, ScenarioError) else [str(error)]
    return "\n".join(f"error: {line}" for line in lines)


# --- values and their ranges -------------------------------------------------------------------


def span(value: Any) -> tuple[float, float] | None:
    """The range a slider shows for a value: a number's ``(x, x)``, a distribution's support; None for a
    Dirichlet or a choice (not one range)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value), float(value)
    if not isinstance(value, dict):
        return None
    kind = value.get("dist")
    if kind in ("uniform", "triangular", "integers"):
        return float(value["low"]), float(value["high"])
    if kind == "beta":
        return float(value.get("low", 0.0)), float(value.get("high", 1.0))
    if kind == "normal":
        mean, sd = float(value["mean"]), float(value["sd"])
        return max(float(value.get("low", -math.inf)), mean - 2 * sd), min(float(value.get("high", math.inf)), mean + 2 * sd)
    return None


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _round(x: float, step: float) -> float:
    return round(round(x / step) * step, _decimals(step))


def _grid(values: list[float], width: float, *, whole: bool) -> float:
    """The slider's step: a power of ten that every end in ``values`` is a multiple of (so a slider never
    moves a value when it is first shown), fine enough for about 20 steps over ``width``."""
    if whole:
        return 1.0
    step = 10.0 ** math.floor(math.log10(width / 20)) if width > 0 else 0.01
    step = min(step, 1.0)
    while step > 1e-6 and any(abs(v / step - round(v / step)) > 1e-6 for v in values if math.isfinite(v)):
        step /= 10
    return round(step, 10)


def slider_limits(item: Input, value: Any = None) -> tuple[float, float, float] | None:
    """``(min, max, step)`` of the slider of ``item`` showing ``value`` (default its scenario value).

    A distribution's slider spans the scenario's range and as much again on
    each side, within the parameter's allowed range (an open end moved in by a
    step), so that both thumbs can move either way; a fixed number's spans the
    whole allowed range when it is finite. The step is a power of ten that the
    ends are multiples of (1 for whole numbers). None for a value with no single
    range (a Dirichlet, a choice).
    """
    ranges = [r for r in (span(item.value), span(value) if value is not None else None) if r is not None]
    if not ranges:
        return None
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    lo_allowed, hi_allowed, lo_open, hi_open = item.allowed
    width = span(item.value)
    width = (width[1] - width[0]) if width is not None else 0.0
    if width <= 0 and math.isfinite(lo_allowed) and math.isfinite(hi_allowed):
        minimum, maximum = lo_allowed, hi_allowed
    else:
        if width <= 0:
            width = max(abs(high), abs(low), 0.1) * 0.5
        minimum, maximum = max(lo_allowed, low - width), min(hi_allowed, high + width)
    step = _grid([low, high], maximum - minimum, whole=item.whole)
    minimum, maximum = math.floor(minimum / step + 1e-9) * step, math.ceil(maximum / step - 1e-9) * step
    if lo_open and minimum <= lo_allowed:
        minimum = lo_allowed + step
    if hi_open and maximum >= hi_allowed:
        maximum = hi_allowed - step
    return _round(minimum, step), _round(maximum, step), step


def with_span(value: Any, low: float, high: float, *, step: float) -> Any:
    """``value`` moved to the range ``[low, high]`` (rounded to ``step``), its shape kept.

    A distribution's parameters are mapped by the affine map that takes its old
    range to the new one (a triangular's mode keeps its place between the ends,
    a normal's mean and sd scale with it); a number becomes ``uniform(low,
    high)``, or stays a number when ``low == high``.
    """
    low, high = _round(float(low), step), _round(float(high), step)
    if high < low:
        low, high = high, low
    old = span(value)
    if not isinstance(value, dict) or old is None or old[1] <= old[0]:
        if low == high:
            return low
        if isinstance(value, dict) and value.get("dist") == "integers":
            return {"dist": "integers", "low": int(low), "high": int(high)}
        return {"dist": "uniform", "low": low, "high": high}
    scale = (high - low) / (old[1] - old[0])

    def moved(x: float) -> float:
        return _round(low + (float(x) - old[0]) * scale, step / 10) if math.isfinite(x) else x

    new = dict(value)
    kind = value["dist"]
    if kind == "integers":
        new.update(low=int(round(low)), high=int(round(high)))
    elif kind in ("uniform", "triangular", "beta"):
        new.update(low=low, high=high)
        if kind == "triangular":
            new["mode"] = min(high, max(low, moved(value["mode"])))
    elif kind == "normal":
        new["mean"] = moved(value["mean"])
        new["sd"] = _round(float(value["sd"]) * scale, step / 10) or step / 10
        for end in ("low", "high"):
            if end in value:
                new[end] = moved(value[end])
    return new


def with_alpha(value: dict[str, Any], issue: str, alpha: float, *, step: float = 0.5) -> dict[str, Any]:
    """A Dirichlet salience with issue ``issue``'s concentration set to ``alpha`` (its mean weight is
    ``alpha / sum(alphas)``)."""
    alphas = dict(value["alpha"])
    alphas[issue] = _round(float(alpha), step)
    return {**value, "alpha": alphas}


def value_text(value: Any) -> str:
    """A value as one line of YAML, as it would follow ``--set PATH=``: ``{dist: uniform, low: 0.05, high: 0.3}``."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def parse_value(path: str, text: str) -> Any:
    """The value of ``text`` typed in the box of ``path``, read as ``--set PATH=TEXT`` is (raises
    :class:`~basesim.errors.ScenarioError` with the command line's message)."""
    _, value = parse_override(f"{path}={text}")
    if value is None:
        raise ScenarioError([Problem(path, "give a value (a number or a distribution)", OVERRIDE)])
    return _plain(value)


# --- the what-if as overrides and as a file -----------------------------------------------------


def changed(inputs: list[Input], values: dict[str, Any], *, protocol: str | None = None,
            scenario: Scenario | None = None) -> dict[str, Any]:
    """The overrides of a what-if: every input whose value differs from the scenario's, then the protocol
    (when it is not the scenario's)."""
    overrides = {item.path: values[item.path] for item in inputs
                 if item.path in values and values[item.path] != item.value}
    if protocol is not None and (scenario is None or protocol != scenario.protocol.name):
        overrides["protocol.name"] = protocol
    return overrides


def check(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The what-if scenario, validated as ``--set`` is (raises :class:`~basesim.errors.ScenarioError`)."""
    return with_overrides(scenario, overrides)


def _nested(overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"actors.turkey.leverage.syria": v}`` -> ``{"actors": {"turkey": {"leverage": {"syria": v}}}}``; an
    event's targets (``events.E.add.actors.syria.outside_option``) stay one dotted key."""
    tree: dict[str, Any] = {}
    for path, value in overrides.items():
        parts = path.split(".")
        if parts[0] == "events" and len(parts) > 3 and parts[2] in ("set", "add"):
            parts = parts[:3] + [".".join(parts[3:])]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def whatif_text(original: Path, target: Path, overrides: dict[str, Any], *, scenario: Scenario, runs: int,
                seed: int, protocol: str) -> str:
    """The text of a scenario file at ``target`` that ``extends`` ``original`` with ``overrides``.

    It also fixes the protocol, the number of runs and the seed, so that
    ``basesim run target`` plays exactly the worlds the page played.
    """
    base = os.path.relpath(Path(original).resolve(), Path(target).resolve().parent)
    data: dict[str, Any] = {"extends": Path(base).as_posix()}
    data["title"] = f"{scenario.title or scenario.name} (what-if)"
    tree = _nested({k: v for k, v in overrides.items() if k != "protocol.name"})
    data.update(tree)
    data.setdefault("protocol", {})["name"] = protocol
    data["monte_carlo"] = {"runs": int(runs), "seed": int(seed)}
    lines = "\n".join(f"#   {path} = {value_text(value)}" for path, value in overrides.items()) or "#   (nothing)"
    header = (f"{MARKER} {__version__} on {dt.datetime.now():%Y-%m-%d %H:%M}, from {Path(original).name}.\n"
              f"# Changed from the original:\n{lines}\n"
              f"# basesim run {Path(target).as_posix()} gives the page's numbers ({runs:,} runs, seed {seed}).\n")
    body = yaml.safe_dump(data, default_flow_style=None, sort_keys=False, width=100, allow_unicode=True)
    return header + body


def default_file(original: Path) -> Path:
    """Where a what-if of ``original`` is written by default: ``NAME-whatif.yaml`` beside it."""
    original = Path(original)
    return original.with_name(f"{original.stem}-whatif.yaml")


def write_whatif(target: str | Path, text: str) -> Path:
    """Write ``text`` to ``target`` atomically (a temporary sibling renamed into place).

    Refused (:class:`~basesim.errors.OutputError`): a name not ending in
    ``.yaml`` or ``.yml``, a folder that does not exist, and an existing file
    that this page did not write (its first line is not :data:`MARKER`).
    """
    target = Path(str(target).strip()).expanduser()
    if not str(target) or target.suffix not in (".yaml", ".yml"):
        raise OutputError(f"what-if file: {str(target)!r} must end in .yaml or .yml")
    if not target.parent.is_dir():
        raise OutputError(f"what-if file: the folder {target.parent.as_posix()!r} does not exist")
    if target.is_dir():
        raise OutputError(f"what-if file: {target.as_posix()!r} is a folder; give a file name ending in .yaml")
    if target.exists():
        try:
            first = target.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
        except OSError as exc:
            raise OutputError(f"what-if file: cannot read {target.as_posix()!r}: {exc.strerror}") from None
        if not first or not first[0].startswith(MARKER):
            raise OutputError(f"what-if file: {target.as_posix()!r} exists and was not written by basesim app; "
                              "give a new file name")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except OSError as exc:
        raise OutputError(f"what-if file: cannot write {target.as_posix()!r}: {exc.strerror}") from None
    return target
