"""qms review input-missing | cancel: the steps of a management review beside its path."""

from __future__ import annotations

import click

from qms.cli.app import App, pass_app


@click.command("input-missing")
@click.argument("review_id", type=int)
@click.argument("input_key", metavar="INPUT")
@click.option("--reason", required=True, help="Why the input has no data.")
@click.option("--as", "actor", required=True, help="Handle of the person recording it.")
@pass_app
def input_missing(app: App, review_id: int, input_key: str, reason: str, actor: str) -> None:
    """Record why INPUT (a, b, c1..c7, d, e, f) of a gathered management review has no data.

    A management review is held only once every input missing at gathering has a reason
    (clause 9.3.2); the pack shows the reason next to the input.
    """
    from qms.services.reviews import steps as reviews_steps

    reviews_steps.explain_missing(app.services, review_id, input_key, reason, actor)
    click.echo(
        f"management_review #{review_id}: reason recorded for missing input "
        f"{reviews_steps.words(input_key)}"
    )


@click.command()
@click.argument("review_id", type=int)
@click.option("--reason", required=True, help="Why it is cancelled (e.g. brought forward).")
@click.option("--as", "actor", required=True, help="Handle of the director cancelling it.")
@pass_app
def cancel(app: App, review_id: int, reason: str, actor: str) -> None:
    """Cancel a management review not yet held, e.g. to plan it again for another day."""
    from qms.services.reviews import steps as reviews_steps

    reviews_steps.cancel(app.services, review_id, actor, reason)
    click.echo(
        f"management_review #{review_id} cancelled; plan the next one with `qms review plan`"
    )
