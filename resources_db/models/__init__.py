"""Every Harbor table, imported here so that Alembic and tests see one metadata."""

from .accounts import ROLES, AuditEntry, User
from .base import Base, UTCDateTime, utcnow
from .conversations import ConversationState, OwedErasure, ProcessedMessage
from .insights import UsageCount
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
    "OwedErasure",
    "PendingUpload",
    "ProcessedMessage",
    "UTCDateTime",
    "UsageCount",
    "User",
    "utcnow",
]
