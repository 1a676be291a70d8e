"""Python client for the NER model behind TF Serving's REST API.

Only the documented REST API is used (status, metadata, predict in the row
format), so the client works unchanged against real TF Serving and against
the stand-in in serving/server.py. The model's outputs are padded per batch;
contracts/padded_outputs.py cuts each sentence's lists to its own words and entities.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Sequence
from urllib.parse import quote

import requests

from contracts.padded_outputs import unpad
from contracts.signatures import ENTITY_TYPES, SERVE_DOCUMENT, SERVE_INVENTORY, TAG_SCHEME, TAGS


class ServingRequestError(RuntimeError):
    """The server answered with an error; ``message`` is its ``{"error": ...}`` text."""

    def __init__(self, status: int, message: str, url: str):
        super().__init__(f"HTTP {status} from {url}: {message}")
        self.status = status
        self.message = message
        self.url = url


@dataclasses.dataclass(frozen=True)
class Word:
    text: str
    tag: str
    score: float
    start: int  # character offsets in the sentence (document), end exclusive
    end: int


@dataclasses.dataclass(frozen=True)
class Entity:
    type: str
    text: str
    start: int
    end: int
    score: float  # mean score of the entity's words


@dataclasses.dataclass(frozen=True)
class Inventory:
    """What the served model knows: its entity types and its tags in label-id order."""

    entity_types: List[str]
    tags: List[str]
    tag_scheme: str


@dataclasses.dataclass(frozen=True)
class SentenceResult:
    text: str
    words: List[Word]
    entities: List[Entity]


class NerClient:
    """``NerClient("http://127.0.0.1:8501").predict(["EU rejects German call ."])``."""

    def __init__(self, base_url: str = "http://127.0.0.1:8501", model_name: str = "ner",
                 version: Optional[int] = None, timeout: float = 60.0, batch_size: int = 64):
        self.model_url = f"{base_url.rstrip('/')}/v1/models/{quote(model_name, safe='')}"
        if version is not None:
            self.model_url += f"/versions/{version}"
        self.timeout = timeout
        self.batch_size = batch_size  # the stand-in's default limit of instances per request
        self._session = requests.Session()

    def status(self) -> Dict[str, Any]:
        return self._call("GET", self.model_url)

    def metadata(self) -> Dict[str, Any]:
        return self._call("GET", self.model_url + "/metadata")

    def inventory(self) -> Inventory:
        """The entity types the model was trained on (``serve_inventory``)."""
        answer = self._call("POST", self.model_url + ":predict",
                            {"signature_name": SERVE_INVENTORY, "instances": [""]})
        (known,) = answer["predictions"]
        return Inventory(list(known[ENTITY_TYPES]), list(known[TAGS]), known[TAG_SCHEME])

    def predict(self, sentences: Sequence[str]) -> List[SentenceResult]:
        """One result per sentence (``serving_default``)."""
        return self._predict(sentences, "predict", {})

    def predict_documents(self, documents: Sequence[str]) -> List[SentenceResult]:
        """One result per document, one sentence per line (``serve_document``): a
        model trained with document context reads each sentence with its neighbours;
        offsets refer to the document."""
        return self._predict(documents, "predict_documents", {"signature_name": SERVE_DOCUMENT})

    def _predict(self, texts: Sequence[str], method: str, request: Dict[str, Any]
                 ) -> List[SentenceResult]:
        if isinstance(texts, str):
            raise TypeError(f"{method}() takes a list of texts, not one string")
        results = []
        for first in range(0, len(texts), self.batch_size):
            batch = list(texts[first:first + self.batch_size])
            answer = self._call("POST", self.model_url + ":predict",
                                {**request, "instances": batch})
            results += [_sentence_result(text, prediction)
                        for text, prediction in zip(batch, answer["predictions"])]
        return results

    def _call(self, method: str, url: str, body: Optional[dict] = None) -> Dict[str, Any]:
        response = self._session.request(method, url, json=body, timeout=self.timeout)
        if response.ok:
            return response.json()
        try:
            message = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            message = response.text or response.reason
        raise ServingRequestError(response.status_code, message, url)


def _sentence_result(text: str, prediction: Dict[str, Any]) -> SentenceResult:
    words, entities = unpad(prediction)
    return SentenceResult(text, [Word(**word) for word in words],
                          [Entity(**entity) for entity in entities])
