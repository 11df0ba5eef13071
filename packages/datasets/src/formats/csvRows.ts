/** One parsed CSV record with the 1-based line it starts on. */
export interface CsvRow {
  readonly line: number;
  readonly fields: string[];
}

/**
 * Splits CSV text into records: comma-separated, double-quoted fields may hold commas, quotes
 * ("") and line breaks; CRLF and LF both end a record; blank lines are skipped. An unterminated
 * quote is reported by the line it starts on.
 */
export function parseCsv(text: string): { rows: CsvRow[]; unterminatedQuoteLine: number | null } {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 0;
  const endRecord = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"') {
      inQuotes = true;
      quoteLine = line;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (inQuotes) return { rows, unterminatedQuoteLine: quoteLine };
  if (field !== '' || fields.length > 0) endRecord();
  return { rows, unterminatedQuoteLine: null };
}
