"""An upload too large is refused (413, a page in words) before its body is read: at once
when its Content-Length says so, else as soon as the bytes received pass the limit; a
file up to the limit is taken. Nothing of a refused one is kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest

from qms.bootstrap import Services
from qms.web import forms_uploads
from qms.web.limits import ALLOWANCE, size_in_words
from tests.factories import snapshot
from tests.web.conftest import Browser

SMALL = 32 * 1024  # the limit of most of these tests: 32 KB
BOUNDARY = "qms-test-boundary"


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder uploads are kept in, this test's own."""
    folder = tmp_path / "uploads"
    monkeypatch.setattr(forms_uploads, "root", lambda: folder)
    return folder


@pytest.fixture
def small(app: Services, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(app.settings, "upload_max_bytes", SMALL)
    return SMALL


def signed(browser: Browser) -> Browser:
    assert browser.sign_in("tbrunet").status_code == 303  # type: ignore[attr-defined]
    browser.get("/indicators/import")  # the form's token
    return browser


def upload(browser: Browser, content: bytes) -> Any:
    return browser.post(
        "/indicators/import",
        {"reason": ""},
        files={"file": ("values.csv", content, "text/csv")},
        follow_redirects=False,
    )


def multipart(token: str, size: int) -> tuple[bytes, bytes, bytes]:
    """The head (the token and the file's part headers), the file's filler byte, the tail
    of a multipart body whose file has ``size`` bytes (head + filler * size + tail)."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{token}\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="values.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    return head, b"x", f"\r\n--{BOUNDARY}--\r\n".encode()


def refused_in_words(response: Any, limit: int) -> None:
    assert response.status_code == 413
    assert "File too large" in response.text
    assert f"larger than {size_in_words(limit)}" in response.text
    assert response.headers["connection"] == "close"


def test_a_body_over_the_limit_is_refused_by_its_length_and_nothing_is_kept(
    browser: Browser, app: Services, small: int, kept: Path
) -> None:
    signed(browser)
    before = snapshot(app.database)
    response = upload(browser, b"x" * (small + ALLOWANCE + 1))
    refused_in_words(response, small)
    assert "32 KB" in response.text
    assert snapshot(app.database) == before
    assert not kept.exists() or not any(kept.iterdir())


def test_a_declared_length_over_the_limit_reads_no_byte_of_the_body(
    browser: Browser, small: int, kept: Path
) -> None:
    signed(browser)
    head, filler, tail = multipart(browser.token, small * 4)
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        pulled.append(1)
        yield head + filler * (small * 4) + tail

    length = len(head) + small * 4 + len(tail)
    response = _send_async(browser, body(), {"content-length": str(length)})
    refused_in_words(response, small)
    assert pulled == []  # refused on its Content-Length, before a byte was read
    assert not kept.exists() or not any(kept.iterdir())


def test_a_chunked_body_over_the_limit_is_refused_and_read_no_further(
    browser: Browser, app: Services, small: int, kept: Path
) -> None:
    signed(browser)
    before = snapshot(app.database)
    head, filler, tail = multipart(browser.token, 0)
    chunk = filler * 4096
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:  # 1 MB in all, without a Content-Length
        yield head
        for _ in range(256):
            pulled.append(len(chunk))
            yield chunk
        yield tail

    response = _send_async(browser, body(), {})
    refused_in_words(response, small)
    assert sum(pulled) <= small + ALLOWANCE + len(chunk)  # it stopped at the limit
    assert snapshot(app.database) == before
    assert not kept.exists() or not any(kept.iterdir())


def test_a_chunked_body_over_the_limit_through_the_test_client_is_refused(
    browser: Browser, small: int, kept: Path
) -> None:
    signed(browser)
    head, filler, tail = multipart(browser.token, 0)

    def body() -> Iterator[bytes]:  # a generator: httpx sends it chunked
        yield head
        for _ in range(30):
            yield filler * 4096
        yield tail

    response = browser.client.post(
        "/indicators/import",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        follow_redirects=False,
    )
    assert "content-length" not in response.request.headers
    refused_in_words(response, small)
    assert not kept.exists() or not any(kept.iterdir())


@pytest.mark.parametrize("short", [0, 1024])
def test_a_file_at_the_default_limit_or_a_little_under_is_taken(
    browser: Browser, app: Services, kept: Path, short: int
) -> None:
    limit = app.settings.upload_max_bytes
    assert limit == 5 * 1024 * 1024  # the default
    signed(browser)
    content = b"indicator,period,value\nTRN-04-GRADES,2026-10,91\n"
    content += b"\n" * (limit - short - len(content))
    response = upload(browser, content)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"].startswith("/indicators/import/")
    [file] = [p for p in kept.glob("*/*") if p.suffix == ".csv"]
    assert file.stat().st_size == limit - short


def _send_async(browser: Browser, content: AsyncIterator[bytes], headers: dict[str, str]) -> Any:
    """POST the import form with a streamed body, straight to the application (httpx's
    ASGI transport asks for each chunk only when the application reads it)."""

    async def send() -> httpx2.Response:
        transport = httpx2.ASGITransport(app=browser.client.app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", cookies=dict(browser.client.cookies)
        ) as client:
            return await client.post(
                "/indicators/import",
                content=content,
                headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}", **headers},
            )

    # in a thread of its own: an earlier test may leave an event loop set on this one
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(send())).result()
