"""Rich renderings of plans and builds: the plan table, the live build display and the build summary."""

from __future__ import annotations

import threading
import time
from typing import Any

from quanta.build.events import BuildEvent

STATUS_STYLE = {
    "published": "green",
    "skipped": "dim",
    "blocked": "bold red",
    "upstream_blocked": "yellow",
    "error": "bold red",
    "running": "cyan",
    "waiting": "dim",
    "build": "cyan",
    "skip": "dim",
    "retired": "magenta",
    "paused": "yellow",
}


def _styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def render_plan(console: Any, plan: Any) -> None:
    """Print a plan: one row per selected product with its action, reason, upstream and ports."""
    from rich.table import Table

    table = Table(title=f"Plan for mesh {plan.mesh}", title_justify="left")
    for column in ("product", "action", "reason", "upstream", "ports"):
        table.add_column(column)
    for product in plan.products:
        ports = ", ".join(
            f"{p.name} v{p.version}"
            + (f" (delta v{p.published_version})" if p.published_version is not None else "")
            for p in product.ports
        )
        upstream = ", ".join(product.upstream) or ", ".join(f"source {s}" for s in product.sources.values())
        table.add_row(product.key, _styled(product.action), product.reason, upstream, ports)
    console.print(table)
    count = len(plan.to_build)
    console.print(f"{count} of {len(plan.products)} product(s) would run; stages: {' → '.join(plan.stages)}")


class BuildProgress:
    """A live display of a running build: one line per product with its current stage.

    Used as a context manager around the build; :meth:`handle` is the progress callback (thread-safe).
    On a terminal it redraws in place; elsewhere it prints one line per finished product.
    """

    def __init__(self, console: Any) -> None:
        self.console = console
        self.lock = threading.Lock()
        self.rows: dict[str, dict[str, Any]] = {}
        self.live: Any = None

    def __enter__(self) -> BuildProgress:
        if self.console.is_terminal:
            from rich.live import Live

            self.live = Live(
                get_renderable=self._table, console=self.console, refresh_per_second=8, transient=True
            )
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)

    def handle(self, event: BuildEvent) -> None:
        """Record one progress event."""
        with self.lock:
            if event.kind == "build_started":
                for key in event.detail.get("products", []):
                    self.rows[key] = {"status": "waiting", "stage": "", "since": None, "seconds": None}
                return
            row = self.rows.setdefault(event.product, {"status": "waiting", "stage": "", "since": None})
            if event.kind == "product_started":
                row.update(status="running", since=time.monotonic())
            elif event.kind == "stage_started":
                row["stage"] = event.stage
            elif event.kind == "product_finished":
                row.update(status=event.status, stage="", seconds=event.seconds)
                if self.live is None:
                    rows = event.detail.get("rows")
                    extra = f" {rows:,} rows" if isinstance(rows, int) else ""
                    self.console.print(
                        f"{_styled(event.status)} {event.product}{extra} ({event.seconds:.2f} s)"
                    )

    def _table(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        with self.lock:
            for key, row in self.rows.items():
                if row["status"] == "running":
                    elapsed = time.monotonic() - (row["since"] or time.monotonic())
                    table.add_row(Spinner("dots"), key, f"[cyan]{row['stage']}[/]", f"{elapsed:.1f} s")
                else:
                    seconds = row.get("seconds")
                    table.add_row("", key, _styled(row["status"]), f"{seconds:.1f} s" if seconds else "")
        return table


def _metric(check: dict[str, Any]) -> str:
    value = check.get("metricValue")
    unit = check.get("unit") or ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else f"{value:,}" if isinstance(value, int) else f"{value}"
    operator, threshold = check.get("operator"), check.get("threshold")
    if operator and threshold is not None:
        text += f" {unit} (expected {operator} {threshold})".replace("  ", " ")
    elif unit and text:
        text += f" {unit}"
    return text.strip()


def _certified(certification: dict[str, Any] | None) -> str:
    """The certification badge of a build summary row (empty when the product was not certified)."""
    if not certification:
        return ""
    status = str(certification.get("status"))
    return f"[green]{status}[/]" if status == "OK" else f"[red]{status}[/]"


def render_build(console: Any, result: Any) -> None:
    """Print the build summary table, then every failed or warned check with its metric value."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"Build of mesh {result.mesh}", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1)
    )
    for column, justify in (
        ("product", "left"),
        ("status", "left"),
        ("certified", "left"),
        ("rows", "right"),
        ("pass", "right"),
        ("warn", "right"),
        ("fail", "right"),
        ("s", "right"),
    ):
        # On a narrow terminal the product name folds onto a second line; the other cells stay whole.
        table.add_column(column, justify=justify, no_wrap=column != "product", overflow="fold")
    for product in result.products:
        rows = product.rows
        table.add_row(
            product.product,
            _styled(product.status),
            _certified(product.certification),
            "" if rows is None else f"{rows:,}",
            str(product.count("passed")),
            str(product.count("warned")),
            str(product.count("failed")),
            f"{product.seconds:.1f}",
        )
    console.print(table)
    for line in result.reconciled:
        console.print(f"[yellow]reconciled:[/] {line}")
    findings = result.findings()
    if findings:
        console.print("[bold]Findings[/] (failed checks, failed policies and warnings):")
    for product, check in findings:
        severity = str(check.get("severity") or "error")
        style = "red" if severity == "error" else "yellow"
        name = check.get("name") or check.get("rule")
        element = check.get("element") or ""
        console.print(
            f"  [{style}]{severity:<7}[/] {product}  {element}  {name}: {_metric(check)}",
            highlight=False,
        )
        if check.get("message") and not _metric(check):
            console.print(f"           {check['message']}", markup=False, highlight=False)
    for product in result.products:
        if product.status in ("blocked", "error", "upstream_blocked", "retired"):
            console.print(
                f"[{STATUS_STYLE[product.status]}]{product.status}[/] {product.product}: {product.reason}",
                highlight=False,
            )
        for port in product.ports:
            lifecycle = port.lifecycle or {}
            if lifecycle.get("status") in ("deprecated", "retired") and product.status != "retired":
                console.print(
                    f"[{STATUS_STYLE['retired']}]{lifecycle['status']}[/] {product.product}.{port.name}: "
                    f"{lifecycle.get('reason')}{_dates(lifecycle)}",
                    highlight=False,
                )
    _render_notices(console, result)
    published = sum(1 for p in result.products if p.status == "published")
    skipped = sum(1 for p in result.products if p.status == "skipped")
    console.print(
        f"{published} published, {skipped} unchanged, "
        f"{sum(1 for p in result.products if p.status not in ('published', 'skipped'))} not published "
        f"in {result.seconds:.2f} s"
    )


def _dates(lifecycle: dict[str, Any]) -> str:
    """`` (endOfSupport X, endOfLife Y)`` for the dates a contract states."""
    parts = [f"{key} {lifecycle[key]}" for key in ("endOfSupport", "endOfLife") if lifecycle.get(key)]
    return f" ({', '.join(parts)})" if parts else ""


def _render_notices(console: Any, result: Any) -> None:
    """Print each major-change notice the build sent, with the consumers of the old version."""
    for product in result.products:
        for notice in product.notices:
            console.print(
                f"[bold magenta]major change[/] {notice['contractId']} {notice['oldVersion']} -> "
                f"{notice['newVersion']}: {notice['newPort']} published next to {notice['port']}"
                f"{_dates(notice)}",
                highlight=False,
            )
            consumers = notice.get("consumers") or []
            if not consumers:
                console.print("  no consumer holds an agreement on the old version", highlight=False)
            for consumer in consumers:
                console.print(
                    f"  notified {consumer['consumer']} ({consumer['kind']}, agreement {consumer['agreement']}, "
                    f"{consumer['state']} on {consumer['contractVersion']})",
                    highlight=False,
                )
