"""The director's view (issue 16, item 4): the institution on one page, ``/institution``.

Each macro-process (folded, opened when something in it needs attention) and its
processes, each with its indicators against target (a sparkline drawn on the server,
:mod:`qms.reporting.sparklines`), its open and overdue work linking to the registers,
its audit in the cycle's programme; the programme's progress; the last management
review's decisions and their actions; what waits for a director. Any signed-in person
may open it and sees what their roles allow (:mod:`qms.services.director`); read only.

Drawing the view reads a dozen queries and lays out a few hundred elements (tens of
milliseconds); its body is therefore kept, in this worker, for each audience (everyone
who sees the whole institution reads the same view) and drawn again as soon as the data
it shows changes (:func:`qms.services.director.version`, one query of index lookups) or
after ``KEPT_FOR`` seconds whatever happens (the date, a person's name); the reader's
scope is kept for the same version. The page around it (the person, the navigation,
the CSRF token) is drawn for each request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from qms.bootstrap import Services
from qms.reporting.words import words_for
from qms.services import director as director_service
from qms.services.processmap.pages import open_states
from qms.services.visibility import Scope
from qms.web import director_rules
from qms.web.auth import Me
from qms.web.director_view import institution_context
from qms.web.pages import page, templates
from qms.web.security import services_of

router = APIRouter()

KINDS = ("improvement_action", "nonconformity")
KEPT_FOR = 60.0  # seconds a drawn view is shown again while its data has not changed
KEPT_AT_MOST = 64  # audiences kept per worker, the least recent forgotten first
Kept = OrderedDict[tuple[object, ...], tuple[float, tuple[object, ...], Markup]]
_lock = threading.Lock()


@router.get("/institution", response_class=HTMLResponse)
def institution(request: Request, me: Me) -> HTMLResponse:
    app = services_of(request)
    today = app.engine.today()
    kept, scopes = _kept(request)
    now = time.monotonic()
    with app.database.reading() as session:
        version = director_service.version(session)
        asked = (me.person_id, today, version, int(now // KEPT_FOR))
        seen = scopes.get(asked)
        if seen is None:
            seen = director_service.reader_scope(session, me.handle, today)
            with _lock:
                scopes[asked] = seen
                while len(scopes) > KEPT_AT_MOST:
                    del scopes[next(iter(scopes))]
    key = (*director_service.audience(seen), today)
    found = kept.get(key)
    if found is not None and found[1] == version and now - found[0] < KEPT_FOR:
        body = found[2]
    else:
        body = _drawn(app, me.handle)
        with _lock:
            kept[key] = (now, version, body)
            kept.move_to_end(key)
            while len(kept) > KEPT_AT_MOST:
                kept.popitem(last=False)
    return page(request, "director/institution.html", {"body": body})


def _kept(request: Request) -> tuple[Kept, dict[tuple[object, ...], Scope]]:
    """The views and the readers' scopes kept by this application (a test's application
    keeps its own)."""
    state = request.app.state
    if getattr(state, "director_views", None) is None:
        with _lock:
            if getattr(state, "director_views", None) is None:
                state.director_scopes = {}
                state.director_views = OrderedDict()
    return state.director_views, state.director_scopes


def _drawn(app: Services, reader: str) -> Markup:
    found = director_service.view(app, reader, director_rules.escalations(app))
    states = {kind: open_states(app.registry, kind) for kind in KINDS}
    with app.database.reading() as session:
        words = words_for(session, app.registry)
    context: dict[str, Any] = institution_context(found, states, words)
    env = templates(app.settings.timezone, app.settings.date_format).env
    return Markup(env.get_template("director/_body.html").render(context))  # noqa: S704 - autoescaped template
