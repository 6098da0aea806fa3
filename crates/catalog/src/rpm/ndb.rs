//! rpm's own "ndb" package database (`Packages.db`, SUSE and openSUSE): a slot table of
//! (package index, block offset, block count) followed by blobs of 16-byte blocks.
//! All integers are little-endian.

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
pub fn values(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if !is_ndb(bytes) {
        return Err("not an rpm ndb database (bad magic)".to_string());
    }
    let version = le32(bytes, 4).ok_or("truncated header")?;
    if version != 0 {
        return Err(format!("unsupported ndb version {version}"));
    }
    let slot_pages = le32(bytes, 12).ok_or("truncated header")? as usize;
    if slot_pages == 0 || slot_pages.saturating_mul(PAGE_SIZE) > bytes.len() {
        return Err(format!(
            "slot table of {slot_pages} pages does not fit the file: truncated"
        ));
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
        let start = block_offset
            .checked_mul(BLOCK_SIZE)
            .ok_or("block offset overflows")?;
        if le32(bytes, start) != Some(BLOB_MAGIC) {
            return Err(format!("package {pkg_index}: no blob at block {block_offset}"));
        }
        if le32(bytes, start + 4) != Some(pkg_index) {
            return Err(format!("package {pkg_index}: blob belongs to another package"));
        }
        let len = le32(bytes, start + 12).ok_or("truncated blob header")? as usize;
        let blob = bytes
            .get(start + BLOB_HEADER..start + BLOB_HEADER + len)
            .ok_or_else(|| {
                format!("package {pkg_index}: blob of {len} bytes runs past the end of the file")
            })?;
        out.push(blob.to_vec());
    }
    Ok(out)
}
