//! The breach check on real files: every finding kind is built into a
//! real xlsx, docx, pptx, ods, odt, PDF, CSV, JPEG or PNG here, detected
//! and located; clean files pass with no finding; hostile files (zip
//! bombs, deep XML, huge tables) end in a finding within the limits; and
//! cleaned copies pass the check again.
//!
//! `cargo test --test breach_check`

mod common;

use common::office::{self, rows, Sheet, Xlsx};
use foid::core::breach_check::{clean::clean, inspect, Finding, FindingKind, Limits, Policy};

fn check(name: &str, bytes: &[u8]) -> Vec<Finding> {
    inspect(name, bytes, &Policy::default())
}

fn kinds(findings: &[Finding]) -> Vec<FindingKind> {
    let mut k: Vec<FindingKind> = findings.iter().map(|f| f.kind).collect();
    k.sort();
    k.dedup();
    k
}

fn find(findings: &[Finding], kind: FindingKind) -> &Finding {
    findings
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} in {findings:#?}"))
}

/// A visible summary, the kind of table an FOI answer attaches.
fn summary_sheet() -> Sheet {
    Sheet::new(
        "Summary",
        rows(&[
            &["Year", "Claims received", "Claims paid", "Total paid (£)"],
            &["2021/22", "412", "96", "48210.50"],
            &["2022/23", "455", "101", "51990"],
            &["2023/24", "398", "87", "44020.75"],
        ]),
    )
}

/// The workforce list of the 2023 incident, in our own invented names.
fn staff_rows(n: usize) -> Vec<Vec<String>> {
    let mut r = vec![vec![
        "Surname".to_string(),
        "Forename".into(),
        "Rank".into(),
        "Role".into(),
        "Payroll No".into(),
    ]];
    for i in 0..n {
        r.push(vec![
            format!("Surname{i}"),
            format!("Forename{i}"),
            "Constable".into(),
            "Response".into(),
            format!("PY{:06}", 100_000 + i),
        ]);
    }
    r
}

#[test]
fn a_clean_spreadsheet_has_no_finding() {
    let xlsx = Xlsx {
        sheets: vec![summary_sheet()],
        ..Xlsx::default()
    }
    .build();
    assert_eq!(check("claims.xlsx", &xlsx), vec![]);
}

#[test]
fn hidden_and_very_hidden_sheets_are_found_with_what_they_hold() {
    let mut staff = Sheet::new("Staff", staff_rows(40));
    staff.state = Some("hidden");
    let mut lookup = Sheet::new("Lookup", rows(&[&["code", "meaning"], &["R1", "Response"]]));
    lookup.state = Some("veryHidden");
    let xlsx = Xlsx {
        sheets: vec![summary_sheet(), staff, lookup],
        ..Xlsx::default()
    }
    .build();
    let f = check("response.xlsx", &xlsx);
    let hidden = find(&f, FindingKind::HiddenSheet);
    assert_eq!(hidden.location, "sheet 'Staff'");
    assert!(
        hidden.detail.contains("205 filled cells") && hidden.detail.contains("rows 1–41"),
        "{hidden:?}"
    );
    assert_eq!(
        find(&f, FindingKind::VeryHiddenSheet).location,
        "sheet 'Lookup'"
    );
    // What the hidden sheet holds is scanned too, with cell ranges.
    assert_eq!(
        find(&f, FindingKind::PeoplesNames).location,
        "sheet 'Staff', cells A2:B41"
    );
    assert_eq!(
        find(&f, FindingKind::StaffNumbers).location,
        "sheet 'Staff', cells E2:E41"
    );
    assert!(find(&f, FindingKind::StaffNumbers)
        .detail
        .starts_with("40 matches (for example PY"));
}

#[test]
fn hidden_rows_and_columns_with_data_are_located() {
    let mut sheet = summary_sheet();
    sheet.rows.push(vec![
        "2024/25 (draft)".into(),
        "120".into(),
        "30".into(),
        "15000".into(),
    ]);
    sheet.rows[0].push("Notes".into());
    sheet.rows[1].push("includes one claim by a councillor".into());
    sheet.hidden_rows = vec![5];
    sheet.hidden_cols = vec![(5, 6)];
    let xlsx = Xlsx {
        sheets: vec![sheet],
        ..Xlsx::default()
    }
    .build();
    let f = check("claims.xlsx", &xlsx);
    assert_eq!(
        find(&f, FindingKind::HiddenRows).location,
        "sheet 'Summary', rows 5"
    );
    assert_eq!(
        find(&f, FindingKind::HiddenColumns).location,
        "sheet 'Summary', columns E"
    );
    // Hidden formatting on empty columns is not a finding.
    let mut empty_hidden = summary_sheet();
    empty_hidden.hidden_cols = vec![(10, 12)];
    let xlsx = Xlsx {
        sheets: vec![empty_hidden],
        ..Xlsx::default()
    }
    .build();
    assert_eq!(check("claims.xlsx", &xlsx), vec![]);
}

#[test]
fn pivot_caches_comments_links_properties_objects_and_macros_are_found() {
    let mut extra = office::pivot_cache(
        "Staff",
        &["Name", "Rank", "Salary"],
        &["A. Example", "B. Sample", "C. Specimen"],
    );
    extra.push(office::cell_comments(
        "Jane Analyst",
        &[("B3", "check with HR before release")],
    ));
    extra.extend(office::external_data());
    extra.push((
        "xl/embeddings/oleObject1.bin".into(),
        b"\xd0\xcf\x11\xe0 not really".to_vec(),
    ));
    extra.push(("xl/vbaProject.bin".into(), b"macro".to_vec()));
    extra.push(("docProps/custom.xml".into(), br#"<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"><property name="MSIP_Label_Official_Sensitive" fmtid="x" pid="2"/></Properties>"#.to_vec()));
    let xlsx = Xlsx {
        sheets: vec![summary_sheet()],
        creator: Some("Jane Analyst".into()),
        extra,
        stored: false,
    }
    .build();
    let f = check("claims.xlsx", &xlsx);
    let pivot = find(&f, FindingKind::PivotCache);
    assert_eq!(pivot.location, "xl/pivotCache/pivotCacheDefinition1.xml");
    assert!(
        pivot
            .detail
            .contains("3 source rows from sheet 'Staff' A1:C4")
            && pivot.detail.contains("Name, Rank, Salary"),
        "{pivot:?}"
    );
    let comments = find(&f, FindingKind::Comments);
    assert!(
        comments.detail.contains("cells B3") && comments.detail.contains("Jane Analyst"),
        "{comments:?}"
    );
    let external = find(&f, FindingKind::ExternalData);
    assert!(
        external.detail.contains("payroll-2024.xlsx")
            && external.detail.contains("database connection"),
        "{external:?}"
    );
    let props: Vec<&Finding> = f
        .iter()
        .filter(|x| x.kind == FindingKind::DocumentProperties)
        .collect();
    assert!(props.iter().any(|p| p.location == "docProps/core.xml"
        && p.detail.contains("creator = Jane Analyst")
        && p.detail.contains("lastModifiedBy")));
    assert!(props
        .iter()
        .any(|p| p.location == "docProps/custom.xml" && p.detail.contains("MSIP_Label")));
    assert!(find(&f, FindingKind::EmbeddedObject)
        .detail
        .contains("xl/embeddings/oleObject1.bin"));
    assert_eq!(find(&f, FindingKind::Macros).location, "xl/vbaProject.bin");
}

#[test]
fn word_documents_show_tracked_changes_hidden_text_and_comments() {
    let body = [
        office::para("Thank you for your request."),
        r#"<w:p><w:ins w:id="1" w:author="A. Drafter"><w:r><w:t>We hold the information.</w:t></w:r></w:ins><w:del w:id="2" w:author="B. Reviewer"><w:r><w:delText>The complainant, Mr Smith of AB1 2DE, </w:delText></w:r></w:del></w:p>"#.to_string(),
        r#"<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>internal: do not disclose the DOB: 03/04/1978</w:t></w:r></w:p>"#.to_string(),
    ]
    .concat();
    let docx = office::docx(
        &body,
        Some("A. Drafter"),
        &[("B. Reviewer", "is this exempt under s40?")],
    );
    let f = check("letter.docx", &docx);
    let changes = find(&f, FindingKind::TrackedChanges);
    assert!(
        changes.detail.contains("1 deletions")
            && changes.detail.contains("1 insertions")
            && changes.detail.contains("Mr Smith"),
        "{changes:?}"
    );
    assert!(find(&f, FindingKind::HiddenText)
        .detail
        .contains("do not disclose"));
    assert!(find(&f, FindingKind::Comments)
        .detail
        .contains("is this exempt"));
    assert!(find(&f, FindingKind::DocumentProperties)
        .detail
        .contains("creator = A. Drafter"));
    // What was deleted and hidden is scanned for personal data too.
    assert_eq!(
        find(&f, FindingKind::PostcodesWithNames).location,
        "deleted text"
    );
    assert_eq!(find(&f, FindingKind::DatesOfBirth).location, "hidden text");

    let plain = office::docx(&office::para("We hold 12 contracts."), None, &[]);
    assert_eq!(check("letter.docx", &plain), vec![]);
}

#[test]
fn presentations_show_hidden_slides_and_speaker_notes() {
    let pptx = office::pptx(
        &[("Budget 2024", true), ("Options not taken", false)],
        &["Tell members privately that option B is dead"],
    );
    let f = check("briefing.pptx", &pptx);
    assert_eq!(find(&f, FindingKind::HiddenSlide).location, "slides 2");
    assert!(find(&f, FindingKind::SpeakerNotes)
        .detail
        .contains("option B is dead"));
    assert_eq!(
        check(
            "briefing.pptx",
            &office::pptx(&[("Budget 2024", true)], &[])
        ),
        vec![]
    );
}

#[test]
fn opendocument_spreadsheets_and_texts_are_inspected() {
    let styles = r#"<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style><style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>"#;
    let body = r#"<office:spreadsheet><table:table table:name="Summary" table:style-name="ta1"><table:table-column table:number-columns-repeated="2"/><table:table-column table:visibility="collapse"/><table:table-row><table:table-cell><text:p>Year</text:p></table:table-cell><table:table-cell><text:p>Count</text:p></table:table-cell><table:table-cell><text:p>Officer email</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>2023</text:p></table:table-cell><table:table-cell><text:p>14</text:p><office:annotation><text:p>from the HR extract</text:p></office:annotation></table:table-cell><table:table-cell><text:p>p.person@council.example</text:p></table:table-cell></table:table-row><table:table-row table:visibility="collapse"><table:table-cell><text:p>2024</text:p></table:table-cell></table:table-row></table:table><table:table table:name="Raw" table:style-name="ta2"><table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"#;
    let ods = office::odf(
        "application/vnd.oasis.opendocument.spreadsheet",
        styles,
        body,
        Some("C. Author"),
    );
    let f = check("summary.ods", &ods);
    assert_eq!(find(&f, FindingKind::HiddenSheet).location, "sheet 'Raw'");
    assert_eq!(
        find(&f, FindingKind::HiddenRows).location,
        "sheet 'Summary', rows 3"
    );
    assert_eq!(
        find(&f, FindingKind::HiddenColumns).location,
        "sheet 'Summary', columns C"
    );
    assert_eq!(
        find(&f, FindingKind::EmailAddresses).location,
        "sheet 'Summary', cell C2"
    );
    assert!(find(&f, FindingKind::Comments)
        .detail
        .contains("HR extract"));
    assert!(find(&f, FindingKind::DocumentProperties)
        .detail
        .contains("C. Author"));

    let text = r#"<office:text><text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>old words</text:p></text:deletion></text:changed-region></text:tracked-changes><text:p>We hold the information.</text:p><text:section text:name="s" text:display="none"><text:p>draft note: call 01632 960 123</text:p></text:section></office:text>"#;
    let odt = office::odf("application/vnd.oasis.opendocument.text", "", text, None);
    let f = check("letter.odt", &odt);
    assert_eq!(
        kinds(&f),
        vec![
            FindingKind::HiddenText,
            FindingKind::TrackedChanges,
            FindingKind::PhoneNumbers
        ]
    );
    assert_eq!(find(&f, FindingKind::PhoneNumbers).location, "hidden text");
}

#[test]
fn personal_data_in_a_csv_is_found_by_pattern_and_by_column() {
    let csv = "Ref,Full name,Email,NI number,NHS number,Date of birth,Phone\n\
               1,Ann Example,ann@example.org,AB 12 34 56 C,943 476 5919,03/04/1978,01632 960123\n\
               2,Bob Example,bob@example.org,AB123457D,,1980-02-29,\n";
    let f = check("list.csv", csv.as_bytes());
    assert_eq!(
        find(&f, FindingKind::EmailAddresses).location,
        "the table, cells C2:C3"
    );
    assert_eq!(
        find(&f, FindingKind::NiNumbers).location,
        "the table, cells D2:D3"
    );
    assert_eq!(
        find(&f, FindingKind::NhsNumbers).location,
        "the table, cell E2"
    );
    assert_eq!(
        find(&f, FindingKind::DatesOfBirth).location,
        "the table, cells F2:F3"
    );
    assert_eq!(
        find(&f, FindingKind::PhoneNumbers).location,
        "the table, cell G2"
    );
    assert!(
        !f.iter().any(|x| x.detail.contains("ann@example.org")),
        "examples are masked"
    );
    let fine = "Year,Requests,Answered on time\n2022,1204,1100\n2023,1350,1277\n";
    assert_eq!(check("stats.csv", fine.as_bytes()), vec![]);
}

#[test]
fn pdfs_show_metadata_annotations_redactions_attachments_revisions_and_covered_text() {
    // Text at (100, 600), then a black box drawn over it: looks redacted.
    let covered = format!(
        "{}0 0 0 rg 95 595 200 20 re f\n",
        office::pdf_text(100, 600, "Ms Example, 12 Hill Road")
    );
    let page1 = office::PdfPage {
        content: covered,
        annotations: vec![office::pdf_annotation(
            "Text",
            "R. Checker",
            "s40 applies here",
        )],
    };
    let page2 = office::PdfPage {
        content: office::pdf_text(100, 700, "Visible text"),
        annotations: vec![office::pdf_annotation("Redact", "R. Checker", "")],
    };
    let pdf = office::pdf(vec![page1, page2], Some("R. Checker"), true, 2);
    let f = check("response.pdf", &pdf);
    let under = find(&f, FindingKind::TextUnderBox);
    assert_eq!(under.location, "page 1");
    assert!(under.detail.contains("Ms Example"), "{under:?}");
    let notes = find(&f, FindingKind::Annotations);
    assert!(
        notes.location == "page 1" && notes.detail.contains("s40 applies here"),
        "{notes:?}"
    );
    assert_eq!(find(&f, FindingKind::UnappliedRedaction).location, "page 2");
    assert!(find(&f, FindingKind::EmbeddedObject)
        .detail
        .contains("salaries.csv"));
    assert!(find(&f, FindingKind::DocumentProperties)
        .detail
        .contains("Author = R. Checker"));
    assert!(find(&f, FindingKind::EarlierRevisions)
        .detail
        .starts_with("2 revisions"));

    // A box drawn first and text on top of it is not covered text.
    let over = format!(
        "0 0 0 rg 95 595 200 20 re f\n1 1 1 rg\n{}",
        office::pdf_text(100, 600, "Heading")
    );
    let plain = office::pdf(
        vec![office::PdfPage {
            content: over,
            annotations: vec![],
        }],
        None,
        false,
        1,
    );
    assert_eq!(check("response.pdf", &plain), vec![]);
}

#[test]
fn images_show_exif_and_gps_and_clean_images_pass() {
    let f = check("photo.jpg", &office::jpeg(true, true));
    assert!(
        find(&f, FindingKind::GpsLocation)
            .detail
            .contains("GPSLatitude"),
        "{f:?}"
    );
    let meta = find(&f, FindingKind::ImageMetadata);
    assert!(
        meta.detail.contains("Artist") && meta.detail.contains("J. Officer"),
        "{meta:?}"
    );
    assert!(find(
        &check("scan.png", &office::png(true)),
        FindingKind::ImageMetadata
    )
    .detail
    .contains("'Author'"));
    assert_eq!(check("photo.jpg", &office::jpeg(false, false)), vec![]);
    assert_eq!(check("scan.png", &office::png(false)), vec![]);
}

#[test]
fn files_foid_cannot_read_are_findings_not_passes() {
    let legacy = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
    assert_eq!(
        kinds(&check("old.xls", &legacy)),
        vec![FindingKind::NotInspectable]
    );
    assert_eq!(
        kinds(&check("blob.bin", &[0u8, 1, 2, 3, 0, 0, 0, 9, 200, 3])),
        vec![FindingKind::NotInspectable]
    );
    let mut broken = Xlsx {
        sheets: vec![summary_sheet()],
        ..Xlsx::default()
    }
    .build();
    broken.truncate(broken.len() / 2);
    assert_eq!(
        kinds(&check("broken.xlsx", &broken)),
        vec![FindingKind::Unreadable]
    );
    let zip = office::package(
        &[("a.txt".into(), b"x".to_vec())],
        zip::CompressionMethod::Deflated,
    );
    assert_eq!(
        kinds(&check("files.zip", &zip)),
        vec![FindingKind::NotInspectable]
    );
    let malformed = office::docx("<w:p><w:r><w:t>unclosed", None, &[]);
    assert_eq!(
        kinds(&check("bad.docx", &malformed)),
        vec![FindingKind::Unreadable]
    );
}

fn limited(f: impl FnOnce(&mut Limits)) -> Policy {
    let mut policy = Policy::default();
    f(&mut policy.limits);
    policy
}

#[test]
fn zip_bombs_and_oversized_parts_stop_at_the_limits() {
    // 8 MiB of one repeated byte deflates about a thousand to one.
    let mut sheet =
        b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>".to_vec();
    sheet.resize(8 * 1024 * 1024, b'A');
    sheet.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
    let mut bomb = Xlsx {
        sheets: vec![summary_sheet()],
        ..Xlsx::default()
    };
    bomb.extra.push(("xl/worksheets/sheet1.xml".into(), sheet));
    bomb.sheets[0].name = "Summary".into();
    let bytes = bomb.build();
    assert!(
        bytes.len() < 1024 * 1024,
        "the bomb is small: {}",
        bytes.len()
    );
    let f = check("bomb.xlsx", &bytes);
    assert_eq!(kinds(&f), vec![FindingKind::LimitExceeded], "{f:?}");
    assert!(f[0].detail.contains("zip bomb"), "{f:?}");

    let many: Vec<(String, Vec<u8>)> = (0..200)
        .map(|i| (format!("f{i}.xml"), b"<a/>".to_vec()))
        .collect();
    let mut parts = vec![("[Content_Types].xml".to_string(), b"<Types/>".to_vec())];
    parts.extend(many);
    let f = inspect(
        "many.xlsx",
        &office::package(&parts, zip::CompressionMethod::Stored),
        &limited(|l| l.max_entries = 100),
    );
    assert!(
        f[0].kind == FindingKind::LimitExceeded && f[0].detail.contains("max_entries"),
        "{f:?}"
    );

    let deep = format!("{}{}", "<w:p>".repeat(5000), "</w:p>".repeat(5000));
    let f = check("deep.docx", &office::docx(&deep, None, &[]));
    assert!(
        f.iter()
            .any(|x| x.kind == FindingKind::LimitExceeded && x.detail.contains("max_xml_depth")),
        "{f:?}"
    );

    let xlsx = Xlsx {
        sheets: vec![Sheet::new("S", staff_rows(2000))],
        ..Xlsx::default()
    }
    .build();
    let f = inspect(
        "big.xlsx",
        &xlsx,
        &limited(|l| l.max_shared_strings_bytes = 10_000),
    );
    assert!(
        f.iter()
            .any(|x| x.detail.contains("max_shared_strings_bytes")),
        "{f:?}"
    );
    let f = inspect("big.xlsx", &xlsx, &limited(|l| l.max_cells = 1000));
    assert!(f.iter().any(|x| x.detail.contains("max_cells")), "{f:?}");
    let f = inspect("big.xlsx", &xlsx, &limited(|l| l.max_file_bytes = 1000));
    assert!(f[0].detail.contains("max_file_bytes"), "{f:?}");
}

/// Peak resident memory of this process, from the kernel.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_100_mb_spreadsheet_is_read_as_a_stream_within_the_limits() {
    // About 100 MB of sheet XML (stored, so the test builds it quickly):
    // a visible table of numbers with one hidden row near the end.
    let mut sheet = Sheet::new("Data", Vec::new());
    sheet
        .rows
        .push(vec!["Id".into(), "Amount".into(), "Year".into()]);
    for i in 0..950_000u32 {
        sheet.rows.push(vec![
            i.to_string(),
            format!("{}.{:02}", i % 9973, i % 100),
            (2000 + i % 25).to_string(),
        ]);
    }
    sheet.hidden_rows = vec![900_000];
    let bytes = Xlsx {
        sheets: vec![sheet],
        stored: true,
        ..Xlsx::default()
    }
    .build();
    assert!(bytes.len() > 100_000_000, "{} bytes", bytes.len());
    let before = peak_rss_kib();
    let f = check("big.xlsx", &bytes);
    let grew_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert_eq!(kinds(&f), vec![FindingKind::HiddenRows], "{f:?}");
    assert_eq!(
        find(&f, FindingKind::HiddenRows).location,
        "sheet 'Data', rows 900000"
    );
    // The file is streamed: reading it costs far less than its size.
    assert!(grew_mib < 64, "peak memory grew by {grew_mib} MiB");
}

#[test]
fn cleaned_copies_pass_the_check_again() {
    let policy = Policy::default();
    // Spreadsheet: the visible table survives, everything hidden goes.
    let mut staff = Sheet::new("Staff", staff_rows(40));
    staff.state = Some("hidden");
    let mut summary = summary_sheet();
    summary.rows.push(vec!["secret".into(), "1".into()]);
    summary.hidden_rows = vec![5];
    let mut extra = office::pivot_cache("Staff", &["Name"], &["A. Example"]);
    extra.push(office::cell_comments("Jane Analyst", &[("B3", "check")]));
    extra.extend(office::external_data());
    let xlsx = Xlsx {
        sheets: vec![summary, staff],
        creator: Some("Jane Analyst".into()),
        extra,
        stored: false,
    }
    .build();
    let cleaned = clean("claims.xlsx", &xlsx, &policy).expect("clean xlsx");
    assert_eq!(inspect("claims.xlsx", &cleaned.bytes, &policy), vec![]);
    assert!(
        cleaned
            .removed
            .iter()
            .any(|r| r.contains("hidden sheet 'Staff'")),
        "{:?}",
        cleaned.removed
    );
    assert!(cleaned
        .removed
        .iter()
        .any(|r| r.contains("1 hidden rows of sheet 'Summary'")));
    // …and the visible values are all still there.
    let text_of = |b: &[u8]| -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(b)).expect("zip");
        let mut s = String::new();
        std::io::Read::read_to_string(
            &mut z.by_name("xl/worksheets/sheet1.xml").expect("sheet"),
            &mut s,
        )
        .expect("read");
        s
    };
    for v in ["Claims received", "2022/23", "51990", "44020.75"] {
        assert!(text_of(&cleaned.bytes).contains(v), "{v} missing");
    }
    assert!(!text_of(&cleaned.bytes).contains("secret"));

    // Word: changes accepted, hidden text and comments gone, text kept.
    let body = [
        office::para("Thank you for your request."),
        r#"<w:p><w:ins w:id="1" w:author="A. Drafter"><w:r><w:t>We hold it.</w:t></w:r></w:ins><w:del w:id="2" w:author="B"><w:r><w:delText>withdrawn wording</w:delText></w:r></w:del></w:p>"#.to_string(),
        r#"<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>internal only</w:t></w:r></w:p>"#.to_string(),
    ]
    .concat();
    let docx = office::docx(&body, Some("A. Drafter"), &[("B", "a comment")]);
    let cleaned = clean("letter.docx", &docx, &policy).expect("clean docx");
    assert_eq!(inspect("letter.docx", &cleaned.bytes, &policy), vec![]);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(&cleaned.bytes)).expect("zip");
    let mut doc = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").expect("doc"), &mut doc)
        .expect("read");
    assert!(
        doc.contains("We hold it.")
            && doc.contains("Thank you")
            && !doc.contains("internal only")
            && !doc.contains("withdrawn wording")
    );
    assert!(z.by_name("word/comments.xml").is_err());

    // PDF: metadata, notes, attachments and revisions go; covered text
    // cannot be cleaned and is still reported.
    let covered = format!(
        "{}0 g 95 595 200 20 re f\n",
        office::pdf_text(100, 600, "Ms Example")
    );
    let pdf = office::pdf(
        vec![office::PdfPage {
            content: covered,
            annotations: vec![office::pdf_annotation("Text", "R", "note")],
        }],
        Some("R. Checker"),
        true,
        2,
    );
    let cleaned = clean("r.pdf", &pdf, &policy).expect("clean pdf");
    assert_eq!(
        kinds(&inspect("r.pdf", &cleaned.bytes, &policy)),
        vec![FindingKind::TextUnderBox]
    );

    for (name, dirty) in [
        ("p.jpg", office::jpeg(true, true)),
        ("p.png", office::png(true)),
    ] {
        let cleaned = clean(name, &dirty, &policy).expect("clean image");
        assert_eq!(inspect(name, &cleaned.bytes, &policy), vec![], "{name}");
    }
    let pptx = office::pptx(&[("x", false)], &[]);
    assert!(clean("deck.pptx", &pptx, &policy)
        .unwrap_err()
        .contains("PowerPoint"));
}

#[test]
fn a_pdf_bomb_stops_at_the_limits() {
    let mut content = office::pdf_text(100, 700, "x");
    content.push_str(&" ".repeat(16 * 1024 * 1024));
    let plain = office::pdf(
        vec![office::PdfPage {
            content,
            annotations: vec![],
        }],
        None,
        false,
        1,
    );
    let mut doc = lopdf::Document::load_mem(&plain).expect("pdf");
    doc.compress();
    let mut bomb = Vec::new();
    doc.save_to(&mut bomb).expect("save");
    assert!(
        bomb.len() < 1024 * 1024,
        "the bomb is small: {}",
        bomb.len()
    );
    let f = check("bomb.pdf", &bomb);
    assert_eq!(kinds(&f), vec![FindingKind::LimitExceeded], "{f:?}");
    assert!(f[0].detail.contains("PDF bomb"), "{f:?}");
}

#[tokio::test]
async fn a_check_that_outruns_its_timeout_is_a_finding() {
    use foid::core::letters::Attachment;
    use foid::daemon::attachment_check;
    let xlsx = Xlsx {
        sheets: vec![Sheet::new("S", staff_rows(20_000))],
        ..Xlsx::default()
    }
    .build();
    let attachment = Attachment {
        filename: "big.xlsx".into(),
        content_type: "application/octet-stream".into(),
        bytes: xlsx,
    };
    let policy = std::sync::Arc::new(Policy::default());
    let checked = attachment_check::check(
        &policy,
        std::time::Duration::from_millis(1),
        std::slice::from_ref(&attachment),
    )
    .await;
    let f = &checked[0].findings;
    assert_eq!(kinds(f), vec![FindingKind::LimitExceeded], "{f:?}");
    assert!(f[0].detail.contains("timeout_seconds"), "{f:?}");
    // With time enough, the same file gives its real findings.
    let checked =
        attachment_check::check(&policy, std::time::Duration::from_secs(120), &[attachment]).await;
    assert!(kinds(&checked[0].findings).contains(&FindingKind::PeoplesNames));
}

#[test]
fn check_attachment_reports_cleans_and_sets_the_exit_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut staff = Sheet::new("Staff", staff_rows(10));
    staff.state = Some("hidden");
    let file = dir.path().join("claims.xlsx");
    std::fs::write(
        &file,
        Xlsx {
            sheets: vec![summary_sheet(), staff],
            ..Xlsx::default()
        }
        .build(),
    )
    .expect("write");
    let path = file.to_str().expect("path");

    let (ok, out, err) = common::run_foid(&["check-attachment", path]);
    assert!(!ok, "findings make the exit status non-zero: {out}{err}");
    assert!(
        out.contains("claims.xlsx: hidden sheet in sheet 'Staff'"),
        "{out}"
    );

    let (ok, out, _) = common::run_foid(&["check-attachment", "--json", path]);
    assert!(!ok);
    let findings: Vec<Finding> = serde_json::from_str(&out).expect("JSON findings");
    assert!(findings.iter().any(|f| f.kind == FindingKind::HiddenSheet));

    let cleaned = dir.path().join("cleaned");
    let (ok, out, err) = common::run_foid(&[
        "check-attachment",
        "--clean",
        cleaned.to_str().expect("path"),
        path,
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("removed hidden sheet 'Staff'") && out.contains("claims.xlsx: nothing found"),
        "{out}"
    );
    let copy = std::fs::read(cleaned.join("claims.xlsx")).expect("the cleaned copy");
    assert_eq!(check("claims.xlsx", &copy), vec![]);
}

#[test]
fn pictures_inside_documents_data_models_and_queries_are_found() {
    let photo = (
        "word/media/image1.jpeg".to_string(),
        office::jpeg(true, true),
    );
    let docx = office::docx_with(&office::para("Photo of the site."), None, &[], &[photo]);
    let f = check("report.docx", &docx);
    assert_eq!(
        find(&f, FindingKind::GpsLocation).location,
        "word/media/image1.jpeg, EXIF GPS"
    );
    let cleaned = clean("report.docx", &docx, &Policy::default()).expect("clean");
    assert_eq!(check("report.docx", &cleaned.bytes), vec![]);
    assert!(
        cleaned
            .removed
            .iter()
            .any(|r| r.contains("word/media/image1.jpeg")),
        "{:?}",
        cleaned.removed
    );

    let extra = vec![
        ("xl/model/item.data".to_string(), b"binary model".to_vec()),
        ("customXml/item1.xml".to_string(), br#"<?xml version="1.0"?><DataMashup xmlns="http://schemas.microsoft.com/DataMashup">AAAA</DataMashup>"#.to_vec()),
    ];
    let xlsx = Xlsx {
        sheets: vec![summary_sheet()],
        extra,
        ..Xlsx::default()
    }
    .build();
    let external = check("model.xlsx", &xlsx);
    let detail = &find(&external, FindingKind::ExternalData).detail;
    assert!(
        detail.contains("data model") && detail.contains("Power Query"),
        "{detail}"
    );
}

#[test]
fn black_text_on_a_black_box_is_covered_text() {
    // A black highlight: the box first, then black text on it.
    let highlighted = format!(
        "0 0 0 rg 95 595 200 20 re f\n{}",
        office::pdf_text(100, 600, "Mr Example")
    );
    let pdf = office::pdf(
        vec![office::PdfPage {
            content: highlighted,
            annotations: vec![],
        }],
        None,
        false,
        1,
    );
    let f = check("letter.pdf", &pdf);
    assert!(
        find(&f, FindingKind::TextUnderBox)
            .detail
            .contains("Mr Example"),
        "{f:?}"
    );
}
