"""qms review pack: the management review pack as a file, frozen or draft."""

from __future__ import annotations

from pathlib import Path

import click

from qms.cli.app import App, pass_app


@click.command()
@click.option("--review", "review_id", type=int, required=True, help="The management review.")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write it: .pdf or .html.",
)
@click.option(
    "--revision",
    type=int,
    help="A frozen revision (default: the latest; `qms review show N` lists them).",
)
@pass_app
def pack(app: App, review_id: int, output: Path, revision: int | None) -> None:
    """Write the review pack: the frozen one once the review is held (exactly the bytes
    stored then), else a draft assembled now."""
    from qms.errors import ValidationError
    from qms.reporting.render import content_hash
    from qms.services.reviews import report as reviews_pack

    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise ValidationError("output", f"{output}: give a .pdf or .html file name")
    found = reviews_pack.pack(app.services, review_id, revision)
    if suffix == ".pdf":
        document = reviews_pack.pdf_of(app.services, found)
        output.write_bytes(document)
    else:
        document = found.html.encode("utf-8")
        output.write_bytes(document)
    what = f"revision {found.revision}, frozen" if found.frozen else "draft"
    click.echo(
        f"{output}: management_review #{review_id} pack ({what}, sha256 {content_hash(document)})"
    )
