"""The admin surface (/admin): listings, the verification queue, survivors' reports,
beds, CSV and HSDS upload and export, the audit log, organizations and users.

Network admins (`admin_required`) reach everything. Partners (`listing_staff_required`)
reach the listings, verification, reports, beds and audit pages, each scoped to their
organization by `bot.staff.admin.scope`. A test walks the URL map to make sure no
/admin route forgets its guard. Insights (/admin/insights) is its own blueprint, open
to advocates too.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.app_context_processor
def _staff_organization():
    """Give staff pages the partner's organization name (shown beside the account)."""
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False) and current_user.role == "partner":
        from bot.database import get_session
        from bot.staff.admin.scope import partner_organization_name

        return {"staff_organization_name": partner_organization_name(get_session())}
    return {}


# The views register themselves on `blueprint` when imported.
from bot.staff.admin import (  # noqa: E402, F401
    audit,
    beds,
    languages,
    listings,
    organizations,
    reports,
    uploads,
    users,
    verification,
)
