"""Employers (工作单位) and their USCCs against the business registry (工商) and social insurance (社保).

Company names
-------------
`parse_company_name` splits a name into what matching needs (`CompanyName`):

* ``norm`` — NFKC (full- and half-width brackets, letters and digits become one), no spaces, brackets or
  punctuation, upper case: two names with the same ``norm`` are the same name;
* ``regions`` — region words (short forms: 贵州省 → 贵州, 黔东南苗族侗族自治州 → 黔东南, 湄潭县 → 湄潭), leading
  ones and one in brackets (黔润（贵州）科技 → 贵州);
* ``legal`` — the legal-form word (有限公司, 有限责任公司, 股份有限公司 …, `dq_rules.repair_rules.LEGAL_FORMS`);
* ``key`` — regions first, then the rest without the legal form: 黔润（贵州）科技有限公司 and 贵州黔润科技 both
  give 贵州黔润科技; a branch keeps its branch part (贵州黔润科技遵义分公司); ``wkey`` — the same in written
  order (``norm`` without the legal form); ``core`` is the key without the regions; ``branch`` whether the
  name ends in 分公司, 支行 …

`NameIndex` holds every 企业名称 and 曾用名 of the registry as *entries* with exact indexes on ``norm``,
``key`` and ``core``, and blocking indexes: key bigrams (for edit distance; the bigrams of region and
industry words, held by thousands of entries, are not used) and key characters (for abbreviations).
`NameIndex.match(name)` decides in tiers:

1. ``exact`` / ``former`` — the same ``norm`` as one company's current / former name (bracket width,
   spaces, punctuation); a former name maps to the current name;
2. ``key`` — the same key, written in the same order, legal forms not contradicting, as exactly one
   company — and no other company whose name is the query's with more region words (黔南鹿冲科技 may be
   安顺黔南鹿冲科技…);
3. ``typo`` — a weighted edit distance (rapidfuzz Levenshtein on its optimal alignment: a substitution by
   a character of the same reading — the usual slip of a pinyin input method — costs ½, any other edit 1,
   a contradicting legal form 1, region words in another place 1) ≤ 1 (≤ 2 for long names) to one
   company, every other company at least `TYPO_MIN_MARGIN` further. Compared in canonical (region first)
   and in written order (黔润（贵扬）商贸 is one slip from 黔润（贵阳）商贸), and on the whole name for a slip in
   the legal form itself;
4. ``abbrev`` — the name is a subsequence of a company's core name (without region words), starting with
   its trade name and covering enough of it; with several such companies the one it follows in clearly
   fewer contiguous pieces wins (投合人力: 投合人力资源, not 投合宁人力资源); a tie → review (two companies
   sharing an abbreviation, e.g. the same trade name in two regions).

Candidates must always agree on region words (贵州… and 贵阳… are different companies) and on being a branch
(a branch is its own company, rule 8). When the typo and the abbreviation readings point at different
companies, or a tier leaves more than one company, the name is ``ambiguous`` (review with the candidates);
nothing near is ``none`` (left as typed: employers outside the business registry — public bodies, schools
— are normal).

Person rows (基本信息)
----------------------
* A valid USCC registered in 工商 decides: the registry's current 企业名称 replaces a form name that is a
  variant of it (an empty name is filled); a form name that is clearly another company (the exact name of
  another registry company, or nothing like it) → review.
* Otherwise the form name is matched (above); when it is ambiguous and 社保's 参保单位 is one of the
  candidates, 社保 decides.
* USCC: a bad check character → `uscc_candidates` registered in 工商 and agreeing with the company the
  name (or 社保) identifies; an old 15-digit registration number → the USCC of the company the name
  identifies; otherwise review.
* Contract rule 8: an empty 工作单位 takes 社保's 参保单位 (and its USCC when the form has none) for an
  employed person; a form naming another company than 社保 → review of 工作单位 (and the USCC), never a
  change.

* A current employer 注销 / 吊销 / 迁出 in the registry is noted in the log (not reviewed, not changed).

Work rows (工作经历): names matched the same way; for the current job (empty 终止时间) an ambiguity is settled
by 社保's 参保单位 or by the person's employer on 基本信息 when one of the candidates is that company.

Distinct names are matched once (`NameIndex.match_many`), the fuzzy tiers spread over forked worker
processes when there are many.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from archives_domain.identity import is_legacy_registration_number, is_valid_uscc, normalize_uscc, uscc_candidates
from dq_rules import repair_rules as R

from .log import SHEET_PERSON, SHEET_WORK, empty_proposals, issue_rows, make_proposals, na

__all__ = ["CompanyName", "parse_company_name", "NameIndex", "Match", "propose_employers", "split_former_names",
           "EMP", "USCC"]

EMP, USCC = "工作单位", "单位统一社会信用代码"
ID = "公民身份号码"

# ---------------------------------------------------------------------------------------------------------
# Company names

_DROP = re.compile(r"[\s()\[\]{}<>【】〔〕《》〈〉「」『』·.,，。、;；:：'\"“”‘’!！?？\-—–_/\\|&＆+*#@%~`^$=]+")
_BRACKET = re.compile(r"[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]")


@lru_cache(maxsize=1)
def _regions() -> tuple[re.Pattern, dict[str, str]]:
    """A regex of the region words (longest first) and each word's short form."""
    words: dict[str, str] = {"贵州省": "贵州", "贵州": "贵州"}
    for w in R.EXTRA_REGION_WORDS:
        words.setdefault(w, w)
    from archives_domain.codes import division_short_names
    for name, short in division_short_names().items():
        words.setdefault(name, short)
        if name.endswith("州") and name != short and not name.endswith("自治州"):
            words.setdefault(short + "自治州", short)  # 黔东南自治州 as well as 黔东南州
    alt = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"(?:{alt})"), words


@lru_cache(maxsize=1)
def _region_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(w) for w in _regions()[1]}, reverse=True))


def _region_prefix(text: str, words: dict[str, str]) -> int:
    """Length of the longest region word `text` starts with (0: none)."""
    for n in _region_lengths():
        if n <= len(text) and text[:n] in words:
            return n
    return 0


@dataclass(frozen=True, slots=True)
class CompanyName:
    norm: str
    key: str
    wkey: str
    core: str
    regions: tuple[str, ...]
    legal: str | None
    branch: bool


_EMPTY = CompanyName("", "", "", "", (), None, False)


@lru_cache(maxsize=1 << 18)
def parse_company_name(name: str | None) -> CompanyName:
    """The parts of a company name used for matching (see the module doc)."""
    if not isinstance(name, str) or not name.strip():
        return _EMPTY
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s+", "", text)
    norm = _DROP.sub("", text).upper()
    if not norm:
        return _EMPTY
    _, short = _regions()
    bracket_regions: list[str] = []

    def _bracket(m: re.Match) -> str:
        inner = _DROP.sub("", m.group(1))
        if inner and inner in short:
            bracket_regions.append(short[inner])
            return ""
        return inner

    t = _DROP.sub("", _BRACKET.sub(_bracket, text)).upper() if ("(" in text or "[" in text or "【" in text
                                                                or "〔" in text) else norm
    legal, t, w = _strip_legal(t, norm)
    branch = _is_branch(t)
    regions: list[str] = []
    core = t
    while True:
        n = _region_prefix(core, short)
        if not n or len(core) - n < 2:
            break
        regions.append(short[core[:n]])
        core = core[n:]
    for r in bracket_regions:
        if r not in regions:
            regions.append(r)
    key = "".join(regions) + core
    return CompanyName(norm, key, w, core, tuple(regions), legal, branch)


def _is_branch(t: str) -> bool:
    if not t.endswith(_BRANCH_MARKERS):
        return False
    return any(t.endswith(m) and len(t) > len(m) + 2 for m in R.BRANCH_MARKERS)


_BRANCH_MARKERS = tuple(R.BRANCH_MARKERS)
_LEGAL_FORMS = tuple(R.LEGAL_FORMS)


def _strip_legal(t: str, norm: str) -> tuple[str | None, str, str]:
    """(legal form, `t` without it, `norm` without it — the written-order key)."""
    legal = None
    w = norm
    for lf in _LEGAL_FORMS if any(c in t for c in "司伙企") else ():
        i = t.find(lf)
        if i > 0:
            legal = lf
            t = t[:i] + t[i + len(lf):]
            j = w.find(lf)
            if j > 0:
                w = w[:j] + w[j + len(lf):]
            break
    branch = _is_branch(t)
    if not branch and t.endswith("公司") and len(t) > 4:
        legal = legal or "公司"
        t = t[:-2]
        if w.endswith("公司"):
            w = w[:-2]
    return legal, t, w


def split_former_names(value) -> list[str]:
    """曾用名 of the registry: `;`-separated (full-width ； too)."""
    if na(value):
        return []
    return [p.strip() for p in re.split(r"[;；]", str(value)) if p.strip()]


def _legal_compatible(a: str | None, b: str | None) -> bool:
    """Legal forms that do not contradict: one missing, a bare 公司, or the same."""
    return a is None or b is None or a == "公司" or b == "公司" or a == b


def _regions_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return True
    sa, sb = set(a), set(b)
    return sa <= sb or sb <= sa


def _is_subsequence(q: str, s: str) -> bool:
    it = iter(s)
    return all(ch in it for ch in q)


def _strip_org_words(core: str) -> str:
    for w in R.ORG_WORDS:
        if w in core and len(core) > len(w) + 1:
            core = core.replace(w, "")
    return core


def _pieces(q: str, s: str) -> int:
    """Contiguous pieces of `s` the characters of `q` are found in, left to right (greedy, earliest); 0
    when `q` is not a subsequence of `s`."""
    pieces, j, last = 0, 0, -2
    for ch in q:
        k = s.find(ch, j)
        if k < 0:
            return 0
        if k != last + 1:
            pieces += 1
        last, j = k, k + 1
    return pieces


@lru_cache(maxsize=1 << 16)
def _readings(ch: str) -> frozenset[str]:
    from pypinyin import Style, pinyin
    if not ("\u4e00" <= ch <= "\u9fff"):
        return frozenset()
    r = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return frozenset(x for x in (r[0] if r else []) if x)


def _homophones(a: str, b: str) -> bool:
    ra, rb = _readings(a), _readings(b)
    return bool(ra and rb and ra & rb)


def weighted_distance(a: str, b: str) -> float:
    """Levenshtein distance where a substitution by a character of the same reading (pypinyin, tones
    ignored) costs `HOMOPHONE_COST` (on rapidfuzz's optimal alignment)."""
    cost = 0.0
    for op in Levenshtein.editops(a, b):
        if op.tag == "replace" and _homophones(a[op.src_pos], b[op.dest_pos]):
            cost += R.HOMOPHONE_COST
        else:
            cost += 1.0
    return cost


def _bigrams(s: str) -> list[str]:
    return [s[i:i + 2] for i in range(len(s) - 1)] or ([s] if s else [])


# ---------------------------------------------------------------------------------------------------------
# The registry's name index

@dataclass
class Match:
    """The outcome of `NameIndex.match`: `status` is exact / former / key / typo / abbrev (one company:
    `company`, a registry row) or ambiguous / none (`candidates`: registry rows, best first)."""
    status: str
    company: int = -1
    candidates: list[int] = field(default_factory=list)

    @property
    def unique(self) -> bool:
        return self.company >= 0

    @property
    def rule(self) -> str | None:
        return {"exact": "employer_exact_variant", "former": "employer_former_name", "key": "employer_key_match",
                "typo": "employer_typo_match", "abbrev": "employer_abbrev_match"}.get(self.status)


def _intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection of two sorted unique arrays, `a` the shorter (binary search, no sort)."""
    if not len(a) or not len(b):
        return a[:0]
    i = np.searchsorted(b, a)
    i[i == len(b)] = 0
    return a[b[i] == a]


def _group(values: list) -> dict:
    """{value: [positions]} (positions ascending)."""
    out: dict = {}
    for i, v in enumerate(values):
        out.setdefault(v, []).append(i)
    return out


def _postings(token_sets: list[set]) -> dict[str, np.ndarray]:
    """Inverted index {token: sorted int32 array of positions} of a list of token sets."""
    tokens: list[str] = []
    owners: list[int] = []
    for i, ts in enumerate(token_sets):
        tokens.extend(ts)
        owners.extend([i] * len(ts))
    if not tokens:
        return {}
    codes, uniques = pd.factorize(pd.Series(tokens, dtype=object), sort=False)
    order = np.argsort(codes, kind="stable")
    owners_np = np.asarray(owners, dtype=np.int32)[order]
    ends = np.cumsum(np.bincount(codes, minlength=len(uniques)))
    starts = ends - np.bincount(codes, minlength=len(uniques))
    return {u: owners_np[a:b] for u, a, b in zip(uniques, starts.tolist(), ends.tolist())}


class NameIndex:
    """Current names and 曾用名 of the registry rows (row i of the registry = company i)."""

    def __init__(self, names: list[str | None], formers: list[str | None]) -> None:
        e_company: list[int] = []
        e_kind: list[int] = []
        raws: list[str] = []
        self.current = list(names)
        for row, (name, former) in enumerate(zip(names, formers)):
            if isinstance(name, str):
                raws.append(name), e_company.append(row), e_kind.append(0)
            for f in split_former_names(former):
                raws.append(f), e_company.append(row), e_kind.append(1)
        parsed = [parse_company_name(r) for r in raws]
        keep = [i for i, p in enumerate(parsed) if p.norm]
        parts = [parsed[i] for i in keep]
        self.parts = parts
        self.e_company = np.asarray([e_company[i] for i in keep], dtype=np.int64)
        self.e_kind = np.asarray([e_kind[i] for i in keep], dtype=np.int8)
        self.keys = [p.key for p in parts]
        self.wkeys = [p.wkey for p in parts]
        self.keys_np = np.asarray(self.keys, dtype=object)
        self.wkeys_np = np.asarray(self.wkeys, dtype=object)
        self.norms_np = np.asarray([p.norm for p in parts], dtype=object)
        self.e_branch = np.asarray([p.branch for p in parts], dtype=bool)
        self.by_norm = _group([p.norm for p in parts])
        self.by_key = _group(self.keys)
        self.by_core = _group([p.core for p in parts])
        self.bigrams = _postings([set(_bigrams(k)) | set(_bigrams(w)) for k, w in zip(self.keys, self.wkeys)])
        self.chars = _postings([set(k) for k in self.keys])
        self._empty = np.empty(0, dtype=np.int32)
        self.company_entries = _group(self.e_company.tolist())
        self._current_arrow = None

    def __len__(self) -> int:
        return len(self.parts)

    # -- blocking ------------------------------------------------------------------------------------------
    def _edit_block(self, q: CompanyName, reach: int) -> np.ndarray:
        """Entries that may be within `reach` edits of the query's key or written-order key: they share
        enough of its bigrams (an edit destroys at most two), counted over the bigrams held by at most
        `BLOCK_MAX_POSTING` entries (region and industry words are left out unless nothing rarer exists)."""
        out = []
        for k in dict.fromkeys((q.key, q.wkey)):
            grams = list(dict.fromkeys(_bigrams(k)))
            posts = [self.bigrams.get(g, self._empty) for g in grams]
            absent = sum(1 for p in posts if not len(p))
            posts = sorted((p for p in posts if len(p)), key=len)
            if not posts:
                continue
            use = [p for p in posts if len(p) <= R.BLOCK_MAX_POSTING] or posts[:1]
            ids, counts = np.unique(np.concatenate(use), return_counts=True)
            need = max(1, len(use) + absent - 2 * reach)
            out.append(ids[counts >= need])
        if q.norm != q.wkey:  # a slip inside the legal form: best effort, the rarest trade-name bigrams
            posts = sorted((p for p in (self.bigrams.get(g) for g in _bigrams(q.norm)) if p is not None
                            and 0 < len(p) <= R.BLOCK_MAX_POSTING), key=len)[:2]
            out.extend(posts)
        if not out:
            return self._empty
        return out[0] if len(out) == 1 else np.unique(np.concatenate(out))

    def _char_block(self, s: str) -> np.ndarray:
        """Entries whose key holds every character of `s`."""
        posts = sorted((self.chars.get(ch, self._empty) for ch in set(s)), key=len)
        if not posts or not len(posts[0]):
            return self._empty
        out = posts[0]
        for p in posts[1:]:
            if len(out) <= 64:
                break  # the subsequence test does the rest
            out = _intersect_sorted(out, p)
        return out

    # -- matching ------------------------------------------------------------------------------------------
    def _companies(self, eids) -> list[int]:
        return list(dict.fromkeys(int(self.e_company[e]) for e in eids))

    def match_many(self, names, workers: int = 1) -> dict[str, Match]:
        """`match` of each distinct name. With ``workers`` > 1 and many names needing the fuzzy tiers,
        those are spread over forked worker processes (the index is shared copy-on-write)."""
        out: dict[str, Match] = {}
        slow: list[str] = []
        for n in dict.fromkeys(x for x in names if isinstance(x, str)):
            m = self._quick(n)
            if m is None:
                slow.append(n)
            else:
                out[n] = m
        if workers > 1 and len(slow) >= R.PARALLEL_MIN_NAMES and _fork_available():
            import multiprocessing as mp
            global _POOL_INDEX
            _POOL_INDEX = self
            chunk = max(200, len(slow) // (workers * 8))
            parts = [slow[i:i + chunk] for i in range(0, len(slow), chunk)]
            try:
                with mp.get_context("fork").Pool(workers) as pool:
                    for part, res in zip(parts, pool.imap(_pool_match, parts)):
                        out.update(zip(part, res))
            finally:
                _POOL_INDEX = None
        else:
            for n in slow:
                out[n] = self.match(n)
        return out

    def _quick(self, name: str | None) -> Match | None:
        """The exact tiers (1, 2) of `match`, or None when the fuzzy tiers are needed."""
        q = parse_company_name(name)
        if not q.norm:
            return Match("none")
        eids = self.by_norm.get(q.norm)
        if eids:
            comps = self._companies(eids)
            if len(comps) == 1:
                current = any(self.e_kind[e] == 0 for e in eids)
                return Match("exact" if current else "former", comps[0], comps)
            cur = self._companies(e for e in eids if self.e_kind[e] == 0)
            return Match("ambiguous", -1, cur + [c for c in comps if c not in cur])
        eids = self.by_key.get(q.key)
        if eids:
            # the same key, written in the same order, legal forms not contradicting
            ok = [e for e in eids if _legal_compatible(q.legal, self.parts[e].legal) and self.parts[e].wkey == q.wkey]
            comps = self._companies(ok)
            if len(comps) > 1:
                return Match("ambiguous", -1, comps)
            if len(comps) == 1:
                others = [c for c in self._region_dropped(q) if c != comps[0]]
                if not others:
                    return Match("key", comps[0], comps)
                return Match("ambiguous", -1, list(dict.fromkeys(comps + others))[: R.MAX_REVIEW_CANDIDATES])
            # bracket order or legal form differs: the fuzzy tiers weigh that against a slip elsewhere
        return None

    def _region_dropped(self, q: CompanyName) -> list[int]:
        """Companies whose name is the query's with more region words (黔南鹿冲科技 for
        安顺黔南鹿冲科技…): the query may have dropped the region."""
        return self._companies(e for e in self.by_core.get(q.core, ())
                               if self.parts[e].branch == q.branch and set(q.regions) < set(self.parts[e].regions))

    def match(self, name: str | None) -> Match:
        m = self._quick(name)
        if m is not None:
            return m
        q = parse_company_name(name)
        # 3. edit distance with a margin, 4. abbreviation (or the region dropped) — both are asked, and
        # when they point at different companies the name is ambiguous
        typo_one, typo_near = -1, []
        if len(q.key) >= R.TYPO_MIN_KEY_CHARS:
            long = max(len(q.key), len(q.wkey)) >= R.TYPO_LONG_KEY_CHARS
            ranked = self._typo_ranked(q, R.TYPO_SEARCH_EDITS_LONG if long else R.TYPO_SEARCH_EDITS_SHORT)
            if ranked and ranked[0][1] <= (R.TYPO_MAX_COST_LONG if long else R.TYPO_MAX_COST_SHORT):
                d1 = ranked[0][1]
                d2 = ranked[1][1] if len(ranked) > 1 else 1e9
                if d2 - d1 >= R.TYPO_MIN_MARGIN:
                    typo_one = ranked[0][0]
                else:
                    typo_near = [c for c, d in ranked if d < d1 + R.TYPO_MIN_MARGIN]
        abbrev_one, abbrev_cands = -1, []
        if len(q.core) >= R.ABBREV_MIN_CHARS:
            strict_c, loose_c, best_c = self._abbreviations(q)
            if best_c >= 0 and (q.legal is None or strict_c):
                abbrev_one = best_c
            if loose_c and (q.legal is None or strict_c):
                abbrev_cands = list(dict.fromkeys(strict_c + loose_c))
        if typo_one >= 0 and not typo_near and (not abbrev_cands or set(abbrev_cands) == {typo_one}):
            if q.key in (self.parts[e].key for e in self.company_entries.get(typo_one, [])):
                return Match("key", typo_one, [typo_one])   # the same name but for its legal form
            return Match("typo", typo_one, [typo_one])
        if abbrev_one >= 0 and not typo_near and typo_one in (-1, abbrev_one):
            if q.core in (self.parts[e].core for e in self.company_entries.get(abbrev_one, [])) and q.legal:
                return Match("key", abbrev_one, [abbrev_one])   # the region left out
            return Match("abbrev", abbrev_one, [abbrev_one])
        near = list(dict.fromkeys(([typo_one] if typo_one >= 0 else []) + typo_near + abbrev_cands))
        if near:
            return Match("ambiguous", -1, near[: R.MAX_REVIEW_CANDIDATES])
        return Match("none", -1, [])

    def _typo_ranked(self, q: CompanyName, reach: int) -> list[tuple[int, float]]:
        """Companies within `reach` raw edits of the query (canonical or written-order key), agreeing on
        branch and region words, with their weighted distance, nearest first."""
        cand = self._edit_block(q, reach)
        if not len(cand):
            return []
        cand = cand[self.e_branch[cand] == q.branch]
        hit: set[int] = set()
        for qk, keys in ((q.key, self.keys_np), (q.wkey, self.wkeys_np), (q.norm, self.norms_np)):
            for _, _, j in process.extract(qk, keys[cand].tolist(), scorer=Levenshtein.distance,
                                           score_cutoff=reach, limit=None):
                hit.add(int(cand[j]))
        best: dict[int, float] = {}
        for e in hit:
            p = self.parts[e]
            if not _regions_compatible(q.regions, p.regions):
                continue
            dw = weighted_distance(q.wkey, p.wkey)
            dk = weighted_distance(q.key, p.key)
            d = min(dw, dk + R.REORDER_COST)  # region words moved (黔润（贵州）科技 ↔ 贵州黔润科技)
            if not _legal_compatible(q.legal, p.legal):
                d += R.LEGAL_FORM_MISMATCH_COST
            if q.norm != q.wkey or p.norm != p.wkey:  # a slip inside the legal form itself (有县合伙)
                d = min(d, weighted_distance(q.norm, p.norm))
            c = int(self.e_company[e])
            if d < best.get(c, 1e9):
                best[c] = d
        return sorted(best.items(), key=lambda x: (x[1], x[0]))

    def _abbreviations(self, q: CompanyName) -> tuple[list[int], list[int], int]:
        """(strict, loose, best) companies the query abbreviates.

        loose — the query's core is a subsequence of the company's core (same branch status, the query's
        region words among the company's); strict — also starting with the same character and covering
        `ABBREV_MIN_COVERAGE` of it (a query with a legal form: only when the cores are equal, i.e. the
        region was left out). `best` — the one company, if any, whose core the query follows most tightly
        (fewest contiguous pieces: 投合人力 is one piece of 投合人力资源, two of 投合宁人力资源; organisation
        words such as 集团 not counted), strict, and tighter than every other loose candidate by
        `ABBREV_MIN_PIECE_MARGIN` — or as tight, but the others do not even start with the same character;
        else -1."""
        q_core = q.core
        strict: list[int] = []
        loose: list[int] = []
        rank: dict[int, tuple[int, int]] = {}
        for e in self._char_block(q_core):
            p = self.parts[e]
            if p.branch != q.branch:
                continue
            if q.regions and not set(q.regions) <= set(p.regions):
                continue
            if not _is_subsequence(q_core, p.core):
                continue
            c = int(self.e_company[e])
            loose.append(c)
            same_start = p.core[0] == q_core[0]
            is_strict = not (q.legal is not None and q_core != p.core) and same_start \
                and len(q_core) / max(len(p.core), 1) >= R.ABBREV_MIN_COVERAGE
            if is_strict:
                strict.append(c)
            # tightness, with organisation words (集团 …) not counted: an abbreviation leaves them out
            pieces = _pieces(q_core, _strip_org_words(p.core)) or _pieces(q_core, p.core)
            r = (pieces, 0 if same_start else 1, 0 if is_strict else 1)
            if c not in rank or r < rank[c]:
                rank[c] = r
        best = -1
        if rank:
            ordered = sorted(rank.items(), key=lambda x: x[1])
            c1, (p1, f1, s1) = ordered[0]
            p2, f2 = ordered[1][1][:2] if len(ordered) > 1 else (1 << 20, 1)
            if s1 == 0 and (p2 - p1 >= R.ABBREV_MIN_PIECE_MARGIN or (p2 == p1 and f1 == 0 and f2 == 1)):
                best = c1
        return list(dict.fromkeys(strict)), list(dict.fromkeys(loose)), best

    def is_variant(self, name: str | None, company: int) -> bool:
        """Whether a form name can be read as a (sloppy) name of registry row `company`: a match (or a
        candidate) of `match`, an abbreviation of one of its names, or a key similar enough
        (`VARIANT_MIN_RATIO`)."""
        q = parse_company_name(name)
        if not q.norm:
            return False
        for e in self.company_entries.get(company, []):
            p = self.parts[e]
            if p.norm == q.norm or p.key == q.key:
                return True
            if fuzz.ratio(q.key, p.key) >= R.VARIANT_MIN_RATIO:
                return True
            if q.core and p.core and q.core[0] == p.core[0] and _is_subsequence(q.core, p.key) \
                    and len(q.core) >= R.ABBREV_MIN_CHARS:
                return True
        return False


_POOL_INDEX: NameIndex | None = None


def _pool_match(names: list[str]) -> list[Match]:
    assert _POOL_INDEX is not None
    return [_POOL_INDEX.match(n) for n in names]


def _fork_available() -> bool:
    import multiprocessing as mp
    return "fork" in mp.get_all_start_methods()


# ---------------------------------------------------------------------------------------------------------
# Proposals

def _is_current(names: pd.Series, idx: NameIndex) -> np.ndarray:
    """Whether each name is exactly a registry company's current name (Arrow hash lookup)."""
    if idx._current_arrow is None:
        import pyarrow as pa
        idx._current_arrow = pa.array([x for x in dict.fromkeys(idx.current) if isinstance(x, str)],
                                      type=pa.string())
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = pa.array(names.astype("str"))
    return pc.fill_null(pc.is_in(arr, value_set=idx._current_arrow.cast(arr.type)), False).to_numpy(
        zero_copy_only=False)


def _objects(frame: pd.DataFrame, col: str) -> np.ndarray:
    """A column as an object array of str, None for no value ('' included)."""
    if col not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    v = frame[col].astype("str")
    return v.astype(object).where(v.notna() & (v != ""), None).to_numpy(dtype=object)


def _uscc_kind(value: str | None, codes: set[str]) -> str | None:
    """'checksum' / 'legacy' / None for a USCC cell."""
    if value is None:
        return None
    code = normalize_uscc(value)
    if "uscc_legacy" in codes or (len(code) == 15 and is_legacy_registration_number(code)):
        return "legacy"
    if "uscc_checksum" in codes or (len(code) == 18 and not is_valid_uscc(code)):
        return "checksum"
    return None


def propose_employers(records: pd.DataFrame, work: pd.DataFrame | None, registry, social=None,
                      ids: pd.Series | None = None, usable: pd.Series | None = None,
                      workers: int = 1) -> pd.DataFrame:
    """工作单位 / 单位统一社会信用代码 proposals for 基本信息, and 工作单位 proposals for 工作经历.

    `registry`: `pipelines.feeds.RegistryIndex`; `social`: the 社保 `KeyIndex` or None (then rule 8 and
    the 社保 tie-break are skipped); `ids`/`usable`: the working IDs (`identity.usable_ids`); `workers`:
    processes for the fuzzy name matching."""
    out = []
    idx = registry.names
    reg_name = np.asarray(registry.by_uscc.table.column("企业名称").to_pylist(), dtype=object)
    reg_uscc = np.asarray(registry.by_uscc.table.column("统一社会信用代码").to_pylist(), dtype=object)
    # every distinct name that is not already a registry name of its row's USCC / a current name: matched
    # once, in bulk (exact tiers here, fuzzy tiers possibly in worker processes)
    wanted: list = []
    work_current = None  # which 工作经历 names are a current registry name (one Arrow lookup, used twice)
    if EMP in records.columns:
        emp = records[EMP].astype("str")
        if USCC in records.columns:
            u_pos = registry.by_uscc.positions(records[USCC].astype("str"))
            reg_of = pd.Series(np.where(u_pos >= 0, reg_name[np.maximum(u_pos, 0)], None), index=records.index,
                               dtype="str")
            same = (emp == reg_of).fillna(False)
        else:
            same = pd.Series(False, index=records.index)
        wanted.extend(emp[emp.notna() & ~same].unique().tolist())
    if work is not None and EMP in work.columns and len(work):
        wn = work[EMP].astype("str")
        work_current = _is_current(wn, idx)
        wanted.extend(wn[wn.notna().to_numpy() & ~work_current].unique().tolist())
    cache: dict[str, Match] = idx.match_many(wanted, workers=workers)

    def match(name: str) -> Match:
        m = cache.get(name)
        if m is None:
            m = cache[name] = idx.match(name)
        return m

    person_company = pd.Series(dtype=object)
    social_company = pd.Series(dtype=object)
    if EMP in records.columns or USCC in records.columns:
        props, person_company, social_company = _person_rows(records, registry, idx, reg_name, reg_uscc, social,
                                                             ids, usable, match)
        out.append(props)
    if work is not None and EMP in work.columns and len(work):
        out.append(_work_rows(records, work, idx, reg_name, match, person_company, social_company, work_current))
    out = [o for o in out if len(o)]
    return pd.concat(out, ignore_index=True) if out else empty_proposals()


def _person_rows(records, registry, idx: NameIndex, reg_name, reg_uscc, social, ids, usable, match):
    n = len(records)
    emp = _objects(records, EMP)
    usc = _objects(records, USCC)
    labels = records.index
    u_pos = registry.by_uscc.positions(pd.Series(usc, dtype="str"))

    # 社保: the 参保单位 of employed people (rule 8), as a registry row when registered
    s_uscc = np.full(n, None, dtype=object)
    s_name = np.full(n, None, dtype=object)
    s_pos = np.full(n, -1, dtype=np.int64)
    if social is not None and ids is not None:
        ok = usable.to_numpy(dtype=bool) if usable is not None else np.ones(n, dtype=bool)
        spos = np.full(n, -1, dtype=np.int64)
        if ok.any():
            spos[ok] = social.positions(ids[ok])
        status = social.column_at("就业状态", spos)
        insured = social.column_at("参保状态", spos)
        employed = np.array([(st in R.SOCIAL_EMPLOYED_STATUSES) if st is not None else (ins in R.SOCIAL_ACTIVE_INSURED)
                             for st, ins in zip(status, insured)], dtype=bool) & (spos >= 0)
        su = social.column_at("参保单位统一社会信用代码", spos)
        sn = social.column_at("参保单位名称", spos)
        has = employed & np.array([a is not None or b is not None for a, b in zip(su, sn)], dtype=bool)
        s_uscc[has] = su[has]
        s_name[has] = sn[has]
        rp = registry.by_uscc.positions(pd.Series(s_uscc, dtype="str"))
        s_pos[has] = rp[has]
        # a 社保 row without a registered USCC: its name may still name one registry company
        for i in np.flatnonzero(has & (s_pos < 0) & np.array([x is not None for x in s_name], dtype=bool)):
            m = match(s_name[i])
            if m.unique:
                s_pos[i] = m.company
        named = has & (s_pos >= 0)
        s_name[named] = reg_name[s_pos[named]]
        s_uscc[named & np.array([x is None for x in s_uscc], dtype=bool)] = reg_uscc[
            s_pos[named & np.array([x is None for x in s_uscc], dtype=bool)]]

    uscc_issues = issue_rows(records, USCC)
    company = np.full(n, -1, dtype=np.int64)     # the registry row the form identifies
    conflict = np.zeros(n, dtype=bool)            # the form contradicts itself (USCC vs name)
    p_rows, p_field, p_old, p_new, p_rule, p_kind, p_cands = [], [], [], [], [], [], []

    def add(i, fld, old, new, rule, kind="change", cands=()):
        p_rows.append(labels[i]), p_field.append(fld), p_old.append(old), p_new.append(new)
        p_rule.append(rule), p_kind.append(kind), p_cands.append(list(cands))

    same_as_reg = np.zeros(n, dtype=bool)
    has_u = u_pos >= 0
    same_as_reg[has_u] = reg_name[u_pos[has_u]] == emp[has_u]
    company[has_u] = u_pos[has_u]
    need = np.flatnonzero((emp != None) & ~same_as_reg)  # noqa: E711
    need = np.union1d(need, np.flatnonzero(has_u & (emp == None)))  # noqa: E711
    for i in need:
        name = emp[i]
        if u_pos[i] >= 0:
            U = int(u_pos[i])
            if name is None:
                add(i, EMP, None, reg_name[U], "employer_by_uscc")
                continue
            m = match(name)
            if m.company == U or (not m.unique and U in m.candidates) or (
                    not (m.unique and m.status in ("exact", "former", "key")) and idx.is_variant(name, U)):
                # the name is (a variant of) the USCC's company — not the exact name of another one
                add(i, EMP, name, reg_name[U], "employer_by_uscc")
            else:
                other = [m.company] if m.unique else m.candidates
                cands = [reg_name[U]] + [reg_name[c] for c in other if c != U]
                add(i, EMP, name, None, "employer_uscc_conflict_review", "review", cands)
                conflict[i] = True
            continue
        m = match(name)
        if m.unique:
            company[i] = m.company
            if reg_name[m.company] != name:
                add(i, EMP, name, reg_name[m.company], m.rule)
        elif m.status == "ambiguous":
            S = int(s_pos[i])
            if S >= 0 and S in m.candidates:
                company[i] = S
                add(i, EMP, name, reg_name[S], "employer_social_tiebreak")
            else:
                add(i, EMP, name, None, "employer_ambiguous_review", "review", [reg_name[c] for c in m.candidates])
                conflict[i] = True
        else:
            S = int(s_pos[i])
            if S >= 0 and idx.is_variant(name, S):
                company[i] = S
                if reg_name[S] != name:
                    add(i, EMP, name, reg_name[S], "employer_social_tiebreak")

    # USCC repairs (the form's USCC is not a registered code)
    u_fixed = usc.copy()
    bad_u = np.flatnonzero((usc != None) & (u_pos < 0))  # noqa: E711
    for i in bad_u:
        codes = uscc_issues.get(labels[i], set()) if len(uscc_issues) else set()
        kind = _uscc_kind(usc[i], codes)
        if kind is None:
            continue
        C = int(company[i])
        S = int(s_pos[i])
        if kind == "checksum":
            cands = uscc_candidates(normalize_uscc(usc[i]))
            cpos = registry.by_uscc.positions(cands) if cands else np.empty(0, np.int64)
            registered = [int(p) for p in cpos if p >= 0]
            chosen = None
            if C >= 0 and C in registered:
                chosen = C
            elif C < 0 and S >= 0 and S in registered and (emp[i] is None or idx.is_variant(emp[i], S)):
                chosen = S
            elif C < 0 and len(registered) == 1 and emp[i] is not None and idx.is_variant(emp[i], registered[0]) \
                    and not conflict[i]:
                chosen = registered[0]
            if chosen is not None:
                add(i, USCC, usc[i], reg_uscc[chosen], "uscc_typo_registry")
                u_fixed[i] = reg_uscc[chosen]
                if company[i] < 0:
                    company[i] = chosen
                    if emp[i] is not None and reg_name[chosen] != emp[i]:
                        add(i, EMP, emp[i], reg_name[chosen], "employer_by_uscc")
            else:
                shown = [reg_uscc[p] for p in registered] + ([reg_uscc[C]] if C >= 0 else [])
                add(i, USCC, usc[i], None, "uscc_review", "review", list(dict.fromkeys(shown)))
        else:  # legacy registration number
            chosen = None
            if C >= 0:
                chosen = C
            elif S >= 0 and (emp[i] is None or idx.is_variant(emp[i], S)) and not conflict[i]:
                chosen = S
            if chosen is not None:
                add(i, USCC, usc[i], reg_uscc[chosen], "uscc_legacy_by_name")
                u_fixed[i] = reg_uscc[chosen]
                if company[i] < 0:
                    company[i] = chosen
                    if emp[i] is not None and reg_name[chosen] != emp[i]:
                        add(i, EMP, emp[i], reg_name[chosen], "employer_by_uscc")
            else:
                add(i, USCC, usc[i], None, "uscc_review", "review", [reg_uscc[C]] if C >= 0 else [])

    # contract rule 8: 社保's 参保单位
    has_s = np.array([x is not None for x in s_name], dtype=bool)
    for i in np.flatnonzero(has_s):
        if conflict[i]:
            continue
        S = int(s_pos[i])
        if emp[i] is None and company[i] < 0:
            if usc[i] is None or (u_fixed[i] is not None and s_uscc[i] is not None and u_fixed[i] == s_uscc[i]):
                add(i, EMP, None, s_name[i], "employer_from_social")
                if usc[i] is None and s_uscc[i] is not None:
                    add(i, USCC, None, s_uscc[i], "uscc_from_social")
            else:
                add(i, EMP, None, None, "employer_social_differs_review", "review", [s_name[i]])
                add(i, USCC, usc[i], None, "employer_social_differs_review", "review",
                    [s_uscc[i]] if s_uscc[i] is not None else [])
            continue
        C = int(company[i])
        if C >= 0:
            same = (S >= 0 and C == S) or (s_uscc[i] is not None and reg_uscc[C] == s_uscc[i])
        else:
            same = emp[i] is not None and idx.is_variant(emp[i], S) if S >= 0 else (
                emp[i] is not None and parse_company_name(emp[i]).key == parse_company_name(s_name[i]).key)
        if not same:
            cur = reg_name[C] if C >= 0 else emp[i]
            add(i, EMP, cur, None, "employer_social_differs_review", "review", [s_name[i]])
            if usc[i] is not None:
                add(i, USCC, u_fixed[i], None, "employer_social_differs_review", "review",
                    [s_uscc[i]] if s_uscc[i] is not None else [])

    # the current employer no longer exists in the registry (注销 / 吊销 / 迁出): noted in the log
    status = np.asarray(registry.by_uscc.table.column("登记状态").to_pylist(), dtype=object)
    known = np.flatnonzero(company >= 0)
    gone = known[np.isin(status[company[known]], list(R.DEREGISTERED_STATUSES))]
    for i in gone:
        add(i, EMP, reg_name[company[i]], None, "employer_deregistered_note", "note", [status[company[i]]])

    props = make_proposals(SHEET_PERSON, records, p_rows, p_field, p_old, p_new, p_rule, candidates=p_cands,
                           kind=p_kind)
    person_company = pd.Series(company, index=labels)
    social_company = pd.Series(s_pos, index=labels)
    return props, person_company, social_company


def _work_rows(records, work, idx: NameIndex, reg_name, match, person_company, social_company,
               current: np.ndarray):
    """`current`: which 工作经历 names are a current registry name (`_is_current`, computed once by the caller)."""
    names = work[EMP].astype("str")
    notna = names.notna().to_numpy()
    vals = names.to_numpy(dtype=object)
    todo = np.flatnonzero(notna & ~current)
    if not len(todo):
        return empty_proposals()
    # the person of each work row (for the tie-break of the current job)
    key_cols = ["_agency", "档案编号"]
    have_keys = all(c in work.columns for c in key_cols) and all(c in records.columns for c in key_cols)
    p_of = np.full(len(work), -1, dtype=np.int64)
    if have_keys and len(person_company):
        rec_key = pd.MultiIndex.from_frame(records[key_cols].astype("str"))
        wk = pd.MultiIndex.from_frame(work.iloc[todo][key_cols].astype("str"))
        p_of[todo] = rec_key.get_indexer(wk)
    pc_arr = person_company.to_numpy() if len(person_company) else np.empty(0, np.int64)
    sc_arr = social_company.to_numpy() if len(social_company) else np.empty(0, np.int64)
    end = work["终止时间"].to_numpy(dtype=object) if "终止时间" in work.columns else np.full(len(work), None, object)
    labels = work.index
    rows, olds, news, rules, kinds, cands = [], [], [], [], [], []
    for i in todo:
        name = str(vals[i])
        m = match(name)
        if m.unique:
            if reg_name[m.company] != name:
                rows.append(labels[i]), olds.append(name), news.append(reg_name[m.company])
                rules.append(m.rule), kinds.append("change"), cands.append([])
            continue
        if m.status != "ambiguous":
            continue
        chosen, rule = None, None
        p = p_of[i]
        if p >= 0 and na(end[i]):
            S = int(sc_arr[p]) if len(sc_arr) else -1
            C = int(pc_arr[p]) if len(pc_arr) else -1
            if S >= 0 and S in m.candidates:
                chosen, rule = S, "employer_social_tiebreak"
            elif C >= 0 and C in m.candidates:
                chosen, rule = C, "employer_person_tiebreak"
        rows.append(labels[i]), olds.append(name)
        if chosen is not None:
            news.append(reg_name[chosen]), rules.append(rule), kinds.append("change"), cands.append([])
        else:
            news.append(None), rules.append("employer_ambiguous_review"), kinds.append("review")
            cands.append([reg_name[c] for c in m.candidates])
    return make_proposals(SHEET_WORK, work, rows, EMP, olds, news, rules, candidates=cands, kind=kinds)
