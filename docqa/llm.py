"""Builds the LangChain chat model the settings select: a local Ollama, any OpenAI-compatible endpoint, or a
llama.cpp server (which speaks the OpenAI API). Provider packages are imported only when used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from docqa.errors import ConfigError
from docqa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

OLLAMA_URL = "http://127.0.0.1:11434"
LLAMACPP_URL = "http://127.0.0.1:8080/v1"
_NO_KEY = "no-key"  # local servers ignore the key, but the OpenAI client insists on one
_INSTALL = "pip install 'docqa[llm]'"


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model of `settings.llm_provider`, deterministic (temperature 0) and bounded by `llm_timeout`.

    Requests are not retried: a failed call makes the generative answerer fall back to the extractive one
    at once, so `llm_timeout` bounds the wait. Building the model does not touch the network.

    >>> model = build_chat_model(Settings(llm_provider="llamacpp"))  # doctest: +SKIP
    >>> model.invoke("Bonjour").content                               # doctest: +SKIP
    """
    key = settings.llm_api_key
    if settings.llm_provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise ConfigError(f"llm_provider 'ollama' needs langchain-ollama: {_INSTALL}") from None
        client: dict[str, object] = {"timeout": settings.llm_timeout}
        if key is not None:  # a hosted or proxied Ollama
            client["headers"] = {"Authorization": f"Bearer {key.get_secret_value()}"}
        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or OLLAMA_URL,
            temperature=0,
            client_kwargs=client,
        )

    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise ConfigError(f"llm_provider {settings.llm_provider!r} needs langchain-openai: {_INSTALL}") from None
    base_url = settings.llm_base_url or (LLAMACPP_URL if settings.llm_provider == "llamacpp" else None)
    if key is None and base_url is None:
        raise ConfigError("llm_provider 'openai' needs DOCQA_LLM_API_KEY, or DOCQA_LLM_BASE_URL for a local endpoint")
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=base_url,
        api_key=key or SecretStr(_NO_KEY),
        temperature=0,
        timeout=settings.llm_timeout,
        max_retries=0,
    )
