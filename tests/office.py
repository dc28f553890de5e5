"""Real Word and PowerPoint files for tests, made with python-docx and python-pptx."""

from datetime import datetime
from pathlib import Path

import docx
from msoffcrypto.format.ooxml import OOXMLFile
from pptx import Presentation
from pptx.util import Inches


def make_docx(path: Path, blocks: list[tuple[str, object]], title: str = "", author: str = "", year: int = 0) -> Path:
    """A .docx of `blocks` in order: ("h1", text) a Heading 1, ("p", text) a paragraph, ("table", rows) a table
    whose first row is its header; with these core properties."""
    document = docx.Document()
    for kind, content in blocks:
        if kind == "h1":
            document.add_heading(content, level=1)
        elif kind == "p":
            document.add_paragraph(content)
        else:
            table = document.add_table(rows=len(content), cols=len(content[0]))
            for cells, values in zip(table.rows, content, strict=True):
                for cell, value in zip(cells.cells, values, strict=True):
                    cell.text = value
    document.core_properties.title = title
    document.core_properties.author = author
    if year:
        document.core_properties.created = datetime(year, 3, 1)
    document.save(str(path))
    return path


def make_pptx(path: Path, slides: list[dict], title: str = "") -> Path:
    """A .pptx with one slide per dict: "title", "body" (lines), "table" (rows, the first the header) and "notes",
    each optional (a dict without them makes a blank slide)."""
    presentation = Presentation()
    for spec in slides:
        layout = presentation.slide_layouts[5 if "title" in spec else 6]  # "Title Only" / "Blank"
        slide = presentation.slides.add_slide(layout)
        if "title" in spec:
            slide.shapes.title.text = spec["title"]
        if "body" in spec:
            box = slide.shapes.add_textbox(Inches(1), Inches(1.6), Inches(8), Inches(2)).text_frame
            box.text = spec["body"][0]
            for line in spec["body"][1:]:
                box.add_paragraph().text = line
        if "table" in spec:
            rows = spec["table"]
            shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(1), Inches(3.8), Inches(8), Inches(2))
            for r, values in enumerate(rows):
                for c, value in enumerate(values):
                    shape.table.cell(r, c).text = value
        if "notes" in spec:
            slide.notes_slide.notes_text_frame.text = spec["notes"]
    presentation.core_properties.title = title
    presentation.save(str(path))
    return path


def encrypt(path: Path, password: str) -> Path:
    """`path` encrypted in place with `password`, as Office does (msoffcrypto-tool)."""
    plain = path.read_bytes()
    path.unlink()
    source = path.with_suffix(".plain" + path.suffix)
    source.write_bytes(plain)
    with source.open("rb") as src, path.open("wb") as out:
        OOXMLFile(src).encrypt(password, out)
    source.unlink()
    return path
