"""The live what-if page (Solara): move an input, see the forecast change.

``basesim app SCENARIO`` serves this page (:mod:`basesim.views.live_server`);
``solara run basesim.views.live`` does too, with the scenario in the
environment variable ``BASESIM_APP_SCENARIO``. Mesa's own visualisation is
built on Solara; the page follows Mesa's split of a model and its ``app.py``.

- Left, the scenario's uncertain inputs (:func:`basesim.views.whatif.scenario_inputs`):
  each a range slider over its distribution (or a slider of a fixed chance, or
  one slider per issue of a Dirichlet's weights), labelled in words, with its
  source on hover and a box that takes what ``--set PATH=`` takes; and the
  protocol as a choice.
- Right, from a fresh Monte Carlo run after every change (the same runs and
  seed as the scenario as written: common random numbers), the results and
  named outcomes with their 95% intervals and their change from the scenario,
  the three states over calendar time, the outcome distributions; one
  negotiation (one world replayed by the Mesa model) stepped round by round;
  and a button that writes the what-if as a scenario file that ``extends`` the
  original.

Bad input (a value out of range typed in a box) gets the command line's
message on the page and changes nothing; no input can stop the server. A run
that is superseded by a newer change stops between batches
(:mod:`basesim.views.live_compute`).
"""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
import solara.lab

from basesim.errors import BasesimError, ScenarioError, UsageError
from basesim.montecarlo.results import RunResult
from basesim.montecarlo.runner import check_runs, resolve_seed
from basesim.scenario.loader import load_scenario
from basesim.scenario.schema import PROTOCOLS, Scenario
from basesim.views import plot_data as pdata
from basesim.views import whatif
from basesim.views.whatif import cli_message
from basesim.views.live_compute import (
    COMPUTE_LOCK,
    FIGURES,
    FigurePool,
    Superseded,
    Update,
    negotiation_png,
    numbers,
    play,
    render_figures,
)

__all__ = ["ENVIRONMENT", "Base", "Page", "Settings", "cli_message", "input_class", "prepare",
           "settings_from_environment", "start_pool", "stop_pool"]

logger = logging.getLogger("basesim.app")

#: The environment variables the page reads its settings from (set by ``basesim app``).
ENVIRONMENT = {"scenario": "BASESIM_APP_SCENARIO", "runs": "BASESIM_APP_RUNS", "seed": "BASESIM_APP_SEED"}
#: Runs per update unless ``--runs`` (or the scenario's own ``monte_carlo.runs``, if fewer).
DEFAULT_RUNS = 10_000


@dataclass(frozen=True)
class Settings:
    """What the page shows: the scenario file, runs per update, and the seed (None: the scenario's)."""

    scenario: Path
    runs: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Base:
    """The scenario as written and its run, computed once per server: what every what-if is compared with."""

    settings: Settings
    scenario: Scenario
    inputs: list[whatif.Input]
    runs: int
    seed: int
    reference: RunResult
    replicate: int


def settings_from_environment() -> Settings:
    """The page's settings from :data:`ENVIRONMENT` (a :class:`~basesim.errors.UsageError` names a bad one)."""
    path = os.environ.get(ENVIRONMENT["scenario"])
    if not path:
        raise UsageError(f"basesim app: no scenario; give one (basesim app scenarios/baseline.yaml) or set "
                         f"{ENVIRONMENT['scenario']}")

    def whole(name: str) -> int | None:
        text = os.environ.get(ENVIRONMENT[name], "").strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"{ENVIRONMENT[name]}: must be a whole number, got {text!r}") from None

    return Settings(Path(path), whole("runs"), whole("seed"))


#: The processes that draw the figures (:func:`start_pool`); None: figures are drawn in the page's threads.
POOL: FigurePool | None = None


def start_pool(workers: int = 2) -> FigurePool:
    """Fork the figure-drawing processes (call before the web server starts its threads)."""
    global POOL
    if POOL is None:
        POOL = FigurePool(workers)
    return POOL


def stop_pool() -> None:
    global POOL
    if POOL is not None:
        POOL.close()
        POOL = None


_BASES: dict[Settings, Base] = {}
_BASES_LOCK = threading.Lock()


def prepare(settings: Settings) -> Base:
    """Load the scenario and run it as written (once per settings; later calls return the same :class:`Base`)."""
    with _BASES_LOCK:
        if settings in _BASES:
            return _BASES[settings]
        scenario = load_scenario(settings.scenario)
        runs = settings.runs if settings.runs is not None else min(scenario.monte_carlo.runs, DEFAULT_RUNS)
        runs = check_runs(runs, option="--runs")
        seed, _ = resolve_seed(scenario, settings.seed)
        with COMPUTE_LOCK:
            reference = play(scenario, runs=runs, seed=seed)
        base = Base(settings, scenario, whatif.scenario_inputs(scenario), runs, seed, reference,
                    pdata.typical_replicate(reference))
        _BASES[settings] = base
        return base


# --- the computation, in the background --------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One update asked for: its number, the what-if's overrides and protocol, and when the change was made."""

    number: int
    overrides: dict[str, Any]
    protocol: str
    started: float


@solara.lab.task(prefer_threaded=True)
def update_task(base: Base, request: Request):
    """Play the what-if and yield an :class:`Update` as its numbers, then each figure, are ready.

    Runs in a thread of its own; a newer call makes this one stale
    (``update_task.is_current()`` false), and it stops at its next batch or
    figure without showing anything.
    """
    def stale() -> bool:
        return not update_task.is_current()

    try:
        with COMPUTE_LOCK:
            if stale():
                return
            began = time.perf_counter()
            scenario = whatif.check(base.scenario, request.overrides)
            result = play(scenario, runs=base.runs, seed=base.seed, should_stop=stale)
            ran = time.perf_counter()
            rows = numbers(result, base.reference)
            update = Update(request.number, request.overrides, request.protocol, result, rows,
                            seconds={"start": began - request.started, "run": ran - request.started,
                                     "numbers": time.perf_counter() - request.started})
            yield update
            for name, png, _ in render_figures(result, should_stop=stale, pool=POOL):
                seconds = {**update.seconds, name: time.perf_counter() - request.started}
                update = dataclasses.replace(update, figures={**update.figures, name: png}, seconds=seconds)
                if update.complete:
                    update.seconds["total"] = time.perf_counter() - request.started
                yield update
    except Superseded:
        return


_NEGOTIATIONS: dict[tuple[int, int, int], pdata.Negotiation] = {}


def _negotiation(update: Update, replicate: int) -> pdata.Negotiation:
    key = (id(update.result), update.number, replicate)
    if key not in _NEGOTIATIONS:
        if len(_NEGOTIATIONS) > 16:
            _NEGOTIATIONS.clear()
        _NEGOTIATIONS[key] = pdata.one_negotiation(update.result, replicate=replicate)
    return _NEGOTIATIONS[key]


# --- pieces of the page --------------------------------------------------------------------------


def input_class(path: str) -> str:
    """The CSS class of an input's controls on the page: ``bs-input-actors-turkey-leverage-syria``."""
    return "bs-input-" + "".join(c if c.isalnum() else "-" for c in path)


def _percent(x: float) -> str:
    return "-" if x is None or x != x else f"{100 * x:.1f}%"


def _points(x: float) -> str:
    return "-" if x is None or x != x else f"{100 * x:+.1f}"


def numbers_html(update: Update, base: Base) -> str:
    """The table of results and named outcomes (estimate, 95% interval, count, change from the scenario)."""
    header = ("<tr><th></th><th>estimate</th><th>95% interval</th><th>count</th>"
              "<th title='percentage points, paired 95% interval (the same worlds as the scenario as written)'>"
              "change from the scenario, points</th></tr>")
    body = []
    for kind, title in (("result", "Where the talks stand at the end of the forecast"), ("outcome", "Named outcomes")):
        rows = update.rows[update.rows["kind"] == kind]
        if rows.empty:
            continue
        body.append(f"<tr class='section'><td colspan='5'>{html.escape(title)}</td></tr>")
        for row in rows.itertuples():
            change = (f"{_points(row.change)} <span class='muted'>({_points(row.change_low)} to "
                      f"{_points(row.change_high)})</span>")
            body.append(
                f"<tr data-name='{html.escape(kind)}.{html.escape(row.name)}'>"
                f"<td class='label'>{html.escape(str(row.label))}</td>"
                f"<td class='estimate'>{_percent(row.estimate)}</td>"
                f"<td class='interval'>{_percent(row.low)} \u2013 {_percent(row.high)}</td>"
                f"<td class='count'>{int(row.count):,}</td><td class='change'>{change}</td></tr>")
    return f"<table class='bs-numbers' id='numbers'>{header}{''.join(body)}</table>"


def status_html(update: Update | None, base: Base, *, pending: bool) -> str:
    """The line above the numbers: which update, runs, seed, protocol, how long it took."""
    if update is None:
        return "<div id='status' data-update='0' data-complete='false'>Computing the first run\u2026</div>"
    took = update.seconds
    parts = [f"started {took['start']:.2f} s", f"run {took['run']:.2f} s", f"numbers {took['numbers']:.2f} s"]
    if "total" in took:
        parts.append(f"figures {took['total']:.2f} s")
    parts[-1] += " after the change"
    changes = len([k for k in update.overrides if k != "protocol.name"])
    what = "the scenario as written" if not update.overrides else \
        f"{changes} input{'s' if changes != 1 else ''} changed" + (
            f", protocol {update.protocol}" if "protocol.name" in update.overrides else "")
    return (f"<div id='status' data-update='{update.number}' data-complete='{str(update.complete).lower()}' "
            f"data-pending='{str(pending).lower()}'>"
            f"<b>Update {update.number}</b>: {what} \u00b7 {base.runs:,} runs, seed {base.seed}, protocol "
            f"{html.escape(update.protocol)} (the same worlds for every update) \u00b7 {', '.join(parts)}"
            f"{RECOMPUTING if pending else ''}</div>")


def command_html(base: Base, overrides: dict[str, Any]) -> str:
    """The command line that gives the same numbers as the page."""
    import shlex

    words = ["basesim", "run", base.settings.scenario.as_posix(), "--runs", str(base.runs), "--seed", str(base.seed)]
    for path, value in overrides.items():
        words += ["--set", f"{path}={whatif.value_text(value)}"]
    return f"<code id='command'>{html.escape(shlex.join(words))}</code>"


def round_html(trace: Any, scenario: Scenario, upto: int) -> str:
    """One round of a trace as a small table: the offer, its worth to each principal against its target."""
    if not len(trace):
        return ""
    row = trace.iloc[min(int(upto), len(trace) - 1)]
    offer = " \u00b7 ".join(str(row[i]) for i in scenario.issue_names if i in trace and row[i] == row[i])
    cells = [f"<tr><th>date</th><td>{row['date']:%d %b %Y}</td></tr>" if "date" in trace else "",
             f"<tr><th>offer</th><td>{html.escape(str(row.get('proposer', '')))}: {html.escape(offer)}</td></tr>"]
    for p in scenario.principals:
        worth, target = row.get(f"utility_{p}"), row.get(f"target_{p}")
        if worth is not None and worth == worth:
            shown = f"{worth:.2f}" + (f" (target {target:.2f})" if target is not None and target == target else "")
            cells.append(f"<tr><th>worth to {html.escape(scenario.display(p))}</th><td>{shown}</td></tr>")
    events = str(row.get("events", "") or "")
    if events.strip():
        cells.append(f"<tr><th>events</th><td>{html.escape(events)}</td></tr>")
    cells.append(f"<tr><th>then</th><td id='round-status'>{html.escape(str(row.get('status', '')))}</td></tr>")
    return f"<table class='bs-round'>{''.join(cells)}</table>"


RECOMPUTING = " \u00b7 <i>recomputing\u2026</i>"

CSS = """
.bs-numbers { border-collapse: collapse; font-size: 14px; margin: 4px 0 8px 0; }
.bs-numbers td, .bs-numbers th { padding: 2px 10px; text-align: right; }
.bs-numbers td.label { text-align: left; }
.bs-numbers tr.section td { text-align: left; font-weight: bold; padding-top: 8px; }
.bs-numbers .muted, .bs-muted { color: #6c757d; font-size: 12px; }
.bs-round th { text-align: left; padding-right: 12px; font-weight: normal; color: #6c757d; }
.bs-input { border-bottom: 1px solid #eee; padding: 4px 0 2px 0; }
.bs-input-label { font-size: 13px; font-weight: 500; cursor: help; }
.bs-error { color: #c1121f; white-space: pre-wrap; font-family: monospace; font-size: 13px; }
#command { font-size: 12px; white-space: pre-wrap; word-break: break-all; }
"""


@solara.component
def EntryBox(label: str, value: str, on_value: Any, *, error: bool = False, classes: list[str] | None = None,
             style: dict[str, str] | None = None):
    """A text box that hands over its text on Enter or when it loses focus.

    Vuetify's ``change`` event carries the text itself, so what arrives is what
    was typed. ``solara.InputText(continuous_update=False)`` instead reads the
    widget's synced ``v_model`` when the key event arrives, and that can still
    be the text from before the last keystrokes: a value typed and entered at
    once was then sometimes lost.
    """
    shown = solara.use_reactive(value)  # what is typed (kept when refused), until ``value`` itself changes

    def typed(text: Any) -> None:  # follow the keystrokes, so that a redraw of the page never resets the box
        shown.value = str(text if text is not None else "")

    field = solara.v.TextField(v_model=shown.value, on_v_model=typed, label=label, dense=True, hide_details=True,
                               error=error, class_=" ".join(classes or []),
                               style_=";".join(f"{k}: {v}" for k, v in (style or {}).items()))
    latest = solara.use_ref(on_value)
    latest.current = on_value

    def listen():
        widget = solara.get_widget(field)

        def changed(_widget: Any, _event: str, text: Any) -> None:
            shown.value = str(text if text is not None else "")
            latest.current(shown.value)

        widget.on_event("change", changed)
        return lambda: widget.on_event("change", changed, remove=True)

    solara.use_effect(listen, [])
    return field


@solara.component
def InputControl(item: whatif.Input, value: Any, on_value: Any, error: str | None):
    """One input: its words (source on hover), its slider(s) and its ``--set`` box."""
    text = whatif.value_text(value)
    tip = f"{item.path}\nsource: {item.source}" if item.source else f"{item.path}\n(no source given)"
    with solara.Column(classes=["bs-input", input_class(item.path)], gap="0px"):
        with solara.Tooltip(tip):
            solara.Text(item.label, classes=["bs-input-label"])
        limits = whatif.slider_limits(item, value)
        if isinstance(value, dict) and value.get("dist") == "dirichlet":
            total = sum(value["alpha"].values())
            high = max(20.0, 2 * max(value["alpha"].values()))
            for issue, alpha in value["alpha"].items():
                solara.SliderFloat(f"{issue} ({100 * alpha / total:.0f}%)", value=float(alpha), min=0.5, max=high,
                                   step=0.5, on_value=lambda a, issue=issue: on_value(whatif.with_alpha(value, issue, a)))
        elif limits is not None and isinstance(value, (int, float)):
            low, high, step = limits
            solara.SliderFloat("", value=float(value), min=low, max=high, step=step,
                               on_value=lambda x: on_value(whatif.with_span(value, x, x, step=step)))
        elif limits is not None:
            low, high, step = limits
            current = whatif.span(value)
            solara.SliderRangeFloat("", value=(max(low, current[0]), min(high, current[1])), min=low, max=high,
                                    step=step, on_value=lambda r: on_value(whatif.with_span(value, r[0], r[1], step=step)))
        EntryBox("--set " + item.path + "=", text, lambda t: on_value(("text", t)), error=bool(error))
        if error:
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(error), classes=["bs-error", "bs-input-error"])


@solara.component
def NegotiationPanel(update: Update, base: Base):
    """One world's negotiation, replayed by the Mesa model and stepped round by round."""
    replicate, set_replicate = solara.use_state(base.replicate)
    upto, set_upto = solara.use_state(0)
    problem, set_problem = solara.use_state("")

    def load():
        return _negotiation(update, replicate)

    negotiation_task = solara.lab.use_task(load, dependencies=[update.number, replicate], raise_error=False)
    negotiation = negotiation_task.value if negotiation_task.finished else None
    rounds = len(negotiation.trace) if negotiation is not None else 1
    shown = min(upto, rounds - 1)

    def draw():
        if negotiation is None:
            return None
        if POOL is not None:
            return POOL.submit(negotiation_png, negotiation, scenario=update.result.scenario, upto=shown).result()
        return negotiation_png(negotiation, scenario=update.result.scenario, upto=shown)

    picture = solara.lab.use_task(draw, dependencies=[id(negotiation), shown], raise_error=False)

    def pick(text: str) -> None:
        try:
            number = int(str(text).strip())
            if not 0 <= number < base.runs:
                raise ValueError
        except ValueError:
            set_problem(f"error: replicate: must be a whole number from 0 to {base.runs - 1:,}, got {text!r}")
            return
        set_problem("")
        set_replicate(number)
        set_upto(0)

    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<h3>One negotiation, round by round</h3><p>One world of the {base.runs:,} (run {replicate}; by default a "
        "typical deal of the scenario as written), replayed by the Mesa model under the what-if: the same random "
        "numbers, so you see how this one world's talks change.</p>"))
    with solara.Row(classes=["bs-negotiation-controls"]):
        solara.Button("\u25c0 previous round", on_click=lambda: set_upto(max(0, shown - 1)), disabled=shown == 0,
                      classes=["bs-previous"])
        solara.Button("next round \u25b6", on_click=lambda: set_upto(min(rounds - 1, shown + 1)),
                      disabled=shown >= rounds - 1, classes=["bs-next"])
        solara.Button("last round", on_click=lambda: set_upto(rounds - 1), disabled=shown >= rounds - 1)
        EntryBox("run (replicate)", str(replicate), pick, style={"max-width": "140px"})
    if rounds > 1:
        solara.SliderInt("round", value=shown, min=0, max=rounds - 1, on_value=set_upto)
    if problem:
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(problem), classes=["bs-error"])
    if negotiation is not None:
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<div id='round' data-round='{shown}' data-rounds='{rounds}' data-update='{update.number}' "
            f"data-drawn='{str(picture.finished and picture.value is not None).lower()}'>Round {shown} of {rounds - 1}</div>"
            + round_html(negotiation.trace, update.result.scenario, shown)))
    if picture.value is not None:
        solara.Image(picture.value, width="100%", classes=["bs-figure-negotiation"])


@solara.component
def SavePanel(base: Base, overrides: dict[str, Any], protocol: str):
    """The button that writes the what-if as a scenario file extending the original."""
    target, set_target = solara.use_state(whatif.default_file(base.settings.scenario).as_posix())
    message, set_message = solara.use_state(("", False))

    def save() -> None:
        try:
            path = Path(target)
            text = whatif.whatif_text(base.settings.scenario, path, overrides, scenario=base.scenario,
                                      runs=base.runs, seed=base.seed, protocol=protocol)
            written = whatif.write_whatif(path, text)
            set_message((f"Wrote {written.as_posix()}: basesim run {written.as_posix()} gives these numbers "
                         f"({base.runs:,} runs, seed {base.seed}).", False))
        except BasesimError as error:
            set_message((cli_message(error), True))

    solara.HTML(tag="div", unsafe_innerHTML=(
        "<h3>Keep this what-if</h3><p>Writes a scenario file that <code>extends</code> the original with these "
        "changes, the protocol, the runs and the seed: run, report or share it from the command line.</p>"))
    with solara.Row():
        # the name arrives with the box's change event, which leaving the box for the button sends first
        EntryBox("scenario file to write", target, set_target, classes=["bs-save-file"], style={"min-width": "420px"})
        solara.Button("Write scenario file", on_click=save, color="primary", classes=["bs-save"])
    solara.HTML(tag="div", unsafe_innerHTML=f"writes <code class='bs-save-target'>{html.escape(target)}</code>",
                classes=["bs-muted"])
    if message[0]:
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(message[0]),
                    classes=["bs-error" if message[1] else "bs-saved"], style={"white-space": "pre-wrap"})


@solara.component
def Page():
    """The whole page."""
    try:
        base = prepare(settings_from_environment())
    except BasesimError as error:
        solara.Error(cli_message(error))
        return
    values, set_values = solara.use_state({item.path: item.value for item in base.inputs})
    protocol, set_protocol = solara.use_state(base.scenario.protocol.name)
    errors, set_errors = solara.use_state({})
    counter = solara.use_ref(0)
    started = solara.use_ref(time.perf_counter())
    overrides = whatif.changed(base.inputs, values, protocol=protocol, scenario=base.scenario)
    key = whatif.value_text(overrides)

    def launch() -> None:
        counter.current += 1
        update_task(base, Request(counter.current, overrides, protocol, started.current))

    solara.use_effect(launch, [key])

    def apply(path: str, proposed: Any) -> None:
        """A new value for one input: checked as --set checks it; the command line's message if refused."""
        started.current = time.perf_counter()
        try:
            if isinstance(proposed, tuple) and proposed[:1] == ("text",):
                proposed = whatif.parse_value(path, proposed[1])
            candidate = {**values, path: proposed}
            whatif.check(base.scenario, whatif.changed(base.inputs, candidate, protocol=protocol,
                                                       scenario=base.scenario))
        except BasesimError as error:
            set_errors({**errors, path: cli_message(error)})
            return
        except Exception as error:  # noqa: BLE001 - a bug: logged with its traceback, the page and server go on
            logger.exception("basesim app: input %s", path)
            set_errors({**errors, path: f"error: internal error ({type(error).__name__}: {error}); see the server log"})
            return
        set_errors({k: v for k, v in errors.items() if k != path})
        set_values(candidate)

    def reset() -> None:
        started.current = time.perf_counter()
        set_values({item.path: item.value for item in base.inputs})
        set_protocol(base.scenario.protocol.name)
        set_errors({})

    def choose_protocol(name: str) -> None:
        started.current = time.perf_counter()
        set_protocol(name)

    solara.Title(f"basesim: {base.scenario.title or base.scenario.name}")
    solara.Style(CSS)
    with solara.Sidebar():
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<b>{html.escape(base.settings.scenario.as_posix())}</b>: its uncertain inputs. Hover over a name for "
            "its source; a box takes what <code>--set</code> takes (Enter to apply)."))
        solara.Select("Protocol", values=list(PROTOCOLS), value=protocol, on_value=choose_protocol,
                      classes=["bs-protocol"])
        solara.Button("Back to the scenario as written", on_click=reset, text=True, classes=["bs-reset"])
        for item in base.inputs:
            InputControl(item, values[item.path], lambda v, path=item.path: apply(path, v), errors.get(item.path))

    Results(base, errors, overrides, protocol, counter)


@solara.component
def Results(base: Base, errors: dict[str, str], overrides: dict[str, Any], protocol: str, asked: Any):
    """The right side: what the latest update computed (only this part redraws as the figures arrive);
    ``asked`` holds the number of the latest update asked for."""
    update: Update | None = update_task.latest
    settled = solara.use_ref(None)  # the latest update whose figures are all drawn
    # recomputing: a newer update than the one shown was asked for, or the one shown is still drawing
    pending = bool(update_task.pending) and (update is None or update.number < asked.current or not update.complete)
    failure = update_task.exception if update_task.error else None
    solara.HTML(tag="h2", unsafe_innerHTML=f"{html.escape(base.scenario.title or base.scenario.name)}: what if?")
    if errors:
        solara.HTML(tag="div", unsafe_innerHTML=html.escape("\n".join(errors.values())),
                    classes=["bs-error", "bs-errors"], style={"white-space": "pre-wrap"})
    if failure is not None:
        text = cli_message(failure) if isinstance(failure, BasesimError) else \
            f"error: internal error ({type(failure).__name__}: {failure}); see the server log"
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["bs-error"])
    solara.ProgressLinear(pending)
    solara.HTML(tag="div", unsafe_innerHTML=status_html(update, base, pending=pending))
    if update is None:
        return
    solara.HTML(tag="div", unsafe_innerHTML=numbers_html(update, base))
    solara.HTML(tag="div", unsafe_innerHTML="The same numbers from the command line: "
                + command_html(base, update.overrides), classes=["bs-muted"])
    SavePanel(base, overrides, protocol)
    with solara.Columns([1, 1]):
        for name in ("timing", "results"):
            _figure(update, name)
    for name in ("outcomes", "levels"):
        _figure(update, name)
    # the negotiation replays once the update's figures are drawn: its Mesa replay and drawing would
    # otherwise compete for the cores with the run and figures of the change just made
    if update.complete:
        settled.current = update
    NegotiationPanel(settled.current or update, base)
    solara.HTML(tag="div", unsafe_innerHTML=(
        "basesim's live page, built on <a href='https://solara.dev'>Solara</a> (as Mesa's visualisation is)."),
        classes=["bs-muted"])


def _figure(update: Update, name: str) -> None:
    png = update.figures.get(name)
    if png is not None:
        solara.Image(png, width="100%", classes=[f"bs-figure-{name}"])
    else:
        solara.Text(f"drawing {FIGURES[name][1].lower()}\u2026", classes=["bs-muted"])
