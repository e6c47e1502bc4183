"""What advocates do with hand-offs, and what the survivor receives of it.

Claim (within the advocate's open-chat limit, on duty only), reply, transfer (to another
advocate on duty with room, or back to the queue) and close. A web-chat survivor gets the
advocate's words by polling (bot.channels.chat); an SMS survivor gets them through
Twilio's REST API (bot.channels.twilio_rest), sent from the number they wrote to.
Closing deletes the hand-off at once and puts the conversation back at the menu.

Nothing here logs a message, a number or a key. The caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.channels.twilio_rest import TwilioRestError, delete_messages_later, send_sms
from bot.conversations import handoffs
from bot.conversations.handoffs import Handoff
from bot.conversations.sealed_contact import unseal
from bot.engine import handoff_ended, render_for_channel
from bot.staff import duty
from bot.texts import replies
from resources_db.models import User

logger = logging.getLogger("harbor.handoffs")

MAX_REPLY_CHARACTERS = 600


class DeskError(ValueError):
    """An advocate's action that cannot be done (the message says why, for the advocate)."""


@dataclass(frozen=True)
class Desk:
    """One advocate's view of the hand-offs, bound to a session and the app config."""

    session: Session
    config: Mapping
    advocate: User

    @property
    def ttl(self) -> int:
        return int(self.config.get("SESSION_TTL_MINUTES") or 30)

    def advocate_name(self, user: User | None = None) -> str:
        user = user or self.advocate
        return duty.duty_of(self.session, user).display_name

    def who(self, language: str, name: str) -> str:
        program = str(self.config.get("HANDOFF_PROGRAM_NAME") or "Harbor")
        if name:
            return replies.say(language, "handoff_who_named", names=name, program=program)
        return replies.say(language, "handoff_who_anyone", program=program)

    def on_duty_now(self, now: datetime) -> list[duty.OnDuty]:
        open_now = handoffs.all_open(self.session, now)
        return duty.on_duty_now(self.session, now, handoffs.open_chats_by_advocate(open_now))

    def _free(self, user_id: int, now: datetime) -> duty.OnDuty:
        for advocate in self.on_duty_now(now):
            if advocate.user_id == user_id:
                if not advocate.has_room:
                    raise DeskError(f"{advocate.email} already holds {advocate.open_chats} "
                                    f"chats, the most they take at once.")
                return advocate
        raise DeskError("Only an advocate on duty (switch on, inside roster hours) can "
                        "take a chat.")

    # -- to the survivor ------------------------------------------------------------
    def tell_survivor(self, handoff: Handoff, text: str) -> None:
        """Send `text` to an SMS survivor now; a chat survivor polls the thread."""
        if handoff.channel != "sms":
            return
        number = unseal(self.config, handoff.contact) if handoff.contact else None
        if not number:
            raise DeskError("This SMS conversation's number cannot be read; close it.")
        language = handoff.shared.get("language", "en")
        try:
            sid = send_sms(self.config, to=number, from_=handoff.reply_from,
                           body=render_for_channel(text, language, "sms"))
            handoff.sent.append(sid)
        except TwilioRestError as error:
            logger.error("an advocate's SMS could not be sent: %s", error)
            raise DeskError("The SMS could not be sent now. Try again in a moment.") from None

    # -- actions --------------------------------------------------------------------
    def claim(self, handoff: Handoff, now: datetime) -> None:
        """Take a waiting hand-off; the survivor is told who joined."""
        if handoff.status == handoffs.CLAIMED and handoff.advocate_id != self.advocate.id:
            raise DeskError("Another advocate has already taken this chat.")
        if handoff.advocate_id == self.advocate.id:
            return
        self._free(self.advocate.id, now)
        name = self.advocate_name()
        language = handoff.shared.get("language", "en")
        joined = replies.say(language, "handoff_joined", who=self.who(language, name))
        self.tell_survivor(handoff, joined)
        handoffs.claim(self.session, handoff, self.advocate.id, name, now, self.ttl)
        handoffs.add_message(self.session, handoff, "harbor", joined, now, self.ttl)

    def reply(self, handoff: Handoff, text: str, now: datetime) -> dict:
        """Send the advocate's message to the survivor and keep it in the thread."""
        self._mine(handoff)
        text = text.strip()
        if not text:
            raise DeskError("Type a message first.")
        if len(text) > MAX_REPLY_CHARACTERS:
            raise DeskError(f"Keep a message under {MAX_REPLY_CHARACTERS} characters.")
        name = handoff.advocate_name
        self.tell_survivor(handoff, f"{name}: {text}" if name else text)
        return handoffs.add_message(self.session, handoff, "advocate", text, now, self.ttl,
                                    author=name)

    def transfer(self, handoff: Handoff, to_user: User | None, now: datetime) -> None:
        """Give the chat to another advocate on duty with room, or back to the queue."""
        self._mine(handoff)
        if to_user is None:
            handoffs.release(self.session, handoff, now, self.ttl)
            return
        if to_user.id == self.advocate.id:
            raise DeskError("Choose another advocate, or the queue.")
        self._free(to_user.id, now)
        name = self.advocate_name(to_user)
        language = handoff.shared.get("language", "en")
        notice = replies.say(language, "handoff_transferred", who=self.who(language, name))
        self.tell_survivor(handoff, notice)
        handoffs.claim(self.session, handoff, to_user.id, name, now, self.ttl)
        handoffs.add_message(self.session, handoff, "harbor", notice, now, self.ttl)

    def close(self, handoff: Handoff, now: datetime) -> None:
        """End the hand-off: the survivor is told, the thread is deleted at once."""
        self._mine(handoff)
        language = handoff.shared.get("language", "en")
        closed = replies.say(language, "handoff_closed")
        try:
            self.tell_survivor(handoff, closed)
        except DeskError:
            # Closing must always delete the thread; the person can still write MENU.
            logger.warning("the closing SMS of a hand-off could not be sent")
        handoffs.back_to_harbor(self.session, handoff, now, self.ttl, handoff_ended)
        handoffs.end(self.session, handoff, now)
        # Twilio's copies of what was said go too (those still on their way stay: issue 15).
        delete_messages_later(self.config, handoff.sent)

    def _mine(self, handoff: Handoff) -> None:
        if handoff.advocate_id != self.advocate.id:
            raise DeskError("Take the chat first (Claim), or it is another advocate's.")
