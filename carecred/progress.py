"""Progress bars for the long commands: drawn on standard error when it is a terminal, silent otherwise."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int], None]


@contextmanager
def progress_bar(label: str, total: int | None, *, console: Console | None = None) -> Iterator[Advance]:
    """A bar counting to ``total`` (None: unknown); yields ``advance(n)``. Quiet when stderr is no terminal.

    When the work ends without an exception the bar shows it complete, even if ``total`` was an estimate.
    """
    console = console or Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(),
        console=console, disable=not console.is_terminal, transient=False,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
        if total is not None:
            bar.update(task, completed=total)
