"""``trueport manifests ...``: key pairs, signing a manifest, verifying and showing one.

``verify`` needs nothing but the manifest and public-key files (and, with ``--files``, the model
directory): it prints ``OK <key id> ...`` and exits 0, or ``FAILED: <reason>`` and exits 1.
``sign`` reads the tenant's active policy from the database (or, without ``--tenant``, the
installation's) and lists the model repository the installation runs.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from trueport.commandline import command_settings, config_option
from trueport.errors import ConfigError
from trueport.manifests.build import build_manifest, model_files
from trueport.manifests.document import ManifestError, SignedManifest, format_time, parse_signed
from trueport.manifests.keys import (
    SigningKeyError,
    generate_private_key,
    key_id,
    load_private_key_file,
    load_public_key_files,
    private_key_pem,
    public_key_pem,
)
from trueport.manifests.kms import KmsError
from trueport.manifests.signers import LocalSigner, Signer, sign_manifest
from trueport.manifests.verify import FileMismatch, Verifier, check_file
from trueport.settings import Settings


@click.group()
def manifests() -> None:
    """Signed manifests of the guard's models and a tenant's policy (docs/manifests.md)."""


@manifests.command()
@click.option(
    "--type", "key_type", type=click.Choice(["ed25519", "rsa"]), default="ed25519", show_default=True
)
@click.option("--bits", type=click.IntRange(2048, 8192), default=3072, show_default=True, help="RSA only.")
@click.option(
    "--out",
    "prefix",
    required=True,
    type=click.Path(dir_okay=False),
    help="Writes PREFIX.key and PREFIX.pub.",
)
def keygen(key_type: str, bits: int, prefix: str) -> None:
    """Write a key pair (private key readable by its owner only); print the key id."""
    key = generate_private_key("rsa" if key_type == "rsa" else "ed25519", rsa_bits=bits)
    private_path, public_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{private_path} exists; not overwritten") from None
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(private_key_pem(key))
    public_path.write_bytes(public_key_pem(key.public_key()))
    click.echo(key_id(key.public_key()))


@manifests.command()
@config_option
@click.option(
    "--tenant",
    "slug",
    default=None,
    help="The tenant whose active policy to sign (default: the installation's).",
)
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Private key PEM (default: the configured manifests.signing_key_file, PEM or KMS).",
)
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Validity (default: manifests.validity_hours).",
)
@click.option("--not-before", default=None, help="Start of validity, ISO 8601 (default: now).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of stdout.",
)
def sign(
    config_path: str | None,
    slug: str | None,
    key_path: Path | None,
    hours: float | None,
    not_before: str | None,
    out_path: Path | None,
) -> None:
    """Build and sign a manifest of the model files and a policy."""
    settings = command_settings(config_path)
    start = _moment(not_before) if not_before else None
    try:
        signed = asyncio.run(_sign(settings, slug, key_path, hours, start))
    except (ConfigError, SigningKeyError, ManifestError, KmsError) as exc:
        raise click.ClickException(str(exc)) from exc
    if out_path is None:
        click.echo(signed.to_json().decode(), nl=False)
    else:
        out_path.write_bytes(signed.to_json())
        click.echo(
            f"signed {out_path} (key {signed.manifest.key_id}, expires {format_time(signed.manifest.expires_at)})"
        )


@manifests.command()
@click.argument("manifest_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trusted public key PEM (repeatable).",
)
@click.option("--revoked", multiple=True, help="A revoked key id (repeatable).")
@click.option(
    "--files",
    "files_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Also check every file the manifest names in this directory.",
)
def verify(
    manifest_path: Path, public_keys: tuple[Path, ...], revoked: tuple[str, ...], files_dir: Path | None
) -> None:
    """Verify a signed manifest: prints OK (exit 0) or FAILED: <reason> (exit 1)."""
    try:
        verifier = Verifier(load_public_key_files(list(public_keys)), revoked)
        manifest = verifier.verify(parse_signed(manifest_path.read_bytes()))
        if files_dir is not None:
            for entry in manifest.files:
                try:
                    with (files_dir / entry.path).open("rb") as stream:
                        check_file(entry, stream)
                except OSError as exc:
                    raise FileMismatch(f"{entry.path}: {exc.strerror}") from None
    except (ManifestError, SigningKeyError) as exc:
        click.echo(f"FAILED: {exc}")
        raise SystemExit(1) from None
    click.echo(
        f"OK {manifest.key_id} tenant={manifest.tenant_id or '-'} policy_version={manifest.policy.version} "
        f"files={len(manifest.files)} expires_at={format_time(manifest.expires_at)}"
    )


@manifests.command()
@click.argument("manifest_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(manifest_path: Path) -> None:
    """Print what a manifest says (tab-separated; nothing is verified)."""
    try:
        manifest = parse_signed(manifest_path.read_bytes()).manifest
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from exc
    rows: list[tuple[str, Any]] = [
        ("format", manifest.format),
        ("issuer", manifest.issuer),
        ("key_id", manifest.key_id),
        ("algorithm", manifest.algorithm),
        ("tenant_id", manifest.tenant_id or "-"),
        ("policy_version", manifest.policy.version),
        ("policy_source", manifest.policy.source),
        ("created_at", format_time(manifest.created_at)),
        ("not_before", format_time(manifest.not_before)),
        ("expires_at", format_time(manifest.expires_at)),
    ]
    for name, value in rows:
        click.echo(f"{name}\t{value}")
    for entry in manifest.files:
        click.echo(f"file\t{entry.path}\t{entry.size}\t{entry.sha256}")


async def _sign(
    settings: Settings, slug: str | None, key_path: Path | None, hours: float | None, start: datetime | None
) -> SignedManifest:
    from trueport.db.session import database
    from trueport.gateway.tenant_policies import installation_policy
    from trueport.guard.models import DEFAULT_MODEL_DIR
    from trueport.guard.policy import Policy
    from trueport.platform.policies.repository import PolicyRepo
    from trueport.tenants.repository import TenantRepository

    signer = await _signer(settings, key_path)
    tenant_id: str | None = None
    policy = installation_policy(settings.guard)
    version, source = policy.version, "installation"
    if slug is not None:
        async with database(settings) as sessions, sessions() as session:
            tenant = await TenantRepository(session).get_by_slug(slug)
            if tenant is None:
                raise ConfigError(f"no tenant {slug!r}")
            tenant_id = tenant.id
            row = await PolicyRepo(session, tenant.id).latest()
        if row is not None:
            policy, version, source = (
                Policy.from_dict({**row.policy, "version": row.version}),
                row.version,
                "tenant",
            )
    root = Path(settings.guard.models_dir) if settings.guard.models_dir else DEFAULT_MODEL_DIR
    limit = settings.manifests.max_file_bytes
    files = tuple(f for f in await asyncio.to_thread(model_files, root) if f.size <= limit)
    manifest = build_manifest(
        issuer=settings.manifests.issuer,
        tenant_id=tenant_id,
        policy_version=version,
        policy_source="tenant" if source == "tenant" else "installation",
        policy=policy.model_dump(mode="json"),
        files=files,
        now=datetime.now(UTC),
        valid_for=timedelta(hours=hours if hours is not None else settings.manifests.validity_hours),
        not_before=start,
    )
    return await sign_manifest(signer, manifest)


async def _signer(settings: Settings, key_path: Path | None) -> Signer:
    if key_path is not None:
        return LocalSigner(load_private_key_file(key_path))
    from trueport.manifests.service import configured_signer

    signer = await configured_signer(settings.manifests)
    if signer is None:
        raise ConfigError("no signing key: pass --key, or configure manifests.signing_key_file, PEM or kms")
    return signer


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint="--not-before") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
