"""Where a registry lives: a path or a database URL, resolved without loading SQLAlchemy.

The commands that only read a SQLite registry (listing, above all) resolve the location here
and never import SQLAlchemy, which costs about 0.4 s of a command's start.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from vault.errors import RegistryError
from vault.model import N_


class Location(NamedTuple):
    """A registry's address: a SQLAlchemy URL, and the file behind it when it is SQLite."""

    url: str
    path: Path | None

    def __repr__(self) -> str:
        """Without the password a PostgreSQL URL may carry."""
        return f"Location({self.display!r})"

    @property
    def display(self) -> str:
        """The address as it can be shown: a path, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        import sqlalchemy as sa

        return sa.make_url(self.url).render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        if self.path is not None:
            return "sqlite"
        import sqlalchemy as sa

        return sa.make_url(self.url).get_backend_name()


def data_folder() -> Path:
    """The user's data folder for handover (``~/.local/share/handover`` on Linux)."""
    import platformdirs

    return platformdirs.user_data_path("handover", appauthor=False)


def default_path() -> Path:
    """The registry file used when neither ``--registry`` nor ``HANDOVER_REGISTRY`` is set."""
    return data_folder() / "registry.db"


def resolve(value: str | None) -> Location:
    """Turn what the user typed (a path, a URL, or nothing) into a :class:`Location`."""
    if not value:
        path = default_path()
        return Location(f"sqlite:///{path}", path)
    if "://" not in value:
        path = Path(value).expanduser().absolute()
        return Location(f"sqlite:///{path}", path)
    import sqlalchemy as sa

    try:
        url = sa.make_url(value)
    except sa.exc.ArgumentError as exc:
        raise RegistryError(f"not a registry path or database URL: {value!r}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise RegistryError(N_("a SQLite registry needs a file, not an in-memory database"))
        path = Path(url.database).expanduser().absolute()
        return Location(f"sqlite:///{path}", path)
    if backend == "postgresql":
        if url.get_driver_name() in ("", "psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        return Location(url.render_as_string(hide_password=False), None)
    raise RegistryError(f"unsupported database {backend!r}: use a SQLite file or PostgreSQL")
