"""The domain error tree: every refusal a service makes, each with a locale key and its params.

The edges translate: the bot replies with `error.text(language)`, the web maps the class to a
status code. Params are numbers or our own identifiers, never user text, so a text needs no
escaping. A row of another company is `NotFound`, never `Forbidden`, so ids do not leak.
"""

# The names are the domain's words (NotFound, Forbidden, ...), as STYLE.md has them: no "Error".
# ruff: noqa: N818

from __future__ import annotations

from typing import ClassVar

from teamtasks.i18n import gettext
from teamtasks.models.enums import Language

Param = str | int


class DomainError(Exception):
    """A refused action: `key` names its text in the locales, `params` fill the placeholders."""

    default_key: ClassVar[str] = "errors.domain"

    def __init__(self, key: str | None = None, **params: Param) -> None:
        self.key = key or self.default_key
        self.params = params
        super().__init__(self.key, params)

    def text(self, language: Language) -> str:
        """The refusal in the user's language."""
        return gettext(language, self.key, **self.params)


class NoCompany(DomainError):
    """The user belongs to no company yet (or left their last one)."""

    default_key = "errors.no_company"


class NotFound(DomainError):
    """No such row in the actor's company (it may exist in another: that is not said)."""

    default_key = "errors.not_found"


class Forbidden(DomainError):
    """The actor's role does not grant the permission."""

    default_key = "errors.forbidden"


class InvalidInput(DomainError):
    """The value given cannot be used (empty, too long, control characters, unparsable)."""

    default_key = "errors.invalid"


class Conflict(DomainError):
    """The action does not fit the current state (e.g. an archived project)."""

    default_key = "errors.conflict"


class LimitReached(DomainError):
    """A plan or safety limit would be exceeded."""

    default_key = "errors.limit_reached"


class LastOwner(Conflict):
    """The action would leave the company without an owner."""

    default_key = "errors.last_owner"


class InviteError(DomainError):
    """An invite link that cannot be used; the subclass says why."""

    default_key = "errors.invite.unknown"


class InviteUnknown(InviteError):
    default_key = "errors.invite.unknown"


class InviteExpired(InviteError):
    default_key = "errors.invite.expired"


class InviteUsedUp(InviteError):
    default_key = "errors.invite.used_up"


class InviteRevoked(InviteError):
    default_key = "errors.invite.revoked"


class OutOfGoodStanding(DomainError):
    """The company's trial or paid period is over: it reads everything, creates nothing, until
    an owner pays (the text offers /buy)."""

    default_key = "errors.billing.out_of_good_standing"


class PlanLimitReached(LimitReached):
    """The company's plan allows no more of this (members, projects, storage); offers /buy."""

    default_key = "errors.billing.plan_limit"


class PaymentProviderUnavailable(DomainError):
    """The payment provider could not be reached to start a payment; try again later."""

    default_key = "errors.billing.provider_unavailable"


class PaymentRejected(DomainError):
    """A provider's word on a payment that does not match our records: nothing is settled.

    `reason` is for the log and the provider's HTTP answer; the text is for a payer (Stars).
    """

    default_key = "errors.billing.payment_rejected"
    reason: ClassVar[str] = "payment rejected"


class UnknownPayment(PaymentRejected):
    reason = "unknown payment"


class AmountMismatch(PaymentRejected):
    reason = "amount does not match the invoice"


class CurrencyMismatch(PaymentRejected):
    reason = "currency does not match the invoice"
