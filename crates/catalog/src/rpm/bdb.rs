//! Berkeley DB hash databases (`/var/lib/rpm/Packages`, RHEL ≤ 8, CentOS, Amazon Linux 2).
//! Only what rpm stores is read: every value on a hash page that lives on overflow pages is a
//! header blob. Both byte orders are accepted, as the file carries the writer's.

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

    fn overflow(&self, first: u32, total: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(total.min(self.bytes.len()));
        let mut pgno = first;
        let max_pages = self.bytes.len() / self.page_size;
        for _ in 0..max_pages {
            let page = self
                .page(pgno)
                .ok_or_else(|| format!("overflow page {pgno} is beyond the end of the file"))?;
            if page[25] != P_OVERFLOW {
                return Err(format!(
                    "page {pgno} should be an overflow page but has type {}",
                    page[25]
                ));
            }
            let len = self.u16(page, 22).unwrap_or(0) as usize;
            let data = page
                .get(PAGE_HEADER..PAGE_HEADER + len)
                .ok_or_else(|| format!("overflow page {pgno} claims {len} bytes"))?;
            out.extend_from_slice(data);
            pgno = self.u32(page, 16).unwrap_or(0);
            if pgno == 0 {
                out.truncate(total);
                return Ok(out);
            }
        }
        Err("overflow chain loops".to_string())
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
pub fn values(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let magic = bytes.get(12..16).ok_or("file too short for a Berkeley DB")?;
    let big_endian = if u32::from_le_bytes(magic.try_into().unwrap_or_default()) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes(magic.try_into().unwrap_or_default()) == HASH_MAGIC {
        true
    } else {
        return Err("not a Berkeley DB hash database (bad magic)".to_string());
    };
    let mut db = Db {
        bytes,
        page_size: 0,
        big_endian,
    };
    let page_size = db.u32(bytes, 20).ok_or("truncated metadata page")? as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("implausible page size {page_size}"));
    }
    db.page_size = page_size;
    if bytes.get(25) != Some(&P_HASHMETA) {
        return Err("first page is not a hash metadata page".to_string());
    }
    if !bytes.len().is_multiple_of(page_size) {
        return Err(format!(
            "file size {} is not a multiple of the page size {page_size}: truncated",
            bytes.len()
        ));
    }
    let last = db.u32(bytes, 32).ok_or("truncated metadata page")? as usize;
    // A file cut on a page boundary passes the size check above; the metadata page still
    // knows how many pages there were.
    if bytes.len() / page_size < last + 1 {
        return Err(format!(
            "the metadata page counts {} pages but the file holds {}: truncated",
            last + 1,
            bytes.len() / page_size
        ));
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
            let next = db
                .u32(page, off + 4)
                .ok_or_else(|| format!("page {pgno}: truncated item"))?;
            let total = db
                .u32(page, off + 8)
                .ok_or_else(|| format!("page {pgno}: truncated item"))? as usize;
            out.push(db.overflow(next, total)?);
        }
    }
    Ok(out)
}
