-- Snapshots: one row per (name, manifest digest). `current` marks the digest a name points at now.
CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    repository TEXT,
    tag TEXT,
    platform TEXT,
    current INTEGER NOT NULL DEFAULT 1,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    checked_at INTEGER,
    sbom BLOB NOT NULL,
    UNIQUE (name, digest)
);
-- What each snapshot is looked up under in the advisory store: `ecosystem TAB name`.
CREATE TABLE package_keys (
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    PRIMARY KEY (image_id, key)
);
CREATE INDEX package_keys_by_key ON package_keys (key);
-- The findings of each snapshot's last check.
CREATE TABLE findings (
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    package_key TEXT NOT NULL,
    severity TEXT NOT NULL,
    fixed_version TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (image_id, key)
);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id INTEGER NOT NULL,
    image_name TEXT NOT NULL,
    digest TEXT NOT NULL,
    kind TEXT NOT NULL,
    finding_key TEXT NOT NULL,
    generation TEXT NOT NULL,
    severity TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (digest, kind, finding_key, generation)
);
CREATE INDEX notifications_by_time ON notifications (created_at);
-- The advisory records the last processed database held.
CREATE TABLE advisory_state (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    modified TEXT,
    keys TEXT NOT NULL
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used INTEGER
);
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    format TEXT NOT NULL,
    min_severity TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    lease_until INTEGER,
    delivered_at INTEGER,
    failed_at INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt);
CREATE TABLE watches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    digest TEXT,
    checked_at INTEGER
);
INSERT INTO meta (key, value) VALUES ('generation', '');
