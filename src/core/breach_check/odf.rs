//! OpenDocument (ods, odt, odp): hidden sheets (a table style with
//! `table:display="false"`), collapsed or filtered rows and columns,
//! annotations, tracked changes, hidden text and sections, data pilot
//! tables (pivot tables), external data sources, embedded objects and
//! macros, and the creator in `meta.xml`.

use std::collections::BTreeSet;

use quick_xml::events::Event;

use super::archive::{self, attr, local, text_of, Archive};
use super::personal_data::Scanner;
use super::{excerpt, some_of, FindingKind, Findings, Problem};

type Failed = (String, Problem);

/// Repeats are capped so `number-rows-repeated="1048576"` on an empty
/// filler row costs nothing.
const MAX_REPEAT: u32 = 1_048_576;

pub(crate) fn inspect(
    a: &mut Archive,
    out: &mut Findings,
    scan: &mut Scanner,
) -> Result<(), Failed> {
    let names = a.names().to_vec();
    let objects: BTreeSet<String> = names
        .iter()
        .filter(|n| n.starts_with("Object ") || n.starts_with("ObjectReplacements/"))
        .filter_map(|n| n.split('/').next().map(str::to_string))
        .collect();
    if !objects.is_empty() {
        let list: Vec<String> = objects.into_iter().collect();
        out.push(
            FindingKind::EmbeddedObject,
            "the package",
            format!("{} embedded objects ({})", list.len(), some_of(&list, 5)),
        );
    }
    if names
        .iter()
        .any(|n| n.starts_with("Basic/") || n.starts_with("Scripts/"))
    {
        out.push(FindingKind::Macros, "Basic/", "a macro library".into());
    }
    meta(a, out)?;
    content(a, out, scan)
}

fn meta(a: &mut Archive, out: &mut Findings) -> Result<(), Failed> {
    let name_of = |s: &quick_xml::events::BytesStart<'_>| match local(s) {
        name @ (b"initial-creator" | b"creator" | b"subject" | b"keyword" | b"description") => {
            Some(String::from_utf8_lossy(name).into_owned())
        }
        b"user-defined" => attr(s, b"name"),
        _ => None,
    };
    archive::properties(a, "meta.xml", name_of, out).map_err(|p| ("meta.xml".to_string(), p))
}

fn repeat(s: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> u32 {
    attr(s, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1u32)
        .clamp(1, MAX_REPEAT)
}

#[derive(Default)]
struct Table {
    name: String,
    hidden: bool,
    row: u32,
    col: u32,
    row_hidden: bool,
    row_repeat: u32,
    hidden_cols: BTreeSet<u32>,
    col_cursor: u32,
    filled: u64,
    hidden_rows_with_data: BTreeSet<u32>,
    hidden_cols_with_data: BTreeSet<u32>,
}

fn content(a: &mut Archive, out: &mut Findings, scan: &mut Scanner) -> Result<(), Failed> {
    let mut hidden_styles: BTreeSet<String> = BTreeSet::new();
    let mut style: Option<String> = None;
    let mut table: Option<Table> = None;
    let mut tables: Vec<Table> = Vec::new();
    let mut cell = String::new();
    let mut cell_repeat = 1u32;
    let (mut in_cell, mut annotation_depth, mut in_changes, mut hidden_depth) =
        (false, 0usize, false, 0usize);
    let mut annotations = (0usize, String::new());
    let mut changes = 0usize;
    let mut hidden_text = String::new();
    let mut pilots = Vec::new();
    let mut external = Vec::new();
    let mut text = String::new();
    let mut para = String::new();
    a.xml("content.xml", |e, depth| {
        match e {
            Event::Start(s) | Event::Empty(s) => {
                let empty = matches!(e, Event::Empty(_));
                match local(s) {
                    b"style" => style = attr(s, b"name"),
                    b"table-properties" if attr(s, b"display").is_some_and(|d| d == "false") => {
                        hidden_styles.extend(style.clone());
                    }
                    b"table" if !empty => {
                        table = Some(Table {
                            name: attr(s, b"name").unwrap_or_default(),
                            hidden: attr(s, b"style-name")
                                .is_some_and(|n| hidden_styles.contains(&n)),
                            ..Table::default()
                        })
                    }
                    b"table-column" => {
                        if let Some(t) = table.as_mut() {
                            let n = repeat(s, b"number-columns-repeated");
                            let hidden = attr(s, b"visibility").is_some_and(|v| v != "visible");
                            for c in 0..n.min(16_384) {
                                if hidden {
                                    t.hidden_cols.insert(t.col_cursor + c + 1);
                                }
                            }
                            t.col_cursor += n;
                        }
                    }
                    b"table-row" => {
                        if let Some(t) = table.as_mut() {
                            t.row_hidden = attr(s, b"visibility").is_some_and(|v| v != "visible");
                            t.row_repeat = repeat(s, b"number-rows-repeated");
                            t.row += 1;
                            t.col = 0;
                        }
                    }
                    b"table-cell" | b"covered-table-cell" => {
                        cell_repeat = repeat(s, b"number-columns-repeated");
                        cell.clear();
                        in_cell = !empty;
                        if empty {
                            if let Some(t) = table.as_mut() {
                                t.col += cell_repeat;
                            }
                        }
                    }
                    b"annotation" if !empty => {
                        annotation_depth = depth;
                        annotations.0 += 1;
                    }
                    b"tracked-changes" if !empty => in_changes = true,
                    b"changed-region" => changes += 1,
                    b"hidden-text" | b"hidden-paragraph" => {
                        if let Some(v) = attr(s, b"string-value") {
                            hidden_text.push_str(&v);
                            hidden_text.push('\n');
                        }
                        if !empty && hidden_depth == 0 {
                            hidden_depth = depth;
                        }
                    }
                    b"section" if attr(s, b"display").is_some_and(|d| d == "none") && !empty => {
                        hidden_depth = depth;
                    }
                    b"data-pilot-table" => pilots.extend(attr(s, b"name")),
                    b"table-source"
                    | b"database-source-sql"
                    | b"database-source-table"
                    | b"database-source-query" => external.push(
                        attr(s, b"href")
                            .or_else(|| attr(s, b"database-name"))
                            .unwrap_or_else(|| String::from_utf8_lossy(local(s)).into_owned()),
                    ),
                    b"tab" | b"s" | b"line-break" => para.push(' '),
                    _ => {}
                }
            }
            Event::End(end) => {
                match end.local_name().as_ref() {
                    b"table" => tables.extend(table.take()),
                    b"annotation" => annotation_depth = 0,
                    b"tracked-changes" => in_changes = false,
                    b"p" | b"h" => {
                        if annotation_depth > 0 {
                            annotations.1.push_str(&para);
                            annotations.1.push('\n');
                        } else if in_cell {
                            if !cell.is_empty() {
                                cell.push('\n');
                            }
                            cell.push_str(&para);
                        } else if hidden_depth > 0 {
                            hidden_text.push_str(&para);
                            hidden_text.push('\n');
                        } else if !in_changes {
                            text.push_str(&para);
                            text.push('\n');
                        }
                        para.clear();
                    }
                    b"table-cell" | b"covered-table-cell" => {
                        in_cell = false;
                        if let Some(t) = table.as_mut() {
                            let value = cell.trim().to_string();
                            for _ in 0..cell_repeat {
                                t.col += 1;
                                if value.is_empty() {
                                    continue;
                                }
                                t.filled += u64::from(t.row_repeat);
                                if t.row_hidden {
                                    t.hidden_rows_with_data.insert(t.row);
                                }
                                if t.hidden_cols.contains(&t.col) {
                                    t.hidden_cols_with_data.insert(t.col);
                                }
                                scan.cell(&format!("sheet '{}'", t.name), t.row, t.col, &value);
                            }
                        }
                    }
                    b"table-row" => {
                        if let Some(t) = table.as_mut() {
                            t.row += t.row_repeat.saturating_sub(1);
                        }
                    }
                    _ => {}
                }
                if hidden_depth == depth {
                    hidden_depth = 0;
                }
            }
            _ => {
                if let Some(t) = text_of(e) {
                    para.push_str(&t);
                }
            }
        }
        Ok(())
    })
    .map_err(|p| ("content.xml".to_string(), p))?;
    scan.text("the document text", &text);
    for t in &tables {
        let label = format!("sheet '{}'", t.name);
        if t.hidden {
            out.push(
                FindingKind::HiddenSheet,
                &label,
                format!("hidden from view; it holds {} filled cells", t.filled),
            );
        }
        if !t.hidden_rows_with_data.is_empty() {
            let rows: Vec<String> = t.hidden_rows_with_data.iter().map(u32::to_string).collect();
            out.push(
                FindingKind::HiddenRows,
                &format!("{label}, rows {}", some_of(&rows, 8)),
                format!("{} hidden rows hold data", rows.len()),
            );
        }
        if !t.hidden_cols_with_data.is_empty() {
            let cols: Vec<String> = t
                .hidden_cols_with_data
                .iter()
                .map(|c| super::personal_data::column_letters(*c))
                .collect();
            out.push(
                FindingKind::HiddenColumns,
                &format!("{label}, columns {}", some_of(&cols, 8)),
                format!("{} hidden columns hold data", cols.len()),
            );
        }
    }
    if annotations.0 > 0 {
        scan.text("comments", &annotations.1);
        out.push(
            FindingKind::Comments,
            "content.xml",
            format!(
                "{} comments: \"{}\"",
                annotations.0,
                excerpt(annotations.1.trim(), 60)
            ),
        );
    }
    if changes > 0 {
        out.push(
            FindingKind::TrackedChanges,
            "content.xml",
            format!("{changes} recorded changes not accepted or rejected"),
        );
    }
    if !hidden_text.trim().is_empty() {
        scan.text("hidden text", &hidden_text);
        out.push(
            FindingKind::HiddenText,
            "content.xml",
            format!("hidden text or sections: \"{}\"", excerpt(&hidden_text, 60)),
        );
    }
    if !pilots.is_empty() {
        out.push(
            FindingKind::PivotCache,
            "content.xml",
            format!(
                "pivot tables ({}), whose source data travels with the file",
                some_of(&pilots, 4)
            ),
        );
    }
    if !external.is_empty() {
        out.push(
            FindingKind::ExternalData,
            "content.xml",
            some_of(&external, 4),
        );
    }
    Ok(())
}
