"""TF-IDF affinity between grant applications and reviewers (moved here from grants)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorfold.engine.affinity import TOPIC_BONUS, affinity_matrix, tfidf, tokenize, topic_set


def test_tokenize_drops_stopwords_possessives_and_single_letters() -> None:
    assert tokenize("The women's health of a RURAL village, 2 x") == ["women", "health", "rural", "village"]


def test_topic_set_normalises_case_and_spaces() -> None:
    assert topic_set(" Rural  Medicine, refugee health,,") == {"rural medicine", "refugee health"}


@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_tfidf_rows_are_unit_length_or_empty(docs: list[str]) -> None:
    matrix = tfidf(docs)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    for doc, norm in zip(docs, norms, strict=True):
        assert norm == pytest.approx(1.0) if tokenize(doc) else norm == 0.0


@given(
    st.lists(st.sampled_from(["rural", "refugee", "surgery", "pediatrics", "clinic"]), min_size=1, max_size=6)
)
def test_a_text_is_most_similar_to_itself(words: list[str]) -> None:
    text = " ".join(words)
    score = affinity_matrix([text], [text, "unrelated cardiology words"], ["x"], ["x", "y"])
    assert score[0, 0] >= score[0, 1]
    assert score[0, 0] == pytest.approx(1.0 + TOPIC_BONUS)


def test_declared_topics_add_a_bonus_in_proportion() -> None:
    score = affinity_matrix(
        ["", ""],
        ["", ""],
        ["rural medicine, refugee health", "surgery"],
        ["Rural medicine", "pediatrics"],
    )
    assert score[0, 0] == pytest.approx(TOPIC_BONUS / 2)
    assert score[0, 1] == 0.0 and score[1, 0] == 0.0


def test_matching_expertise_scores_higher_than_other_expertise() -> None:
    apps = [
        "I grew up in a rural Alaska village far from any hospital",
        "I arrived as a refugee and interpreted",
    ]
    reviewers = ["rural medicine, rural health", "refugee health, interpreters"]
    score = affinity_matrix(apps, reviewers, ["", ""], reviewers)
    assert score[0, 0] > score[0, 1]
    assert score[1, 1] > score[1, 0]


def test_empty_sides_and_mismatched_lengths() -> None:
    assert affinity_matrix([], ["x"], [], ["x"]).shape == (0, 1)
    with pytest.raises(ValueError, match="one entry per"):
        affinity_matrix(["a"], ["b"], [], ["b"])


def test_it_rejects_non_string_texts_with_a_specific_error() -> None:
    with pytest.raises(ValueError, match=r"reviewer_texts\[1\] must be a string"):
        affinity_matrix(["a"], ["b", None], ["a"], ["b", ""])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not one string"):
        tfidf("one string")
    with pytest.raises(ValueError, match="must be a string"):
        tokenize(3)  # type: ignore[arg-type]


@given(
    st.lists(st.text(max_size=30), min_size=1, max_size=5),
    st.lists(st.text(max_size=30), min_size=1, max_size=5),
)
def test_affinity_is_finite_and_in_its_documented_range(apps: list[str], reviewers: list[str]) -> None:
    score = affinity_matrix(apps, reviewers, apps, reviewers)
    assert score.shape == (len(apps), len(reviewers))
    assert np.isfinite(score).all()
    assert score.min() >= 0.0 and score.max() <= 1.0 + TOPIC_BONUS


def test_docstring_examples_hold() -> None:
    from mentorfold.engine import affinity

    assert doctest.testmod(affinity).failed == 0


@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("abcSZ09 '\n\x00.,-éİKΣ\u212a")), max_size=40),
        min_size=1,
        max_size=6,
    )
)
def test_tfidf_counts_exactly_the_tokens_of_tokenize(docs: list[str]) -> None:
    """The whole-corpus tokenizer inside tfidf sees each text as ``tokenize`` does (NUL, Kelvin sign, 's)."""
    matrix = tfidf(docs)
    idf_free = [sorted(round(float(v), 9) for v in matrix[[r]].data if v) for r in range(len(docs))]
    from collections import Counter

    vocab: dict[str, int] = {}
    for doc in docs:
        for w in tokenize(doc):
            vocab.setdefault(w, len(vocab))
    assert matrix.shape == (len(docs), max(len(vocab), 1))
    df = Counter(w for doc in docs for w in set(tokenize(doc)))
    for r, doc in enumerate(docs):
        counts = Counter(tokenize(doc))
        weights = {w: c * (np.log((1 + len(docs)) / (1 + df[w])) + 1) for w, c in counts.items()}
        norm = np.sqrt(sum(v * v for v in weights.values())) or 1.0
        row = matrix[[r]].toarray().ravel()
        expected = np.zeros(matrix.shape[1])
        for w, v in weights.items():
            expected[vocab[w]] = v / norm
        assert row == pytest.approx(expected)
        assert len(idf_free[r]) == len(counts)
