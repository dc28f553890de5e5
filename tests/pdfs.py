"""Real PDF files for tests, made with fpdf2. Accents, « » and ’ need a Unicode font: DejaVu Sans, from the Debian
package fonts-dejavu-core."""

from pathlib import Path

from fpdf import FPDF
from PIL import Image

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    """A PDF with one page per text (an empty text makes a page without text). With a `password` (may be empty)
    it is encrypted with RC4, which pypdf decrypts without extra packages."""
    if not FONT.exists():
        raise FileNotFoundError(f"{FONT} is missing: apt-get install fonts-dejavu-core")
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
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
