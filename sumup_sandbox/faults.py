"""Network faults between us and SumUp that tests arrange, reproduced for real over HTTP.

SumUp can accept a request and fail to deliver its answer (a timeout, a dropped connection),
or never receive it at all; and SumUp can be down. The sandbox does (or skips) the work and
then holds the answer back longer than our client waits, or answers 503. State is per process,
like the live test server that serves the sandbox.
"""

import threading

_lock = threading.Lock()
_state = {
    "refund_answers_lost": 0,
    "refund_requests_lost": 0,
    "down_after_lost_answer": False,
    "down": False,
    "throttled": 0,
}
# What the API was asked, by (method, view name): tests that bound our calls to SumUp read it.
_calls = {}


def lose_refund_answers(count=1, *, then_go_down=False):
    """The next `count` refunds are made, but their answers never reach the caller in time.

    With `then_go_down`, SumUp stops answering anything (503) once the answer is lost, until
    `come_back()`.
    """
    with _lock:
        _state.update(refund_answers_lost=count, down_after_lost_answer=then_go_down)


def lose_refund_requests(count=1):
    """The next `count` refund requests never reach SumUp: no refund, and no answer in time."""
    with _lock:
        _state["refund_requests_lost"] = count


def throttle(count=1):
    """The next `count` API requests are answered 429 Too Many Requests, as SumUp's rate limit does."""
    with _lock:
        _state["throttled"] = count


def count_call(method, view_name):
    with _lock:
        _calls[(method, view_name)] = _calls.get((method, view_name), 0) + 1


def calls(method, view_name):
    """How many times the API was asked `method` on `view_name` since the last reset."""
    with _lock:
        return _calls.get((method, view_name), 0)


def come_back():
    with _lock:
        _state["down"] = False


def is_down():
    with _lock:
        return _state["down"]


def take(kind):
    """Should this request meet the fault `kind`? Consumes one arranged fault."""
    with _lock:
        if _state.get(kind, 0) > 0:
            _state[kind] -= 1
            if kind == "refund_answers_lost" and _state["down_after_lost_answer"]:
                _state["down"] = True
            return True
    return False


def reset():
    with _lock:
        _state.update(
            refund_answers_lost=0,
            refund_requests_lost=0,
            down_after_lost_answer=False,
            down=False,
            throttled=0,
        )
        _calls.clear()
