"""The parallel run's scheduler (tests/xdist_schedule.py) on xdist's own scheduling code: the long units
(whole-guide-NN groups) start first, one per worker, longest first; the others fill in; a long unit never
queues behind another on one worker while ordinary tests are left. Workers here record what they are sent."""

from __future__ import annotations

from xdist_schedule import LongestFirstScheduling


class Config:
    """What xdist's scheduler reads of pytest's configuration: three workers."""

    def getvalue(self, name: str) -> object:
        return {"tx": ["3*popen"]}[name]


class Worker:
    """A pytest-xdist worker as the scheduler sees it: test indexes sent to it, its shutdown."""

    def __init__(self, name: str) -> None:
        self.name, self.sent, self.shutting_down = name, [], False
        self.gateway = type("Gateway", (), {"id": name})()

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent += indexes

    def shutdown(self) -> None:
        self.shutting_down = True


COLLECTION = ["tests/test_e2e.py::a@whole-guide-01", "tests/test_e2e.py::b@whole-guide-01",
              "tests/test_e2e.py::c@whole-guide-01", "tests/test_faults.py::kills@whole-guide-02",
              "tests/test_ansible_lab.py::playbook@whole-guide-03", "tests/test_e2e_app.py::app@whole-guide-04",
              *(f"tests/test_x.py::t{n}" for n in range(6))]


def names(worker: Worker) -> list[str]:
    return [COLLECTION[i].split("::")[1] for i in worker.sent]


def scheduled() -> tuple[LongestFirstScheduling, list[Worker]]:
    sched = LongestFirstScheduling(Config())  # type: ignore[arg-type]
    workers = [Worker(f"gw{n}") for n in range(3)]
    for w in workers:
        sched.add_node(w)  # type: ignore[arg-type]
        sched.add_node_collection(w, COLLECTION)  # type: ignore[arg-type]
    sched.schedule()
    return sched, workers


def done(sched: LongestFirstScheduling, worker: Worker, test: str) -> None:
    index = next(i for i, nodeid in enumerate(COLLECTION) if nodeid.split("::")[1].split("@")[0] == test)
    sched.mark_test_complete(worker, index)  # type: ignore[arg-type]


def test_all_workers_but_one_start_with_a_long_unit_longest_first_the_last_with_ordinary_tests() -> None:
    _, (w0, w1, w2) = scheduled()
    assert names(w0) == ["a@whole-guide-01", "b@whole-guide-01", "c@whole-guide-01"]  # a group stays whole
    assert names(w1) == ["kills@whole-guide-02", "t0"]  # a worker starts a test once it holds the next one
    assert names(w2) == ["t1", "t2"]  # the CPU the labs leave while they wait


def test_the_next_long_unit_goes_where_none_runs_and_ordinary_tests_where_one_does() -> None:
    sched, (w0, w1, w2) = scheduled()
    done(sched, w2, "t1")  # two workers hold a long unit: the third keeps to ordinary tests
    assert names(w2)[2:] == ["t3"]
    done(sched, w1, "kills")  # w1 holds no long unit any more: the next long one goes there
    assert names(w1)[2:] == ["playbook@whole-guide-03"]
    done(sched, w0, "a")  # two of its group left: one more queued behind them, an ordinary test
    done(sched, w0, "b")
    assert names(w0)[3:] == ["t4", "t5"]
    done(sched, w1, "t0")  # only a long unit is left: it goes to a worker that holds one rather than wait
    assert names(w1)[3:] == ["app@whole-guide-04"]
    for w, test in ((w0, "c"), (w2, "t2"), (w1, "playbook")):
        done(sched, w, test)
    assert sorted(n for w in (w0, w1, w2) for n in names(w)) == sorted(n.split("::")[1] for n in COLLECTION)
    assert not sched.workqueue and all(w.shutting_down for w in (w0, w1, w2))
