//! Reading a zip archive (a jar) in one pass over a stream that cannot seek, by its local
//! headers. The zip crate's stream reader refuses entries whose sizes follow their data (a
//! data descriptor), which `jar` and most build tools write for every deflated entry, so this
//! reader is drydock's own.
//!
//! A deflated entry of unknown size ends where its deflate stream does. A stored entry of
//! unknown size cannot be delimited: the walk stops there and says so.

use std::io::{self, BufReader, Read};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// Calls `visit` with each entry's name and contents, in the archive's order, until the
/// central directory or until `visit` says stop (false). Returns why the walk ended early, for
/// an entry a stream cannot delimit; whatever `visit` leaves unread is skipped.
pub(crate) fn walk(
    reader: &mut dyn Read,
    visit: &mut dyn FnMut(&str, &mut dyn Read) -> bool,
) -> io::Result<Option<String>> {
    let mut input = BufReader::with_capacity(64 << 10, reader);
    loop {
        let signature = match read_u32(&mut input) {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        };
        if signature == CENTRAL_HEADER || signature == END_OF_CENTRAL {
            return Ok(None);
        }
        if signature != LOCAL_HEADER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a local file header (signature {signature:#010x})"),
            ));
        }
        let mut fixed = [0u8; 26];
        input.read_exact(&mut fixed)?;
        let u16_at = |i: usize| u16::from_le_bytes([fixed[i], fixed[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let (flags, method) = (u16_at(2), u16_at(4));
        let mut compressed = u64::from(u32_at(14));
        let mut name = vec![0u8; usize::from(u16_at(22))];
        input.read_exact(&mut name)?;
        let mut extra = vec![0u8; usize::from(u16_at(24))];
        input.read_exact(&mut extra)?;
        let zip64 = zip64_compressed_size(&extra);
        if let Some(size) = zip64
            && compressed == u64::from(u32::MAX)
        {
            compressed = size;
        }
        let name = String::from_utf8_lossy(&name).into_owned();
        let sizes_follow = flags & 0x8 != 0;
        let go_on = match (method, sizes_follow) {
            (DEFLATED, true) => {
                let mut decoder = flate2::bufread::DeflateDecoder::new(&mut input);
                let go_on = visit(&name, &mut decoder);
                io::copy(&mut decoder, &mut io::sink())?;
                drop(decoder);
                skip_data_descriptor(&mut input, zip64.is_some())?;
                go_on
            }
            (STORED, true) => {
                return Ok(Some(format!(
                    "{name} is stored with its size after its data, which a stream cannot delimit"
                )));
            }
            (other, true) => {
                return Ok(Some(format!(
                    "{name} uses compression method {other} with its size after its data"
                )));
            }
            (DEFLATED, false) => {
                let mut limited = (&mut input).take(compressed);
                let go_on = visit(&name, &mut flate2::bufread::DeflateDecoder::new(&mut limited));
                io::copy(&mut limited, &mut io::sink())?;
                go_on
            }
            (STORED, false) => {
                let mut limited = (&mut input).take(compressed);
                let go_on = visit(&name, &mut limited);
                io::copy(&mut limited, &mut io::sink())?;
                go_on
            }
            // Another method: its bytes are skipped, the entry is not looked at.
            (_, false) => {
                io::copy(&mut (&mut input).take(compressed), &mut io::sink())?;
                true
            }
        };
        if !go_on {
            return Ok(None);
        }
    }
}

fn read_u32(input: &mut dyn Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// The compressed size a zip64 extra field carries, when it carries both sizes.
fn zip64_compressed_size(extra: &[u8]) -> Option<u64> {
    let mut rest = extra;
    while rest.len() >= 4 {
        let id = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let body = rest.get(4..4 + len)?;
        if id == 1 && body.len() >= 16 {
            return Some(u64::from_le_bytes(body[8..16].try_into().ok()?));
        }
        rest = &rest[4 + len..];
    }
    None
}

/// The CRC and sizes that follow an entry's data, with or without their optional signature;
/// the sizes take 8 bytes each in a zip64 entry.
fn skip_data_descriptor(input: &mut dyn Read, zip64: bool) -> io::Result<()> {
    let first = read_u32(input)?;
    // Without the signature, `first` was the CRC.
    let rest = if zip64 { 16 } else { 8 } + if first == DATA_DESCRIPTOR { 4 } else { 0 };
    io::copy(&mut input.take(rest), &mut io::sink())?;
    Ok(())
}
