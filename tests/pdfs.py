"""Real PDF files for tests, made with fpdf2. Accents, « » and ’ need a Unicode font: DejaVu Sans, from the Debian
package fonts-dejavu-core."""

import zlib
from pathlib import Path

from fpdf import FPDF, FontFace
from PIL import Image

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _text_pdf(pages: list[str]) -> FPDF:
    """An FPDF document with one page per text, in DejaVu Sans."""
    if not FONT.exists():
        raise FileNotFoundError(f"{FONT} is missing: apt-get install fonts-dejavu-core")
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return pdf


def make_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    """A PDF with one page per text (an empty text makes a page without text). With a `password` (may be empty)
    it is encrypted with RC4, which pypdf decrypts without extra packages."""
    pdf = _text_pdf(pages)
    if password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=password)
    pdf.output(str(path))
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A one-page PDF whose page is only an image, like a scan without OCR: no text layer."""
    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (200, 100), "white"), x=10, y=10, w=100)
    pdf.output(str(path))
    return path


def make_decompression_bomb(path: Path, expanded_mb: int, pages: int = 1) -> Path:
    """A small PDF whose page content streams each inflate (Flate) to `expanded_mb` MB of blanks."""
    return write_raw_pdf(path, [b" " * (expanded_mb * 2**20)] * pages)


def make_operator_bomb(path: Path, operators: int, pages: int = 1, text: bytes = b"a") -> Path:
    """A small PDF whose pages each show `text` with `operators` text operators (`BT /F1 1 Tf (a) Tj ... ET`):
    a few KB that keep a PDF parser busy for a long time."""
    return write_raw_pdf(path, [b"BT /F1 1 Tf " + b"(%s) Tj " % text * operators + b"ET"] * pages)


def write_raw_pdf(path: Path, contents: list[bytes]) -> Path:
    """A PDF with one page per content stream (Flate-compressed), the font /F1 being Helvetica."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, content in enumerate(contents):
        stream = zlib.compress(content, 9)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def make_scanned_text_pdf(path: Path, lines: list[str], text_pages: list[str] = (), scans: int = 1) -> Path:
    """A PDF whose pages `text_pages` have a text layer, followed by `scans` pages that are only an image of
    `lines` (black text rendered by Pillow at 300 dpi, as a scanner gives it): what OCR must read."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 42)  # about 10 pt at 300 dpi
    image = Image.new("L", (2100, 120 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((100, 60 + 70 * n), line, font=font, fill=0)
    pdf = _text_pdf(list(text_pages))
    for _ in range(scans):
        pdf.add_page()
        pdf.image(image, x=10, y=20, w=180)  # 2100 px over 180 mm: 296 dpi
    pdf.output(str(path))
    return path


def make_table_pdf(path: Path, before: str, rows: list[list[str]], after: str) -> Path:
    """A one-page PDF: a paragraph, a ruled table (first row its header), another paragraph."""
    pdf = _text_pdf([before])
    pdf.ln(4)
    with pdf.table(headings_style=FontFace(emphasis=None)) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.ln(4)
    pdf.multi_cell(0, 8, after)
    pdf.output(str(path))
    return path
