"""The generic cell rate algorithm, in Python (the memory backend); ``scripts.GCRA_ACQUIRE`` is the same
in Lua. Keep the two in step.

A cell holds one number, its theoretical arrival time (TAT): the moment it would be full again.
With interval ``T = period / limit`` and room for ``burst`` units, a cost of ``n`` units fits at
``now`` when ``max(TAT, now) + n*T - burst*T <= now``; taking it moves the TAT to ``max(TAT, now) + n*T``.
So at most ``burst`` units pass at once, and then one per ``T``: no window edges to burst across.

Times are epoch floats, whose rounding (a quarter of a microsecond, at today's epoch) adds up over
a burst; so comparisons allow ``tolerance(T)``: a millisecond, or half an interval if that is less.
The long-run rate is unchanged (the TAT always moves on by whole intervals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from trueport.state.protocols import Cell, CellState


def tolerance(interval_s: float) -> float:
    return min(interval_s / 2, 0.001)


def acquire(
    cells: Sequence[Cell], tats: Sequence[float | None], cost: int, now: float
) -> tuple[int | None, tuple[CellState, ...], tuple[float, ...]]:
    """(index of the first cell without room or None, each cell's state, the TATs to store if admitted)."""
    refused: int | None = None
    starts: list[float] = []
    ends: list[float] = []
    for index, (cell, stored) in enumerate(zip(cells, tats, strict=True)):
        start = now if stored is None or stored < now else stored
        end = start + cost * cell.interval_s
        if end - cell.burst * cell.interval_s - now > tolerance(cell.interval_s) and refused is None:
            refused = index
        starts.append(start)
        ends.append(end)
    states = []
    for cell, start, end in zip(cells, starts, ends, strict=True):
        interval = cell.interval_s
        slack = tolerance(interval)
        tat = end if refused is None else start
        room = cell.burst - (tat - now - slack) / interval
        retry = 0.0 if refused is None else max(0.0, end - cell.burst * interval - now - slack)
        states.append(CellState(max(0, math.floor(room)), max(0.0, tat - now), retry))
    return refused, tuple(states), tuple(ends)


def adjust(cell: Cell, stored: float | None, delta: int, now: float) -> float:
    """The TAT after taking ``delta`` more units (negative: giving them back); ``<= now`` means full."""
    start = now if stored is None or stored < now else stored
    return max(start + delta * cell.interval_s, now)
