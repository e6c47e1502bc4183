"""Every Harbor table, imported here so that Alembic and tests see one metadata."""

from .accounts import ROLES, AuditEntry, User
from .base import Base, UTCDateTime, utcnow
from .conversations import ConversationState, ProcessedMessage
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
    "AuditEntry",
    "Base",
    "ConversationState",
    "HandoffCount",
    "PendingUpload",
    "ProcessedMessage",
    "UTCDateTime",
    "UsageCount",
    "User",
    "utcnow",
]
