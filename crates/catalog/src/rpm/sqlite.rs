//! rpm's sqlite backend (`rpmdb.sqlite`, RHEL 9+, Fedora 33+, Azure Linux): the `Packages`
//! table's `blob` column holds header blobs. The database is opened from memory, read-only.

use rusqlite::{Connection, MAIN_DB, OpenFlags};

/// Whether the bytes open a SQLite database.
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SQLite format 3\0")
}

/// Every header blob of the `Packages` table.
pub fn values(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if !is_sqlite(bytes) {
        return Err("not a sqlite database".to_string());
    }
    // A WAL-mode file (header bytes 18-19 = 2) cannot be opened from memory; the image holds no
    // WAL anyway, so read it as a rollback-journal database.
    let mut copy = bytes.to_vec();
    if copy.len() > 19 {
        copy[18] = 1;
        copy[19] = 1;
    }
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    let len = copy.len();
    conn.deserialize_read_exact(MAIN_DB, &copy[..], len, true)
        .map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages")
        .map_err(|e| format!("no Packages table: {e}"))?;
    let rows = stmt
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .map_err(|e| e.to_string())?;
    rows.map(|r| r.map_err(|e| e.to_string())).collect()
}
