"""The naive baseline docqa is measured against: LangChain's plain `Chroma.from_documents(...).as_retriever()`
over fixed-size chunks, with the same embedder, and the top passage as the answer."""

from __future__ import annotations

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from docqa.embeddings import get_embedder
from docqa.question import profile
from docqa.retrieval import Evidence
from docqa.schema import Answer, Citation, Hit
from docqa.scoring import Vectors
from docqa.settings import Settings
from ingest.loaders import load
from ingest.pipeline import document_info, find_files, read_manifest

CHUNK_SIZE = 1000


class TopPassageAnswerer:
    """Answers with the first retrieved passage, cited."""

    name = "top-passage"

    def answer(self, evidence: Evidence) -> Answer:
        question, hits = evidence.question.text, evidence.hits
        if not hits:
            return Answer(question=question, answer="", abstained=True, answerer=self.name)
        top = hits[0]
        citation = Citation(
            n=1,
            doc_id=top.doc_id,
            title=top.title,
            page=top.page,
            quote=top.text,
            score=top.score,
            chunk_id=top.chunk_id,
            passage=top.text,
        )
        return Answer(
            question=question,
            answer=f"{top.text} [1]",
            abstained=False,
            citations=[citation],
            hits=hits,
            answerer=self.name,
        )


class NaiveQA:
    """Same interface as `docqa.qa.QA` for the evaluation runner (`retrieve`, `answerer`, `settings`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.answerer = TopPassageAnswerer()
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=0)
        documents: list[Document] = []
        files, _ = find_files([settings.corpus_dir])
        for path in files:
            info = document_info(path, read_manifest(path.parent), "")
            for page in load(path, doc_id=info.doc_id):
                for n, text in enumerate(splitter.split_text(page.text)):
                    metadata = {"doc_id": info.doc_id, "title": info.title, "page": page.page or -1, "n": n}
                    documents.append(Document(page_content=text, metadata=metadata))
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma.from_documents(
            documents, get_embedder(settings.embedder), client=client, collection_name="naive"
        )

    def retrieve(self, question: str, k: int | None = None) -> Evidence:
        return Evidence(profile(question), Vectors(np.zeros(0), None), self.search(question, k), [])

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        retriever = self.store.as_retriever(search_kwargs={"k": k or self.settings.top_k})
        return [
            Hit(
                chunk_id=f"{d.metadata['doc_id']}-{d.metadata['page']}-{d.metadata['n']}",
                doc_id=d.metadata["doc_id"],
                title=d.metadata["title"],
                page=None if d.metadata["page"] == -1 else d.metadata["page"],
                start=0,
                end=len(d.page_content),
                text=d.page_content,
                score=1.0 / rank,
            )
            for rank, d in enumerate(retriever.invoke(query), start=1)
        ]
