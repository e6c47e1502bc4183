"""Harbor's data layer: models, migrations, geography, search, import and export.

Plain Python and SQLAlchemy only: nothing here imports Flask, Twilio or `bot`.
"""
