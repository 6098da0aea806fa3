//! API tokens: created, looked up by hash (their use noted), listed and revoked.

use super::*;

/// A token, without its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// When it was made.
    pub created_at: i64,
    /// When it was last used (to the minute).
    pub last_used: Option<i64>,
}

impl Store {
    /// Stores a token by its hash; refused when the name is taken.
    pub fn add_token(&self, name: &str, hash: &str, scopes: &[String], now: i64) -> Result<i64, Error> {
        self.tx(|db| {
            if !db
                .query("SELECT id FROM tokens WHERE name = $1", &[name.into()])?
                .is_empty()
            {
                return Err(Error::Input(format!(
                    "a token named {name:?} exists; revoke it first"
                )));
            }
            self.insert_id(
                db,
                "INSERT INTO tokens (name, hash, scopes, created_at) VALUES ($1, $2, $3, $4)",
                &[name.into(), hash.into(), scopes.join(",").into(), now.into()],
            )
        })
    }

    /// The scopes of the token with this hash, marking it used.
    pub fn token_scopes(&self, hash: &str, now: i64) -> Result<Option<Vec<String>>, Error> {
        let mut db = self.conn();
        let rows = db.query("SELECT id, scopes FROM tokens WHERE hash = $1", &[hash.into()])?;
        let Some(r) = rows.into_iter().next() else {
            return Ok(None);
        };
        // A write per API call would serialise every request on SQLite's write lock: the
        // time of use is kept to the minute.
        db.execute(
            "UPDATE tokens SET last_used = $1 WHERE id = $2 AND (last_used IS NULL OR last_used < $3)",
            &[now.into(), r[0].clone(), (now - 60).into()],
        )?;
        Ok(Some(
            text(&r[1])
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ))
    }

    /// Every token.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, Error> {
        let rows = self.conn().query(
            "SELECT id, name, scopes, created_at, last_used FROM tokens ORDER BY id",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| TokenInfo {
                id: r[0].int().unwrap_or_default(),
                name: text(&r[1]),
                scopes: text(&r[2])
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                created_at: r[3].int().unwrap_or_default(),
                last_used: r[4].int(),
            })
            .collect())
    }

    /// Revokes the token `name`; how many were revoked.
    pub fn revoke_token(&self, name: &str) -> Result<u64, Error> {
        self.conn()
            .execute("DELETE FROM tokens WHERE name = $1", &[name.into()])
    }
}
