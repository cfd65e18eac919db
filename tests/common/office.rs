//! Real office files for the breach-check tests, built here part by part:
//! xlsx, docx, pptx, ods and odt packages, PDFs (with lopdf), and JPEG
//! and PNG images with metadata. Each builder writes only what the format
//! needs to open, plus the parts a test asks for.

use std::io::{Cursor, Write};

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Dictionary, Document, Object, Stream};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A zip package from (name, bytes) parts.
pub fn package(parts: &[(String, Vec<u8>)], method: CompressionMethod) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(true);
    for (name, data) in parts {
        w.start_file(name.as_str(), options).expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

fn core_props(creator: Option<&str>) -> String {
    let who = creator
        .map(|c| {
            format!(
                "<dc:creator>{}</dc:creator><cp:lastModifiedBy>{}</cp:lastModifiedBy>",
                esc(c),
                esc(c)
            )
        })
        .unwrap_or_default();
    format!(
        r#"{XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Response</dc:title>{who}</cp:coreProperties>"#
    )
}

/// One worksheet.
#[derive(Clone, Default)]
pub struct Sheet {
    pub name: String,
    /// `hidden` or `veryHidden`; visible when None.
    pub state: Option<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub hidden_rows: Vec<u32>,
    pub hidden_cols: Vec<(u32, u32)>,
}

impl Sheet {
    pub fn new(name: &str, rows: Vec<Vec<String>>) -> Sheet {
        Sheet {
            name: name.into(),
            rows,
            ..Sheet::default()
        }
    }
}

/// Rows from string slices.
pub fn rows(data: &[&[&str]]) -> Vec<Vec<String>> {
    data.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// A spreadsheet: its sheets, optional author, and extra parts.
#[derive(Clone, Default)]
pub struct Xlsx {
    pub sheets: Vec<Sheet>,
    pub creator: Option<String>,
    pub extra: Vec<(String, Vec<u8>)>,
    /// Stored rather than deflated (for the big-file test: fast to build).
    pub stored: bool,
}

fn col_letters(mut c: u32) -> String {
    let mut s = Vec::new();
    while c > 0 {
        s.push((b'A' + ((c - 1) % 26) as u8) as char);
        c = (c - 1) / 26;
    }
    s.iter().rev().collect()
}

impl Xlsx {
    pub fn build(&self) -> Vec<u8> {
        let mut strings: Vec<String> = Vec::new();
        let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
        let (mut sheet_list, mut rels, mut overrides) =
            (String::new(), String::new(), String::new());
        for (i, sheet) in self.sheets.iter().enumerate() {
            let n = i + 1;
            let state = sheet
                .state
                .map(|s| format!(r#" state="{s}""#))
                .unwrap_or_default();
            sheet_list.push_str(&format!(
                r#"<sheet name="{}" sheetId="{n}"{state} r:id="rId{n}"/>"#,
                esc(&sheet.name)
            ));
            rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
            overrides.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
            let mut xml = format!(
                r#"{XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
            );
            if !sheet.hidden_cols.is_empty() {
                xml.push_str("<cols>");
                for (lo, hi) in &sheet.hidden_cols {
                    xml.push_str(&format!(
                        r#"<col min="{lo}" max="{hi}" width="9" hidden="1"/>"#
                    ));
                }
                xml.push_str("</cols>");
            }
            xml.push_str("<sheetData>");
            for (r, row) in sheet.rows.iter().enumerate() {
                let r = r as u32 + 1;
                let hidden = if sheet.hidden_rows.contains(&r) {
                    r#" hidden="1""#
                } else {
                    ""
                };
                xml.push_str(&format!(r#"<row r="{r}"{hidden}>"#));
                for (c, value) in row.iter().enumerate() {
                    let at = format!("{}{r}", col_letters(c as u32 + 1));
                    if value.is_empty() {
                        continue;
                    }
                    if value.parse::<f64>().is_ok() {
                        xml.push_str(&format!(r#"<c r="{at}"><v>{value}</v></c>"#));
                    } else {
                        strings.push(value.clone());
                        xml.push_str(&format!(
                            r#"<c r="{at}" t="s"><v>{}</v></c>"#,
                            strings.len() - 1
                        ));
                    }
                }
                xml.push_str("</row>");
            }
            xml.push_str("</sheetData></worksheet>");
            parts.push((format!("xl/worksheets/sheet{n}.xml"), xml.into_bytes()));
        }
        let mut sst = format!(
            r#"{XML}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">"#,
            strings.len()
        );
        for s in &strings {
            sst.push_str(&format!("<si><t>{}</t></si>", esc(s)));
        }
        sst.push_str("</sst>");
        let k = self.sheets.len() + 1;
        rels.push_str(&format!(
            r#"<Relationship Id="rId{k}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>"#
        ));
        let mut all = vec![
            ("[Content_Types].xml".to_string(), format!(
                r#"{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>{overrides}</Types>"#
            ).into_bytes()),
            ("_rels/.rels".to_string(), format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).into_bytes()),
            ("xl/workbook.xml".to_string(), format!(r#"{XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{REL}"><sheets>{sheet_list}</sheets></workbook>"#).into_bytes()),
            ("xl/_rels/workbook.xml.rels".to_string(), format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#).into_bytes()),
            ("xl/sharedStrings.xml".to_string(), sst.into_bytes()),
        ];
        if let Some(c) = &self.creator {
            all.push((
                "docProps/core.xml".to_string(),
                core_props(Some(c)).into_bytes(),
            ));
        }
        all.extend(parts);
        // An extra part of the same name replaces the generated one.
        all.retain(|(name, _)| !self.extra.iter().any(|(n, _)| n == name));
        all.extend(self.extra.iter().cloned());
        package(
            &all,
            if self.stored {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            },
        )
    }
}

/// A pivot cache built from a sheet: the definition and its records.
pub fn pivot_cache(source_sheet: &str, fields: &[&str], values: &[&str]) -> Vec<(String, Vec<u8>)> {
    let fields_xml: String = fields
        .iter()
        .map(|f| {
            format!(
                r#"<cacheField name="{}"><sharedItems>{}</sharedItems></cacheField>"#,
                esc(f),
                values
                    .iter()
                    .map(|v| format!(r#"<s v="{}"/>"#, esc(v)))
                    .collect::<String>()
            )
        })
        .collect();
    vec![
        ("xl/pivotCache/pivotCacheDefinition1.xml".into(), format!(
            r#"{XML}<pivotCacheDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" recordCount="{}"><cacheSource type="worksheet"><worksheetSource ref="A1:C{}" sheet="{}"/></cacheSource><cacheFields count="{}">{fields_xml}</cacheFields></pivotCacheDefinition>"#,
            values.len(), values.len() + 1, esc(source_sheet), fields.len()).into_bytes()),
        ("xl/pivotCache/pivotCacheRecords1.xml".into(), format!(
            r#"{XML}<pivotCacheRecords xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{}">{}</pivotCacheRecords>"#,
            values.len(), values.iter().enumerate().map(|(i, _)| format!(r#"<r><x v="{i}"/></r>"#)).collect::<String>()).into_bytes()),
    ]
}

/// Legacy cell comments on a sheet.
pub fn cell_comments(author: &str, notes: &[(&str, &str)]) -> (String, Vec<u8>) {
    let list: String = notes
        .iter()
        .map(|(r, t)| {
            format!(
                r#"<comment ref="{r}" authorId="0"><text><r><t>{}</t></r></text></comment>"#,
                esc(t)
            )
        })
        .collect();
    ("xl/comments1.xml".into(), format!(
        r#"{XML}<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>{}</author></authors><commentList>{list}</commentList></comments>"#, esc(author)).into_bytes())
}

/// A link to another workbook and a database connection.
pub fn external_data() -> Vec<(String, Vec<u8>)> {
    vec![
        ("xl/externalLinks/externalLink1.xml".into(), format!(r#"{XML}<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><externalBook xmlns:r="{REL}" r:id="rId1"/></externalLink>"#).into_bytes()),
        ("xl/externalLinks/_rels/externalLink1.xml.rels".into(), format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/externalLinkPath" Target="file:///\\fileserver\hr\payroll-2024.xlsx" TargetMode="External"/></Relationships>"#).into_bytes()),
        ("xl/connections.xml".into(), format!(r#"{XML}<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><connection id="1" name="HR database" type="1"><dbPr connection="DSN=hr;UID=svc_reports;PWD=secret" command="select * from staff"/></connection></connections>"#).into_bytes()),
    ]
}

/// A Word document whose body is the given paragraph XML (`<w:p>` inner
/// runs may carry `<w:ins>`, `<w:del>`, `<w:vanish/>`).
pub fn docx(body: &str, creator: Option<&str>, comments: &[(&str, &str)]) -> Vec<u8> {
    docx_with(body, creator, comments, &[])
}

/// The same with extra parts (pictures in `word/media/`, say).
pub fn docx_with(
    body: &str,
    creator: Option<&str>,
    comments: &[(&str, &str)],
    extra: &[(String, Vec<u8>)],
) -> Vec<u8> {
    let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    let mut parts = vec![
        ("[Content_Types].xml".to_string(), format!(
            r#"{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#).into_bytes()),
        ("_rels/.rels".to_string(), format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#).into_bytes()),
        ("word/document.xml".to_string(), format!(r#"{XML}<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>"#).into_bytes()),
        ("docProps/core.xml".to_string(), core_props(creator).into_bytes()),
    ];
    if !comments.is_empty() {
        let list: String = comments
            .iter()
            .enumerate()
            .map(|(i, (a, t))| format!(r#"<w:comment w:id="{i}" w:author="{}"><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:comment>"#, esc(a), esc(t)))
            .collect();
        parts.push((
            "word/comments.xml".into(),
            format!(r#"{XML}<w:comments xmlns:w="{w}">{list}</w:comments>"#).into_bytes(),
        ));
        parts.push(("word/_rels/document.xml.rels".into(), format!(r#"{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="{REL}/comments" Target="comments.xml"/></Relationships>"#).into_bytes()));
    }
    parts.extend(extra.iter().cloned());
    package(&parts, CompressionMethod::Deflated)
}

/// A paragraph of plain text.
pub fn para(text: &str) -> String {
    format!("<w:p><w:r><w:t>{}</w:t></w:r></w:p>", esc(text))
}

/// A deck: (slide text, shown) and speaker notes per slide.
pub fn pptx(slides: &[(&str, bool)], notes: &[&str]) -> Vec<u8> {
    let p = r#"xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main""#;
    let mut parts = vec![
        ("[Content_Types].xml".to_string(), format!(r#"{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#).into_bytes()),
        ("ppt/presentation.xml".to_string(), format!(r#"{XML}<p:presentation {p}/>"#).into_bytes()),
    ];
    for (i, (text, shown)) in slides.iter().enumerate() {
        let show = if *shown { "" } else { r#" show="0""# };
        parts.push((format!("ppt/slides/slide{}.xml", i + 1), format!(
            r#"{XML}<p:sld {p}{show}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#, esc(text)).into_bytes()));
    }
    for (i, text) in notes.iter().enumerate() {
        parts.push((format!("ppt/notesSlides/notesSlide{}.xml", i + 1), format!(
            r#"{XML}<p:notes {p}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:fld type="slidenum"><a:t>{}</a:t></a:fld></a:p><a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>"#, i + 1, esc(text)).into_bytes()));
    }
    package(&parts, CompressionMethod::Deflated)
}

/// An OpenDocument package of the given type with this `office:body`
/// content and automatic styles.
pub fn odf(mimetype: &str, styles: &str, body: &str, creator: Option<&str>) -> Vec<u8> {
    let ns = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0""#;
    let meta = creator
        .map(|c| {
            format!(
                "<meta:initial-creator>{0}</meta:initial-creator><dc:creator>{0}</dc:creator>",
                esc(c)
            )
        })
        .unwrap_or_default();
    package(
        &[
            ("mimetype".into(), mimetype.as_bytes().to_vec()),
            ("content.xml".into(), format!(r#"{XML}<office:document-content {ns}><office:automatic-styles>{styles}</office:automatic-styles><office:body>{body}</office:body></office:document-content>"#).into_bytes()),
            ("meta.xml".into(), format!(r#"{XML}<office:document-meta {ns}><office:meta>{meta}</office:meta></office:document-meta>"#).into_bytes()),
        ],
        CompressionMethod::Stored,
    )
}

/// What a test PDF page carries.
#[derive(Default)]
pub struct PdfPage {
    /// Raw content stream operators.
    pub content: String,
    pub annotations: Vec<Dictionary>,
}

/// A PDF of these pages, with an optional author and embedded file; with
/// `revisions` > 1 it is saved again incrementally.
pub fn pdf(
    pages: Vec<PdfPage>,
    author: Option<&str>,
    embedded_file: bool,
    revisions: usize,
) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut kids = Vec::new();
    for page in pages {
        let content = doc.add_object(Stream::new(dictionary! {}, page.content.into_bytes()));
        let annots: Vec<Object> = page
            .annotations
            .into_iter()
            .map(|a| doc.add_object(a).into())
            .collect();
        let mut dict =
            dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content };
        if !annots.is_empty() {
            dict.set("Annots", annots);
        }
        kids.push(doc.add_object(dict).into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if embedded_file {
        let file = doc.add_object(Stream::new(
            dictionary! { "Type" => "EmbeddedFile" },
            b"name,salary\nA. Person,41000\n".to_vec(),
        ));
        let spec = doc.add_object(dictionary! { "Type" => "Filespec", "F" => Object::string_literal("salaries.csv"), "EF" => dictionary! { "F" => file } });
        catalog.set("Names", dictionary! { "EmbeddedFiles" => dictionary! { "Names" => vec![Object::string_literal("salaries.csv"), spec.into()] } });
    }
    let catalog_id = doc.add_object(catalog);
    doc.trailer.set("Root", catalog_id);
    if let Some(a) = author {
        let info = doc.add_object(dictionary! { "Author" => Object::string_literal(a), "Title" => Object::string_literal("Response") });
        doc.trailer.set("Info", info);
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save pdf");
    for _ in 1..revisions {
        let prev = Document::load_mem(&bytes).expect("reload pdf");
        let mut inc = lopdf::IncrementalDocument::create_from(bytes.clone(), prev);
        inc.new_document.trailer.set("Root", catalog_id);
        inc.opt_clone_object_to_new_document(catalog_id)
            .expect("clone catalog");
        let mut out = Vec::new();
        inc.save_to(&mut out).expect("save revision");
        bytes = out;
    }
    bytes
}

/// Text drawn at (x, y) in Helvetica 12.
pub fn pdf_text(x: i32, y: i32, text: &str) -> String {
    Content {
        operations: vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Td", vec![x.into(), y.into()]),
            Operation::new("Tj", vec![Object::string_literal(text)]),
            Operation::new("ET", vec![]),
        ],
    }
    .encode()
    .map(|b| String::from_utf8_lossy(&b).into_owned())
    .expect("encode")
}

/// An annotation of a subtype at a rectangle, with an author and text.
pub fn pdf_annotation(subtype: &str, author: &str, contents: &str) -> Dictionary {
    dictionary! {
        "Type" => "Annot", "Subtype" => Object::Name(subtype.as_bytes().to_vec()),
        "Rect" => vec![100.into(), 700.into(), 300.into(), 720.into()],
        "T" => Object::string_literal(author), "Contents" => Object::string_literal(contents),
    }
}

/// EXIF as TIFF bytes: camera, owner and, optionally, GPS.
fn exif_tiff(gps: bool) -> Vec<u8> {
    use exif::experimental::Writer;
    use exif::{Field, In, Rational, Tag, Value};
    let make = Field {
        tag: Tag::Make,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![b"PhoneMaker".to_vec()]),
    };
    let artist = Field {
        tag: Tag::Artist,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![b"J. Officer".to_vec()]),
    };
    let lat_ref = Field {
        tag: Tag::GPSLatitudeRef,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![b"N".to_vec()]),
    };
    let lat = Field {
        tag: Tag::GPSLatitude,
        ifd_num: In::PRIMARY,
        value: Value::Rational(vec![
            Rational::from((51, 1)),
            Rational::from((30, 1)),
            Rational::from((1234, 100)),
        ]),
    };
    let lon_ref = Field {
        tag: Tag::GPSLongitudeRef,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![b"W".to_vec()]),
    };
    let lon = Field {
        tag: Tag::GPSLongitude,
        ifd_num: In::PRIMARY,
        value: Value::Rational(vec![
            Rational::from((0, 1)),
            Rational::from((7, 1)),
            Rational::from((3900, 100)),
        ]),
    };
    let mut w = Writer::new();
    w.push_field(&make);
    w.push_field(&artist);
    if gps {
        w.push_field(&lat_ref);
        w.push_field(&lat);
        w.push_field(&lon_ref);
        w.push_field(&lon);
    }
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, false).expect("write exif");
    out.into_inner()
}

/// A JPEG's segments around a token image body; with EXIF when asked.
pub fn jpeg(with_exif: bool, gps: bool) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&[
        0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    if with_exif {
        let mut data = b"Exif\0\0".to_vec();
        data.extend(exif_tiff(gps));
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
        out.extend(data);
    }
    // A start of scan and some entropy-coded bytes, then the end.
    out.extend_from_slice(&[
        0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0x56, 0xFF, 0xD9,
    ]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A 1×1 PNG, with an Author text chunk when asked.
pub fn png(with_text: bool) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
    if with_text {
        out.extend(png_chunk(b"tEXt", b"Author\0J. Officer"));
    }
    out.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    ));
    out.extend(png_chunk(b"IEND", &[]));
    out
}
