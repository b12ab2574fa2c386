"""Reviewer-application affinity: TF-IDF cosine similarity of texts plus a bonus for declared topic matches.

Small and dependency-free (numpy + scipy.sparse): a tokenizer, a smoothed TF-IDF with l2-normalised rows,
and one sparse product for the whole reviewers x applications matrix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "during",
        "each",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "not",
        "of",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "she",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
_TOKEN = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"'s\b")
TOPIC_BONUS = 0.25


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words, one-letter words or possessive endings."""
    words = _TOKEN.findall(_POSSESSIVE.sub("", text.lower()).replace("'", ""))
    return [w for w in words if len(w) > 1 and w not in STOPWORDS]


def topic_set(text: str) -> frozenset[str]:
    """Comma-separated topics, normalised ("Rural medicine, refugee health" -> {"rural medicine", ...})."""
    return frozenset(" ".join(t.lower().split()) for t in text.split(",") if t.strip())


def tfidf(documents: Sequence[str]) -> sp.csr_array:
    """TF-IDF matrix (documents x vocabulary) with smoothed idf and l2-normalised rows.

    idf = ln((1 + n) / (1 + df)) + 1, as scikit-learn's default, so a term in every document still counts a bit.
    Empty documents give all-zero rows.
    """
    vocab: dict[str, int] = {}
    n = len(documents)
    lengths = np.zeros(n, dtype=np.int64)
    cols: list[int] = []
    for r, doc in enumerate(documents):
        tokens = tokenize(doc)
        lengths[r] = len(tokens)
        cols.extend([vocab.setdefault(tok, len(vocab)) for tok in tokens])
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    counts = sp.csr_array(
        (np.ones(len(cols)), (rows, np.asarray(cols, dtype=np.int64))),
        shape=(n, max(len(vocab), 1)),
    )
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    weighted = sp.csr_array(counts @ sp.diags_array(idf))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_array(sp.diags_array(1.0 / norms) @ weighted)


def affinity_matrix(
    application_texts: Sequence[str],
    reviewer_texts: Sequence[str],
    application_topics: Sequence[str],
    reviewer_topics: Sequence[str],
) -> npt.NDArray[np.float64]:
    """Dense (applications x reviewers) affinity in [0, 1 + TOPIC_BONUS].

    Cosine similarity of TF-IDF vectors fitted on all texts together (so both sides share one vocabulary),
    plus ``TOPIC_BONUS`` times the share of the application's declared topics the reviewer also declared.
    """
    n_app, n_rev = len(application_texts), len(reviewer_texts)
    if len(application_topics) != n_app or len(reviewer_topics) != n_rev:
        raise ValueError("affinity_matrix: texts and topics must have one entry per application / reviewer")
    if n_app == 0 or n_rev == 0:
        return np.zeros((n_app, n_rev))
    matrix = tfidf(list(application_texts) + list(reviewer_texts))
    apps, revs = matrix[:n_app], matrix[n_app:]
    score = np.asarray((apps @ revs.T).toarray(), dtype=np.float64)
    # Topic bonus through an indicator product: topics are few, so this stays sparse and fast.
    names: dict[str, int] = {}
    a_sets = [topic_set(t) for t in application_topics]
    r_sets = [topic_set(t) for t in reviewer_topics]

    def indicator(sets: list[frozenset[str]]) -> sp.csr_array:
        r, c = [], []
        for i, s in enumerate(sets):
            for name in s:
                r.append(i)
                c.append(names.setdefault(name, len(names)))
        return sp.csr_array(
            (np.ones(len(r)), (np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64))),
            shape=(len(sets), max(len(names), 1)),
        )

    a_ind = indicator(a_sets)
    r_ind = indicator(r_sets)
    a_ind.resize((n_app, max(len(names), 1)))
    shared = np.asarray((a_ind @ r_ind.T).toarray(), dtype=np.float64)
    sizes = np.array([max(len(s), 1) for s in a_sets], dtype=np.float64)
    score += TOPIC_BONUS * shared / sizes[:, None]
    return score
