"""Vietnamese, the third language: switched on by LANGUAGES only, read and answered end to
end on SMS and web chat when it is, and shown to admins as awaiting a native speaker's
review. (The transcripts 61-64 run whole conversations; these pin the contracts.)"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bot.staff.admin.languages import language_statuses
from bot.texts import replies
from intents import classify


@pytest.fixture
def app_config(app_config) -> dict:
    return {**app_config, "LANGUAGES": "en,es,vi"}


def sms_text(response) -> str:
    assert response.status_code == 200
    root = ET.fromstring(response.data)  # noqa: S314 - our own TwiML
    return "\n".join(message.text or "" for message in root.iter("Message"))


@pytest.mark.parametrize(("text", "intent"), [
    ("THOÁT", "exit"), ("xoa het", "exit"), ("chồng tôi đang đánh tôi", "emergency"),
    ("anh ay dang o ngoai cua", "emergency"), ("tôi muốn chết", "self_harm"),
    ("toi khong muon song nua", "self_harm"), ("tôi cần chỗ ở an toàn tối nay", "shelter"),
    ("tôi cần luật sư để ly hôn", "legal"), ("tiếng việt", "language"),
    ("cảm ơn", "thanks"), ("thêm", "more"),
])
def test_vietnamese_is_read_with_or_without_its_marks(text, intent):
    reading = classify(text)
    assert (reading.intent, reading.language) == (intent, "vi")


def test_that_is_not_a_typo_of_thoat():
    assert classify("that helps, thank you").intent == "thanks"


def test_an_sms_conversation_in_vietnamese(signed_sms):
    first = sms_text(signed_sms("tôi cần chỗ ở an toàn ở 40202"))
    assert "40202 (Louisville, KY)" in first
    assert sms_text(signed_sms("THOÁT")) == "Được. Cuộc trò chuyện này đã được xóa."


def test_the_chat_page_offers_three_languages_and_answers_in_vietnamese(client):
    page = client.get("/chat?lang=vi").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Tìm giúp đỡ an toàn, gần bạn" in page
    assert page.count("<option value=") == 3
    answer = client.post("/chat/api/messages", json={"token": None, "text": "tiếng việt"})
    assert answer.get_json()["language"] == "vi"
    assert "từ giờ dùng tiếng Việt" in answer.get_json()["replies"][0]


def test_vietnamese_is_off_until_languages_names_it(app_config):
    from bot import create_app

    app = create_app({**app_config, "LANGUAGES": "en,es"})
    client = app.test_client()
    assert "<option" not in client.get("/chat?lang=vi").get_data(as_text=True)
    answer = client.post("/chat/api/messages", json={"token": None, "text": "tiếng việt"})
    assert answer.get_json()["language"] == "en"


def test_the_admin_sees_vietnamese_awaiting_review(client, sign_in):
    sign_in("admin")
    page = client.get("/admin/languages").get_data(as_text=True)
    assert "Tiếng Việt" in page and "Needs review by a native-speaking advocate" in page
    assert "switched on before its review" in page  # this fixture switched it on


def test_language_statuses_name_review_and_switch():
    statuses = {status.code: status for status in language_statuses("en,es")}
    assert not statuses["en"].awaits_review and statuses["en"].switched_on
    assert statuses["vi"].awaits_review and not statuses["vi"].switched_on
    assert replies.CATALOGS["vi"].review == "needs review"


def test_advocates_cannot_open_the_languages_page(client, sign_in):
    sign_in("advocate")
    assert client.get("/admin/languages").status_code in (302, 403)


def test_the_safety_page_is_in_vietnamese_too(client):
    page = client.get("/chat/safety?lang=vi").get_data(as_text=True)
    assert "Điều thoát nhanh không làm được" in page
    assert "Lịch sử trình duyệt." in page and 'href="tel:911"' in page
    assert page.count('class="language-switch"') == 2  # English, Español
