"""The web application: server-rendered pages over the same services as the CLI.

``qms web`` serves :func:`qms.web.app.factory` with uvicorn. Every page works without
JavaScript; htmx (a pinned copy under ``static/``) only makes some of them update in
place. The signed-in person is the actor of everything a page does, and the engine's
permissions decide, as on the command line: the web holds no business rule.
"""
