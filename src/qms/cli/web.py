"""qms web: serve the web application with uvicorn."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Any

import click

from qms.cli.app import App, pass_app

if TYPE_CHECKING:
    from qms.config import Settings


@click.command()
@click.option("--host", help="Address to listen on [default: QMS_WEB_HOST, 127.0.0.1].")
@click.option("--port", type=int, help="Port [default: QMS_WEB_PORT, 8000].")
@click.option("--workers", type=int, help="Worker processes [default: QMS_WEB_WORKERS, 1].")
@click.option(
    "--with-scheduler",
    is_flag=True,
    help="Also run `qms scheduler run` (reminders, e-mails) as a child process, stopped with "
    "the web application (what `make run` does; in production run it on its own).",
)
@pass_app
def web(
    app: App, host: str | None, port: int | None, workers: int | None, with_scheduler: bool
) -> None:
    """Serve the web application (pages for pilots, correspondents, auditors, directors)."""
    import uvicorn

    settings = app.settings
    app.ready_database()  # refuse to start on a schema of another revision, saying so
    app.close()  # each worker opens its own connections, after the fork
    host = host or settings.web_host
    port = port or settings.web_port
    scheduler = _scheduler() if with_scheduler else None
    click.echo(f"qms web on http://{host}:{port}/ (Ctrl-C stops it)")
    try:
        _serve(uvicorn, settings, host, port, workers)
    finally:
        if scheduler is not None:
            _stop(scheduler)


def _scheduler() -> subprocess.Popen[bytes]:
    click.echo("qms scheduler started (reminders and e-mails; .eml files when no SMTP is set)")
    return subprocess.Popen([sys.executable, "-m", "qms", "scheduler", "run"])


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _serve(uvicorn: Any, settings: Settings, host: str, port: int, workers: int | None) -> None:
    uvicorn.run(
        "qms.web.app:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.web_workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        log_level="warning",
    )
