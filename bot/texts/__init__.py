"""The texts people read: reply and page texts per language, and the SMS rendering
rules (GSM-7, segments) every SMS reply is held to."""
