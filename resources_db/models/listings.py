"""Resource listings: the HSDS 3 record of each service, and the search rows built from it.

Two layers, written together by one function (`resources_db.listings_store.save_listings`)
in one transaction, so they never disagree:

1. The interchange record, aligned with Open Referral's Human Services Data Specification
   (HSDS 3): `Organization`, `Service`, `Location`, `Address`, `ServiceAtLocation`, `Phone`,
   `Schedule`, `ServiceArea`, `Language`, `TaxonomyTerm` and `Attribute` (the HSDS link of a
   service to a taxonomy term). Table and column names follow HSDS so an HSDS package maps
   onto them field by field. Harbor's own fields sit on `Service`: `confidential` (advocate
   privilege), `verified_at`, `active` and `hours` as typed; populations are taxonomy terms
   of the `harbor-population` taxonomy, categories terms of `harbor-category`.

2. The search projection. Answering "three shelters near 52404" from the HSDS tables would
   take a seven-way join and a distance per row, on every text message. Instead each
   listing (one service at one location) has one flat `Listing` row holding every column of
   the listings CSV exactly as validated (so export is a plain read and round-trips field
   for field) plus what search needs: `scope` (local, state, national), the point search
   measures from (`search_latitude`/`search_longitude`: the given coordinates, or the ZIP's
   centroid when none were given) and the listing's time zone. `ListingCategory` repeats
   the point, scope and state for each category so that one composite index,
   (category, scope, latitude, longitude), answers the bounding-box prefilter without touching
   listings of other categories; a second index (category, scope, state) serves the
   state-wide and national tiers. `ListingArea` holds the county and ZIP keys of listings
   whose service area is a county or a list of ZIPs, so "who serves Linn County?" is one
   index lookup too.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow

# Ids of child rows are derived from the listing id ("<listing>:phone:voice"), so they
# stay within this length for any listing id the CSV accepts (at most 100 characters).
_CHILD_ID = 160


class Organization(Base):
    """HSDS organization: who provides the services."""

    __tablename__ = "organization"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # Harbor's own: a member of the partner network (made by an admin or `harbor
    # organizations create`). A member stays when its last listing goes; organizations
    # that only an import named are deleted with their last listing.
    member: Mapped[bool] = mapped_column(Boolean, default=False)


class Service(Base):
    """HSDS service, plus Harbor's fields: confidential, verified_at, active, hours."""

    __tablename__ = "service"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # HSDS status: active, inactive, defunct, temporarily closed. Mirrors `active`.
    status: Mapped[str] = mapped_column(String(24), default="active")
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # As typed in the CSV ("24/7", "Mon-Fri 09:00-17:00"); `Schedule` rows are parsed from it.
    hours: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    phones: Mapped[list[Phone]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    schedules: Mapped[list[Schedule]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    service_areas: Mapped[list[ServiceArea]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    languages: Mapped[list[Language]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    attributes: Mapped[list[Attribute]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class Location(Base):
    """HSDS location: where a service is delivered (physical) or none (virtual)."""

    __tablename__ = "location"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    location_type: Mapped[str] = mapped_column(String(16), default="physical")
    name: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)


class Address(Base):
    """HSDS address of a location."""

    __tablename__ = "address"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    location_id: Mapped[str] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    address_1: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state_province: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="US")
    address_type: Mapped[str] = mapped_column(String(16), default="physical")


class ServiceAtLocation(Base):
    """HSDS service_at_location: a service delivered at a location."""

    __tablename__ = "service_at_location"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )


class Phone(Base):
    """HSDS phone of a service; type is `voice` or `text` (SMS)."""

    __tablename__ = "phone"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(60))
    type: Mapped[str] = mapped_column(String(16), default="voice")
    description: Mapped[str] = mapped_column(String(300), default="")


class Schedule(Base):
    """HSDS schedule: a weekly opening (RFC 5545 style byday, opens_at, closes_at)."""

    __tablename__ = "schedule"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    freq: Mapped[str] = mapped_column(String(8), default="WEEKLY")
    byday: Mapped[str] = mapped_column(String(40))  # "MO,TU,WE"
    opens_at: Mapped[time] = mapped_column(Time)
    # Equal to opens_at with byday covering the whole week means open around the clock.
    closes_at: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(String(200), default="")


class ServiceArea(Base):
    """HSDS service_area, with Harbor's parsed form of the CSV `service_area`."""

    __tablename__ = "service_area"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text, default="")
    extent_type: Mapped[str] = mapped_column(String(16), default="harbor")
    # "" (around the location), "national", "state:IA", "county:Linn County, IA", "zip:...".
    extent: Mapped[str] = mapped_column(Text, default="")


class Language(Base):
    """HSDS language a service is offered in (ISO 639-1 code)."""

    __tablename__ = "language"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(60), default="")


class TaxonomyTerm(Base):
    """HSDS taxonomy_term: Harbor's categories and populations are terms of two taxonomies."""

    __tablename__ = "taxonomy_term"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    taxonomy: Mapped[str] = mapped_column(String(60))  # harbor-category, harbor-population
    description: Mapped[str] = mapped_column(Text, default="")


class Attribute(Base):
    """HSDS attribute: links a service to a taxonomy term (its categories, populations)."""

    __tablename__ = "attribute"

    id: Mapped[str] = mapped_column(String(_CHILD_ID), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    taxonomy_term_id: Mapped[str] = mapped_column(
        ForeignKey("taxonomy_term.id", ondelete="RESTRICT"), index=True
    )
    link_type: Mapped[str] = mapped_column(String(24))  # category, population
    link_entity: Mapped[str] = mapped_column(String(24), default="service")


class Listing(Base):
    """One listing as the CSV has it (the search and export projection of a service).

    The CSV columns are stored exactly as validated; `search_latitude`/`search_longitude`,
    `scope` and `timezone` are derived at write time so search does no geocoding.
    """

    __tablename__ = "listing"

    id: Mapped[str] = mapped_column(
        String(100), ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(300))
    organization: Mapped[str] = mapped_column(String(300), default="")
    # The organization that owns the listing (derived from `organization`, or the name).
    organization_id: Mapped[str] = mapped_column(String(160), default="", index=True)
    categories: Mapped[str] = mapped_column(String(400))
    description: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40))
    sms: Mapped[str] = mapped_column(String(60), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip: Mapped[str] = mapped_column(String(10), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    service_area: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[str] = mapped_column(String(500), default="")
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    populations: Mapped[str] = mapped_column(String(400), default="")
    verified_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Derived at write time.
    scope: Mapped[str] = mapped_column(String(8))  # local, state, national
    search_latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    search_longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_listing_state_active", "state", "active"),
    )


class ListingCategory(Base):
    """A listing under one category, with its point and tier repeated for the indexes."""

    __tablename__ = "listing_category"

    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(2), default="")  # the state served or located in
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (
        # The spatial prefilter: equality on category and scope, a range on latitude, then
        # longitude checked inside the index.
        Index("ix_listing_category_box", "category", "scope", "latitude", "longitude"),
        Index("ix_listing_category_tier", "category", "scope", "state"),
    )


class ListingArea(Base):
    """A county or ZIP a listing's service area names ("county:IA:linn county", "zip:52404")."""

    __tablename__ = "listing_area"

    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    area_key: Mapped[str] = mapped_column(String(120), primary_key=True)

    __table_args__ = (Index("ix_listing_area_key", "area_key", "listing_id"),)


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
]
