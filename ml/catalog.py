"""The indicator catalog: what is measured, in which group, which way is worse, and how it is built.

The default catalog (``data/catalog/indicators.csv``) holds the 56 indicators of the Zwickau
Sozialstrukturatlas in 9 groups, plus the *basis* counts their shares and rates are computed from.
A county extends it with its own files (``catalog.indicators`` in the configuration; the shipped catalog is
loaded first unless ``catalog.shipped`` is false).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from ml.contracts import FREQUENCIES, KINDS
from ml.paths import CATALOG_DIR

if TYPE_CHECKING:
    from ml.config import Settings

INDICATOR_FIELDS = (
    "indicator_id", "name", "dimension", "unit", "polarity", "kind", "numerator", "denominator",
    "scale", "frequency", "monitors", "lenses", "basis", "persons", "carried", "min", "max", "source", "breaks",
    "part_of", "balance_of",
)
REQUIRED_FIELDS = ("indicator_id", "name", "dimension", "unit", "polarity", "kind", "frequency")


MEASURED_UNIT = re.compile(r"(^|[^a-zäöü])(km²|km2|m²|m2|ha|km|m)\b", re.IGNORECASE)
"""Units of a measured amount, which a count of things can be in: written with decimals."""

class CatalogError(ValueError):
    """A catalog file is malformed; the message names file and line."""


@dataclass(frozen=True)
class Dimension:
    """One group of the catalog (e.g. Arbeitsmarkt): id, German name and order."""
    dimension: str
    name: str
    order: int


@dataclass(frozen=True)
class Indicator:
    """One catalog indicator: id, German name, dimension, unit, polarity (+1 more burden when higher, -1 less, 0
    context), kind (share, rate, count, …), its numerator and denominator for derived values, valid range
    and source."""
    indicator_id: str
    name: str
    dimension: str
    unit: str
    polarity: int
    kind: str
    frequency: str = "annual"
    numerator: str | None = None
    denominator: str | None = None
    scale: float | None = None
    monitors: tuple[str, ...] = ()
    lenses: tuple[str, ...] = ()
    basis: bool = False
    persons: bool = True
    """A count of persons (or of their cases and households), protected by the small-number rule; false for
    counts of things (dwellings, cars), which are never suppressed as small numbers."""
    carried: bool = True
    """False for a value of the area as a whole that neither adds up nor averages over areas (the length of its
    boundary, a class): a crosswalk carries it only onto a new area that is the old one unchanged; where areas merge
    or split it is left empty and named. (A 0/1 marker may be carried: its average is the marked share.)"""
    min: float | None = None
    max: float | None = None
    source: str = ""
    catalog_file: str = ""
    breaks: tuple[int, ...] = ()
    """Years from which the indicator is defined anew (Berlin's S1 counts SGB II only from the MSS 2019 on): no
    change, dynamics or forecast joins values from either side of a break."""
    part_of: str | None = None
    """The count this count is a part of: the counts that name one whole together make it up (the Schuldnerberatung's
    clients by household type and their total). The whole less its other parts would tell a part withheld as a small
    number, so ``features`` withholds more (:func:`features.disclosure.withhold_parts`)."""
    balance_of: tuple[tuple[str, int], ...] = ()
    """A balance's terms with their signs: the natural balance is births less deaths, ``(('geburten', 1),
    ('sterbefaelle', -1))`` (catalog column ``balance_of``: ``geburten - sterbefaelle``). Any one of them follows
    from the others, so ``features`` withholds the balance beside a withheld term
    (:func:`features.relations.withhold_balances`)."""

    def break_between(self, earlier: str | int, later: str | int) -> int | None:
        """The latest definition break after ``earlier`` and at or before ``later`` (years), or None."""
        return break_between(self.breaks, earlier, later)

    @property
    def decimals(self) -> int:
        """Decimals a page shows: none for a count or a signed count (a balance of persons), except a measured
        amount (an area in km², a length), one otherwise."""
        if self.kind not in ("count", "balance"):
            return 1
        return 0 if self.persons or not MEASURED_UNIT.search(self.unit or "") else 2

    @property
    def valid_range(self) -> tuple[float, float]:
        """The closed interval a value must lie in: explicit bounds, else the kind's natural ones."""
        lo, hi = -math.inf, math.inf
        if self.kind == "share":
            lo, hi = 0.0, 100.0
        elif self.kind in ("count", "rate"):
            lo = 0.0
        if self.min is not None:
            lo = self.min
        if self.max is not None:
            hi = self.max
        return lo, hi


def break_between(breaks: Iterable[int], earlier: str | int, later: str | int) -> int | None:
    """The latest of ``breaks`` (years from which an indicator is defined anew) after ``earlier`` and at or before
    ``later`` (years or periods), or None: whether two values may be joined by a change or a line."""
    a, b = int(str(earlier)[:4]), int(str(later)[:4])
    inside = [y for y in breaks if a < y <= b]
    return max(inside) if inside else None


@dataclass
class Catalog:
    """The indicators and dimensions a county works with, looked up by id (``catalog[id]``, ``id in catalog``)."""
    dimensions: dict[str, Dimension]
    indicators: dict[str, Indicator] = field(default_factory=dict)

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self.indicators

    def __getitem__(self, indicator_id: str) -> Indicator:
        return self.indicators[indicator_id]

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators.values())

    def __len__(self) -> int:
        return len(self.indicators)

    def reported(self) -> list[Indicator]:
        """The indicators a report shows (not the basis counts)."""
        return [ind for ind in self if not ind.basis]

    def by_dimension(self) -> dict[str, list[Indicator]]:
        """Dimension id → the reported indicators of that dimension, in catalog order."""
        out: dict[str, list[Indicator]] = {d: [] for d in self.dimensions}
        for ind in self.reported():
            out[ind.dimension].append(ind)
        return out

    def parts(self) -> dict[str, list[str]]:
        """Each count that others are parts of (``part_of``) → its parts, in catalog order."""
        out: dict[str, list[str]] = {}
        for ind in self:
            if ind.part_of is not None:
                out.setdefault(ind.part_of, []).append(ind.indicator_id)
        return out

    def balances(self) -> dict[str, tuple[tuple[str, int], ...]]:
        """Each balance whose terms the catalog names (``balance_of``) → its terms with their signs."""
        return {ind.indicator_id: ind.balance_of for ind in self if ind.balance_of}

    def shares_of(self, count_id: str) -> list[tuple[Indicator, str]]:
        """The shares and rates built from a basis count (as numerator or denominator), each with its other part:
        Arbeitslose → [(arbeitslosenquote, 'ew_15_64'), …]."""
        return [(s, s.denominator if s.numerator == count_id else s.numerator)
                for s in self if not s.basis and count_id in (s.numerator, s.denominator)]

    def with_wholes(self, part_of: dict[str, str], where: str = "catalog.part_of") -> "Catalog":
        """A new catalog with the wholes of ``part_of`` (count → the count it is a part of) declared, as the
        configuration's ``catalog.part_of`` does for counts of files a county does not write (the shipped catalog's
        Hilfen zur Erziehung by kind, where its Jugendamt's kinds make up its total). Each must be a count of the
        catalog, not its own whole, and not declared a part of another whole in its file; the wholes are checked as
        a file's are (:func:`check_references`)."""
        if not part_of:
            return self
        merged = dict(self.indicators)
        for part, whole in part_of.items():
            if part not in merged:
                raise CatalogError(f"{where}: {part!r} is no indicator of the catalog")
            ind = merged[part]
            if ind.kind != "count":
                raise CatalogError(f"{where}: {part!r} is a {ind.kind}; only a count is a part of a whole")
            if whole == part:
                raise CatalogError(f"{where}: {part!r} names itself; a count is no part of itself")
            if ind.part_of is not None and ind.part_of != whole:
                raise CatalogError(f"{where}: {part!r} is a part of {ind.part_of!r} in {ind.catalog_file} already; "
                                   f"a count is a part of one whole")
            merged[part] = replace(ind, part_of=whole)
        out = Catalog(self.dimensions, merged)
        check_references(out, where)
        return out

    def extended(self, indicators: Iterable[Indicator]) -> "Catalog":
        """A new catalog with more indicators; redefining an existing id differently is an error."""
        merged = dict(self.indicators)
        for ind in indicators:
            old = merged.get(ind.indicator_id)
            if old is not None and _definition(old) != _definition(ind):
                raise CatalogError(
                    f"{ind.catalog_file}: indicator {ind.indicator_id!r} is already defined differently "
                    f"in {old.catalog_file}"
                )
            merged[ind.indicator_id] = ind
        return Catalog(self.dimensions, merged)


def _definition(ind: Indicator) -> tuple:
    return tuple(getattr(ind, f) for f in INDICATOR_FIELDS if f not in ("source",))


def load_dimensions(path: Path) -> dict[str, Dimension]:
    """The dimensions of a ``dimensions.csv`` (id, name, order) as id → :class:`Dimension`; :class:`CatalogError`
    names the line of a bad row."""
    rows = _read_rows(path, ("dimension", "name", "order"))
    dims: dict[str, Dimension] = {}
    for line, row in rows:
        key = row["dimension"].strip()
        if not key:
            raise CatalogError(f"{path}:{line}: column 'dimension' is empty")
        if key in dims:
            raise CatalogError(f"{path}:{line}: duplicate dimension {key!r}")
        try:
            order = int(row["order"])
        except ValueError:
            raise CatalogError(f"{path}:{line}: column 'order' must be an integer; got {row['order']!r}") from None
        dims[key] = Dimension(key, row["name"].strip(), order)
    if not dims:
        raise CatalogError(f"{path}: no dimensions defined")
    return dims


def _read_rows(path: Path, required: tuple[str, ...], missing: str = "") -> list[tuple[int, dict[str, str]]]:
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"catalog file not found: {path}" + (
            f" (a relative path is read from the working directory, {Path.cwd()}, not from the configuration "
            "file's folder)" if not path.is_absolute() else "") + missing)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise CatalogError(f"{path}:1: missing column(s) {', '.join(missing)}; header is {', '.join(header)}")
        rows = []
        for row in reader:
            if None in row:
                raise CatalogError(f"{path}:{reader.line_num}: more fields than the header has")
            if not any((v or "").strip() for v in row.values()):
                continue
            rows.append((reader.line_num, {k: (v or "") for k, v in row.items()}))
        return rows


def _optional_float(path: Path, line: int, column: str, raw: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise CatalogError(f"{path}:{line}: column {column!r} must be a number; got {raw!r}") from None


def _split(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split("|") if part.strip())


def read_indicators(path: Path, dimensions: dict[str, Dimension]) -> list[Indicator]:
    """Parse one catalog file; every problem is reported with file and line."""
    path = Path(path)
    out: list[Indicator] = []
    seen: dict[str, int] = {}
    drafted = f"; a codebook that comes with the tables drafts it: 'sozialradar mapping codebook CODEBOOK --out {path}'"
    for line, row in _read_rows(path, REQUIRED_FIELDS, drafted):
        where = f"{path}:{line}"
        for col in REQUIRED_FIELDS:
            if not row.get(col, "").strip():
                raise CatalogError(f"{where}: column {col!r} is empty")
        ind_id = row["indicator_id"].strip()
        if ind_id in seen:
            raise CatalogError(f"{where}: duplicate indicator_id {ind_id!r} (first defined on line {seen[ind_id]})")
        seen[ind_id] = line
        dim = row["dimension"].strip()
        if dim not in dimensions:
            raise CatalogError(f"{where}: unknown group (dimension) {dim!r}; allowed: {', '.join(dimensions)}")
        kind = row["kind"].strip()
        if kind not in KINDS:
            raise CatalogError(f"{where}: kind must be one of {', '.join(KINDS)}; got {kind!r}")
        try:
            polarity = int(row["polarity"])
        except ValueError:
            polarity = None
        if polarity not in (-1, 0, 1):
            raise CatalogError(f"{where}: polarity must be -1, 0 or +1; got {row['polarity']!r}")
        freq = row["frequency"].strip()
        if freq not in FREQUENCIES:
            raise CatalogError(f"{where}: frequency must be one of {', '.join(FREQUENCIES)}; got {freq!r}")
        numerator = row.get("numerator", "").strip() or None
        denominator = row.get("denominator", "").strip() or None
        # "-" states explicitly that a share is taken as published and its parts are not available.
        published = numerator == "-" and denominator == "-"
        if published:
            numerator = denominator = None
        scale = _optional_float(path, line, "scale", row.get("scale", ""))
        if not published and (numerator is None) != (denominator is None):
            raise CatalogError(f"{where}: {ind_id!r} names a numerator or a denominator but not both")
        if numerator is not None and scale is None:
            raise CatalogError(f"{where}: {ind_id!r} has numerator/denominator but no scale (100 for a share)")
        if kind == "share" and numerator is None and not published:
            raise CatalogError(
                f"{where}: share {ind_id!r} has no numerator and denominator "
                "(write '-' in both for a published share whose parts are not available)"
            )
        basis_raw = row.get("basis", "").strip().lower()
        if basis_raw not in ("", "true", "false"):
            raise CatalogError(f"{where}: basis must be true or false; got {row['basis']!r}")
        persons_raw = row.get("persons", "").strip().lower()
        if persons_raw not in ("", "true", "false"):
            raise CatalogError(f"{where}: persons must be true or false (empty: true); got {row['persons']!r}")
        carried_raw = row.get("carried", "").strip().lower()
        if carried_raw not in ("", "true", "false"):
            raise CatalogError(f"{where}: carried must be true or false (empty: true); got {row['carried']!r}")
        breaks_raw = _split(row.get("breaks", ""))
        if not all(re.fullmatch(r"(19|20)\d\d", b) for b in breaks_raw):
            raise CatalogError(f"{where}: breaks must be years separated by '|' (e.g. 2019); got {row['breaks']!r}")
        part_of = row.get("part_of", "").strip() or None
        if part_of is not None and (kind != "count" or part_of == ind_id):
            raise CatalogError(f"{where}: part_of: " + (f"{ind_id!r} names itself; a count is no part of itself"
                                                          if part_of == ind_id else f"{ind_id!r} is a {kind}; only a "
                                                          "count can be a part of another count"))
        balance_of = _balance_terms(where, ind_id, kind, row.get("balance_of", ""))
        lo = _optional_float(path, line, "min", row.get("min", ""))
        hi = _optional_float(path, line, "max", row.get("max", ""))
        if lo is not None and hi is not None and lo > hi:
            raise CatalogError(f"{where}: min {lo} exceeds max {hi}")
        out.append(
            Indicator(
                indicator_id=ind_id, name=row["name"].strip(), dimension=dim, unit=row["unit"].strip(),
                polarity=polarity, kind=kind, frequency=freq, numerator=numerator, denominator=denominator,
                scale=scale, monitors=_split(row.get("monitors", "")), lenses=_split(row.get("lenses", "")),
                basis=basis_raw == "true", persons=persons_raw != "false",
                carried=carried_raw != "false", min=lo, max=hi, source=row.get("source", "").strip(),
                catalog_file=path.name, breaks=tuple(sorted(int(b) for b in breaks_raw)), part_of=part_of,
                balance_of=balance_of,
            )
        )
    return out


TERM = re.compile(r"\s*([+-]?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*")


def _balance_terms(where: str, ind_id: str, kind: str, raw: str) -> tuple[tuple[str, int], ...]:
    """The terms of a ``balance_of`` cell (``geburten - sterbefaelle``, ``saldo_natuerlich + saldo_wanderung``)
    with their signs; empty where the cell is."""
    text = raw.strip()
    if not text:
        return ()
    if kind != "balance":
        raise CatalogError(f"{where}: balance_of: {ind_id!r} is a {kind}; only a balance is the difference of counts")
    terms, at = [], 0
    while at < len(text):
        m = TERM.match(text, at)
        if not m or m.end() == at or (terms and not m.group(1)):
            raise CatalogError(f"{where}: balance_of must name indicators joined by + or - (geburten - sterbefaelle); "
                               f"got {raw!r}")
        terms.append((m.group(2), -1 if m.group(1) == "-" else 1))
        at = m.end()
    names = [t for t, _ in terms]
    if len(terms) < 2 or ind_id in names or len(set(names)) < len(names):
        raise CatalogError(f"{where}: balance_of of {ind_id!r} must name two or more other indicators, each once; "
                           f"got {raw!r}")
    return tuple(terms)


def check_references(catalog: Catalog, where: str) -> None:
    """Every numerator and denominator must itself be a catalog indicator, and every whole a count (``part_of``)
    that is not, in turn, a part of its own part."""
    for ind in catalog:
        whole, seen = ind.part_of, [ind.indicator_id]
        while whole is not None:
            if whole not in catalog or catalog[whole].kind != "count":
                raise CatalogError(f"{where} ({ind.catalog_file}): {ind.indicator_id!r} is a part of {whole!r}, "
                                   f"which is no count of the catalog: part_of names the count its parts make up")
            if whole in seen:
                raise CatalogError(f"{where} ({ind.catalog_file}): {ind.indicator_id!r} is, through part_of, a part "
                                   f"of itself ({' → '.join([*seen, whole])})")
            seen.append(whole)
            whole = catalog[whole].part_of
        for term, _ in ind.balance_of:
            if term not in catalog or catalog[term].kind not in ("count", "balance"):
                raise CatalogError(f"{where} ({ind.catalog_file}): {ind.indicator_id!r} is the balance of {term!r}, "
                                   f"which is no count or balance of the catalog (balance_of)")
        for role in ("numerator", "denominator"):
            ref = getattr(ind, role)
            if ref is not None and ref not in catalog:
                raise CatalogError(
                    f"{where} ({ind.catalog_file}): {ind.indicator_id!r} has unknown {role} {ref!r}: define {ref!r} "
                    f"as an indicator (kind count) in one of the catalog files — the shipped catalog's indicators "
                    f"can be named too —, or write '-' as numerator and denominator for a share published without "
                    f"its parts")


def load_catalog(dimensions_path: Path, indicator_paths: Iterable[Path]) -> Catalog:
    """The catalog from a dimensions file and indicator files in load order (a later file may add indicators, never
    redefine one); :class:`CatalogError` names file and line of every fault."""
    dims = load_dimensions(dimensions_path)
    catalog = Catalog(dims)
    paths = list(indicator_paths)
    if not paths:
        raise CatalogError("no catalog files configured (catalog.indicators is empty and catalog.shipped is off)")
    for path in paths:
        catalog = catalog.extended(read_indicators(path, dims))
    check_references(catalog, ", ".join(str(p) for p in paths))
    return catalog


FORMAT_CATALOGS = {"mss": CATALOG_DIR / "berlin_mss.csv", "inkar": CATALOG_DIR / "inkar.csv"}
"""The catalogs of the external formats (Berlin's MSS, INKAR), read beside the configured ones."""


def held_format_catalogs(names: Iterable[str]) -> list[Path]:
    """The external formats' catalogs among ``names`` (catalog files by name: those a store holds values of), so
    that a later table may name their indicators: a Kreis table of INKAR's indicators beside the INKAR file."""
    names = set(names)
    return [p for p in FORMAT_CATALOGS.values() if p.name in names]


def serving_catalog(settings: "Settings") -> Catalog:
    """The catalog of the jobs and the service: the configured files extended by every format's catalog."""
    return effective_catalog(settings, FORMAT_CATALOGS.values())


def effective_catalog(settings: "Settings", extra: Iterable[Path] = ()) -> Catalog:
    """The catalog an import or job works with: the configured files (``settings.catalog.files()``: the shipped
    catalog, then the county's own), extended by ``extra`` files (the external formats' catalogs) that are not
    among them already, with the wholes the configuration declares (``catalog.part_of``)."""
    files = settings.catalog.files()
    catalog = load_catalog(settings.catalog.dimensions, files)
    for path in extra:
        if not any(Path(path).resolve() == Path(f).resolve() for f in files):
            catalog = catalog.extended(read_indicators(path, catalog.dimensions))
    return catalog.with_wholes(dict(settings.catalog.part_of))
