"""Good standing: whether a company may create, from its one subscription row and the clock.

One rule, used by the services (to refuse creation), by `/billing` (to show it) and by the
worker's enforcement job (to move rows to the state the clock already implies). Standing never
waits for that job: a trial whose end has passed is out of good standing the same second.

    trialing   good until current_period_end (the trial's end); then expired
    active     good until current_period_end, and for GRACE after it (past_due); then expired
    past_due   good until grace_until; then expired
    canceled   good until current_period_end (canceled at the period's end); then expired
    expired    never good; paying again makes it active
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from teamtasks.models import Subscription
from teamtasks.models.enums import SubscriptionStatus

GRACE = timedelta(days=3)
"""How long a paid period that ended keeps the company in good standing (past_due)."""


def grace_end(
    status: SubscriptionStatus, period_end: datetime, grace_until: datetime | None
) -> datetime:
    """The last moment of good standing for a subscription in this state (exclusive)."""
    if status is SubscriptionStatus.PAST_DUE:
        return grace_until or period_end + GRACE
    if status is SubscriptionStatus.ACTIVE:
        return period_end + GRACE
    return period_end


def in_good_standing(
    status: SubscriptionStatus,
    period_end: datetime,
    grace_until: datetime | None,
    now: datetime,
) -> bool:
    """Whether a company whose subscription is in this state may create at `now`."""
    if status is SubscriptionStatus.EXPIRED:
        return False
    return now < grace_end(status, period_end, grace_until)


def good_standing_clause(now: datetime) -> ColumnElement[bool]:
    """`in_good_standing` as SQL over the subscriptions table, for set-based queries."""
    s = Subscription
    return or_(
        and_(
            s.status.in_([SubscriptionStatus.TRIALING, SubscriptionStatus.CANCELED]),
            s.current_period_end > now,
        ),
        and_(s.status == SubscriptionStatus.ACTIVE, s.current_period_end > now - GRACE),
        and_(
            s.status == SubscriptionStatus.PAST_DUE,
            or_(
                s.grace_until > now,
                and_(s.grace_until.is_(None), s.current_period_end > now - GRACE),
            ),
        ),
    )


def effective_status(
    status: SubscriptionStatus,
    period_end: datetime,
    grace_until: datetime | None,
    now: datetime,
) -> SubscriptionStatus:
    """The state the clock implies for a subscription stored in `status` (for showing it)."""
    if status is SubscriptionStatus.EXPIRED:
        return status
    if now < period_end:
        return status
    if status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE) and now < grace_end(
        status, period_end, grace_until
    ):
        return SubscriptionStatus.PAST_DUE
    return SubscriptionStatus.EXPIRED
