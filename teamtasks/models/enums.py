"""Every enumeration of the data model: one StrEnum each, stored as its string value."""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    MEMBER = "member"


class Language(StrEnum):
    RU = "ru"
    EN = "en"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELED = "canceled"


class TaskPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class SubscriptionStatus(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    EXPIRED = "expired"
    CANCELED = "canceled"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    CANCELED = "canceled"
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    REFUNDED = "refunded"


class PaymentProvider(StrEnum):
    SANDBOX = "sandbox"
    YOOKASSA = "yookassa"
    STARS = "stars"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class UpdateOutcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
