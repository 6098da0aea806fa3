//! Berkeley DB hash databases (`/var/lib/rpm/Packages`, RHEL ≤ 8, CentOS, Amazon Linux 2).
//! Only what rpm stores is read: every value on a hash page that lives on overflow pages is a
//! header blob. Both byte orders are accepted, as the file carries the writer's.

/// Why a Berkeley DB hash file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Shorter than a metadata page's fixed fields.
    #[error("file too short for a Berkeley DB")]
    TooShort,
    /// The hash magic is in neither byte order.
    #[error("not a Berkeley DB hash database (bad magic)")]
    BadMagic,
    /// The metadata page ends before a field drydock reads.
    #[error("truncated metadata page")]
    TruncatedMetadata,
    /// A page size Berkeley DB never writes.
    #[error("implausible page size {0}")]
    PageSize(usize),
    /// Page 0 is some other kind of page.
    #[error("first page is not a hash metadata page")]
    NotHashMetadata,
    /// The file ends inside a page.
    #[error("file size {size} is not a multiple of the page size {page_size}: truncated")]
    PartialPage {
        /// The file's size in bytes.
        size: usize,
        /// The page size the metadata page gives.
        page_size: usize,
    },
    /// The file ends on a page boundary, before the last page the metadata counts.
    #[error("the metadata page counts {counted} pages but the file holds {held}: truncated")]
    MissingPages {
        /// Pages the metadata page counts.
        counted: usize,
        /// Whole pages in the file.
        held: usize,
    },
    /// A hash page's item ends before its overflow reference.
    #[error("page {page}: truncated item")]
    TruncatedItem {
        /// The hash page.
        page: u32,
    },
    /// An overflow chain points past the file.
    #[error("overflow page {page} is beyond the end of the file")]
    OverflowBeyondEnd {
        /// The page the chain points to.
        page: u32,
    },
    /// An overflow chain reaches a page of another kind.
    #[error("page {page} should be an overflow page but has type {kind}")]
    NotOverflow {
        /// The page the chain points to.
        page: u32,
        /// Its page type.
        kind: u8,
    },
    /// An overflow page claims more bytes than it holds.
    #[error("overflow page {page} claims {len} bytes")]
    OverflowLength {
        /// The overflow page.
        page: u32,
        /// The length it claims.
        len: usize,
    },
    /// An overflow chain longer than the file has pages: it loops.
    #[error("overflow chain loops")]
    OverflowLoop,
}

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_OFFPAGE: u8 = 3;

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    big_endian: bool,
}

impl Db<'_> {
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        let a: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
    fn page(&self, pgno: u32) -> Option<&[u8]> {
        let start = (pgno as usize).checked_mul(self.page_size)?;
        self.bytes.get(start..start + self.page_size)
    }

    fn overflow(&self, first: u32, total: usize) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(total.min(self.bytes.len()));
        let mut pgno = first;
        let max_pages = self.bytes.len() / self.page_size;
        for _ in 0..max_pages {
            let page = self.page(pgno).ok_or(Error::OverflowBeyondEnd { page: pgno })?;
            if page[25] != P_OVERFLOW {
                return Err(Error::NotOverflow {
                    page: pgno,
                    kind: page[25],
                });
            }
            let len = self.u16(page, 22).unwrap_or(0) as usize;
            let data = page
                .get(PAGE_HEADER..PAGE_HEADER + len)
                .ok_or(Error::OverflowLength { page: pgno, len })?;
            out.extend_from_slice(data);
            pgno = self.u32(page, 16).unwrap_or(0);
            if pgno == 0 {
                out.truncate(total);
                return Ok(out);
            }
        }
        Err(Error::OverflowLoop)
    }
}

/// Whether the bytes open a BerkeleyDB hash database.
pub fn is_bdb_hash(bytes: &[u8]) -> bool {
    bytes.get(12..16).is_some_and(|m| {
        u32::from_le_bytes(m.try_into().unwrap_or_default()) == HASH_MAGIC
            || u32::from_be_bytes(m.try_into().unwrap_or_default()) == HASH_MAGIC
    })
}

/// Every header blob in the database, in page order.
pub fn values(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let magic = bytes.get(12..16).ok_or(Error::TooShort)?;
    let big_endian = if u32::from_le_bytes(magic.try_into().unwrap_or_default()) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes(magic.try_into().unwrap_or_default()) == HASH_MAGIC {
        true
    } else {
        return Err(Error::BadMagic);
    };
    let mut db = Db {
        bytes,
        page_size: 0,
        big_endian,
    };
    let page_size = db.u32(bytes, 20).ok_or(Error::TruncatedMetadata)? as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(Error::PageSize(page_size));
    }
    db.page_size = page_size;
    if bytes.get(25) != Some(&P_HASHMETA) {
        return Err(Error::NotHashMetadata);
    }
    if !bytes.len().is_multiple_of(page_size) {
        return Err(Error::PartialPage {
            size: bytes.len(),
            page_size,
        });
    }
    let last = db.u32(bytes, 32).ok_or(Error::TruncatedMetadata)? as usize;
    // A file cut on a page boundary passes the size check above; the metadata page still
    // knows how many pages there were.
    if bytes.len() / page_size < last + 1 {
        return Err(Error::MissingPages {
            counted: last + 1,
            held: bytes.len() / page_size,
        });
    }
    let pages = last + 1;
    let mut out = Vec::new();
    for pgno in 1..pages as u32 {
        let Some(page) = db.page(pgno) else { break };
        if page[25] != P_HASH && page[25] != P_HASH_UNSORTED {
            continue;
        }
        let entries = db.u16(page, 20).unwrap_or(0) as usize;
        for idx in (1..entries).step_by(2) {
            let Some(off) = db.u16(page, PAGE_HEADER + idx * 2) else {
                break;
            };
            let off = off as usize;
            if page.get(off) != Some(&H_OFFPAGE) {
                continue;
            }
            let next = db.u32(page, off + 4).ok_or(Error::TruncatedItem { page: pgno })?;
            let total = db.u32(page, off + 8).ok_or(Error::TruncatedItem { page: pgno })? as usize;
            out.push(db.overflow(next, total)?);
        }
    }
    Ok(out)
}
