//! Images: EXIF (camera, owner, serial numbers, when it was taken), GPS
//! position, XMP packets and text chunks. JPEG segments and PNG chunks are
//! walked here (both for the check and for a cleaned copy); EXIF values
//! are read with kamadak-exif.

use std::io::Cursor;

use exif::{Context, Tag};

use super::{some_of, FindingKind, Findings};

/// Tags that describe the picture itself, not who or where.
const STRUCTURAL: &[Tag] = &[
    Tag::Orientation,
    Tag::XResolution,
    Tag::YResolution,
    Tag::ResolutionUnit,
    Tag::YCbCrPositioning,
    Tag::YCbCrSubSampling,
    Tag::ExifVersion,
    Tag::FlashpixVersion,
    Tag::ColorSpace,
    Tag::PixelXDimension,
    Tag::PixelYDimension,
    Tag::ComponentsConfiguration,
    Tag::ExifIFDPointer,
    Tag::GPSInfoIFDPointer,
    Tag::InteropIFDPointer,
    Tag::Compression,
    Tag::JPEGInterchangeFormat,
    Tag::JPEGInterchangeFormatLength,
    Tag::ImageWidth,
    Tag::ImageLength,
    Tag::BitsPerSample,
    Tag::PhotometricInterpretation,
    Tag::SamplesPerPixel,
    Tag::PlanarConfiguration,
    Tag::StripOffsets,
    Tag::StripByteCounts,
    Tag::RowsPerStrip,
];

pub(crate) fn inspect(bytes: &[u8], out: &mut Findings) {
    if let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        let (mut gps, mut other) = (Vec::new(), Vec::new());
        for f in exif.fields() {
            if f.tag.context() == Context::Gps {
                if matches!(
                    f.tag,
                    Tag::GPSLatitude
                        | Tag::GPSLongitude
                        | Tag::GPSLatitudeRef
                        | Tag::GPSLongitudeRef
                ) {
                    gps.push(format!("{} {}", f.tag, f.display_value().with_unit(&exif)));
                }
            } else if !STRUCTURAL.contains(&f.tag) {
                let value = f.display_value().with_unit(&exif).to_string();
                other.push(format!("{} = {}", f.tag, super::excerpt(&value, 40)));
            }
        }
        if !gps.is_empty() {
            out.push(
                FindingKind::GpsLocation,
                "EXIF GPS",
                format!("where it was taken: {}", gps.join(", ")),
            );
        }
        if !other.is_empty() {
            other.sort();
            other.dedup();
            out.push(FindingKind::ImageMetadata, "EXIF", some_of(&other, 8));
        }
    }
    let mut extra = Vec::new();
    if let Some(segments) = jpeg_segments(bytes) {
        for s in segments {
            let data = bytes.get(s.start + 4..s.end).unwrap_or_default();
            if s.marker == 0xE1 && data.starts_with(b"http://ns.adobe.com/xap/") {
                extra.push("an XMP packet".to_string());
            } else if s.marker == 0xFE {
                extra.push(format!(
                    "a comment \"{}\"",
                    super::excerpt(&String::from_utf8_lossy(data), 40)
                ));
            }
        }
    }
    if let Some(chunks) = png_chunks(bytes) {
        for c in chunks {
            if matches!(&c.kind, b"tEXt" | b"iTXt" | b"zTXt") {
                let data = bytes.get(c.start + 8..c.end - 4).unwrap_or_default();
                let key: Vec<u8> = data.iter().take_while(|b| **b != 0).copied().collect();
                extra.push(format!("a text chunk '{}'", String::from_utf8_lossy(&key)));
            }
        }
    }
    if !extra.is_empty() {
        out.push(
            FindingKind::ImageMetadata,
            "the image file",
            some_of(&extra, 5),
        );
    }
}

/// A JPEG segment: marker and byte range (marker bytes included).
pub(crate) struct Segment {
    pub(crate) marker: u8,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The segments before the image data, or None for a file that is not a
/// well-formed JPEG.
pub(crate) fn jpeg_segments(bytes: &[u8]) -> Option<Vec<Segment>> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 2usize;
    loop {
        let (&ff, &marker) = (bytes.get(i)?, bytes.get(i + 1)?);
        if ff != 0xFF {
            return None;
        }
        if marker == 0xDA || marker == 0xD9 {
            return Some(out); // start of scan: image data follows
        }
        let len = u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]) as usize;
        let end = i.checked_add(2)?.checked_add(len)?;
        if end > bytes.len() || len < 2 {
            return None;
        }
        out.push(Segment {
            marker,
            start: i,
            end,
        });
        i = end;
    }
}

/// A PNG chunk: type and byte range (length, type and CRC included).
pub(crate) struct Chunk {
    pub(crate) kind: [u8; 4],
    pub(crate) start: usize,
    pub(crate) end: usize,
}

pub(crate) fn png_chunks(bytes: &[u8]) -> Option<Vec<Chunk>> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 8usize;
    while i < bytes.len() {
        let len = u32::from_be_bytes(bytes.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = bytes.get(i + 4..i + 8)?.try_into().ok()?;
        let end = i.checked_add(12)?.checked_add(len)?;
        if end > bytes.len() {
            return None;
        }
        out.push(Chunk {
            kind,
            start: i,
            end,
        });
        i = end;
        if &kind == b"IEND" {
            break;
        }
    }
    Some(out)
}
