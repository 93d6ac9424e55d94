"""How a scenario shows itself in a console and in a notebook: a one-line repr and a small HTML card.

:class:`~basesim.scenario.schema.Scenario` delegates ``__repr__`` and
``_repr_html_`` here. The HTML helpers (:func:`html_table`, :func:`html_card`)
serve the result objects of the later layers too, so every object basesim
hands to a notebook looks the same: a bold title line, then one compact table.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any


__all__ = ["html_card", "html_table", "percent", "plural", "scenario_html", "scenario_repr"]

#: Rows shown at most in a notebook table (the rest are counted in a last row).
MAX_ROWS = 20


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def percent(x: Any) -> str:
    """A probability as ``59.4%`` (``-`` when missing)."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(value) else f"{100 * value:.1f}%"


def html_table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, max_rows: int = MAX_ROWS,
               right: Sequence[int] = ()) -> str:
    """A small HTML table; every cell escaped; columns whose index is in ``right`` right-aligned."""
    rows = list(rows)
    shown, more = rows[:max_rows], len(rows) - max_rows

    def cell(tag: str, index: int, value: Any) -> str:
        align = ' style="text-align: right"' if index in right else ' style="text-align: left"'
        return f"<{tag}{align}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in shown)
    if more > 0:
        body += f'<tr><td colspan="{len(header)}">... {more:,} more</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_card(kind: str, title: str, subtitle: str, *tables: str) -> str:
    """An object's HTML: its kind and title in bold, a one-line subtitle, then its tables."""
    return (f'<div class="basesim-{html.escape(kind.lower())}"><p><b>{html.escape(kind)}</b> '
            f"{html.escape(title)}<br><small>{html.escape(subtitle)}</small></p>{''.join(tables)}</div>")


def _facts(scenario: Any) -> str:
    size = math.prod(len(issue.labels) for issue in scenario.issues.values())
    return ", ".join([
        f"{plural(len(scenario.issues), 'issue')} ({plural(size, 'outcome')})",
        plural(len(scenario.principals), "principal"),
        plural(len(scenario.influencers), "influencer"),
        plural(len(scenario.events), "event"),
        f"protocol {scenario.protocol.name}",
    ])


def scenario_repr(scenario: Any) -> str:
    """One line: ``Scenario('baseline': Syria-Russia ..., 4 issues (288 outcomes), ...)``."""
    title = f": {scenario.title}" if scenario.title else ""
    return f"Scenario({scenario.name!r}{title}, {_facts(scenario)})"


def scenario_html(scenario: Any) -> str:
    """The scenario's issues (levels) and actors (role, what they want) as two small tables."""
    issues = html_table(["issue", "levels"], [
        (scenario.display(name), ", ".join(issue.labels) if len(issue.labels) <= 8
         else f"{issue.labels[0]} ... {issue.labels[-1]} ({len(issue.labels)} levels)")
        for name, issue in scenario.issues.items()])
    actors = html_table(["actor", "role", "ideal point"], [
        (scenario.display(name), actor.role,
         ", ".join(f"{issue}: {value if isinstance(value, (str, int, float)) else 'uncertain'}"
                   for issue, value in actor.ideal_point.items()))
        for name, actor in scenario.actors.items()])
    return html_card("Scenario", scenario.title or scenario.name or "", f"{scenario.name}: {_facts(scenario)}",
                     issues, actors)
