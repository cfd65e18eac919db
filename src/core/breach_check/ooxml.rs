//! Office Open XML (xlsx, docx, pptx): the parts where data hides. A
//! spreadsheet's hidden and very hidden sheets, hidden rows and columns,
//! pivot caches (a full copy of the source rows, kept even when the
//! source sheet is deleted), external links and data connections; a
//! document's tracked changes, hidden text and comments; a deck's hidden
//! slides and speaker notes; and, in all three, embedded objects, macros
//! and the properties that name people.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::Event;

use super::archive::{self, attr, local, text_of, Archive};
use super::personal_data::{column_letters, Scanner};
use super::{excerpt, image, sniff, some_of, FindingKind, Findings, Format, Problem};

type Failed = (String, Problem);

fn at(part: &str) -> impl Fn(Problem) -> Failed + '_ {
    move |p| (part.to_string(), p)
}

pub(crate) fn inspect(
    a: &mut Archive,
    out: &mut Findings,
    scan: &mut Scanner,
) -> Result<(), Failed> {
    properties(a, out)?;
    let names = a.names().to_vec();
    let embedded: Vec<String> = names
        .iter()
        .filter(|n| n.contains("/embeddings/") || n.contains("/activeX/"))
        .cloned()
        .collect();
    if !embedded.is_empty() {
        out.push(
            FindingKind::EmbeddedObject,
            "the package",
            format!(
                "{} embedded file{} ({}), which travel with the file and may hold anything",
                embedded.len(),
                if embedded.len() == 1 { "" } else { "s" },
                some_of(&embedded, 5)
            ),
        );
    }
    if let Some(vba) = names.iter().find(|n| n.ends_with("vbaProject.bin")) {
        out.push(FindingKind::Macros, vba, "a VBA macro project".into());
    }
    media(a, &names, out)?;
    if a.has("xl/workbook.xml") {
        workbook(a, out, scan)
    } else if a.has("word/document.xml") {
        document(a, out, scan)
    } else if a.has("ppt/presentation.xml") {
        presentation(a, out, scan)
    } else {
        Ok(())
    }
}

/// Pictures inside the package keep their own metadata (a photo pasted
/// into a report still has its GPS position).
fn media(a: &mut Archive, names: &[String], out: &mut Findings) -> Result<(), Failed> {
    for name in names.iter().filter(|n| n.contains("/media/")) {
        let Some(bytes) = a.read(name).map_err(at(name))? else {
            continue;
        };
        if matches!(
            sniff(&bytes),
            Format::Jpeg | Format::Png | Format::Tiff | Format::Webp
        ) {
            let mut inner = Findings::new(&out.file);
            image::inspect(&bytes, &mut inner);
            for f in inner.list {
                out.push(f.kind, &format!("{name}, {}", f.location), f.detail);
            }
        }
    }
    Ok(())
}

/// `docProps`: who wrote and last saved it, the company, custom fields.
fn properties(a: &mut Archive, out: &mut Findings) -> Result<(), Failed> {
    const PEOPLE: &[&[u8]] = &[
        b"creator",
        b"lastModifiedBy",
        b"subject",
        b"keywords",
        b"description",
        b"category",
        b"Company",
        b"Manager",
        b"HyperlinkBase",
    ];
    for part in ["docProps/core.xml", "docProps/app.xml"] {
        let name_of = |s: &quick_xml::events::BytesStart<'_>| {
            let name = local(s);
            PEOPLE
                .contains(&name)
                .then(|| String::from_utf8_lossy(name).into_owned())
        };
        archive::properties(a, part, name_of, out).map_err(at(part))?;
    }
    let mut custom = Vec::new();
    a.xml("docProps/custom.xml", |e, _| {
        if let Event::Start(s) | Event::Empty(s) = e {
            if local(s) == b"property" {
                if let Some(n) = attr(s, b"name") {
                    custom.push(n);
                }
            }
        }
        Ok(())
    })
    .map_err(at("docProps/custom.xml"))?;
    if !custom.is_empty() {
        out.push(
            FindingKind::DocumentProperties,
            "docProps/custom.xml",
            format!("custom properties: {}", some_of(&custom, 8)),
        );
    }
    Ok(())
}

/// Relationship ids to part names, for a part's `_rels` file.
fn relationships(a: &mut Archive, part: &str) -> Result<BTreeMap<String, String>, Failed> {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    let rels = if dir.is_empty() {
        format!("_rels/{file}.rels")
    } else {
        format!("{dir}/_rels/{file}.rels")
    };
    let mut map = BTreeMap::new();
    a.xml(&rels, |e, _| {
        if let Event::Start(s) | Event::Empty(s) = e {
            if local(s) == b"Relationship" {
                if let (Some(id), Some(target)) = (attr(s, b"Id"), attr(s, b"Target")) {
                    let external = attr(s, b"TargetMode").is_some_and(|m| m == "External");
                    map.insert(
                        id,
                        if external {
                            target
                        } else {
                            resolve(dir, &target)
                        },
                    );
                }
            }
        }
        Ok(())
    })
    .map_err(at(&rels))?;
    Ok(map)
}

/// A relationship target as a part name.
pub(crate) fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    } else {
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// A cell reference such as `AB12` as (row, column), 1-based.
pub(crate) fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let letters: String = r.chars().take_while(char::is_ascii_alphabetic).collect();
    let row: u32 = r.get(letters.len()..)?.parse().ok()?;
    let mut col = 0u32;
    for c in letters.chars() {
        col = col
            .checked_mul(26)?
            .checked_add(c.to_ascii_uppercase() as u32 - 'A' as u32 + 1)?;
    }
    (col > 0 && row > 0).then_some((row, col))
}

/// A list of row or column numbers as ranges: `5–9, 12`.
fn ranges(items: &BTreeSet<u32>, show: impl Fn(u32) -> String) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut iter = items.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        out.push(if start == end {
            show(start)
        } else {
            format!("{}–{}", show(start), show(end))
        });
    }
    some_of(&out, 8)
}

pub(crate) struct SheetEntry {
    pub(crate) name: String,
    pub(crate) state: String,
    pub(crate) part: Option<String>,
}

/// A workbook's sheets as the workbook lists them.
pub(crate) fn sheets(a: &mut Archive) -> Result<(Vec<SheetEntry>, Vec<String>), Failed> {
    let rels = relationships(a, "xl/workbook.xml")?;
    let mut sheets = Vec::new();
    let mut hidden_names = Vec::new();
    a.xml("xl/workbook.xml", |e, _| {
        if let Event::Start(s) | Event::Empty(s) = e {
            match local(s) {
                b"sheet" => sheets.push(SheetEntry {
                    name: attr(s, b"name").unwrap_or_default(),
                    state: attr(s, b"state").unwrap_or_else(|| "visible".into()),
                    part: attr(s, b"id").and_then(|id| rels.get(&id).cloned()),
                }),
                b"definedName" => {
                    let name = attr(s, b"name").unwrap_or_default();
                    if attr(s, b"hidden").is_some_and(|h| h == "1" || h == "true")
                        && !name.starts_with("_xlnm.")
                    {
                        hidden_names.push(name);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    })
    .map_err(at("xl/workbook.xml"))?;
    Ok((sheets, hidden_names))
}

/// The shared strings table, within its byte limit.
pub(crate) fn shared_strings(a: &mut Archive, max_bytes: u64) -> Result<Vec<String>, Failed> {
    let part = "xl/sharedStrings.xml";
    let mut strings = Vec::new();
    let mut current = String::new();
    let (mut in_t, mut in_phonetic) = (false, false);
    let mut kept = 0u64;
    a.xml(part, |e, _| {
        match e {
            Event::Start(s) => match local(s) {
                b"si" => current.clear(),
                b"t" => in_t = true,
                b"rPh" => in_phonetic = true,
                _ => {}
            },
            Event::Empty(s) if local(s) == b"si" => strings.push(String::new()),
            Event::End(e) => match e.local_name().as_ref() {
                b"si" => {
                    kept += current.len() as u64;
                    if kept > max_bytes {
                        return Err(Problem::Limit(format!(
                            "the shared strings are over {max_bytes} bytes ([breach_check.limits] max_shared_strings_bytes)"
                        )));
                    }
                    strings.push(std::mem::take(&mut current));
                }
                b"t" => in_t = false,
                b"rPh" => in_phonetic = false,
                _ => {}
            },
            _ => {
                if in_t && !in_phonetic {
                    if let Some(t) = text_of(e) {
                        current.push_str(&t);
                    }
                }
            }
        }
        Ok(())
    })
    .map_err(at(part))?;
    Ok(strings)
}

/// One cell as it streams past.
#[derive(Default)]
pub(crate) struct CellReader {
    pub(crate) row: u32,
    pub(crate) col: u32,
    kind: String,
    value: String,
    in_value: bool,
    pub(crate) row_hidden: bool,
    pub(crate) style: Option<u32>,
}

/// What a worksheet event meant.
pub(crate) enum SheetEvent {
    HiddenColumns(u32, u32),
    Cell(String),
    None,
}

impl CellReader {
    /// Feeds one event of a worksheet part.
    pub(crate) fn feed(&mut self, e: &Event<'_>, strings: &[String]) -> SheetEvent {
        match e {
            Event::Start(s) | Event::Empty(s) => {
                let empty = matches!(e, Event::Empty(_));
                match local(s) {
                    b"col" => {
                        let hidden = attr(s, b"hidden").is_some_and(|h| h == "1" || h == "true")
                            || attr(s, b"width").and_then(|w| w.parse::<f64>().ok()) == Some(0.0);
                        let min = attr(s, b"min").and_then(|v| v.parse().ok()).unwrap_or(0);
                        let max = attr(s, b"max").and_then(|v| v.parse().ok()).unwrap_or(min);
                        if hidden && min > 0 {
                            return SheetEvent::HiddenColumns(min, max.min(16_384));
                        }
                    }
                    b"row" => {
                        self.row = attr(s, b"r")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(self.row + 1);
                        self.col = 0;
                        self.row_hidden = attr(s, b"hidden")
                            .is_some_and(|h| h == "1" || h == "true")
                            || attr(s, b"ht").and_then(|w| w.parse::<f64>().ok()) == Some(0.0);
                    }
                    b"c" => {
                        match attr(s, b"r").and_then(|r| cell_ref(&r)) {
                            Some((row, col)) => {
                                self.row = row;
                                self.col = col;
                            }
                            None => self.col += 1,
                        }
                        self.kind = attr(s, b"t").unwrap_or_default();
                        self.style = attr(s, b"s").and_then(|v| v.parse().ok());
                        self.value.clear();
                        if empty {
                            return SheetEvent::None;
                        }
                    }
                    b"v" | b"t" if !empty => self.in_value = true,
                    _ => {}
                }
            }
            Event::End(end) => match end.local_name().as_ref() {
                b"v" | b"t" => self.in_value = false,
                b"c" => {
                    let v = std::mem::take(&mut self.value);
                    let value = if self.kind == "s" {
                        v.trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| strings.get(i).cloned())
                            .unwrap_or_default()
                    } else {
                        v
                    };
                    return SheetEvent::Cell(value);
                }
                _ => {}
            },
            _ => {
                if self.in_value {
                    if let Some(t) = text_of(e) {
                        self.value.push_str(&t);
                    }
                }
            }
        }
        SheetEvent::None
    }
}

fn workbook(a: &mut Archive, out: &mut Findings, scan: &mut Scanner) -> Result<(), Failed> {
    let (sheets, hidden_names) = sheets(a)?;
    if !hidden_names.is_empty() {
        out.push(
            FindingKind::HiddenName,
            "xl/workbook.xml",
            format!(
                "defined names hidden from the Name Manager: {}",
                some_of(&hidden_names, 5)
            ),
        );
    }
    let limits = a.limits().clone();
    let strings = shared_strings(a, limits.max_shared_strings_bytes)?;
    let max_cells = limits.max_cells;
    let mut cells_read = 0u64;
    for sheet in &sheets {
        let Some(part) = sheet.part.clone() else {
            continue;
        };
        let label = format!("sheet '{}'", sheet.name);
        let mut hidden_cols: BTreeSet<u32> = BTreeSet::new();
        let mut col_ranges: Vec<(u32, u32)> = Vec::new();
        let mut extent_rows: Option<(u32, u32)> = None;
        let mut hidden_rows: BTreeSet<u32> = BTreeSet::new();
        let mut filled = 0u64;
        let mut reader = CellReader::default();
        a.xml(&part, |e, _| {
            match reader.feed(e, &strings) {
                SheetEvent::HiddenColumns(lo, hi) => col_ranges.push((lo, hi)),
                SheetEvent::Cell(value) => {
                    cells_read += 1;
                    if cells_read > max_cells {
                        return Err(Problem::Limit(format!(
                            "more than {max_cells} cells ([breach_check.limits] max_cells)"
                        )));
                    }
                    if value.trim().is_empty() {
                        return Ok(());
                    }
                    filled += 1;
                    extent_rows = Some(extent_rows.map_or((reader.row, reader.row), |(lo, hi)| {
                        (lo.min(reader.row), hi.max(reader.row))
                    }));
                    if reader.row_hidden {
                        hidden_rows.insert(reader.row);
                    }
                    if col_ranges
                        .iter()
                        .any(|(lo, hi)| (*lo..=*hi).contains(&reader.col))
                    {
                        hidden_cols.insert(reader.col);
                    }
                    scan.cell(&label, reader.row, reader.col, &value);
                }
                SheetEvent::None => {}
            }
            Ok(())
        })
        .map_err(at(&part))?;
        let extent = extent_rows
            .map(|(lo, hi)| format!(", rows {lo}–{hi}"))
            .unwrap_or_default();
        match sheet.state.as_str() {
            "hidden" => out.push(
                FindingKind::HiddenSheet,
                &label,
                format!("hidden from view; it holds {filled} filled cells{extent}"),
            ),
            "veryHidden" => out.push(
                FindingKind::VeryHiddenSheet,
                &label,
                format!("very hidden (Excel's Unhide does not list it); it holds {filled} filled cells{extent}"),
            ),
            _ => {}
        }
        if !hidden_rows.is_empty() {
            out.push(
                FindingKind::HiddenRows,
                &format!("{label}, rows {}", ranges(&hidden_rows, |r| r.to_string())),
                format!("{} hidden rows hold data", hidden_rows.len()),
            );
        }
        if !hidden_cols.is_empty() {
            out.push(
                FindingKind::HiddenColumns,
                &format!("{label}, columns {}", ranges(&hidden_cols, column_letters)),
                format!("{} hidden columns hold data", hidden_cols.len()),
            );
        }
    }
    spreadsheet_extras(a, out, scan)
}

/// Comments, pivot caches and external data of a workbook.
fn spreadsheet_extras(
    a: &mut Archive,
    out: &mut Findings,
    scan: &mut Scanner,
) -> Result<(), Failed> {
    let names = a.names().to_vec();
    for part in names.iter().filter(|n| {
        (n.starts_with("xl/comments") || n.starts_with("xl/threadedComments/"))
            && n.ends_with(".xml")
    }) {
        comments(a, part, &[b"comment", b"threadedComment"], out, scan)?;
    }
    for part in names
        .iter()
        .filter(|n| n.starts_with("xl/pivotCache/pivotCacheDefinition") && n.ends_with(".xml"))
    {
        let (mut records, mut source, mut fields) = (None, String::new(), Vec::new());
        let pivot_label = format!("pivot cache {}", part.trim_start_matches("xl/pivotCache/"));
        let mut values: Vec<String> = Vec::new();
        a.xml(part, |e, _| {
            if let Event::Start(s) | Event::Empty(s) = e {
                match local(s) {
                    b"pivotCacheDefinition" => records = attr(s, b"recordCount"),
                    b"worksheetSource" => {
                        source = match (attr(s, b"sheet"), attr(s, b"ref"), attr(s, b"name")) {
                            (Some(sh), Some(r), _) => format!(" from sheet '{sh}' {r}"),
                            (Some(sh), None, _) => format!(" from sheet '{sh}'"),
                            (None, _, Some(n)) => format!(" from '{n}'"),
                            _ => String::new(),
                        }
                    }
                    b"cacheField" => fields.extend(attr(s, b"name")),
                    b"s" => values.extend(attr(s, b"v")),
                    _ => {}
                }
            }
            Ok(())
        })
        .map_err(at(part))?;
        for v in &values {
            scan.text(&pivot_label, v);
        }
        out.push(
            FindingKind::PivotCache,
            part,
            format!(
                "a copy of {} source rows{source} is kept in the file, even if the source is deleted (fields: {})",
                records.unwrap_or_else(|| "the".into()),
                some_of(&fields, 8)
            ),
        );
    }
    let mut external: Vec<String> = Vec::new();
    for part in names
        .iter()
        .filter(|n| n.starts_with("xl/externalLinks/externalLink") && n.ends_with(".xml"))
    {
        let rels = relationships(a, part)?;
        let targets: Vec<String> = rels.values().cloned().collect();
        external.push(format!(
            "a link to {}",
            if targets.is_empty() {
                "another workbook".into()
            } else {
                some_of(&targets, 2)
            }
        ));
    }
    a.xml("xl/connections.xml", |e, _| {
        if let Event::Start(s) | Event::Empty(s) = e {
            match local(s) {
                b"connection" => external.push(format!(
                    "data connection '{}'",
                    attr(s, b"name").unwrap_or_default()
                )),
                b"dbPr" if attr(s, b"connection").is_some() => {
                    external.push("a database connection string".into())
                }
                b"webPr" => external.extend(attr(s, b"url").map(|u| format!("a web query to {u}"))),
                _ => {}
            }
        }
        Ok(())
    })
    .map_err(at("xl/connections.xml"))?;
    if names.iter().any(|n| n.starts_with("xl/queryTables/")) {
        external.push("query tables".into());
    }
    if names.iter().any(|n| n.starts_with("xl/model/")) {
        external.push(
            "a data model (Power Pivot), which holds its own copy of the source tables".into(),
        );
    }
    for part in names
        .iter()
        .filter(|n| n.starts_with("customXml/item") && n.ends_with(".xml"))
    {
        let bytes = a.read(part).map_err(at(part))?.unwrap_or_default();
        if bytes.windows(10).any(|w| w == b"DataMashup") {
            external.push("Power Query queries, with their sources".into());
        }
    }
    if !external.is_empty() {
        out.push(
            FindingKind::ExternalData,
            "the workbook",
            some_of(&external, 6),
        );
    }
    Ok(())
}

/// A comments part: how many, by whom, and their text scanned.
fn comments(
    a: &mut Archive,
    part: &str,
    elements: &[&[u8]],
    out: &mut Findings,
    scan: &mut Scanner,
) -> Result<(), Failed> {
    let (mut count, mut authors, mut cells) = (0usize, BTreeSet::new(), Vec::new());
    let mut text = String::new();
    let mut in_author = false;
    a.xml(part, |e, _| {
        match e {
            Event::Start(s) | Event::Empty(s) => {
                let name = local(s);
                if elements.contains(&name) {
                    count += 1;
                    authors.extend(attr(s, b"author"));
                    cells.extend(attr(s, b"ref"));
                }
                in_author = name == b"author" && matches!(e, Event::Start(_));
            }
            Event::End(_) => {
                in_author = false;
                text.push('\n');
            }
            _ => {
                if let Some(t) = text_of(e) {
                    if in_author {
                        authors.insert(t);
                    } else {
                        text.push_str(&t);
                    }
                }
            }
        }
        Ok(())
    })
    .map_err(at(part))?;
    if count == 0 {
        return Ok(());
    }
    scan.text("comments", &text);
    let authors: Vec<String> = authors.into_iter().collect();
    let mut detail = format!("{count} comment{}", if count == 1 { "" } else { "s" });
    if !cells.is_empty() {
        detail.push_str(&format!(" (cells {})", some_of(&cells, 6)));
    }
    if !authors.is_empty() {
        detail.push_str(&format!(" by {}", some_of(&authors, 4)));
    }
    let first = excerpt(text.trim(), 60);
    if !first.is_empty() {
        detail.push_str(&format!(": \"{first}\""));
    }
    out.push(FindingKind::Comments, part, detail);
    Ok(())
}

/// Word: text, tracked changes, hidden text, comments.
fn document(a: &mut Archive, out: &mut Findings, scan: &mut Scanner) -> Result<(), Failed> {
    let names = a.names().to_vec();
    let parts = names.iter().filter(|n| {
        n.as_str() == "word/document.xml"
            || ((n.starts_with("word/header") || n.starts_with("word/footer"))
                && n.ends_with(".xml"))
            || n.as_str() == "word/footnotes.xml"
            || n.as_str() == "word/endnotes.xml"
    });
    let mut changes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut change_authors: BTreeSet<String> = BTreeSet::new();
    let mut deleted = String::new();
    let mut hidden = String::new();
    for part in parts {
        let label = if part == "word/document.xml" {
            "the document text".to_string()
        } else {
            part.clone()
        };
        let mut paragraph = String::new();
        let mut run = String::new();
        let (mut in_run, mut run_hidden, mut in_text, mut in_deleted) =
            (false, false, false, false);
        let mut text = String::new();
        a.xml(part, |e, _| {
            match e {
                Event::Start(s) | Event::Empty(s) => {
                    let empty = matches!(e, Event::Empty(_));
                    match local(s) {
                        b"r" if !empty => {
                            in_run = true;
                            run_hidden = false;
                            run.clear();
                        }
                        b"vanish" | b"specVanish" if in_run => {
                            run_hidden = !attr(s, b"val").is_some_and(|v| v == "0" || v == "false")
                        }
                        b"t" if !empty => in_text = true,
                        b"delText" if !empty => in_deleted = true,
                        name @ (b"ins" | b"del" | b"moveFrom" | b"moveTo" | b"rPrChange"
                        | b"pPrChange") => {
                            let kind = match name {
                                b"ins" => "insertions",
                                b"del" => "deletions",
                                b"moveFrom" | b"moveTo" => "moves",
                                _ => "formatting changes",
                            };
                            *changes.entry(kind).or_default() += 1;
                            change_authors.extend(attr(s, b"author"));
                        }
                        b"tab" | b"br" => run.push(' '),
                        _ => {}
                    }
                }
                Event::End(end) => match end.local_name().as_ref() {
                    b"t" => in_text = false,
                    b"delText" => {
                        in_deleted = false;
                        deleted.push(' ');
                    }
                    b"r" => {
                        in_run = false;
                        if run_hidden {
                            hidden.push_str(&run);
                            hidden.push('\n');
                        } else {
                            paragraph.push_str(&run);
                        }
                    }
                    b"p" => {
                        text.push_str(&paragraph);
                        text.push('\n');
                        paragraph.clear();
                    }
                    _ => {}
                },
                _ => {
                    if let Some(t) = text_of(e) {
                        if in_deleted {
                            deleted.push_str(&t);
                        } else if in_text {
                            run.push_str(&t);
                        }
                    }
                }
            }
            Ok(())
        })
        .map_err(at(part))?;
        scan.text(&label, &text);
    }
    if !changes.is_empty() {
        let counts: Vec<String> = changes.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let mut detail = format!("{} not accepted or rejected", counts.join(", "));
        if !change_authors.is_empty() {
            let a: Vec<String> = change_authors.into_iter().collect();
            detail.push_str(&format!(", by {}", some_of(&a, 4)));
        }
        if !deleted.trim().is_empty() {
            detail.push_str(&format!(
                "; deleted text still in the file: \"{}\"",
                excerpt(&deleted, 60)
            ));
            scan.text("deleted text", &deleted);
        }
        out.push(FindingKind::TrackedChanges, "word/document.xml", detail);
    }
    if !hidden.trim().is_empty() {
        out.push(
            FindingKind::HiddenText,
            "word/document.xml",
            format!("text formatted as hidden: \"{}\"", excerpt(&hidden, 60)),
        );
        scan.text("hidden text", &hidden);
    }
    if a.has("word/comments.xml") {
        comments(a, "word/comments.xml", &[b"comment"], out, scan)?;
    }
    Ok(())
}

/// The text of a DrawingML part (slides, notes), paragraph by paragraph.
fn drawing_text(a: &mut Archive, part: &str) -> Result<(String, bool), Failed> {
    let (mut text, mut hidden, mut in_t, mut in_field) = (String::new(), false, false, false);
    a.xml(part, |e, depth| {
        match e {
            Event::Start(s) | Event::Empty(s) => match local(s) {
                b"sld" if depth == 1 => {
                    hidden = attr(s, b"show").is_some_and(|v| v == "0" || v == "false")
                }
                b"t" => in_t = matches!(e, Event::Start(_)),
                b"fld" => in_field = matches!(e, Event::Start(_)),
                _ => {}
            },
            Event::End(end) => match end.local_name().as_ref() {
                b"t" => in_t = false,
                b"fld" => in_field = false,
                b"p" => text.push('\n'),
                _ => {}
            },
            _ => {
                if in_t && !in_field {
                    if let Some(t) = text_of(e) {
                        text.push_str(&t);
                    }
                }
            }
        }
        Ok(())
    })
    .map_err(at(part))?;
    Ok((text, hidden))
}

fn number_in(part: &str) -> u32 {
    let digits: String = part.chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// PowerPoint: slide text, hidden slides, speaker notes, comments.
fn presentation(a: &mut Archive, out: &mut Findings, scan: &mut Scanner) -> Result<(), Failed> {
    let mut names = a.names().to_vec();
    names.sort_by_key(|n| number_in(n));
    let mut hidden_slides = BTreeSet::new();
    let mut noted = BTreeSet::new();
    let mut notes_text = String::new();
    for part in &names {
        if part.starts_with("ppt/slides/slide") && part.ends_with(".xml") {
            let (text, hidden) = drawing_text(a, part)?;
            let n = number_in(part);
            if hidden {
                hidden_slides.insert(n);
            }
            scan.text(&format!("slide {n}"), &text);
        } else if part.starts_with("ppt/notesSlides/notesSlide") && part.ends_with(".xml") {
            let (text, _) = drawing_text(a, part)?;
            if !text.trim().is_empty() {
                noted.insert(number_in(part));
                notes_text.push_str(&text);
                scan.text("speaker notes", &text);
            }
        } else if part.starts_with("ppt/comments/") && part.ends_with(".xml") {
            comments(a, part, &[b"cm"], out, scan)?;
        }
    }
    if !hidden_slides.is_empty() {
        out.push(
            FindingKind::HiddenSlide,
            &format!("slides {}", ranges(&hidden_slides, |n| n.to_string())),
            "hidden in the slide show, but in the file".into(),
        );
    }
    if !noted.is_empty() {
        out.push(
            FindingKind::SpeakerNotes,
            "ppt/notesSlides",
            format!(
                "{} notes pages with text: \"{}\"",
                noted.len(),
                excerpt(notes_text.trim(), 60)
            ),
        );
    }
    Ok(())
}
