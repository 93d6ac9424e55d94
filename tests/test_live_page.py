"""The live what-if page in a real browser: Playwright driving headless Chromium (Debian's ``chromium``).

``basesim app`` is started as a user starts it (a process, ``--port 0``); the
test loads the page, checks its numbers against the same run from the API,
moves Turkey's leverage slider and checks the new numbers against the API run
of the value the page then shows, types a bad value (the command line's
message appears, the server lives on), steps the negotiation, and writes the
what-if file, whose ``basesim run`` gives the page's numbers.

``.ci/run`` installs Chromium when it is missing; elsewhere the test is
skipped without it (set ``BASESIM_CHROMIUM`` to another executable).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from basesim.cli import main
from basesim.montecarlo.runner import run
from basesim.scenario.loader import load_scenario, with_overrides
from basesim.views import whatif

pytest.importorskip("solara")
playwright_api = pytest.importorskip("playwright.sync_api")
from basesim.views.live import input_class  # noqa: E402 (needs solara)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
CHROMIUM = os.environ.get("BASESIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: Chromium's flags for a machine with no display and a closed network (no background connections).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RUNS, SEED = 2000, 77
LEVERAGE = "actors.turkey.leverage.syria"
TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (.ci/run installs it)"),
              pytest.mark.xdist_group("browser")]  # one server and page for the module, its tests in order


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``basesim app baseline.yaml --port 0`` on a copy of the baseline in a folder of its own; yields its URL."""
    folder = tmp_path_factory.mktemp("app")
    scenario = shutil.copy(BASELINE, folder / BASELINE.name)  # a what-if is written beside it by default: not here
    process = subprocess.Popen([sys.executable, "-m", "basesim", "app", str(scenario), "--port", "0",
                                "--runs", str(RUNS), "--seed", str(SEED)], cwd=folder, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + 180
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"is at (http://127\.0\.0\.1:\d+/)", line)
        url = found.group(1) if found else None
    if url is None:
        process.kill()
        pytest.fail("basesim app did not say its address:\n" + "".join(lines))
    yield {"url": url, "folder": folder, "process": process}
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("basesim app did not stop on Ctrl-C")
    rest = process.stdout.read()
    assert "basesim app stopped." in rest, rest
    assert "Traceback" not in "".join(lines) + rest, "".join(lines) + rest


@pytest.fixture(scope="module")
def page(server):
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server["url"])
        page.wait_for_selector("#status[data-update='1'][data-complete='true']")
        yield page
        browser.close()


def _table(page) -> dict[str, int]:
    """The page's counts, by row (``result.agreement``, ``outcome.deal_2025``, ...)."""
    rows = page.locator("#numbers tr[data-name]")
    return {rows.nth(i).get_attribute("data-name"): int(rows.nth(i).locator("td.count").inner_text().replace(",", ""))
            for i in range(rows.count())}


def _counts(scenario) -> dict[str, int]:
    """The same counts from the API: ``basesim.run`` of the scenario with the page's runs and seed."""
    table = run(scenario, runs=RUNS, seed=SEED, workers=1).summary.table
    rows = table[table["kind"].isin(["result", "outcome"])]
    return {f"{r.kind}.{r.value if r.kind == 'result' else r.name}": int(r.count) for r in rows.itertuples()}


def _wait_for_update(page, number: int) -> None:
    page.wait_for_selector(f"#status[data-update='{number}']")


def _update(page) -> int:
    return int(page.get_attribute("#status", "data-update"))


def _box(page, path: str):
    return page.locator(f".{input_class(path)} input[type=text]")


def test_the_first_page_shows_the_scenario_as_the_api_runs_it(page):
    baseline = load_scenario(BASELINE)
    assert _table(page) == _counts(baseline)
    status = page.inner_text("#status")
    assert f"{RUNS:,} runs, seed {SEED}" in status and "the scenario as written" in status
    label = page.locator(f".{input_class(LEVERAGE)} .bs-input-label")
    assert label.inner_text() == "Turkey's leverage over Syria"
    label.hover()  # the input's path and source, on hover
    tip = page.locator(".v-tooltip__content", has_text=LEVERAGE)
    tip.wait_for()
    assert f"source: {baseline.source_of(LEVERAGE)}" in " ".join(tip.inner_text().split())
    assert _box(page, LEVERAGE).input_value() == "{dist: uniform, low: 0.05, high: 0.3}"
    for name in ("timing", "results", "outcomes", "levels"):
        assert page.locator(f".bs-figure-{name}").count() == 1, name


def test_moving_a_slider_gives_the_apis_numbers_for_the_new_value(page):
    baseline = load_scenario(BASELINE)
    before = _table(page)
    number = _update(page)
    upper = page.locator(f".{input_class(LEVERAGE)} [role=slider]").nth(1)
    upper.focus()
    for _ in range(25):  # the upper end from 0.30 to 0.55, the slider's end
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "name => document.querySelector(`.${name} input[type=text]`).value.includes('high: 0.55')",
        arg=input_class(LEVERAGE))
    page.wait_for_function(
        "n => { const s = document.querySelector('#status'); return s && +s.dataset.update > n && "
        "s.dataset.pending === 'false' && s.dataset.complete === 'true'; }", arg=number)
    text = _box(page, LEVERAGE).input_value()
    assert text == "{dist: uniform, low: 0.05, high: 0.55}"
    moved = with_overrides(baseline, {LEVERAGE: whatif.parse_value(LEVERAGE, text)})
    after = _table(page)
    assert after == _counts(moved)
    assert after != before
    assert "1 input changed" in page.inner_text("#status")
    command = page.inner_text("#command")
    assert f"--set '{LEVERAGE}={text}'" in command and f"--seed {SEED}" in command


def test_a_bad_value_gets_the_command_lines_message_and_the_server_lives_on(page, tmp_path, capsys):
    number = _update(page)
    before = _table(page)
    box = _box(page, LEVERAGE)
    box.fill("1.5")
    box.press("Enter")
    error = page.locator(".bs-input-error")
    error.wait_for()
    code = main(["run", str(BASELINE), "--runs", "10", "--set", f"{LEVERAGE}=1.5", "--out", str(tmp_path / "no")])
    assert code == 2
    assert error.inner_text().strip() == capsys.readouterr().err.strip() == \
        f"error: --set: {LEVERAGE}: must be in [0, 1], got 1.5"
    assert _update(page) == number and _table(page) == before  # nothing was recomputed
    box.fill("{dist: uniform, low: 0.05, high: 0.4}")  # a good value clears the message and is run
    box.press("Enter")
    _wait_for_update(page, number + 1)
    assert page.locator(".bs-input-error").count() == 0


def test_the_negotiation_steps_round_by_round(page):
    page.wait_for_selector("#round")
    assert page.get_attribute("#round", "data-round") == "0"
    rounds = int(page.get_attribute("#round", "data-rounds"))
    assert rounds > 1
    page.locator(".bs-next").click()
    page.wait_for_selector("#round[data-round='1']")
    page.locator(".bs-figure-negotiation").wait_for()  # the utility plane, drawn after the round's table
    page.locator(".bs-previous").click()
    page.wait_for_selector("#round[data-round='0']")


def test_the_saved_what_if_reproduces_the_pages_numbers_from_the_command_line(page, server, capsys):
    page.wait_for_function("() => document.querySelector('#status').dataset.pending === 'false'")
    shown = _table(page)
    target = server["folder"] / "baseline-turkey.yaml"
    field = page.locator(".bs-save-file input")
    field.fill(str(target))
    field.press("Enter")
    page.wait_for_selector(f".bs-save-target:text-is('{target.as_posix()}')")  # the page has the name
    page.locator(".bs-save").click()
    page.wait_for_selector(".bs-saved")
    assert f"Wrote {target.as_posix()}" in page.inner_text(".bs-saved")
    text = target.read_text()
    assert text.startswith(whatif.MARKER) and "extends:" in text
    capsys.readouterr()
    assert main(["run", str(target), "--json", "--no-figures", "--out", str(server["folder"] / "out")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["runs"] == RUNS and printed["seed"] == SEED
    counts = {f"{r['kind']}.{r['value'] if r['kind'] == 'result' else r['name']}": r["count"]
              for r in printed["summary"] if r["kind"] in ("result", "outcome")}
    assert counts == shown


def test_choosing_a_protocol_gives_the_apis_numbers_under_it(page):
    baseline = load_scenario(BASELINE)
    number = _update(page)
    page.locator(".bs-protocol").click()
    page.locator(".v-menu__content .v-list-item", has_text="nash").click()
    page.wait_for_function(
        "n => { const s = document.querySelector('#status'); return s && +s.dataset.update > n && "
        "s.dataset.pending === 'false'; }", arg=number)
    assert "protocol nash" in page.inner_text("#status")
    text = _box(page, LEVERAGE).input_value()
    under_nash = with_overrides(baseline, {LEVERAGE: whatif.parse_value(LEVERAGE, text), "protocol.name": "nash"})
    assert _table(page) == _counts(under_nash)
    assert "--set protocol.name=nash" in page.inner_text("#command")
    page.wait_for_selector("#status[data-complete='true'][data-pending='false']")  # quiet before the page closes
