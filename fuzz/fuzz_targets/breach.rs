//! The breach check on hostile attachments: arbitrary bytes as a whole
//! file, and as one part of an xlsx, docx, pptx or ods package (so the
//! XML readers see inputs a raw zip would rarely reach). Neither the
//! check nor the cleaner may panic, hang or run away with memory, and a
//! cleaned copy must itself be checkable.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;

use foid::core::breach_check::{clean::clean, inspect, Policy};

/// A minimal package around one fuzzed part.
fn package(part: &str, data: &[u8], others: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in others.iter().copied().chain([(part, data)]) {
        if w.start_file(name, options).is_err() || w.write_all(bytes).is_err() {
            return Vec::new();
        }
    }
    w.finish().map(Cursor::into_inner).unwrap_or_default()
}

const TYPES: &[u8] = b"<Types/>";
const WORKBOOK: &[u8] = br#"<workbook xmlns:r="r"><sheets><sheet name="S" state="hidden" r:id="rId1"/></sheets></workbook>"#;
const RELS: &[u8] = br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let policy = Policy::default();
    let (name, file) = match mode % 8 {
        0 => ("file.bin", data.to_vec()),
        1 => ("file.csv", data.to_vec()),
        2 => (
            "book.xlsx",
            package("xl/worksheets/sheet1.xml", data, &[
                ("[Content_Types].xml", TYPES),
                ("xl/workbook.xml", WORKBOOK),
                ("xl/_rels/workbook.xml.rels", RELS),
            ]),
        ),
        3 => (
            "book.xlsx",
            package("xl/sharedStrings.xml", data, &[
                ("[Content_Types].xml", TYPES),
                ("xl/workbook.xml", WORKBOOK),
                ("xl/_rels/workbook.xml.rels", RELS),
                ("xl/worksheets/sheet1.xml", br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#),
            ]),
        ),
        4 => ("doc.docx", package("word/document.xml", data, &[("[Content_Types].xml", TYPES)])),
        5 => ("deck.pptx", package("ppt/slides/slide1.xml", data, &[
            ("[Content_Types].xml", TYPES),
            ("ppt/presentation.xml", b"<p/>"),
        ])),
        6 => ("sheet.ods", package("content.xml", data, &[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")])),
        _ => ("doc.docx", package("docProps/core.xml", data, &[
            ("[Content_Types].xml", TYPES),
            ("word/document.xml", b"<d><p><r><t>x</t></r></p></d>"),
        ])),
    };
    let _ = inspect(name, &file, &policy);
    if let Ok(cleaned) = clean(name, &file, &policy) {
        let _ = inspect(name, &cleaned.bytes, &policy);
    }
});
