"""The ministry's review queue: longest waiting first by the time of the latest submission (shown),
a text search over title, place and partner institutions, filters that survive Approve and Return,
and a "next in queue" after each; the review page shows each change's field, before and after."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from activities.models import Activity, ActivityTransition
from activities.services import activity_save

from .factories import ActivityFactory, InstitutionFactory, complete

T0 = timezone.make_aware(datetime.datetime(2025, 7, 1, 9, 0))


def at(hours):
    return T0 + datetime.timedelta(hours=hours)


def submit_at(activity, when, by=None, from_status="draft"):
    """A submission step recorded at a chosen time (the model stamps `at` itself, so it is set after),
    and the activity's times read from its steps, as after a bulk load."""
    step = ActivityTransition.objects.create(activity=activity, from_status=from_status, to_status="submitted", by=by)
    ActivityTransition.objects.filter(pk=step.pk).update(at=when)
    Activity.objects.filter(pk=activity.pk).times_from_steps()
    return step


def waiting(region, when, **fields):
    activity = complete(ActivityFactory(region=region, status="submitted", **fields))
    submit_at(activity, when)
    return activity


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def sign_in(client, user):
    """Log in as a person who also passed the second factor, where their role needs one."""
    client.force_login(user)
    if user.requires_second_factor:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


def queue(client, **params):
    response = client.get(reverse("activities:review_queue"), params)
    assert response.status_code == 200
    return response


def titles(response):
    return [activity.title for activity in response.context["page"].object_list]


class TestOrder:
    def test_the_longest_waiting_comes_first_whatever_the_activitys_own_date(self, staff_client, amazonas):
        for title, hours, day in (("Sent last", 5, 2), ("Sent first", 1, 150), ("Sent second", 3, 60)):
            date = datetime.date(2025, 1, 1) + datetime.timedelta(days=day)
            waiting(amazonas, at(hours), title=title, start_date=date, end_date=date)
        assert titles(queue(staff_client)) == ["Sent first", "Sent second", "Sent last"]

    def test_the_submission_time_is_shown(self, staff_client, amazonas):
        waiting(amazonas, at(1), title="Sent first")
        html = queue(staff_client).content.decode()
        assert "Submitted on" in html
        assert f'datetime="{at(1).isoformat()}"' in html

    def test_a_returned_activity_sent_again_waits_from_its_latest_submission(self, staff_client, amazonas, staff):
        again = waiting(amazonas, at(0), title="Sent again")
        ActivityTransition.objects.create(activity=again, from_status="submitted", to_status="returned", by=staff)
        submit_at(again, at(9), from_status="returned")
        waiting(amazonas, at(4), title="Sent once")
        response = queue(staff_client)
        assert titles(response) == ["Sent once", "Sent again"]
        assert response.context["page"].object_list[1].submitted_at == at(9)

    def test_only_submitted_activities_wait(self, staff_client, amazonas):
        waiting(amazonas, at(1), title="Waiting")
        ActivityFactory(region=amazonas, status="draft", title="A draft")
        ActivityFactory(region=amazonas, status="approved", title="Approved already")
        ActivityFactory(region=amazonas, status="returned", title="Back with the region")
        assert titles(queue(staff_client)) == ["Waiting"]

    def test_the_times_are_read_in_the_same_queries_for_three_activities_as_for_twelve(self, staff_client, amazonas):
        for hour in range(3):
            waiting(amazonas, at(hour))
        with CaptureQueriesContext(connection) as few:
            queue(staff_client)
        for hour in range(3, 12):
            waiting(amazonas, at(hour))
        with CaptureQueriesContext(connection) as many:
            assert len(queue(staff_client).context["page"].object_list) == 12
        assert len(many) == len(few)


class TestSearch:
    @pytest.fixture
    def three(self, amazonas):
        partner = InstitutionFactory(name="Centro de Salud Lamud", region=amazonas)
        by_partner = waiting(amazonas, at(3), title="Feria informativa", place_name="Plaza de armas")
        by_partner.institutions.set([partner, InstitutionFactory(name="Centro de Salud Luya", region=amazonas)])
        waiting(amazonas, at(1), title="Taller de crianza", place_name="Local comunal")
        waiting(amazonas, at(2), title="Reunión de la red", place_name="Colegio San Juan")
        return by_partner

    def test_finds_words_of_the_title_in_any_case(self, staff_client, three):
        assert titles(queue(staff_client, q="CRIANZA")) == ["Taller de crianza"]

    def test_finds_the_place(self, staff_client, three):
        assert titles(queue(staff_client, q="san juan")) == ["Reunión de la red"]

    def test_finds_a_partner_institution_and_lists_the_activity_once(self, staff_client, three):
        # Both partners match "centro de salud": one row all the same.
        assert titles(queue(staff_client, q="centro de salud")) == ["Feria informativa"]
        assert queue(staff_client, q="centro de salud").context["page"].paginator.count == 1

    def test_accents_are_ignored_both_ways(self, staff_client, three):
        # Typed without accents on a phone, or with them: the same activities.
        assert titles(queue(staff_client, q="reunion")) == ["Reunión de la red"]
        assert titles(queue(staff_client, q="TÁLLER")) == ["Taller de crianza"]
        assert titles(queue(staff_client, q="lámud")) == ["Feria informativa"]

    def test_nothing_matches_says_so(self, staff_client, three):
        response = queue(staff_client, q="Huancavelica")
        assert titles(response) == []
        assert "No activity waiting for review matches these filters." in response.content.decode()

    def test_a_draft_or_approved_activity_is_never_found(self, staff_client, amazonas, three):
        ActivityFactory(region=amazonas, status="draft", title="Taller de crianza (borrador)")
        ActivityFactory(region=amazonas, status="approved", title="Taller de crianza aprobado")
        assert titles(queue(staff_client, q="crianza")) == ["Taller de crianza"]

    def test_staff_search_every_region(self, staff_client, amazonas, puno, three):
        waiting(puno, at(0), title="Taller de crianza en Juliaca")
        assert titles(queue(staff_client, q="crianza")) == ["Taller de crianza en Juliaca", "Taller de crianza"]

    def test_combines_with_the_region_filter(self, staff_client, amazonas, puno, three):
        waiting(puno, at(0), title="Taller de crianza en Juliaca")
        assert titles(queue(staff_client, q="crianza", region=amazonas.pk)) == ["Taller de crianza"]

    def test_a_coordinator_cannot_open_the_queue_even_with_a_search(self, client, coord_amazonas, three):
        client.force_login(coord_amazonas)
        assert client.get(reverse("activities:review_queue"), {"q": "crianza"}).status_code == 403

    def test_the_queue_is_read_only(self, staff_client, three):
        assert staff_client.post(reverse("activities:review_queue"), {"q": "x"}).status_code == 405


class TestFiltersAndNext:
    """Staff filter the queue to Amazonas, then approve or return one activity after another."""

    @pytest.fixture
    def line(self, amazonas, puno):
        # Puno's waits longest, but is outside the filter.
        waiting(puno, at(0), title="Puno, first of all")
        return [waiting(amazonas, at(hour), title=f"Amazonas {hour}") for hour in (1, 2, 3)]

    def filters(self, amazonas):
        return urlencode({"q": "amazonas", "region": amazonas.pk})

    def test_the_queue_links_each_activity_with_its_filters(self, staff_client, amazonas, line):
        html = queue(staff_client, q="amazonas", region=amazonas.pk).content.decode()
        link = f"{line[0].get_absolute_url()}?{urlencode({'queue': self.filters(amazonas)})}"
        assert link.replace("&", "&amp;") in html

    def test_the_review_form_carries_the_filters(self, staff_client, amazonas, line):
        url = f"{line[0].get_absolute_url()}?{urlencode({'queue': self.filters(amazonas)})}"
        html = staff_client.get(url).content.decode()
        hidden = re.search(r'<input type="hidden" name="queue" value="([^"]*)">', html)
        assert hidden and hidden[1].replace("&amp;", "&") == self.filters(amazonas)

    def review(self, client, activity, action, query):
        return client.post(
            reverse("activities:review", args=[activity.pk]),
            {"action": action, "comment": "Falta la lista de asistencia.", "queue": query},
        )

    @pytest.mark.parametrize("action", ["approve", "return"])
    def test_after_an_action_the_next_activity_of_the_same_filtered_queue_opens(
        self, staff_client, amazonas, line, action
    ):
        response = self.review(staff_client, line[0], action, self.filters(amazonas))
        assert response.status_code == 302
        assert response.url == f"{line[1].get_absolute_url()}?{urlencode({'queue': self.filters(amazonas)})}"
        assert Activity.objects.get(pk=line[0].pk).status == ("approved" if action == "approve" else "returned")

    def test_next_is_the_one_after_the_reviewed_one_not_the_head_of_the_queue(self, staff_client, amazonas, line):
        # The reviewer skipped "Amazonas 1" (waiting for a phone call) and approved "Amazonas 2".
        response = self.review(staff_client, line[1], "approve", self.filters(amazonas))
        assert response.url.startswith(line[2].get_absolute_url() + "?")

    def test_after_the_last_one_the_queue_starts_again_from_the_top(self, staff_client, amazonas, line):
        response = self.review(staff_client, line[2], "approve", self.filters(amazonas))
        assert response.url.startswith(line[0].get_absolute_url() + "?")

    def test_when_nothing_is_left_staff_land_on_the_filtered_queue_with_a_message(self, staff_client, amazonas, line):
        for activity in line[:2]:
            Activity.objects.filter(pk=activity.pk).update(status="approved")
        response = self.review(staff_client, line[2], "return", self.filters(amazonas))
        assert response.url == f"{reverse('activities:review_queue')}?{self.filters(amazonas)}"
        page = staff_client.get(response.url)
        assert "No activity waiting for review matches these filters." in page.content.decode()
        assert titles(page) == []  # Puno's stays out: the filter held

    def test_without_filters_next_is_the_next_of_the_whole_queue(self, staff_client, line):
        response = self.review(staff_client, line[0], "approve", "")
        assert response.url == line[1].get_absolute_url()

    def test_a_refused_action_stays_on_the_page_with_its_filters(self, staff_client, amazonas, line):
        # Returning needs a comment that says what must change.
        response = staff_client.post(
            reverse("activities:review", args=[line[1].pk]),
            {"action": "return", "comment": "", "queue": self.filters(amazonas)},
        )
        assert response.url == f"{line[1].get_absolute_url()}?{urlencode({'queue': self.filters(amazonas)})}"
        assert Activity.objects.get(pk=line[1].pk).status == "submitted"

    def test_only_the_queues_own_filters_travel(self, staff_client, amazonas, line):
        sent = f"region={amazonas.pk}&next=//evil.example&page=9"
        url = f"{line[0].get_absolute_url()}?{urlencode({'queue': sent})}"
        html = staff_client.get(url).content.decode()
        assert f'<input type="hidden" name="queue" value="region={amazonas.pk}">' in html

    def test_a_coordinator_never_sees_the_queue_field(self, client, coord_amazonas, line):
        client.force_login(coord_amazonas)
        html = client.get(f"{line[0].get_absolute_url()}?queue=region%3D1").content.decode()
        assert 'name="queue"' not in html


class TestDiff:
    @pytest.fixture
    def changed(self, amazonas, coord_amazonas):
        activity = ActivityFactory(region=amazonas, title="Taller en Luya", modality="in_person", families=4)
        activity.title = "Taller de crianza en Luya"
        activity.modality = "virtual"
        activity.families = 9
        activity._history_user = coord_amazonas
        activity_save(activity=activity, expected_version=1)
        return activity

    def rows(self, client, activity, lang):
        with translation.override(lang):
            html = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
        table = re.search(r'<table class="changes">(.*?)</table>', html, re.DOTALL)
        assert table, "no table of changes"
        cells = re.findall(
            r'<th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td>',
            table[1],
        )
        return {label: (before, after) for label, before, after in cells}

    def test_staff_see_each_changed_field_with_before_and_after(self, staff_client, changed):
        rows = self.rows(staff_client, changed, "en")
        assert rows == {
            "Title": ("Taller en Luya", "Taller de crianza en Luya"),
            "Modality": ("In person", "Virtual"),
            "Families reached": ("4", "9"),
        }

    def test_in_spanish_the_labels_and_choices_are_spanish(self, staff_client, changed):
        rows = self.rows(staff_client, changed, "es")
        assert rows["Título"] == ("Taller en Luya", "Taller de crianza en Luya")
        assert rows["Modalidad"] == ("Presencial", "Virtual")
