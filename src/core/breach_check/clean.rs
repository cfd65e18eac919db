//! Cleaned copies: the same attachment with what hides removed, for an
//! officer who asks with `#clean`. A spreadsheet is rebuilt from the
//! values of its visible sheets, rows and columns (so nothing hidden can
//! survive: no hidden sheet, pivot cache, comment, link or property);
//! a Word document keeps its layout and loses tracked changes (accepted),
//! hidden text, comments, embedded objects and people's names in its
//! properties; a PDF is saved afresh without metadata, comments,
//! attached files, scripts or earlier revisions; a photo loses EXIF, GPS,
//! XMP and comments. The copy is checked again like any attachment.

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

use quick_xml::events::{BytesStart, Event};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::archive::{attr, local, read_xml, Archive};
use super::ooxml::{self, CellReader, SheetEvent};
use super::{image, sniff, Format, Policy, Problem};

/// A cleaned copy and what was taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub bytes: Vec<u8>,
    pub removed: Vec<String>,
}

/// Cleans one file, or says why it cannot be cleaned.
pub fn clean(filename: &str, bytes: &[u8], policy: &Policy) -> Result<Cleaned, String> {
    let lower = filename.to_ascii_lowercase();
    match sniff(bytes) {
        Format::Zip => {
            let mut a = Archive::open(bytes, &policy.limits).map_err(problem)?;
            if a.has("xl/workbook.xml") {
                workbook(&mut a).map_err(problem)
            } else if a.has("word/document.xml") {
                document(&mut a).map_err(problem)
            } else if lower.ends_with(".pptx") || a.has("ppt/presentation.xml") {
                Err("foid does not clean presentations: in PowerPoint use File > Info > Check for Issues > Inspect Document, or save the slides as PDF, and send a new #draft".into())
            } else if a.has("mimetype") {
                Err("foid does not clean OpenDocument files: save it as .xlsx, .docx or PDF, or remove the hidden parts in LibreOffice, and send a new #draft".into())
            } else {
                Err("foid does not open zip archives: attach the files themselves".into())
            }
        }
        Format::Pdf => pdf(bytes),
        Format::Jpeg => jpeg(bytes),
        Format::Png => png(bytes),
        Format::Text => Err("a text file hides nothing; personal data in what it shows has to be taken out by hand".into()),
        _ => Err("foid cannot clean this kind of file; save it as .xlsx, .docx or PDF and send a new #draft".into()),
    }
}

fn problem(p: Problem) -> String {
    match p {
        Problem::Limit(s) | Problem::Corrupt(s) => s,
    }
}

fn zip_options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
}

fn finish(w: ZipWriter<Cursor<Vec<u8>>>) -> Result<Vec<u8>, Problem> {
    w.finish()
        .map(Cursor::into_inner)
        .map_err(|e| Problem::Corrupt(format!("writing the cleaned copy: {e}")))
}

fn put(w: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, data: &[u8]) -> Result<(), Problem> {
    let io = |e: std::io::Error| Problem::Corrupt(format!("writing the cleaned copy: {e}"));
    w.start_file(name, zip_options())
        .map_err(|e| Problem::Corrupt(format!("writing the cleaned copy: {e}")))?;
    w.write_all(data).map_err(io)
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Style indexes whose number format is a date or time.
fn date_styles(a: &mut Archive) -> Result<BTreeSet<u32>, Problem> {
    let mut custom_dates = BTreeSet::new();
    let mut xf_formats = Vec::new();
    let mut in_cell_xfs = false;
    a.xml("xl/styles.xml", |e, _| {
        match e {
            Event::Start(s) | Event::Empty(s) => match local(s) {
                b"numFmt" => {
                    let code = attr(s, b"formatCode")
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    let unquoted: String = code.split('"').step_by(2).collect();
                    if unquoted.contains('y') || unquoted.contains('d') || unquoted.contains("h:") {
                        custom_dates
                            .extend(attr(s, b"numFmtId").and_then(|v| v.parse::<u32>().ok()));
                    }
                }
                b"cellXfs" => in_cell_xfs = matches!(e, Event::Start(_)),
                b"xf" if in_cell_xfs => xf_formats.push(
                    attr(s, b"numFmtId")
                        .and_then(|v| v.parse::<u32>().ok())
                        .unwrap_or(0),
                ),
                _ => {}
            },
            Event::End(end) if end.local_name().as_ref() == b"cellXfs" => in_cell_xfs = false,
            _ => {}
        }
        Ok(())
    })?;
    Ok(xf_formats
        .iter()
        .enumerate()
        .filter(|(_, id)| matches!(id, 14..=22 | 45..=47) || custom_dates.contains(id))
        .map(|(i, _)| i as u32)
        .collect())
}

/// A visible cell kept: column, value, and whether it shows a date.
type KeptCell = (u32, String, bool);

/// A new workbook holding only what could be seen: visible sheets, rows
/// and columns, as values.
fn workbook(a: &mut Archive) -> Result<Cleaned, Problem> {
    let limits = a.limits().clone();
    let strings = ooxml::shared_strings(a, limits.max_shared_strings_bytes).map_err(|(_, p)| p)?;
    let dates = date_styles(a)?;
    let (sheets, hidden_names) = ooxml_sheets(a)?;
    let mut removed = Vec::new();
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let mut kept: Vec<String> = Vec::new();
    for sheet in &sheets {
        if sheet.state != "visible" {
            removed.push(format!(
                "{} sheet '{}'",
                if sheet.state == "veryHidden" {
                    "very hidden"
                } else {
                    "hidden"
                },
                sheet.name
            ));
            continue;
        }
        let Some(part) = sheet.part.clone() else {
            continue;
        };
        let mut reader = CellReader::default();
        let mut hidden_cols: Vec<(u32, u32)> = Vec::new();
        let (mut dropped_rows, mut dropped_cells) = (BTreeSet::new(), 0u64);
        let mut rows: Vec<(u32, Vec<KeptCell>)> = Vec::new();
        a.xml(&part, |e, _| {
            match reader.feed(e, &strings) {
                SheetEvent::HiddenColumns(lo, hi) => hidden_cols.push((lo, hi)),
                SheetEvent::Cell(value) if !value.is_empty() => {
                    if reader.row_hidden {
                        dropped_rows.insert(reader.row);
                    } else if hidden_cols
                        .iter()
                        .any(|(lo, hi)| (*lo..=*hi).contains(&reader.col))
                    {
                        dropped_cells += 1;
                    } else {
                        let date = reader.style.is_some_and(|s| dates.contains(&s));
                        match rows.last_mut() {
                            Some((r, cells)) if *r == reader.row => {
                                cells.push((reader.col, value, date))
                            }
                            _ => rows.push((reader.row, vec![(reader.col, value, date)])),
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        if !dropped_rows.is_empty() {
            removed.push(format!(
                "{} hidden rows of sheet '{}'",
                dropped_rows.len(),
                sheet.name
            ));
        }
        if dropped_cells > 0 {
            removed.push(format!(
                "{dropped_cells} cells in hidden columns of sheet '{}'",
                sheet.name
            ));
        }
        let mut xml = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (r, cells) in rows {
            xml.push_str(&format!(r#"<row r="{r}">"#));
            for (c, value, date) in cells {
                let at = format!("{}{r}", super::personal_data::column_letters(c));
                let number = value.parse::<f64>().is_ok_and(f64::is_finite);
                if number {
                    let style = if date { r#" s="1""# } else { "" };
                    xml.push_str(&format!(r#"<c r="{at}"{style}><v>{value}</v></c>"#));
                } else {
                    xml.push_str(&format!(
                        r#"<c r="{at}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                        escape(&value)
                    ));
                }
            }
            xml.push_str("</row>");
        }
        xml.push_str("</sheetData></worksheet>");
        kept.push(sheet.name.clone());
        put(
            &mut w,
            &format!("xl/worksheets/sheet{}.xml", kept.len()),
            xml.as_bytes(),
        )?;
    }
    if kept.is_empty() {
        return Err(Problem::Corrupt(
            "every sheet is hidden, so a cleaned copy would be empty".into(),
        ));
    }
    let hidden_parts: Vec<&String> = a
        .names()
        .iter()
        .filter(|n| {
            n.starts_with("xl/pivotCache/")
                || n.starts_with("xl/comments")
                || n.starts_with("xl/threadedComments/")
                || n.starts_with("xl/externalLinks/")
                || n.as_str() == "xl/connections.xml"
                || n.contains("/embeddings/")
                || n.ends_with("vbaProject.bin")
                || n.as_str() == "docProps/custom.xml"
        })
        .collect();
    if !hidden_parts.is_empty() {
        removed.push(format!("{} parts (pivot caches, comments, links, connections, embedded files, macros, custom properties)", hidden_parts.len()));
    }
    if !hidden_names.is_empty() {
        removed.push(format!("{} hidden defined names", hidden_names.len()));
    }
    removed.push("document properties, formulas and formatting (values are kept)".into());
    let mut overrides = String::new();
    let mut sheet_list = String::new();
    let mut rels = String::new();
    for (i, name) in kept.iter().enumerate() {
        let n = i + 1;
        overrides.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        sheet_list.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            escape(name)
        ));
        rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
    }
    let styles_id = kept.len() + 1;
    rels.push_str(&format!(r#"<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#));
    put(&mut w, "[Content_Types].xml", format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>"#
    ).as_bytes())?;
    put(&mut w, "_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)?;
    put(&mut w, "xl/workbook.xml", format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheet_list}</sheets></workbook>"#
    ).as_bytes())?;
    put(&mut w, "xl/_rels/workbook.xml.rels", format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
    ).as_bytes())?;
    put(&mut w, "xl/styles.xml", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"#)?;
    Ok(Cleaned {
        bytes: finish(w)?,
        removed,
    })
}

fn ooxml_sheets(a: &mut Archive) -> Result<(Vec<ooxml::SheetEntry>, Vec<String>), Problem> {
    ooxml::sheets(a).map_err(|(_, p)| p)
}

/// Word parts and elements that are removed whole, and those whose
/// content is kept without them (tracked insertions, accepted).
const DROP_ELEMENTS: &[&[u8]] = &[
    b"del",
    b"moveFrom",
    b"commentRangeStart",
    b"commentRangeEnd",
    b"commentReference",
    b"object",
    b"rPrChange",
    b"pPrChange",
    b"sectPrChange",
    b"tblPrChange",
    b"trPrChange",
    b"tcPrChange",
    b"numberingChange",
];
const UNWRAP_ELEMENTS: &[&[u8]] = &[
    b"ins",
    b"moveTo",
    b"moveFromRangeStart",
    b"moveFromRangeEnd",
    b"moveToRangeStart",
    b"moveToRangeEnd",
];

fn dropped_part(name: &str) -> bool {
    name.starts_with("word/comments")
        || name == "word/people.xml"
        || name == "docProps/custom.xml"
        || name.contains("/embeddings/")
        || name.ends_with("vbaProject.bin")
}

/// A Word document without tracked changes, hidden text, comments,
/// embedded objects or people in its properties.
fn document(a: &mut Archive) -> Result<Cleaned, Problem> {
    let names = a.names().to_vec();
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let depth = a.limits().max_xml_depth;
    let dropped: BTreeSet<String> = names.iter().filter(|n| dropped_part(n)).cloned().collect();
    let mut removed: Vec<String> = Vec::new();
    if !dropped.is_empty() {
        removed.push(format!(
            "{} parts (comments, embedded files, macros, custom properties)",
            dropped.len()
        ));
    }
    let mut text_changes = 0usize;
    for name in &names {
        if dropped.contains(name) || name.ends_with('/') {
            continue;
        }
        let Some(data) = a.read(name)? else { continue };
        let data = if name == "docProps/core.xml" {
            removed.push("the author and last-saved-by properties".into());
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#.to_vec()
        } else if name == "docProps/app.xml" {
            filter_xml(
                &data,
                depth,
                name,
                |s| matches!(s, b"Company" | b"Manager" | b"HyperlinkBase" | b"Template"),
                &[],
                &mut 0,
            )?
        } else if name.ends_with(".rels") {
            let dir = name
                .trim_end_matches(".rels")
                .rsplit_once("/_rels/")
                .map(|(d, _)| d)
                .unwrap_or("");
            let dir = dir.to_string();
            filter_elements(&data, depth, name, |s| {
                local(s) == b"Relationship"
                    && attr(s, b"TargetMode").is_none_or(|m| m != "External")
                    && attr(s, b"Target")
                        .is_some_and(|t| dropped.contains(&ooxml::resolve(&dir, &t)))
            })?
        } else if name == "[Content_Types].xml" {
            filter_elements(&data, depth, name, |s| {
                local(s) == b"Override"
                    && attr(s, b"PartName")
                        .is_some_and(|p| dropped.contains(p.trim_start_matches('/')))
            })?
        } else if name.contains("/media/") {
            // Pictures keep their place in the layout, without metadata.
            let picture = match sniff(&data) {
                Format::Jpeg => jpeg(&data).ok(),
                Format::Png => png(&data).ok(),
                _ => None,
            };
            match picture {
                Some(p) if !p.removed.is_empty() => {
                    removed.push(format!("metadata of {name}"));
                    p.bytes
                }
                _ => data,
            }
        } else if name.starts_with("word/") && name.ends_with(".xml") && !name.contains("/_rels/") {
            filter_xml(
                &data,
                depth,
                name,
                |s| DROP_ELEMENTS.contains(&s),
                UNWRAP_ELEMENTS,
                &mut text_changes,
            )?
        } else {
            data
        };
        put(&mut w, name, &data)?;
    }
    if text_changes > 0 {
        removed.push(format!("{text_changes} tracked changes, comment marks, hidden runs and embedded objects in the text (insertions accepted)"));
    }
    Ok(Cleaned {
        bytes: finish(w)?,
        removed,
    })
}

/// Rewrites XML without the empty elements `drop` picks.
fn filter_elements(
    data: &[u8],
    depth: usize,
    name: &str,
    drop: impl Fn(&BytesStart<'_>) -> bool,
) -> Result<Vec<u8>, Problem> {
    let mut w = quick_xml::Writer::new(Vec::new());
    let mut skip = 0usize;
    read_xml(data, depth, name, |e, _| {
        match e {
            Event::Empty(s) if skip == 0 && drop(s) => return Ok(()),
            Event::Start(s) if skip > 0 || drop(s) => {
                skip += 1;
                return Ok(());
            }
            Event::End(_) if skip > 0 => {
                skip -= 1;
                return Ok(());
            }
            _ if skip > 0 => return Ok(()),
            _ => {}
        }
        w.write_event(e.clone())
            .map_err(|e| Problem::Corrupt(e.to_string()))
    })?;
    Ok(w.into_inner())
}

/// Rewrites XML: subtrees named in `drop` go, elements in `unwrap` give
/// way to their content, and runs (`w:r`) marked hidden go whole.
fn filter_xml(
    data: &[u8],
    depth: usize,
    name: &str,
    drop: impl Fn(&[u8]) -> bool,
    unwrap: &[&[u8]],
    changed: &mut usize,
) -> Result<Vec<u8>, Problem> {
    let mut w = quick_xml::Writer::new(Vec::new());
    let mut skip = 0usize;
    let mut run: Option<(Vec<Event<'static>>, bool)> = None;
    let write = |w: &mut quick_xml::Writer<Vec<u8>>, e: Event<'_>| {
        w.write_event(e)
            .map_err(|e| Problem::Corrupt(e.to_string()))
    };
    read_xml(data, depth, name, |e, _| {
        if skip > 0 {
            match e {
                Event::Start(_) => skip += 1,
                Event::End(_) => skip -= 1,
                _ => {}
            }
            return Ok(());
        }
        let name = match e {
            Event::Start(s) | Event::Empty(s) => Some(local(s).to_vec()),
            Event::End(end) => Some(end.local_name().as_ref().to_vec()),
            _ => None,
        };
        if let Some(n) = &name {
            if drop(n) {
                *changed += 1;
                if matches!(e, Event::Start(_)) {
                    skip = 1;
                }
                return Ok(());
            }
            if unwrap.contains(&n.as_slice()) {
                if matches!(e, Event::Start(_) | Event::Empty(_)) {
                    *changed += 1;
                }
                return Ok(());
            }
        }
        match (e, &mut run) {
            (Event::Start(_), None) if name.as_deref() == Some(b"r") => {
                run = Some((vec![e.clone().into_owned()], false));
                Ok(())
            }
            (Event::End(_), Some(_)) if name.as_deref() == Some(b"r") => {
                if let Some((mut events, hidden)) = run.take() {
                    if hidden {
                        *changed += 1;
                    } else {
                        events.push(e.clone().into_owned());
                        for ev in events {
                            write(&mut w, ev)?;
                        }
                    }
                }
                Ok(())
            }
            (_, Some((events, hidden))) => {
                if let Event::Start(s) | Event::Empty(s) = e {
                    if matches!(local(s), b"vanish" | b"specVanish")
                        && !attr(s, b"val").is_some_and(|v| v == "0" || v == "false")
                    {
                        *hidden = true;
                    }
                }
                events.push(e.clone().into_owned());
                Ok(())
            }
            _ => write(&mut w, e.clone()),
        }
    })?;
    Ok(w.into_inner())
}

fn pdf(bytes: &[u8]) -> Result<Cleaned, String> {
    let mut doc =
        lopdf::Document::load_mem(bytes).map_err(|e| format!("not a readable PDF: {e}"))?;
    if doc.is_encrypted() {
        return Err("an encrypted PDF cannot be cleaned: attach it without a password".into());
    }
    let mut removed = Vec::new();
    if doc.trailer.remove(b"Info").is_some() {
        removed.push("the document information".to_string());
    }
    if let Ok(catalog) = doc.catalog_mut() {
        if catalog.remove(b"Metadata").is_some() {
            removed.push("XMP metadata".into());
        }
        catalog.remove(b"OpenAction");
    }
    let names = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Names").ok().cloned());
    if let Some(names) = names {
        let mut dict = match names {
            lopdf::Object::Reference(id) => doc.get_dictionary(id).ok().cloned(),
            lopdf::Object::Dictionary(d) => Some(d),
            _ => None,
        }
        .unwrap_or_default();
        if dict.remove(b"EmbeddedFiles").is_some() {
            removed.push("files attached inside the PDF".into());
        }
        if dict.remove(b"JavaScript").is_some() {
            removed.push("scripts".into());
        }
        if let Ok(catalog) = doc.catalog_mut() {
            catalog.set("Names", lopdf::Object::Dictionary(dict));
        }
    }
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().values().copied().collect();
    let mut annotations = 0usize;
    for page in pages {
        let annots: Vec<lopdf::Object> = doc
            .get_dictionary(page)
            .ok()
            .and_then(|p| p.get(b"Annots").ok())
            .and_then(|a| match a {
                lopdf::Object::Array(items) => Some(items.clone()),
                lopdf::Object::Reference(id) => doc
                    .get_object(*id)
                    .ok()
                    .and_then(|o| o.as_array().ok().cloned()),
                _ => None,
            })
            .unwrap_or_default();
        // Links and form fields stay; redaction marks stay too, because
        // taking the mark away would leave the text it marks.
        let keep: Vec<lopdf::Object> = annots
            .into_iter()
            .filter(|o| {
                let d = match o {
                    lopdf::Object::Reference(id) => doc.get_dictionary(*id).ok(),
                    lopdf::Object::Dictionary(d) => Some(d),
                    _ => None,
                };
                let subtype = d
                    .and_then(|d| d.get(b"Subtype").ok())
                    .and_then(|s| s.as_name().ok());
                let keep = matches!(subtype, Some(b"Link" | b"Widget" | b"Redact"));
                if !keep {
                    annotations += 1;
                }
                keep
            })
            .collect();
        if let Ok(p) = doc.get_dictionary_mut(page) {
            if keep.is_empty() {
                p.remove(b"Annots");
            } else {
                p.set("Annots", lopdf::Object::Array(keep));
            }
        }
    }
    if annotations > 0 {
        removed.push(format!("{annotations} annotations"));
    }
    doc.prune_objects();
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| format!("writing the cleaned PDF: {e}"))?;
    removed.push("earlier revisions (saved afresh)".into());
    Ok(Cleaned {
        bytes: out,
        removed,
    })
}

fn jpeg(bytes: &[u8]) -> Result<Cleaned, String> {
    let segments = image::jpeg_segments(bytes).ok_or("not a well-formed JPEG")?;
    let data_start = segments.last().map_or(2, |s| s.end);
    let mut out = vec![0xFF, 0xD8];
    let mut removed = Vec::new();
    for s in &segments {
        // APP0 (JFIF), APP2 (colour profile) and APP14 (Adobe colour) stay.
        let metadata = matches!(s.marker, 0xE1 | 0xE3..=0xED | 0xEF | 0xFE);
        if metadata {
            removed.push(if s.marker == 0xFE {
                "a comment".to_string()
            } else {
                format!("APP{} metadata", s.marker - 0xE0)
            });
        } else {
            out.extend_from_slice(bytes.get(s.start..s.end).unwrap_or_default());
        }
    }
    out.extend_from_slice(bytes.get(data_start..).unwrap_or_default());
    removed.dedup();
    Ok(Cleaned {
        bytes: out,
        removed,
    })
}

fn png(bytes: &[u8]) -> Result<Cleaned, String> {
    let chunks = image::png_chunks(bytes).ok_or("not a well-formed PNG")?;
    let mut out = bytes.get(..8).unwrap_or_default().to_vec();
    let mut removed = Vec::new();
    for c in &chunks {
        if matches!(&c.kind, b"tEXt" | b"iTXt" | b"zTXt" | b"eXIf" | b"tIME") {
            removed.push(format!("a {} chunk", String::from_utf8_lossy(&c.kind)));
        } else {
            out.extend_from_slice(bytes.get(c.start..c.end).unwrap_or_default());
        }
    }
    Ok(Cleaned {
        bytes: out,
        removed,
    })
}
