//! rpm's sqlite backend (`rpmdb.sqlite`, RHEL 9+, Fedora 33+, Azure Linux): the `Packages`
//! table's `blob` column holds header blobs. The database is opened from memory, read-only.

use rusqlite::{Connection, MAIN_DB, OpenFlags};

/// Why an rpm sqlite database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not a SQLite database.
    #[error("not a sqlite database")]
    NotSqlite,
    /// SQLite refused the file.
    #[error("{0}")]
    Open(rusqlite::Error),
    /// The database has no `Packages` table.
    #[error("no Packages table: {0}")]
    NoPackagesTable(rusqlite::Error),
    /// Reading a row failed.
    #[error("{0}")]
    Row(rusqlite::Error),
}

/// Whether the bytes open a SQLite database.
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SQLite format 3\0")
}

/// Every header blob of the `Packages` table.
pub fn values(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    if !is_sqlite(bytes) {
        return Err(Error::NotSqlite);
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
    .map_err(Error::Open)?;
    let len = copy.len();
    conn.deserialize_read_exact(MAIN_DB, &copy[..], len, true)
        .map_err(Error::Open)?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages")
        .map_err(Error::NoPackagesTable)?;
    let rows = stmt
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .map_err(Error::Row)?;
    rows.map(|r| r.map_err(Error::Row)).collect()
}
