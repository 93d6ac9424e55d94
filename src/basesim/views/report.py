"""One self-contained HTML page for every kind of result: a run, protocols or scenarios compared, a sweep,
a sensitivity analysis.

Every page opens with the headline numbers and the scenario in words, shows
its figures embedded as base64 PNG (so it opens in a browser with no network
and no files beside it), its tables, and the provenance: versions, seeds and
the scenario's hash, with no local path or user name unless
``full_provenance=True`` (the command line is kept with paths shortened to
file names). No external CSS, scripts or fonts.

- a run (:func:`report_html`): the standard figures, what moves each
  outcome (a tornado chart), the most likely deals, when each outcome
  happens (scenario discovery with PRIM), the summary tables;
- several runs (:func:`comparison_html`): the same questions side by side
  (for one scenario under each protocol, the model-uncertainty section), the
  differences from the first with paired intervals, the timing overlaid;
- a sweep (:func:`sweep_html`): the response curves (a line per statistic
  for one parameter, a heatmap for two) and the table of points;
- a sensitivity analysis (:func:`sensitivity_html`): what drives each
  outcome (Sobol' indices or the ranking, and the tornado chart).

:func:`write_folder_report` reads any result folder
(:mod:`basesim.analysis.folders`) and writes its page.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from basesim.analysis.labels import input_label
from basesim.errors import OutputError
from basesim.montecarlo.summary import Summary
from basesim.scenario.distributions import (
    Beta,
    Choice,
    Dirichlet,
    Integers,
    Normal,
    Triangular,
    Uniform,
    _Dist,
)
from basesim.scenario.loader import dump_scenario
from basesim.scenario.schema import Issue, Scenario
from basesim.views import plot_data as pdata
from basesim.views import plots

__all__ = ["FIGURE_CAPTIONS", "comparison_html", "public_provenance", "report_html", "scenario_in_words",
           "sensitivity_html", "summary_tables", "sweep_html", "write_folder_report", "write_report"]

#: What each figure of the report says, under it.
FIGURE_CAPTIONS: dict[str, str] = {
    "results": "Where the talks stand at the end of the forecast: agreed, broken off, or still talking under the "
               "status quo. Bars: the share of runs; whiskers: 95% Wilson intervals (the Monte Carlo error, not "
               "the uncertainty of the scenario, which the runs already sample).",
    "outcomes": "The questions the scenario names, each the share of runs in which it holds.",
    "levels": "Each issue: the level in force at the end over all runs (grey; without a deal, the status quo "
              "or what follows a breakdown) and among the runs that reach a deal (green).",
    "amounts": "Money: the chance that the amount is at least each value, over all runs and given a deal.",
    "timing": "The three states over calendar time: the chance that the talks are still going on (the status "
              "quo holds), have ended in a deal, or have broken off, as of each date, with 95% bands.",
    "utilities": "What each actor gets: the distribution over runs of its utility of the result "
                 "(1 = its ideal outcome). Principals without a deal get their reservation utility.",
    "tornado": "What moves each outcome: the runs split by each uncertain input, its lowest fifth (light) against "
               "its highest fifth (dark); a bar is how far the chance in that group lies from the chance over all "
               "runs, in percentage points, with its 95% interval. Inputs with the longest bars are the ones whose "
               "value it matters most to know; the side says the direction. No run is made for this.",
    "packages": "Left: the agreed packages (one level of every issue) seen most often, each with its chance over "
                "all runs and a 95% interval. Right: the deals grouped by the levels of two issues, where no single "
                "package dominates; each cell is the share of deals, with the half-width of its 95% interval.",
    "discovery": "Scenario discovery (PRIM): a box of input ranges inside which the outcome is much more common "
                 "than overall. Coverage: the share of the runs where it holds that fall in the box; density: the "
                 "share of the runs in the box where it holds. Grey: the input's range over all runs; blue: the box.",
    "negotiation": "One typical negotiation replayed round by round. Left: every outcome in the two principals' "
                   "utilities, with the Pareto frontier, the Nash bargaining point, the reservation utilities "
                   "and each side's offers joined in order. Right: each side's target falling towards its "
                   "reservation utility, and what each offer was worth to each side.",
}


# --- the scenario in words ----------------------------------------------------------------


def _num(x: float) -> str:
    return f"{x:.3g}"


def describe_param(value: Any, *, percent: bool = False) -> str:
    """A fixed number or a distribution in plain words: ``'between 0.9 and 0.98 (uniform)'``."""
    fmt = (lambda x: f"{100 * x:.3g}%") if percent else _num
    if isinstance(value, Uniform):
        return f"between {fmt(value.low)} and {fmt(value.high)} (uniform)"
    if isinstance(value, Triangular):
        return f"between {fmt(value.low)} and {fmt(value.high)}, most likely {fmt(value.mode)}"
    if isinstance(value, Normal):
        bounds = ""
        if np.isfinite(value.low) or np.isfinite(value.high):
            bounds = f", kept within [{fmt(value.low)}, {fmt(value.high)}]"
        return f"about {fmt(value.mean_)} \u00b1 {fmt(value.sd)} (normal{bounds})"
    if isinstance(value, Beta):
        return f"beta({_num(value.a)}, {_num(value.b)}) on [{fmt(value.low)}, {fmt(value.high)}], mean {fmt(value.mean())}"
    if isinstance(value, Integers):
        return f"a whole number from {value.low} to {value.high}"
    if isinstance(value, Choice):
        weights = value.probabilities()
        if np.allclose(weights, weights[0]):
            return "one of " + ", ".join(fmt(v) for v in value.values)
        return "one of " + ", ".join(f"{fmt(v)} ({w:.0%})" for v, w in zip(value.values, weights))
    if isinstance(value, _Dist):
        return f"uncertain (mean {fmt(value.mean())})"
    return fmt(float(value))


def _level_words(issue: Issue, value: Any) -> str:
    """An ideal point or a level reference in the issue's own words."""
    if isinstance(value, str):
        return value
    if isinstance(value, _Dist):
        labels = issue.labels
        return f"{describe_param(value)} on its scale (0 = {labels[0]}, 1 = {labels[-1]})"
    index = issue.level_index(float(value))
    if index is not None:
        return issue.labels[index]
    values = issue.values
    above = int(np.searchsorted(values, float(value)))
    return f"{_num(float(value))} on its scale (between {issue.labels[above - 1]} and {issue.labels[above]})"


def _weights(scenario: Scenario, salience: Any) -> str:
    if isinstance(salience, Dirichlet):
        alpha = np.asarray(list(salience.alpha.values()), float)
        shares = dict(zip(salience.alpha, alpha / alpha.sum()))
        prefix = "uncertain (Dirichlet); on average "
    else:
        if any(isinstance(v, _Dist) for v in salience.values()):
            means = {k: (v.mean() if isinstance(v, _Dist) else float(v)) for k, v in salience.items()}
            prefix = "uncertain; on average "
        else:
            means = {k: float(v) for k, v in salience.items()}
            prefix = ""
        total = sum(means.values()) or 1.0
        shares = {k: v / total for k, v in means.items()}
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    return prefix + ", ".join(f"{scenario.display(k)} {v:.0%}" for k, v in ranked)


def _outcome_words(scenario: Scenario, name: str) -> str:
    outcome = scenario.outcomes[name]
    parts = []
    if outcome.issue is not None:
        issue = scenario.issues[outcome.issue]
        shown = scenario.display(outcome.issue)
        if outcome.at_least is not None:
            parts.append(f"{shown} is at least {_level_words(issue, outcome.at_least)}")
        if outcome.at_most is not None:
            parts.append(f"{shown} is at most {_level_words(issue, outcome.at_most)}")
        if outcome.equals is not None:
            parts.append(f"{shown} is {_level_words(issue, outcome.equals)}")
    if outcome.result is not None:
        parts.append({"talking": "the talks are still going on (the status quo holds)",
                      "breakdown": "the talks have broken down"}.get(outcome.result,
                                                                     f"the talks end in {outcome.result}"))
    if outcome.by is not None:
        parts.append(f"by {outcome.by:%d %B %Y}")
    as_of = getattr(outcome, "as_of", None)
    text = " and ".join(parts)
    if as_of is not None:
        text += f", as of {as_of:%d %B %Y}"
    return text


_FIELD_WORDS = {
    "ideal_point": "ideal point", "salience": "weight", "leverage": "leverage", "power": "bargaining power",
    "outside_option": "outside option", "concession": "concession exponent", "patience": "patience",
    "belief_noise": "belief noise",
}


def _path_words(scenario: Scenario, path: str) -> str:
    """``actors.turkey.leverage.syria`` -> ``Turkey's leverage over Syria`` (:func:`basesim.analysis.labels.input_label`)."""
    if path == "protocol.breakdown_risk":
        return "the breakdown risk"
    return input_label(scenario, path)


def _when(scenario: Scenario, round_: Any) -> str:
    """An event's round as calendar dates: ``'in a month from May 2025 to Nov 2025'``."""
    dates = pdata.round_dates(scenario)

    def date(r: float) -> str:
        r = int(min(max(r, 0), len(dates) - 1))
        return f"{dates[r]:%b %Y}"

    if isinstance(round_, Integers):
        return f"in one round from {date(round_.low)} to {date(round_.high)} (round {round_.low} to {round_.high})"
    if isinstance(round_, _Dist):
        low, high = round_.support()
        return f"at a round {describe_param(round_)} ({date(low)} to {date(high)})"
    return f"in {date(float(round_))} (round {int(round_)})"


def _in_month(scenario: Scenario, month: Any) -> str:
    """An event's time in months after the start, with its calendar date."""
    start = pd.Timestamp(scenario.protocol.start_date)

    def date(m: float) -> str:
        return f"{start + pd.DateOffset(months=int(m)):%b %Y}"

    if isinstance(month, Uniform):
        return (f"between {_num(month.low)} and {_num(month.high)} months after the start, any time equally likely "
                f"({date(month.low)} to {date(month.high)})")
    if isinstance(month, _Dist):
        low, high = month.support()
        return f"{describe_param(month)} months after the start ({date(low)} to {date(high)})"
    return f"in {date(float(month))} ({_num(float(month))} months after the start)"


def scenario_in_words(scenario: Scenario) -> dict[str, list[str]]:
    """The scenario as plain sentences, by section (issues, no deal, actors, protocol, events, outcomes)."""
    words: dict[str, list[str]] = {}
    words["What is negotiated"] = [
        f"{scenario.display(name)}: " + " \u00b7 ".join(issue.labels) + "."
        for name, issue in scenario.issues.items()
    ]
    for heading, levels in (("While the talks go on (status quo)", getattr(scenario, "status_quo", None)),
                            ("Without a deal", scenario.no_deal)):
        if isinstance(levels, Mapping) and levels:
            words[heading] = ["; ".join(f"{scenario.display(name)}: {_level_words(scenario.issues[name], ref)}"
                                        for name, ref in levels.items()) + "."]
    if getattr(scenario, "breakdown", None) is not None and hasattr(scenario, "breakdown_alternatives"):
        lines = []
        for name, alternative in scenario.breakdown_alternatives.items():
            changed = {i: ref for i, ref in alternative.levels.items()
                       if (scenario.status_quo or {}).get(i) != ref}
            levels = "; ".join(f"{scenario.display(i)}: {_level_words(scenario.issues[i], ref)}"
                               for i, ref in changed.items()) or "the status quo stays"
            lines.append(f"{alternative.label or name} (chance {describe_param(alternative.probability, percent=True)}"
                         f" as a weight): {levels}.")
        words["If the talks break down"] = lines
    actors = []
    for name, actor in scenario.actors.items():
        who = scenario.display(name)
        wants = "; ".join(f"{scenario.display(i)}: {_level_words(scenario.issues[i], v)}"
                          for i, v in actor.ideal_point.items())
        if actor.is_principal:
            lines = [f"{who} sits at the table. It wants {wants}.",
                     f"How much each issue matters to it: {_weights(scenario, actor.salience)}.",
                     f"Outside option (added to the value of no deal): {describe_param(actor.outside_option)}; "
                     f"concession exponent (below 1 tough, above 1 soft): {describe_param(actor.concession)}; "
                     f"patience per month: {describe_param(actor.patience)}; "
                     f"noise in its beliefs about the others: {describe_param(actor.belief_noise)}; "
                     f"bargaining power: {describe_param(actor.power)}."]
        else:
            pulls = "; ".join(f"{scenario.display(p)} with leverage {describe_param(v)}"
                              for p, v in actor.leverage.items()) or "no principal"
            lines = [f"{who} does not sit at the table but pulls on {pulls}. It wants {wants}.",
                     f"How much each issue matters to it: {_weights(scenario, actor.salience)}."]
        actors.append(" ".join(lines))
    words["Who is involved"] = actors
    protocol = scenario.protocol
    first = f"; {scenario.display(protocol.first_proposer)} proposes first" if protocol.first_proposer else ""
    risk = describe_param(protocol.breakdown_risk, percent=True)
    words["How the talks run"] = [
        f"Protocol: {protocol.name.replace('_', ' ')}, {protocol.rounds} rounds of {protocol.round_length} "
        f"from {protocol.start_date:%d %B %Y}{first}: the forecast's horizon, not a deadline. The talks may "
        f"break down for reasons outside them (chance per month: {risk})."]
    if scenario.events:
        events = []
        for name, event in scenario.events.items():
            changes = [f"sets {_path_words(scenario, path)} to {describe_param(v)}" for path, v in event.set.items()]
            changes += [f"adds {describe_param(v)} to {_path_words(scenario, path)}" for path, v in event.add.items()]
            when = _when(scenario, event.round) if event.round is not None else _in_month(scenario, event.month)
            events.append(f"{event.label or name}: {when}, with probability "
                          f"{describe_param(event.probability, percent=True)}; it {', '.join(changes)}.")
        words["What may happen on the way"] = events
    if scenario.outcomes:
        words["Questions asked of every run"] = [
            f"{outcome.label or name}: {_outcome_words(scenario, name)}." for name, outcome in scenario.outcomes.items()
        ]
    return words


# --- tables --------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "\u2013" if pd.isna(x) else f"{100 * x:.1f}%"


def _interval(low: float, high: float) -> str:
    return "\u2013" if pd.isna(low) else f"{_pct(low)} \u2013 {_pct(high)}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric_from: int = 1,
           caption: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f"<td class='num'>{html.escape(str(c))}</td>" if k >= numeric_from else f"<td>{html.escape(str(c))}</td>"
            for k, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _talking_levels(scenario: Scenario) -> tuple[Mapping[str, Any], str]:
    """The levels that hold without an agreement, and what to call them: the status quo (new scenarios) or
    the no-deal levels (older ones)."""
    if getattr(scenario, "status_quo", None):
        return scenario.status_quo, "status quo"
    return scenario.no_deal or {}, "no deal"


def summary_tables(result: Any) -> dict[str, str]:
    """The summary as HTML tables, by title: results, named outcomes, each issue, quantiles, utilities."""
    src = pdata.source(result)
    scenario = src.scenario
    tables: dict[str, str] = {}
    frame = pdata.result_probabilities(src)
    tables["Where the talks stand at the end of the forecast"] = _table(
        ["result", "chance", "95% interval", "count"],
        [[r.result, _pct(r.estimate), _interval(r.low, r.high), f"{r.count:,}"] for r in frame.itertuples()])
    if scenario.outcomes:
        frame = pdata.outcome_probabilities(src)
        tables["Named outcomes"] = _table(
            ["outcome", "chance", "95% interval", "count"],
            [[r.label, _pct(r.estimate), _interval(r.low, r.high), f"{r.count:,}"] for r in frame.itertuples()])
    for issue in scenario.issue_names:
        frame = pdata.level_probabilities(src, issue=issue)
        all_runs = frame[frame["given"] == pdata.GIVEN_ALL].reset_index(drop=True)
        deals = frame[frame["given"] == pdata.GIVEN_AGREEMENT].reset_index(drop=True)
        reference, mark = _talking_levels(scenario)
        no_deal = scenario.issues[issue].level_index(reference[issue]) if issue in reference else None
        rows = []
        for k in range(len(all_runs)):
            a, d = all_runs.iloc[k], deals.iloc[k]
            label = a["level"] + (f" ({mark})" if k == no_deal else "")
            rows.append([label, _pct(a["estimate"]), _interval(a["low"], a["high"]),
                         _pct(d["estimate"]), _interval(d["low"], d["high"])])
        tables[scenario.display(issue)] = _table(
            ["level", "all runs", "95% interval", f"given a deal ({int(deals['runs'].iloc[0]):,})", "95% interval"],
            rows)
    summary = Summary(scenario, src.counts)
    quantiles = summary.table[summary.table["kind"] == "quantile"]
    if not quantiles.empty:
        names = list(dict.fromkeys(quantiles["value"]))
        rows = []
        dates = pdata.round_dates(scenario)
        for name, part in quantiles.groupby("name", sort=False):
            label = part["label"].iloc[0].rsplit(", p", 1)[0]
            cells = ["\u2013" if pd.isna(v) else f"{v:g}" for v in part["estimate"]]
            if name == "agreement.round":
                cells = [c if pd.isna(v) else f"{c} ({dates[int(v)]:%b %Y})" for c, v in zip(cells, part["estimate"])]
            rows.append([label, *cells, f"{int(part['count'].iloc[0]):,}"])
        tables["Quantiles"] = _table(["", *[("median" if n == "p50" else n) for n in names], "over runs"], rows)
    if src.table is not None:
        frame = pdata.utility_quantiles(src)
        frame = frame[frame["given"] == pdata.GIVEN_ALL]
        tables["Utilities (all runs)"] = _table(
            ["actor", "mean", "p05", "p25", "median", "p75", "p95"],
            [[r.label, *(f"{getattr(r, c):.2f}" for c in ("mean", "q05", "q25", "q50", "q75", "q95"))]
             for r in frame.itertuples()])
    return tables


_RESULT_WORDS = {
    "breakdown": "they break down",
    "talking": "they are still going on at the end of the forecast (the status quo holds)",
    "impasse": "they reach the deadline without one",
}


def _headline(result: Any) -> list[str]:
    """A few sentences with the main numbers."""
    src = pdata.source(result)
    frame = pdata.result_probabilities(src).set_index("result")
    deal = frame.loc["agreement"]
    rest = [f"in {_pct(frame.loc[name, 'estimate'])} {_RESULT_WORDS.get(name, f'they end in {name}')}"
            for name in frame.index if name != "agreement"]
    lines = [f"In {_pct(deal['estimate'])} of {src.runs:,} runs (95% interval {_interval(deal['low'], deal['high'])}) "
             f"the talks end in a deal; " + " and ".join(rest) + "."]
    if src.scenario.outcomes:
        outcomes = pdata.outcome_probabilities(src)
        lines.append("; ".join(f"{r.label}: {_pct(r.estimate)}" for r in outcomes.itertuples()) + ".")
    for name, issue in src.scenario.issues.items():
        if issue.amounts is None:
            continue
        counts = src.counts.levels[name][pdata.AGREEMENT]
        if counts.sum() == 0:
            continue
        cumulative = np.cumsum(counts) / counts.sum()
        at = [float(issue.amounts[np.searchsorted(cumulative, q - 1e-12)]) for q in (0.25, 0.5, 0.75)]
        unit = f" {issue.unit}" if issue.unit else ""
        lines.append(f"Given a deal, the median {src.scenario.display(name)} is {at[1]:g}{unit} "
                     f"(half of the deals between {at[0]:g} and {at[2]:g}{unit}).")
    return lines


# --- the page --------------------------------------------------------------------------------

_DOT = " \u00b7 "
_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#212529;max-width:1180px;
margin:0 auto;padding:24px 32px 64px;line-height:1.5}
h1{font-size:1.7em;margin-bottom:.1em}h2{margin-top:2em;border-bottom:1px solid #dee2e6;padding-bottom:.2em}
h3{margin-bottom:.3em}.sub{color:#6c757d;margin-top:0}.headline{font-size:1.1em;background:#f1f3f5;
padding:12px 16px;border-left:4px solid #2f9e44}figure{margin:24px 0}img{max-width:100%;height:auto}
figcaption{color:#495057;font-size:.92em;max-width:900px}table{border-collapse:collapse;margin:8px 0 20px;
font-size:.92em}th,td{padding:4px 12px;border-bottom:1px solid #e9ecef;text-align:left}td.num{text-align:right;
font-variant-numeric:tabular-nums}th{background:#f8f9fa}caption{text-align:left;font-weight:bold}
nav a{margin-right:14px}pre{background:#f8f9fa;padding:12px;overflow-x:auto;font-size:.85em}
.words li{margin-bottom:.4em}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:8px 24px}
.grid figure{margin:8px 0}.note{color:#495057;font-size:.92em;max-width:900px}
"""


def _image(figure: Any, *, alt: str, dpi: int = 110) -> str:
    data = base64.b64encode(plots.figure_bytes(figure, format="png", dpi=dpi)).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def _figure_html(kind: str, figure: Any, *, caption: str | None = None, alt: str | None = None) -> str:
    caption = caption if caption is not None else FIGURE_CAPTIONS.get(kind, plots.FIGURE_KINDS.get(kind, kind))
    alt = alt if alt is not None else plots.FIGURE_KINDS.get(kind, kind)
    return (f"<figure id='figure-{html.escape(kind)}'>{_image(figure, alt=alt)}"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


# --- provenance without local paths -----------------------------------------------------------

#: Provenance keys that hold local paths or machine details; shown only with ``full_provenance``.
PRIVATE_KEYS = ("python_executable", "argv", "cache", "platform", "folder", "path", "cwd", "user", "host")
_ABSOLUTE = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/,;:]+)+[\\/]?")


def _user_words() -> list[str]:
    words = []
    for name in ("USER", "USERNAME", "LOGNAME"):
        value = os.environ.get(name)
        if value and len(value) > 2:
            words.append(value)
    try:
        home = str(Path.home())
        if len(home) > 1:
            words.append(home)
    except RuntimeError:
        pass
    return words


def _shorten(text: str) -> str:
    """Absolute paths cut to their last part, and the user's name and home removed."""
    out = _ABSOLUTE.sub(lambda m: Path(m.group(0).rstrip("/\\")).name or m.group(0), text)
    parts = []
    for token in shlex_split(out):
        parts.append(Path(token).name if ("/" in token or "\\" in token) and not token.startswith("--") else token)
    out = " ".join(parts) if parts else out
    for word in sorted(_user_words(), key=len, reverse=True):
        out = out.replace(word, "~")
    return out


def shlex_split(text: str) -> list[str]:
    import shlex

    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def public_provenance(provenance: Mapping[str, Any], *, full: bool = False) -> dict[str, Any]:
    """The provenance a page shows: everything with ``full``; by default without local paths or user names.

    Versions, seeds, the scenario's hash, runs, protocol and times are kept;
    :data:`PRIVATE_KEYS` (the Python executable, the raw argv, cache
    folders, the platform) are left out, and the command line keeps only the
    last part of each path.
    """
    shown: dict[str, Any] = {}
    for key, value in provenance.items():
        if key == "scenario":
            continue
        if not full and key in PRIVATE_KEYS:
            continue
        if not full and key == "command" and isinstance(value, str):
            value = _shorten(value)
        if not full and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k not in PRIVATE_KEYS}
        if not full and isinstance(value, str) and ("/" in value or "\\" in value) and key != "command":
            value = _shorten(value)
        shown[key] = value
    return shown


def _provenance_rows(provenance: Mapping[str, Any], *, full: bool = False) -> list[list[str]]:
    rows = []
    for key, value in public_provenance(provenance, full=full).items():
        if isinstance(value, Mapping):
            text = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            text = " ".join(map(str, value))
        else:
            text = str(value)
        rows.append([key, text])
    return rows


def _provenance_section(provenance: Mapping[str, Any], scenario: Scenario, *, full: bool) -> list[str]:
    note = ("Everything recorded, local paths included." if full else
            "Versions, seed and the scenario's hash, enough to repeat the run; local paths and user names are "
            "left out (basesim report --full-provenance shows them).")
    return ["<h2 id='provenance'>Provenance</h2>", f"<p class='note'>{html.escape(note)}</p>",
            _table(["", ""], _provenance_rows(provenance, full=full), numeric_from=9),
            "<details><summary>The scenario as run (resolved YAML)</summary>"
            f"<pre>{html.escape(dump_scenario(scenario))}</pre></details>"]


# --- page frame ------------------------------------------------------------------------------


def _page(title: str, facts: Sequence[str], nav: Sequence[tuple[str, str]], body: Sequence[str]) -> str:
    links = "".join(f"<a href='#{anchor}'>{html.escape(name)}</a>" for anchor, name in nav)
    return "\n".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)} \u2014 basesim report</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(_DOT.join(facts))}</p>",
        f"<nav>{links}</nav>",
        *body,
        f"<p class='sub'>Written by basesim on {dt.date.today():%d %B %Y}.</p></body></html>",
    ])


def _words_section(scenario: Scenario, *, heading: str = "The scenario in words", anchor: str = "scenario") -> list[str]:
    parts = [f"<h2 id='{anchor}'>{html.escape(heading)}</h2>"]
    if scenario.description:
        parts.append(f"<p>{html.escape(scenario.description.strip())}</p>")
    for title, sentences in scenario_in_words(scenario).items():
        items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
        parts.append(f"<h3>{html.escape(title)}</h3><ul class='words'>{items}</ul>")
    return parts


def _facts(runs: int, provenance: Mapping[str, Any], protocol: Any) -> list[str]:
    facts = [f"{runs:,} runs", f"protocol {str(protocol).replace('_', ' ')}"]
    if "seed" in provenance:
        facts.append(f"seed {provenance['seed']}")
    if "finished" in provenance:
        facts.append(f"run {provenance['finished']}")
    return facts


# --- a run -----------------------------------------------------------------------------------


def _outputs(scenario: Scenario) -> list[str]:
    return ["result.agreement", *[f"outcome.{name}" for name in scenario.outcomes]]


def _labels(scenario: Scenario, outputs: Sequence[str]) -> dict[str, str]:
    from basesim.analysis.sensitivity import output_label

    return {output: output_label(scenario, output) for output in outputs}


def _tornado_rows(table: pd.DataFrame, labels: Mapping[str, str], *, top: int = 3) -> list[list[str]]:
    rows = []
    for output, part in table.groupby("output", sort=False):
        for r in part.sort_values("rank").head(top).itertuples():
            rows.append([labels.get(output, output), r.label, f"{100 * r.low_estimate:.1f}%",
                         f"{100 * r.high_estimate:.1f}%", f"{100 * r.swing:+.1f}"])
    return rows


def _analysis_sections(result: Any, *, discoveries: Sequence[Any] | None) -> tuple[list[str], list[tuple[str, str]]]:
    """Tornado, deal packages and scenario discovery of a run with its table (nothing for a summary-only run)."""
    from basesim.analysis.packages import deal_packages
    from basesim.analysis.tornado import run_tornado
    from basesim.errors import UsageError
    from basesim.views.discovery_plots import plot_box_limits
    from basesim.views.packages import packages_figure
    from basesim.views.tornado import tornado_figure

    if getattr(result, "table", None) is None:
        note = ("This run kept only its summary (--summary-only): what moves each outcome, the deal packages "
                "and scenario discovery need the per-run table.")
        return [f"<p class='note'>{html.escape(note)}</p>"], []
    scenario = result.scenario
    outputs = _outputs(scenario)
    labels = _labels(scenario, outputs)
    parts: list[str] = []
    nav: list[tuple[str, str]] = []
    try:
        tornado = run_tornado(result, outputs=outputs)
    except UsageError:
        tornado = None
    if tornado is not None and not tornado.empty:
        nav.append(("drivers", "What moves each outcome"))
        parts.append("<h2 id='drivers'>What moves each outcome</h2>")
        parts.append(_figure_html("tornado", tornado_figure(tornado, labels=labels, top=6,
                                                            subtitle=pdata.scenario_title(scenario, result.runs)),
                                  alt="tornado chart"))
        parts.append(_table(["outcome", "input", "chance if the input is low", "if it is high", "swing, points"],
                            _tornado_rows(tornado, labels), numeric_from=2,
                            caption="The three inputs that move each outcome most"))
    packages = deal_packages(result, top=10)
    if not packages.empty:
        nav.append(("deals", "The most likely deals"))
        parts.append("<h2 id='deals'>The most likely deals</h2>")
        distinct = len(deal_packages(result, top=None))
        top_share = float(packages["share"].iloc[0])
        note = f"The deals fall on {distinct:,} different packages; the most common is {top_share:.1%} of them"
        note += ", so the clusters on the right say more than any single package." if top_share < 0.1 else "."
        parts.append(f"<p class='note'>{html.escape(note)}</p>")
        parts.append(_figure_html("packages", packages_figure(result), alt="deal packages"))
        parts.append(_table(["package", "chance", "95% interval", "share of deals"],
                            [[r.package, _pct(r.estimate), _interval(r.low, r.high), _pct(r.share)]
                             for r in packages.itertuples()], caption="The ten most common agreed packages"))
    if discoveries is None:
        from basesim.analysis.discovery import discover

        discoveries = []
        for output in outputs:
            try:
                discoveries.append(discover(result, output=output))
            except UsageError:
                continue
    shown = [d for d in discoveries if d.boxes]
    if shown:
        nav.append(("discovery", "When each outcome happens"))
        parts.append("<h2 id='discovery'>When each outcome happens</h2>")
        parts.append(f"<p class='note'>{html.escape(FIGURE_CAPTIONS['discovery'])}</p>")
        parts.append("<div class='grid'>")
        for k, found in enumerate(shown):
            box = found.boxes[0]
            figure = Figure(figsize=(6.4, 1.6 + 0.62 * max(len(box.limits), 1)), layout="constrained", dpi=100)
            plot_box_limits(found, ax=figure.add_subplot())
            story = "; ".join(box.describe())
            caption = (f"{found.label}: {box.density:.0%} of the runs in this box against {found.base_density:.0%} "
                       f"overall, and {box.coverage:.0%} of all the runs where it holds. {story}.")
            parts.append(_figure_html(f"discovery-{k + 1}", figure, caption=caption, alt=f"PRIM box: {found.label}"))
        parts.append("</div>")
    return parts, nav


def report_html(result: Any, *, negotiation: pdata.Negotiation | None = None,
                figures: Mapping[str, Any] | None = None, full_provenance: bool = False,
                analyses: bool | None = None, discoveries: Sequence[Any] | None = None) -> str:
    """The report page of a run (a RunResult or anything with scenario, summary, table, provenance).

    ``figures`` (kind -> matplotlib Figure) defaults to :func:`basesim.views.plots.standard_figures`
    of the run, with ``negotiation`` for the one-negotiation figure.
    ``analyses`` adds what moves each outcome (tornado), the most likely deals
    and scenario discovery (default: when ``figures`` is not given and the
    run has its table); ``discoveries`` gives the PRIM results instead of
    computing one per outcome. ``full_provenance`` shows local paths too.
    """
    src = pdata.source(result)
    scenario = src.scenario
    provenance = dict(getattr(result, "provenance", None) or {})
    analyses = (figures is None) if analyses is None else analyses
    if figures is None:
        figures = plots.standard_figures(src, negotiation=negotiation)
    title = scenario.title or scenario.name or "basesim run"
    protocol = provenance.get("protocol", scenario.protocol.name)
    extra, extra_nav = _analysis_sections(result, discoveries=discoveries) if analyses and src.table is not None \
        else ([], [])
    nav = [("summary", "Summary"), ("scenario", "Scenario"), ("figures", "Figures"), *extra_nav,
           ("tables", "Tables"), ("provenance", "Provenance")]
    body = ["<h2 id='summary'>Summary</h2>",
            "".join(f"<p class='headline'>{html.escape(line)}</p>" for line in _headline(result))]
    body += _words_section(scenario)
    body.append("<h2 id='figures'>Figures</h2>")
    body += [_figure_html(kind, figure) for kind, figure in figures.items()]
    body += extra
    body.append("<h2 id='tables'>Summary tables</h2>")
    body.append("<p>Chances are shares of runs with 95% Wilson intervals (Monte Carlo error only).</p>")
    for heading, table in summary_tables(result).items():
        body.append(f"<h3>{html.escape(heading)}</h3>{table}")
    body += _provenance_section(provenance, scenario, full=full_provenance)
    return _page(title, _facts(src.runs, provenance, protocol), nav, body)


def write_report(result: Any, path: str | Path, *, negotiation: pdata.Negotiation | None = None,
                 figures: Mapping[str, Any] | None = None, full_provenance: bool = False) -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8); return the path."""
    return _write(Path(path), report_html(result, negotiation=negotiation, figures=figures,
                                          full_provenance=full_provenance))


def _write(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the report ({exc.strerror or exc})") from exc
    return path


# --- several runs: protocols or scenarios side by side ------------------------------------------


def _cell(row: Any) -> str:
    if row is None or pd.isna(row["estimate"]):
        return "\u2013"
    return f"{_pct(row['estimate'])} ({_pct(row['low'])} \u2013 {_pct(row['high'])})"


def _side_by_side(results: Mapping[str, Any], names: Mapping[str, str]) -> str:
    variants = list(results)
    header = ["", *[f"{names[v]} ({results[v].runs:,} runs)" for v in variants]]
    rows = []
    frame = pdata.comparison_table(results, kind="result")
    for name in dict.fromkeys(frame["result"]):
        part = frame[frame["result"] == name].set_index("variant")
        rows.append([name, *(_cell(part.loc[v]) if v in part.index else "\u2013" for v in variants)])
    outcomes = pdata.comparison_table(results, kind="outcome")
    for name in dict.fromkeys(outcomes["outcome"]):
        part = outcomes[outcomes["outcome"] == name].set_index("variant")
        rows.append([str(part["label"].iloc[0]), *(_cell(part.loc[v]) if v in part.index else "\u2013"
                                                   for v in variants)])
    return _table(header, rows, caption="Chance (95% interval)")


def comparison_html(results: Mapping[str, Any], *, kind: str = "compare", full_provenance: bool = False) -> str:
    """The page of several runs: ``kind="protocols"`` (one scenario under each protocol: model uncertainty)
    or ``"compare"`` (several scenarios); the first variant is the reference for the differences."""
    from basesim.analysis.differences import scenario_differences
    from basesim.analysis.labels import variant_labels
    from basesim.views.comparison_plots import differences_figure, timing_comparison_figure

    if len(results) < 2:
        raise OutputError("a comparison report needs at least two runs")
    variants = list(results)
    reference = variants[0]
    scenarios = {v: r.scenario for v, r in results.items()}
    names = variant_labels(scenarios)
    first = scenarios[reference]
    protocols = kind == "protocols"
    title = (f"{first.title or first.name}: the theories compared" if protocols
             else f"{len(variants)} scenarios compared")
    runs = {r.runs for r in results.values()}
    seeds = {(getattr(r, "provenance", None) or {}).get("seed") for r in results.values()}
    facts = [f"{len(variants)} {'protocols' if protocols else 'scenarios'}",
             f"{runs.pop():,} runs each" if len(runs) == 1 else "runs differ",
             f"seed {seeds.pop()}" if len(seeds) == 1 else "seeds differ"]
    nav = [("summary", "Summary"), ("side-by-side", "Side by side"), ("differences", "Differences"),
           ("figures", "Figures"), ("scenario", "Scenarios" if not protocols else "Scenario"),
           ("provenance", "Provenance")]
    body = ["<h2 id='summary'>Summary</h2>"]
    for variant, result in results.items():
        line = _headline(result)[0]
        body.append(f"<p class='headline'><b>{html.escape(names[variant])}</b>: {html.escape(line)}</p>")
    heading = ("Model uncertainty: the same questions under each theory" if protocols
               else "The same questions in each scenario")
    body.append(f"<h2 id='side-by-side'>{html.escape(heading)}</h2>")
    if protocols:
        body.append("<p class='note'>" + html.escape(
            "One scenario, the same draws of every uncertain input, played under each theory of bargaining. "
            "Where the theories disagree by more than the intervals, the choice of model matters more than "
            "the parameter uncertainty the runs sample.") + "</p>")
    body.append(_side_by_side(results, names))
    differences = scenario_differences(results)
    body.append(f"<h2 id='differences'>Differences from {html.escape(names[reference])}</h2>")
    paired = bool(differences["paired"].all()) if not differences.empty else False
    body.append("<p class='note'>" + html.escape(
        "Each difference is in percentage points, with a 95% interval. "
        + ("Every run shares its seed with the reference, so run k of each is compared with run k of the other "
           "(paired intervals, Newcombe 1998): a difference is the effect of what changed, not sampling noise."
           if paired else "Where the runs do not share a seed and size, the intervals are unpaired.")) + "</p>")
    body.append(_figure_html("differences", differences_figure(results),
                             caption="Differences from the reference in points, with 95% intervals.",
                             alt="differences from the reference"))
    body.append(_table(["question", *[names[v] for v in variants[1:]]],
                       [[label, *(f"{100 * r['difference']:+.1f} ({100 * r['low']:+.1f} to {100 * r['high']:+.1f})"
                                  for _, r in part.set_index('variant').reindex(variants[1:]).iterrows())]
                        for label, part in differences.groupby("label", sort=False)],
                       caption="Difference, points (95% interval)"))
    body.append("<h2 id='figures'>Figures</h2>")
    body.append(_figure_html("compare-results", plots.comparison_figure(results, kind="result"),
                             caption=FIGURE_CAPTIONS["results"], alt="results compared"))
    if any(r.scenario.outcomes for r in results.values()):
        body.append(_figure_html("compare-outcomes", plots.comparison_figure(results, kind="outcome"),
                                 caption="The named outcomes in each variant, with 95% intervals.",
                                 alt="named outcomes compared"))
    body.append(_figure_html("compare-timing", timing_comparison_figure(results),
                             caption="The chance of a deal by each date in each variant (solid, with 95% bands) "
                                     "and of a breakdown (dashed).", alt="timing compared"))
    for issue in first.issue_names:
        if all(issue in s.issues and s.issues[issue].labels == first.issues[issue].labels for s in scenarios.values()):
            body.append(_figure_html(f"compare-{issue}", plots.comparison_figure(results, kind="level", issue=issue),
                                     caption=f"{first.display(issue)}: the level in force at the end, over all runs.",
                                     alt=f"{first.display(issue)} compared"))
    if protocols:
        body += _words_section(first)
    else:
        body.append("<h2 id='scenario'>The scenarios in words</h2>")
        for variant, scenario in scenarios.items():
            body.append(f"<h3>{html.escape(names[variant])}</h3>")
            if scenario.description:
                body.append(f"<p>{html.escape(scenario.description.strip())}</p>")
            inner = "".join(f"<h4>{html.escape(t)}</h4><ul class='words'>"
                            + "".join(f"<li>{html.escape(x)}</li>" for x in sentences) + "</ul>"
                            for t, sentences in scenario_in_words(scenario).items())
            body.append(f"<details><summary>The scenario in words</summary>{inner}</details>")
    body.append("<h2 id='provenance'>Provenance</h2>")
    body.append("<p class='note'>" + html.escape(
        "Versions, seeds and the scenarios' hashes; local paths and user names are left out "
        "(basesim report --full-provenance shows them)." if not full_provenance else
        "Everything recorded, local paths included.") + "</p>")
    for variant, result in results.items():
        body.append(f"<h3>{html.escape(names[variant])}</h3>")
        body.append(_table(["", ""], _provenance_rows(getattr(result, "provenance", {}) or {}, full=full_provenance),
                           numeric_from=9))
        body.append("<details><summary>The scenario as run (resolved YAML)</summary>"
                    f"<pre>{html.escape(dump_scenario(result.scenario))}</pre></details>")
    return _page(title, facts, nav, body)


# --- a sweep ---------------------------------------------------------------------------------


def _sweep_statistics(sweep: Any) -> list[str]:
    chosen = [s for s in ("result.agreement", *[f"outcome.{n}" for n in sweep.scenario.outcomes])
              if s in sweep.statistics]
    return chosen or sweep.statistics[:1]


def sweep_html(sweep: Any, *, full_provenance: bool = False) -> str:
    """The page of a parameter sweep (:class:`~basesim.analysis.sweeps.SweepResult`): response curves and the table."""
    from basesim.analysis.labels import input_label
    from basesim.views.sweep_plots import sweep_figure

    scenario = sweep.scenario
    provenance = dict(sweep.provenance)
    parameters = sweep.parameters
    labels = {p: input_label(scenario, p) for p in parameters}
    statistics = _sweep_statistics(sweep)
    title = f"{scenario.title or scenario.name}: sweep of " + " and ".join(labels.values())
    facts = [f"{len(sweep.design):,} points", f"{int(provenance.get('runs', 0)):,} runs per point",
             f"seed {provenance.get('seed')}",
             "common random numbers" if provenance.get("common_random_numbers") else "independent streams"]
    nav = [("summary", "Summary"), ("curves", "Response curves"), ("points", "Points"), ("scenario", "Scenario"),
           ("provenance", "Provenance")]
    values = "; ".join(f"{labels[p]} ({p}): {', '.join(_num(v) if isinstance(v, float) else str(v) for v in dict.fromkeys(sweep.design[p]))}"
                       for p in parameters)
    body = ["<h2 id='summary'>Summary</h2>",
            f"<p class='headline'>{html.escape(f'The scenario was run at {len(sweep.design):,} points: {values}.')}</p>"]
    table = sweep.table
    for statistic in statistics[:3]:
        column = table[statistic]
        low_row, high_row = table.loc[column.idxmin()], table.loc[column.idxmax()]
        where = lambda row: ", ".join(f"{labels[p]} {row[p]}" for p in parameters)  # noqa: E731
        body.append("<p>" + html.escape(
            f"{sweep.label(statistic)}: from {_pct(low_row[statistic])} (at {where(low_row)}) to "
            f"{_pct(high_row[statistic])} (at {where(high_row)}).") + "</p>")
    if provenance.get("common_random_numbers"):
        body.append("<p class='note'>" + html.escape(
            "Every point plays the same replications (common random numbers), so a difference between two points "
            "is the effect of the parameters, not sampling noise.") + "</p>")
    body.append("<h2 id='curves'>Response curves</h2>")
    if len(parameters) <= 2:
        body.append("<div class='grid'>")
        for statistic in statistics:
            body.append(_figure_html(f"sweep-{statistic}", sweep_figure(sweep, statistic=statistic),
                                     caption=f"{sweep.label(statistic)} at every point, with 95% intervals.",
                                     alt=sweep.label(statistic)))
        body.append("</div>")
    else:
        body.append("<p class='note'>A sweep of more than two parameters has no figure; the table below has "
                    "every point.</p>")
    body.append("<h2 id='points'>Every point</h2>")
    header = [labels[p] for p in parameters] + [sweep.label(s) for s in statistics]
    rows = [[str(row[p]) for p in parameters] + [f"{_pct(row[s])} ({_pct(row[f'{s}_low'])} \u2013 {_pct(row[f'{s}_high'])})"
                                                 for s in statistics] for _, row in table.iterrows()]
    body.append(_table(header, rows, numeric_from=len(parameters), caption="Chance (95% interval)"))
    body += _words_section(scenario, heading="The base scenario in words")
    body += _provenance_section(provenance, scenario, full=full_provenance)
    return _page(title, facts, nav, body)


# --- a sensitivity analysis ------------------------------------------------------------------------


def sensitivity_html(analysis: Any, *, full_provenance: bool = False, top: int = 8) -> str:
    """The page of a sensitivity analysis (:class:`~basesim.analysis.folders.SensitivityFolder`)."""
    from basesim.analysis.labels import input_labels
    from basesim.views.sweep_plots import sensitivity_figure
    from basesim.views.tornado import tornado_figure

    scenario = analysis.scenario
    provenance = dict(analysis.provenance)
    table = analysis.table
    outputs = analysis.outputs
    labels = _labels(scenario, outputs)
    sobol = analysis.method == "sobol"
    column = "factor" if sobol else "input"
    names = input_labels(scenario, list(dict.fromkeys(table[column])))
    title = f"{scenario.title or scenario.name}: what drives each outcome"
    if sobol:
        facts = ["Sobol' indices", f"N = {provenance.get('n')}", f"{int(provenance.get('evaluations', 0)):,} model runs",
                 f"seed {provenance.get('seed')}"]
    else:
        facts = ["correlation ratios of a plain run", f"{int(provenance.get('runs', 0)):,} runs",
                 f"seed {provenance.get('seed')}"]
    nav = [("summary", "Summary"), ("drivers", "What drives each outcome"), ("tables", "Tables"),
           ("scenario", "Scenario"), ("provenance", "Provenance")]
    body = ["<h2 id='summary'>Summary</h2>"]
    measure = "total_order" if sobol else "correlation_ratio"
    for output in outputs:
        rows = table[table["output"] == output].sort_values("rank").head(3)
        lead = ", ".join(f"{names[r[column]]} ({r[measure]:.2f})" for _, r in rows.iterrows())
        body.append(f"<p class='headline'>{html.escape(f'{labels[output]}: most driven by {lead}.')}</p>")
    body.append("<p class='note'>" + html.escape(
        "Sobol' indices: the share of an outcome's variance an input explains, alone (first order) and with "
        "its interactions (total); in-run randomness (belief noise and breakdown draws) is one input, so luck "
        "that no better knowledge would remove is shown, not hidden." if sobol else
        "Correlation ratio: the share of an outcome's variance an input explains alone, from one ordinary run; "
        "blue bars raise the outcome, orange ones lower it.") + "</p>")
    body.append("<h2 id='drivers'>What drives each outcome</h2>")
    body.append(_figure_html("sensitivity", sensitivity_figure(table, labels=labels, top=top, scenario=scenario,
                                                               tornado=analysis.tornado),
                             caption=("Total (dark) and first-order (light) Sobol' indices with 95% bootstrap "
                                      "intervals; an arrow after an input says whether a high value raises (\u2191) "
                                      "or lowers (\u2193) the outcome." if sobol else
                                      "Correlation ratios with 95% intervals, coloured by direction."),
                             alt="sensitivity indices"))
    if analysis.tornado is not None and not analysis.tornado.empty:
        body.append(_figure_html("tornado", tornado_figure(analysis.tornado, labels=labels, top=6),
                                 alt="tornado chart"))
    body.append("<h2 id='tables'>Tables</h2>")
    for output in outputs:
        rows = table[table["output"] == output].sort_values("rank")
        if sobol:
            cells = [[str(r["rank"]), names[r["factor"]], f"{r['total_order']:.2f}",
                      f"[{r['total_order_low']:.2f}, {r['total_order_high']:.2f}]", f"{r['first_order']:.2f}",
                      f"[{r['first_order_low']:.2f}, {r['first_order_high']:.2f}]"] for _, r in rows.iterrows()]
            header = ["rank", "input", "total", "95% interval", "first order", "95% interval"]
        else:
            cells = [[str(r["rank"]), names[r["input"]], f"{r['correlation_ratio']:.3f}",
                      f"[{r['correlation_ratio_low']:.3f}, {r['correlation_ratio_high']:.3f}]",
                      f"{r['spearman']:+.2f}"] for _, r in rows.iterrows()]
            header = ["rank", "input", "\u03b7\u00b2", "95% interval", "Spearman \u03c1"]
        body.append(f"<h3>{html.escape(labels[output])}</h3>" + _table(header, cells, numeric_from=2))
    body += _words_section(scenario)
    body += _provenance_section(provenance, scenario, full=full_provenance)
    return _page(title, facts, nav, body)


# --- any folder ----------------------------------------------------------------------------------


def write_folder_report(folder: str | Path, *, out: str | Path | None = None, full_provenance: bool = False,
                        replicate: int | None = None) -> tuple[str, Path]:
    """Read a result folder of any kind (:func:`basesim.analysis.folders.folder_kind`) and write its page.

    ``out`` defaults to ``FOLDER/report.html``; ``replicate`` picks the run
    shown as one negotiation in a run's page. Returns the kind and the path.
    """
    from basesim.analysis import folders
    from basesim.montecarlo.results import load_results

    folder = Path(folder)
    kind = folders.folder_kind(folder)
    path = Path(out) if out is not None else folder / "report.html"
    if kind == "run":
        result = load_results(folder)
        negotiation = None
        if len(result.scenario.principals) >= 2:
            negotiation = pdata.one_negotiation(result, replicate=replicate)
        text = report_html(result, negotiation=negotiation, full_provenance=full_provenance)
    elif kind in ("protocols", "compare"):
        comparison = folders.load_comparison(folder)
        text = comparison_html(comparison.results, kind=kind, full_provenance=full_provenance)
    elif kind == "sweep":
        text = sweep_html(folders.load_sweep(folder), full_provenance=full_provenance)
    else:
        text = sensitivity_html(folders.load_sensitivity(folder), full_provenance=full_provenance)
    return kind, _write(path, text)
