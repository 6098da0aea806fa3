//! Registry tags `monitor watch` follows, with the digest last seen.

use super::*;

/// A followed tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// Its id.
    pub id: i64,
    /// `registry/repository:tag`.
    pub reference: String,
    /// The digest seen last.
    pub digest: Option<String>,
}

impl Store {
    /// Follows a tag; false when it was already followed.
    pub fn add_watch(&self, reference: &str) -> Result<bool, Error> {
        let n = self.conn().execute(
            "INSERT INTO watches (reference) VALUES ($1) ON CONFLICT (reference) DO NOTHING",
            &[reference.into()],
        )?;
        Ok(n > 0)
    }

    /// Every followed tag.
    pub fn watches(&self) -> Result<Vec<Watch>, Error> {
        let rows = self.conn().query(
            "SELECT id, reference, digest FROM watches ORDER BY reference",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| Watch {
                id: r[0].int().unwrap_or_default(),
                reference: text(&r[1]),
                digest: r[2].text().map(str::to_string),
            })
            .collect())
    }

    /// Records the digest a tag was seen at.
    pub fn set_watch_digest(&self, id: i64, digest: &str, now: i64) -> Result<(), Error> {
        self.conn().execute(
            "UPDATE watches SET digest = $1, checked_at = $2 WHERE id = $3",
            &[digest.into(), now.into(), id.into()],
        )?;
        Ok(())
    }

    /// Stops following a tag; how many were removed.
    pub fn remove_watch(&self, reference: &str) -> Result<u64, Error> {
        self.conn()
            .execute("DELETE FROM watches WHERE reference = $1", &[reference.into()])
    }
}
