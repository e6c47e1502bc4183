"""GET /healthz: is the app up, and do its database and its conversation store answer?"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from bot.conversations.store import StoreUnavailable, current_store
from bot.database import get_database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """Answer 200 when the database and the store answer, 503 with the reason otherwise."""
    try:
        get_database().ping()
    except (SQLAlchemyError, OSError) as error:
        reason = type(error).__name__
        return jsonify(status="unavailable", database="unreachable", reason=reason), 503
    try:
        current_store().ping()
    except StoreUnavailable as error:
        return jsonify(status="unavailable", database="ok", conversations="unreachable",
                       reason=str(error)), 503
    return jsonify(status="ok", database="ok", conversations="ok")
