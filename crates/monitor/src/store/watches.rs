//! Registry tags `monitor watch` follows, with the digest last seen.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub id: i64,
    pub reference: String,
    pub digest: Option<String>,
}

impl Store {
    pub fn add_watch(&self, reference: &str) -> Result<bool, Error> {
        let n = self.conn().execute(
            "INSERT INTO watches (reference) VALUES ($1) ON CONFLICT (reference) DO NOTHING",
            &[reference.into()],
        )?;
        Ok(n > 0)
    }

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

    pub fn set_watch_digest(&self, id: i64, digest: &str, now: i64) -> Result<(), Error> {
        self.conn().execute(
            "UPDATE watches SET digest = $1, checked_at = $2 WHERE id = $3",
            &[digest.into(), now.into(), id.into()],
        )?;
        Ok(())
    }

    pub fn remove_watch(&self, reference: &str) -> Result<u64, Error> {
        self.conn()
            .execute("DELETE FROM watches WHERE reference = $1", &[reference.into()])
    }
}
