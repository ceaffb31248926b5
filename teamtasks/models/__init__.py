"""The ORM models, one module per aggregate; importing this package registers them all."""

from teamtasks.models.audit import AuditLog
from teamtasks.models.base import Base
from teamtasks.models.company import Company, Invite, Membership
from teamtasks.models.file import File
from teamtasks.models.group_chat import GroupChat
from teamtasks.models.notification import Notification
from teamtasks.models.payment import Invoice, OwedRefund, Payment, WebhookEvent
from teamtasks.models.plan import Plan
from teamtasks.models.processed_update import ProcessedUpdate
from teamtasks.models.project import Project
from teamtasks.models.subscription import Subscription, Trial
from teamtasks.models.task import Task, TaskComment
from teamtasks.models.user import User

__all__ = [
    "AuditLog",
    "Base",
    "Company",
    "File",
    "GroupChat",
    "Invite",
    "Invoice",
    "Membership",
    "Notification",
    "OwedRefund",
    "Payment",
    "Plan",
    "ProcessedUpdate",
    "Project",
    "Subscription",
    "Task",
    "TaskComment",
    "Trial",
    "User",
    "WebhookEvent",
]
