"""The ``sozialradar`` command line. Each command loads the configuration once and passes parts on.

Longer than 450 lines because it holds every command of ``sozialradar`` with its options, help and German summary;
the work is done by :mod:`experiments.jobs`, and one file keeps the command tree and its shared helpers (progress
bars, error handling) together.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ml.config import ConfigError, Settings, load_settings
from ml.contracts import IMPORT_FORMATS as FORMATS
from ml.formatting import years_text
from ml.paths import SAMPLE_DIR

if TYPE_CHECKING:   # the command's heavy modules are imported where a command needs them (a fast --help)
    import pandas as pd

    from ml.held_values import HeldValues
    from ml.importers import ImportReport


CONFIG_IN_DIRECTORY = "sozialradar.yaml"
"""The configuration every command reads from the working directory when none is named."""


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), envvar="SOZIALRADAR_CONFIG",
              help="YAML configuration file (or set SOZIALRADAR_CONFIG; with neither, sozialradar.yaml in the "
              "working directory); SOZIALRADAR_<SECTION>__<FIELD> variables override it.")
@click.option("--verbose", is_flag=True, envvar="SOZIALRADAR_VERBOSE",
              help="Show the libraries' own output (MLflow, Stan, Prophet); quiet by default.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """sozialradar: social monitoring data in, explained early-warning signals out."""
    from ml.quiet import quiet_libraries

    quiet_libraries(verbose)
    if config_path is None and ctx.invoked_subcommand != "demo":   # the demo is the Musterkreis, not this county
        # a county's configuration beside its tables is read without being named
        config_path = next((p for p in (Path(CONFIG_IN_DIRECTORY), Path("sozialradar.yml")) if p.is_file()), None)
        if config_path is not None:
            click.echo(f"configuration: {config_path} (in the working directory; --config or SOZIALRADAR_CONFIG "
                       "name another)", err=True)
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.ensure_object(dict)
    ctx.obj["settings"] = settings


@main.command("generate")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write regions.csv, observations and ground_truth.json to.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="File format of the observations.")
@click.option("--seed", type=int, default=None, help="Override synthetic.seed from the configuration.")
@click.option("--county-movement", type=click.FloatRange(0, 2), default=None,
              help="Override synthetic.county_movement: yearly shock of a movement every Gemeinde shares.")
@click.option("--county-persistence", type=click.FloatRange(0, 1), default=None,
              help="Override synthetic.county_persistence: that movement's persistence (1: a random walk).")
@click.pass_context
def generate_cmd(ctx: click.Context, out: Path, fmt: str, seed: int | None, county_movement: float | None,
                 county_persistence: float | None) -> None:
    """Write the synthetic county 'Musterkreis' (deterministic for a given seed)."""
    from ml.synthetic import generate, write_sample

    settings = _settings(ctx)
    update = {k: v for k, v in (("seed", seed), ("county_movement", county_movement),
                                ("county_persistence", county_persistence)) if v is not None}
    cfg = settings.synthetic.model_copy(update=update)
    catalog = _catalog(settings)
    sample = generate(cfg, catalog)
    paths = write_sample(sample, out, fmt)
    gt = sample.ground_truth
    click.echo(f"Musterkreis (seed {cfg.seed}): {len(sample.regions)} regions, {len(sample.observations):,} observations")
    if cfg.county_movement:
        click.echo(f"  county-wide movement: yearly shock sd {cfg.county_movement}, persistence "
                   f"{cfg.county_persistence}")
    click.echo(f"  deteriorating Gemeinden: {', '.join(d['region_id'] for d in gt['deteriorating'])}")
    click.echo(f"  small Gemeinden: {', '.join(gt['small_gemeinden'])}")
    for name, path in paths.items():
        click.echo(f"  {name}: {path}")


def _catalog(settings: Settings, held: frozenset[str] = frozenset()):
    """The configured catalog, with the external formats' catalogs the store holds values of (``held``, by file
    name: a table may name INKAR's indicators once the INKAR file is in the store)."""
    from ml.catalog import CatalogError, effective_catalog, held_format_catalogs

    try:
        return effective_catalog(settings, held_format_catalogs(held))
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None


def _print_report(rep: ImportReport) -> None:
    if rep.status == "already_imported":
        click.echo(f"{rep.file}: {rep.message}")
        return
    if rep.status == "failed":      # the reason of a file format error names the file too: once is enough
        reason = rep.message[len(f"{rep.file}: "):] if rep.message.startswith(f"{rep.file}: ") else rep.message
        click.secho(f"{rep.file}: FAILED: {reason}", fg="red", err=True)
        return
    if rep.status == "refused":
        click.secho(f"{rep.file}: REFUSED, nothing stored (read {rep.rows_read:,} rows): {rep.message}", fg="red",
                    err=True)
        return
    how = [rep.format, rep.encoding] + [f"{what} {v!r}" for what, v in (("delimiter", rep.delimiter),
                                                                        ("decimal", rep.decimal)) if v]
    click.echo(f"{rep.file}  [{'; '.join(h for h in how if h)}]")     # a file not read again has no reading
    click.echo(f"  read {rep.rows_read:,} = accepted {rep.rows_accepted:,} + quarantined {rep.rows_quarantined:,} "
               f"({rep.quarantine_share:.1%})")
    if rep.rows_left_out and rep.format == "regions":
        click.echo(f"  left out: {rep.rows_left_out:,} rows (a region's earlier periods, a row of the whole table: "
                   "the notes say which)")
    elif rep.rows_left_out:
        click.echo(f"  left out: {rep.rows_left_out:,} rows of regions outside the store's regions or of no region "
                   "(outside_regions: leave_out), or of the whole table (sum_rows: the notes say which)")
    if rep.format == "regions":
        click.echo(f"  regions new or changed: {rep.regions_changed}")
    else:
        click.echo(f"  store: {rep.inserted:,} new, {rep.updated:,} updated, {rep.unchanged:,} unchanged; "
                   f"new regions: {rep.regions_changed}")
    if rep.empty_cells:
        click.echo(f"  empty cells (no observation): {rep.empty_cells:,}")
    for note in rep.notes:
        click.echo(f"  note: {note}")
    if rep.report_path:
        click.echo(f"  quarantine report: {rep.report_path}")
    if rep.status == "quarantine_over_limit":
        click.secho(f"  {rep.message}", fg="red", err=True)


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Layout of the files; 'auto' recognises it from the header.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML mapping for long/wide files (column names, period, decimal separator ...).")
@click.option("--force", is_flag=True, help="Merge a file again even if identical content was imported before, and "
              "let it change values another file brought in (a correction under a new name).")
@click.option("--check", is_flag=True, help="Say what the import would store and quarantine, storing nothing (it "
              "runs on a copy of the store; the quarantine reports go to a folder 'pruefung' beside the others).")
@click.pass_context
def ingest_cmd(ctx: click.Context, paths: tuple[Path, ...], fmt: str, mapping: Path | None, force: bool,
               check: bool) -> None:
    """Import monitoring files into the store; bad rows go to the quarantine with their reason.

    Exits 1 if a file cannot be read, if more than ingest.max_quarantine_share of its rows are quarantined
    (valid rows are kept either way), or if it would change values another file brought in (nothing of it is
    stored; --force applies it as a correction). With --check, the same report and exit status, nothing stored.
    """
    settings = _settings(ctx)
    if not check:
        _ingest(ctx, settings, paths, fmt, mapping, force)
        return
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="sozialradar-check-"))
    try:
        copy = scratch / Path(settings.store.path).name
        for part in (Path(settings.store.path), Path(f"{settings.store.path}.wal")):    # its log not yet merged too
            if part.is_file():
                shutil.copy2(part, scratch / part.name)
        checked = settings.model_copy(update={
            "store": settings.store.model_copy(update={"path": copy}),
            "ingest": settings.ingest.model_copy(update={"report_dir": settings.report_dir() / "pruefung"})})
        click.echo("check only (--check): nothing is stored; the import would say:")
        _ingest(ctx, checked, paths, fmt, mapping, force, stored=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _ingest(ctx: click.Context, settings: Settings, paths: tuple[Path, ...], fmt: str, mapping: Path | None,
            force: bool, stored: bool = True) -> None:
    """The import of ``paths`` into the store ``settings`` name, its reports printed (:func:`ingest_cmd`);
    ``stored``: false where the store is a copy that is thrown away (``--check``), and the reports say so."""
    from ml.catalog import CatalogError
    from ml.importers import ImportReport, MappingError, ingest_each, load_mapping
    from ml.importers.ingest import kept_rows
    from ml.io import FileFormatError
    from ml.store import Store, StoreError

    try:
        mp = load_mapping(mapping)
    except MappingError as exc:
        raise click.ClickException(str(exc)) from None
    failed = False
    try:
        with Store(settings.store.path, threads=settings.store.threads, memory_limit=settings.store.memory_limit) as store:
            if store.aborted_imports:
                click.echo(f"Import(s) {', '.join(f'#{i}' for i in store.aborted_imports)} ended before they "
                           "finished; nothing of them was stored, they are now marked 'abgebrochen'.", err=True)
            with click.progressbar(paths, label="Importing", file=sys.stderr,
                                   show_pos=True, item_show_func=lambda p: str(p) if p else "") as bar:
                reports = []
                for path in bar:
                    try:
                        reports.extend(ingest_each(path, store, settings, fmt=fmt, mapping=mp, force=force))
                    except (FileFormatError, CatalogError) as exc:
                        reports.append(ImportReport(file=str(path), format=fmt, status="failed", message=str(exc)))
            # an edition whose values in a group of areas contradict the editions around it, said on arrival
            from experiments.arrival import misplaced_after_import
            from experiments.jobs import JobError, catalog_for

            try:
                catalog = catalog_for(settings)
            except JobError:            # a broken catalog failed the imports already, each with its reason
                catalog = None
            misplaced = misplaced_after_import(store, [i for r in reports if r.status == "ok" for i in r.indicators],
                                               catalog, settings.features.population_indicator)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    for rep in reports:
        if not stored and rep.message and rep.rows_accepted:
            rep.message = rep.message.replace(kept_rows(rep.rows_accepted), kept_rows(rep.rows_accepted, False))
        _print_report(rep)
        failed |= rep.status in ("failed", "quarantine_over_limit", "refused")
    for line in misplaced:
        click.echo(f"note: {line}")
    if failed:
        ctx.exit(1)


class _Bar:
    """A progress bar on standard error, shown from the job's first step on: a job that fails before it starts its
    work prints its error alone, not a bar's label above it."""

    def __init__(self, label: str):
        self.label, self.bar = label, None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def progress(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True).__enter__()
        if self.bar.length != total:
            self.bar.length = total
        self.bar.update(done - self.bar.pos)


def _bar(label: str):
    """A progress bar (see :class:`_Bar`) and its (done, total) callback for a job."""
    bar = _Bar(label)
    return bar, bar.progress


def _job(call, *args, **kwargs):
    """Run a job; its :class:`JobError` becomes the CLI's error message (exit code 1)."""
    from experiments.jobs import JobError

    try:
        return call(*args, **kwargs)
    except JobError as exc:
        raise click.ClickException(str(exc)) from None


def _run_features(settings: Settings, engine: str | None, crosswalk: Path | None, echo=click.echo,
                  force: bool = False):
    from experiments.jobs import features_job

    bar, progress = _bar("Profile")
    with bar:
        result = _job(features_job, settings, engine, crosswalk, progress=progress, force=force)
    p, inputs, out = result.profiles, result.warning_inputs, settings.features.output_dir
    echo(f"engine {result.engine}: {p['region_id'].nunique()} regions × {p['period'].nunique()} periods in "
         f"{result.seconds:.1f} s; written to the store (feature_values, profiles, model_matrix) and {out}/")
    if inputs is not None:
        from features.warning_inputs import ID_COLUMNS, basis_breaks

        echo(f"early-warning inputs: {len(inputs):,} region-periods × {inputs.shape[1] - len(ID_COLUMNS)} "
             f"features, edition step {inputs.attrs['edition_step']} years (store table warning_inputs)")
        every = inputs["repeats"].groupby(inputs["period"].astype(str)).all()
        copies = sorted(every.index[every])
        if some := sorted(set(inputs.loc[inputs["repeats"], "period"].astype(str)) - set(copies)):
            rows = inputs[inputs["repeats"] & inputs["period"].astype(str).isin(some)]
            echo(f"  {', '.join(some)}: in {rows['region_id'].nunique()} regions the status index is built from values "
                 "that repeat the edition before (rows copied in one group); the early warning learns from no "
                 "transition into or out of them there")
        if copies:
            echo(f"  {', '.join(copies)}: the status index repeats the edition before in every region (a copied "
                 "edition?); the early warning learns from no transition into or out of "
                 f"{'it' if len(copies) == 1 else 'them'}, and no change is measured from "
                 f"{'it' if len(copies) == 1 else 'them'}")
        if breaks := basis_breaks(inputs):
            across = ", ".join(f"{a} → {b}" for a, b in breaks)
            echo(f"  the status index is built from other indicators across {across}: the early warning "
                 "learns from no transition across them, and no change of the index is measured across them")
    checks = result.lebenslagen_checks
    if checks is not None and len(checks):
        echo(lebenslagen_summary(checks, settings.lebenslagen.perturbation))
    withheld = result.values[result.values["suppressed_by"].fillna("").astype(str) != ""]
    reasons = withheld.groupby("suppressed_by").agg(cells=("region_id", "size"),
                                                    areas=("region_id", lambda r: r.nunique()))
    echo("suppressed values: " + (", ".join(
        f"{k} {int(r.cells):,} ({int(r.areas):,} region{'s' if r.areas != 1 else ''})" for k, r in reasons.iterrows())
        or "none"))
    for note in result.notes:
        click.secho(f"note: {note}", fg="yellow", err=True)
    if inputs is None:
        click.secho("note: no early-warning inputs (they need two periods with a status index)", fg="yellow",
                    err=True)
    return result


def _catalog_with_extensions(settings: Settings):
    from experiments.jobs import catalog_for

    return _job(catalog_for, settings)


def class_table(profiles, period: str):
    """How many regions fall into each status and dynamics class in ``period``; a region without a class (its values
    withheld, left out or missing; no dynamics in a first edition) is counted as 'ohne Index'."""
    p = profiles[profiles["period"] == period].fillna({"status_label": "ohne Index", "dynamics_label": "ohne Index"})
    return p.groupby(["status_label", "dynamics_label"]).size().rename("regions").reset_index()


@main.command("features")
@click.option("--engine", type=click.Choice(["config", "local", "spark"]), default="config", show_default=True,
              help="Where the profiles are computed; 'config': features.engine of the configuration.")
@click.option("--crosswalk", type=click.Path(dir_okay=False, path_type=Path),
              help="Harmonise boundaries first with this CSV (old_id, new_id, weight).")
@click.option("--force", is_flag=True, help="Rebuild the profiles even where indicators or the status index the "
              "stored profiles hold would be dropped (refused otherwise: a run without the county's configuration).")
@click.pass_context
def features_cmd(ctx: click.Context, engine: str | None, crosswalk: Path | None, force: bool) -> None:
    """Build region profiles: harmonise, derive, suppress, standardise, index and classes, per region and year."""
    from ml.columns import latest_complete_period

    settings = _settings(ctx)
    result = _run_features(settings, None if engine == "config" else engine, crosswalk, force=force)
    period = latest_complete_period(result.profiles)
    if period:
        click.echo(f"status and dynamics classes {period}:")
        click.echo(class_table(result.profiles, period).to_string(index=False))


@main.group("train")
def train_group() -> None:
    """Train models on the store's profiles (run 'sozialradar features' first); each run is tracked in MLflow."""


@train_group.command("classifier")
@click.option("--model", type=click.Choice(["config", "glvq", "gmlvq", "lgmlvq"]), default="config", show_default=True,
              help="The LVQ variant; 'config': training.classifier.model of the configuration.")
@click.pass_context
def train_classifier_cmd(ctx: click.Context, model: str | None) -> None:
    """An LVQ classifier of region profiles (default target: the status class), cross-validated."""
    from experiments.jobs import classifier_job

    settings = _settings(ctx)
    if model != "config":
        settings = settings.model_copy(update={"training": settings.training.model_copy(update={
            "classifier": settings.training.classifier.model_copy(update={"model": model})})})
    bar, progress = _bar("Kreuzvalidierung")
    with bar:
        summary = _job(classifier_job, settings, progress=progress)
    _print_run(summary)
    table = summary.tables.get("vergleich")
    if table is not None and len(table) > 1:
        click.echo("comparison on the same folds (accuracy, balanced accuracy, log loss):")
        for r in table.itertuples():
            click.echo(f"  {r.model:<38} {r.accuracy:.3f}  {r.balanced_accuracy:.3f}  {r.log_loss:.3f}")
    later = summary.tables.get("spaetere_periode")
    if later is not None:
        click.echo("later-period check (fitted on the earlier period, judged on the run's period):")
        for r in later.itertuples():
            click.echo(f"  {r.model:<38} {r.accuracy:.3f}  {r.balanced_accuracy:.3f}  {r.log_loss:.3f}")
    if summary.served:
        click.echo(f"served: {summary.served}")
    if summary.interpretation:
        click.echo(f"Einordnung (prototype model): {summary.interpretation}")


@train_group.command("typology")
@click.pass_context
def train_typology_cmd(ctx: click.Context) -> None:
    """Sozialraumtypen from region profiles, number of types by the stated criterion."""
    from experiments.jobs import typology_job

    summary, _, descriptions = _job(typology_job, _settings(ctx))
    _print_run(summary)
    for t, text in descriptions.items():
        click.echo(f"  Typ {t}: {text}")


def served_record_line(served) -> str:
    """The record of each period's choice against the rule then (``models.early_warning.served_over_time``) in
    one German line; a period in which no region worsened has no average precision and is named apart."""
    from models.early_warning import rankable

    sv = rankable(served)
    behind = int((sv["average_precision"] < sv["rule_average_precision"]).sum())
    without = len(served) - len(sv)
    return (f"Jede Periode mit dem damals gewählten Modell ({len(sv)} {'Periode' if len(sv) == 1 else 'Perioden'}"
            + (f"; {without} ohne Verschlechterung nicht bewertbar" if without else "") + "): "
            + (f"Average Precision {sv['average_precision'].mean():.2f}, die damals bessere Regel "
               f"{sv['rule_average_precision'].mean():.2f}; hinter der Regel in {behind} von {len(sv)}"
               if len(sv) else "nicht bewertbar"))


def _run_early_warning(settings: Settings, echo=click.echo):
    from experiments.jobs import early_warning_job
    from models.early_warning import MODEL_LABELS, ranking
    from models.explanations import years_ahead

    summary = _job(early_warning_job, settings, progress=lambda text: echo(f"  … {text}"))
    echo(f"MLflow run {summary.run_id}: Frühwarnung, Modellversion {summary.model_version}"
         + (" (@champion)" if summary.champion else f"; champion unchanged: {summary.champion_reason}"))
    for h, r in summary.horizons.items():
        m = r.metrics[r.chosen]
        echo(f"  {r.model.note}")
        periods = int(m['n_test_periods'])
        echo(f"    Rückblick ({periods} {'Periode' if periods == 1 else 'Perioden'}, {int(m['n_transitions'])} Übergänge, "
             f"{m['positive_rate']:.0%} verschlechtert), je Periode: ROC AUC {ranking(m)[1]:.2f}, Average "
             f"Precision {ranking(m)[0]:.2f} (über alle Perioden {m['average_precision']:.2f})")
        echo("    Average Precision je Periode der Kandidaten: "
             + "; ".join(f"{MODEL_LABELS.get(k, k)} {ranking(mm)[0]:.2f}" for k, mm in r.metrics.items()))
        if len(r.served):
            echo("    " + served_record_line(r.served))
        levels = r.model.levels
        echo("    Stufen (verlangte Trefferquote; im Rückblick auf ungesehene Jahre): " + ", ".join(
            f"{lv} ab Wahrscheinlichkeit {levels.thresholds[lv]:.2f} (verlangt "
            f"{100 * levels.targets.get(lv, math.nan):.0f} %; "
            + (f"erreicht {100 * m[f'precision_{lv}']:.0f} % von {int(m[f'flagged_{lv}'])} markierten)"
               if m[f"flagged_{lv}"] > 0 else "im Rückblick nie erreicht)") if levels.thresholds[lv] is not None
            else f"{lv} nicht verfügbar" for lv in ("beobachten", "Warnung", "akut")))
        for lv in ("beobachten", "Warnung", "akut"):
            if lv in levels.reasons:
                echo(f"    {lv}: nicht verfügbar – {levels.reasons[lv]}")
        if levels.reasons:
            echo("    (verlangte Trefferquoten: training.early_warning.precision_watch, precision_warning, "
                 "precision_acute; Sicherheit: level_confidence)")
        if r.planted:
            echo(f"    geplante Verschlechterungen vor ihrem Beginn mindestens 'beobachten': "
                 f"{int(r.planted['planted_flagged_before_onset'])} von {int(r.planted['planted_deteriorations'])}")
    for h, why in summary.skipped.items():
        echo(f"  {years_ahead(h)} voraus: kein Rückblick möglich ({_untested_reason(summary.untested, h, why)})")
    latest = summary.latest()
    for h, g in latest.groupby("horizon"):
        counts = g["level"].value_counts()
        if not summary.horizons[h].model.levels.available:     # 'keine' would read as unremarkable
            echo(f"  Stufen {g['period'].iloc[0]}, {years_ahead(h)} voraus: keine Stufe verfügbar; {len(g)} Gebiete "
                 "mit Wahrscheinlichkeit und Rangfolge")
            continue
        echo(f"  Stufen {g['period'].iloc[0]}, {years_ahead(h)} voraus: " + ", ".join(
            f"{lv} {int(counts.get(lv, 0))}" for lv in ("keine", "beobachten", "Warnung", "akut")))
    return summary


@train_group.command("early-warning")
@click.pass_context
def train_early_warning_cmd(ctx: click.Context) -> None:
    """Early warning: probability that a region's status worsens within the horizon, backtested and explained."""
    _run_early_warning(_settings(ctx))


def lebenslagen_summary(checks, perturbation: float) -> str:
    """One German line on the Belastungsindizes per Lebenslage and how robust each is (a Lebenslage without
    values has no sensitivity to report)."""
    return f"Belastungsindizes nach Lebenslagen {checks['period'].iloc[0]} (table lebenslagen): " + "; ".join(
        f"{r.lebenslage} {r.verdict}" + (
            f" (Gewichte ±{perturbation:.0%}: {r.weights_share:.0%} der Gebiete wechseln die Klasse; ohne einen "
            f"Indikator höchstens {r.leave_one_out_share:.0%})" if r.weights_share == r.weights_share else "")
        for r in checks.itertuples())


def _print_run(summary) -> None:
    click.echo(f"MLflow run {summary.run_id}; model version {summary.model_version}"
               + ("; new champion" if summary.champion else "; champion unchanged")
               + (f" ({summary.champion_reason})" if summary.champion_reason else ""))
    for k, v in summary.metrics.items():
        if not k.startswith(("cmp.", "later.")):      # the comparison tables follow in full
            click.echo(f"  {k}: {v:.4g}")
    for note in summary.notes:
        click.echo(f"  note: {note}")


def _run_forecast(settings: Settings, engine: str | None, echo=click.echo):
    import pandas as pd

    from experiments.forecast import backtest_origins, period_span
    from experiments.jobs import forecast_job
    from ml.formatting import de
    from models.forecast_models import MODEL_NAMES

    catalog = _catalog_with_extensions(settings)
    bar, progress = _bar("Prognose")
    with bar:
        summary = _job(forecast_job, settings, engine, progress=progress)
    echo(f"MLflow run {summary.run_id}: {summary.n_series} series in {summary.seconds:.1f} s "
         f"({summary.series_per_second:.1f} series/s); forecasts in the store (table forecasts)")
    table = summary.result.metrics
    origins = backtest_origins(summary.result.backtest)
    for indicator, model in sorted(summary.champions.items()):
        row = table[(table["indicator_id"] == indicator) & (table["model"] == model)]
        mase = float(row["mase"].iloc[0]) if len(row) else float("nan")
        cov = float(row["coverage80"].iloc[0]) if len(row) else float("nan")
        held = float(row["holdout_coverage80"].iloc[0]) if len(row) else float("nan")
        unreliable = bool(len(row)) and pd.notna(row["interval_reliable"].iloc[0]) \
            and not bool(row["interval_reliable"].iloc[0])
        note = (", an zurückgehaltenen Jahren nicht prüfbar (zu wenige Prüfzeitpunkte)" if held != held else
                f", am zurückgehaltenen letzten Prüfzeitpunkt {held:.0%}"
                + (" — Intervall nicht verlässlich" if unreliable else ""))
        out = summary.raced_out.get(indicator)
        if mase != mase:
            echo(f"  {catalog[indicator].name}: {MODEL_NAMES.get(model, model)} — kein Backtest möglich (je Reihe weniger als "
                 f"{settings.forecast.min_train_years} Werte vor dem letzten Prüfzeitpunkt); die einfachste Regel "
                 "wird ausgegeben, ohne Intervall")
            continue
        single = (f", gewählt an einem einzigen Prüfzeitpunkt ({origins[indicator][0]}): ein Jahr entscheidet"
                  if len(origins.get(indicator, [])) == 1 else "")
        echo(f"  {catalog[indicator].name}: {MODEL_NAMES.get(model, model)}, Backtest-MASE {mase:.2f}{single}, "
             f"Abdeckung 80 %-Intervall im Backtest {cov:.0%}{note}"
             + (f" (nur an einer Stichprobe geprüft: {', '.join(MODEL_NAMES.get(m, m) for m in sorted(out))})"
                if out else ""))
    level = settings.forecast.level or settings.features.level
    if summary.without_data:
        echo(f"  ohne Werte auf der Ebene {level} (forecast.indicators): {', '.join(summary.without_data)}")
    if summary.too_short:
        echo("  zu kurz für eine Prognose: " + "; ".join(
            f"{catalog[i].name} (je Gebiet höchstens {have} {'Wert' if have == 1 else 'Werte'}, nötig: {need})"
            for i, (have, need) in sorted(summary.too_short.items())))
    if summary.index_not_forecast:
        echo("  nicht prognostiziert, obwohl im Statusindex: "
             + ", ".join(f"{catalog[i].name} ({i})" for i in summary.index_not_forecast)
             + " — unter forecast.indicators der Konfiguration nennen")
    if summary.copies:
        echo("  Jahrgänge, die den vorigen wiederholen (kopiert?), als Lücke behandelt: " + "; ".join(
            f"{catalog[i].name} {', '.join(map(str, years))}" for i, years in sorted(summary.copies.items())))
    if summary.blocks:
        echo("  Werte, die in allen Gebieten einer Gruppe das Vorjahr wiederholen (kopiert?), als Lücke behandelt: "
             + "; ".join(f"{catalog[i].name} " + ", ".join(f"{y} ({n} Gebiete)" for y, n in years.items())
                         for i, years in sorted(summary.blocks.items())))
    if summary.estimated:
        def passage(est) -> str:
            said = [f"{a} → {b} im Median {de(r, 1)}-mal so groß wie zwischen den übrigen Jahren"
                    for a, b, r in est["steps"] if r == r]
            return f" (Änderung {'; '.join(said)})" if said else ""

        echo("  überwiegend geschätzte Jahrgänge (etwa von einem früheren Gebietsstand umgerechnet), in Backtest "
             "und Prognose wie beobachtet verwendet: " + "; ".join(
                 f"{catalog[i].name} {period_span(est['periods'])}{passage(est)}"
                 for i, est in sorted(summary.estimated.items())))
    if not summary.breaks.empty:
        marked = summary.breaks.assign(label=summary.breaks["period"] + summary.breaks["step"].map({True: "*",
                                                                                                   False: ""}))
        years = marked.groupby("indicator_id")["label"].agg(", ".join)
        echo("  Strukturbrüche: " + "; ".join(f"{catalog[i].name} {p}" for i, p in years.items()))
        if summary.breaks["step"].any():
            echo("  * ein Sprung in einem Jahr, der bleibt: hat sich dort die Abgrenzung geändert (neue "
                 "Bevölkerungsbasis, neue Zählregel), gehört das Jahr in die Spalte 'breaks' des Katalogs; dann "
                 "verbindet keine Veränderung und keine Prognose Werte beider Seiten")
    return summary


@main.command("forecast")
@click.option("--engine", type=click.Choice(["config", "local", "spark"]), default="config", show_default=True,
              help="Where the forecasts are computed; 'config': forecast.engine of the configuration.")
@click.option("--train-until", default=None, help="Use periods up to this one only (YYYY or YYYY-MM).")
@click.pass_context
def forecast_cmd(ctx: click.Context, engine: str | None, train_until: str | None) -> None:
    """Forecast the configured indicators per region: backtests, champion per indicator, calibrated intervals."""
    settings = _settings(ctx)
    if train_until:
        settings = settings.model_copy(update={"forecast": settings.forecast.model_copy(update={"train_until": train_until})})
    _run_forecast(settings, None if engine == "config" else engine)


def _run_projection(settings: Settings, echo=click.echo):
    from experiments.jobs import projection_job
    from ml.formatting import percent
    from models.projection_check import MODEL_NAMES

    summary = _job(projection_job, settings, progress=lambda text: click.echo(f"  {text} …", err=True))
    echo(f"MLflow run {summary.run_id}: {summary.n_regions} Gebiete ab Stand {summary.latest}, "
         f"{settings.projection.horizon_years} Jahre voraus ({summary.seconds:.1f} s); table projection")
    if summary.not_reported:
        echo("  nicht berichtet (keine Spalte der Einwohnertabelle an dieser Altersgrenze): " + ", ".join(summary.not_reported))
    if summary.check.empty:
        echo("  nicht an früheren Ständen geprüft (zu wenige Stände): die Projektion wird ungeprüft gezeigt")
    for group, by in summary.served_by.items():
        rows = summary.verdicts[summary.verdicts["group"] == group] if len(summary.verdicts) else summary.verdicts
        if not len(rows):
            echo(f"  {group}: gezeigt {MODEL_NAMES[by]} (ungeprüft)")
            continue
        detail = "; ".join(f"nach {int(r.horizon)} J. {percent(r.projection, 1)} gegen {percent(r.better_baseline, 1)} "
                           f"({MODEL_NAMES[r.baseline]})" for r in rows.itertuples())
        echo(f"  {group}: gezeigt {MODEL_NAMES[by]} (mittlere Abweichung der Projektion {detail})")
    return summary


@main.command("project")
@click.option("--horizon", default="config", show_default=True,
              help="Years ahead (1–30); 'config': projection.horizon_years of the configuration.")
@click.pass_context
def project_cmd(ctx: click.Context, horizon: str) -> None:
    """Project residents by age group per region (cohort components), checked against last count and trend."""
    settings = _settings(ctx)
    if horizon != "config":
        try:
            horizon = int(float(horizon))
        except ValueError:
            raise click.BadParameter(f"a number of years or 'config'; got {horizon!r}", param_hint="--horizon") from None
        if not 1 <= horizon <= 30:
            raise click.BadParameter(f"between 1 and 30 years; got {horizon}", param_hint="--horizon")
        settings = settings.model_copy(update={"projection": settings.projection.model_copy(update={"horizon_years": horizon})})
    _run_projection(settings)


def _run_coverage(settings: Settings, echo=click.echo):
    from experiments.jobs import coverage_job
    from ml.formatting import de

    summary = _job(coverage_job, settings)
    t = summary.table
    cfg = settings.coverage
    how = ("Einzugsbereich " + ", ".join(f"{n.type} {de(n.distance_km or cfg.distance_km, 0)} km" for n in cfg.norms)
           + f" Luftlinie, Gewichtung {cfg.decay}" if summary.by_distance
           else "ohne Lage der Gebiete: nur Plätze im eigenen Gebiet")
    echo(f"Bestand und Bedarf ({how}); table coverage")
    for (type_, horizon), g in t[t["horizon"].isin([0, int(t["horizon"].max())])].groupby(["type", "horizon"]):
        short = g[g["gap"] > 0]
        echo(f"  {type_} {g['period'].iloc[0]}: Bedarf {de(g['demand'].sum(), 0)}, erreichbar {de(g['accessible'].sum(), 0)} "
             f"Plätze; {len(short)} Gebiete mit Lücke ({de(short['gap'].sum(), 0)} Plätze)")
    if summary.types_without_norm:
        echo("  Einrichtungsarten ohne Richtwert (coverage.norms): " + ", ".join(summary.types_without_norm))
    return summary


@main.command("coverage")
@click.pass_context
def coverage_cmd(ctx: click.Context) -> None:
    """Bestand und Bedarf: places needed (projection × norms) against places within reach (2SFCA), per year."""
    _run_coverage(_settings(ctx))


def _run_impact(settings: Settings, echo=click.echo):
    from experiments.jobs import impact_job

    summary = _job(impact_job, settings, progress=lambda text: click.echo(f"  {text} …", err=True))
    t = summary.table
    shown = t[t["withheld"].isna()]
    echo(f"MLflow run {summary.run_id}: {len(t)} Schätzungen ({len(shown)} berechnet, {len(t) - len(shown)} "
         f"zurückgehalten, {int(shown['distinguishable'].sum())} mit erkennbarer Wirkung); table impacts")
    for r in t.head(6).itertuples():
        echo(f"  {r.measure_id} · {r.region_id}: {r.sentence}")
    return summary


@main.command("impact")
@click.pass_context
def impact_cmd(ctx: click.Context) -> None:
    """Estimate the effect of the register's measures: synthetic control against alike regions, placebo intervals."""
    _run_impact(_settings(ctx))


def _examples(base: str, region_id: str) -> list[tuple[str, str, dict | None]]:
    return [("GET", "/regions", None), ("GET", f"/profile?region_id={region_id}", None),
            ("POST", "/classify", {"region_id": region_id}), ("GET", f"/typology?region_id={region_id}", None),
            ("GET", f"/forecast?region_id={region_id}&indicator_id=sgb2_quote", None),
            ("GET", f"/projection?region_id={region_id}&group=00_06", None),
            ("GET", f"/measures?region_id={region_id}", None),
            ("POST", "/early_warning", {"region_ids": [region_id]}), ("GET", f"/explain?region_id={region_id}", None),
            ("GET", "/geometry", None)]


def _serve(settings: Settings, workdir: Path, serve_for: float | None, echo=click.echo, example_region: str | None = None):
    from experiments import serve as service

    config = service.write_config(settings, workdir / "service.yaml")
    proc, base = service.start(settings, config, log=workdir / "service.log")

    def terminate(signum, frame):  # a SIGTERM to this command stops the service too
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        seconds = service.wait_ready(base, proc)
        echo(f"Dienst bereit nach {seconds:.1f} s: {base}  (OpenAPI: {base}/openapi.json, Metriken: {base}/metrics)")
        echo(f"Dashboard: {base}/dashboard/   Gebietsbericht: {base}/report?region_id=…")
        if example_region:
            for method, path, body in _examples(base, example_region):
                status, answer = service.call(base, path, body)
                shown = json.dumps(answer, ensure_ascii=False)
                data = f" -d '{json.dumps(body)}' -H 'Content-Type: application/json'" if body else ""
                echo(f"  curl -X {method} '{base}{path}'{data}\n    → {status} {shown[:160]}{'…' if len(shown) > 160 else ''}")
        if serve_for is None:
            echo("Beenden mit Strg+C")
            proc.wait()
        elif serve_for > 0:
            time.sleep(serve_for)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        service.stop(proc)


def _untested_reason(untested, horizon: int, why: str) -> str:
    """Why a horizon has no out-of-sample test, in German where the reason is one of the usual two (no transition
    with an outcome yet; too few earlier transitions), with the counts; else the reason as the backtest gave it."""
    rows = untested[untested["horizon"] == horizon] if len(untested) else untested
    if why.startswith("no transition over"):
        return "noch kein Übergang über diesen Abstand hat einen bekannten Ausgang"
    if why.startswith("no period has enough earlier transitions") and len(rows):
        c = rows.iloc[0]
        ending = c.get("ending")
        ending = ending if isinstance(ending, str) else ""
        return (f"zu wenige frühere Übergänge mit bekanntem Ausgang: {int(c['transitions'])} bekannt, "
                f"{int(c['worsenings'])} davon Verschlechterungen"
                + (f" (endend {ending})" if ending else "")
                + f"; eine Prüfperiode braucht davor mindestens {int(c['needed'])} Verschlechterungen und "
                f"{int(c['needed'])} andere Übergänge")
    return why


@main.command("export")
@click.argument("kind", type=click.Choice(["warnings", "profiles", "values", "forecasts", "projection",
                                           "lebenslagen", "coverage", "measures"]))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.csv (German Excel: ';', decimal comma, UTF-8 with BOM), FILE.xlsx, or FILE.geojson or "
                   "FILE.gpkg (a map layer for a GIS, WGS84: one feature per region with its polygon; warnings of "
                   "one horizon, profiles).")
@click.option("--period", default=None, help="The period (year); default: the latest (forecasts, projection: all).")
@click.option("--horizon", type=click.IntRange(1, 20), default=None,
              help="Warnings only: years ahead; default: every served horizon.")
@click.pass_context
def export_cmd(ctx: click.Context, kind: str, out: Path, period: str | None, horizon: int | None) -> None:
    """Export early warnings, profiles, the values of the regions of other levels (Sozialregionen, the Kreis: as their
    pages show them), forecasts, the population projection, the Belastungsindizes per Lebenslage, Bestand und Bedarf
    or the measures with their effects as a table for planners; suppressed cells stay suppressed."""
    from ml.io import FileFormatError, write_table
    from ml.store import Store, StoreError
    from experiments.export import ExportError, export_table

    settings = _settings(ctx)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".geojson", ".gpkg"):
        raise click.BadParameter(f"the file must end in .csv, .xlsx, .geojson or .gpkg; got {out.name!r}",
                                 param_hint="--out")
    layer = suffix in (".geojson", ".gpkg")
    try:
        with Store(settings.store.path, threads=settings.store.threads, read_only=True) as store:
            frame = export_table(kind, store, _catalog_with_extensions(settings), period, horizon)
            older = _older_than_profiles(store, kind) + frame.attrs.get("notes", [])
            regions = store.regions() if layer else None
        if layer:
            _write_map_layer(frame, regions, out, kind)
        else:
            write_table(frame, out)
    except (ExportError, StoreError, FileFormatError) as exc:
        raise click.ClickException(str(exc)) from None
    if not layer:
        click.echo(f"{out}: {len(frame):,} rows × {frame.shape[1]} columns ({kind})")
    for note in older:
        click.secho(f"note: {note}", fg="yellow", err=True)


def _write_map_layer(frame, regions, out: Path, kind: str) -> None:
    """The export as a map layer (``ml.geometry.map_layer``), GeoJSON or a GeoPackage's layer named for ``kind``,
    and what it holds."""
    import json

    from experiments.export import SUPPRESSED, ExportError
    from ml.geometry import map_layer
    from ml.gis_files import write_geopackage

    if kind not in ("warnings", "profiles"):
        raise ExportError(f"a map layer holds one row per region: warnings (of one horizon) or profiles; export "
                          f"{kind} as .csv or .xlsx")
    if kind == "warnings" and frame["Gebiet"].duplicated().any():
        horizons = ", ".join(map(str, sorted(set(frame["Horizont (Jahre)"]))))
        raise ExportError(f"a map shows one horizon: name it with --horizon ({horizons})")
    layer = map_layer(frame, regions, SUPPRESSED)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".gpkg":
        write_geopackage(layer, out, kind)
    else:
        out.write_text(json.dumps(layer, ensure_ascii=False, allow_nan=False), encoding="utf-8")
    missing = [f["id"] for f in layer["features"] if f["geometry"] is None]
    click.echo(f"{out}: {len(layer['features']):,} regions × {frame.shape[1]} properties ({kind}, WGS84)")
    if missing:
        click.secho(f"  {len(missing)} region(s) without a polygon in the store, written with geometry null: "
                    f"{', '.join(missing[:5])}" + (" …" if len(missing) > 5 else "") +
                    " (store polygons with 'sozialradar geometry FILE')", fg="yellow")


def _older_than_profiles(store, kind: str) -> list[str]:
    """The notes of :func:`experiments.store_summary.awaiting_training` on the exported results: warnings or forecasts
    from before a new edition are exported as they are, and the command says so."""
    from experiments.store_summary import awaiting_training

    table = {"warnings": "early_warnings", "forecasts": "forecasts"}.get(kind)
    if table is None or "profiles" not in store.tables():
        return []
    note = awaiting_training(store, store.table("profiles")).get(table)
    return [note] if note else []


@main.command("geometry")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--id-property", default=None,
              help="The feature property that holds the region id (kept as text, leading zeros too); by default "
                   "the property whose codes, failing that names, name the most regions of the store.")
@click.option("--object", "objects", multiple=True,
              help="A TopoJSON file's object, or a layer of a GeoPackage or of a zip of shapefiles, to read "
                   "(repeatable); by default every object or layer of polygons, one level each.")
@click.option("--crs", default=None,
              help="The coordinates' reference system where the file does not name it, e.g. EPSG:25833 "
                   "(ETRS89 / UTM 33); converted to WGS84.")
@click.pass_context
def geometry_cmd(ctx: click.Context, path: Path, id_property: str | None, objects: tuple[str, ...],
                 crs: str | None) -> None:
    """Store region polygons for the dashboard's map: from GeoJSON, TopoJSON, a shapefile (or a zip or folder of
    them), a GeoPackage, KML, GML or FlatGeobuf."""
    from ml.geometry import GeometryError, store_geometry
    from ml.geometry_match import read_geometry
    from ml.geometry_parents import join_parent_polygons, overlap_with_parts
    from ml.store import Store, StoreError

    settings = _settings(ctx)
    try:
        with Store(settings.store.path, threads=settings.store.threads, memory_limit=settings.store.memory_limit) as store:
            frame, reports = read_geometry(path, store.region_names(), id_property, list(objects) or None, crs)
            apart = overlap_with_parts(frame, store.regions())
            counts = store_geometry(store, frame)
            joined = join_parent_polygons(store)
            total = int(store.regions()["geometry"].notna().sum())
    except (GeometryError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{path}: geometry of {counts['stored']} regions stored ({total} regions have one)")
    for rep in reports:
        _echo_geometry_report(rep)
    for note in frame.attrs.get("notes", []):
        click.echo(f"  {note}")
    if apart:
        click.secho(f"  {len(apart)} polygon(s) cover another area than the region's parts draw (another edition of "
                    "the grid, read by a name that stayed?): " + "; ".join(
                        f"{rid} '{name}', {share:.0%} in common" for rid, name, share in apart[:5]) +
                    (" …" if len(apart) > 5 else ""), fg="yellow")
    if joined["joined"]:
        click.echo("  drawn as the union of their parts, having no polygon of their own: " +
                   ", ".join(f"{n} {level}" for level, n in joined["joined"].items()))
    if joined["partial"]:
        first = [f"{rid} lacks {', '.join(kids[:3])}{' …' if len(kids) > 3 else ''}"
                 for rid, kids in joined["lacking"][:3]]
        click.echo("  without a polygon, as some of their parts have none: " +
                   ", ".join(f"{n} {level}" for level, n in joined["partial"].items()) + " (" + "; ".join(first) +
                   ("; …" if len(joined["lacking"]) > 3 else "") + ")")
    if counts["named"]:
        click.echo(f"  {len(counts['named'])} region(s) named by the geometry, their names having been their codes: "
                   + "; ".join(f"{r} '{name}'" for r, name in counts["named"][:5])
                   + (" …" if len(counts["named"]) > 5 else ""))
    mism = counts["name_mismatches"]
    if mism:
        click.secho(f"  {len(mism)} region(s) named differently in the geometry than in the store (another "
                    "edition of the grid?): " + "; ".join(f"{r} '{a}' vs '{b}'" for r, a, b in mism[:5]), fg="yellow")
    dups = frame.attrs.get("duplicates", [])
    if dups:
        click.secho(f"  {len(dups)} id(s) on several features, merged into one MultiPolygon each: "
                    f"{', '.join(dups[:10])} — check the source if these are not exclaves", fg="yellow")
    empty = frame.attrs.get("without_shape", [])
    if empty:
        click.secho(f"  {len(empty)} feature(s) without a shape (geometry null), nothing stored for them: "
                    f"{', '.join(empty[:10])}" + (" …" if len(empty) > 10 else ""), fg="yellow")
    if counts["unknown"]:
        click.secho(f"  {counts['unknown']} polygon(s) name no region of the store and were not stored (import "
                    "the region list first, or they are regions of another edition of the grid)", fg="yellow")


def _echo_geometry_report(rep: dict) -> None:
    """One line per collection of a geometry file: where its ids come from, which regions they name."""
    where = f"{rep.get('part', 'object')} '{rep['object']}': " if rep["object"] is not None else ""
    key = "'id'" if rep["key"] is None else f"'{rep['key']}'"
    levels = ", ".join(f"{n} {level}" for level, n in rep["levels"].items()) or "none of the store's"
    read = rep.get("read") or ""
    read = (" (each a code and a name)" if read == "code and name" else
            f" (behind the {read.replace('prefix ', 'letters ')})" if read.startswith("prefix") else "")
    line = f"  {where}{rep['features']} feature(s), ids from the {rep['by']} in {key}{read}: regions {levels}"
    if rep.get("codes"):
        line += (f" (its codes, {rep['codes'][0]}, name only {rep['codes'][1]} of the store's regions: another "
                 "numbering, or another edition of the grid? check that the areas are the store's)")
    if rep["rewritten"]:
        line += f"; {rep['rewritten']} code(s) written with other leading zeros than the store's"
    if rep.get("name_key"):
        line += f"; names from '{rep['name_key']}'"
    if rep.get("joined"):
        line += (f"; the file draws finer areas ({rep['joined']['areas']}, told apart by '{rep['joined']['key']}'): "
                 "each region drawn as the union of the areas that name it")
    for rid, name, other in rep.get("namesakes", []):
        line += (f"; {rid} is on several features named '{name}', the name of {other} as well, which the file does "
                 f"not draw: is one of them {other}?")
    if rep["unmatched"]:
        more = len(rep["unmatched"]) - 5
        line += f"; not in the store: {', '.join(repr(t) for t in rep['unmatched'][:5])}"
        line += f" and {more} more" if more > 0 else ""
    click.echo(line)


def _write_reports(settings: Settings, out: Path, region_ids: list[str] | None, period: str | None,
                   echo=click.echo):
    from experiments.jobs import reports_job

    with click.progressbar(length=len(region_ids) if region_ids is not None else 1, label="Berichte",
                           file=sys.stderr) as bar:
        def progress(done: int, n: int) -> None:
            bar.length = n
            bar.update(1)
        pages, index = _job(reports_job, settings, out, region_ids, period, progress=progress)
    for page in pages[:5] if index else pages:
        echo(f"  {page.name}: {page.path}")
    if index:
        echo(f"  … {len(pages)} Seiten; Übersicht: {index}")
    return pages, index


def _region_codes(settings: Settings, texts: list[str]) -> list[str]:
    """The store's codes for what a planner types after ``--region``: a code, or a name in any spelling (with or
    without its designation: 'Görlitz' for 'Görlitz, Stadt'; the level with it where two levels share a name:
    'Bezirk Eimsbüttel'). A name that fits none or several fails, naming the candidates."""
    from ml.regions import RegionLookup
    from ml.store import Store, StoreError

    try:
        with Store(settings.store.path, threads=settings.store.threads, read_only=True) as store:
            regions = store.region_names()
            profiled = (set(store.con.sql("SELECT DISTINCT region_id FROM profiles").fetchnumpy()["region_id"])
                        if "profiles" in store.tables() else set())
            observed = set(store.con.sql("SELECT DISTINCT region_id FROM observations").fetchnumpy()["region_id"])
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    codes = set(regions["region_id"].astype(str))
    lookup = RegionLookup(regions)
    with_profile = RegionLookup(regions[regions["region_id"].isin(profiled)]) if profiled else None
    names = dict(zip(regions["region_id"].astype(str), regions["name"].astype(str)))
    levels = dict(zip(regions["region_id"].astype(str), regions["level"].astype(str)))
    profiled_levels = {levels[c] for c in profiled if c in levels}
    out = []
    for text in texts:
        code, why = (text, None) if text in codes else lookup.resolve(text)
        if code is None:
            why = why or "neither a code nor a name of the store's regions"
            raise click.BadParameter(f"{text!r}: {why}", param_hint="--region")
        if with_profile is not None and code not in profiled:
            # a region the profiles do not reach (an area of an earlier grid, one without data): its page is empty
            other = with_profile.resolve(text)[0] if text not in codes else None
            level = levels.get(code)
            hint = (f"; {names[other]} ({other}) has one: --region {other}" if other and other != code else
                    f"; the profiles are built for the level {', '.join(sorted(profiled_levels))} (features.level), "
                    f"this region is of the level {level}" + (": its page shows its own values, without a comparison"
                                                              if code in observed else "")
                    if level not in profiled_levels else
                    "; an area of an earlier grid mapped onto others by the crosswalk, or one without values")
            shows = "" if level not in profiled_levels and code in observed else ", so its page shows no values"
            click.echo(f"note: {names.get(code, code)} ({code}) has no profile{shows}{hint}", err=True)
        out.append(code)
    return out


@main.command("report")
@click.option("--region", "regions", multiple=True,
              help="Region code or name (repeatable; 'Görlitz' for 'Görlitz, Stadt', 'Bezirk Eimsbüttel').")
@click.option("--all", "all_regions", is_flag=True,
              help="One page per region of the profiles' level, and per region of another level that holds values "
              "(the whole city or county), plus an index.")
@click.option("--period", default=None, help="Report year (default: the latest with a status index).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default: 'berichte' beside the store).")
@click.pass_context
def report_cmd(ctx: click.Context, regions: tuple[str, ...], all_regions: bool, period: str | None,
               out: Path | None) -> None:
    """Write self-contained German HTML reports: the indicators per dimension against the other regions of the
    level (value, comparison, change, assessment, trend line), the dimension profile, trends and forecasts,
    type, warning level with its drivers, data flags. Suppressed values never appear."""
    settings = _settings(ctx)
    if bool(regions) == all_regions:
        raise click.UsageError("give --region ID (one or more) or --all")
    _write_reports(settings, out or settings.store.path.parent / "berichte",
                   None if all_regions else _region_codes(settings, list(regions)), period)


@main.command("bento")
@click.pass_context
def bento_cmd(ctx: click.Context) -> None:
    """Build the Bento for deployment: the champion models from the MLflow registry, the service, its code,
    templates and static files, the catalog and the locked requirements ('bentoml build' of bentofile.yaml)."""
    from experiments.jobs import bento_job

    tag = _job(bento_job, _settings(ctx))
    click.echo(f"Bento {tag}")
    click.echo(f"  image: bentoml containerize {tag}")
    click.echo(f"  run:   docker run -p 3000:3000 -v /path/to/store:/data -e SOZIALRADAR_STORE__PATH=/data/"
               f"monitoring.duckdb {tag}")


@main.command("serve")
@click.option("--port", type=int, default=None, help="Override serving.port.")
@click.option("--host", default=None, help="Override serving.host.")
@click.pass_context
def serve_cmd(ctx: click.Context, port: int | None, host: str | None) -> None:
    """Serve the API and the champion models with BentoML until interrupted."""
    from experiments import serve as service

    settings = _settings(ctx)
    updates = {k: v for k, v in (("port", port), ("host", host)) if v is not None}
    if updates:
        settings = settings.model_copy(update={"serving": settings.serving.model_copy(update=updates)})
    workdir = settings.store.path.parent
    try:
        _serve(settings, workdir, None)
    except service.ServiceFailed as exc:
        raise click.ClickException(f"the service could not load its data: {exc} (log: {workdir / 'service.log'})") from None
    except (RuntimeError, TimeoutError) as exc:
        raise click.ClickException(f"{exc}; see {workdir / 'service.log'}") from None


@main.group("store")
def store_group() -> None:
    """Inspect the monitoring store."""


@store_group.command("info")
@click.pass_context
def store_info(ctx: click.Context) -> None:
    """Show what the store holds: regions, indicators, observations, imports, quarantine, and how far the
    profiles and the jobs' results reach."""
    from ml.store import Store, StoreError
    import pandas as pd

    settings = _settings(ctx)
    try:
        with Store(settings.store.path, read_only=True) as store:
            info = store.info()
            imports = store.imports(10)
            from experiments.store_summary import results_summary

            results = results_summary(store, info["annual_periods"][1])
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"store: {info['path']} ({info['size_bytes'] / 1e6:.1f} MB)")
    within = info["parent_levels"]
    click.echo(f"regions: {info['regions']:,}  " + ", ".join(
        f"{k} {v}" + (f" (in {' and '.join(within[k])})" if k in within else "")
        for k, v in info["regions_by_level"].items()))
    if info["named_by_code"]:
        click.echo("  named by their codes only: " + ", ".join(f"{n} {lv}" for lv, n in info["named_by_code"].items())
                   + " (a region list, or 'sozialradar geometry FILE' with names, names them)")
    orphans = info["parents_not_in_store"]
    if orphans:
        click.echo(f"  parents the regions name that the store lacks: {len(orphans)} ({', '.join(orphans[:8])}"
                   f"{' …' if len(orphans) > 8 else ''}); their pages and sums need them in a region list")
    shaped = info["polygons_by_level"]
    joined = {lv: f" ({n} joined from their parts)" for lv, n in info.get("polygons_joined_by_level", {}).items()}
    click.echo("polygons for the map: " + (", ".join(f"{lv} {n} of {info['regions_by_level'][lv]}{joined.get(lv, '')}"
                                                     for lv, n in shaped.items()) if shaped else
                                           "none ('sozialradar geometry FILE' stores them)"))
    click.echo(f"indicators: {info['indicators']:,}  " + ", ".join(f"{k} {v}" for k, v in info["indicators_by_catalog"].items()))
    click.echo(f"observations: {info['observations']:,}  " + ", ".join(f"{k} {v:,}" for k, v in info["observations_by_flag"].items()))
    lo, hi = info["annual_periods"]
    mlo, mhi = info["monthly_periods"]
    gaps = info["years_without_values"]
    if lo is None and mlo is None:
        click.echo("periods: none yet (no observations)")
    else:
        click.echo("periods: " + ", ".join(part for part in (
            f"annual {lo}..{hi}" + (f" (no values in {years_text(gaps)})" if gaps else "") if lo else "",
            f"monthly {mlo}..{mhi}" if mlo else "") if part))
    since = info["quarantined_since_imported"]
    click.echo(f"imports: {info['imports']}, quarantined rows: {info['quarantined_rows']:,}"
               + (f" ({since:,} of them from an earlier import of a file imported since without refusal)"
                  if since else "") + ", "
               f"recorded value changes: {info['changes_recorded']:,}")
    for line in results:
        click.echo(line)
    if not imports.empty:
        click.echo("last imports:")
        with pd.option_context("display.width", 160, "display.max_colwidth", 50):
            click.echo(imports.to_string(index=False))


@main.group("mapping")
def mapping_group() -> None:
    """Mappings: how a table's columns become indicators."""


@mapping_group.command("suggest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", default=None, help="A workbook (.xlsx, .xls, .ods): the sheet to read (name or 0-based "
              "number; default the first that holds a table). "
              "A GIS file (a GeoPackage, a zip of shapefiles): the layer whose table to read. A JSON file: the "
              "table's path in it (detail, result.records; default the largest table).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the mapping here instead of printing it.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.option("--regions", "as_regions", is_flag=True,
              help="Read FILE's regions (codes, names, level, parents) as a region list, not its values.")
@click.pass_context
def mapping_suggest(ctx: click.Context, file: Path, sheet: str | None, out: Path | None, force: bool,
                    as_regions: bool) -> None:
    """Propose a mapping YAML for FILE: region, level and period columns, each other column matched to a
    catalog indicator where one fits (with its reference year when the header names one), and the columns
    without a match listed for you to edit. With --regions, the mapping that imports the regions FILE names
    (a table of values that also gives codes and names) as the store's region list."""
    from ml.io import FileFormatError
    from ml.suggest import suggest_mapping

    settings = _settings(ctx)
    sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    try:
        known, places, held, values = _store_regions(settings)
        suggestion = suggest_mapping(file, _catalog(settings, held), sheet=sheet_arg, regions=as_regions, known=known,
                                     places=places, stored=values)
    except FileFormatError as exc:
        raise click.ClickException(str(exc)) from None
    text = suggestion.to_yaml()
    if out is None:
        click.echo(text, nl=False)
    else:
        if out.exists() and not force:
            raise click.ClickException(f"{out} exists; pass --force to overwrite it")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        what = "indicator cells" if suggestion.format == "long" else "columns"
        parts = [] if suggestion.format in ("measures", "facilities") else [
            f"{len(suggestion.matches)} {what} matched, {len(suggestion.unmatched)} without a match"]
        click.echo(f"wrote {out}: " + "; ".join(parts + suggestion.notes))


@mapping_group.command("codebook")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", default=None, help="A workbook: the sheet to read (name or 0-based number).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the catalog file here instead of printing it.")
@click.option("--prefix", default="", help="Put before every id (bzr_: bzr_gruenanlagen), to tell the indicators "
              "of this codebook apart from the shipped ones.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.pass_context
def mapping_codebook(ctx: click.Context, file: Path, sheet: str | None, out: Path | None, prefix: str,
                     force: bool) -> None:
    """Draft a catalog file of your own from a codebook (JSON, CSV or a workbook: per indicator a code, a label,
    perhaps a definition, a unit and a group): one row per indicator, whose name carries its code, so that 'mapping
    suggest' reads a table's codes as these indicators. Kind and group are read from unit, words and the codebook's
    groups; polarity only where a shipped indicator is the same. Check it, list it under catalog.indicators."""
    from ml.catalog import CatalogError
    from ml.codebook import catalog_text, check_draft, draft_catalog, read_codebook, summary
    from ml.io import FileFormatError

    if prefix and not re.fullmatch(r"[a-z][a-z0-9_]*", prefix):
        raise click.BadParameter(f"{prefix!r}: lower case letters, digits and '_', starting with a letter",
                                 param_hint="--prefix")
    settings = _settings(ctx)
    if out is not None:     # the file drafted anew is none of the catalog it extends, listed already or not
        others = [p for p in settings.catalog.indicators if Path(p).resolve() != out.resolve()]
        settings = settings.model_copy(update={"catalog": settings.catalog.model_copy(update={"indicators": others})})
    _, _, held, _ = _store_regions(settings)
    catalog = _catalog(settings, held)
    sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    try:
        drafts = draft_catalog(read_codebook(file, sheet_arg), catalog, prefix=prefix, source=file.name)
        text = catalog_text(drafts)
        check_draft(text, catalog)
    except (FileFormatError, CatalogError) as exc:
        raise click.ClickException(str(exc)) from None
    lines = summary(drafts, catalog)
    if out is None:
        click.echo(text, nl=False)
        click.echo("\n".join(lines), err=True)
        return
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; pass --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}: {len(drafts)} indicators of {file.name}")
    click.echo("\n".join(lines))
    click.echo(f"next: list it in the configuration (catalog: indicators: [{out}]), then 'sozialradar mapping "
               "suggest TABLE' reads the table's codes as these indicators")


def _store_regions(settings: Settings) -> "tuple[frozenset[str] | None, pd.DataFrame | None, frozenset[str], \
        dict[str, HeldValues] | None]":
    """The region codes of the store, its regions (code, name, level, parent), the catalog files it holds values
    of and its values' quartiles per indicator, for the suggestion; (None, None, empty, None) where there is no store
    file yet, or it cannot be read now (another job writing it)."""
    from ml.store import Store

    if not Path(settings.store.path).is_file():
        return None, None, frozenset(), None
    try:
        with Store(settings.store.path, read_only=True) as store:
            return store.region_ids(), store.region_names(), store.catalogs_with_values(), store.held_values()
    except Exception:  # noqa: BLE001 - a store busy or of another version: the suggestion is made without it
        return None, None, frozenset(), None


@main.group("crosswalk")
def crosswalk_group() -> None:
    """Crosswalks: earlier areas carried onto today's (features --crosswalk)."""


@crosswalk_group.command("suggest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The crosswalk CSV to write (old_id, new_id, weight, bemerkung).")
@click.option("--area", default=None, help="The column of the area (default: the one matched to the catalog's area).")
@click.option("--district", default=None, help="A column of district codes (default: the code's first digits where "
              "the codes are AGS).")
@click.option("--sheet", default=None, help="A workbook: the sheet to read (name or 0-based number).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.pass_context
def crosswalk_suggest(ctx: click.Context, file: Path, out: Path, area: str | None, district: str | None,
                      sheet: str | None, force: bool) -> None:
    """Propose the crosswalk of a table of municipalities over several stands (a Land's register with codes,
    names, stand years and areas): every earlier code onto the municipality of the latest stand it became,
    renumbered (found by its name) or merged (by a name made of its partners' names, else by the area the
    successors gained, within the district or the districts a reform merged it into). Check it, then build the
    profiles with 'features --crosswalk FILE': the earlier stands are then summed onto today's municipalities."""
    from ml.io import FileFormatError
    from ml.mergers import merger_crosswalk, mergers_table

    settings = _settings(ctx)
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; pass --force to overwrite it")
    sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    try:
        frame, said = mergers_table(file, _catalog(settings), sheet=sheet_arg, area=area, district=district)
    except FileFormatError as exc:
        raise click.ClickException(str(exc)) from None
    cw = merger_crosswalk(frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    cw.links.rename(columns={"note": "bemerkung"}).to_csv(out, index=False, encoding="utf-8")
    periods = sorted(frame["period"].unique())
    merged = int(cw.links["note"].str.startswith("aufgegangen").sum())
    renumbered = int(cw.links["note"].str.startswith("neu geschlüsselt").sum())
    click.echo(f"wrote {out}: {len(cw.links)} lines for the {frame['period'].eq(periods[-1]).sum()} municipalities "
               f"of {periods[-1]}: {renumbered} earlier codes renumbered, {merged} merged into another; read "
               f"{len(frame)} rows of {len(periods)} stands ({', '.join(periods)}): {said[0]}")
    found = ", ".join(f"{n} by {'a part of the new name' if how == 'part' else how}"
                      for how, n in sorted(cw.counts.items()))
    if found:
        click.echo(f"  successors found (stand to stand): {found}")
    for r in cw.lost.itertuples():
        click.echo(f"  no successor: {r.code} {r.name} ({r.period}, {r.area:g} km²): its values stay apart; add a "
                   "line for it if you know where it went")
    if len(cw.off):
        units = cw.off.groupby("unit", sort=True)
        shown = "; ".join(f"{u} {g['name'].iloc[0]}: {', '.join(f'{a:g}' for a in g['area'])} km² in "
                          f"{', '.join(g['period'])}, {g['latest_area'].iloc[0]:g} km² in {periods[-1]}"
                          for u, g in list(units)[:5])
        click.echo(f"  check: {units.ngroups} municipalities whose earlier areas do not add up to their latest "
                   f"(parts moved between municipalities that go on, which whole lines cannot carry): {shown}"
                   f"{' …' if units.ngroups > 5 else ''}")
    click.echo(f"  next: sozialradar features --crosswalk {out}")


def _demo_planning(settings: Settings, workdir: Path) -> None:
    """The Musterkreis's register by age, its facility register and its register of measures written as a county
    would export them, imported, projected ten years, set against each other (Bestand und Bedarf), and the
    measures' effects estimated."""
    from experiments.coverage import area_coverage
    from ml.formatting import de, percent
    from ml.geometry import centroid
    from ml.importers import ingest_file
    from ml.io import write_table
    from ml.store import Store
    from ml.synthetic import age_table, facility_register, measure_register

    with Store(settings.store.path, threads=settings.store.threads, memory_limit=settings.store.memory_limit) as store:
        obs, regions = store.observations(), store.regions()
        centres = {r: centroid(g) for r, g in zip(regions["region_id"], regions["geometry"])}
        tables = [write_table(age_table(obs), workdir / "einwohner_nach_alter.csv"),
                  write_table(facility_register(regions, obs, centres), workdir / "einrichtungen.csv"),
                  write_table(measure_register(regions, obs), workdir / "massnahmen.csv")]
        for table in tables:
            rep = ingest_file(table, store, settings)
            _print_report(rep)
            if rep.status != "ok":
                raise click.ClickException(f"demo ingest of {table.name} did not succeed: {rep.status} {rep.message}")
    summary = _run_projection(settings)
    coverage = _run_coverage(settings).table
    region = regions[regions["level"] == "sozialregion"].sort_values("region_id").iloc[0]
    members = set(regions.loc[regions["parent_id"] == region["region_id"], "region_id"])
    last = int(summary.projection["horizon"].max())
    for h in (0, last):
        c = area_coverage(coverage, members, "Kita", h)
        click.echo(f"{region['name']}, Kita {c['period']}: Bedarf {de(c['demand'], 0)} Plätze (1–5 Jahre × "
                   f"{percent(settings.coverage.norms[0].per_person)}), erreichbar {de(c['accessible'], 0)} — "
                   f"Versorgung {percent(c['ratio'])}, Lücke {de(c['gap'], 0)} Plätze"
                   + (f" ({c['withheld']} Gemeinde(n) gesperrt)" if c["withheld"] else ""))
    click.echo("Maßnahmen und Wirkung (synthetische Kontrollgruppe, Intervalle aus Scheinversuchen):")
    _run_impact(settings)


class _Steps:
    """The demo's numbered steps, each header with the time the step before it took."""

    def __init__(self, total: int):
        self.total, self.done, self.since = total, 0, time.perf_counter()

    def __call__(self, label: str) -> None:
        now = time.perf_counter()
        if self.done:
            click.echo(f"  ({self.done}/{self.total} in {now - self.since:.1f} s)")
        self.done, self.since = self.done + 1, now
        click.echo(f"{self.done}/{self.total} {label}")


@main.command("demo")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path(".sozialradar/demo"),
              show_default=True, help="Where the demo keeps its store and reports (recreated on each run).")
@click.option("--serve-for", type=float, default=None,
              help="Seconds to keep the service up after the example requests (default: until Ctrl+C; 0: stop).")
@click.option("--port", type=int, default=None, help="Port of the demo service (default: serving.port).")
@click.pass_context
def demo_cmd(ctx: click.Context, workdir: Path, serve_for: float | None, port: int | None) -> None:
    """Run the main job on the embedded Musterkreis sample: ingest, summary, region profiles, models."""
    from experiments import serve as service
    from experiments.jobs import classifier_job, typology_job
    from ml.columns import latest_complete_period
    from ml.geometry import read_geojson, store_geometry
    from ml.importers import ingest_file
    from ml.store import Store
    from ml.summary import region_summary
    from ml.tracking import project_run_uri
    import pandas as pd

    settings = _settings(ctx)
    step = _Steps(10)
    if workdir.exists():
        shutil.rmtree(workdir)
    settings = settings.model_copy(update={
        "store": settings.store.model_copy(update={"path": workdir / "monitoring.duckdb"}),
        "ingest": settings.ingest.model_copy(update={"report_dir": workdir / "quarantine"}),
    })
    step(f"embedded sample: {SAMPLE_DIR}")
    with Store(settings.store.path, threads=settings.store.threads, memory_limit=settings.store.memory_limit) as store:
        step("ingest")
        for name in ("regions.csv", "observations.parquet"):
            rep = ingest_file(SAMPLE_DIR / name, store, settings)
            _print_report(rep)
            if rep.status != "ok":
                raise click.ClickException(f"demo ingest of {name} did not succeed: {rep.status} {rep.message}")
        counts = store_geometry(store, read_geojson(SAMPLE_DIR / "geometry.geojson"))
        click.echo(f"{SAMPLE_DIR / 'geometry.geojson'}: {counts['stored']} generated polygons for the map")
    step("Regionsprofile (features)")
    settings = settings.model_copy(update={
        "features": settings.features.model_copy(update={"output_dir": workdir / "features"})})
    result = _run_features(settings, None, None)
    step("Profil-Übersicht der Sozialregionen (wie ihre Seiten sie zeigen)")
    with Store(settings.store.path, read_only=True) as store:
        summary = region_summary(store, level="sozialregion")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        click.echo(summary.to_string(index=False))
    period = latest_complete_period(result.profiles)
    latest = result.profiles[result.profiles["period"] == period]
    click.echo(f"Statusklassen {period} (Gemeinden): " + ", ".join(
        f"{k} {v}" for k, v in latest["status_label"].value_counts().items()))
    click.echo(f"Dynamikklassen {period} (Gemeinden): " + ", ".join(
        f"{k} {v}" for k, v in latest["dynamics_label"].value_counts().items()))
    without = latest[latest["status_label"].isna()]["region_id"].tolist()
    if without:
        click.echo(f"ohne Index (zu wenige Einwohner, Werte gesperrt): {', '.join(without)}")
    step("Modelle (MLflow)")
    settings = settings.model_copy(update={
        "tracking": settings.tracking.model_copy(update={
            "uri": project_run_uri(f"sqlite:///{(workdir / 'mlflow.db').resolve()}")}),
        "training": settings.training.model_copy(update={"ground_truth": SAMPLE_DIR / "ground_truth.json"})})
    summary = _job(classifier_job, settings)
    click.echo(f"GMLVQ Statusklasse: Kreuzvalidierung Genauigkeit {summary.metrics['cv_accuracy']:.2f}, "
               f"balanciert {summary.metrics['cv_balanced_accuracy']:.2f}; Modellversion {summary.model_version}"
               + (" (@champion)" if summary.champion else "") + f"; bereitgestellt: {summary.served}")
    if summary.interpretation:
        click.echo(f"  Prototypmodell: {summary.interpretation}")
    typ, _, descriptions = _job(typology_job, settings)
    click.echo(f"Sozialraumtypen: {int(typ.metrics['n_types'])} (Silhouette {typ.metrics['silhouette']:.2f}, "
               f"ARI zu den geplanten Typen {typ.metrics['ari_planted_types']:.2f})")
    for t, text in descriptions.items():
        click.echo(f"  Typ {t}: {text}")
    step("Prognosen (Prophet und Vergleichsverfahren, Backtests, kalibrierte Intervalle)")
    _run_forecast(settings, None)
    step("Planung: Demografie-Monitor, Bestand/Bedarf, Maßnahmen (Einwohner nach Alter: Kohorten-Komponenten-"
         "Projektion, geprüft an früheren Ständen; Einrichtungen und erreichbare Plätze; Wirkung der Maßnahmen)")
    _demo_planning(settings, workdir)
    step("Frühwarnung (Kandidaten und einfache Regeln im Rückblick, Kalibrierung, SHAP-Erklärungen)")
    ew = _run_early_warning(settings)
    click.echo(f"MLflow: {settings.tracking.uri}")
    step("Gebietsberichte (HTML)")
    _write_reports(settings, workdir / "berichte", None, None)
    step("Dienst (BentoML) mit Beispielanfragen und Dashboard")
    if port is not None:
        settings = settings.model_copy(update={"serving": settings.serving.model_copy(update={"port": port})})
    top = ew.latest().sort_values("probability", ascending=False)["region_id"].iloc[0]
    try:
        _serve(settings, workdir, serve_for, example_region=str(top))
    except service.ServiceFailed as exc:
        raise click.ClickException(f"the service could not load its data: {exc} (log: {workdir / 'service.log'})") from None
    except (RuntimeError, TimeoutError) as exc:
        raise click.ClickException(f"{exc}; see {workdir / 'service.log'}") from None
    click.echo(f"\nstore: {settings.store.path}  (inspect with: sozialradar --config ... store info, "
               f"or SOZIALRADAR_STORE__PATH={settings.store.path} sozialradar store info)")


if __name__ == "__main__":  # pragma: no cover
    main()
