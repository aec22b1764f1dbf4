"""The Python client that openapi-python-client generates from the schema this code serves.

    package = generate_python_client(tmp_path)  # tmp_path/studymate_client
    sys.path.insert(0, str(package.parent)); import studymate_client

The schema is generated in-process (the same document `/api/schema/` serves), written next to
the package as `openapi.json`, and the client generated from it with the generator's own
library. Any error or warning of the generator (a model it could not build, an operation it
skipped) raises `ClientGenerationError`: a client with pieces missing is not a client.
"""

from __future__ import annotations

from pathlib import Path

from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import spectacular_settings
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

PACKAGE = "studymate_client"
SCHEMA_FILE = "openapi.json"


class ClientGenerationError(Exception):
    pass


def schema_document() -> bytes:
    """The OpenAPI document as `/api/schema/?format=json` serves it."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    schema = generator.get_schema(request=None, public=True)
    return bytes(OpenApiJsonRenderer().render(schema, renderer_context={}))


def generate_python_client(dest: Path, document: bytes | None = None) -> Path:
    """Generates the client package into `dest/studymate_client` (from `document`, or from the
    schema generated here) and answers its path."""
    dest.mkdir(parents=True, exist_ok=True)
    source = dest / SCHEMA_FILE
    source.write_bytes(document if document is not None else schema_document())
    package = dest / PACKAGE
    config = Config.from_sources(
        # No formatting hooks: they would need ruff on PATH and change nothing that runs.
        ConfigFile(
            post_hooks=[],
            project_name_override=PACKAGE,
            package_name_override=PACKAGE,
            # The generator knows binary bodies only as octet-stream; the data export is a zip.
            content_type_overrides={"application/zip": "application/octet-stream"},
        ),
        MetaType.NONE,
        document_source=source,
        file_encoding="utf-8",
        overwrite=True,
        output_path=package,
    )
    errors = generate(config=config)
    if errors:
        report = "\n".join(f"{e.level.value}: {e.header} {e.detail or ''}" for e in errors)
        raise ClientGenerationError(report)
    return package
