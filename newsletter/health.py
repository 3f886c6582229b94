"""Heartbeats: how /healthz tells a stuck or dead writer or outbox worker.

The writer and the worker note the time each time they go round their loop
(at least every second or so) in a small memory map that `serve` creates
before it forks, so every process shares it. A web process answering
/healthz reads those times: a process that has not gone round its loop for
NEWSLETTER_STUCK_SECONDS is stuck, one whose time the supervisor wiped when
it exited is dead (until its replacement goes round its loop once).

The times come from CLOCK_MONOTONIC, which all processes share and which
never jumps with the wall clock.
"""

import mmap
import time

ROLES = ("writer", "outbox")
NAMES = {"writer": "writer", "outbox": "outbox worker"}


class Heartbeats:
    def __init__(self):
        self._map = mmap.mmap(-1, 8 * len(ROLES))  # anonymous, shared with forked children
        self._times = memoryview(self._map).cast("d")
        now = time.monotonic()
        for slot in range(len(ROLES)):
            self._times[slot] = now  # starting: as good as a first beat

    def beater(self, role):
        """A function of no arguments that beats for `role`."""
        slot = ROLES.index(role)
        times = self._times
        return lambda: times.__setitem__(slot, time.monotonic())

    def dead(self, role):
        """The supervisor saw `role`'s process exit."""
        self._times[ROLES.index(role)] = 0.0

    def problems(self, roles, stuck_after, now=None):
        """One line per watched role that is dead or stuck; empty when all is well."""
        now = time.monotonic() if now is None else now
        found = []
        for role in roles:
            last = self._times[ROLES.index(role)]
            if last == 0.0:
                found.append(f"{NAMES[role]}: not running")
            elif now - last > stuck_after:
                found.append(f"{NAMES[role]}: no sign of life for {now - last:.0f} s")
        return found
