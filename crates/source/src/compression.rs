use std::io::Read;

use crate::error::{Error, Result};

/// Layer and archive compression. The magic bytes decide; the media type only cross-checks,
/// because real registries and archives mislabel layers often enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

pub fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

pub fn from_media_type(media_type: &str) -> Option<Compression> {
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
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    pub fn decoder<'a, R: Read + Send + 'a>(
        self,
        reader: R,
        place: &str,
    ) -> Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            Compression::None => Box::new(reader),
            Compression::Gzip => Box::new(GzipMembers::new(reader)),
            Compression::Zstd => Box::new(
                zstd::stream::read::Decoder::new(reader)
                    .map_err(|e| Error::NotAnImage(format!("{place}: cannot start zstd decoder: {e}")))?,
            ),
        })
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
