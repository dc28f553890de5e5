"""Answerers: the default extractive one (quotes the best sentences of the retrieved passages, cited, or
abstains) and a generative one over any LangChain chat model, whose output is checked against the passages."""

from __future__ import annotations

from docqa.answering.base import ABSTENTION, Answerer, abstention
from docqa.answering.extractive import ExtractiveAnswerer
from docqa.scoring import SentenceScorer
from docqa.settings import Settings
from docqa.store import Index

__all__ = ["ABSTENTION", "Answerer", "ExtractiveAnswerer", "abstention", "build_answerer"]


def build_answerer(index: Index, settings: Settings, scorer: SentenceScorer) -> Answerer:
    """The answerer the settings select: extractive (default) or generative over the configured chat model, with
    the extractive one as its fallback."""
    extractive = ExtractiveAnswerer(index, settings, scorer)
    if settings.answerer == "llm":
        from docqa.answering.generative import GenerativeAnswerer
        from docqa.llm import build_chat_model

        return GenerativeAnswerer(build_chat_model(settings), fallback=extractive)
    return extractive
