"""Private messages: conversations seen by their two members only, who may write to a member,
blocking, reports to the moderators, the daily limit of new conversations, notices and mail,
and the member's export and erasure."""
import re

import pytest
from sqlalchemy import func, select

from helpers import outbox, page_text
from network.auth.models import UserStatus
from network.extensions import db
from network.messages import services as messages
from network.messages.models import (
    Conversation, ConversationReadState, MessageBlock, MessageReport, MessageSetting, PrivateMessage,
)
from network.notifications import services as notifications
from network.notifications.models import EmailFrequency, Notification, NotificationKind
from network.people import services as people_services
from network.people.models import Visibility
from network.personal_data import ERASERS, PARTS, Erasure
from network.privacy.services import erase_member

REFUSAL = "Den här medlemmen tar inte emot meddelanden från dig."
LISTED = dict(title="Enhetschef", phone="", email_visibility=Visibility.NETWORK, phone_visibility=Visibility.NETWORK,
              languages="", link="", bio="", areas=[], keywords=[])


@pytest.fixture
def people(cast):
    """Two participants of one cohort, a participant of another, both cohorts' course leaders and an admin."""
    return cast(anna="participant", erik="author", olle="outsider", leader="course_leader",
                other_leader="other_leader", admin="admin")


def write(client, recipient, body="Hej! Hur har ni löst bemanningen i sommar?"):
    return client.post(f"/messages/new?to={recipient.handle}", data={"body": body})


def conversation_of(a, b) -> Conversation:
    return messages.conversation_between(a, b)


def message_count() -> int:
    return db.session.scalar(select(func.count(PrivateMessage.id)))


def messages_badge(response) -> int:
    """The unread count on the navigation's "Meddelanden" link (0 when none is shown)."""
    found = re.search(r'Meddelanden <span class="badge">(\d+)<', page_text(response))
    return int(found.group(1)) if found else 0


@pytest.fixture
def talk(client, people, login_as):
    """Anna wrote to Erik: their conversation, with one message."""
    login_as(client, people["anna"])
    response = write(client, people["erik"], "Hej Erik, **hur** gör ni med <script>alert(1)</script> schemat?")
    assert response.status_code == 302
    conversation = conversation_of(people["anna"], people["erik"])
    assert response.headers["Location"].startswith(f"/messages/{conversation.id}")
    return conversation


# Writing and reading ------------------------------------------------------------------------------

def test_a_member_starts_a_conversation_and_the_other_reads_and_answers_it(client, people, talk, login_as):
    [message] = db.session.scalars(select(PrivateMessage))
    assert "<strong>hur</strong>" in message.body_html and "<script>" not in message.body_html
    login_as(client, people["erik"])
    listing = client.get("/messages")
    assert "Anna Lindqvist" in page_text(listing) and "1 oläst" in page_text(listing)
    assert messages_badge(listing) == 1
    page = client.get(f"/messages/{talk.id}")
    assert page.status_code == 200 and "<strong>hur</strong>" in page_text(page)
    assert messages_badge(client.get("/messages")) == 0
    assert client.post(f"/messages/{talk.id}", data={"body": "Vi delar turer."}).status_code == 302
    login_as(client, people["anna"])
    assert "Vi delar turer." in page_text(client.get(f"/messages/{talk.id}"))


def test_one_conversation_per_pair_whoever_writes_first(client, people, talk, login_as):
    login_as(client, people["erik"])
    assert client.get(f"/messages/new?to={people['anna'].handle}").headers["Location"].startswith(
        f"/messages/{talk.id}")
    assert write(client, people["anna"], "Svar via profilen.").status_code == 302
    assert db.session.scalar(select(func.count(Conversation.id))) == 1 and message_count() == 2


def test_the_same_message_sent_twice_is_stored_once(client, people, talk, login_as):
    login_as(client, people["anna"])
    for _ in range(2):
        assert client.post(f"/messages/{talk.id}", data={"body": "Dubbelklick."}, follow_redirects=True).status_code == 200
    assert message_count() == 2


def test_an_empty_message_is_a_form_error(client, people, talk, login_as):
    login_as(client, people["anna"])
    response = client.post(f"/messages/{talk.id}", data={"body": "  "})
    assert response.status_code == 400 and "Skriv något innan du skickar." in page_text(response)
    assert message_count() == 1


def test_new_without_a_member_leads_to_the_directory(client, people, login_as):
    login_as(client, people["anna"])
    assert client.get("/messages/new").headers["Location"] == "/people"
    assert client.get("/messages/new?to=ingen.alls").headers["Location"] == "/people"
    assert client.get("/messages/new?to=a%00b").headers["Location"] == "/people"


# Privacy --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("outsider", ["olle", "leader", "other_leader", "admin"])
def test_a_conversation_is_404_for_everyone_but_its_two_members(client, people, talk, outsider, login_as):
    [message] = db.session.scalars(select(PrivateMessage))
    login_as(client, people[outsider])
    assert client.get(f"/messages/{talk.id}").status_code == 404
    assert client.post(f"/messages/{talk.id}", data={"body": "Jag tittar in."}).status_code == 404
    assert client.get(f"/messages/report/{message.id}").status_code == 404
    assert client.post(f"/messages/report/{message.id}", data={"reason": "Nyfiken."}).status_code == 404
    listing = page_text(client.get("/messages"))
    assert "Anna Lindqvist" not in listing and f"/messages/{talk.id}" not in listing
    assert message_count() == 1 and db.session.scalar(select(func.count(MessageReport.id))) == 0


def test_a_message_never_shows_in_search_nor_in_anyone_elses_notifications(client, people, talk, login_as):
    for member in ("erik", "anna", "admin"):
        login_as(client, people[member])
        body = page_text(client.get("/search?q=schemat"))
        assert f"/messages/{talk.id}" not in body and "Hej Erik" not in body
    notified = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notified] == [(people["erik"].id, NotificationKind.MESSAGE)]
    login_as(client, people["erik"])
    listing = page_text(client.get("/notifications"))
    assert "Du har fått ett nytt privat meddelande" in listing and "schemat" not in listing


def test_a_message_is_mailed_through_the_recipients_choice_without_its_text(app, client, people, login_as):
    notifications.set_email_frequency(people["erik"], EmailFrequency.IMMEDIATE)
    notifications.set_email_frequency(people["olle"], EmailFrequency.NONE)
    db.session.commit()
    login_as(client, people["anna"])
    write(client, people["erik"], "Hemlig fråga om budgeten.")
    write(client, people["olle"], "En annan hemlig fråga.")
    [mail] = outbox(app)
    assert mail["To"] == people["erik"].email and "privat meddelande" in mail["Subject"]
    assert "Hemlig" not in mail.get_content()
    assert f"/messages/{conversation_of(people['anna'], people['erik']).id}" in mail.get_content()


# Who may write to me, and blocking ------------------------------------------------------------------

def choose(client, member, who, login_as):
    login_as(client, member)
    assert client.post("/messages/settings", data={"who_may_write": who}).status_code == 302


def test_the_whole_network_may_write_unless_the_member_chooses_otherwise(client, people, login_as):
    login_as(client, people["olle"])
    assert write(client, people["anna"]).status_code == 302


def test_my_cohorts_lets_only_members_of_a_shared_cohort_write(client, people, login_as):
    choose(client, people["anna"], "cohorts", login_as)
    login_as(client, people["olle"])
    refused = write(client, people["anna"])
    assert refused.status_code == 403 and REFUSAL in page_text(refused)
    login_as(client, people["erik"])
    assert write(client, people["anna"]).status_code == 302
    assert message_count() == 1


def test_nobody_means_nobody_may_start_a_conversation(client, people, login_as):
    choose(client, people["anna"], "nobody", login_as)
    for member in ("erik", "leader", "admin"):
        login_as(client, people[member])
        assert client.get(f"/messages/new?to={people['anna'].handle}").status_code == 403
        assert write(client, people["anna"]).status_code == 403
    assert message_count() == 0


def test_the_send_message_link_shows_only_where_the_viewer_may_write(client, people, login_as):
    people_services.save_profile(people["anna"], in_directory=True, **LISTED)
    db.session.commit()
    link = f"/messages/new?to={people['anna'].handle}"
    login_as(client, people["olle"])
    assert link in page_text(client.get(f"/people/{people['anna'].handle}"))
    choose(client, people["anna"], "cohorts", login_as)
    login_as(client, people["olle"])
    assert link not in page_text(client.get(f"/people/{people['anna'].handle}"))
    login_as(client, people["erik"])
    assert link in page_text(client.get(f"/people/{people['anna'].handle}"))


def test_a_blocked_member_can_no_longer_write_and_is_not_told(client, people, talk, login_as):
    login_as(client, people["erik"])
    assert client.post(f"/messages/block/{people['anna'].handle}").status_code == 302
    login_as(client, people["anna"])
    reply = client.post(f"/messages/{talk.id}", data={"body": "Hallå?"})
    assert reply.status_code == 403 and REFUSAL in page_text(reply)
    assert "block" not in page_text(reply).lower()
    assert f"/messages/new?to={people['erik'].handle}" not in page_text(client.get(f"/people/{people['erik'].handle}"))
    assert message_count() == 1
    login_as(client, people["erik"])
    assert "Anna Lindqvist" in page_text(client.get("/messages"))  # in the blocker's list of blocked members
    assert client.post(f"/messages/unblock/{people['anna'].handle}").status_code == 302
    login_as(client, people["anna"])
    assert client.post(f"/messages/{talk.id}", data={"body": "Hallå?"}).status_code == 302


def test_a_suspended_member_takes_no_new_messages(client, people, login_as):
    people["erik"].status = UserStatus.SUSPENDED
    db.session.commit()
    login_as(client, people["anna"])
    assert write(client, people["erik"]).status_code == 403


# Reports --------------------------------------------------------------------------------------------

@pytest.fixture
def reported(client, people, talk, login_as):
    """Erik answered twice; Anna reported his second message."""
    login_as(client, people["erik"])
    client.post(f"/messages/{talk.id}", data={"body": "Ett vanligt svar."})
    client.post(f"/messages/{talk.id}", data={"body": "Ett kränkande svar."})
    offending = db.session.scalar(select(PrivateMessage).where(PrivateMessage.body_source == "Ett kränkande svar."))
    login_as(client, people["anna"])
    assert client.post(f"/messages/report/{offending.id}", data={"reason": "Kränkande ton."}).status_code == 302
    return offending


def test_the_moderators_see_the_reported_message_and_reason_only(client, people, reported, login_as):
    login_as(client, people["admin"])
    body = page_text(client.get("/messages/reports"))
    assert "Ett kränkande svar." in body and "Kränkande ton." in body
    assert "Ett vanligt svar." not in body and "Hej Erik" not in body


@pytest.mark.parametrize("member", ["anna", "leader"])
def test_only_administrators_handle_reports(client, people, reported, member, login_as):
    login_as(client, people[member])
    assert client.get("/messages/reports").status_code == 403
    report = db.session.scalar(select(MessageReport))
    assert client.post(f"/messages/reports/{report.id}/remove").status_code == 403


def test_a_member_reports_only_the_other_members_messages(client, people, talk, login_as):
    [own] = db.session.scalars(select(PrivateMessage))
    login_as(client, people["anna"])
    assert client.get(f"/messages/report/{own.id}").status_code == 404


def test_removing_a_reported_message_takes_its_text_away(client, people, talk, reported, login_as):
    login_as(client, people["admin"])
    report = db.session.scalar(select(MessageReport))
    assert client.post(f"/messages/reports/{report.id}/remove").status_code == 302
    assert "Ett kränkande svar." not in page_text(client.get("/messages/reports"))
    login_as(client, people["anna"])
    page = page_text(client.get(f"/messages/{talk.id}"))
    assert "Ett kränkande svar." not in page and "Meddelandet har tagits bort." in page
    assert "Ett vanligt svar." in page


def test_dismissing_a_report_keeps_the_message(client, people, talk, reported, login_as):
    login_as(client, people["admin"])
    report = db.session.scalar(select(MessageReport))
    assert client.post(f"/messages/reports/{report.id}/dismiss").status_code == 302
    assert db.session.get(MessageReport, report.id).resolved_at is not None
    login_as(client, people["anna"])
    assert "Ett kränkande svar." in page_text(client.get(f"/messages/{talk.id}"))


def test_handled_reports_are_in_the_moderation_log_for_administrators_only(client, people, reported, login_as):
    login_as(client, people["admin"])
    report = db.session.scalar(select(MessageReport))
    client.post(f"/messages/reports/{report.id}/remove")
    entry = "<td>Tog bort ett anmält privat meddelande</td>"
    log = page_text(client.get("/moderation/log"))
    assert entry in log and "(Erik Skribent)" in log and "Ett kränkande svar." not in log
    login_as(client, people["leader"])
    assert entry not in page_text(client.get("/moderation/log"))


# The daily limit of new conversations ----------------------------------------------------------------

def test_new_conversations_are_limited_per_day_but_replies_are_not(app, client, people, talk, login_as):
    app.config["MESSAGES_NEW_PER_DAY"] = 2  # Anna has started one (with Erik)
    login_as(client, people["anna"])
    assert write(client, people["olle"]).status_code == 302
    refused = write(client, people["leader"])
    assert refused.status_code == 429 and "som nätverket tillåter" in page_text(refused)
    assert db.session.scalar(select(func.count(Conversation.id))) == 2
    assert client.post(f"/messages/{talk.id}", data={"body": "Ett svar går alltid."}).status_code == 302
    login_as(client, people["leader"])
    assert write(client, people["anna"]).status_code == 302  # her limit is hers alone


# Pages do not grow with data -------------------------------------------------------------------------

def test_the_list_and_a_conversation_cost_the_same_queries_with_more_data(client, people, talk, make_user,
                                                                           count_queries, login_as):
    anna = people["anna"]

    def measure(path):
        client.get(path)
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    messages.start_conversation(people["leader"], anna, "Olästa meddelanden finns i båda mätningarna.")
    db.session.commit()
    login_as(client, anna)
    few = measure("/messages"), measure(f"/messages/{talk.id}")
    for n in range(6):
        other = make_user(name=f"Kollega {n}")
        messages.start_conversation(other, anna, f"Hej från {n}")
        messages.reply(anna, talk, f"Svar {n}")
    db.session.commit()
    login_as(client, anna)
    assert (measure("/messages"), measure(f"/messages/{talk.id}")) == few


# Export and erasure ---------------------------------------------------------------------------------------

def test_the_export_holds_the_members_own_messages_and_not_others_conversations(app, client, people, talk, login_as):
    login_as(client, people["erik"])
    client.post(f"/messages/{talk.id}", data={"body": "Eriks svar."})
    client.post(f"/messages/new?to={people['olle'].handle}", data={"body": "Till Olle."})
    with app.test_request_context():
        [conversation] = PARTS["messages"].export(people["anna"])
        readable = "".join(PARTS["messages"].readable(people["anna"]))
    assert conversation["with"] == "Erik Skribent"
    assert [m["text"] for m in conversation["your_messages"]] == [db.session.scalar(
        select(PrivateMessage.body_source).where(PrivateMessage.sender_id == people["anna"].id))]
    assert "Hej Erik" in readable and "Eriks svar." not in readable and "Till Olle." not in readable


def test_erasure_keeps_the_other_members_copy_with_a_former_member(client, people, talk, login_as):
    anna, erik = people["anna"], people["erik"]
    login_as(client, anna)
    client.post(f"/messages/block/{people['olle'].handle}")
    client.post("/messages/settings", data={"who_may_write": "nobody"})
    erase_member(Erasure(user=anna, delete_posts=False))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MessageBlock)) == 0
    assert db.session.get(MessageSetting, anna.id) is None
    assert db.session.get(ConversationReadState, (talk.id, anna.id)) is None
    login_as(client, erik)
    page = page_text(client.get(f"/messages/{talk.id}"))
    assert "Tidigare medlem" in page and "<strong>hur</strong>" in page
    assert client.post(f"/messages/{talk.id}", data={"body": "Hallå?"}).status_code == 403


def test_erasure_with_the_posts_takes_the_messages_texts_too(client, people, talk, login_as):
    ERASERS["messages"].erase(Erasure(user=people["anna"], delete_posts=True))
    db.session.commit()
    [message] = db.session.scalars(select(PrivateMessage))
    assert message.body_source == "" and message.removed_at is not None
