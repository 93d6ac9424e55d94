"""How fast the live what-if page answers, measured in a real browser; and the README's screenshots of it.

Starts ``basesim app SCENARIO --port 0`` as a user would, opens the page in
headless Chromium (Playwright, Debian's ``chromium``), then moves Turkey's
leverage slider (its upper end, one step per change, waiting for each answer,
the negotiation panel included, as a user looks before moving again) and
times, from the key press to the page showing it:

- ``numbers``: the new table of results and named outcomes;
- ``first figure``: the states over calendar time;
- ``all figures``: every figure of the update.

It then presses the key ``--burst`` times without waiting (a user dragging a
slider) and checks that only the last change is shown and how long after the
last press. Figures go to stdout as a Markdown table; ``--screenshots DIR``
writes ``app-page.png`` (the page after a change) and ``app-negotiation.png``
(one negotiation, stepped to a later round).

    python3 experiments/live_page.py scenarios/baseline.yaml --changes 8 --screenshots docs/readme/figures
    python3 experiments/live_page.py --input actors.russia.salience --slider 2   # Russia's weight on Tartus

The target (issue 17): the page updates within 1 s of a change for the
baseline on 2 cores, with the run count stated.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from basesim.views.live import input_class

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start(scenario: str, runs: int | None) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "basesim", "app", scenario, "--port", "0"]
    if runs:
        command += ["--runs", str(runs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    for line in process.stdout:
        found = re.search(r"is at (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return process, found.group(1)
    raise SystemExit("basesim app did not start")


def wait_for(page, number: int, what: str) -> None:
    """Wait until update ``number`` shows ``what`` (numbers, first figure, all figures)."""
    condition = {
        "numbers": "s && +s.dataset.update >= n",
        "first figure": "s && +s.dataset.update >= n && document.querySelector('.bs-figure-timing')",
        "all figures": "s && +s.dataset.update >= n && s.dataset.complete === 'true'",
    }[what]
    page.wait_for_function(f"n => {{ const s = document.querySelector('#status'); return {condition}; }}",
                           arg=number, timeout=120_000, polling=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--runs", type=int, default=None, help="runs per update (default: the page's)")
    parser.add_argument("--input", default="actors.turkey.leverage.syria",
                        help="the input whose slider moves (a Dirichlet's: --slider picks the issue)")
    parser.add_argument("--slider", type=int, default=None,
                        help="which of the input's sliders moves (default: a range's two ends in turn)")
    parser.add_argument("--changes", type=int, default=8)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    chromium = os.environ.get("BASESIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    process, url = start(args.scenario, args.runs)
    timings: dict[str, list[float]] = {"numbers": [], "first figure": [], "all figures": []}
    sliders = f".{input_class(args.input)} [role=slider]"
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1150})
            page.goto(url)
            wait_for(page, 1, "all figures")
            status = page.inner_text("#status")
            runs = re.search(r"([\d,]+) runs", status).group(1)
            for change in range(args.changes):
                number = int(page.get_attribute("#status", "data-update")) + 1
                which = args.slider if args.slider is not None else (1 if change % 2 == 0 else 0)
                page.locator(sliders).nth(which).focus()
                pressed = time.perf_counter()
                page.keyboard.press("ArrowRight")
                for what in timings:
                    wait_for(page, number, what)
                    timings[what].append(time.perf_counter() - pressed)
                # a user looks before moving again: wait until the negotiation of this update is drawn too
                page.wait_for_selector(f"#round[data-update='{number}'][data-drawn='true']", timeout=120_000)
            # a drag: many changes at once; only the last is computed to the end
            number = int(page.get_attribute("#status", "data-update"))
            page.locator(sliders).nth(args.slider if args.slider is not None else 1).focus()
            for _ in range(args.burst):
                page.keyboard.press("ArrowRight")
            last = time.perf_counter()
            wait_for(page, number + 1, "numbers")
            page.wait_for_function("() => document.querySelector('#status').dataset.pending === 'false' && "
                                   "document.querySelector('#status').dataset.complete === 'true'", timeout=120_000)
            burst = time.perf_counter() - last
            shown = int(page.get_attribute("#status", "data-update"))
            box = page.locator(f".{input_class(args.input)} input[type=text]").input_value()
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.screenshots / "app-page.png"))
                page.locator("#round").scroll_into_view_if_needed()
                for _ in range(6):
                    page.locator(".bs-next").click()
                page.wait_for_selector("#round[data-round='6']")
                page.wait_for_timeout(1500)  # the utility plane of round 6 is drawn after its table
                page.locator(".bs-figure-negotiation").scroll_into_view_if_needed()
                page.screenshot(path=str(args.screenshots / "app-negotiation.png"))
            browser.close()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=20)
    print(f"{args.scenario}, {runs} runs per update, {os.cpu_count()} cores, {args.changes} changes of {args.input} "
          "(from the key press to the page showing it):\n")
    print("| shown | median s | max s |\n|---|---|---|")
    for what, seconds in timings.items():
        print(f"| {what} | {statistics.median(seconds):.2f} | {max(seconds):.2f} |")
    print(f"\nA drag of {args.burst} steps: update {shown} showed the last value ({box}), complete "
          f"{burst:.2f} s after the last step ({shown - number} update(s) asked for {args.burst} steps; the stale ones stop "
          "between batches and are never shown).")


if __name__ == "__main__":
    main()
