//! Text attachments: CSV and TSV as grids (so columns are judged by their
//! headers, as in a spreadsheet), HTML as its text, anything else line by
//! line. Nothing in a text file is hidden, but personal data can be in it.

use super::personal_data::Scanner;
use crate::core::html_text;

/// Mostly printable UTF-8 (or Latin-1 without control bytes).
pub(crate) fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = bytes.get(..bytes.len().min(8192)).unwrap_or_default();
    if sample.is_empty() {
        return true;
    }
    let controls = sample
        .iter()
        .filter(|b| **b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    controls == 0 || controls * 100 < sample.len()
}

pub(crate) fn inspect(filename: &str, bytes: &[u8], scan: &mut Scanner) {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let lower = filename.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".tsv") {
        let delimiter = if lower.ends_with(".tsv") { b'\t' } else { b',' };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        for (r, record) in reader.records().enumerate() {
            let Ok(record) = record else { continue };
            for (c, value) in record.iter().enumerate() {
                scan.cell("the table", r as u32 + 1, c as u32 + 1, value);
            }
        }
    } else if lower.ends_with(".html")
        || lower.ends_with(".htm")
        || text.trim_start().starts_with('<')
    {
        scan.text("the text", &html_text::html_to_text(text));
    } else {
        scan.text("the text", text);
    }
}
