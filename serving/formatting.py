"""Readable text for NER results: the sentence with entity types inline, and an entity table."""

from typing import List

from serving.client import SentenceResult


def inline(result: SentenceResult) -> str:
    """The sentence with each entity's type after it: ``EU [ORG] rejects German [MISC] call .``"""
    pieces: List[str] = []
    cursor = 0
    for entity in sorted(result.entities, key=lambda entity: entity.start):
        pieces += [result.text[cursor:entity.end], f" [{entity.type}]"]
        cursor = entity.end
    pieces.append(result.text[cursor:])
    return "".join(pieces)


def entity_table(result: SentenceResult) -> str:
    """One line per entity: type, text, character span and score."""
    if not result.entities:
        return "  (no entities)"
    type_width = max(len(entity.type) for entity in result.entities)
    text_width = max(len(entity.text) for entity in result.entities)
    return "\n".join(
        f"  {entity.type:<{type_width}}  {entity.text:<{text_width}}  "
        f"{entity.start:>4}-{entity.end:<4}  {entity.score:.3f}"
        for entity in result.entities)


def describe(result: SentenceResult) -> str:
    return f"{inline(result)}\n{entity_table(result)}"
