//! rpm's own "ndb" package database (`Packages.db`, SUSE and openSUSE): a slot table of
//! (package index, block offset, block count) followed by blobs of 16-byte blocks.
//! All integers are little-endian.

/// Why an ndb `Packages.db` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The file does not start with ndb's magic.
    #[error("not an rpm ndb database (bad magic)")]
    BadMagic,
    /// The file ends inside its header.
    #[error("truncated header")]
    TruncatedHeader,
    /// A format version drydock does not know.
    #[error("unsupported ndb version {0}")]
    Version(u32),
    /// The slot table is empty or longer than the file.
    #[error("slot table of {pages} pages does not fit the file: truncated")]
    SlotTable {
        /// Pages the header gives the slot table.
        pages: usize,
    },
    /// A slot's block offset overflows a file offset.
    #[error("block offset overflows")]
    BlockOffset,
    /// A slot points where no blob starts.
    #[error("package {package}: no blob at block {block}")]
    NoBlob {
        /// The slot's package index.
        package: u32,
        /// The block it points to.
        block: usize,
    },
    /// A slot points at another package's blob.
    #[error("package {package}: blob belongs to another package")]
    ForeignBlob {
        /// The slot's package index.
        package: u32,
    },
    /// The file ends inside a blob's header.
    #[error("truncated blob header")]
    TruncatedBlobHeader,
    /// A blob is longer than what is left of the file.
    #[error("package {package}: blob of {len} bytes runs past the end of the file")]
    BlobPastEnd {
        /// The slot's package index.
        package: u32,
        /// The length the blob claims.
        len: usize,
    },
}

const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK_SIZE: usize = 16;
const BLOB_HEADER: usize = 16;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Whether the bytes open an ndb `Packages.db`.
pub fn is_ndb(bytes: &[u8]) -> bool {
    le32(bytes, 0) == Some(HEADER_MAGIC)
}

/// Every header blob, in slot order.
pub fn values(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    if !is_ndb(bytes) {
        return Err(Error::BadMagic);
    }
    let version = le32(bytes, 4).ok_or(Error::TruncatedHeader)?;
    if version != 0 {
        return Err(Error::Version(version));
    }
    let slot_pages = le32(bytes, 12).ok_or(Error::TruncatedHeader)? as usize;
    if slot_pages == 0 || slot_pages.saturating_mul(PAGE_SIZE) > bytes.len() {
        return Err(Error::SlotTable { pages: slot_pages });
    }
    let slots = slot_pages * PAGE_SIZE / SLOT_SIZE;
    let mut out = Vec::new();
    // The first two slots hold the file header.
    for i in 2..slots {
        let at = i * SLOT_SIZE;
        if le32(bytes, at) != Some(SLOT_MAGIC) {
            continue;
        }
        let pkg_index = le32(bytes, at + 4).unwrap_or(0);
        let block_offset = le32(bytes, at + 8).unwrap_or(0) as usize;
        if pkg_index == 0 {
            continue;
        }
        let start = block_offset.checked_mul(BLOCK_SIZE).ok_or(Error::BlockOffset)?;
        if le32(bytes, start) != Some(BLOB_MAGIC) {
            return Err(Error::NoBlob {
                package: pkg_index,
                block: block_offset,
            });
        }
        if le32(bytes, start + 4) != Some(pkg_index) {
            return Err(Error::ForeignBlob { package: pkg_index });
        }
        let len = le32(bytes, start + 12).ok_or(Error::TruncatedBlobHeader)? as usize;
        let blob = bytes
            .get(start + BLOB_HEADER..start + BLOB_HEADER + len)
            .ok_or(Error::BlobPastEnd {
                package: pkg_index,
                len,
            })?;
        out.push(blob.to_vec());
    }
    Ok(out)
}
