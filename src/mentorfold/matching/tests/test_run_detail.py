"""Issue 11 §2: a run's page lists every pair and every unmatched learner, exports them and compares runs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching import services
from mentorfold.matching.models import MatchRun
from mentorfold.matching.run_tables import PAGE_SIZE

from .factories import join_term, rank


def finished(term: Any, method: str = "stable", seed: int = 1) -> MatchRun:
    return services.match_run_execute(match_run=MatchRun.objects.create(term=term, method=method, seed=seed))


@pytest.fixture
def big_term(term: Any) -> dict[str, Any]:
    """60 learners, 20 mentors with 3 seats; learner i ranks mentors i%20 and (i+1)%20; 3 rank nobody."""
    mentors = [MentorProfileFactory(user__full_name=f"Mentor {i:02d}") for i in range(20)]
    learners = [LearnerProfileFactory(user__full_name=f"Learner {i:02d}") for i in range(60)]
    hostile = LearnerProfileFactory(user__full_name='=HYPERLINK("http://x")')
    join_term(term, learners=[*learners, hostile], mentors=mentors, capacity=3)
    for i, lp in enumerate(learners[:57]):
        rank(term, lp, [mentors[i % 20], mentors[(i + 1) % 20]])
    rank(term, hostile, [mentors[0]])
    return {"term": term, "mentors": mentors, "learners": learners, "hostile": hostile}


def page(client: Any, run: MatchRun, **params: Any) -> str:
    return client.get(reverse("matching:run_detail", args=[run.pk]), params).content.decode()


def test_every_matched_pair_is_listed_in_pages_with_search_and_sort(
    client: Any, big_term: dict[str, Any], coordinator: Any
) -> None:
    run = finished(big_term["term"])
    client.force_login(coordinator)
    body = page(client, run)
    assert f"{run.stats['matched']} matched pairs" in body
    assert "Page 1 of 1" not in body and ("Page 1 of" in body) == (run.stats["matched"] > PAGE_SIZE)
    searched = page(client, run, q="Learner 07")
    assert "Learner 07" in searched and "Learner 08" not in searched
    by_mentor_desc = page(client, run, sort="-mentor")
    assert 'aria-sort="descending"' in by_mentor_desc
    assert by_mentor_desc.index("Mentor 19") < by_mentor_desc.index("Mentor 18")
    second = page(client, run, page=2)
    assert "Page 2 of" in second


def test_unmatched_learners_are_listed_with_their_reason(
    client: Any, big_term: dict[str, Any], coordinator: Any
) -> None:
    run = finished(big_term["term"])
    client.force_login(coordinator)
    body = page(client, run, q="Learner 58")
    assert "Learner 58" in body and "Did not rank any mentor" in body
    assert "Did not rank any mentor: 3" in page(client, run)


def test_export_has_every_learner_and_neutralises_formulas(
    client: Any, big_term: dict[str, Any], coordinator: Any
) -> None:
    run = finished(big_term["term"])
    client.force_login(coordinator)
    response = client.get(reverse("matching:run_detail", args=[run.pk]), {"export": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="match-run-{run.pk}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + run.stats["learners"]
    assert any(row[0] == '\'=HYPERLINK("http://x")' for row in rows)
    xlsx = client.get(reverse("matching:run_detail", args=[run.pk]), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 1 + run.stats["learners"] and '\'=HYPERLINK("http://x")' in values


def test_the_diff_shows_who_changed_mentor_gained_or_lost_one(
    client: Any, term: Any, coordinator: Any
) -> None:
    a, b = (
        MentorProfileFactory(user__full_name="Ada Mentor"),
        MentorProfileFactory(user__full_name="Bo Mentor"),
    )
    x, y = (
        LearnerProfileFactory(user__full_name="Xena Learner"),
        LearnerProfileFactory(user__full_name="Yuri Learner"),
    )
    join_term(term, learners=[x, y], mentors=[a, b])
    rank(term, x, [a])
    rank(term, y, [a, b])
    first = finished(term)  # x or y gets a; the other gets b or nothing
    from mentorfold.matching.models import Preference

    Preference.objects.filter(learner=x).delete()  # x stops ranking: loses the mentor in the next run
    second = finished(term, seed=2)
    client.force_login(coordinator)
    body = page(client, second, against=first.pk)
    assert f"Against run #{first.pk}" in body
    assert "Xena Learner" in body
    diff_counts = body[body.index("Against run") : body.index("kept the same mentor")]
    assert "matched only in run" in diff_counts
    bad = page(client, second, against="99999999999999999999")
    assert "Select a valid choice" in bad


def test_run_page_with_search_sort_and_diff_has_a_bounded_query_count(
    client: Any, big_term: dict[str, Any], coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    run = finished(big_term["term"])
    other = finished(big_term["term"], method="optimal")
    client.force_login(coordinator)
    with django_assert_max_num_queries(22):
        page(client, run, q="Learner", sort="-score", page=2, against=other.pk)
    with django_assert_max_num_queries(8):
        client.get(reverse("matching:run_detail", args=[run.pk]), {"export": "csv"})


@pytest.mark.parametrize(
    "query", ["page=abc", "page=99999999999999999999", "sort=%00", "upage=-3", "export=pdf", "q=" + "x" * 500]
)
def test_run_page_ignores_hostile_table_parameters(
    client: Any, ranked_term: Any, coordinator: Any, query: str
) -> None:
    run = finished(ranked_term)
    client.force_login(coordinator)
    assert client.get(reverse("matching:run_detail", args=[run.pk]) + "?" + query).status_code == 200
