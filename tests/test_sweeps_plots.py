"""Figures of sweeps and sensitivity analyses: they draw the data they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from basesim import UsageError
from basesim.views.sweep_plots import (
    is_probability,
    plot_input_ranking,
    plot_sobol_indices,
    plot_sweep_heatmap,
    plot_sweep_line,
    sensitivity_figure,
)


def _axes() -> Axes:
    return Figure().add_subplot()


def _sweep_table() -> pd.DataFrame:
    rows = []
    for a in (0.0, 0.2, 0.4):
        for b in (-0.1, 0.1):
            p = 0.7 - a - b
            rows.append({"a": a, "b": b, "outcome.x": p, "outcome.x_low": p - 0.05, "outcome.x_high": p + 0.05})
    return pd.DataFrame(rows)


def test_line_draws_the_estimates_and_the_band():
    table = _sweep_table()
    one = table[table["b"] == 0.1]
    ax = plot_sweep_line(one, parameter="a", statistic="outcome.x", ax=_axes(), label="X happens")
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), [0.0, 0.2, 0.4])
    np.testing.assert_allclose(line.get_ydata(), one["outcome.x"])
    assert len(ax.collections) == 1  # the interval band
    assert ax.get_title(loc="left") == "X happens"


def test_line_of_categorical_values_spaces_them_evenly():
    table = pd.DataFrame({"protocol.name": ["nash", "equilibrium"], "result.agreement": [0.9, 0.8],
                          "result.agreement_low": [0.85, 0.75], "result.agreement_high": [0.95, 0.85]})
    ax = plot_sweep_line(table, parameter="protocol.name", statistic="result.agreement", ax=_axes())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["nash", "equilibrium"]


def test_heatmap_has_one_cell_per_point_with_its_value_written():
    ax = plot_sweep_heatmap(_sweep_table(), x="a", y="b", statistic="outcome.x", ax=_axes())
    image = ax.get_images()[0].get_array()
    assert image.shape == (2, 3)  # rows: b, columns: a
    assert image[0, 0] == pytest.approx(0.8) and image[1, 2] == pytest.approx(0.2)
    texts = [t.get_text() for t in ax.texts if "%" in t.get_text()]
    assert len(texts) == 6 and "80%\n±5" in texts


def test_heatmap_needs_one_point_per_pair():
    table = pd.concat([_sweep_table(), _sweep_table()])
    with pytest.raises(UsageError, match=r"several points share the same \(a, b\)"):
        plot_sweep_heatmap(table, x="a", y="b", statistic="outcome.x", ax=_axes())


def test_missing_columns_are_named():
    with pytest.raises(UsageError, match=r"plot_sweep_line: the table has no column 'outcome.y'"):
        plot_sweep_line(_sweep_table(), parameter="a", statistic="outcome.y", ax=_axes())


def test_probability_statistics():
    assert is_probability("outcome.russia_keeps_tartus") and is_probability("level.tartus.full lease")
    assert not is_probability("quantile.compensation.amount.p50")


def _top_down(ax: Axes) -> list[str]:
    """Tick labels of the y axis from the top of the plot down."""
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda pair: -pair[0])
    return [label.get_text() for _, label in ticks]


def _indices() -> pd.DataFrame:
    return pd.DataFrame({
        "output": ["y"] * 3, "factor": ["x1", "x2", "x3"], "first_order": [0.31, 0.44, 0.0],
        "first_order_low": [0.25, 0.4, -0.03], "first_order_high": [0.37, 0.48, 0.03],
        "total_order": [0.56, 0.44, 0.24], "total_order_low": [0.5, 0.4, 0.22], "total_order_high": [0.62, 0.48, 0.26],
        "rank": [1, 2, 3],
    })


def test_sobol_bars_put_the_most_important_factor_on_top():
    ax = plot_sobol_indices(_indices(), ax=_axes(), top=2)
    assert _top_down(ax) == ["x1", "x2"]  # rank 1 on top
    widths = sorted(round(p.get_width(), 2) for p in ax.patches)
    assert widths == [0.31, 0.44, 0.44, 0.56]


def test_ranking_bars_and_whole_figures():
    ranking = pd.DataFrame({"output": ["y", "y"], "input": ["a", "b"], "correlation_ratio": [0.3, 0.1],
                            "correlation_ratio_low": [0.25, 0.05], "correlation_ratio_high": [0.35, 0.15],
                            "spearman": [0.5, -0.2], "rank": [1, 2]})
    ax = plot_input_ranking(ranking, ax=_axes())
    assert _top_down(ax) == ["a", "b"]
    assert isinstance(sensitivity_figure(ranking), Figure)
    figure = sensitivity_figure(_indices(), labels={"y": "Why"})
    assert figure.axes[0].get_title(loc="left") == "What drives \u201cWhy\u201d"
    with pytest.raises(UsageError, match=r"'z' is not an output of the table; expected one of y"):
        plot_sobol_indices(_indices(), output="z", ax=_axes())
