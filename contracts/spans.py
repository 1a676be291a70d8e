"""Data that arrives in spans: the folder layouts, the span options' values, and
what ConllExampleGen is told about them.

Kept free of TFX so that the command line checks ``--span`` and
``--train-spans`` as it parses them; turning values into span numbers and
reading folders happens in components/conll_example_gen/spans.py.
"""

import dataclasses
import datetime
import re
from typing import Optional

# --span-layout: 'auto' is decided by the runner (a local run looks at the data
# directory; a compile reads nothing and takes it as NONE).
AUTO = "auto"
NONE = "none"          # a plain directory of split files, as before spans
NUMBERED = "numbered"  # span-1/, span-2/, ...
DATED = "dated"        # 2026-12-01/, ...
LAYOUTS = (AUTO, NONE, NUMBERED, DATED)
# --train-spans value that trains on every span up to the ingested one.
ALL = "all"
# How span folders are named. TFX writes a span back without zero padding.
FOLDER_FORMS = {NUMBERED: "span-<n>", DATED: "YYYY-MM-DD"}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Dated spans are numbered by days since this date (tfx's utils.date_to_span_number).
_EPOCH = datetime.date(1970, 1, 1)


def parse_train_spans(value: str) -> Optional[int]:
    """``--train-spans`` as the number of spans to train on; None for 'all'."""
    text = str(value).strip().lower()
    if text == ALL:
        return None
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"must be a positive whole number or '{ALL}', not {value!r}")


def parse_date(value: str) -> Optional[datetime.date]:
    """A YYYY-MM-DD date (a dated span's folder name), or None for anything else."""
    if not _DATE.match(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def check_span_value(value: str) -> str:
    """``--span`` as given, if it can name a span: a span number or a YYYY-MM-DD date."""
    if value.isdigit() or parse_date(value):
        return value
    raise ValueError(f"must be a span number (the N of span-N/) or a date YYYY-MM-DD, "
                     f"not {value!r}")


def span_number(value: str, layout: str) -> int:
    """``--span`` as TFX's span number: N for span-N/, days since 1970 for a date."""
    date = parse_date(value)
    if layout == NUMBERED and value.isdigit():
        return int(value)
    if layout == DATED and date:
        return (date - _EPOCH).days
    raise ValueError(f"--span {value}: {layout} span folders are named {FOLDER_FORMS[layout]}; "
                     f"give {'a date YYYY-MM-DD' if layout == DATED else 'a span number'}")


@dataclasses.dataclass(frozen=True)
class SpanSettings:
    """What ConllExampleGen knows about span folders, as a runner decided it.

    ``layout`` NONE is a plain directory, read as before spans. ``span`` is
    the span number to ingest (None: the newest); ``train_spans`` the
    --train-spans value; ``eval_dir`` the held-out set ('' : the newest span
    with valid and test files). ``data_fingerprint`` stands for the files of
    the whole window, which TFX's own fingerprint (the ingested span's folder
    only) does not cover; '' where the runner cannot read the data.
    """

    layout: str = NONE
    span: Optional[int] = None
    train_spans: str = "1"
    eval_dir: str = ""
    data_fingerprint: str = ""
