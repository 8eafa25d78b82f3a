"""What AI generations use: the user's monthly quota, the instance's monthly budget (the
budget guard) and the ledger of tokens (docs/operations.md).

A generation goes through three steps, whichever path calls the model (the JSON answer or the
streamed one):

1. ``ai_generation_admit`` — in one transaction: the user's monthly quota slot
   (``ai_usage_reserve``, 429 ``quota_exceeded``), then the instance's monthly budget: one
   conditional upsert of the month's ``AiBudgetMonth`` row adds this generation's worst-case
   cost to ``reserved_usd`` only while ``spent + reserved_usd < AI_MONTHLY_BUDGET_USD``, else
   ``AiBudgetExhausted`` (503 ``service_unavailable``) and the quota slot is rolled back with it.
   Admissions of a month queue on that row's lock, so concurrent requests see each other's
   reservations: the month's spend can pass the budget by at most one generation's worst case
   (the last one admitted below it), never by the requests in flight.
2. ``ai_generation_settle`` — in the transaction that saves the asset: the real tokens replace
   the reservation, a ledger row (``AiGeneration``) is written, and the crossing of 80 % and of
   100 % of the budget is logged once (exactly one settle crosses each threshold: they update
   the same row one after the other).
3. ``ai_generation_release`` — the generation failed: the quota slot and the reservation are
   given back; when Azure had already written part of a streamed answer (and bills it), the
   tokens it wrote are recorded on the month's budget instead of being forgotten
   (``billed``), while the creator's quota slot is still given back.

Spend is an estimate: tokens times ``AI_PRICE_PER_1K_PROMPT`` / ``AI_PRICE_PER_1K_COMPLETION``
(GPT-4o's list prices by default). The worst case of a generation is its prompt at one token
per two characters plus ``MAX_OUTPUT_TOKENS`` of completion.

**Billed tokens are never lost.** Whatever fails once the model has answered (the asset refused
by the database, the connection dropped while saving, the month's row locked past the request's
bound, the database away), ``ai_generation_release`` records what Azure billed on the month and
gives the slot and the reservation back: at once when it can (a fresh connection if the
request's died); else, when the database answers but could not record (a lock or statement
bound of the request), through the job ``content.record_ai_usage`` (the worker has no bounds);
and when it cannot be reached, or takes not even the job, from this process, tried again
after each of ``AI_USAGE_RETRY_DELAYS`` (about 9 minutes), then logged at ERROR with the figures
that could not be recorded. Each of these records through ``ai_usage_record``, keyed by the
reservation (``jobs.queue.idempotency_key_claim``): however many of them run, the tokens are
counted once (the settle of a success claims the same key, so a commit whose outcome was lost
is not counted twice either).

Each admitted generation also has an ``AiReservation`` row until it is settled or released.
A worker killed in the middle of a generation does neither: the periodic sweep
(``ai_reservations_release_stale``, run by the job worker every few minutes, docs/jobs.md)
releases the reservations older than the generation's time bound. Settle, release and the sweep
each start by deleting the row, and only the one that deleted it gives the reservation back.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import math
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import Error, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content import ai_client
from content.models import AiBudgetMonth, AiGeneration, AiReservation, AiUsage, ContentAsset
from content.selectors import usage_month
from huntaze import metrics
from huntaze.exceptions import QuotaExceeded, ServiceUnavailable, ValidationFailed
from jobs.queue import RetrySchedule, idempotency_key_claim, job_defer

logger = logging.getLogger("huntaze.content.ai_usage")

WARNING_RATIO = Decimal("0.8")
UNLIMITED = -1
_CHARS_PER_TOKEN_LOW = 2  # a prompt has at most about one token per two characters
_USD = Decimal("0.000001")


# --- the user's monthly quota -------------------------------------------------------------------


def ai_monthly_quota(*, user) -> int:
    """Generations a month allowed by the user's plan (``-1``: unlimited), from settings."""
    plan = (getattr(user, "subscription", None) or "FREE").upper()
    return int(getattr(settings, f"AI_MONTHLY_QUOTA_{plan}", settings.AI_MONTHLY_QUOTA_FREE))


def ai_usage_reserve(*, user, month) -> None:
    """Take one generation slot of ``month`` for ``user`` or raise ``QuotaExceeded``.

    One statement (run in ``ai_generation_admit``'s transaction, with the budget's): the row is
    created at 1 or incremented only while ``count < quota``, so concurrent requests serialise
    on the row lock and at most ``quota`` of them get a slot. Unlimited plans are counted too
    (stats).
    """
    quota = ai_monthly_quota(user=user)
    if quota == 0:
        raise QuotaExceeded()
    table = AiUsage._meta.db_table
    now = timezone.now()
    sql = (
        f"INSERT INTO {table} AS u (user_id, month, count, created_at, updated_at) "  # noqa: S608
        "VALUES (%s, %s, 1, %s, %s) "
        "ON CONFLICT (user_id, month) DO UPDATE SET count = u.count + 1, updated_at = EXCLUDED.updated_at"
    )
    params: list[Any] = [user.pk, month, now, now]
    if quota != UNLIMITED:
        sql += " WHERE u.count < %s"
        params.append(quota)
    sql += " RETURNING u.count"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise QuotaExceeded()


def ai_usage_release(*, user_id, month) -> None:
    """Give back a slot taken by ``ai_usage_reserve`` (the generation failed)."""
    AiUsage.objects.filter(user_id=user_id, month=month, count__gt=0).update(
        count=F("count") - 1, updated_at=timezone.now()
    )


# --- the instance's monthly budget --------------------------------------------------------------


class AiBudgetExhausted(ServiceUnavailable):
    default_message = _(
        "Le budget IA du mois est épuisé : la génération reprendra le mois prochain ou dès que "
        "le budget sera relevé."
    )


def _price(name: str) -> Decimal:
    return Decimal(str(getattr(settings, name))) / 1000


def ai_cost_usd(*, prompt_tokens: int, completion_tokens: int) -> Decimal:
    """Estimated cost of tokens at the configured prices (USD per 1,000 tokens)."""
    cost = prompt_tokens * _price("AI_PRICE_PER_1K_PROMPT") + completion_tokens * _price(
        "AI_PRICE_PER_1K_COMPLETION"
    )
    return cost.quantize(_USD)


def ai_budget_usd() -> Decimal | None:
    """The monthly budget, ``None`` when there is none (``AI_MONTHLY_BUDGET_USD=-1``)."""
    value = float(settings.AI_MONTHLY_BUDGET_USD)
    return None if value < 0 else Decimal(str(value))


@dataclass(frozen=True)
class BudgetStatus:
    month: dt.date
    prompt_tokens: int
    completion_tokens: int
    spent_usd: Decimal
    reserved_usd: Decimal
    in_flight: int
    budget_usd: Decimal | None

    @property
    def ratio(self) -> float | None:
        """Spend over budget (1.0 = all of it); ``None`` without a budget."""
        if self.budget_usd is None:
            return None
        if self.budget_usd == 0:
            return 1.0
        return float(self.spent_usd / self.budget_usd)

    @property
    def level(self) -> str:
        """``ok``, ``warning`` (80 % spent) or ``exhausted`` (100 %: generation refused)."""
        ratio = self.ratio
        if ratio is None or ratio < float(WARNING_RATIO):
            return "ok"
        return "exhausted" if ratio >= 1 else "warning"


def ai_budget_status(*, month: dt.date | None = None) -> BudgetStatus:
    """The month's tokens, estimated spend and reservations (one query)."""
    month = month or usage_month()
    row = (
        AiBudgetMonth.objects.filter(month=month)
        .values("prompt_tokens", "completion_tokens", "reserved_usd", "in_flight")
        .first()
    ) or {"prompt_tokens": 0, "completion_tokens": 0, "reserved_usd": Decimal(0), "in_flight": 0}
    return BudgetStatus(
        month=month,
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        spent_usd=ai_cost_usd(
            prompt_tokens=row["prompt_tokens"], completion_tokens=row["completion_tokens"]
        ),
        reserved_usd=Decimal(row["reserved_usd"]),
        in_flight=row["in_flight"],
        budget_usd=ai_budget_usd(),
    )


@dataclass
class Reservation:
    """What ``ai_generation_admit`` took; hand it to ``settle`` or ``release``."""

    user_id: object
    month: dt.date
    reserved_usd: Decimal
    started: float
    done: bool = False
    id: int | None = None  # its ``AiReservation`` row


def _worst_case_usd(prompt: str, system: str) -> Decimal:
    prompt_tokens = math.ceil((len(prompt) + len(system)) / _CHARS_PER_TOKEN_LOW) + 16
    return ai_cost_usd(
        prompt_tokens=prompt_tokens, completion_tokens=ai_client.MAX_OUTPUT_TOKENS
    ).quantize(_USD)


def _budget_reserve(*, month: dt.date, amount: Decimal) -> None:
    budget = ai_budget_usd()
    if budget is not None and budget <= 0:
        raise AiBudgetExhausted()
    table = AiBudgetMonth._meta.db_table
    now = timezone.now()
    sql = (
        f"INSERT INTO {table} AS b (month, prompt_tokens, completion_tokens, reserved_usd, "  # noqa: S608
        "in_flight, created_at, updated_at) VALUES (%s, 0, 0, %s, 1, %s, %s) "
        "ON CONFLICT (month) DO UPDATE SET reserved_usd = b.reserved_usd + EXCLUDED.reserved_usd, "
        "in_flight = b.in_flight + 1, updated_at = EXCLUDED.updated_at"
    )
    params: list[object] = [month, amount, now, now]
    if budget is not None:
        sql += " WHERE (b.prompt_tokens * %s + b.completion_tokens * %s) + b.reserved_usd < %s"
        params += [_price("AI_PRICE_PER_1K_PROMPT"), _price("AI_PRICE_PER_1K_COMPLETION"), budget]
    sql += " RETURNING b.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        admitted = cursor.fetchone() is not None
    if not admitted:
        raise AiBudgetExhausted()


def ai_generation_admit(*, user, prompt: str, system: str = "") -> Reservation:
    """Take the user's quota slot and reserve the generation's worst case on the month's budget,
    both or neither. Raises ``QuotaExceeded`` (429) or ``AiBudgetExhausted`` (503)."""
    month = usage_month()
    amount = _worst_case_usd(prompt, system)
    try:
        with transaction.atomic():
            ai_usage_reserve(user=user, month=month)
            _budget_reserve(month=month, amount=amount)
            row = AiReservation.objects.create(user_id=user.pk, month=month, reserved_usd=amount)
    except QuotaExceeded:
        metrics.ai_generation_observe(outcome="quota_exceeded")
        raise
    except AiBudgetExhausted:
        metrics.ai_generation_observe(outcome="budget_exhausted")
        raise
    return Reservation(
        user_id=user.pk, month=month, reserved_usd=amount, started=time.monotonic(), id=row.pk
    )


def _reservation_claim(reservation: Reservation) -> Decimal:
    """Delete the reservation's row; the amount to give back (0 when the sweep already did)."""
    deleted, _rows = AiReservation.objects.filter(pk=reservation.id).delete()
    return reservation.reserved_usd if deleted else Decimal(0)


def _log_thresholds(*, before: Decimal, after: Decimal) -> None:
    budget = ai_budget_usd()
    if not budget:
        return
    for ratio, message in (
        (Decimal(1), "AI budget exhausted: generation refused until the month turns"),
        (WARNING_RATIO, "AI budget at 80 %"),
    ):
        if before < budget * ratio <= after:
            logger.warning(
                message,
                extra={"spent_usd": float(after), "budget_usd": float(budget)},
            )
            break


def ai_generation_settle(
    *, reservation: Reservation, asset: ContentAsset, completion: ai_client.Completion
) -> None:
    """Record the real tokens of a successful generation (inside the asset's transaction)."""
    table = AiBudgetMonth._meta.db_table
    if reservation.id is not None:
        # The same key as a release's: if this transaction's commit is lost with the connection,
        # the release that follows finds the key when the commit did happen (no double count).
        idempotency_key_claim(key=usage_key(reservation.id))
    held = _reservation_claim(reservation)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET prompt_tokens = prompt_tokens + %s, "  # noqa: S608
            "completion_tokens = completion_tokens + %s, "
            "reserved_usd = GREATEST(reserved_usd - %s, 0), in_flight = GREATEST(in_flight - %s, 0), "
            "updated_at = %s WHERE month = %s RETURNING prompt_tokens, completion_tokens",
            [
                completion.prompt_tokens,
                completion.completion_tokens,
                held,
                1 if held else 0,
                timezone.now(),
                reservation.month,
            ],
        )
        row = cursor.fetchone()
    AiGeneration.objects.create(
        user_id=reservation.user_id,
        asset=asset,
        model=completion.model[:100],
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
    )
    seconds = time.monotonic() - reservation.started

    def settled() -> None:
        # After commit only: a rolled-back settle leaves the reservation to ``release``.
        reservation.done = True
        metrics.ai_generation_observe(
            outcome="success",
            seconds=seconds,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
        )

    transaction.on_commit(settled)
    if row is not None:
        after = ai_cost_usd(prompt_tokens=row[0], completion_tokens=row[1])
        cost = ai_cost_usd(
            prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens
        )
        _log_thresholds(before=after - cost, after=after)


def _outcome(exc: BaseException | None) -> str:
    if isinstance(exc, ai_client.AiNotConfigured):
        return "not_configured"
    if isinstance(exc, ai_client.AiPromptRejected | ValidationFailed):
        return "rejected"
    if isinstance(exc, ai_client.AiUnavailable):
        return "unavailable"
    return "error"


def ai_generation_release(
    *,
    reservation: Reservation,
    error: BaseException | None = None,
    billed: tuple[int, int] = (0, 0),
    outcome: str | None = None,
) -> None:
    """Give back the quota slot and the reservation of a generation that did not succeed, and
    record on the month's budget the tokens Azure billed for it.

    ``billed`` is ``(prompt_tokens, completion_tokens)`` Azure charged before the failure: the
    whole answer when saving the asset failed, what it wrote of a stream cut or filtered
    mid-answer. They are added to the month's spend, so failures cannot spend money the budget
    guard never sees. ``outcome`` overrides the metric's outcome (e.g. ``cancelled``).
    Once per reservation; never raises: when the database cannot take it now, it is recorded
    later (``ai_usage_record_or_retry``).
    """
    if reservation.done:
        return
    reservation.done = True
    metrics.ai_generation_observe(
        outcome=outcome or _outcome(error),
        seconds=time.monotonic() - reservation.started,
        prompt_tokens=billed[0],
        completion_tokens=billed[1],
    )
    ai_usage_record_or_retry(usage=BilledUsage.of(reservation, billed))


# --- recording what a failed generation used, whatever the database does -------------------------

RECORD_AI_USAGE = "content.record_ai_usage"  # the job (content/tasks.py)


def usage_key(reservation_id: int) -> str:
    """The idempotency key of a generation's usage (``jobs.queue.idempotency_key_claim``)."""
    return f"content.ai_usage:{reservation_id}"


@dataclass(frozen=True)
class BilledUsage:
    """What ending a generation that did not succeed must record: the tokens Azure billed (on
    the month's budget) and the reservation and quota slot to give back. Numbers and ids only:
    it travels as a job's arguments and is logged when it cannot be recorded."""

    reservation_id: int | None
    user_id: object
    month: dt.date
    reserved_usd: Decimal
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def job_kwargs(self) -> dict[str, Any]:
        return {
            "reservation_id": self.reservation_id,
            "user_id": None if self.user_id is None else str(self.user_id),
            "month": self.month.isoformat(),
            "reserved_usd": str(self.reserved_usd),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }

    @classmethod
    def of(cls, reservation: Reservation, billed: tuple[int, int]) -> BilledUsage:
        """The usage of an admitted generation's ``reservation``: ``billed`` is (prompt,
        completion) tokens."""
        return cls(
            reservation_id=reservation.id,
            user_id=reservation.user_id,
            month=reservation.month,
            reserved_usd=reservation.reserved_usd,
            prompt_tokens=billed[0],
            completion_tokens=billed[1],
        )

    @classmethod
    def from_job_kwargs(cls, kwargs: dict[str, Any]) -> BilledUsage:
        return cls(
            reservation_id=kwargs["reservation_id"],
            user_id=kwargs["user_id"],
            month=dt.date.fromisoformat(kwargs["month"]),
            reserved_usd=Decimal(kwargs["reserved_usd"]),
            prompt_tokens=int(kwargs["prompt_tokens"]),
            completion_tokens=int(kwargs["completion_tokens"]),
        )

    def log_fields(self) -> dict[str, Any]:
        """What a log line says of it (no prompt, no text: figures and ids)."""
        return {
            "reservation_id": self.reservation_id,
            "user_id": None if self.user_id is None else str(self.user_id),
            "month": self.month.isoformat(),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "reserved_usd": float(self.reserved_usd),
        }


@transaction.atomic
def ai_usage_record(*, usage: BilledUsage) -> bool:
    """In one transaction: the billed tokens on the month's budget, and the reservation and the
    quota slot given back unless the sweep did already. False (nothing done) when this usage was
    recorded before: a retry, a second run of the job."""
    if usage.reservation_id is not None:
        if not idempotency_key_claim(key=usage_key(usage.reservation_id)):
            return False
        deleted, _rows = AiReservation.objects.filter(pk=usage.reservation_id).delete()
    else:
        deleted = 0
    if deleted and usage.user_id is not None:
        ai_usage_release(user_id=usage.user_id, month=usage.month)
    _budget_give_back(
        month=usage.month,
        amount=usage.reserved_usd if deleted else Decimal(0),
        count=1 if deleted else 0,
        billed=(usage.prompt_tokens, usage.completion_tokens),
    )
    return True


def ai_usage_is_transient(exc: BaseException) -> bool:
    """A failure another try may get past: the database away, a dropped connection, a lock or
    statement bound reached."""
    return isinstance(exc, OperationalError | InterfaceError)


AI_USAGE_RETRY = RetrySchedule(
    delays=lambda: settings.AI_USAGE_RETRY_DELAYS, retry_if=ai_usage_is_transient
)


def _record_or_defer(usage: BilledUsage) -> str:
    """Record ``usage`` now, else queue the job that records it; how (``recorded``,
    ``deferred``); raises when the database could take neither.

    The job is for a database that answers but could not record (the month's row locked past
    the request's bound, a statement bound): without a connection any more (none could be
    made, or it died), the job would fail the same way, after another pool wait."""
    try:
        ai_usage_record(usage=usage)
        return "recorded"
    except Error as exc:
        if usage.reservation_id is None or connection.connection is None:
            raise
        logger.warning(
            "could not record an AI generation's billed tokens now (%s): queuing them for the worker",
            type(exc).__name__,
            extra=usage.log_fields(),
        )
    job_defer(RECORD_AI_USAGE, **usage.job_kwargs())
    return "deferred"


def ai_usage_record_or_retry(*, usage: BilledUsage) -> None:
    """Record ``usage`` now or through the job; when the database can take neither (it is
    away), keep it in this process and try again after each of ``AI_USAGE_RETRY_DELAYS``."""
    try:
        _record_or_defer(usage)
    # The database's errors (procrastinate wraps them), and anything else: never raised to a
    # caller that is handling the generation's own failure.
    except Exception as exc:
        logger.warning(
            "could not record an AI generation's billed tokens nor queue them (%s): "
            "retrying from this process",
            type(exc).__name__,
            extra=usage.log_fields(),
        )
        _retrier.add(usage)


class _UsageRetrier:
    """Usage the database could take neither as a record nor as a job, tried again from a
    thread of this process (a greenlet under the gevent workers) after each delay of
    ``AI_USAGE_RETRY_DELAYS`` in turn, then given up with an ERROR line saying what was not
    recorded. Each try uses the thread's own connection and closes it after."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[object, list[Any]] = {}  # key: [usage, tries, due (monotonic)]
        self._thread: threading.Thread | None = None

    def add(self, usage: BilledUsage) -> None:
        delays = settings.AI_USAGE_RETRY_DELAYS
        if not delays:
            _log_lost(usage, tries=0)
            return
        key = usage.reservation_id if usage.reservation_id is not None else id(usage)
        with self._lock:
            self._pending[key] = [usage, 0, time.monotonic() + delays[0]]
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ai-usage-retry", daemon=True
                )
                self._thread.start()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
                due = min(entry[2] for entry in self._pending.values())
            time.sleep(max(0.0, min(due - time.monotonic(), 1.0)))
            now = time.monotonic()
            with self._lock:
                ready = [(key, entry) for key, entry in self._pending.items() if entry[2] <= now]
            for key, entry in ready:
                self._try(key, entry)

    def _try(self, key: object, entry: list[Any]) -> None:
        usage, tries = entry[0], entry[1] + 1
        try:
            how = _record_or_defer(usage)
        except Exception as exc:
            delays = settings.AI_USAGE_RETRY_DELAYS
            with self._lock:
                if tries >= len(delays):
                    self._pending.pop(key, None)
                    _log_lost(usage, tries=tries, error=exc)
                else:
                    entry[1], entry[2] = tries, time.monotonic() + delays[tries]
        else:
            with self._lock:
                self._pending.pop(key, None)
            logger.warning(
                "AI generation's billed tokens %s after %s tries from this process",
                how,
                tries,
                extra=usage.log_fields(),
            )
        finally:
            connection.close()

    def give_up(self) -> None:
        """At exit: what is still waiting is lost with the process; say so."""
        with self._lock:
            entries, self._pending = list(self._pending.values()), {}
        for usage, tries, _due in entries:
            _log_lost(usage, tries=tries)


def _log_lost(usage: BilledUsage, *, tries: int, error: BaseException | None = None) -> None:
    logger.error(
        "AI generation's billed tokens NOT recorded on the month's budget: add them by hand "
        "(%s prompt + %s completion tokens, month %s, reservation %s)",
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.month.isoformat(),
        usage.reservation_id,
        extra={
            **usage.log_fields(),
            "tries": tries,
            "error": type(error).__name__ if error else None,
        },
    )


_retrier = _UsageRetrier()
atexit.register(_retrier.give_up)


def ai_usage_pending() -> int:
    """Usages this process keeps trying to record (the database could take neither)."""
    return _retrier.pending()


def _budget_give_back(
    *, month: dt.date, amount: Decimal, count: int, billed: tuple[int, int] = (0, 0)
) -> None:
    table = AiBudgetMonth._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET reserved_usd = GREATEST(reserved_usd - %s, 0), "  # noqa: S608
            "in_flight = GREATEST(in_flight - %s, 0), prompt_tokens = prompt_tokens + %s, "
            "completion_tokens = completion_tokens + %s, updated_at = %s WHERE month = %s",
            [amount, count, *billed, timezone.now(), month],
        )


def ai_reservation_bound() -> dt.timedelta:
    """Age past which a reservation belongs to a dead generation: the generation's own deadline
    (``AI_TOTAL_DEADLINE_SECONDS``) plus the time a stopping web worker is given to finish it
    (gunicorn's graceful timeout, 50 s) and a margin."""
    return dt.timedelta(seconds=settings.AI_TOTAL_DEADLINE_SECONDS + 50 + 60)


@transaction.atomic
def ai_reservations_release_stale(*, older_than: dt.timedelta | None = None) -> int:
    """Give back the quota slot and the reservation of every generation admitted more than
    ``older_than`` ago (``ai_reservation_bound()`` by default) and never settled or released:
    its worker died. Returns how many were released (the periodic sweep, docs/jobs.md)."""
    cutoff = timezone.now() - (older_than if older_than is not None else ai_reservation_bound())
    table = AiReservation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE created_at < %s "  # noqa: S608
            "RETURNING user_id, month, reserved_usd",
            [cutoff],
        )
        rows = cursor.fetchall()
    for user_id, month, amount in rows:
        if user_id is not None:
            ai_usage_release(user_id=user_id, month=month)
        _budget_give_back(month=month, amount=amount, count=1)
    if rows:
        logger.warning(
            "released the AI budget reservations of generations that never ended",
            extra={"count": len(rows), "usd": float(sum(r[2] for r in rows))},
        )
    return len(rows)


def budget_metric_gauges():
    """Scrape-time gauges of the month's AI spend (registered with ``huntaze.metrics``)."""
    status = ai_budget_status()
    yield (
        "huntaze_ai_spend_usd",
        "Estimated AI spend of the current month (USD), settled generations.",
        float(status.spent_usd),
    )
    yield (
        "huntaze_ai_reserved_usd",
        "Worst-case cost of the AI generations in flight (USD).",
        float(status.reserved_usd),
    )
    if status.budget_usd is not None:
        yield ("huntaze_ai_budget_usd", "Monthly AI budget (USD).", float(status.budget_usd))
