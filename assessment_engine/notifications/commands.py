"""``flask --app wsgi run-scheduled``: the one way scheduled work runs."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from .scheduler import RunResult, jobs, run_due, run_forever


def _echo(result: RunResult) -> None:
    click.echo(str(result), err=not result.ok)


@click.command("run-scheduled")
@click.option("--once", is_flag=True, help="Run the due jobs once and exit (for cron or a timer).")
@click.option(
    "--job",
    "names",
    multiple=True,
    help="Only this job (repeatable); with --once it runs even if not due, in the loop when due.",
)
@click.option("--interval", type=float, default=None, help="Seconds between rounds of the loop.")
@click.option("--list", "listing", is_flag=True, help="List the jobs and exit.")
@with_appcontext
def run_scheduled_command(
    once: bool, names: tuple[str, ...], interval: float | None, listing: bool
) -> None:
    """Deliver the outbox, queue daily digests, sign audit checkpoints, purge idempotency keys.

    Safe on several app servers at once: each job runs under a lock of its own and once per
    interval across all runners. Exits non-zero with --once if a job failed.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    registered = jobs(app)
    if listing:
        for job in registered.values():
            click.echo(f"{job.name}: every {job.every.total_seconds():g}s, {job.description}")
        return
    unknown = [name for name in names if name not in registered]
    if unknown:
        raise click.BadParameter(f"no such job: {', '.join(unknown)}", param_hint="--job")
    if once:
        results = run_due(app, names, force=bool(names))
        for result in results:
            _echo(result)
        if not all(result.ok for result in results):
            raise SystemExit(1)
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    seconds = interval if interval is not None else float(app.config["SCHEDULED_LOOP_SECONDS"])
    chosen = list(names) or list(registered)
    click.echo(f"Running scheduled jobs every {seconds:g}s: {', '.join(chosen)} (Ctrl-C to stop)")
    run_forever(app, seconds, stop, _echo, names)
