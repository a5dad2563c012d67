"""The monthly business-review pack: its numbers (numbers.py), the whole document as data
(data.py), the PDF and workbook drawn from that data (pdf.py, xlsx.py), and the jobs that make
them (services.py)."""

import logging

# WeasyPrint logs every layout step at INFO (some at import): a pack job's log should say only
# what went wrong. Set here, before any module of the package imports WeasyPrint.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
