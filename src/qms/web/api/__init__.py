"""The JSON API under /api/v1: a FastAPI application of its own, mounted by the web
application, authenticated by personal access tokens."""

from __future__ import annotations

from fastapi import FastAPI

from qms.bootstrap import Services


def create_api(services: Services) -> FastAPI:
    api = FastAPI(title="qms API", version="1", docs_url=None, redoc_url=None)
    api.state.services = services
    return api
