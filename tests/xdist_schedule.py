"""The parallel run's scheduler (pytest-xdist, `--dist loadgroup`): the long units first, each on a worker of
its own, the other tests on whichever worker is free.

tests/conftest.py sorts the collection (the long units first, longest first) and names each long unit an
xdist group `whole-guide-NN` (the built cluster's tests together are one; each other whole-guide test is
one). Here, in the controller:
- at the start every worker but one gets one long unit (the longest first) as long as there are some,
  then one ordinary test, since a worker only starts a test once it holds the next one; the last worker
  takes ordinary tests from the start (they need the CPU the labs leave while they wait);
- a worker that asks for more (two tests or fewer left) gets the next long unit if it holds none and
  fewer than all workers but one hold one, else the next ordinary test: a long unit never waits behind
  another on one worker while an ordinary test could go there instead;
- groups stay whole on one worker, as with loadgroup (the built cluster is built once).
Lab tests mostly wait on Pacemaker's and Corosync's timers, so the long ones overlap well; the ordinary
tests fill the CPU meanwhile.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

LONG = "whole-guide-"


class LongestFirstScheduling(LoadGroupScheduling):
    """loadgroup, with the long units (groups named whole-guide-NN) started first on workers of their own."""

    def _is_long(self, scope: str) -> bool:
        return scope.startswith(LONG)

    def _holds_long(self, node: WorkerController) -> bool:
        return any(self._is_long(scope) and not all(unit.values())
                   for scope, unit in self.assigned_work.get(node, {}).items())

    def _wants_long(self, node: WorkerController) -> bool:
        """A long unit next for `node`: it holds none, and one worker (of two or more) is left for the rest."""
        busy = sum(1 for other in self.nodes if self._holds_long(other))
        return not self._holds_long(node) and busy < max(1, len(self.nodes) - 1)

    def _take(self, node: WorkerController, long_first: bool) -> bool:
        """Give `node` one unit (a long one when `long_first` and there is one); False when none is left."""
        scopes = list(self.workqueue)
        long = [s for s in scopes if self._is_long(s)]
        short = [s for s in scopes if not self._is_long(s)]
        pick = (long or short) if long_first else (short or long)
        if not pick:
            return False
        scope = pick[0]
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])
        return True

    def _reschedule(self, node: WorkerController) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) > 2:
            return
        self._take(node, long_first=self._wants_long(node))

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self._reschedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        if not self.collection:
            return
        for nodeid in self.collection:  # collection order: conftest put the long units first, longest first
            self.workqueue.setdefault(self._split_scope(nodeid), {})[nodeid] = False
        for node in self.nodes:  # one long unit each, as far as they go, on all workers but one
            if not any(self._is_long(s) for s in self.workqueue) or not self._wants_long(node):
                break
            self._take(node, long_first=True)
        for node in self.nodes:  # then ordinary tests, so that every worker starts
            while self.workqueue and self._pending_of(self.assigned_work[node]) < 2:
                if not self._take(node, long_first=self._wants_long(node)):
                    break
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LongestFirstScheduling | None:
    """Ours for --dist loadgroup (xdist's own hook comes last, for every other --dist)."""
    if config.getoption("dist") != "loadgroup":
        return None
    return LongestFirstScheduling(config, log)
