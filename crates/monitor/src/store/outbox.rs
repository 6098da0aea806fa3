//! Webhooks and their outbox: deliveries claimed under a lease, sent, retried, given up.

use super::*;

/// A webhook: where and how changes are delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// Where to POST.
    pub url: String,
    /// The HMAC key (kept in the store: it signs every delivery).
    #[serde(skip_serializing)]
    pub secret: String,
    /// `json` or `slack`.
    pub format: String,
    /// Changes below this severity are not delivered.
    pub min_severity: String,
}

/// One delivery of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id, sent as `X-Drydock-Delivery`.
    pub id: i64,
    /// Where it goes.
    pub webhook: Webhook,
    /// The body.
    pub payload: String,
    /// Attempts so far.
    pub attempts: i64,
}

/// Deliveries by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    /// Not yet delivered.
    pub pending: i64,
    /// Delivered.
    pub delivered: i64,
    /// Given up.
    pub failed: i64,
}

impl Store {
    /// Adds a webhook; its id.
    pub fn add_webhook(
        &self,
        url: &str,
        secret: &str,
        format: &str,
        min_severity: &str,
        now: i64,
    ) -> Result<i64, Error> {
        let mut db = self.conn();
        self.insert_id(
            db.as_mut(),
            "INSERT INTO webhooks (url, secret, format, min_severity, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[url.into(), secret.into(), format.into(), min_severity.into(), now.into()],
        )
    }

    /// Every webhook.
    pub fn webhooks(&self) -> Result<Vec<Webhook>, Error> {
        webhooks_in(self.conn().as_mut())
    }

    /// Removes a webhook and its deliveries, delivered or not.
    pub fn remove_webhook(&self, id: i64) -> Result<u64, Error> {
        self.tx(|db| {
            db.execute("DELETE FROM outbox WHERE webhook_id = $1", &[id.into()])?;
            db.execute("DELETE FROM webhooks WHERE id = $1", &[id.into()])
        })
    }

    /// Claims up to `limit` due deliveries for `lease` seconds. A claim is one conditional
    /// update per row, so two servers never both claim one delivery; a server that dies
    /// holding a claim loses it when the lease runs out.
    pub fn claim_deliveries(&self, now: i64, lease: i64, limit: i64) -> Result<Vec<Delivery>, Error> {
        let mut db = self.conn();
        let due = db.query(
            "SELECT o.id FROM outbox o WHERE o.delivered_at IS NULL AND o.failed_at IS NULL \
             AND o.next_attempt <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1) ORDER BY o.id LIMIT $2",
            &[now.into(), limit.into()],
        )?;
        let hooks: HashMap<i64, Webhook> = webhooks_in(db.as_mut())?.into_iter().map(|w| (w.id, w)).collect();
        let mut out = Vec::new();
        for r in due {
            let id = r[0].int().unwrap_or_default();
            let claimed = db.query(
                "UPDATE outbox SET lease_until = $1 WHERE id = $2 AND delivered_at IS NULL \
                 AND (lease_until IS NULL OR lease_until < $3) RETURNING webhook_id, payload, attempts",
                &[(now + lease).into(), id.into(), now.into()],
            )?;
            let Some(c) = claimed.into_iter().next() else {
                continue;
            };
            let Some(webhook) = c[0].int().and_then(|w| hooks.get(&w)).cloned() else {
                continue;
            };
            out.push(Delivery {
                id,
                webhook,
                payload: text(&c[1]),
                attempts: c[2].int().unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Records a successful delivery.
    pub fn delivered(&self, id: i64, now: i64) -> Result<(), Error> {
        self.conn().execute(
            "UPDATE outbox SET delivered_at = $1, attempts = attempts + 1, lease_until = NULL, last_error = NULL WHERE id = $2",
            &[now.into(), id.into()],
        )?;
        Ok(())
    }

    /// Records a failed attempt: retried at `next_attempt`, or given up (`next_attempt` `None`).
    pub fn delivery_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt: Option<i64>,
        now: i64,
    ) -> Result<(), Error> {
        let error: String = error.chars().take(500).collect();
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, lease_until = NULL, last_error = $1, \
             next_attempt = COALESCE($2, next_attempt), failed_at = $3 WHERE id = $4",
            &[
                error.into(),
                next_attempt.map_or(Value::Null, Value::Int),
                if next_attempt.is_some() {
                    Value::Null
                } else {
                    Value::Int(now)
                },
                id.into(),
            ],
        )?;
        Ok(())
    }

    /// Deliveries by state.
    pub fn outbox_counts(&self) -> Result<OutboxCounts, Error> {
        let mut db = self.conn();
        let mut one = |sql: &str| -> Result<i64, Error> {
            Ok(db
                .query(sql, &[])?
                .first()
                .and_then(|r| r[0].int())
                .unwrap_or_default())
        };
        Ok(OutboxCounts {
            pending: one("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL")?,
            delivered: one("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL")?,
            failed: one("SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL")?,
        })
    }
}

pub(super) fn webhooks_in(db: &mut dyn Backend) -> Result<Vec<Webhook>, Error> {
    let rows = db.query(
        "SELECT id, url, secret, format, min_severity FROM webhooks ORDER BY id",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Webhook {
            id: r[0].int().unwrap_or_default(),
            url: text(&r[1]),
            secret: text(&r[2]),
            format: text(&r[3]),
            min_severity: text(&r[4]),
        })
        .collect())
}
