"""What the observations taught: prior against posterior of the scenario's uncertain inputs.

One small panel per input. A continuous input shows the prior density
(exactly, from the scenario's ``scipy.stats`` distribution where it has one;
a Dirichlet salience's marginal is a beta) and the posterior density, a
weighted Gaussian kernel estimate (``scipy.stats.gaussian_kde`` with the
worlds' weights, reflected at the ends of the prior's support so that no
mass leaks past them; Silverman 1986, *Density Estimation*, section 2.10).
A discrete input (an event's occurrence, whole-number rounds, a choice)
shows paired bars. Each panel is titled with the input and how its mean moved.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from basesim.analysis.conditioning import Posterior
from basesim.analysis.posterior import input_shift
from basesim.scenario.distributions import Dirichlet, _Dist
from basesim.scenario.sampling import uncertain_parameters
from basesim.views.style import INK, MUTED, axes_or_new, tidy

__all__ = ["POSTERIOR_COLOR", "PRIOR_COLOR", "plot_input_posterior", "posterior_figure", "posterior_subtitle"]

PRIOR_COLOR = "#868e96"
POSTERIOR_COLOR = "#3b5bdb"


def _distribution(posterior: Posterior, path: str):
    """The frozen scipy.stats prior of an input, or None (events' occurrence, unknown paths)."""
    found = uncertain_parameters(posterior.scenario)
    if path in found and isinstance(found[path], _Dist) and not isinstance(found[path], Dirichlet):
        return found[path].frozen()
    parent, _, issue = path.rpartition(".")
    if parent in found and isinstance(found[parent], Dirichlet):
        alpha = found[parent].alpha
        a = float(alpha[issue])
        return stats.beta(a, float(sum(alpha.values())) - a)
    return None


def _reflected_kde(values: np.ndarray, weights: np.ndarray, grid: np.ndarray, low: float, high: float) -> np.ndarray:
    kde = stats.gaussian_kde(values, weights=weights)
    density = kde(grid)
    if np.isfinite(low):
        density += kde(2 * low - grid)
    if np.isfinite(high):
        density += kde(2 * high - grid)
    return density


def posterior_subtitle(posterior: Posterior) -> str:
    return (f"{posterior.scenario.title or posterior.scenario.name} · {posterior.protocol} · as of "
            f"{posterior.as_of.date()} · {len(posterior.observations)} observations · ESS {posterior.ess:,.0f}")


def plot_input_posterior(posterior: Posterior, path: str, *, ax: Axes | None = None,
                         row: pd.Series | None = None) -> Axes:
    """Prior and posterior of one input on ``ax`` (``row``: its line of :func:`input_shift`, computed if absent)."""
    ax = axes_or_new(ax, (4.2, 2.8))
    row = input_shift(posterior, inputs=[path]).iloc[0] if row is None else row
    prior = posterior.prior[path].to_numpy(float)
    post = posterior.table[path].to_numpy(float)
    weights = posterior.weights
    values = np.unique(prior)
    if row["discrete"] or values.size <= 12:
        prior_share = np.array([np.mean(prior == v) for v in values])
        post_share = np.array([weights[post == v].sum() for v in values]) / weights.sum()
        x = np.arange(values.size)
        ax.bar(x - 0.2, prior_share, width=0.4, color=PRIOR_COLOR, label="prior", gid="prior-bars")
        ax.bar(x + 0.2, post_share, width=0.4, color=POSTERIOR_COLOR, label="posterior", gid="posterior-bars")
        names = ["no", "yes"] if path.endswith(".occurs") else [f"{v:g}" for v in values]
        ax.set_xticks(x, names)
        ax.set_ylabel("share", color=INK, fontsize=8)
    else:
        frozen = _distribution(posterior, path)
        low, high = (frozen.support() if frozen is not None else (prior.min(), prior.max()))
        low, high = float(low), float(high)
        left = low if np.isfinite(low) else float(np.quantile(prior, 0.001))
        right = high if np.isfinite(high) else float(np.quantile(prior, 0.999))
        grid = np.linspace(left, right, 200)
        if frozen is not None:
            ax.fill_between(grid, frozen.pdf(grid), color=PRIOR_COLOR, alpha=0.35, lw=0, label="prior", gid="prior")
        else:
            ax.fill_between(grid, _reflected_kde(prior, np.ones_like(prior), grid, low, high), color=PRIOR_COLOR,
                            alpha=0.35, lw=0, label="prior", gid="prior")
        if np.ptp(post) > 0 and len(post) > 1:
            ax.plot(grid, _reflected_kde(post, weights, grid, low, high), color=POSTERIOR_COLOR, lw=2,
                    label="posterior", gid="posterior")
        ax.axvline(row["prior_mean"], color=PRIOR_COLOR, lw=1, ls="--")
        ax.axvline(row["posterior_mean"], color=POSTERIOR_COLOR, lw=1, ls="--")
        ax.set_yticks([])
        ax.set_xlim(left, right)
        ax.set_ylim(bottom=0)
    tidy(ax, grid="")
    arrow = {"lower": "\u2193 lower", "higher": "\u2191 higher"}.get(row["direction"], "about the same")
    ax.set_title(f"{row['label']}\n{arrow} ({row['shift']:+.2f} prior sd)", fontsize=8.5, color=INK, loc="left")
    return ax


def posterior_figure(posterior: Posterior, *, inputs: Sequence[str] | None = None, top: int = 8) -> Figure:
    """Panels of the ``top`` inputs the observations moved most (or of ``inputs``)."""
    shift = input_shift(posterior, inputs=inputs)
    if inputs is None:
        shift = shift.head(top)
    count = max(len(shift), 1)
    columns = min(4, count)
    rows = int(np.ceil(count / columns))
    figure = Figure(figsize=(3.6 * columns, 2.6 * rows + 0.9), layout="constrained", dpi=100)
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax, (_, row) in zip(axes.flat, shift.iterrows()):
        plot_input_posterior(posterior, row["input"], ax=ax, row=row)
    for ax in list(axes.flat)[len(shift):]:
        ax.set_visible(False)
    if len(shift):
        axes.flat[0].legend(frameon=False, fontsize=8, loc="upper right")
    figure.suptitle("What the observations taught: prior (grey) and posterior (blue)", x=0.01, ha="left",
                    fontsize=11, fontweight="bold", color=INK)
    figure.supxlabel(posterior_subtitle(posterior), fontsize=8, color=MUTED)
    return figure

