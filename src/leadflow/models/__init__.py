"""Every ORM model, one file per table, imported here so metadata is complete."""

from leadflow.models.api_key import ApiKey
from leadflow.models.auction import AuctionBid
from leadflow.models.base import Base
from leadflow.models.call import Call, CallStatus
from leadflow.models.call_event import CallEvent
from leadflow.models.campaign import Campaign, CampaignStatus, FieldLabel
from leadflow.models.company import Company
from leadflow.models.contact import Contact
from leadflow.models.contact_event import ContactEvent
from leadflow.models.distribution import Distribution
from leadflow.models.dnc import DncImport, DncList
from leadflow.models.lead import Lead, LeadStatus
from leadflow.models.lead_count import LeadCount
from leadflow.models.lead_event import LeadEvent
from leadflow.models.lead_import import LeadImport, LeadImportError, LeadImportStatus
from leadflow.models.message import Message, MessageStatus
from leadflow.models.number import Number
from leadflow.models.offer import Offer
from leadflow.models.report_counter import (
    ReportCounter,
    ReportPendingLead,
    ReportSourceBlock,
    ReportTotal,
)
from leadflow.models.schedule import Schedule
from leadflow.models.scheduled_callback import ScheduledCallback
from leadflow.models.sign_in_failure import SignInFailure
from leadflow.models.submission import Submission, SubmissionStatus, SubmittedLead
from leadflow.models.subscription import Subscription
from leadflow.models.time_lock import RateWindow, TimeLock
from leadflow.models.traffic_source import TrafficSource
from leadflow.models.user import User
from leadflow.models.user_session import UserSession
from leadflow.models.webhook_delivery import WebhookAttempt, WebhookDelivery
from leadflow.models.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "ApiKey",
    "AuctionBid",
    "Base",
    "Call",
    "CallEvent",
    "CallStatus",
    "Campaign",
    "CampaignStatus",
    "Company",
    "Contact",
    "ContactEvent",
    "Distribution",
    "DncImport",
    "DncList",
    "FieldLabel",
    "Lead",
    "LeadCount",
    "LeadEvent",
    "LeadImport",
    "LeadImportError",
    "LeadImportStatus",
    "LeadStatus",
    "Message",
    "MessageStatus",
    "Number",
    "Offer",
    "RateWindow",
    "ReportCounter",
    "ReportPendingLead",
    "ReportSourceBlock",
    "ReportTotal",
    "Schedule",
    "ScheduledCallback",
    "SignInFailure",
    "Submission",
    "SubmissionStatus",
    "SubmittedLead",
    "Subscription",
    "TimeLock",
    "TrafficSource",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WorkerHeartbeat",
]
