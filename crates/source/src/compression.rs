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
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            Compression::Zstd => Box::new(
                zstd::stream::read::Decoder::new(reader)
                    .map_err(|e| Error::NotAnImage(format!("{place}: cannot start zstd decoder: {e}")))?,
            ),
        })
    }
}
