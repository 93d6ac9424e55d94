"""The HTML report: every figure and table, self-contained, the scenario in words."""

from __future__ import annotations

import base64
import re

import pytest

import _plot_tables as T
from _html_page import parse_page
import basesim
from basesim.views import plot_data as pdata
from basesim.views import plots
from basesim.views import report
from basesim.scenario.distributions import Beta, Choice, Integers, Normal, Triangular, Uniform
from basesim.errors import OutputError


@pytest.fixture(scope="module")
def result():
    return basesim.run(T.ROOT / "scenarios" / "baseline.yaml", runs=300, workers=1)


@pytest.fixture(scope="module")
def page(result):
    text = report.report_html(result, negotiation=pdata.one_negotiation(result))
    return text, parse_page(text)


def test_report_holds_every_figure_as_an_embedded_png(page, result):
    text, parser = page
    images = [attrs for tag, attrs in parser.tags if tag == "img"]
    kinds = plots.available_kinds(result, negotiation=True)
    assert kinds == list(plots.FIGURE_KINDS)
    figure_ids = [attrs["id"] for tag, attrs in parser.tags if tag == "figure"]
    assert figure_ids[:len(kinds)] == [f"figure-{k}" for k in kinds]  # the standard figures first, in order
    assert {"figure-tornado", "figure-packages", "figure-discovery-1"} <= set(figure_ids[len(kinds):])
    assert len(images) == len(figure_ids)
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        assert base64.b64decode(attrs["src"][len(prefix):])[:8] == b"\x89PNG\r\n\x1a\n"
    for kind in kinds:
        assert report.FIGURE_CAPTIONS[kind][:40] in text.replace("&#x27;", "'")


def test_report_holds_every_table(page, result):
    text, parser = page
    scenario = result.scenario
    expected = ["Where the talks stand at the end of the forecast", "Named outcomes", *[scenario.display(i) for i in scenario.issue_names],
                "Quantiles", "Utilities (all runs)"]
    headings = parser.headings
    start = headings.index("Summary tables")
    assert headings[start + 1:start + 1 + len(expected)] == expected
    tables = [t for t, _ in parser.tags if t == "table"]
    assert len(tables) == len(expected) + 3  # and the provenance, the top inputs and the top packages
    frame = pdata.result_probabilities(result).set_index("result")
    assert f"{100 * frame.loc['agreement', 'estimate']:.1f}%" in text
    for outcome in scenario.outcomes.values():
        assert outcome.label in text
    assert "reduced lease (status quo)" in text


def test_report_tells_the_scenario_and_its_provenance(page, result):
    text, parser = page
    for heading in ("The scenario in words", "What is negotiated", "Who is involved", "How the talks run",
                    "What may happen on the way", "Questions asked of every run", "Provenance"):
        assert heading in parser.headings
    assert parser.headings[0] == "Syria-Russia base talks, February 2025"
    assert f"300 runs \u00b7 protocol alternating offers \u00b7 seed {result.seed}" in text
    assert result.provenance["scenario_hash"] in text
    assert "The scenario as run (resolved YAML)" in text
    assert "In " in text and "of 300 runs" in text


def test_report_is_self_contained(page):
    text, parser = page
    for tag, attrs in parser.tags:
        assert tag not in ("script", "link", "iframe")
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"(https?:)?//", value), f"<{tag} {name}={value[:60]}> reaches the network"
    assert "@import" not in text and "url(" not in text


def test_report_of_a_summary_only_run(result, tmp_path):
    summary_only = basesim.RunResult(scenario=result.scenario, table=None, summary=result.summary,
                                     provenance=result.provenance)
    # which figures a summary-only run gets is tested in test_plots; here the tables
    path = report.write_report(summary_only, tmp_path / "r.html", figures=plots.standard_figures(
        summary_only, kinds=["results"]))
    text = path.read_text(encoding="utf-8")
    assert "figure-results" in text and "Utilities (all runs)" not in text
    assert "Quantiles" in text and "Named outcomes" in text


def test_report_escapes_the_analysts_text(result):
    data = result.scenario.to_data()
    data["title"] = "Talks <b>& co</b>"
    data["actors"]["turkey"]["label"] = "Türkiye <script>"
    scenario = basesim.scenario_from_data(data)
    table = T.outcome_table(scenario, 50)
    text = report.report_html(pdata.Source(scenario, pdata.source(table, scenario).counts, table),
                              figures={})
    assert "<b>&" not in text and "<script>" not in text
    assert "Talks &lt;b&gt;&amp; co&lt;/b&gt;" in text
    assert "Türkiye &lt;script&gt;" in text


def test_write_report_unwritable(result, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="cannot write the report"):
        report.write_report(result, tmp_path / "file" / "r.html", figures={})


def test_scenario_in_words():
    words = report.scenario_in_words(T.baseline())
    assert words["What is negotiated"][2] == "Tartus naval base: withdrawal \u00b7 logistics only \u00b7 reduced lease \u00b7 full lease."
    turkey = words["Who is involved"][2]
    assert turkey.startswith("Turkey does not sit at the table but pulls on Syria (al-Sharaa government) "
                             "with leverage between 0.05 and 0.3 (uniform).")
    assert "Khmeimim air base 45%, Tartus naval base 40%" in turkey
    assert words["What may happen on the way"][0] == (
        "Western sanctions relief: between 0.5 and 8 months after the start, any time equally likely "
        "(Feb 2025 to Oct 2025), with probability 60%; "
        "it adds 0.1 to Syria (al-Sharaa government)'s outside option.")
    assert words["Questions asked of every run"][-2] == (
        "Deal by end of 2025: the talks end in agreement and by 31 December 2025.")
    assert words["Questions asked of every run"][-1] == (
        "Still talking on 31 Jan 2026: the talks are still going on (the status quo holds), as of 31 January 2026.")
    assert "Protocol: alternating offers, 24 rounds of 1 month from 01 February 2025" in words["How the talks run"][0]
    assert words["While the talks go on (status quo)"][0].startswith("Assad's extradition: shelter;")


@pytest.mark.parametrize("value, words", [
    (0.25, "0.25"),
    (Uniform(low=0.9, high=0.98), "between 0.9 and 0.98 (uniform)"),
    (Triangular(low=0.3, mode=0.6, high=1.2), "between 0.3 and 1.2, most likely 0.6"),
    (Normal(mean=0.7, sd=0.1, low=0, high=1), "about 0.7 \u00b1 0.1 (normal, kept within [0, 1])"),
    (Beta(a=2, b=2), "beta(2, 2) on [0, 1], mean 0.5"),
    (Integers(low=3, high=9), "a whole number from 3 to 9"),
    (Choice(values=[1, 2]), "one of 1, 2"),
    (Choice(values=[1, 2], weights=[3, 1]), "one of 1 (75%), 2 (25%)"),
])
def test_describe_param(value, words):
    assert report.describe_param(value) == words
