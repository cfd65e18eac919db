//! The breach check's cost: time and peak memory to check spreadsheets of
//! about 10, 50 and 100 MB (stored and deflated), a zip bomb, and the
//! small files an FOI reply usually carries. Peak memory is the growth of
//! the process's high-water mark (reset before each file through
//! /proc/self/clear_refs).
//!
//!     cargo run --release --example breach_bench

#[allow(dead_code)]
#[path = "../tests/common/office.rs"]
mod office;

use std::time::Instant;

use foid::core::breach_check::{inspect, Policy};
use office::{rows, Sheet, Xlsx};

/// A figure of /proc/self/status in KiB: `VmHWM` (peak) or `VmRSS` (now).
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Times `reps` checks of one file; memory over what the process held before.
fn measure(label: &str, name: &str, bytes: &[u8], reps: u32) {
    let policy = Policy::default();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let base = status_kib("VmRSS");
    let start = Instant::now();
    let mut findings = 0;
    for _ in 0..reps {
        findings = inspect(name, bytes, &policy).len();
    }
    let each = start.elapsed() / reps;
    let grew = status_kib("VmHWM").saturating_sub(base);
    println!(
        "{label:<34} {:>10} bytes  {:>10.1} ms  peak +{:>6.1} MiB  {findings} findings",
        bytes.len(),
        each.as_secs_f64() * 1000.0,
        grew as f64 / 1024.0
    );
}

fn big_sheet(rows_n: u32, stored: bool) -> Vec<u8> {
    let mut sheet = Sheet::new(
        "Data",
        vec![vec!["Id".into(), "Amount".into(), "Year".into()]],
    );
    for i in 0..rows_n {
        sheet.rows.push(vec![
            i.to_string(),
            format!("{}.{:02}", i % 9973, i % 100),
            (2000 + i % 25).to_string(),
        ]);
    }
    Xlsx {
        sheets: vec![sheet],
        stored,
        ..Xlsx::default()
    }
    .build()
}

/// The files measured, by name; each is built and checked in a process of
/// its own so one file's memory does not hide the next one's.
const CASES: &[&str] = &[
    "small-xlsx",
    "small-docx",
    "small-pdf",
    "jpeg",
    "bomb",
    "10mb-stored",
    "10mb-deflated",
    "50mb-stored",
    "50mb-deflated",
    "100mb-stored",
    "100mb-deflated",
];

fn main() {
    match std::env::args().nth(1) {
        Some(case) => run(&case),
        None => {
            let me = std::env::current_exe().expect("own path");
            for case in CASES {
                let status = std::process::Command::new(&me)
                    .arg(case)
                    .status()
                    .expect("run a case");
                assert!(status.success(), "{case} failed");
            }
        }
    }
}

fn run(case: &str) {
    match case {
        "small-xlsx" => {
            let summary = Xlsx {
                sheets: vec![Sheet::new(
                    "Summary",
                    rows(&[
                        &["Year", "Claims"],
                        &["2022/23", "455"],
                        &["2023/24", "398"],
                    ]),
                )],
                ..Xlsx::default()
            }
            .build();
            measure("small xlsx (3 rows)", "s.xlsx", &summary, 200);
        }
        "small-docx" => {
            let docx = office::docx(
                &office::para("We hold the information requested.").repeat(50),
                None,
                &[],
            );
            measure("small docx (50 paragraphs)", "s.docx", &docx, 200);
        }
        "small-pdf" => {
            let pages = (0..5)
                .map(|i| office::PdfPage {
                    content: office::pdf_text(100, 700 - i, "Answer text"),
                    annotations: vec![],
                })
                .collect();
            measure(
                "small pdf (5 pages)",
                "s.pdf",
                &office::pdf(pages, None, false, 1),
                200,
            );
        }
        "jpeg" => measure(
            "jpeg with EXIF and GPS",
            "p.jpg",
            &office::jpeg(true, true),
            200,
        ),
        "bomb" => {
            let mut sheet =
                b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>".to_vec();
            sheet.resize(512 * 1024 * 1024, b'A');
            let mut bomb = Xlsx {
                sheets: vec![Sheet::new("S", vec![])],
                ..Xlsx::default()
            };
            bomb.extra.push(("xl/worksheets/sheet1.xml".into(), sheet));
            let bomb = bomb.build();
            measure("zip bomb (512 MiB of one byte)", "bomb.xlsx", &bomb, 5);
        }
        big => {
            let (size, how) = big.split_once('-').unwrap_or((big, "stored"));
            let rows_n = match size {
                "10mb" => 95_000,
                "50mb" => 475_000,
                _ => 950_000,
            };
            let bytes = big_sheet(rows_n, how == "stored");
            measure(
                &format!("xlsx {size} {how}, {rows_n} rows"),
                "big.xlsx",
                &bytes,
                1,
            );
        }
    }
}
