"""The race harness: run one function from many threads at the same instant, against PostgreSQL.

Races are closed in the database (docs/data-model.md), so the tests that prove it run real
threads, each with its own database connection, released together by a barrier. Use it from a
``@pytest.mark.django_db(transaction=True)`` test: the threads must see committed rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections


def run_concurrently(
    fn: Callable[..., Any],
    n: int | None = None,
    *,
    args: Sequence[tuple] | None = None,
    timeout: float = 30.0,
    return_exceptions: bool = False,
) -> list[Any]:
    """Call ``fn`` from ``n`` threads at once (or once per tuple of ``args``, with it).

    The threads wait on one barrier, so the calls overlap as much as threads can; each thread
    closes its database connections when it is done. Returns the results in thread order.
    An exception in a thread fails the test once every thread has finished (an
    ``AssertionError`` listing them), unless ``return_exceptions`` puts it in the list in place
    of that thread's result. A thread still running after ``timeout`` seconds fails the test.
    """
    if args is None:
        if n is None:
            raise TypeError("run_concurrently needs n or args")
        args = [()] * n
    elif n is not None and n != len(args):
        raise TypeError("n and len(args) differ")
    count = len(args)
    barrier = threading.Barrier(count, timeout=timeout)
    results: list[Any] = [None] * count
    errors: list[BaseException | None] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = fn(*args[index])
        except BaseException as exc:  # reported to the caller below
            errors[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        raise AssertionError(f"{stuck} of {count} threads still running after {timeout} s")
    if return_exceptions:
        return [
            error if error is not None else result
            for result, error in zip(results, errors, strict=True)
        ]
    failed = [error for error in errors if error is not None]
    if failed:
        raise AssertionError(f"{len(failed)} of {count} threads raised: {failed!r}") from failed[0]
    return results
