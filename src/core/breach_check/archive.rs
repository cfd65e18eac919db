//! Zip packages (Office Open XML, OpenDocument) read within limits: the
//! entry count and declared sizes are checked before anything is
//! unpacked, every entry is unpacked through a counter that stops at the
//! budget or at a bomb's compression ratio, and XML is read as a stream
//! with a depth limit. quick-xml expands no DTD entities, so entity bombs
//! have nothing to grow from.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::personal_data::Scanner;
use super::{odf, ooxml, FindingKind, Findings, Limits, Policy, Problem};

const BOMB_FLOOR: u64 = 1024 * 1024;

/// One entry of a package held in memory, as it is unpacked.
type Entry<'z, 'a> = zip::read::ZipFile<'z, Cursor<&'a [u8]>>;

pub(crate) struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    limits: &'a Limits,
    unpacked: u64,
    names: Vec<String>,
}

impl<'a> Archive<'a> {
    pub(crate) fn open(bytes: &'a [u8], limits: &'a Limits) -> Result<Self, Problem> {
        let zip = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Problem::Corrupt(format!("not a readable zip package: {e}")))?;
        if zip.len() > limits.max_entries {
            return Err(Problem::Limit(format!(
                "{} entries, over the limit of {} ([breach_check.limits] max_entries)",
                zip.len(),
                limits.max_entries
            )));
        }
        let names: Vec<String> = zip.file_names().map(str::to_string).collect();
        let declared: u64 = zip
            .decompressed_size()
            .map(|s| s as u64)
            .unwrap_or(u64::MAX);
        if declared > limits.max_unpacked_bytes {
            return Err(Problem::Limit(format!(
                "its entries declare {declared} bytes unpacked, over the limit of {} ([breach_check.limits] max_unpacked_bytes)",
                limits.max_unpacked_bytes
            )));
        }
        Ok(Archive {
            zip,
            limits,
            unpacked: 0,
            names,
        })
    }

    pub(crate) fn limits(&self) -> &Limits {
        self.limits
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// An entry, opened to be unpacked through the limits; None when the
    /// package has no such entry.
    fn entry(&mut self, name: &str) -> Result<Option<Counted<'a, Entry<'_, 'a>>>, Problem> {
        let limits = self.limits;
        let budget = limits.max_unpacked_bytes.saturating_sub(self.unpacked);
        let entry = match self.zip.by_name(name) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(Problem::Corrupt(format!("entry {name}: {e}"))),
        };
        if entry.encrypted() {
            return Err(Problem::Corrupt(format!("entry {name} is encrypted")));
        }
        Ok(Some(Counted {
            packed: entry.compressed_size().max(1),
            inner: entry,
            read: 0,
            budget,
            limits,
            name: name.to_string(),
            stopped: None,
        }))
    }

    /// The whole entry, within the budget.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, Problem> {
        let Some(mut entry) = self.entry(name)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        let result = entry.read_to_end(&mut out);
        let (read, stopped) = (entry.read, entry.stopped.take());
        drop(entry);
        self.unpacked += read;
        if let Some(p) = stopped {
            return Err(p);
        }
        result.map_err(|e| Problem::Corrupt(format!("entry {name}: {e}")))?;
        Ok(Some(out))
    }

    /// Reads an XML entry as a stream of events, calling `each` with the
    /// event and the depth of the element it belongs to. The entry is
    /// unpacked as it is read, never whole.
    pub(crate) fn xml<F>(&mut self, name: &str, each: F) -> Result<bool, Problem>
    where
        F: FnMut(&Event<'_>, usize) -> Result<(), Problem>,
    {
        let max_depth = self.limits.max_xml_depth;
        let Some(mut entry) = self.entry(name)? else {
            return Ok(false);
        };
        let result = read_xml_from(BufReader::new(&mut entry), max_depth, name, each);
        let (read, stopped) = (entry.read, entry.stopped.take());
        drop(entry);
        self.unpacked += read;
        if let Some(p) = stopped {
            return Err(p);
        }
        result.map(|_| true)
    }
}

/// An entry's reader that stops at the unpacked budget or a bomb's ratio,
/// keeping why it stopped (the reader's caller sees only an I/O error).
struct Counted<'l, R> {
    inner: R,
    read: u64,
    packed: u64,
    budget: u64,
    limits: &'l Limits,
    name: String,
    stopped: Option<Problem>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let problem = if self.read > self.budget {
            Some(Problem::Limit(format!(
                "unpacking {} went over the limit of {} bytes unpacked ([breach_check.limits] max_unpacked_bytes)",
                self.name, self.limits.max_unpacked_bytes
            )))
        } else if self.read > BOMB_FLOOR
            && self.read / self.packed > self.limits.max_compression_ratio
        {
            Some(Problem::Limit(format!(
                "{} unpacks to more than {} times its packed size: a zip bomb, or built to look like one ([breach_check.limits] max_compression_ratio)",
                self.name, self.limits.max_compression_ratio
            )))
        } else {
            None
        };
        match problem {
            Some(p) => {
                self.stopped = Some(p);
                Err(std::io::Error::other("inspection limit reached"))
            }
            None => Ok(n),
        }
    }
}

/// Streams XML events from bytes with a depth limit.
pub(crate) fn read_xml<F>(
    bytes: &[u8],
    max_depth: usize,
    name: &str,
    each: F,
) -> Result<(), Problem>
where
    F: FnMut(&Event<'_>, usize) -> Result<(), Problem>,
{
    read_xml_from(BufReader::new(bytes), max_depth, name, each)
}

fn read_xml_from<R: std::io::BufRead, F>(
    source: R,
    max_depth: usize,
    name: &str,
    mut each: F,
) -> Result<(), Problem>
where
    F: FnMut(&Event<'_>, usize) -> Result<(), Problem>,
{
    let mut reader = quick_xml::Reader::from_reader(source);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    loop {
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| Problem::Corrupt(format!("{name} is not well-formed XML: {e}")))?;
        match &event {
            Event::Start(_) => {
                depth += 1;
                if depth > max_depth {
                    return Err(Problem::Limit(format!(
                        "{name} nests elements more than {max_depth} deep ([breach_check.limits] max_xml_depth)"
                    )));
                }
                each(&event, depth)?;
            }
            Event::End(_) => {
                each(&event, depth)?;
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Ok(()),
            _ => each(&event, depth + 1)?,
        }
    }
}

/// An attribute's unescaped value, by local name.
pub(crate) fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned())
        })
    })
}

pub(crate) fn local<'e>(e: &'e BytesStart<'_>) -> &'e [u8] {
    e.local_name().into_inner()
}

/// Text content of a text event.
pub(crate) fn text_of(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Text(t) => Some(
            t.decode()
                .map(|s| {
                    quick_xml::escape::unescape(&s)
                        .map(|u| u.into_owned())
                        .unwrap_or_else(|_| s.into_owned())
                })
                .unwrap_or_default(),
        ),
        Event::CData(t) => Some(String::from_utf8_lossy(t).into_owned()),
        Event::GeneralRef(r) => r
            .resolve_char_ref()
            .ok()
            .flatten()
            .map(|c| c.to_string())
            .or_else(|| match &**r {
                b"amp" => Some("&".into()),
                b"lt" => Some("<".into()),
                b"gt" => Some(">".into()),
                b"quot" => Some("\"".into()),
                b"apos" => Some("'".into()),
                _ => None,
            }),
        _ => None,
    }
}

/// The properties a part holds, as `name = value`: the elements
/// `name_of` names, with their text. One finding for the part if any.
pub(crate) fn properties(
    a: &mut Archive,
    part: &str,
    name_of: impl Fn(&BytesStart<'_>) -> Option<String>,
    out: &mut Findings,
) -> Result<(), Problem> {
    let mut found: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    a.xml(part, |e, _| {
        match e {
            Event::Start(s) => current = name_of(s),
            Event::End(_) => current = None,
            _ => {
                if let (Some(name), Some(t)) = (&current, text_of(e)) {
                    if !t.trim().is_empty() {
                        found.push(format!("{name} = {}", super::excerpt(&t, 60)));
                    }
                }
            }
        }
        Ok(())
    })?;
    if !found.is_empty() {
        out.push(FindingKind::DocumentProperties, part, found.join("; "));
    }
    Ok(())
}

/// A zip package: Office Open XML, OpenDocument, or a plain archive.
pub(crate) fn inspect_package(
    bytes: &[u8],
    policy: &Policy,
    out: &mut Findings,
    scan: &mut Scanner,
) {
    let mut archive = match Archive::open(bytes, &policy.limits) {
        Ok(a) => a,
        Err(p) => return out.problem("the whole file", p),
    };
    let result = if archive.has("[Content_Types].xml") {
        ooxml::inspect(&mut archive, out, scan)
    } else if archive.has("mimetype") && archive.has("content.xml") {
        odf::inspect(&mut archive, out, scan)
    } else {
        out.push(
            FindingKind::NotInspectable,
            "the whole file",
            format!(
                "a zip archive of {} files, which foid does not open: attach the files themselves",
                archive.names().len()
            ),
        );
        Ok(())
    };
    if let Err((part, p)) = result {
        out.problem(&part, p);
    }
}
