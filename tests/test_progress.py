"""Progress off a terminal: plain lines, the first, the last and one per interval, with
elapsed time and ETA; stage lines with their time."""

from __future__ import annotations

import itertools
import re

from dglgene import progress as progress_module
from dglgene.progress import PREFIX, Stages, clock, progress


def test_off_a_terminal_lines_come_first_last_and_once_per_interval(capsys,
                                                                     monkeypatch) -> None:
    ticks = itertools.count(step=3.0)  # every item takes 3 s
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(ticks))
    assert list(progress(range(12), "work")) == list(range(12))
    lines = capsys.readouterr().err.splitlines()
    assert all(line.startswith(PREFIX + "work | ") for line in lines)
    done = [int(re.search(r"\| (\d+)/12 ", line)[1]) for line in lines]
    # the first; then whenever 10 s passed since the last line (4 items of 3 s); the last
    assert done == [1, 5, 9, 12]
    assert lines[1] == f"{PREFIX}work | 5/12 (41%) | 15.0 s elapsed | ETA 21.0 s"


def test_a_loop_of_unknown_length_counts_without_eta(capsys, monkeypatch) -> None:
    ticks = itertools.count(step=20.0)
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(ticks))
    list(progress(iter("abc"), "letters"))
    assert capsys.readouterr().err.splitlines() == [
        f"{PREFIX}letters | 1 | 20.0 s elapsed", f"{PREFIX}letters | 2 | 40.0 s elapsed",
        f"{PREFIX}letters | 3 | 0:01:00 elapsed"]


def test_stages_add_up_and_say_when_each_ends(capsys, monkeypatch) -> None:
    ticks = iter([0.0, 2.0, 10.0, 100.0, 200.0, 201.5])
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(ticks))
    stages = Stages()
    for name in ("graphs", "training", "graphs"):
        with stages(name):
            pass
    assert stages.seconds == {"graphs": 3.5, "training": 90.0}
    assert capsys.readouterr().err.splitlines() == [
        f"{PREFIX}graphs done in 2.0 s", f"{PREFIX}training done in 0:01:30",
        f"{PREFIX}graphs done in 1.5 s"]
    assert stages.summary() == "graphs 3.5 s, training 0:01:30"
    assert clock(59.96) == "0:01:00" and clock(3600) == "1:00:00"
