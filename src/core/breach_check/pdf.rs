//! PDF: document information and XMP metadata, annotations (comments,
//! highlights, stamps), redactions marked but never applied, embedded
//! files, scripts, earlier revisions kept by incremental saves, and text
//! that is covered by a filled black box (or drawn in black on one, as a
//! black highlight does), which looks redacted on screen and copies out
//! whole.

use lopdf::content::Content;
use lopdf::{decode_text_string, Dictionary, Document, Object};

use super::personal_data::Scanner;
use std::io::Read;

use super::{excerpt, some_of, FindingKind, Findings, Limits};

pub(crate) fn inspect(bytes: &[u8], limits: &Limits, out: &mut Findings, scan: &mut Scanner) {
    let revisions = revisions(bytes);
    if revisions > 1 {
        out.push(
            FindingKind::EarlierRevisions,
            "the whole file",
            format!("{revisions} revisions saved one over another; what a later revision removed can still be read from an earlier one"),
        );
    }
    let doc = match Document::load_mem(bytes) {
        Ok(d) => d,
        Err(e) => {
            out.push(
                FindingKind::Unreadable,
                "the whole file",
                format!("not a readable PDF: {e}"),
            );
            return;
        }
    };
    if doc.is_encrypted() || doc.was_encrypted() {
        out.push(
            FindingKind::NotInspectable,
            "the whole file",
            "an encrypted PDF, which foid cannot look inside: attach it without a password".into(),
        );
        return;
    }
    if let Err(why) = streams_within(&doc, limits) {
        out.push(FindingKind::LimitExceeded, "the whole file", why);
        return;
    }
    info(&doc, out);
    catalog(&doc, out);
    for (number, page) in doc.get_pages() {
        let label = format!("page {number}");
        if let Ok(text) = doc.extract_text(&[number]) {
            scan.text(&label, &text);
        }
        annotations(&doc, page, &label, out, scan);
        if let Ok(content) = doc.get_page_content(page) {
            if let Ok(content) = Content::decode(&content) {
                covered_text(&content, &label, out);
            }
        }
    }
}

/// Every deflated stream unpacks within the limits: lopdf would unpack a
/// page's content whole, so a bomb is caught here first.
fn streams_within(doc: &Document, limits: &Limits) -> Result<(), String> {
    let mut total = 0u64;
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        if !stream
            .filters()
            .is_ok_and(|f| f.contains(&b"FlateDecode".as_slice()))
        {
            continue;
        }
        let budget = limits.max_unpacked_bytes.saturating_sub(total);
        let mut reader = flate2::read::ZlibDecoder::new(stream.content.as_slice()).take(budget + 1);
        let n = std::io::copy(&mut reader, &mut std::io::sink()).unwrap_or(0);
        total += n;
        let packed = (stream.content.len() as u64).max(1);
        if total > limits.max_unpacked_bytes {
            return Err(format!(
                "its streams unpack to more than {} bytes ([breach_check.limits] max_unpacked_bytes)",
                limits.max_unpacked_bytes
            ));
        }
        if n > 1024 * 1024 && n / packed > limits.max_compression_ratio {
            return Err(format!(
                "a stream unpacks to more than {} times its packed size: a PDF bomb, or built to look like one ([breach_check.limits] max_compression_ratio)",
                limits.max_compression_ratio
            ));
        }
    }
    Ok(())
}

/// Revisions: one `%%EOF` per save (two in a linearised file's first).
fn revisions(bytes: &[u8]) -> usize {
    let eofs = bytes.windows(5).filter(|w| *w == b"%%EOF").count();
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    let linearised = head.windows(11).any(|w| w == b"/Linearized");
    if linearised {
        eofs.saturating_sub(1)
    } else {
        eofs
    }
}

fn text(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<String> {
    let obj = dict.get_deref(key, doc).ok()?;
    decode_text_string(obj)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

fn info(doc: &Document, out: &mut Findings) {
    let Ok(info) = doc
        .trailer
        .get_deref(b"Info", doc)
        .and_then(Object::as_dict)
    else {
        return;
    };
    const STANDARD: &[&[u8]] = &[
        b"Title",
        b"Creator",
        b"Producer",
        b"CreationDate",
        b"ModDate",
        b"Trapped",
    ];
    let mut found = Vec::new();
    for (key, _) in info.iter() {
        if STANDARD.contains(&key.as_slice()) {
            continue;
        }
        if let Some(v) = text(doc, info, key) {
            found.push(format!(
                "{} = {}",
                String::from_utf8_lossy(key),
                excerpt(&v, 60)
            ));
        }
    }
    if !found.is_empty() {
        out.push(
            FindingKind::DocumentProperties,
            "document information",
            found.join("; "),
        );
    }
}

fn catalog(doc: &Document, out: &mut Findings) {
    let Ok(catalog) = doc.catalog() else { return };
    if let Ok(meta) = catalog
        .get_deref(b"Metadata", doc)
        .and_then(Object::as_stream)
    {
        let xmp = meta
            .decompressed_content()
            .unwrap_or_else(|_| meta.content.clone());
        let xmp = String::from_utf8_lossy(&xmp);
        let people: Vec<String> = [
            "dc:creator",
            "pdf:Author",
            "xmpMM:Manager",
            "photoshop:AuthorsPosition",
        ]
        .iter()
        .filter(|t| xmp.contains(&format!("<{t}")))
        .map(|t| t.to_string())
        .collect();
        if !people.is_empty() {
            out.push(
                FindingKind::DocumentProperties,
                "XMP metadata",
                format!("names people in {}", people.join(", ")),
            );
        }
    }
    let Ok(names) = catalog.get_deref(b"Names", doc).and_then(Object::as_dict) else {
        return;
    };
    if let Ok(files) = names
        .get_deref(b"EmbeddedFiles", doc)
        .and_then(Object::as_dict)
    {
        let listed: Vec<String> = files
            .get_deref(b"Names", doc)
            .and_then(Object::as_array)
            .map(|a| {
                a.iter()
                    .step_by(2)
                    .filter_map(|o| decode_text_string(o).ok())
                    .collect()
            })
            .unwrap_or_default();
        out.push(
            FindingKind::EmbeddedObject,
            "embedded files",
            if listed.is_empty() {
                "files are attached inside the PDF".into()
            } else {
                format!(
                    "{} files attached inside the PDF: {}",
                    listed.len(),
                    some_of(&listed, 5)
                )
            },
        );
    }
    if names.has(b"JavaScript") {
        out.push(
            FindingKind::Macros,
            "document scripts",
            "JavaScript that runs when the PDF is opened".into(),
        );
    }
}

fn annotations(
    doc: &Document,
    page: lopdf::ObjectId,
    label: &str,
    out: &mut Findings,
    scan: &mut Scanner,
) {
    let Ok(annots) = doc.get_page_annotations(page) else {
        return;
    };
    let (mut kinds, mut authors, mut redactions, mut files) = (Vec::new(), Vec::new(), 0, 0);
    let mut contents = String::new();
    for a in annots {
        let subtype = a
            .get(b"Subtype")
            .and_then(Object::as_name)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        match subtype.as_str() {
            "Link" | "Widget" | "Popup" => continue,
            "Redact" => redactions += 1,
            "FileAttachment" => files += 1,
            _ => kinds.push(subtype),
        }
        authors.extend(text(doc, a, b"T"));
        if let Some(c) = text(doc, a, b"Contents") {
            contents.push_str(&c);
            contents.push('\n');
        }
    }
    if redactions > 0 {
        out.push(
            FindingKind::UnappliedRedaction,
            label,
            format!("{redactions} redaction marks not applied: the text under them is still in the file"),
        );
    }
    if files > 0 {
        out.push(
            FindingKind::EmbeddedObject,
            label,
            format!("{files} files attached to the page"),
        );
    }
    if !kinds.is_empty() {
        kinds.sort();
        kinds.dedup();
        authors.sort();
        authors.dedup();
        let mut detail = format!("annotations ({})", some_of(&kinds, 5));
        if !authors.is_empty() {
            detail.push_str(&format!(" by {}", some_of(&authors, 3)));
        }
        if !contents.trim().is_empty() {
            detail.push_str(&format!(": \"{}\"", excerpt(&contents, 60)));
        }
        out.push(FindingKind::Annotations, label, detail);
    }
    scan.text(&format!("{label} annotations"), &contents);
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn multiply(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn numbers(ops: &[Object]) -> Vec<f32> {
    ops.iter().filter_map(|o| o.as_float().ok()).collect()
}

fn matrix(ops: &[Object]) -> Option<Matrix> {
    let n = numbers(ops);
    match n.as_slice() {
        [a, b, c, d, e, f] => Some([*a, *b, *c, *d, *e, *f]),
        _ => None,
    }
}

/// Dark enough to hide text: grey, RGB or CMYK operands.
fn dark(ops: &[Object]) -> bool {
    match numbers(ops).as_slice() {
        [g] => *g <= 0.15,
        [r, g, b] => *r <= 0.15 && *g <= 0.15 && *b <= 0.15,
        [c, m, y, k] => *k >= 0.85 || (*c >= 0.85 && *m >= 0.85 && *y >= 0.85),
        _ => false,
    }
}

struct Shown {
    at: usize,
    x: f32,
    y: f32,
    text: String,
    /// Drawn in a dark colour (black on a black box is invisible too).
    dark: bool,
}

fn shown_text(ops: &[Object]) -> String {
    let mut s = String::new();
    for o in ops {
        match o {
            Object::String(bytes, _) => s.push_str(&String::from_utf8_lossy(bytes)),
            Object::Array(items) => s.push_str(&shown_text(items)),
            _ => {}
        }
    }
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Text whose start lies inside a dark filled rectangle painted over it,
/// or painted under it when the text is dark too (a black highlight).
fn covered_text(
    content: &Content<Vec<lopdf::content::Operation>>,
    label: &str,
    out: &mut Findings,
) {
    let mut ctm = IDENTITY;
    let mut stack: Vec<(Matrix, bool)> = Vec::new();
    let mut fill_dark = true; // the initial fill colour is black
    let (mut tm, mut tlm, mut leading) = (IDENTITY, IDENTITY, 0.0f32);
    let mut path: Vec<(f32, f32, f32, f32)> = Vec::new();
    let mut boxes: Vec<(usize, (f32, f32, f32, f32))> = Vec::new();
    let mut shown: Vec<Shown> = Vec::new();
    for (i, op) in content.operations.iter().enumerate() {
        let args = &op.operands;
        match op.operator.as_str() {
            "q" => stack.push((ctm, fill_dark)),
            "Q" => {
                if let Some((m, d)) = stack.pop() {
                    ctm = m;
                    fill_dark = d;
                }
            }
            "cm" => {
                if let Some(m) = matrix(args) {
                    ctm = multiply(&m, &ctm);
                }
            }
            "g" | "rg" | "k" | "sc" | "scn" => fill_dark = dark(args),
            "re" => {
                if let [x, y, w, h] = numbers(args).as_slice() {
                    let corners = [apply(&ctm, *x, *y), apply(&ctm, x + w, y + h)];
                    let (x0, x1) = (
                        corners[0].0.min(corners[1].0),
                        corners[0].0.max(corners[1].0),
                    );
                    let (y0, y1) = (
                        corners[0].1.min(corners[1].1),
                        corners[0].1.max(corners[1].1),
                    );
                    path.push((x0, y0, x1, y1));
                }
            }
            "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                if fill_dark {
                    boxes.extend(path.drain(..).map(|r| (i, r)));
                }
                path.clear();
            }
            "n" | "S" | "s" => path.clear(),
            "BT" => {
                tm = IDENTITY;
                tlm = IDENTITY;
            }
            "Tm" => {
                if let Some(m) = matrix(args) {
                    tm = m;
                    tlm = m;
                }
            }
            "Td" | "TD" => {
                if let [tx, ty] = numbers(args).as_slice() {
                    tlm = multiply(&[1.0, 0.0, 0.0, 1.0, *tx, *ty], &tlm);
                    tm = tlm;
                    if op.operator == "TD" {
                        leading = -ty;
                    }
                }
            }
            "TL" => leading = numbers(args).first().copied().unwrap_or(leading),
            "T*" | "'" | "\"" | "Tj" | "TJ" => {
                if matches!(op.operator.as_str(), "T*" | "'" | "\"") {
                    tlm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                    tm = tlm;
                }
                if op.operator != "T*" {
                    let (x, y) = apply(&multiply(&tm, &ctm), 0.0, 1.0);
                    shown.push(Shown {
                        at: i,
                        x,
                        y,
                        text: shown_text(args),
                        dark: fill_dark,
                    });
                }
            }
            _ => {}
        }
    }
    let covered: Vec<String> = shown
        .iter()
        .filter(|t| !t.text.trim().is_empty())
        .filter(|t| {
            boxes.iter().any(|(at, (x0, y0, x1, y1))| {
                (*at > t.at || t.dark)
                    && (x1 - x0) > 2.0
                    && (y1 - y0) > 2.0
                    && (*x0..=*x1).contains(&t.x)
                    && (*y0..=*y1).contains(&t.y)
            })
        })
        .map(|t| excerpt(&t.text, 40))
        .collect();
    if !covered.is_empty() {
        out.push(
            FindingKind::TextUnderBox,
            label,
            format!(
                "{} pieces of text lie under or on a black box, unreadable on screen but still in the file: {}",
                covered.len(),
                some_of(&covered.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>(), 3)
            ),
        );
    }
}
