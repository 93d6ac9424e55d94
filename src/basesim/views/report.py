"""One self-contained HTML page telling the story of a run.

The page holds: the headline numbers, the scenario in words, every standard
figure (embedded as base64 PNG, so it opens in a browser with no network and
no files beside it), the summary tables, and the provenance (with the
resolved scenario YAML). No external CSS, scripts or fonts.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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

__all__ = ["scenario_in_words", "report_html", "write_report", "FIGURE_CAPTIONS"]

#: What each figure of the report says, under it.
FIGURE_CAPTIONS: dict[str, str] = {
    "results": "How the talks end. Bars: the share of runs ending in each way; whiskers: 95% Wilson intervals "
               "(the Monte Carlo error, not the uncertainty of the scenario, which the runs already sample).",
    "outcomes": "The questions the scenario names, each the share of runs in which it holds.",
    "levels": "Each issue: where it ends over all runs (grey; without a deal it stays at the no-deal level) "
              "and among the runs that reach a deal (green).",
    "amounts": "Money: the chance that the amount is at least each value, over all runs and given a deal.",
    "timing": "When the talks end: the cumulative chance of a deal and of a breakdown by each date; "
              "what is left at the deadline is an impasse.",
    "utilities": "What each actor gets: the distribution over runs of its utility of the result "
                 "(1 = its ideal outcome). Principals without a deal get their reservation utility.",
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
        parts.append(f"the talks end in {outcome.result}")
    if outcome.by is not None:
        parts.append(f"by {outcome.by:%d %B %Y}")
    return " and ".join(parts)


_FIELD_WORDS = {
    "ideal_point": "ideal point", "salience": "weight", "leverage": "leverage", "power": "bargaining power",
    "outside_option": "outside option", "concession": "concession exponent", "patience": "patience",
    "belief_noise": "belief noise",
}


def _path_words(scenario: Scenario, path: str) -> str:
    """``actors.turkey.leverage.syria`` -> ``Turkey's leverage over Syria``."""
    parts = path.split(".")
    if parts == ["protocol", "breakdown_risk"]:
        return "the breakdown risk per round"
    if len(parts) >= 3 and parts[0] == "actors":
        words = f"{scenario.display(parts[1])}'s {_FIELD_WORDS.get(parts[2], parts[2])}"
        if len(parts) == 4:
            words += f" over {scenario.display(parts[3])}" if parts[2] == "leverage" else \
                f" on {scenario.display(parts[3])}"
        return words
    return path


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


def scenario_in_words(scenario: Scenario) -> dict[str, list[str]]:
    """The scenario as plain sentences, by section (issues, no deal, actors, protocol, events, outcomes)."""
    words: dict[str, list[str]] = {}
    words["What is negotiated"] = [
        f"{scenario.display(name)}: " + " \u00b7 ".join(issue.labels) + "."
        for name, issue in scenario.issues.items()
    ]
    words["Without a deal"] = ["; ".join(
        f"{scenario.display(name)}: {_level_words(scenario.issues[name], ref)}"
        for name, ref in scenario.no_deal.items()) + "."]
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
                     f"patience per round: {describe_param(actor.patience)}; "
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
        f"from {protocol.start_date:%d %B %Y}{first}. Each round the talks may break down "
        f"(chance per round: {risk})."]
    if scenario.events:
        events = []
        for name, event in scenario.events.items():
            changes = [f"sets {_path_words(scenario, path)} to {describe_param(v)}" for path, v in event.set.items()]
            changes += [f"adds {describe_param(v)} to {_path_words(scenario, path)}" for path, v in event.add.items()]
            events.append(f"{event.label or name}: {_when(scenario, event.round)}, with probability "
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


def summary_tables(result: Any) -> dict[str, str]:
    """The summary as HTML tables, by title: results, named outcomes, each issue, quantiles, utilities."""
    src = pdata.source(result)
    scenario = src.scenario
    tables: dict[str, str] = {}
    frame = pdata.result_probabilities(src)
    tables["How the talks end"] = _table(
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
        no_deal = scenario.issues[issue].level_index(scenario.no_deal[issue]) if issue in scenario.no_deal else None
        rows = []
        for k in range(len(all_runs)):
            a, d = all_runs.iloc[k], deals.iloc[k]
            label = a["level"] + (" (no deal)" if k == no_deal else "")
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


def _headline(result: Any) -> list[str]:
    """A few sentences with the main numbers."""
    src = pdata.source(result)
    frame = pdata.result_probabilities(src).set_index("result")
    deal = frame.loc["agreement"]
    lines = [f"In {_pct(deal['estimate'])} of {src.runs:,} runs (95% interval {_interval(deal['low'], deal['high'])}) "
             f"the talks end in a deal; in {_pct(frame.loc['breakdown', 'estimate'])} they break down and in "
             f"{_pct(frame.loc['impasse', 'estimate'])} they reach the deadline without one."]
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
.words li{margin-bottom:.4em}
"""


def _figure_html(kind: str, figure: Any) -> str:
    data = base64.b64encode(plots.figure_bytes(figure, format="png", dpi=110)).decode("ascii")
    caption = FIGURE_CAPTIONS.get(kind, plots.FIGURE_KINDS.get(kind, kind))
    return (f"<figure id='figure-{kind}'><img alt='{html.escape(plots.FIGURE_KINDS.get(kind, kind))}' "
            f"src='data:image/png;base64,{data}'><figcaption>{html.escape(caption)}</figcaption></figure>")


def _provenance_rows(provenance: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for key, value in provenance.items():
        if key == "scenario":  # shown in words and as YAML
            continue
        if isinstance(value, Mapping):
            text = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            text = " ".join(map(str, value))
        else:
            text = str(value)
        rows.append([key, text])
    return rows


def report_html(result: Any, *, negotiation: pdata.Negotiation | None = None,
                figures: Mapping[str, Any] | None = None) -> str:
    """The report page of a run (a RunResult or anything with scenario, summary, table, provenance).

    ``figures`` (kind -> matplotlib Figure) defaults to :func:`basesim.views.plots.standard_figures`
    of the run, with ``negotiation`` for the one-negotiation figure.
    """
    src = pdata.source(result)
    scenario = src.scenario
    provenance = dict(getattr(result, "provenance", None) or {})
    if figures is None:
        figures = plots.standard_figures(src, negotiation=negotiation)
    title = scenario.title or scenario.name or "basesim run"
    protocol = provenance.get("protocol", scenario.protocol.name)
    facts = [f"{src.runs:,} runs", f"protocol {str(protocol).replace('_', ' ')}"]
    if "seed" in provenance:
        facts.append(f"seed {provenance['seed']}")
    if "finished" in provenance:
        facts.append(f"run {provenance['finished']}")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)} \u2014 basesim report</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(_DOT.join(facts))}</p>",
        "<nav><a href='#summary'>Summary</a><a href='#scenario'>Scenario</a><a href='#figures'>Figures</a>"
        "<a href='#tables'>Tables</a><a href='#provenance'>Provenance</a></nav>",
        "<h2 id='summary'>Summary</h2>",
        "".join(f"<p class='headline'>{html.escape(line)}</p>" for line in _headline(result)),
    ]
    if scenario.description:
        parts.append(f"<p>{html.escape(scenario.description.strip())}</p>")
    parts.append("<h2 id='scenario'>The scenario in words</h2>")
    for heading, sentences in scenario_in_words(scenario).items():
        items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
        parts.append(f"<h3>{html.escape(heading)}</h3><ul class='words'>{items}</ul>")
    parts.append("<h2 id='figures'>Figures</h2>")
    parts += [_figure_html(kind, figure) for kind, figure in figures.items()]
    parts.append("<h2 id='tables'>Summary tables</h2>")
    parts.append("<p>Chances are shares of runs with 95% Wilson intervals (Monte Carlo error only).</p>")
    for heading, table in summary_tables(result).items():
        parts.append(f"<h3>{html.escape(heading)}</h3>{table}")
    parts.append("<h2 id='provenance'>Provenance</h2>")
    parts.append(_table(["", ""], _provenance_rows(provenance), numeric_from=9))
    parts.append("<details><summary>The scenario as run (resolved YAML)</summary>"
                 f"<pre>{html.escape(dump_scenario(scenario))}</pre></details>")
    parts.append(f"<p class='sub'>Written by basesim on {dt.date.today():%d %B %Y}.</p></body></html>")
    return "\n".join(parts)


def write_report(result: Any, path: str | Path, *, negotiation: pdata.Negotiation | None = None,
                 figures: Mapping[str, Any] | None = None) -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8); return the path."""
    path = Path(path)
    text = report_html(result, negotiation=negotiation, figures=figures)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the report ({exc.strerror or exc})") from exc
    return path
