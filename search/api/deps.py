"""Dependencies of the route handlers: the app's services and the caller's API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kb.catalog import Catalog, KeyRecord
from kb.errors import AuthError, ForbiddenError
from kb.settings import Settings
from search.retrieval import Searcher
from search.services.auth import authenticate
from search.services.contributions import Contributions
from search.services.documents import Documents
from search.services.jobs import Jobs


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


def get_searcher(request: Request) -> Searcher:
    return request.app.state.searcher


def get_documents(request: Request) -> Documents:
    return Documents.of(request.app.state)


def get_jobs(request: Request) -> Jobs:
    return Jobs.of(request.app.state)


def get_contributions(request: Request) -> Contributions:
    return Contributions.of(request.app.state)


def client_address(request: Request) -> str | None:
    """The caller's address, which failed key attempts are counted against."""
    return request.client.host if request.client else None


def optional_key(request: Request) -> KeyRecord | None:
    """The caller's key if one is sent; a wrong or revoked key is a 401, never ignored.

    Too many wrong keys from one address are a 429 (``search.services.auth``).
    """
    return authenticate(
        get_catalog(request),
        request.headers.get("authorization", ""),
        client=client_address(request),
        failures_per_minute=get_settings(request).auth_failures_per_minute,
    )


def required_key(key: Annotated[KeyRecord | None, Depends(optional_key)]) -> KeyRecord:
    if key is None:
        raise AuthError("this request needs an API key: 'Authorization: Bearer <key>' (kb keys create)")
    return key


def admin_key(key: Annotated[KeyRecord, Depends(required_key)]) -> KeyRecord:
    if not key.is_admin:
        raise ForbiddenError("only admin keys may do this")
    return key


def reader(request: Request, key: Annotated[KeyRecord | None, Depends(optional_key)]) -> KeyRecord | None:
    """Reading is open unless KB_REQUIRE_KEY_FOR_READ=true."""
    if key is None and get_settings(request).require_key_for_read:
        raise AuthError("this knowledge base requires an API key for reading")
    return key


SettingsDep = Annotated[Settings, Depends(get_settings)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
ContributionsDep = Annotated[Contributions, Depends(get_contributions)]
DocumentsDep = Annotated[Documents, Depends(get_documents)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]
ReaderKey = Annotated[KeyRecord | None, Depends(reader)]
CurrentKey = Annotated[KeyRecord, Depends(required_key)]
AdminKey = Annotated[KeyRecord, Depends(admin_key)]
