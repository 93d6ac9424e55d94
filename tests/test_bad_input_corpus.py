"""A corpus of bad input, hostile and degenerate: every case exits 2 with one located message, at once.

Each case is a command line, run in a fresh folder holding a small valid
scenario (``pie.yaml``) and the case's own files. Every case must:

- exit with code 2;
- print exactly one line on stderr, ``error: WHERE...``, where WHERE is
  ``FILE:LINE:`` when a line of a file is at fault (``FILE:`` when the file as
  a whole is: missing, a folder, too big), ``--set:`` or ``--OPTION:``;
- print no traceback;
- leave the folder exactly as it was (nothing written, nothing removed);
- end within a time limit: most cases run in this process with
  ``basesim.cli.main(argv)`` under an alarm (:data:`LIMIT`), a handful as real
  processes under ``subprocess.run(timeout=...)``.

The limits themselves (file size, nesting, aliases, extends depth, runs) are
those stated in the README.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from basesim.cli import main
from basesim.montecarlo.output import lock_path
from basesim.scenario.extends import MAX_EXTENDS_DEPTH
from basesim.scenario.yaml_source import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES

#: Seconds an in-process case may take (a hung case fails instead of hanging the suite).
LIMIT = 30
#: Seconds a case run as a real process may take (start-up included, on a busy machine).
PROCESS_LIMIT = 90

PIE = """\
name: pie
title: Two parties split a pie
issues:
  share: {label: Share to A, range: {min: 0, max: 100, steps: 11}, unit: "%"}
  side: {levels: [left, middle, right]}
status_quo: {share: 0, side: left}
actors:
  a:
    role: principal
    ideal_point: {share: 1.0, side: right}
    salience: {share: 1, side: 1}
    patience: 0.9
    power: 1.0
  b:
    role: principal
    ideal_point: {share: 0.0, side: left}
    salience: {share: 1, side: 1}
    patience: {dist: uniform, low: 0.85, high: 0.95}
    concession: 1.0
    outside_option: 0.0
events:
  shock:
    round: 2
    probability: 0.5
    add: {actors.a.patience: -0.05}
outcomes:
  deal: {result: agreement}
protocol: {name: alternating_offers, rounds: 6}
monte_carlo: {runs: 50, seed: 1}
"""


def edit(old: str, new: str, *, after: str | None = None) -> tuple[str, int]:
    """PIE with the first line equal to ``old`` (at or after the line ``after``) replaced; and its number."""
    lines = PIE.split("\n")
    start = 0 if after is None else lines.index(after)
    index = lines.index(old, start)
    lines[index] = new
    return "\n".join(lines), index + 1


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), start=1) if fragment in line)


@dataclass
class Case:
    """One bad input: the command line, the files it needs, and the message it must give."""

    id: str
    argv: list[str]
    where: str  # the message's start after "error: " (FILE:LINE:, FILE:, --set:, --out:, ...)
    says: str  # a part of the message that says what is wrong
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    process: bool = False  # run as a real process


def validate(name: str, content: str | bytes, where: str, says: str, **kw) -> Case:
    return Case(name, ["validate", "bad.yaml"], where, says, files={"bad.yaml": content}, **kw)


def bad_line(name: str, old: str, new: str, says: str, *, after: str | None = None, **kw) -> Case:
    text, line = edit(old, new, after=after)
    return validate(name, text, f"bad.yaml:{line}: ", says, **kw)


# --- hostile YAML -------------------------------------------------------------------------------------

BOMB = "".join(
    [f"a: &a [{', '.join(['lol'] * 9)}]\n"]
    + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")]
)  # 1.6 KB that would expand to 9^9 = 387,420,489 strings
DEEP_FLOW = "issues: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_MAPS = "issues: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"
DEEP_BLOCK = "".join(f"{'  ' * k}k{k}:\n" for k in range(200)) + f"{'  ' * 200}v\n"
CHAIN_FILES = {f"c{k}.yaml": f"extends: c{k + 1}.yaml\n" for k in range(999)} | {"c999.yaml": PIE}

HOSTILE = [
    validate("alias bomb (billion laughs)", BOMB, "bad.yaml:5: ", f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes"),
    validate("alias bomb, as a real process", BOMB, "bad.yaml:5: ", "aliases expand to more than", process=True),
    validate("an alias inside the list it names", "issues: &a [*a]\n", "bad.yaml:1: ",
             "the alias *a refers to a node it is inside (a cycle)"),
    validate("an alias inside the mapping it names", "name: x\nissues: &x {a: *x}\n", "bad.yaml:2: ",
             "the alias *x refers to a node it is inside"),
    validate("5,000 nested brackets", DEEP_FLOW, "bad.yaml:1: ", f"mappings and lists nest more than {MAX_DEPTH} deep"),
    validate("5,000 nested brackets, as a real process", DEEP_FLOW, "bad.yaml:1: ", "nest more than", process=True),
    validate("3,000 nested flow mappings", DEEP_MAPS, "bad.yaml:1: ", "nest more than"),
    validate("200 levels of indentation", DEEP_BLOCK, f"bad.yaml:{MAX_DEPTH}: ", "nest more than"),
    validate("a NUL byte", PIE.replace("title: Two", "title: Two\x00"), "bad.yaml:2: ",
             "the character U+0000 (NUL) at column 11"),
    validate("a NUL byte, as a real process", PIE.replace("title: Two", "title: Two\x00"), "bad.yaml:2: ",
             "U+0000 (NUL)", process=True),
    validate("a bell character", PIE.replace("name: pie", "name: p\x07ie"), "bad.yaml:1: ", "U+0007 (BEL)"),
    validate("an escape character", PIE.replace("unit: \"%\"", "unit: \"\x1b[31m\""), "bad.yaml:4: ", "U+001B (ESC)"),
    validate("bytes that are not UTF-8", PIE.encode().replace(b"Two parties", b"Two \xff\xfe parties"),
             "bad.yaml:2: ", "the byte 0xff at column 12 is not UTF-8 text"),
    validate("a UTF-16 file", PIE.encode("utf-16"), "bad.yaml:1: ", "the file is UTF-16 text; save it as UTF-8"),
    validate("binary garbage", bytes(range(256)) * 8, "bad.yaml:", "is not UTF-8 text"),
    validate("a file over the size limit", PIE + "#" * (MAX_FILE_BYTES + 1) + "\n", "bad.yaml: ",
             f"a scenario file may be at most {MAX_FILE_BYTES:,} bytes"),
    Case("a device that never ends", ["validate", "/dev/zero"], "/dev/zero: ", "the file is larger than that"),
    validate("an empty file", "", "bad.yaml:1: ", "the file is empty"),
    validate("only comments", "# nothing here\n# at all\n", "bad.yaml:1: ", "the file is empty"),
    validate("a list, not a mapping", "- issues\n- actors\n", "bad.yaml:1: ", "a scenario must be a mapping of keys"),
    validate("a bare word", "hello\n", "bad.yaml:1: ", "a scenario must be a mapping of keys"),
    validate("two documents", PIE + "---\nname: again\n", f"bad.yaml:{PIE.count(chr(10)) + 1}: ",
             "expected a single document"),
    validate("an undefined alias", PIE.replace("power: 1.0", "power: *nothing"), f"bad.yaml:{line_of(PIE, 'power')}: ",
             "found undefined alias 'nothing'"),
    validate("a tab for indentation", PIE.replace("    power: 1.0", "\tpower: 1.0"), f"bad.yaml:{line_of(PIE, 'power')}: ",
             "YAML indents with spaces, not tabs"),
    validate("an unclosed quote", PIE.replace('unit: "%"}', 'unit: "%}'), "bad.yaml:", "YAML syntax error"),
    validate("a Python object tag (never run)", PIE.replace("name: pie", "name: !!python/name:os.system ''"),
             "bad.yaml:1: ", "YAML error: could not determine a constructor for the tag"),
    validate("a duplicate key", PIE.replace("    power: 1.0", "    power: 1.0\n    power: 2.0"),
             f"bad.yaml:{line_of(PIE, 'power') + 1}: ", "actors.a.power: duplicate key 'power' (first written at line"),
    Case("a folder given as the file", ["validate", "folder.yaml"], "folder.yaml: ", "is a folder, not a scenario file",
         setup=lambda tmp: (tmp / "folder.yaml").mkdir()),
    Case("no such file", ["validate", "missing.yaml"], "missing.yaml: ", "no such file"),
]

# --- extends ------------------------------------------------------------------------------------------

EXTENDS = [
    Case("a cycle of extends", ["validate", "a.yaml"], "b.yaml:1: ", "makes a cycle of extends: a.yaml -> b.yaml -> a.yaml",
         files={"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"}),
    Case("a file that extends itself", ["validate", "a.yaml"], "a.yaml:2: ", "makes a cycle of extends",
         files={"a.yaml": "name: a\nextends: a.yaml\n"}),
    Case("extends a missing file", ["validate", "a.yaml"], "a.yaml:1: ", "extends: no such file 'gone.yaml'",
         files={"a.yaml": "extends: gone.yaml\n"}),
    Case("extends a folder", ["validate", "a.yaml"], "a.yaml:2: ", "extends: 'base' is a folder, not a scenario file",
         files={"a.yaml": "name: a\nextends: base\n"}, setup=lambda tmp: (tmp / "base").mkdir()),
    Case("a chain of 1,000 extends", ["validate", "c0.yaml"], f"c{MAX_EXTENDS_DEPTH - 1}.yaml:1: ",
         f"extends may be at most {MAX_EXTENDS_DEPTH} files deep", files=CHAIN_FILES),
    Case("a chain of 1,000 extends, as a real process", ["validate", "c0.yaml"], f"c{MAX_EXTENDS_DEPTH - 1}.yaml:1: ",
         "extends may be at most", files=CHAIN_FILES, process=True),
    Case("extends a list", ["validate", "a.yaml"], "a.yaml:1: ", "extends: must be a file name, got ['pie.yaml']",
         files={"a.yaml": "extends: [pie.yaml]\n"}),
    Case("extends an empty name", ["validate", "a.yaml"], "a.yaml:1: ", "extends: must be a file name, got ''",
         files={"a.yaml": "extends: ''\n"}),
    Case("extends a base over the size limit", ["validate", "a.yaml"], "a.yaml:1: ",
         "extends: 'big.yaml' cannot be used: the file is",
         files={"a.yaml": "extends: big.yaml\n", "big.yaml": PIE + "#" * MAX_FILE_BYTES + "\n"}),
    Case("extends a device", ["validate", "a.yaml"], "a.yaml:1: ", "extends: '/dev/zero' cannot be used",
         files={"a.yaml": "extends: /dev/zero\n"}),
    Case("extends a base with a NUL byte", ["validate", "a.yaml"], "base.yaml:2: ", "U+0000 (NUL)",
         files={"a.yaml": "extends: base.yaml\nname: a\n", "base.yaml": PIE.replace("title: Two", "title:\x00")}),
]

# --- numbers that are not numbers -------------------------------------------------------------------------

NON_FINITE = [
    bad_line("patience .nan", "    patience: 0.9", "    patience: .nan",
             "actors.a.patience: must be a finite number in (0, 1], got .nan"),
    bad_line("patience .NaN", "    patience: 0.9", "    patience: .NaN",
             "actors.a.patience: must be a finite number in (0, 1], got .nan"),
    bad_line("power .inf", "    power: 1.0", "    power: .inf", "actors.a.power: must be a finite number > 0, got .inf"),
    bad_line("concession .inf", "    concession: 1.0", "    concession: .inf",
             "actors.b.concession: must be a finite number > 0, got .inf"),
    bad_line("a number too large for a float", "    concession: 1.0", "    concession: 1.0e+400",
             "actors.b.concession: must be a finite number > 0, got .inf"),
    bad_line("outside option -.inf", "    outside_option: 0.0", "    outside_option: -.inf",
             "actors.b.outside_option: must be a finite number in [-1, 1], got -.inf"),
    bad_line("a salience of .nan", "    salience: {share: 1, side: 1}", "    salience: {share: .nan, side: 1}",
             "actors.a.salience.share: must be a finite number >= 0, got .nan"),
    bad_line("an ideal point of .nan", "    ideal_point: {share: 1.0, side: right}",
             "    ideal_point: {share: .nan, side: right}", "actors.a.ideal_point.share: must be a finite number in [0, 1]"),
    bad_line("a distribution's low of .nan", "    patience: {dist: uniform, low: 0.85, high: 0.95}",
             "    patience: {dist: uniform, low: .nan, high: 0.95}",
             "actors.b.patience.low: must be a finite number, got .nan (the distribution's values must be in (0, 1])"),
    bad_line("a normal's sd of .inf", "    patience: {dist: uniform, low: 0.85, high: 0.95}",
             "    patience: {dist: normal, mean: 0.9, sd: .inf, low: 0.8, high: 1}",
             "actors.b.patience.sd: must be a finite number > 0, got .inf"),
    bad_line("a normal's low of .inf", "    patience: {dist: uniform, low: 0.85, high: 0.95}",
             "    patience: {dist: normal, mean: 0.9, sd: 0.1, low: .inf, high: 1}",
             "actors.b.patience.low: must be a finite number (or -.inf for no bound), got .inf"),
    bad_line("a choice of .nan", "    patience: {dist: uniform, low: 0.85, high: 0.95}",
             "    patience: {dist: choice, values: [0.9, .nan]}", "actors.b.patience.values.1: must be a finite number"),
    bad_line("a range up to .inf", '  share: {label: Share to A, range: {min: 0, max: 100, steps: 11}, unit: "%"}',
             '  share: {label: Share to A, range: {min: 0, max: .inf, steps: 11}, unit: "%"}',
             "issues.share.range.max: must be a finite number, got .inf"),
    bad_line("a level value of .nan", "  side: {levels: [left, middle, right]}",
             "  side: {levels: [left, {label: middle, value: .nan}, right]}",
             "issues.side.levels.1.value: must be a finite number in [0, 1], got .nan"),
    bad_line("an event round of 1.5", "    round: 2", "    round: 1.5",
             "events.shock.round: must be a whole number of rounds (0, 1, 2, ...), got 1.5"),
    bad_line("an event round drawn from a uniform", "    round: 2", "    round: {dist: uniform, low: 1, high: 3}",
             "events.shock.round: rounds are whole numbers, but a uniform distribution draws fractions"),
    bad_line("an event change of .nan", "    add: {actors.a.patience: -0.05}", "    add: {actors.a.patience: .nan}",
             "events.shock.add.actors.a.patience: must be a finite number, got .nan"),
    bad_line("an event probability of .nan", "    probability: 0.5", "    probability: .nan",
             "events.shock.probability: must be a finite number in [0, 1], got .nan"),
    bad_line("runs of .inf", "monte_carlo: {runs: 50, seed: 1}", "monte_carlo: {runs: .inf, seed: 1}",
             "monte_carlo.runs: must be a whole number in [1, 1000000000], got .inf"),
    Case("--set patience=.nan under equilibrium (was: 0% agreement, exit 0)",
         ["run", "pie.yaml", "--protocol", "equilibrium", "--set", "actors.a.patience=.nan"], "--set: ",
         "actors.a.patience: must be a finite number in (0, 1], got .nan"),
    Case("--set power=.inf", ["run", "pie.yaml", "--set", "actors.a.power=.inf"], "--set: ",
         "actors.a.power: must be a finite number > 0, got .inf"),
    Case("--set a distribution with a .nan bound", ["show", "pie.yaml", "--set",
                                                    "actors.a.patience={dist: uniform, low: 0.8, high: .nan}"],
         "--set: ", "actors.a.patience.high: must be a finite number, got .nan"),
    Case("--set an event round of 2.5", ["trace", "pie.yaml", "--replicate", "1", "--set", "events.shock.round=2.5"],
         "--set: ", "events.shock.round: must be a whole number of rounds"),
    Case("sweep --param over .nan", ["sweep", "pie.yaml", "--param", "actors.a.patience=0.5:.nan:3"], "--param ",
         "START and STOP must be numbers"),
]

# --- sizes that cannot be played ------------------------------------------------------------------------

TEN_BY_TEN = "issues:\n" + "".join(f"  i{k}: {{levels: [{', '.join(f'l{j}' for j in range(10))}]}}\n" for k in range(10)) + (
    "status_quo: {" + ", ".join(f"i{k}: l0" for k in range(10)) + "}\n"
    "actors:\n"
    "  a: {role: principal, ideal_point: {i0: l9}, salience: {i0: 1}}\n"
    "  b: {role: principal, ideal_point: {i0: l0}, salience: {i0: 1}}\n"
)
MANY_LEVELS = PIE.replace("  side: {levels: [left, middle, right]}",
                          "  side: {levels: [left, middle, right, " + ", ".join(f"x{k}" for k in range(1000)) + "]}")


def listening_socket(tmp: Path) -> None:
    """A TCP port that accepts connections and never answers (a dask scheduler that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    _SOCKETS.append(server)
    (tmp / ".port").write_text(str(server.getsockname()[1]))


_SOCKETS: list[socket.socket] = []

SIZES = [
    validate("10 issues of 10 levels (10^10 outcomes)", TEN_BY_TEN, "bad.yaml:1: ",
             "issues: the outcome space has 10,000,000,000 outcomes (10 issues of 10 levels), which would need about"),
    validate("an issue of 1,003 levels", MANY_LEVELS, "bad.yaml:5: ", "issues.side.levels: must have at most 1001 items"),
    Case("--runs 10^12", ["run", "pie.yaml", "--runs", "1000000000000"], "--runs: ",
         "at most 1,000,000,000 runs, got 1,000,000,000,000"),
    Case("--runs 10^12, as a real process", ["run", "pie.yaml", "--runs", "1000000000000"], "--runs: ",
         "at most 1,000,000,000 runs", process=True),
    Case("--runs beyond what a table holds", ["run", "pie.yaml", "--runs", "20000000"], "--runs: ",
         "add --summary-only to keep only the summary"),
    Case("--max-runs 10^10", ["run", "pie.yaml", "--precision", "0.01", "--max-runs", "10000000000"], "--max-runs: ",
         "at most 1,000,000,000 runs"),
    Case("compare --runs 10^12", ["compare", "pie.yaml", "pie.yaml", "--runs", "1000000000000"], "--runs: ", "at most"),
    Case("sweep --runs 10^12", ["sweep", "pie.yaml", "--param", "actors.a.power=1,2", "--runs", "1000000000000"],
         "--runs: ", "at most 1,000,000,000 runs"),
    Case("sweep over 10^9 values", ["sweep", "pie.yaml", "--param", "actors.a.power=1:2:1000000000"],
         "--param ", "NUM may be at most 10,000"),
    Case("sweep over a grid of 10^6 points", ["sweep", "pie.yaml", "--param", "actors.a.power=1:2:1000",
                                              "--param", "actors.b.power=1:2:1000"], "--param: ",
         "the grid has 1,000,000 points"),
    Case("--out ''", ["run", "pie.yaml", "--out", ""], "--out: ", "give the results a folder of their own"),
    Case("--out .", ["run", "pie.yaml", "--out", "."], "--out: ", "give the results a folder of their own"),
    Case("--out the folder that holds this one", ["run", "pie.yaml", "--out", ".."], "--out: ",
         "is the current folder, one that holds it, or the home folder"),
    Case("sweep --out ''", ["sweep", "pie.yaml", "--param", "actors.a.power=1,2", "--out", ""], "--out: ",
         "give the results a folder of their own"),
    Case("a dask scheduler that does not answer", ["run", "pie.yaml", "--scheduler", "tcp://127.0.0.1:{port}"],
         "--scheduler: ", "cannot connect to a dask scheduler at 'tcp://127.0.0.1:", setup=listening_socket),
    Case("a dask scheduler that is not there", ["run", "pie.yaml", "--scheduler", "tcp://127.0.0.1:9"],
         "--scheduler: ", "cannot connect to a dask scheduler at 'tcp://127.0.0.1:9'"),
]

# --- --set values -------------------------------------------------------------------------------------------

OVERRIDES = [
    Case("--set an alias bomb", ["show", "pie.yaml", "--set", "name=" + BOMB.replace("\n", "\n")], "--set: ",
         "name: cannot read the value"),
    Case("--set 500 nested brackets", ["show", "pie.yaml", "--set", "actors.a.power=" + "[" * 500 + "]" * 500],
         "--set: ", f"mappings and lists nest more than {MAX_DEPTH} deep"),
    Case("--set a control character", ["show", "pie.yaml", "--set", "name=a\x07b"], "--set: ", "U+0007 (BEL)"),
    Case("--set a Dirichlet for one number", ["show", "pie.yaml", "--set",
                                              "actors.a.patience={dist: dirichlet, alpha: {share: 1}}"],
         "--set: ", "actors.a.patience: a dirichlet draws weights that sum to 1, so it is allowed only as a whole salience"),
    Case("--set without =", ["run", "pie.yaml", "--set", "nonsense"], "--set: ", "bad override 'nonsense'"),
    Case("--set a YAML syntax error", ["run", "pie.yaml", "--set", "actors.a.power=[1, 2"], "--set: ",
         "cannot read the value '[1, 2' as YAML"),
    Case("--set an unknown actor", ["run", "pie.yaml", "--set", "actors.c.power=2"], "--set: ",
         "actors.c.power: unknown actor 'c'; expected one of a, b"),
]

# --- output folders --------------------------------------------------------------------------------------------


def users_folder(tmp: Path) -> None:
    (tmp / "mine").mkdir()
    (tmp / "mine" / "summary.csv").write_text("my own numbers\n")


def hold_lock(tmp: Path) -> None:
    """Another process holds the lock of ./busy (as a run writing it would)."""
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, str(os.getpid()).encode()); print('held', flush=True); "
            "time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(lock_path(tmp / "busy"))], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "held"
    _HOLDERS.append(holder)


_HOLDERS: list[subprocess.Popen] = []

FOLDERS = [
    Case("run --out a folder basesim did not write", ["run", "pie.yaml", "--out", "mine"], "--out: ",
         "'mine' already holds files that basesim did not write (summary.csv); give a new folder, or --force",
         setup=users_folder),
    Case("sweep --out a folder basesim did not write", ["sweep", "pie.yaml", "--param", "actors.a.power=1,2",
                                                        "--out", "mine"], "--out: ", "did not write", setup=users_folder),
    Case("sensitivity --out a folder basesim did not write", ["sensitivity", "pie.yaml", "--out", "mine"], "--out: ",
         "did not write", setup=users_folder),
    Case("compare --out a folder basesim did not write", ["compare", "pie.yaml", "pie.yaml", "--out", "mine"],
         "--out: ", "did not write", setup=users_folder),
    Case("run --protocol all --out a folder basesim did not write", ["run", "pie.yaml", "--protocol", "all", "--out",
                                                                     "mine"], "--out: ", "did not write",
         setup=users_folder),
    Case("run --out a file", ["run", "pie.yaml", "--out", "pie.yaml"], "--out: ", "it is a file, not a folder"),
    Case("run --out inside a file", ["run", "pie.yaml", "--out", "pie.yaml/deeper"], "--out: ",
         "'pie.yaml' is a file, not a folder"),
    Case("run --out a folder another run is writing", ["run", "pie.yaml", "--out", "busy"], "--out: ",
         "'busy' is being written by another basesim command (process", setup=hold_lock),
    Case("run --out a folder another run is writing, as a real process", ["run", "pie.yaml", "--out", "busy"],
         "--out: ", "'busy' is being written by another basesim command (process", setup=hold_lock, process=True),
    Case("a results folder whose summary is damaged", ["trace", "damaged", "--replicate", "0"], "'damaged': ",
         "cannot read the summary or provenance", setup=lambda tmp: _damaged(tmp)),
]


def _damaged(tmp: Path) -> None:
    assert main(["run", str(tmp / "pie.yaml"), "--runs", "20", "--out", str(tmp / "damaged"), "--workers", "1",
                 "--no-figures", "--quiet"]) == 0
    (tmp / "damaged" / "summary.json").write_text("{not json")


# --- one message per mistake ----------------------------------------------------------------------------------

MESSAGES = [
    bad_line("a misspelt ideal-point issue (no knock-on message)", "    ideal_point: {share: 1.0, side: right}",
             "    ideal_point: {shares: 1.0, side: right}",
             "actors.a.ideal_point.shares: unknown issue 'shares' (did you mean 'share'?)"),
    bad_line("a Dirichlet for one number", "    patience: 0.9", "    patience: {dist: dirichlet, alpha: {share: 1}}",
             "actors.a.patience: a dirichlet draws weights that sum to 1, so it is allowed only as a whole salience"),
    bad_line("a misspelt key", "    patience: 0.9", "    patince: 0.9", "actors.a: unknown key 'patince' (did you mean 'patience'?)"),
    bad_line("a value out of range", "    patience: 0.9", "    patience: 1.5", "actors.a.patience: must be in (0, 1], got 1.5"),
    bad_line("an unknown distribution", "    patience: 0.9", "    patience: {dist: gauss, mean: 0.9}",
             "actors.a.patience: unknown distribution 'gauss'"),
    bad_line("an unknown level", "status_quo: {share: 0, side: left}", "status_quo: {share: 0, side: lefty}",
             "status_quo.side: 'lefty' is not a level of this issue (did you mean 'left'?)"),
    Case("an unknown protocol", ["run", "pie.yaml", "--protocol", "haggle"], "--protocol: ", "'haggle' is not a protocol"),
    Case("a negative --runs", ["run", "pie.yaml", "--runs", "-3"], "--runs: ", "must be a positive whole number, got -3"),
]

CASES = HOSTILE + EXTENDS + NON_FINITE + SIZES + OVERRIDES + FOLDERS + MESSAGES


def test_the_corpus_is_large_and_its_ids_distinct():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert sum(c.process for c in CASES) >= 6


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: kind, size and modification time (so any write or removal shows)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        out[str(path.relative_to(folder))] = (path.is_dir(), info.st_size if path.is_file() else 0, info.st_mtime_ns)
    return out


class CaseTimeout(BaseException):
    """An in-process case ran past :data:`LIMIT` (BaseException: no ``except Exception`` swallows it)."""


def _run_in_process(argv: list[str], capsys) -> tuple[int, str, str]:
    def expire(number, frame):
        raise CaseTimeout(f"still running after {LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        code = main(argv)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _run_as_process(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    completed = subprocess.run([sys.executable, "-m", "basesim", *argv], cwd=cwd, capture_output=True, text=True,
                               timeout=PROCESS_LIMIT, env={**os.environ, "COLUMNS": "200"})
    return completed.returncode, completed.stdout, completed.stderr


@pytest.fixture
def corpus_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pie.yaml").write_text(PIE, encoding="utf-8")
    yield tmp_path
    for holder in _HOLDERS:
        holder.kill()
        holder.wait()
    _HOLDERS.clear()
    for server in _SOCKETS:
        server.close()
    _SOCKETS.clear()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_located_message_and_writes_nothing(case, corpus_folder, capsys):
    for name, content in case.files.items():
        path = corpus_folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.setup is not None:
        case.setup(corpus_folder)
        capsys.readouterr()
    argv = [a.replace("{port}", (corpus_folder / ".port").read_text()) if "{port}" in a else a for a in case.argv]
    before = snapshot(corpus_folder)
    if case.process:
        code, out, err = _run_as_process(argv, corpus_folder)
    else:
        code, out, err = _run_in_process(argv, capsys)
    assert "Traceback" not in out + err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {case.where}"), lines[0]
    assert case.says in lines[0], lines[0]
    assert snapshot(corpus_folder) == before, "the command changed the folder"
    assert not (corpus_folder / "pwned").exists()


# --- what still works ---------------------------------------------------------------------------------------------


def test_an_unbounded_normal_round_trips_through_show(tmp_path, capsys):
    """-.inf and .inf are a normal's 'no bound' (what ``show`` writes back), not a bad number."""
    text = PIE.replace("    add: {actors.a.patience: -0.05}",
                       "    add: {actors.a.patience: {dist: normal, mean: -0.05, sd: 0.01}}")
    (tmp_path / "open.yaml").write_text(text)
    assert main(["show", str(tmp_path / "open.yaml")]) == 0
    shown = capsys.readouterr().out
    assert "low: -.inf" in shown and "high: .inf" in shown
    (tmp_path / "again.yaml").write_text(shown)
    assert main(["validate", str(tmp_path / "again.yaml")]) == 0


def test_aliases_within_the_budget_still_work(tmp_path, capsys):
    text = PIE.replace("    salience: {share: 1, side: 1}\n    patience: 0.9",
                       "    salience: &weights {share: 1, side: 1}\n    patience: 0.9", 1)
    text = text.replace("    salience: {share: 1, side: 1}", "    salience: *weights")
    (tmp_path / "alias.yaml").write_text(text)
    assert main(["validate", str(tmp_path / "alias.yaml")]) == 0, capsys.readouterr().err


def test_the_largest_file_allowed_is_read(tmp_path, capsys):
    text = PIE + "#" * (MAX_FILE_BYTES - len(PIE.encode()) - 1) + "\n"
    assert len(text.encode()) == MAX_FILE_BYTES
    (tmp_path / "large.yaml").write_text(text)
    assert main(["validate", str(tmp_path / "large.yaml")]) == 0, capsys.readouterr().err
