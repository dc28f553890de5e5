"""The faces' words in the user's language: French by default, English for an English question."""

from __future__ import annotations

# asked by the web chat's example buttons: each is answered right (checked on the real corpus by the tests)
EXAMPLES = [
    "Combien d'emplois liés à l'IA en santé devraient être créés d'ici 2025 ?",
    "Quel était le budget du Health Data Hub en 2020 ?",
    "Quels niveaux de risque prévoit l'AI Act ?",
    "What is PariSanté Campus?",
]

LABELS = {
    "fr": {
        "answer": "Réponse",
        "closest": "Passages les plus proches",
        "page": "p.",
        "searching": "Recherche dans {n} rapports…",
        "searching_one": "Recherche dans 1 rapport…",
        "done": "Réponse trouvée",
        "abstained": "Pas de réponse dans les rapports",
        "whole_page": "Lire toute la page",
        "open_pdf": "Ouvrir le PDF à la page {page}",
        "read": "Passages lus : {n}",
        "answered_in": "Répondu en {ms} ms",
        "error": "Erreur :",
        "thanks": "Merci pour votre retour.",
        "comment": "Commentaire (facultatif)",
        "send": "Envoyer le commentaire",
        "comment_saved": "Commentaire enregistré.",
        "chat_intro": "[bold]docqa[/] — vos questions sur les rapports (/help : aide ; ligne vide : quitter).",
        "chat_help": (
            "/doc ID  limiter les questions à un document (/doc seul : tous les documents)\n"
            "/new     nouvelle conversation\n"
            "/help    cette aide\n"
            "ligne vide, exit ou Ctrl-D : quitter ; flèches : historique et édition de la ligne"
        ),
        "doc_set": "Questions limitées à {doc}.",
        "doc_cleared": "Questions sur tous les documents.",
        "unknown_doc": "document inconnu : {doc} (indexés : {known})",
        "new": "Nouvelle conversation.",
        "unknown_command": "commande inconnue : {command} (/help pour l'aide)",
    },
    "en": {
        "answer": "Answer",
        "closest": "Closest passages",
        "page": "p.",
        "searching": "Searching {n} reports…",
        "searching_one": "Searching 1 report…",
        "done": "Answer found",
        "abstained": "No answer in the reports",
        "whole_page": "Read the whole page",
        "open_pdf": "Open the PDF at page {page}",
        "read": "Passages read: {n}",
        "answered_in": "Answered in {ms} ms",
        "error": "Error:",
        "thanks": "Thank you for your feedback.",
        "comment": "Comment (optional)",
        "send": "Send the comment",
        "comment_saved": "Comment saved.",
        "chat_intro": "[bold]docqa[/] — ask about the reports (/help for help, empty line to quit).",
        "chat_help": (
            "/doc ID  limit the questions to one document (/doc alone: all documents)\n"
            "/new     new conversation\n"
            "/help    this help\n"
            "empty line, exit or Ctrl-D: quit; arrow keys: history and line editing"
        ),
        "doc_set": "Questions limited to {doc}.",
        "doc_cleared": "Questions about all documents.",
        "unknown_doc": "unknown document: {doc} (indexed: {known})",
        "new": "New conversation.",
        "unknown_command": "unknown command: {command} (/help for help)",
    },
}


def label(key: str, language: str = "fr", **values: object) -> str:
    """The text of `key` in `language` ('fr' or 'en'; French otherwise), with `values` filled in.

    >>> label("closest", "en")
    'Closest passages'
    """
    text = LABELS.get(language, LABELS["fr"])[key]
    return text.format(**values) if values else text


def where(title: str, page: int | None, language: str = "fr", section: str = "") -> str:
    """ "Title — p. 3"; for a document without pages (HTML, a text without form feeds) "Title — § section", or
    the title alone."""
    if page is not None:
        return f"{title} — {label('page', language)} {page}"
    return f"{title} — § {section}" if section else title
