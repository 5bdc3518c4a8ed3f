"""``kb keys create|list|publish|revoke``: API keys, shown once and stored hashed.

Keys live in the catalog only, so they can be managed while ``kb serve`` is running. Roles:

- ``reader``: an official of some states: reads their restricted documents and contacts, records
  adoptions for them and asks owning states about practices;
- ``contributor``: also sends documents for their states; a curator approves each new document or
  version unless the key has the publish right (``--publish``, for trusted state IT teams);
- ``curator``: also decides submissions for their states (``/v1/reviews``);
- ``admin``: everything, for every state.
"""

from __future__ import annotations

from pathlib import Path

import click

from kb.errors import InputError
from search.cli.common import emit_json, kb_dir_option, make_settings


@click.group()
def keys() -> None:
    """API keys for contributors and admins, shown once, stored hashed."""


def canonical_states(states: tuple[str, ...]) -> list[str]:
    """Canonical state names (aliases such as J&K normalised); an unknown name is an error naming
    the closest valid state, as metadata errors do (search filters say "invalid filter states",
    which reads wrong for a key's ``--state``)."""
    from kb.vocab import canonical_state

    names: list[str] = []
    for state in states:
        try:
            names.append(canonical_state(state))
        except ValueError as exc:
            raise InputError(f"--state: {exc}") from None
    return list(dict.fromkeys(names))


@keys.command("create")
@click.option(
    "--role",
    type=click.Choice(["reader", "contributor", "curator", "admin"]),
    default="contributor",
    show_default=True,
)
@click.option("--state", "states", multiple=True, metavar="S", help="State/UT the key acts for (repeatable).")
@click.option("--label", default="", metavar="TEXT", help="Who holds the key, e.g. 'DITECH Haryana'.")
@click.option("--publish", is_flag=True, help="Publish without a curator's review (trusted state IT teams).")
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "key", "role", "states", "can_publish"}.')
@kb_dir_option
def create_key(
    role: str, states: tuple[str, ...], label: str, publish: bool, as_json: bool, kb_dir: Path | None
) -> None:
    """Create a key and print it once; only its hash is stored, so it cannot be shown again."""
    from kb.catalog import Catalog

    canonical = canonical_states(states)
    with Catalog(make_settings(kb_dir).resolved_catalog_url()) as catalog:
        record, plaintext = catalog.create_key(role=role, states=canonical, label=label, can_publish=publish)
    if as_json:
        emit_json(
            {
                "id": record.id,
                "key": plaintext,
                "role": record.role,
                "states": record.states,
                "can_publish": record.may_publish,
            }
        )
        return
    click.echo(plaintext)
    review = "publishes directly" if record.may_publish else "its documents wait for a curator"
    click.echo(
        f"id {record.id}, role {record.role}, states {', '.join(record.states) or 'all'}, {review}. "
        "Store it now: it is not shown again.",
        err=True,
    )


@keys.command("publish")
@click.argument("key_id", metavar="ID")
@click.option("--on/--off", "allowed", default=True, help="Give (default) or take the right to publish unreviewed.")
@kb_dir_option
def publish_right(key_id: str, allowed: bool, kb_dir: Path | None) -> None:
    """Let a key publish without review, or (--off) send its documents to a curator again."""
    from kb.catalog import Catalog

    with Catalog(make_settings(kb_dir).resolved_catalog_url()) as catalog:
        record = catalog.set_publish(key_id, allowed)
    click.echo(f"{record.id} {'publishes directly' if record.may_publish else 'is reviewed by a curator'}")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@kb_dir_option
def list_keys(as_json: bool, kb_dir: Path | None) -> None:
    """List keys (never their secrets)."""
    from kb.catalog import Catalog

    with Catalog(make_settings(kb_dir).resolved_catalog_url()) as catalog:
        records = catalog.list_keys()
    if as_json:
        emit_json(
            [
                {
                    "id": r.id,
                    "role": r.role,
                    "states": r.states,
                    "label": r.label,
                    "can_publish": r.may_publish,
                    "created_at": r.created_at,
                    "revoked_at": r.revoked_at,
                }
                for r in records
            ]
        )
        return
    for r in records:
        state = f"revoked {r.revoked_at}" if r.revoked_at else "active"
        publish = "publishes" if r.may_publish else "reviewed"
        click.echo(f"{r.id}  {r.role:<11} {', '.join(r.states) or 'all':<30} {publish:<9} {r.label}  ({state})")


@keys.command("revoke")
@click.argument("key_id", metavar="ID")
@kb_dir_option
def revoke_key(key_id: str, kb_dir: Path | None) -> None:
    """Revoke a key by id; requests with it are refused from now on."""
    from kb.catalog import Catalog

    with Catalog(make_settings(kb_dir).resolved_catalog_url()) as catalog:
        catalog.revoke_key(key_id)
    click.echo(f"revoked {key_id}")
