"""Every Harbor table, imported here so that Alembic and tests see one metadata."""

from .accounts import ROLES, VERIFICATION_METHODS, AuditEntry, User
from .base import Base, UTCDateTime, utcnow
from .conversations import ConversationState, OwedErasure, ProcessedMessage
from .duty import AdvocateDuty
from .insights import HandoffCount, UsageCount
from .listings import (
    Address,
    Attribute,
    Language,
    Listing,
    ListingArea,
    ListingCategory,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from .network import REPORT_REASONS, REPORT_STATUSES, ListingBeds, ListingReport
from .published import PublishedVersion
from .uploads import PendingUpload

__all__ = [
    "AdvocateDuty",
    "Address",
    "Attribute",
    "Language",
    "Listing",
    "ListingArea",
    "ListingCategory",
    "Location",
    "Organization",
    "Phone",
    "Schedule",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "TaxonomyTerm",
    "ROLES",
    "REPORT_REASONS",
    "REPORT_STATUSES",
    "VERIFICATION_METHODS",
    "ListingBeds",
    "ListingReport",
    "AuditEntry",
    "Base",
    "ConversationState",
    "HandoffCount",
    "OwedErasure",
    "PendingUpload",
    "ProcessedMessage",
    "PublishedVersion",
    "UTCDateTime",
    "UsageCount",
    "User",
    "utcnow",
]
