"""`docqa web`'s server (`streamlit run app/web.py`): the Streamlit chat (app/chat.py) and, beside it, the
indexed PDFs at /documents/{doc_id}.pdf, which citations open at their page (app/documents.py)."""

import streamlit as st

from app.documents import ROUTE

app = st.App("chat.py", routes=[ROUTE])
