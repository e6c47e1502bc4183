"""The channels: thin Flask views that parse a request, call the conversation engine
through `bot.conversations.service`, and render its replies (TwiML for SMS, JSON for
the web chat, HTML for the advocate console), plus the health check."""
