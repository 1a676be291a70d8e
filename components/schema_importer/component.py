"""The standard ImportSchemaGen, with the schema file's content in its cache key.

TFX's ImportSchemaGen is cached on the schema file's path: after an edit to
the curated schema (say, a new tag in the domain) a rerun would reuse the old
schema, and validation and Transform would run against it. This component
takes the file's content fingerprint as one more execution property, so an
edited schema re-imports and everything downstream re-runs; the executor and
the output are the standard ones.
"""

from tfx import types
from tfx.components.schema_gen.import_schema_gen import component as import_schema_gen
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ExecutionParameter

SCHEMA_FINGERPRINT_KEY = "schema_fingerprint"


class ImportSchemaGenSpec(standard_component_specs.ImportSchemaGenSpec):
    PARAMETERS = {**standard_component_specs.ImportSchemaGenSpec.PARAMETERS,
                  SCHEMA_FINGERPRINT_KEY: ExecutionParameter(type=str)}


class ImportSchemaGen(import_schema_gen.ImportSchemaGen):
    """tfx.components.ImportSchemaGen plus ``schema_fingerprint`` (read only by the cache)."""

    SPEC_CLASS = ImportSchemaGenSpec

    def __init__(self, schema_file: str, schema_fingerprint: str):
        # BaseComponent's constructor, with this spec instead of the standard one.
        super(import_schema_gen.ImportSchemaGen, self).__init__(spec=ImportSchemaGenSpec(
            schema_file=schema_file, schema_fingerprint=schema_fingerprint,
            schema=types.Channel(type=standard_artifacts.Schema)))
