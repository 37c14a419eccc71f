"""Reading an import file, bounded, before any parser sees it: one way for every import.

Every import of the portal (records, data subjects, consents, the register's vocabulary) goes
through read_table(): the file's size, an XLSX archive's declared decompressed size, the number
of rows and the length of each cell are checked against the limits below, the encoding and the
delimiter of a CSV are detected, and the header row must name the import's columns. Anything else
is refused with an ImportRefused whose message is a sentence for the user, naming what was found
and the limit; it never quotes a cell (a cell may be personal data).
"""

import csv
import io
import zipfile

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dpo_portal.exports import spreadsheet_row

ENCODINGS_TRIED = "UTF-8, UTF-16, Windows-1251"
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


class ImportRefused(Exception):
    """The file as a whole is refused; the message is a sentence safe to show and to store."""


class RowsRefused(ImportRefused):
    """Rows of the file are wrong, nothing was written; errors: (row, column, value, reason)."""

    def __init__(self, errors, personal_columns=()):
        # A person's identifiers are shown masked: enough to recognise the cell, not to learn
        # who it is (the report outlives the file, and erasure does not reach it).
        self.errors = sorted(
            (
                (row, column, mask(value) if column in personal_columns else shown(value), reason)
                for row, column, value, reason in errors
            ),
            key=lambda error: (error[0], str(error[1])),
        )
        rows = len({error[0] for error in self.errors})
        super().__init__(
            ngettext(
                "%(count)s row of the file must be fixed; nothing was imported.",
                "%(count)s rows of the file must be fixed; nothing was imported.",
                rows,
            )
            % {"count": rows}
        )

    def report(self):
        """The CSV the job offers for download, in the language of the user who started it."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("row"), _("column"), _("value"), _("reason")])
        # A value or reason may quote the offending cell: written safe, like every export.
        writer.writerows(spreadsheet_row(error) for error in self.errors)
        return out.getvalue().encode("utf-8-sig")


def shown(value):
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def mask(value):
    text = shown(value).strip()
    if len(text) <= 2:
        return "•" * len(text)
    return text[0] + "•" * (len(text) - 2) + text[-1]


def read_report(content, limit=100):
    """The first rows of an error report, for the job page."""
    reader = csv.reader(io.StringIO(bytes(content).decode("utf-8-sig")))
    next(reader, None)
    return [row for _number, row in zip(range(limit), reader, strict=False)]


def duplicate_rows(header, rows, key_columns):
    """(row, column, value, reason) for each row whose key repeats an earlier row's."""
    if not all(column in header for column in key_columns):
        return []
    indexes = [header.index(column) for column in key_columns]
    seen, errors = {}, []
    for number, cells in rows:
        key = tuple(
            str(cells[index]).strip().upper() if index < len(cells) and cells[index] else ""
            for index in indexes
        )
        if not all(key):
            continue
        if key in seen:
            errors.append(
                (
                    number,
                    key_columns[-1],
                    cells[indexes[-1]],
                    _("The same entry as row %(row)s (%(columns)s repeat).")
                    % {"row": seen[key], "columns": ", ".join(key_columns)},
                )
            )
        else:
            seen[key] = number
    return errors


def limits():
    return {
        "file_bytes": settings.IMPORT_MAX_FILE_BYTES,
        "unpacked_bytes": settings.IMPORT_MAX_UNPACKED_BYTES,
        "rows": settings.IMPORT_MAX_ROWS,
        "cell_chars": settings.IMPORT_MAX_CELL_CHARS,
    }


def limits_sentence():
    """The limits as the import forms state them."""
    return _(
        "CSV or XLSX, at most %(size)s (an XLSX at most %(unpacked)s unpacked), "
        "%(rows)s rows and %(cell)s characters in a cell."
    ) % {
        "size": filesizeformat(settings.IMPORT_MAX_FILE_BYTES),
        "unpacked": filesizeformat(settings.IMPORT_MAX_UNPACKED_BYTES),
        "rows": f"{settings.IMPORT_MAX_ROWS:,}".replace(",", " "),
        "cell": f"{settings.IMPORT_MAX_CELL_CHARS:,}".replace(",", " "),
    }


def check_size(size):
    if size > settings.IMPORT_MAX_FILE_BYTES:
        raise ImportRefused(
            _("The file has %(size)s; an import may have at most %(limit)s. Split it in parts.")
            % {
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.IMPORT_MAX_FILE_BYTES),
            }
        )


def is_xlsx(filename):
    return filename.lower().endswith(".xlsx")


def check_xlsx_archive(content):
    """Refuse a corrupt workbook or a zip bomb from the archive's directory, inflating nothing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise ImportRefused(
            _(
                "The file is not a readable XLSX workbook (it is not a valid zip archive: "
                "damaged, cut short or of another format). Save it again from Excel as .xlsx."
            )
        ) from None
    with archive:
        entries = archive.infolist()
        unpacked = sum(entry.file_size for entry in entries)
        names = {entry.filename for entry in entries}
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise ImportRefused(
            _(
                "The workbook would unpack to %(size)s; an import may unpack to at most "
                "%(limit)s. It was refused without being opened."
            )
            % {
                "size": filesizeformat(unpacked),
                "limit": filesizeformat(settings.IMPORT_MAX_UNPACKED_BYTES),
            }
        )
    if "xl/workbook.xml" not in names:
        raise ImportRefused(
            _("The file is a zip archive but not an XLSX workbook. Save it from Excel as .xlsx.")
        )


def decode(content):
    """The text of a CSV file and the encoding found, or a refusal naming what was found."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportRefused(
                _("The file starts as UTF-16 text but is damaged further on.")
            ) from None
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    elif content[:200].count(b"\x00") > 20:  # UTF-16 without its byte-order mark
        codec = "utf-16-le" if content[1:2] == b"\x00" else "utf-16-be"
        try:
            return content.decode(codec), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1251")
    except UnicodeDecodeError:
        text = None
    if text is not None and reads_as_cyrillic(text):
        return text, "Windows-1251"
    raise ImportRefused(
        _(
            "The file's text is neither UTF-8 nor UTF-16, and does not read as Cyrillic "
            "Windows-1251 (the encodings the import reads: %(tried)s). Save it as “CSV UTF-8” "
            "in Excel, or as UTF-8 text."
        )
        % {"tried": ENCODINGS_TRIED}
    )


def reads_as_cyrillic(text):
    """Windows-1251 decodes almost any bytes; accept it when what is not ASCII reads as Cyrillic
    words (letters next to letters), as an older system's Russian or Azerbaijani export would,
    and not as the isolated accented letters of a Turkish or Western Windows file."""
    foreign = [index for index, char in enumerate(text) if ord(char) > 127]
    if not foreign:
        return False
    positions = set(foreign)
    in_words = sum(
        1
        for index in foreign
        if "\u0400" <= text[index] <= "\u04ff" and ({index - 1, index + 1} & positions)
    )
    return in_words >= 0.8 * len(foreign)


def detect_delimiter(header_line, expected):
    """The delimiter that splits the header row into the most known columns."""
    best, best_known = None, 0
    for delimiter in DELIMITERS:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        known = sum(1 for cell in cells if cell.strip().lower() in expected)
        if known > best_known:
            best, best_known = delimiter, known
    return best


def _refuse_long_cell(row_number, column):
    raise ImportRefused(
        _(
            "Row %(row)s, column “%(column)s” holds a cell longer than %(limit)s characters, "
            "the most an import cell may hold. Shorten it."
        )
        % {
            "row": row_number,
            "column": column,
            "limit": f"{settings.IMPORT_MAX_CELL_CHARS:,}".replace(",", " "),
        }
    )


def _refuse_rows(count):
    raise ImportRefused(
        _("The file has more than %(limit)s rows, the most one import may have. Split it in parts.")
        % {"limit": f"{settings.IMPORT_MAX_ROWS:,}".replace(",", " ")}
    )


def _check_header(header, expected, required):
    known = [cell for cell in header if cell in expected]
    if not known:
        raise ImportRefused(
            _(
                "The first row is not a header row: it names none of the import's columns "
                "(%(columns)s). Add the header row, as in the template."
            )
            % {"columns": ", ".join(expected)}
        )
    missing = [column for column in required if column not in header]
    if missing:
        raise ImportRefused(
            _("The header row lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)}
        )


def read_table(content, filename, *, expected, required=()):
    """(header, rows): the header in lower case, each row a (number in the file, cells) pair.

    ``expected`` lists the import's columns (for the header and delimiter checks), ``required``
    those the header must have. Blank rows are skipped, and the numbers stay those of the file.
    """
    expected = list(expected)
    check_size(len(content))
    if is_xlsx(filename):
        return _read_xlsx(content, expected, required)
    if not filename.lower().endswith(".csv"):
        raise ImportRefused(_("Upload a .csv or .xlsx file."))
    return _read_csv(content, expected, required)


def _read_csv(content, expected, required):
    text, _encoding = decode(content)
    header_line = text.split("\n", 1)[0][: 100 * len(expected) + 1000]
    delimiter = detect_delimiter(header_line, expected) or ","
    limit = settings.IMPORT_MAX_CELL_CHARS
    csv.field_size_limit(limit + 1)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    _check_header(header, expected, required)
    rows = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= settings.IMPORT_MAX_ROWS:
                _refuse_rows(len(rows))
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        # The csv module stops at a field over field_size_limit, before building it.
        if "field larger" in str(exc):
            _refuse_long_cell(reader.line_num, "?")
        raise ImportRefused(
            _(
                "The CSV file cannot be read at line %(line)s (a quote left open or a control "
                "character)."
            )
            % {"line": reader.line_num}
        ) from None
    for number, row in rows:
        for index, cell in enumerate(row):
            if len(cell) > limit:
                _refuse_long_cell(number, header[index] if index < len(header) else index + 1)
    return header, rows


def _read_xlsx(content, expected, required):
    check_xlsx_archive(content)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise ImportRefused(
            _("The workbook could not be read (damaged or not made by a spreadsheet program).")
        ) from None
    try:
        sheet = workbook.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        header = [str(cell or "").strip().lower() for cell in next(cells, [])]
        _check_header(header, expected, required)
        limit = settings.IMPORT_MAX_CELL_CHARS
        rows = []
        for number, row in enumerate(cells, start=2):
            if not any(cell not in (None, "") for cell in row):
                continue
            if len(rows) >= settings.IMPORT_MAX_ROWS:
                _refuse_rows(len(rows))
            for index, cell in enumerate(row):
                if isinstance(cell, str) and len(cell) > limit:
                    _refuse_long_cell(number, header[index] if index < len(header) else index + 1)
            rows.append((number, list(row)))
    finally:
        workbook.close()
    return header, rows
