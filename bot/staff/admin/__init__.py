"""The admin surface (/admin): listings, CSV upload and export, the audit log, users.

Every view here is for admins only (`admin_required`); a test walks the URL map to
make sure no /admin route forgets it. Insights (/admin/insights) is its own blueprint,
open to advocates too.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

# The views register themselves on `blueprint` when imported.
from bot.staff.admin import audit, languages, listings, uploads, users  # noqa: E402, F401
