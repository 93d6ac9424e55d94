"""How a sweep and a Sobol' analysis show themselves: a one-line repr and a small HTML card.

:class:`~basesim.analysis.sweeps.SweepResult` and
:class:`~basesim.analysis.sobol.SobolIndices` delegate ``__repr__`` /
``_repr_html_`` here. A sweep's card shows its main statistic (the first
named outcome, else agreement) at every point; a Sobol' card shows each
output's most important inputs.
"""

from __future__ import annotations

from typing import Any

from basesim.scenario.display import html_card, html_table, percent, plural


__all__ = ["sobol_html", "sobol_repr", "sweep_html", "sweep_repr"]

#: Inputs shown per output in a Sobol' card.
TOP_FACTORS = 5


def _main_statistic(result: Any) -> str:
    outcomes = [s for s in result.statistics if s.startswith("outcome.")]
    return outcomes[0] if outcomes else "result.agreement"


def sweep_repr(result: Any) -> str:
    """One line: ``SweepResult('baseline', 6 points over actors.turkey.leverage.syria, 2,000 runs per point, ...)``."""
    p = result.provenance
    return (f"SweepResult({result.scenario.name!r}, {plural(len(result.design), 'point')} over "
            f"{', '.join(result.parameters)}, {p.get('runs', 0):,} runs per point, seed {p.get('seed')}, "
            f"{plural(len(result.statistics), 'statistic')})")


def sweep_html(result: Any) -> str:
    statistic = _main_statistic(result)
    probability = not statistic.startswith("quantile.")
    show = percent if probability else (lambda x: f"{x:.3g}")
    table = result.table
    rows = [[*(row[p] for p in result.parameters), show(row[statistic]),
             f"{show(row[f'{statistic}_low'])} - {show(row[f'{statistic}_high'])}"]
            for row in table.to_dict(orient="records")]
    n = len(result.parameters)
    body = html_table([*result.parameters, result.label(statistic), "95% interval"], rows,
                      right=tuple(range(n + 2)))
    p = result.provenance
    crn = "common random numbers" if p.get("common_random_numbers", True) else "independent streams"
    subtitle = (f"{plural(len(result.design), 'point')}, {p.get('runs', 0):,} runs each, seed {p.get('seed')} "
                f"({crn}); result.table has all {len(result.statistics)} statistics")
    return html_card("SweepResult", result.scenario.title or result.scenario.name or "", subtitle, body)


def sobol_repr(result: Any) -> str:
    """One line: ``SobolIndices(N=1024, 18 factors, 7 outputs, 20,480 model runs)``."""
    return (f"SobolIndices(N={result.n}, {plural(len(result.factors), 'factor')}, "
            f"{plural(len(result.outputs), 'output')}, {result.evaluations:,} model runs)")


def sobol_html(result: Any) -> str:
    table = result.table
    rows = []
    for output in result.outputs:
        top = table[table["output"] == output].sort_values("rank").head(TOP_FACTORS)
        for row in top.itertuples():
            rows.append((output, int(row.rank), row.factor, f"{row.total_order:.2f}",
                         f"[{row.total_order_low:.2f}, {row.total_order_high:.2f}]", f"{row.first_order:.2f}"))
    body = html_table(["output", "rank", "input", "total", "95% interval", "first order"], rows,
                      max_rows=TOP_FACTORS * max(1, len(result.outputs)), right=(1, 3, 4, 5))
    subtitle = (f"N = {result.n}, {result.evaluations:,} model runs; the {TOP_FACTORS} most important inputs "
                f"of each output (result.table has them all)")
    return html_card("SobolIndices", str(result.provenance.get("scenario", "")), subtitle, body)
