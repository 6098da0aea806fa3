use std::io::Read;

use crate::error::{Error, Result};

/// Layer and archive compression. The magic bytes decide; the media type only cross-checks,
/// because real registries and archives mislabel layers often enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

pub(crate) fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

pub(crate) fn from_media_type(media_type: &str) -> Option<Compression> {
    if media_type.ends_with("gzip")
        || media_type.ends_with("tar.gzip")
        || media_type.contains("rootfs.diff.tar.gzip")
    {
        Some(Compression::Gzip)
    } else if media_type.ends_with("zstd") {
        Some(Compression::Zstd)
    } else if media_type.ends_with(".tar") || media_type.ends_with("diff.tar") {
        Some(Compression::None)
    } else {
        None
    }
}

impl Compression {
    /// `none`, `gzip` or `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// A reader of the plain tar over `reader`.
    pub fn decoder<'a, R: Read + Send + 'a>(
        self,
        reader: R,
        place: &str,
    ) -> Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            Compression::None => Box::new(reader),
            #[cfg(feature = "isal")]
            Compression::Gzip => Box::new(IsalGzip(isal::read::GzipDecoder::new(reader))),
            #[cfg(not(feature = "isal"))]
            Compression::Gzip => Box::new(GzipMembers::new(reader)),
            Compression::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::new(reader)
                    .map_err(|e| Error::NotAnImage(format!("{place}: cannot start zstd decoder: {e}")))?;
                // The frame header names the window the decoder allocates, and the decoder
                // fills it as it goes: left at zstd's default (128 MiB) a 10 KB layer takes
                // 128 MiB. What builders write (zstd -19, the Go encoders) needs at most 8 MiB.
                decoder
                    .window_log_max(MAX_ZSTD_WINDOW_LOG)
                    .map_err(|e| Error::NotAnImage(format!("{place}: cannot start zstd decoder: {e}")))?;
                Box::new(ZstdWindow(decoder))
            }
        })
    }
}

/// The largest zstd window drydock decodes with: 2^23 bytes, 8 MiB.
pub(crate) const MAX_ZSTD_WINDOW_LOG: u32 = 23;

/// Says what a window past [`MAX_ZSTD_WINDOW_LOG`] is, rather than zstd's "requires too much
/// memory".
struct ZstdWindow<R: Read>(R);

/// One zstd layer is inflated at a time in the whole process: each may fill an 8 MiB window,
/// and layers read in parallel would add those up (gzip, the common case, needs 32 KiB).
/// Taken only around a layer's own decoder: a layer inside an archive compressed as a whole
/// is inflated inside that archive's decoder, which must not wait for it.
pub(crate) struct ZstdTurn;

static ZSTD_BUSY: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
static ZSTD_FREED: std::sync::Condvar = std::sync::Condvar::new();

impl ZstdTurn {
    pub(crate) fn wait() -> Self {
        let mut busy = ZSTD_BUSY.lock().unwrap_or_else(|e| e.into_inner());
        while *busy {
            busy = ZSTD_FREED.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy = true;
        ZstdTurn
    }
}

impl Drop for ZstdTurn {
    fn drop(&mut self) {
        *ZSTD_BUSY.lock().unwrap_or_else(|e| e.into_inner()) = false;
        ZSTD_FREED.notify_one();
    }
}

impl<R: Read> Read for ZstdWindow<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.to_string().contains("too much memory") {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "a zstd frame asks for a window larger than the {} MiB drydock decodes with",
                        (1u64 << MAX_ZSTD_WINDOW_LOG) >> 20
                    ),
                )
            } else {
                e
            }
        })
    }
}

/// ISA-L's decoder, moved to the thread that inflates a layer.
#[cfg(feature = "isal")]
struct IsalGzip<R: Read>(isal::read::GzipDecoder<R>);

// SAFETY: the decoder owns its inflate state (plain memory, raw pointers into its own buffers)
// and ISA-L keeps no thread-local or global state; it is moved between threads, never shared.
#[cfg(feature = "isal")]
unsafe impl<R: Read + Send> Send for IsalGzip<R> {}

#[cfg(feature = "isal")]
impl<R: Read> Read for IsalGzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

/// gzip members decoded without their CRC-32: every layer blob is already verified against its
/// sha256 digest, so the CRC would cost a tenth of the scan for no extra assurance. Header
/// fields are parsed per RFC 1952; a truncated trailer is still an error.
struct GzipMembers<R: Read> {
    decoder: Option<flate2::bufread::DeflateDecoder<std::io::BufReader<R>>>,
    reader: Option<std::io::BufReader<R>>,
}

impl<R: Read> GzipMembers<R> {
    fn new(reader: R) -> Self {
        GzipMembers {
            decoder: None,
            reader: Some(std::io::BufReader::with_capacity(128 << 10, reader)),
        }
    }
}

fn skip_header(r: &mut impl std::io::BufRead) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let mut fixed = [0u8; 10];
    r.read_exact(&mut fixed)?;
    if fixed[0] != 0x1f || fixed[1] != 0x8b || fixed[2] != 8 {
        return Err(Error::new(ErrorKind::InvalidData, "invalid gzip header"));
    }
    let flags = fixed[3];
    if flags & 0x04 != 0 {
        let mut len = [0u8; 2];
        r.read_exact(&mut len)?;
        std::io::copy(&mut r.take(u16::from_le_bytes(len) as u64), &mut std::io::sink())?;
    }
    for bit in [0x08, 0x10] {
        if flags & bit != 0 {
            let mut sink = Vec::new();
            r.read_until(0, &mut sink)?;
            if sink.last() != Some(&0) {
                return Err(Error::new(ErrorKind::UnexpectedEof, "truncated gzip header"));
            }
        }
    }
    if flags & 0x02 != 0 {
        let mut crc = [0u8; 2];
        r.read_exact(&mut crc)?;
    }
    Ok(())
}

impl<R: Read> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::BufRead;
        loop {
            if let Some(d) = &mut self.decoder {
                let n = d.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                let mut inner = self
                    .decoder
                    .take()
                    .map(|d| d.into_inner())
                    .ok_or_else(|| std::io::Error::other("gzip state"))?;
                let mut trailer = [0u8; 8];
                inner.read_exact(&mut trailer)?;
                self.reader = Some(inner);
            }
            let Some(mut r) = self.reader.take() else {
                return Ok(0);
            };
            if r.fill_buf()?.is_empty() {
                return Ok(0);
            }
            skip_header(&mut r)?;
            self.decoder = Some(flate2::bufread::DeflateDecoder::new(r));
        }
    }
}

#[cfg(test)]
mod gzip_tests {
    use std::io::{Read, Write};

    use super::Compression;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(blob: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Compression::Gzip
            .decoder(blob, "test")
            .unwrap()
            .read_to_end(&mut out)?;
        Ok(out)
    }

    /// pigz and some registries write several members; every decoder drydock builds with must
    /// read them all, and a member cut short must be an error.
    #[test]
    fn concatenated_members_are_one_stream_and_truncation_is_an_error() {
        let mut blob = gzip(b"first member, ");
        blob.extend(gzip(b"second member"));
        assert_eq!(decode(&blob).unwrap(), b"first member, second member");
        let whole = gzip(&vec![7u8; 100_000]);
        assert!(decode(&whole[..whole.len() - 4]).is_err(), "trailer cut");
        assert!(decode(&whole[..whole.len() / 2]).is_err(), "data cut");
    }
}
