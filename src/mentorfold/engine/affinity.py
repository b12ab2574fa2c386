"""Reviewer-application affinity: TF-IDF cosine similarity of texts plus a bonus for declared topics.

Small and dependency-free (numpy + scipy.sparse): a tokenizer, a smoothed TF-IDF with l2-normalised rows,
and one sparse product for the whole applications x reviewers matrix. Pure: strings in, arrays out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["TOPIC_BONUS", "affinity_matrix", "tfidf", "tokenize", "topic_set"]

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
_SEP = "\x00"
_SEP_SPACED = " \x00 "
_SEP_BYTES = b"\x00"
# Lower-case ASCII letters, digits and the separator stay; every other byte becomes a space.
_BYTE_TABLE = bytes(b if (97 <= b <= 122 or 48 <= b <= 57) else (b if b == 0 else 32) for b in range(256))
_STOPWORD_BYTES = frozenset(w.encode() for w in STOPWORDS)
_POSSESSIVE = re.compile(r"'s\b")
TOPIC_BONUS = 0.25


def _require_strings(values: Sequence[str], name: str) -> None:
    if isinstance(values, str):
        raise ValueError(f"{name} must be a sequence of strings, not one string")
    for k, value in enumerate(values):
        if not isinstance(value, str):
            raise ValueError(f"{name}[{k}] must be a string, got {type(value).__name__}")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words, one-letter words or possessive endings.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of str
        Tokens in order of appearance (repeats kept).

    Raises
    ------
    ValueError
        If ``text`` is not a string.

    Examples
    --------
    >>> tokenize("The clinic's rural outreach, in Alaska")
    ['clinic', 'rural', 'outreach', 'alaska']
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    words = _TOKEN.findall(_POSSESSIVE.sub("", text.lower()).replace("'", ""))
    return [w for w in words if len(w) > 1 and w not in STOPWORDS]


def topic_set(text: str) -> frozenset[str]:
    """Comma-separated topics, normalised to lower case with single spaces.

    Parameters
    ----------
    text : str
        For example ``"Rural medicine, refugee  health"``.

    Returns
    -------
    frozenset of str
        ``{"rural medicine", "refugee health"}``; empty items are dropped.

    Raises
    ------
    ValueError
        If ``text`` is not a string.

    Examples
    --------
    >>> sorted(topic_set("Rural medicine, refugee  health,"))
    ['refugee health', 'rural medicine']
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    return frozenset(" ".join(t.lower().split()) for t in text.split(",") if t.strip())


def tfidf(documents: Sequence[str]) -> sp.csr_array:
    """TF-IDF matrix (documents x vocabulary) with smoothed idf and l2-normalised rows.

    Parameters
    ----------
    documents : sequence of str
        The texts; empty texts give all-zero rows.

    Returns
    -------
    scipy.sparse.csr_array, shape (n_documents, max(n_terms, 1))
        Row ``r`` is the unit-length TF-IDF vector of ``documents[r]`` (or zeros).

    Raises
    ------
    ValueError
        If ``documents`` is a single string or holds a non-string.

    Notes
    -----
    ``idf = ln((1 + n) / (1 + df)) + 1``, scikit-learn's default, so a term in every document still counts a
    bit. O(total tokens) time and memory.

    Examples
    --------
    >>> m = tfidf(["rural clinic", "rural", ""])
    >>> m.shape, [round(float(x), 6) for x in (m @ m.T).diagonal()]
    ((3, 2), [1.0, 1.0, 0.0])
    """
    _require_strings(documents, "documents")
    n = len(documents)
    # One pass over all texts joined by NUL (never a token character), no Python loop per word: the same
    # tokens as ``tokenize``, found by a byte table (ASCII letters and digits stay, all else is a space).
    joined = _SEP_SPACED.join(d.replace(_SEP, " ") if _SEP in d else d for d in documents).lower()
    text = _POSSESSIVE.sub("", joined).replace("'", "").encode("ascii", errors="replace")
    words = text.translate(_BYTE_TABLE).split()
    # One pass in C over the words: each word's first position (dict.setdefault); terms are numbered in
    # order of first appearance by ranking those positions, which the dict keeps in ascending order.
    first_seen: dict[bytes, int] = {}
    first = np.fromiter(
        map(first_seen.setdefault, words, range(len(words))), dtype=np.int64, count=len(words)
    )
    term_at = np.empty(len(words), dtype=np.int64)
    term_at[np.fromiter(first_seen.values(), dtype=np.int64, count=len(first_seen))] = np.arange(
        len(first_seen)
    )
    ids = term_at[first]
    keep_term = np.fromiter(
        (len(w) > 1 and w not in _STOPWORD_BYTES and w != _SEP_BYTES for w in first_seen),
        dtype=bool,
        count=len(first_seen),
    )
    column = np.cumsum(keep_term) - 1
    sep_id = int(term_at[first_seen[_SEP_BYTES]]) if _SEP_BYTES in first_seen else -1
    doc = np.cumsum(ids == sep_id)
    kept = keep_term[ids]
    n_terms = int(keep_term.sum())
    width = max(n_terms, 1)
    # Canonical counts (columns ascending within a row, repeats summed) from one sort of the cell numbers,
    # instead of a COO -> CSR conversion and a sort per row.
    cells = np.sort(doc[kept] * width + column[ids[kept]])
    is_new = np.ones(cells.size, dtype=bool)
    np.not_equal(cells[1:], cells[:-1], out=is_new[1:])
    starts = np.flatnonzero(is_new)
    cells, tally = cells[starts], np.diff(starts, append=cells.size).astype(np.float64)
    row = cells // width
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
    counts = sp.csr_array((tally, cells - row * width, indptr), shape=(n, width))
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    weighted = sp.csr_array(counts @ sp.diags_array(idf))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_array(sp.diags_array(1.0 / norms) @ weighted)


def _indicator(sets: list[frozenset[str]], names: dict[str, int]) -> sp.csr_array:
    r: list[int] = []
    c: list[int] = []
    for i, s in enumerate(sets):
        for name in sorted(s):
            r.append(i)
            c.append(names.setdefault(name, len(names)))
    return sp.csr_array(
        (np.ones(len(r)), (np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64))),
        shape=(len(sets), max(len(names), 1)),
    )


# Below this many cells the left factor is made dense and multiplied by BLAS (much faster than a sparse
# product for the short vocabularies of grant texts); above it the product stays sparse to bound memory.
_DENSE_CELLS = 25_000_000


def _product(left: sp.csr_array, right: sp.csr_array) -> npt.NDArray[np.float64]:
    """Dense ``left @ right.T`` for sparse rows of the same vocabulary."""
    right_t = np.ascontiguousarray(right.T.toarray(), dtype=np.float64)
    if left.shape[0] * left.shape[1] <= _DENSE_CELLS:
        return np.ascontiguousarray(left.toarray() @ right_t)
    return np.ascontiguousarray(left @ right_t, dtype=np.float64)


def affinity_matrix(
    application_texts: Sequence[str],
    reviewer_texts: Sequence[str],
    application_topics: Sequence[str],
    reviewer_topics: Sequence[str],
) -> npt.NDArray[np.float64]:
    """Dense (applications x reviewers) affinity in ``[0, 1 + TOPIC_BONUS]``.

    Parameters
    ----------
    application_texts, reviewer_texts : sequence of str
        One text per application / reviewer (for reviewers, their expertise).
    application_topics, reviewer_topics : sequence of str
        Comma-separated declared topics, one string per application / reviewer.

    Returns
    -------
    numpy.ndarray of float64, shape (n_applications, n_reviewers)
        Cosine similarity of TF-IDF vectors fitted on all texts together (both sides share one vocabulary),
        plus ``TOPIC_BONUS`` times the share of the application's declared topics the reviewer also
        declared. Every entry is finite and in ``[0, 1 + TOPIC_BONUS]``.

    Raises
    ------
    ValueError
        If texts and topics differ in length or an entry is not a string.

    Notes
    -----
    One product for the text and topic parts together: O(n_applications * n_reviewers) for
    the dense result plus O(tokens) to build the vectors.

    Examples
    --------
    >>> a = affinity_matrix(["rural clinic"], ["rural medicine", "surgery"], ["rural medicine"], ["rural medicine", ""])
    >>> bool(a[0, 0] > a[0, 1]), a.shape
    (True, (1, 2))
    """
    for values, name in (
        (application_texts, "application_texts"),
        (reviewer_texts, "reviewer_texts"),
        (application_topics, "application_topics"),
        (reviewer_topics, "reviewer_topics"),
    ):
        _require_strings(values, name)
    n_app, n_rev = len(application_texts), len(reviewer_texts)
    if len(application_topics) != n_app or len(reviewer_topics) != n_rev:
        raise ValueError("affinity_matrix: texts and topics must have one entry per application / reviewer")
    if n_app == 0 or n_rev == 0:
        return np.zeros((n_app, n_rev), dtype=np.float64)
    matrix = tfidf(list(application_texts) + list(reviewer_texts))
    # Topics are few: indicator columns, the application side weighted by TOPIC_BONUS / its topic count,
    # appended to the TF-IDF columns so one product gives text similarity plus topic bonus.
    names: dict[str, int] = {}
    a_sets = [topic_set(t) for t in application_topics]
    r_sets = [topic_set(t) for t in reviewer_topics]
    a_ind = _indicator(a_sets, names)
    r_ind = _indicator(r_sets, names)
    a_ind.resize((n_app, max(len(names), 1)))
    sizes = np.array([max(len(s), 1) for s in a_sets], dtype=np.float64)
    a_ind = sp.csr_array(sp.diags_array(TOPIC_BONUS / sizes) @ a_ind)
    left = sp.csr_array(sp.hstack([matrix[:n_app], a_ind], format="csr"))
    right = sp.csr_array(sp.hstack([matrix[n_app:], r_ind], format="csr"))
    score = _product(left, right)
    # Rounding can push a self-similarity a hair above 1: keep the documented range exact.
    np.clip(score, 0.0, 1.0 + TOPIC_BONUS, out=score)
    return score
